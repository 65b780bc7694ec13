# Two commands (see README):  make example   |   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: example test lint clean-venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cxstudy needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	@# a current pip first: it resolves the ~140 packages in half the time of the pip that
	@# Python 3.11's venv starts with (about 14 s instead of 26 s here)
	$(BIN)/python -m pip install --quiet --no-compile --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e ".[test]"
	@# byte-compile on both cores at once (pip compiles one file at a time), leaving out the
	@# packages' own test folders, and cxstudy's own modules (where Python is told not to write
	@# bytecode, each process and kernel would compile them again, ~0.15 s); a file of some
	@# package that is not Python 3 is no reason to stop
	-@$(BIN)/python -m compileall -q -j 0 -x '/tests?/' $(VENV)/lib cxstudy > /dev/null
	@touch $(STAMP)

example: $(STAMP)
	$(BIN)/cxstudy run studies/example.yml

test: $(STAMP)
	$(BIN)/ruff check cxstudy tests benchmarks scripts
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check cxstudy tests benchmarks scripts

clean-venv:
	rm -rf $(VENV)

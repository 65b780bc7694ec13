"""Store the outputs nbval compares (cells marked ``# NBVAL_CHECK_OUTPUT``) in the
notebooks, and clear every other output, so the committed notebooks stay small.

Run after changing a notebook or the example data:
    .venv/bin/python scripts/store_check_outputs.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
MARK = "# NBVAL_CHECK_OUTPUT"


def main() -> int:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        with tempfile.TemporaryDirectory() as folder:
            executed = Path(folder) / path.name
            pm.execute_notebook(str(path), str(executed), kernel_name="python3",
                                cwd=str(ROOT), progress_bar=False)
            ran = nbformat.read(executed, as_version=4)
        source = nbformat.read(path, as_version=4)
        for cell, done in zip(source.cells, ran.cells, strict=True):
            if cell.cell_type != "code":
                continue
            keep = cell.source.lstrip().startswith(MARK)
            cell.outputs = done.outputs if keep else []
            cell.execution_count = done.execution_count if keep else None
            cell.metadata.pop("execution", None)
            cell.metadata.pop("papermill", None)
        source.metadata.pop("papermill", None)
        nbformat.write(source, path)
        print(f"stored check outputs in {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

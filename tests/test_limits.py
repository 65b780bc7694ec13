"""What cxstudy agrees to read (cxstudy.limits): regular files only, of sizes its readers
handle, with the export limits adjustable by environment variables."""

from __future__ import annotations

import os
import socket

import pytest

from cxstudy import limits
from cxstudy.exceptions import CxStudyError


def test_the_defaults_and_each_variable_that_raises_a_limit(monkeypatch):
    for field in ("header_bytes", "columns", "workbook_bytes", "compression_ratio"):
        monkeypatch.delenv(limits.Limits.variable(field), raising=False)
    assert limits.limits() == limits.Limits()
    monkeypatch.setenv("CXSTUDY_MAX_COLUMNS", "30000")
    monkeypatch.setenv("CXSTUDY_MAX_HEADER_BYTES", "2000000")
    found = limits.limits()
    assert (found.columns, found.header_bytes) == (30_000, 2_000_000)
    assert found.workbook_bytes == limits.Limits().workbook_bytes  # the others as they were
    monkeypatch.setenv("CXSTUDY_MAX_COLUMNS", "")  # set but empty: the default
    assert limits.limits().columns == limits.Limits().columns


@pytest.mark.parametrize("value", ["many", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_whole_number_above_zero_names_its_variable(monkeypatch, value):
    monkeypatch.setenv("CXSTUDY_MAX_COLUMNS", value)
    with pytest.raises(CxStudyError, match="CXSTUDY_MAX_COLUMNS"):
        limits.limits()


def test_only_regular_files_are_files(tmp_path):
    export = tmp_path / "a.csv"
    export.write_text("Q1\nAgree\n")
    assert limits.not_a_file(export) is None
    assert limits.not_a_file(tmp_path / "gone.csv") is None  # missing: said elsewhere
    os.mkfifo(tmp_path / "pipe")
    assert "named pipe" in limits.not_a_file(tmp_path / "pipe")
    assert limits.not_a_file("/dev/zero")
    assert "folder" in limits.not_a_file(tmp_path)
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "sock"))
        assert limits.not_a_file(tmp_path / "sock")

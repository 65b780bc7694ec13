"""A whole run (cxstudy.pipeline): tables as the public functions give them, and a failure
that leaves the previous report and cleaned data as they were."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy.exceptions import ReadError

from .conftest import copy_project, sha256_tree


def test_tables_match_the_public_functions(built):
    project, serial, _parallel, _raw = built
    study = cx.load_study(project / "studies" / "example.yml")
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    expected = cx.gap_table(responses, study)
    written = pd.read_csv(serial / "reports" / "example" / "tables" / "gaps.csv",
                          keep_default_na=False, na_values=[""])
    assert list(written.columns) == list(expected.columns)
    numeric = expected.select_dtypes("number").columns
    pd.testing.assert_frame_equal(written[numeric].astype(float),
                                  expected[numeric].astype(float), rtol=1e-12)
    assert (written["item"] == expected["item"]).all()
    dimensions = pd.read_csv(serial / "reports" / "example" / "tables" / "dimension_gaps.csv")
    expected_dims = cx.dimension_gaps(responses, study)
    pd.testing.assert_series_equal(dimensions["mean_diff"], expected_dims["mean_diff"],
                                   rtol=1e-12)


def test_broken_source_fails_cleanly_and_keeps_the_old_report(built, tmp_path):
    _project, serial, _parallel, _raw = built
    broken = copy_project(tmp_path / "broken")
    out = tmp_path / "out"
    shutil.copytree(serial / "reports", out / "reports")
    before = sha256_tree(out / "reports")
    (broken / "data" / "raw" / "example" / "staff.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(ReadError, match=r"staff\.xlsx: not a readable \.xlsx workbook"):
        cx.run(broken / "studies" / "example.yml", out=out)
    assert sha256_tree(out / "reports") == before


def test_cleaned_data_that_cannot_be_written_starts_no_page_and_keeps_both(
        built, tmp_path, monkeypatch):
    """The cleaned data is written while the tables are computed; when writing fails, no
    page starts, and the previous report and cleaned data are as they were."""
    from cxstudy import processed

    project, serial, _parallel, _raw = built
    out = tmp_path / "out"
    shutil.copytree(serial / "reports" / "tiny", out / "reports" / "tiny")
    cx.run(project / "studies" / "tiny.yml", out=out, report=False)  # cleaned data, once
    before = sha256_tree(out)

    def full_disk(staging, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(processed, "replace_folder", full_disk)
    lines: list[str] = []
    with pytest.raises(OSError, match="No space left"):
        cx.run(project / "studies" / "tiny.yml", out=out, progress=lines.append)
    assert not [line for line in lines if ": page " in line]
    assert sha256_tree(out) == before

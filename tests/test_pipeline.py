"""A whole run (cxstudy.pipeline): tables as the public functions give them, and a failure
that leaves the previous report and cleaned data as they were."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

import cxstudy as cx
from cxstudy.exceptions import ReadError
from cxstudy.pipeline import output_root, validate

from .conftest import CUSTOMERS, LEADERS, copy_project, minimal_study, sha256_tree, write


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
    from cxstudy import pipeline

    project, serial, _parallel, _raw = built
    out = tmp_path / "out"
    shutil.copytree(serial / "reports" / "tiny", out / "reports" / "tiny")
    cx.run(project / "studies" / "tiny.yml", out=out, report=False)  # cleaned data, once
    before = sha256_tree(out)

    def full_disk(staging, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "write_into", full_disk)
    lines: list[str] = []
    with pytest.raises(cx.CxStudyError, match="the disk is full"):
        cx.run(project / "studies" / "tiny.yml", out=out, progress=lines.append)
    assert not [line for line in lines if ": page " in line]
    assert sha256_tree(out) == before


# ---------------------------------------------------------------------------
# a small study: run without a report, validate, where outputs go


@pytest.fixture()
def small_study_file(tmp_path):
    """A study file in ``studies/`` of a project with its two exports beside it."""
    (tmp_path / "studies").mkdir()
    write(tmp_path / "studies" / "leaders.csv", LEADERS)
    write(tmp_path / "studies" / "customers.csv", CUSTOMERS)
    path = tmp_path / "studies" / "test.yml"
    path.write_text(yaml.safe_dump(minimal_study()), encoding="utf-8")
    return path


def test_a_run_without_a_report_writes_the_cleaned_data_only(small_study_file, tmp_path):
    lines: list[str] = []
    result = cx.run(small_study_file, report=False, progress=lines.append)
    assert (result.rows_in, int(result.cleaning.log["kept"].sum())) == (6, 6)
    assert result.report_dir is None
    assert result.processed_dir == tmp_path / "data" / "processed" / "test"
    assert sorted(p.name for p in result.processed_dir.iterdir()) == [
        "cleaning_log.csv", "responses.parquet", "sources.csv"]
    assert not (tmp_path / "reports" / "test").exists()
    assert lines[0] == "test: reading 2 source(s)"
    assert any(line.startswith("test: kept 6 of 6 rows (0 dropped") for line in lines)


def test_output_root_is_the_project_unless_out_is_given(small_study_file, tmp_path):
    study = cx.load_study(small_study_file)
    assert output_root(study, None) == tmp_path
    assert output_root(study, tmp_path / "elsewhere") == (tmp_path / "elsewhere").resolve()


def test_validate_collects_the_study_files_and_the_exports_problems(small_study_file):
    found = validate(small_study_file)
    assert found.problems == [] and found.rows == 6 and found.study.slug == "test"
    spec = minimal_study(correcton="holm")  # and a misspelt key ...
    spec["sources"][0]["path"] = "gone.csv"  # ... beside an export that is not there
    small_study_file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    found = validate(small_study_file)  # reported, not raised
    assert found.study is None
    text = [str(p) for p in found.problems]
    assert any(p.startswith("correcton: unknown key") for p in text), text
    assert any(p.startswith("sources[0] (gone.csv): ") and "not found" in p for p in text), text

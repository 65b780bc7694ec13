"""A whole run (cxstudy.pipeline): tables as the public functions give them, and a failure
that leaves the previous report and cleaned data as they were."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxstudy as cx
from cxstudy.exceptions import ReadError
from cxstudy.pipeline import output_root, validate

from .conftest import CUSTOMERS, LEADERS, copy_project, minimal_study, sha256_tree, write
from .shapes import write_all


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
    """The cleaned data is written block by block before the tables are made; when
    writing fails, no page starts, and the previous report and cleaned data are as they
    were."""
    from cxstudy import pipeline

    project, serial, _parallel, _raw = built
    out = tmp_path / "out"
    shutil.copytree(serial / "reports" / "tiny", out / "reports" / "tiny")
    cx.run(project / "studies" / "tiny.yml", out=out, report=False)  # cleaned data, once
    before = sha256_tree(out)

    def full_disk(staging, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.BlockWriter, "append", full_disk)
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


# ---------------------------------------------------------------------------
# a run in blocks (issue 29): the same files and tables as cleaning every row at once


def _rules_study(project: Path) -> Path:
    """The example with the rules that compare rows at their hardest: repeats by
    identical answers, exclusions before them, and the customers raked to regions."""
    spec = yaml.safe_load((project / "studies" / "example.yml").read_text(encoding="utf-8"))
    spec["slug"] = "rules"
    spec["cleaning"]["duplicates"] = "answers"
    spec["cleaning"]["exclude"] = [{"column": "Tenure", "values": ["0"],
                                    "groups": ["customers"]}]
    spec["weights"] = {"group": "customers", "margins": {"Region": {
        "North": 0.4, "South": 0.3, "East": 0.2, "West": 0.1}}}
    path = project / "studies" / "rules.yml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def block_studies(tmp_path_factory) -> dict[str, Path]:
    project = copy_project(tmp_path_factory.mktemp("blocks"))
    return {"example": project / "studies" / "example.yml", "rules": _rules_study(project),
            **write_all(project)}


def _cleaned_in_blocks(study, folder: Path, block_rows: int):
    """The first pass over the blocks as a run makes them (each export's cells read from
    the copy its survey kept), the second over the blocks the first kept."""
    from cxstudy._spill import KeptBlocks
    from cxstudy.clean import first_pass
    from cxstudy.pipeline import _clean_blocks
    from cxstudy.readers import plan_sources

    folder.mkdir()
    spill = folder.with_name(f"{folder.name}-spill")
    spill.mkdir()
    planned = plan_sources(study, spill=spill)
    kept = KeptBlocks(spill / "blocks.arrows")
    whole = first_pass(kept.keeping(planned.blocks(block_rows, again=True)), study)
    assert kept.complete
    return whole, _clean_blocks(study, whole, kept.blocks(), folder, True)


@pytest.mark.parametrize("shape, block_rows, tables", [
    ("example", 300, True), ("rules", 250, True), ("seasons", 70, True), ("five", 60, False),
    ("mixed", 50, False), ("tiny", 9, False), ("flipped", 40, False), ("stars", 45, False)])
def test_a_run_in_blocks_writes_and_counts_what_cleaning_every_row_gives(
        block_studies, tmp_path, shape, block_rows, tables):
    """Blocks of a few hundred rows, several to an export: repeats whose first row is in
    an earlier block, speeders against the medians of every row, raking over every
    kept row; the processed files, the rules not checked, the raking and every table
    the same as cleaning every row at once."""
    from cxstudy.analysis import Results
    from cxstudy.clean import source_table
    from cxstudy.pipeline import _results
    from cxstudy.processed import load_processed, write_into

    study = cx.load_study(block_studies[shape])
    whole, cleaned = _cleaned_in_blocks(study, tmp_path / "blocks", block_rows)
    raw = cx.read_sources(study)
    assert len(raw) > 2 * block_rows  # several blocks
    expected = cx.clean(raw, study)
    (tmp_path / "whole").mkdir()
    write_into(tmp_path / "whole", expected, source_table(raw, expected.log, study))
    for name in ("cleaning_log.csv", "sources.csv"):
        assert (tmp_path / "blocks" / name).read_bytes() == \
            (tmp_path / "whole" / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "blocks" / "responses.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "responses.parquet"))
    made, expected_files = (load_processed(study, tmp_path / folder)
                            for folder in ("blocks", "whole"))
    for one, other in zip(made, expected_files, strict=True):
        pd.testing.assert_frame_equal(one, other)
    pd.testing.assert_frame_equal(cleaned.skipped, expected.skipped)
    assert (whole.rows, whole.kept) == (len(raw), int(expected.log["kept"].sum()))
    assert whole.weighting_by_wave == expected.weighting_by_wave
    if not tables:
        return
    made = _results(study, cleaned).written_tables()
    wanted = Results(study, expected.responses, log=expected.log,
                     sources=source_table(raw, expected.log, study)).written_tables()
    assert made.keys() == wanted.keys()
    for name, table in wanted.items():
        pd.testing.assert_frame_equal(made[name], table, check_exact=False, rtol=1e-12,
                                      atol=1e-12, obj=f"{shape}: {name}")


def test_the_rules_that_compare_rows_drop_across_blocks(block_studies, tmp_path):
    """Blocks of 25 rows: repeats and speeders are still found among every row, and a
    repeat names the row it repeats, in an earlier block."""
    study = cx.load_study(block_studies["example"])
    _whole, _cleaned = _cleaned_in_blocks(study, tmp_path / "blocks", 25)
    log = pd.read_csv(tmp_path / "blocks" / "cleaning_log.csv", keep_default_na=False)
    repeats = log[log["reason"] == "duplicate"]
    assert len(repeats) and len(log[log["reason"] == "speeder"])
    first = repeats["detail"].str.extract(r"same id as (\S+) row (\d+)")
    assert first.notna().all().all()
    earlier = [(log["source"] == s) & (log["source_row"] == int(r)) for s, r in
               first.itertuples(index=False)]
    positions = [int(rows.to_numpy().argmax()) for rows in earlier]
    assert any(at // 25 < here // 25 for at, here in zip(positions, repeats.index,
                                                         strict=True))


def test_a_disk_that_fills_while_the_blocks_are_appended_keeps_the_previous_data(
        small_study_file, tmp_path, monkeypatch):
    """The third block's responses cannot be written (ENOSPC): the run says the disk is
    full, and the cleaned data written before is as it was, with nothing staged left."""
    import errno

    import pyarrow.parquet as pq

    cx.run(small_study_file, report=False)
    before = sha256_tree(tmp_path / "data")
    written = []
    original = pq.ParquetWriter.write_table

    def filling(self, table, *args, **kwargs):
        written.append(len(table))
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", filling)
    with pytest.raises(cx.CxStudyError, match="the disk is full") as caught:
        cx.run(small_study_file, report=False, block_rows=1)
    assert "untouched" in str(caught.value) and "Traceback" not in str(caught.value)
    assert len(written) == 3
    assert sha256_tree(tmp_path / "data") == before
    assert sorted(p.name for p in (tmp_path / "data" / "processed").iterdir()) == ["test"]


def _parses_counted(monkeypatch) -> list[str]:
    """The exports Arrow parses from here on, one entry a parse."""
    from cxstudy import readers

    parsed, real = [], readers._arrow_stream

    def counting(path, *args, **kwargs):
        parsed.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(readers, "_arrow_stream", counting)
    return parsed


def test_a_run_in_blocks_parses_each_export_once_and_leaves_nothing_behind(
        small_study_file, tmp_path, monkeypatch):
    """The survey keeps each export's cells as it parses them, and the first pass keeps
    its blocks, so that neither later pass parses the text again; what was kept is gone
    when the run ends."""
    parsed = _parses_counted(monkeypatch)
    cx.run(small_study_file, report=False, block_rows=2)
    assert sorted(parsed) == ["customers.csv", "leaders.csv"]
    assert [p.name for p in (tmp_path / "data" / "processed").iterdir()] == ["test"]


def test_a_disk_too_full_to_keep_what_was_read_still_completes_the_run(
        small_study_file, tmp_path, monkeypatch):
    """Keeping the cells and blocks read is only to save time: where the disk refuses
    them, the later passes read the exports again, and the cleaned data is the same."""
    from cxstudy import _spill

    cx.run(small_study_file, report=False, block_rows=2)
    before = sha256_tree(tmp_path / "data")

    def full(self, batch):
        raise _spill.arrow_os_error(OSError("[errno 28] No space left on device"), self.path)

    monkeypatch.setattr(_spill.BatchWriter, "write", full)
    parsed = _parses_counted(monkeypatch)
    cx.run(small_study_file, report=False, block_rows=2)
    assert sorted(parsed) == ["customers.csv"] * 3 + ["leaders.csv"] * 3
    assert sha256_tree(tmp_path / "data") == before
    assert [p.name for p in (tmp_path / "data" / "processed").iterdir()] == ["test"]


def test_a_malformed_row_in_a_later_block_writes_nothing(small_study_file, tmp_path,
                                                         monkeypatch):
    """The reader fails on a later block (a malformed row far into an export): the error
    names it as the reader does, and nothing is written (the first pass reads every
    block before anything is written)."""
    from cxstudy.readers import PlannedSources

    cx.run(small_study_file, report=False)
    before = sha256_tree(tmp_path / "data")
    real = PlannedSources.blocks

    def failing(self, block_rows, *, again=False):
        for number, block in enumerate(real(self, block_rows, again=again)):
            if number == 2:
                raise ReadError("x.csv", "line 900: 7 fields, expected 5")
            yield block

    monkeypatch.setattr(PlannedSources, "blocks", failing)
    with pytest.raises(ReadError, match="line 900"):
        cx.run(small_study_file, report=False, block_rows=1)
    assert sha256_tree(tmp_path / "data") == before
    assert sorted(p.name for p in (tmp_path / "data" / "processed").iterdir()) == ["test"]


def test_exports_that_change_between_the_two_passes_are_said_to_have_changed(
        small_study_file, tmp_path, monkeypatch):
    """Where the first pass's blocks cannot be kept, the second pass reads the exports
    again: rows that changed in between are told, not cleaned."""
    from cxstudy._spill import KeptBlocks
    from cxstudy.readers import PlannedSources

    real, calls = PlannedSources.blocks, []

    def shrinking(self, block_rows, *, again=False):
        calls.append(1)
        blocks = list(real(self, block_rows, again=again))
        yield from blocks if len(calls) == 1 else blocks[:-1]

    monkeypatch.setattr(PlannedSources, "blocks", shrinking)
    monkeypatch.setattr(KeptBlocks, "_add", lambda self, block: self.drop())
    with pytest.raises(cx.DataError, match="changed while the run read them"):
        cx.run(small_study_file, report=False, block_rows=2)
    assert not (tmp_path / "data" / "processed" / "test").exists()

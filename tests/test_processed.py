"""The cleaned data on disk (cxstudy.processed): written whole or not at all, read back
as it was."""

from __future__ import annotations

import io
import itertools
import os

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import processed
from cxstudy._files import spreadsheet_safe
from cxstudy.clean import clean
from cxstudy.processed import BlockWriter, load_processed, write_processed

from .conftest import CUSTOMERS, LEADERS, build, copy_project, sha256_tree, write
from .shapes import write_all


def test_write_processed_is_atomic_and_round_trips(tmp_path):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    folder = write_processed(raw, result, study, tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == ["cleaning_log.csv", "responses.parquet",
                                                        "sources.csv"]
    back = pd.read_parquet(folder / "responses.parquet")
    pd.testing.assert_frame_equal(back, result.responses, check_dtype=False)
    assert str(back["excellent"].dtype) == "Int8"
    log = pd.read_csv(folder / "cleaning_log.csv", keep_default_na=False)
    assert list(log.columns) == ["source", "source_row", "respondent_id", "group", "kept",
                                 "reason", "detail"]
    assert len(log) == len(raw)


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    folder = write_processed(raw, result, study, tmp_path / "out")
    before = sha256_tree(folder)

    written = processed.write_csv

    def boom(frame, path):
        if path.name == "sources.csv":
            raise OSError("disk full")
        written(frame, path)

    # the last file fails: the first two must not replace their old versions either
    monkeypatch.setattr(processed, "write_csv", boom)
    with pytest.raises(OSError):
        write_processed(raw, result, study, folder)
    assert sha256_tree(folder) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no half folder


def test_load_processed_reads_what_was_written(tmp_path):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    folder = write_processed(raw, result, study, tmp_path / "out")
    responses, log, sources = load_processed(study, folder)
    assert list(responses["group"].cat.categories) == list(study.groups)  # the study's order
    pd.testing.assert_frame_equal(responses.drop(columns="group"),
                                  result.responses.drop(columns="group"), check_dtype=False)
    assert log["respondent_id"].tolist() == result.log["respondent_id"].astype(str).tolist()
    assert len(sources) == 2


def test_load_processed_cleans_again_when_an_export_is_newer(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    study, raw = build(tmp_path / "studies", LEADERS, CUSTOMERS[:2])
    folder = write_processed(raw, clean(raw, study), study)
    assert folder == tmp_path / "data" / "processed" / "test"
    before = sha256_tree(folder)
    with monkeypatch.context() as patched:  # fresh: read from the folder, no export read
        patched.setattr(processed, "read_sources", lambda study: pytest.fail("read again"))
        assert len(load_processed(study)[0]) == 5
    later = folder.stat().st_mtime + 10
    write(tmp_path / "studies" / "customers.csv", CUSTOMERS)  # a respondent more
    os.utime(tmp_path / "studies" / "customers.csv", (later, later))
    assert len(load_processed(study)[0]) == 6
    assert sha256_tree(folder) == before  # nothing written


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("shaped"))
    return {"example": project / "studies" / "example.yml", **write_all(project)}


def _pandas_log(log: pd.DataFrame) -> bytes:
    """The cleaning log as pandas writes it: what the files must hold byte for byte."""
    text = io.StringIO()
    spreadsheet_safe(log).to_csv(text, index=False)
    return text.getvalue().encode("utf-8")


@pytest.mark.parametrize("shape", ["example", "seasons", "five", "mixed", "tiny", "flipped",
                                   "stars"])
def test_the_log_written_in_blocks_is_what_pandas_writes(shaped, tmp_path, shape):
    """The cleaning log appended block by block (three blocks, the last one shorter)
    is, byte for byte, pandas' CSV of the whole log; the responses read back are those
    cleaned."""
    study = cx.load_study(shaped[shape])
    result = clean(cx.read_sources(study), study)
    cut = [0, len(result.log) // 3, 2 * len(result.log) // 3, len(result.log)]
    kept = result.log["kept"].to_numpy().cumsum()
    with BlockWriter(tmp_path) as writer:
        for start, end in itertools.pairwise(cut):
            first, last = (int(kept[start - 1]) if start else 0), int(kept[end - 1])
            writer.append(result.responses.iloc[first:last], result.log.iloc[start:end])
        writer.finish(pd.DataFrame({"source": ["a"], "rows": [1]}))
    assert (tmp_path / "cleaning_log.csv").read_bytes() == _pandas_log(result.log)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "responses.parquet"),
                                  result.responses.reset_index(drop=True))


def test_a_log_of_awkward_text_is_written_as_pandas_writes_it(tmp_path):
    """Ids and details with quotes, commas, line breaks, formulas and characters beyond
    ASCII, appended in two blocks, read back as they were."""
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    log = result.log.copy()
    awkward = ['say "hi", then\nleave', "=cmd|' /C calc'!A0", "ünïcødé — 日本",
               "crlf\r\nend", "", "-1", "tab\tin"]
    log["respondent_id"] = pd.Series([awkward[i % len(awkward)] for i in range(len(log))],
                                     dtype="string")
    log["detail"] = [awkward[-1 - i % len(awkward)] for i in range(len(log))]
    with BlockWriter(tmp_path) as writer:
        writer.append(result.responses.iloc[:0], log.iloc[:3])
        writer.append(result.responses, log.iloc[3:])
        writer.finish(pd.DataFrame({"source": ["a"], "rows": [1]}))
    assert (tmp_path / "cleaning_log.csv").read_bytes() == _pandas_log(log)
    back = pd.read_csv(tmp_path / "cleaning_log.csv", keep_default_na=False,
                       dtype={"respondent_id": str})
    assert back["respondent_id"].tolist() == spreadsheet_safe(log)["respondent_id"].tolist()


def test_a_block_that_fails_to_be_written_is_raised_by_the_next_step_and_stops_the_writing(
        tmp_path, monkeypatch):
    """A block is written beside the cleaning of the next: when writing it fails (a
    full disk), the next append or the finish raises that error, no later block is
    written, and the files are closed."""
    import errno
    import threading

    study, raw = build(tmp_path, LEADERS, CUSTOMERS)
    result = clean(raw, study)
    written = []
    append = BlockWriter._append

    def fails_second(self, responses, log):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(log))
        append(self, responses, log)

    monkeypatch.setattr(BlockWriter, "_append", fails_second)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(OSError, match="No space left"), BlockWriter(folder) as writer:
        writer.append(result.responses.iloc[:1], result.log.iloc[:2])
        writer.append(result.responses.iloc[1:], result.log.iloc[2:])  # fails beside
        writer.finish(pd.DataFrame({"source": ["a"], "rows": [1]}))
    assert written == [2]
    assert not (folder / "sources.csv").exists()
    assert writer._log is None and writer._writer is None
    assert not any(t.name.startswith("cxstudy-write") for t in threading.enumerate())

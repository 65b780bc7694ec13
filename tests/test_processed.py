"""The cleaned data on disk (cxstudy.processed): written whole or not at all, read back
as it was."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from cxstudy import processed
from cxstudy.clean import clean
from cxstudy.processed import load_processed, write_processed

from .conftest import CUSTOMERS, LEADERS, build, sha256_tree, write


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

    def boom(*args, **kwargs):
        raise OSError("disk full")

    # the last file fails: the first two must not replace their old versions either
    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
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

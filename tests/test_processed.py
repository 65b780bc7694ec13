"""The cleaned data on disk (cxstudy.processed): written whole or not at all, read back
as it was."""

from __future__ import annotations

import pandas as pd
import pytest

from cxstudy.clean import clean
from cxstudy.processed import write_processed

from .conftest import CUSTOMERS, LEADERS, build, sha256_tree


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

"""Counts from DuckDB over the processed parquet equal the pandas counts (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import counts, gaps, waves

duckdb = pytest.importorskip("duckdb")
from cxstudy import warehouse  # noqa: E402


def _equal(ours, theirs, exact=True):
    assert ours.items == theirs.items and ours.groups == theirs.groups
    assert ours.weighted == theirs.weighted
    check = np.testing.assert_array_equal if exact else (
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12))
    for name in ("counts", "n", "n_eff", "k", "values", "top_box"):
        check(getattr(ours, name), getattr(theirs, name))
    assert len(ours.blocks) == len(theirs.blocks)
    for mine, other in zip(ours.blocks, theirs.blocks, strict=True):
        assert mine.items == other.items
        check(mine.counts, other.counts)
        np.testing.assert_array_equal(mine.raw, other.raw)


def test_duckdb_counts_and_tables_equal_the_pandas_path(example_responses, tmp_path):
    study, responses = example_responses
    path = tmp_path / "responses.parquet"
    responses.to_parquet(path)
    for wave in waves.waves_in(responses, study):
        part = waves.one_wave(responses, wave)
        expected = counts.level_counts(part, study)
        found = warehouse.level_counts(path, study, wave=wave)
        _equal(found, expected)
        pd.testing.assert_frame_equal(gaps.gap_table(part, study, counts=found),
                                      gaps.gap_table(part, study))
        assert found.wave == wave  # a table of the counts alone says their wave
        pd.testing.assert_frame_equal(gaps.gap_table(None, study, counts=found),
                                      gaps.gap_table(part, study))
        pd.testing.assert_frame_equal(gaps.dimension_gaps(part, study, counts=found),
                                      gaps.dimension_gaps(part, study))
    with pytest.raises(cx.CxStudyError, match="several waves"):
        warehouse.level_counts(path, study)


def test_weighted_counts_and_a_subset_of_items(example_responses, tmp_path):
    study, responses = example_responses
    part = waves.one_wave(responses, waves.waves_in(responses, study)[-1])
    part = part.assign(weight=np.random.default_rng(7).uniform(0.3, 3.0, len(part)))
    path = tmp_path / "weighted.parquet"
    part.to_parquet(path)
    _equal(warehouse.level_counts(path, study), counts.level_counts(part, study), exact=False)
    items = ["value", "excellent"]
    _equal(warehouse.level_counts(path, study, items=items),
           counts.level_counts(part, study, items=items), exact=False)

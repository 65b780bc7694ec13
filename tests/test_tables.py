"""Table contracts and the small-group rule (cxstudy.tables): a suppressed row shows its n
and no estimate, a hidden level cannot be recovered from the total, columns come in
contract order."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxstudy import tables
from cxstudy.tables import GAPS, SPECS, complementary, conform, suppress, too_small

STUDY = SimpleNamespace(min_group_size=5)


def test_too_small_is_fewer_than_the_minimum():
    assert too_small(np.array([0, 4, 5, 6]), STUDY).tolist() == [True, True, False, False]
    assert bool(too_small(4, STUDY)) and not bool(too_small(5, STUDY))


@pytest.mark.parametrize("n, hidden", [
    ([40, 3, 12, 25], [False, True, True, False]),   # one small: the next smallest too
    ([40, 3, 2, 25], [False, True, True, False]),    # two small: enough
    ([40, 0, 12, 25], [False, False, False, False]),  # nobody is nothing to hide
    ([40, 12, 25], [False, False, False]),
    ([3], [True]),                                   # nothing else to hide
], ids=["one small", "two small", "an empty level", "none small", "only one level"])
def test_complementary_suppression(n, hidden):
    assert complementary(n, STUDY).tolist() == hidden


@settings(max_examples=50)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_a_hidden_level_cannot_be_recovered_from_the_total(n):
    hidden = complementary(n, STUDY)
    n = np.array(n)
    assert hidden[(n > 0) & (n < 5)].all()  # every small level is hidden
    assert not hidden[n == 0].any()
    with_people = (n > 0).sum()
    # the total minus the shown levels is the sum of the hidden ones: never one level alone
    assert hidden.sum() != 1 or with_people == 1


def test_suppress_blanks_every_estimate_and_keeps_the_counts():
    table = pd.DataFrame({"item": ["q", "q"], "group": ["a", "b"], "n": [3, 40],
                          "n_ref": [50, 50], "top_box": [0.5, 0.25], "gap": [0.1, -0.2],
                          "p_value": [0.2, 0.01], "test": ["fisher", "score"],
                          "note": ["", ""]})
    out = suppress(table, GAPS, [True, False])
    assert out["suppressed"].tolist() == [True, False]
    assert out.loc[0, ["top_box", "gap", "p_value"]].isna().all()
    assert out.loc[0, "test"] == ""  # a text estimate is emptied
    assert out.loc[0, ["n", "n_ref"]].tolist() == [3, 50]  # why is still shown
    assert out.loc[1, ["top_box", "gap", "p_value", "test"]].tolist() == [0.25, -0.2, 0.01,
                                                                           "score"]


def test_suppress_keeps_rows_already_suppressed():
    table = pd.DataFrame({"n": [3, 40], "gap": [np.nan, 0.1], "suppressed": [True, False]})
    out = suppress(table, GAPS, [False, False])
    assert out["suppressed"].tolist() == [True, False]
    assert pd.isna(out.loc[0, "gap"]) and out.loc[1, "gap"] == 0.1


def test_suppress_makes_whole_number_estimates_float():
    spec = tables.TableSpec("t", "rows", ("n", "count"), estimates=("count",))
    out = suppress(pd.DataFrame({"n": [2, 9], "count": [1, 7]}), spec, [True, False])
    assert pd.isna(out.loc[0, "count"]) and out.loc[1, "count"] == 7


def test_conform_puts_the_wave_first_then_the_contract_then_the_rest():
    table = pd.DataFrame(columns=["extra_thing", "gap", "note", "item", "wave", "group"])
    assert list(conform(table, GAPS).columns) == ["wave", "item", "group", "gap", "note",
                                                  "extra_thing"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_estimate_is_a_column_of_its_table(name):
    spec = SPECS[name]
    assert spec.name == name
    assert set(spec.estimates) | set(spec.text_estimates) <= set(spec.all_columns)
    assert len(spec.all_columns) == len(set(spec.all_columns))

"""map_distinct: Series.map with the function called once per distinct value."""

from __future__ import annotations

import pandas as pd
import pytest

from cxstudy._distinct import map_distinct
from cxstudy.scales import normalize


@pytest.mark.parametrize("values, func", [
    (pd.Series(["Agree", None, " agree ", "Agree"], dtype="str"), normalize),
    (pd.Series(["a", None, "b"], dtype="str", index=[7, 3, 5]), lambda v: f"x = {v}"),
    (pd.Series([3, 1, 3]), lambda v: v * 2),
    (pd.Series([True, False, True]), str),
    (pd.Series(["a", "b"], dtype="str"), lambda v: None),
    (pd.Series([], dtype="str"), str),
    (pd.Series([1.0, -0.0, 0.0]), str),           # floats: mapped row by row
    (pd.Series([1, 1.0, True], dtype=object), repr),  # equal keys, different values
    (pd.Series(["a", None], dtype="string"), lambda v: "x" if pd.isna(v) else v),
])
def test_same_as_series_map(values, func):
    pd.testing.assert_series_equal(map_distinct(values, func), values.map(func))


def test_called_once_per_distinct_value():
    calls = []
    values = pd.Series(["a", "b", None, "a", "b", None] * 1000, dtype="str")
    map_distinct(values, lambda v: calls.append(v) or v)
    assert len(calls) == 3

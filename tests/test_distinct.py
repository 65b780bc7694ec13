"""map_distinct and array_distinct: Series.map, and a numpy array of what a function
gives each value, with the function called once per distinct value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxstudy._distinct import array_distinct, map_distinct
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


@pytest.mark.parametrize("values, func, dtype", [
    (pd.Series(["Agree", None, " agree ", "Agree"], dtype="str"),
     lambda v: normalize(v) == "agree", bool),
    (pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["a", "b", "c"]),
               index=[4, 2, 9, 1]), lambda v: {"a": 1, "b": 2}.get(v, 0), np.int64),
    (pd.Series(["x", None, "y"], dtype="string"), lambda v: pd.isna(v), bool),
    (pd.Series([3, 1, 3]), lambda v: v * 2, np.int64),
    (pd.Series([True, False, True]), lambda v: not v, bool),
    (pd.Series([1.0, -0.0, np.nan]), lambda v: str(v) == "-0.0", bool),  # row by row
    (pd.Series([1, 1.0, True], dtype=object), lambda v: type(v) is bool, bool),
    (pd.Series([], dtype="str"), lambda v: True, bool),
])
def test_array_distinct_is_the_function_of_every_row(values, func, dtype):
    found = array_distinct(values, func, dtype)
    assert found.dtype == np.dtype(dtype)
    assert found.tolist() == [func(value) for value in values]


def test_array_distinct_calls_once_per_distinct_value():
    calls = []
    values = pd.Series(pd.Categorical(["a", "b", None, "a"] * 1000))
    array_distinct(values, lambda v: calls.append(v) or True, bool)
    assert len(calls) == 3

"""Work per distinct value: a million answers hold a few hundred distinct labels.

``map_distinct(values, func)`` is ``values.map(func)`` that calls ``func`` once per
distinct value instead of once per row, for text ("str") and whole-number columns (where
equal keys are equal values); other columns are mapped row by row as before.
``array_distinct(values, func, dtype)`` gives ``func`` of every value as a numpy array
(a test, a number), likewise once per distinct value, for categories and any text too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``values.map(func)``, with ``func`` called once per distinct value.

    Parameters
    ----------
    values : pandas.Series
    func : callable
        Called with each distinct value (and once with the missing value, when there
        is one); must not depend on how often or in which order it is called.

    Returns
    -------
    pandas.Series
        What ``values.map(func)`` returns: same index, same inferred dtype.
    """
    dtype = values.dtype
    text = isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan  # "str"
    if not len(values) or not (text or (isinstance(dtype, np.dtype) and dtype.kind in "iub")):
        # floats (-0.0 == 0.0), mixed objects (1 == 1.0 == True), nullable dtypes
        return values.map(func)
    codes, results = _per_code(values, func)
    mapped = np.empty(len(results), dtype=object)
    mapped[:] = results
    return pd.Series(mapped[codes], index=values.index, name=values.name).infer_objects()


def array_distinct(values: pd.Series, func: Callable[[Any], Any], dtype) -> np.ndarray:
    """``func`` of every value, as a numpy array: called once per distinct value where
    equal values are equal (text of any string dtype, categories, whole numbers,
    booleans), else row by row. Nothing of the column is copied.

    Parameters
    ----------
    values : pandas.Series
    func : callable
        Called with each distinct value (and once with the missing value, when there
        is one); must not depend on how often or in which order it is called.
    dtype : numpy dtype
        What ``func`` returns, as an array (``bool`` for a test, ``np.int64``).

    Returns
    -------
    numpy.ndarray
        ``func(value)`` of each row, in order.
    """
    kind = values.dtype
    if not (isinstance(kind, pd.StringDtype | pd.CategoricalDtype)
            or (isinstance(kind, np.dtype) and kind.kind in "iub")):
        return np.fromiter((func(value) for value in values), dtype=dtype, count=len(values))
    codes, results = _per_code(values, func)
    return np.array(results, dtype=dtype)[codes] if results else np.zeros(0, dtype=dtype)


def _per_code(values: pd.Series, func: Callable[[Any], Any]) -> tuple[np.ndarray, list]:
    """(each row's code, ``func`` of each code's value): the missing value's result last,
    where code -1 picks it."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    results = [func(value) for value in distinct]
    missing = codes == -1
    if missing.any():  # the last slot, which code -1 picks
        results.append(func(values.iloc[int(np.argmax(missing))]))
    return codes, results

"""Work per distinct value: a million answers hold a few hundred distinct labels.

``map_distinct(values, func)`` is ``values.map(func)`` that calls ``func`` once per
distinct value instead of once per row, for text ("str") and whole-number columns (where
equal keys are equal values); other columns are mapped row by row as before.
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
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    results = [func(value) for value in distinct]
    missing = codes == -1
    if missing.any():  # the last slot, which code -1 picks
        results.append(func(values.iloc[int(np.argmax(missing))]))
    mapped = np.empty(len(results), dtype=object)
    mapped[:] = results
    return pd.Series(mapped[codes], index=values.index, name=values.name).infer_objects()

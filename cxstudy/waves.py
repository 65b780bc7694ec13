"""Waves: estimates made within a wave, never pooled, and the change between waves.

A study with ``waves:`` lists them in order and every source names its wave. Every table
function of cxstudy is wrapped by :func:`per_wave`: given the responses of several waves
it computes the table within each wave and stacks the results with a ``wave`` column
first. The change between consecutive waves is :func:`trend_table` (items),
:func:`dimension_trends` and :func:`metric_trends`.

Change in a gap between waves s and t (independent samples):

.. math:: \\Delta = (p_{a,t} - p_{r,t}) - (p_{a,s} - p_{r,s})

with the MOVER interval built from the Wilson limits of the four shares (Zou & Donner
2008; Newcombe 2011): for :math:`\\theta = \\sum_i c_i p_i` with :math:`c_i = \\pm 1`,

.. math:: L = \\hat\\theta - \\sqrt{\\sum_i (\\hat p_i - l_i)^2 [c_i > 0]
          + (u_i - \\hat p_i)^2 [c_i < 0]}, \\quad
          U = \\hat\\theta + \\sqrt{\\sum_i (u_i - \\hat p_i)^2 [c_i > 0]
          + (\\hat p_i - l_i)^2 [c_i < 0]}

which, with two shares, is Newcombe's hybrid score interval. The p-value is the
two-sided z test with the unpooled standard error :math:`\\sqrt{\\sum_i p_i(1-p_i)/n_i}`.
Respondents who answer in both waves (a panel) make the waves dependent; the interval
ignores that (positive) covariance and is then conservative.

References
----------
Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect measures:
a general approach. Statistics in Medicine 27, 1693-1702.
Newcombe, R. G. (2011). Propagating imprecision: combining confidence intervals from
independent sources. Communications in Statistics - Theory and Methods 40, 3154-3180.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .counts import LevelCounts, group_codes, level_counts
from .model import Study
from .tables import DIMENSION_TRENDS, METRIC_TRENDS, TRENDS, conform, suppress, too_small

# keyword arguments that carry something computed from one wave's responses
PRECOMPUTED = ("counts", "shares", "metrics", "coded")


def waves_in(responses: pd.DataFrame, study: Study) -> list[str]:
    """The study's waves that the responses hold, in the study's order (never sorted by
    name); ``[]`` for a study without waves."""
    if not study.waves or "wave" not in responses.columns:
        return []
    present = {str(wave) for wave in responses["wave"].dropna().unique()}
    return [wave for wave in study.waves if wave in present]


def one_wave(responses: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The responses of one wave, indexed 0..n-1.

    A wave whose rows are one run (its exports read one after the other, as a study
    file usually lists them) is a view of those rows, not a copy: at a million
    respondents the waves of a study would otherwise hold the responses a second time.
    """
    rows = np.flatnonzero((responses["wave"].astype(str) == wave).to_numpy(dtype=bool))
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        return responses.iloc[rows[0]:rows[-1] + 1].reset_index(drop=True)
    return responses.iloc[rows].reset_index(drop=True)


def with_wave(table: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The table with ``wave`` as its first column (attrs kept)."""
    table = table.copy()
    if "wave" in table.columns:
        table = table.drop(columns="wave")
    table.insert(0, "wave", pd.Series([wave] * len(table), index=table.index, dtype=object))
    return table


def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables of several waves, one under the other (empty parts add only columns)."""
    filled = [part for part in parts if len(part)]
    if not filled:
        return parts[0] if parts else pd.DataFrame()
    return pd.concat(filled, ignore_index=True)


def counted_wave(kwargs: dict, function: str = "") -> tuple[bool, str | None]:
    """Whether something precomputed (``counts=``, ...) that says its wave was given, and
    which wave: the ``wave`` attribute of each given :data:`PRECOMPUTED` value that has
    one (:class:`~cxstudy.counts.LevelCounts` has; data frames are not asked).

    Raises
    ------
    ValueError
        Two of them say different waves.
    """
    waves = {key: value.wave for key, value in kwargs.items()
             if key in PRECOMPUTED and value is not None
             and not isinstance(value, pd.DataFrame) and hasattr(value, "wave")}
    if len(set(waves.values())) > 1:
        said = ", ".join(f"{key} of wave {wave}" for key, wave in waves.items())
        raise ValueError(f"{function}: {said}: give what was counted from one wave")
    return bool(waves), next(iter(waves.values()), None)


def per_wave(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Make a table function of ``(responses, study, ...)`` respect waves.

    In a study with waves the table is computed within each wave and the results are
    stacked with a ``wave`` column first; nothing is pooled across waves. Something
    precomputed (``counts=``, ``shares=``, ...) belongs to one wave: it may be given only
    with one wave's responses, or instead of them (``responses`` None): the table's wave
    is then the counts' own (:attr:`~cxstudy.counts.LevelCounts.wave`), never a default.
    Counts whose wave differs from the responses' are refused.
    """
    @functools.wraps(function)
    def wrapper(responses: pd.DataFrame | None, study: Study, *args,
                **kwargs) -> pd.DataFrame:
        name = function.__name__
        given = [key for key in PRECOMPUTED if kwargs.get(key) is not None]
        if responses is None and not given:
            raise ValueError(f"{name}: give the responses, or their counts (counts=)")
        says, counted = counted_wave(kwargs, name)
        if not study.waves:
            return function(responses, study, *args, **kwargs)
        if responses is None:
            if counted is None:
                raise ValueError(
                    f"{name}: what was given ({', '.join(f'{key}=' for key in given)}) does "
                    "not say which wave it is of (counted from responses without a wave "
                    "column); a study with waves makes each table within one "
                    f"({', '.join(study.waves)}): count one wave's responses (the counts "
                    "then carry it), or give the responses")
            return _not_asked(with_wave(function(None, study, *args, **kwargs), counted),
                              study, counted)
        present = waves_in(responses, study)
        if len(present) <= 1:
            if says and counted is not None and present and counted != present[0]:
                raise ValueError(f"{name}: {', '.join(given)} of wave {counted} given with "
                                 f"the responses of wave {present[0]}: give the counts of "
                                 "the same wave")
            wave = present[0] if present else (counted or study.waves[-1])
            return _not_asked(with_wave(function(responses, study, *args, **kwargs), wave),
                              study, wave)
        if given:
            raise ValueError(f"{name}: {', '.join(given)} belong(s) to one wave; "
                             "give one wave's responses with them, or leave them out")
        return stack([_not_asked(with_wave(function(one_wave(responses, wave), study, *args,
                                                    **kwargs), wave), study, wave)
                      for wave in present])
    return wrapper


def _not_asked(table: pd.DataFrame, study: Study, wave: str) -> pd.DataFrame:
    """Rows of items not asked in the wave say so: blank because not asked, not hidden
    for privacy. Metrics, estimates, open-ended questions and segments not asked in the
    wave are absent from its tables (:func:`absent_in_wave`)."""
    table = absent_in_wave(table, study, wave)
    if "item" not in table.columns:
        return table
    missing = [i.id for i in study.items if not i.asked_in(wave)]
    rows = table["item"].isin(missing).to_numpy(dtype=bool)
    if rows.any():
        if "suppressed" in table.columns:
            table.loc[rows, "suppressed"] = False
        if "note" in table.columns:
            table.loc[rows, "note"] = f"not asked in wave {wave}"
    return table


def absent_in_wave(table: pd.DataFrame, study: Study, wave: str) -> pd.DataFrame:
    """The table without rows of the metrics, estimates, open-ended questions and segments
    not asked in ``wave`` (their ``waves:``): what was not asked has no row, so no page
    draws it (a wave's table of an item not asked keeps its rows, blank with a note)."""
    keys = {"metric": [m for m in study.metrics if not m.asked_in(wave)],
            "question": [q for q in study.open_ended if not q.asked_in(wave)],
            "segment": [s for s in study.segments if not s.asked_in(wave)]}
    drop = np.zeros(len(table), dtype=bool)
    for column, absent in keys.items():
        if absent and column in table.columns:
            drop |= table[column].isin([a.id for a in absent]).to_numpy(dtype=bool)
    if "estimate" in table.columns and "item" in table.columns:  # calibration
        absent = [e.item for e in study.estimates if not e.asked_in(wave)]
        drop |= table["item"].isin(absent).to_numpy(dtype=bool)
    if not drop.any():
        return table
    kept = table[~drop].reset_index(drop=True)
    kept.attrs = dict(table.attrs)
    return kept


def per_wave_table(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """The same for functions of a table that may carry a ``wave`` column (blind spots,
    disagreements): applied within each wave."""
    @functools.wraps(function)
    def wrapper(table: pd.DataFrame, study: Study, *args, **kwargs) -> pd.DataFrame:
        if "wave" not in table.columns:
            return function(table, study, *args, **kwargs)
        waves = [w for w in (study.waves or []) if w in set(table["wave"])] or list(
            dict.fromkeys(table["wave"]))
        return stack([with_wave(function(table[table["wave"] == wave].drop(columns="wave"),
                                         study, *args, **kwargs), wave) for wave in waves])
    return wrapper


# ---------------------------------------------------------------------------
# MOVER


def mover_interval(estimates, lows, highs, signs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MOVER interval of a sum ``Σ signs_i * estimates_i`` of independent estimates.

    Parameters
    ----------
    estimates, lows, highs : array_like, shape (k, ...)
        Each estimate with its own confidence limits (Wilson, for shares).
    signs : sequence of +1/-1, length k

    Returns
    -------
    (value, low, high)

    Examples
    --------
    >>> from cxstudy.stats import newcombe_interval, wilson_interval
    >>> l1, u1 = wilson_interval(56, 70); l2, u2 = wilson_interval(48, 80)
    >>> _, low, high = mover_interval([56 / 70, 48 / 80], [l1, l2], [u1, u2], [1, -1])
    >>> [round(float(v), 4) for v in (low, high)]  # Newcombe (1998) Table II (a)
    [0.0524, 0.3339]
    """
    estimates, lows, highs = (np.asarray(a, dtype=float) for a in (estimates, lows, highs))
    signs = np.asarray(signs, dtype=float).reshape((-1,) + (1,) * (estimates.ndim - 1))
    value = (signs * estimates).sum(axis=0)
    below, above = (estimates - lows) ** 2, (highs - estimates) ** 2
    low = value - np.sqrt(np.where(signs > 0, below, above).sum(axis=0))
    high = value + np.sqrt(np.where(signs > 0, above, below).sum(axis=0))
    return value, low, high


def change_z_test(shares, sizes, signs) -> np.ndarray:
    """Two-sided p of ``Σ signs_i p_i = 0`` with the unpooled SE √Σ p(1-p)/n."""
    from scipy import stats as sps

    shares, sizes = np.asarray(shares, dtype=float), np.asarray(sizes, dtype=float)
    signs = np.asarray(signs, dtype=float).reshape((-1,) + (1,) * (shares.ndim - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt((shares * (1 - shares) / sizes).sum(axis=0))
        z = (signs * shares).sum(axis=0) / se
        p_value = 2 * sps.norm.sf(np.abs(z))
    return np.where(se > 0, p_value, np.nan)


# ---------------------------------------------------------------------------
# trend tables


def trend_table(responses: pd.DataFrame | None, study: Study, *,
                counts: dict[str, LevelCounts] | None = None) -> pd.DataFrame:
    """How each item's gap changed between consecutive waves.

    One row per (item, audience other than the reference, consecutive pair of waves):
    the gap in each wave, ``change = gap_to - gap_from`` with its MOVER-Wilson interval
    and z-test p (the study's correction over the table; ``p_adjusted_headline``
    over the headline items' changes of the same pair of waves alone,
    :func:`adjust_headline`), and who moved: each audience's
    own change in top-box share (``top_box_change``, ``top_box_ref_change``) with
    Newcombe's interval. An item not asked in one of the two waves is blank with a note;
    so is an item whose series breaks between the two waves (``break:``: a scale or
    wording that changed), its note naming the break and its reason; below
    ``min_group_size`` in any of the four groups, every estimate is blank.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses of two or more waves (with a ``wave`` column); None when
        ``counts`` are given.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``waves`` in order, audiences,
        reference, items, ``confidence``, ``correction``, ``min_group_size``.
    counts : dict, optional
        wave -> :func:`~cxstudy.level_counts` of that wave's responses (computed from
        ``responses`` when omitted). With ``responses`` None the waves are those of
        ``counts``, in the study's order; each counts' own wave must be its key.

    Returns
    -------
    pandas.DataFrame
        The ``trends.csv`` columns of docs/outputs.md (``item, text, dimension, group,
        reference, from_wave, to_wave, n_from, ..., change, change_low, change_high,
        p_value, p_adjusted, top_box_change, ..., suppressed``) then ``top_box_from,
        top_box_to, top_box_ref_from, top_box_ref_to, note, p_adjusted_headline``. Empty
        with fewer than two waves in ``responses``.

    Notes
    -----
    .. math:: \\Delta = (p_{a,t} - p_{r,t}) - (p_{a,s} - p_{r,s})

    with the MOVER interval from the Wilson limits :math:`(l_i, u_i)` of the four
    shares, :math:`c_i = \\pm 1` their signs in :math:`\\Delta`:

    .. math:: L = \\Delta - \\sqrt{\\sum_i (\\hat p_i - l_i)^2 [c_i > 0]
              + (u_i - \\hat p_i)^2 [c_i < 0]}

    and U likewise with the limits swapped; p is the two-sided z test with the unpooled
    SE :math:`\\sqrt{\\sum_i p_i(1-p_i)/n_i}`. Returning respondents make the waves
    dependent; the interval ignores that positive covariance and is then conservative.

    References
    ----------
    Zou, G. Y. & Donner, A. (2008). Construction of confidence limits about effect
    measures: a general approach. Statistics in Medicine 27, 1693-1702.

    Newcombe, R. G. (2011). Propagating imprecision: combining confidence intervals from
    independent sources. Communications in Statistics - Theory and Methods 40,
    3154-3180.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> responses = cx.clean(cx.read_sources(study), study).responses  # doctest: +SKIP
    >>> cx.trend_table(responses, study).query("item == 'excellent'")  # doctest: +SKIP
    """
    if responses is None and counts is None:
        raise ValueError("trend_table: give the responses, or each wave's counts (counts=)")
    waves = waves_in(responses, study) if responses is not None else \
        [w for w in study.waves if w in counts]
    if responses is None and set(counts) - set(waves):
        raise ValueError(f"trend_table: counts of wave(s) "
                         f"{sorted(map(str, set(counts) - set(waves)))} that the study does "
                         f"not declare (waves: {', '.join(study.waves) or 'none'})")
    counts = counts or {w: level_counts(one_wave(responses, w), study) for w in waves}
    for wave in waves:
        if wave not in counts:
            raise ValueError(f"trend_table: no counts of wave {wave}")
        said = getattr(counts[wave], "wave", None)
        if said is not None and said != wave:
            raise ValueError(f"trend_table: the counts given as wave {wave} are of wave "
                             f"{said}")
    reference = study.groups.index(study.reference)
    others = [g for g in range(len(study.groups)) if g != reference]
    parts = [_pair_trends(counts[before], counts[after], before, after, reference, others,
                          study) for before, after in itertools.pairwise(waves)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=TRENDS.all_columns)
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    table["p_adjusted_headline"] = adjust_headline(table, study,
                                                   by=["from_wave", "to_wave"])
    return conform(table, TRENDS)


def headline_items(study: Study) -> list[str]:
    """The ids of the study's headline items (``headline: true``), else of its first item:
    the item the executive summary leads with."""
    return [i.id for i in study.items if i.headline] or [i.id for i in study.items[:1]]


def adjust_headline(table: pd.DataFrame, study: Study, *,
                    by: list[str] | None = None) -> np.ndarray:
    """p-values adjusted within the *headline family*: the tests of the headline items
    (:func:`headline_items`) only, with the study's correction; NaN for every other row.

    The headline items are the study's primary question, so their tests are not diluted
    by the rest of the table (``p_adjusted`` corrects over every row). The family is the
    headline items' rows against every audience, within each group of ``by`` (the trends:
    each pair of waves; a table of several waves: each ``wave``). Rows without a p-value
    (suppressed, not asked, a break) are not part of the family.

    Notes
    -----
    Holm: with the m p-values of the family sorted, :math:`\\tilde p_{(i)} = \\max_{j \\le i}
    \\min(1, (m - j + 1) p_{(j)})` (Holm 1979); the same as
    ``statsmodels.stats.multitest.multipletests`` over those rows alone.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6, 65-70.
    """
    adjusted = np.full(len(table), np.nan)
    if not len(table) or "item" not in table.columns:
        return adjusted
    member = table["item"].isin(headline_items(study)).to_numpy(dtype=bool)
    keys = [k for k in (by or []) if k in table.columns]
    groups = (table.groupby(keys, sort=False).indices.values() if keys
              else [np.arange(len(table))])
    for rows in groups:
        rows = np.asarray(rows)[member[np.asarray(rows)]]
        if len(rows):
            adjusted[rows] = stats.adjust_pvalues(
                table["p_value"].to_numpy(dtype=float)[rows], study.correction)
    return adjusted


def headline_family_size(table: pd.DataFrame, study: Study, *,
                         by: dict[str, str] | None = None) -> int:
    """How many tests the headline family of ``table`` holds (rows of the headline items
    with a p-value), within the rows matching ``by`` (column -> value)."""
    if not len(table) or "item" not in table.columns:
        return 0
    rows = table["item"].isin(headline_items(study)) & table["p_value"].notna()
    for column, value in (by or {}).items():
        rows &= table[column] == value
    return int(rows.sum())


def _pair_trends(before: LevelCounts, after: LevelCounts, from_wave: str, to_wave: str,
                 reference: int, others: list[int], study: Study) -> pd.DataFrame:
    """The trend rows of one pair of waves (the estimates of the formula in the module)."""
    if before.items != after.items:
        raise ValueError(f"the counts of wave {from_wave} are of items {before.items}, those "
                         f"of wave {to_wave} of {after.items}: count both with the same "
                         "study")
    s_from, e_from, n_from = before.top_box_counts()
    s_to, e_to, n_to = after.top_box_counts()
    items = {i.id: i for i in study.items}
    rows = []
    for row, item_id in enumerate(before.items):
        for g in others:
            x = np.array([s_to[row, g], s_to[row, reference], s_from[row, g],
                          s_from[row, reference]])
            e = np.array([e_to[row, g], e_to[row, reference], e_from[row, g],
                          e_from[row, reference]])
            with np.errstate(divide="ignore", invalid="ignore"):
                p = x / e
            low, high = stats.wilson_interval(x, e, study.confidence)
            change, change_low, change_high = mover_interval(p, low, high, [1, -1, -1, 1])
            moved = stats.newcombe_interval(x[[0, 1]], e[[0, 1]], x[[2, 3]], e[[2, 3]],
                                            study.confidence)
            rows.append({
                "item": item_id, "text": items[item_id].text,
                "dimension": items[item_id].dimension, "group": study.groups[g],
                "reference": study.reference, "from_wave": from_wave, "to_wave": to_wave,
                "n_from": int(n_from[row, g]), "n_ref_from": int(n_from[row, reference]),
                "n_to": int(n_to[row, g]), "n_ref_to": int(n_to[row, reference]),
                "gap_from": p[2] - p[3], "gap_to": p[0] - p[1], "change": float(change),
                "change_low": float(change_low), "change_high": float(change_high),
                "p_value": float(change_z_test(p, e, [1, -1, -1, 1])), "p_adjusted": np.nan,
                "top_box_change": p[0] - p[2], "top_box_change_low": moved[0][0],
                "top_box_change_high": moved[1][0], "top_box_ref_change": p[1] - p[3],
                "top_box_ref_change_low": moved[0][1], "top_box_ref_change_high": moved[1][1],
                "top_box_from": p[2], "top_box_to": p[0], "top_box_ref_from": p[3],
                "top_box_ref_to": p[1], "note": _trend_note(items[item_id], from_wave, to_wave,
                                                   tuple(study.waves)),
            })
    table = pd.DataFrame(rows, columns=[c for c in TRENDS.all_columns if c != "suppressed"])
    not_asked = table["note"].str.startswith(("not asked", "break")).to_numpy(dtype=bool)
    small = np.column_stack([too_small(table[c], study) for c in
                             ("n_from", "n_ref_from", "n_to", "n_ref_to")]).any(axis=1)
    suppress(table, TRENDS, small | not_asked)
    table.loc[not_asked, "suppressed"] = False  # blank: not asked / a break, not privacy
    table.loc[small & ~not_asked, "note"] = study.suppression_note(where="in a wave")
    return table


def _trend_note(item, from_wave: str, to_wave: str, waves: tuple[str, ...]) -> str:
    missing = [w for w in (from_wave, to_wave) if not item.asked_in(w)]
    if missing:
        return f"not asked in wave {' and '.join(missing)}"
    return break_note(item) if item.breaks_between(from_wave, to_wave, waves) else ""


def break_note(item) -> str:
    """How a table says that no change is computed across an item's break."""
    return (f"break in series at wave {item.series_break.wave}: "
            f"{item.series_break.reason}")


def _changes(table: pd.DataFrame, keys: list[str], value: str, se: str, study: Study,
             spec) -> pd.DataFrame:
    """Consecutive-wave changes of an estimate with a standard error, as the table of
    ``spec``: change, normal interval with SE √(SE₁² + SE₂²), two-sided p, the study's
    correction; a change involving a suppressed estimate is suppressed."""
    from scipy import stats as sps

    waves = [w for w in study.waves if "wave" in table and w in set(table["wave"])]
    z = stats.z_value(study.confidence)
    rows = []
    for key, part in (table.groupby(keys, sort=False) if len(waves) > 1 else []):
        by_wave = part.set_index("wave")
        for before, after in itertools.pairwise(waves):
            if before not in by_wave.index or after not in by_wave.index:
                continue
            a, b = by_wave.loc[before], by_wave.loc[after]
            change = b[value] - a[value]
            error = float(np.sqrt(a[se] ** 2 + b[se] ** 2))
            p_value = float(2 * sps.norm.sf(abs(change) / error)) if error > 0 else np.nan
            rows.append({**dict(zip(keys, key, strict=True)),
                         "from_wave": before, "to_wave": after, "value_from": a[value],
                         "value_to": b[value], "change": change, "se": error,
                         "change_low": change - z * error, "change_high": change + z * error,
                         "p_value": p_value, "p_adjusted": np.nan,
                         "suppressed": bool(a["suppressed"] or b["suppressed"])})
    changes = pd.DataFrame(rows).reindex(columns=spec.all_columns)
    if len(changes):
        suppress(changes, spec, changes["suppressed"].astype(bool).to_numpy())
        changes["p_adjusted"] = stats.adjust_pvalues(changes["p_value"], study.correction)
    return changes


def dimension_trends(dimensions: pd.DataFrame, study: Study) -> pd.DataFrame:
    """How each dimension's difference from the reference changed between consecutive
    waves: ``value_*`` are the mean differences, SE √(SE₁² + SE₂²) of their Welch SEs.

    Takes the :func:`~cxstudy.dimension_gaps` table of a study with waves. A dimension
    with an item whose series breaks between two waves (``break:``) has no row for that
    pair: its mean score is not the same measure on both sides of the break.
    """
    changes = _changes(dimensions, ["dimension", "group", "reference"], "mean_diff",
                       "mean_diff_se", study, DIMENSION_TRENDS)
    broken = [(item.dimension, item) for item in study.items if item.series_break]
    if not broken or changes.empty:
        return changes
    across = np.array([any(dimension == row.dimension and item.breaks_between(
        row.from_wave, row.to_wave, tuple(study.waves)) for dimension, item in broken)
        for row in changes.itertuples()], dtype=bool)
    kept = changes[~across].reset_index(drop=True)
    if across.any() and len(kept):
        kept["p_adjusted"] = stats.adjust_pvalues(kept["p_value"], study.correction)
    return kept


def metric_trends(metrics: pd.DataFrame, study: Study) -> pd.DataFrame:
    """How each metric changed for each audience between consecutive waves (SE
    √(SE₁² + SE₂²), normal interval). Takes the :func:`~cxstudy.metric_table` of a study
    with waves."""
    return _changes(metrics, ["metric", "kind", "group"], "value", "se", study,
                    METRIC_TRENDS)


@dataclass(frozen=True, eq=False)
class RespondentIds:
    """Who answered in one wave, by id: what the returning respondents are counted from.

    Per audience the sorted distinct 64-bit hashes of the respondent ids (rows without an
    id hold none), kept as a few sorted runs that :meth:`__add__` merges as they grow
    alike in size (a streaming run's many blocks cost :math:`O(n \\log b)`, never a sort
    of everything per block); :meth:`hashes` merges them into one.

    This is the one counts table that grows with the respondents: 8 bytes per respondent
    with an id (1M: 8 MB; 50M: 400 MB), only in a study of two or more waves. Counting
    exactly how many respondents two waves share needs every id of both (the size of an
    intersection cannot be told from less: its communication complexity is linear); a
    sketch (HyperLogLog, MinHash) would be small but approximate. Two different ids share
    a hash with probability :math:`2^{-64}` per pair: for 50 million ids about
    :math:`n^2/2^{65} \\approx 7 \\cdot 10^{-5}` that any two do, which would count one
    respondent as returning.

    Attributes
    ----------
    groups : tuple of str
    wave : str or None
    n : ndarray, shape (groups,)
        Respondents per audience (with or without an id).
    runs : tuple of tuple of ndarray
        Per audience, sorted runs of distinct uint64 hashes.
    """

    groups: tuple[str, ...]
    wave: str | None
    n: np.ndarray
    runs: tuple[tuple[np.ndarray, ...], ...]

    def __add__(self, other: RespondentIds) -> RespondentIds:
        """The ids of two disjoint sets of one wave's respondents together."""
        if (self.groups, self.wave) != (other.groups, other.wave):
            raise ValueError(f"cannot add the respondent ids of wave {other.wave!r} and "
                             f"audiences {other.groups} to those of wave {self.wave!r} and "
                             f"audiences {self.groups}: count both with the same study and "
                             "wave")
        return RespondentIds(self.groups, self.wave, self.n + other.n, tuple(
            _compact([*mine, *theirs]) for mine, theirs in zip(self.runs, other.runs,
                                                                 strict=True)))

    def hashes(self, group: int) -> np.ndarray:
        """The sorted distinct hashes of one audience's ids (by its position)."""
        runs = self.runs[group]
        return _merge(list(runs)) if len(runs) > 1 else (
            runs[0] if runs else np.zeros(0, dtype=np.uint64))

    @property
    def nbytes(self) -> int:
        """The memory its arrays take."""
        return self.n.nbytes + sum(run.nbytes for runs in self.runs for run in runs)


def _merge(runs: list[np.ndarray]) -> np.ndarray:
    """Sorted distinct values of sorted runs (a stable sort merges runs in linear time;
    numpy's own unique is many times slower on 64-bit integers)."""
    merged = np.concatenate(runs)
    merged.sort(kind="stable")
    if len(merged) < 2:
        return merged
    return merged[np.concatenate([[True], merged[1:] != merged[:-1]])]


def _compact(runs: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Runs with the last ones merged while they are alike in size (at most twice)."""
    runs = [run for run in runs if len(run)]
    while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
        runs[-2:] = [_merge(runs[-2:])]
    return tuple(runs)


def respondent_ids(responses: pd.DataFrame, study: Study, *,
                   wave: str | None = None) -> RespondentIds:
    """The ids of one wave's respondents per audience (:class:`RespondentIds`), hashed
    to 64 bits (``pandas.util.hash_array``: SipHash of the id's text); only in a study of
    two or more waves (otherwise no hash is kept: nobody can return). Any 64-bit hash
    serves (a warehouse's own, say) as long as every wave's ids go through the same.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses of one wave (or a block of them).
    study : Study
    wave : str, optional
        The wave they are of; by default the one wave the responses hold.

    Returns
    -------
    RespondentIds
    """
    if wave is None:
        present = waves_in(responses, study)
        if len(present) > 1:
            raise ValueError(f"respondent ids are of one wave; these responses hold "
                             f"{', '.join(present)}: count each wave apart")
        wave = present[0] if present else None
    groups = tuple(study.groups)
    group = group_codes(responses, groups)
    n = np.bincount(group[group >= 0], minlength=len(groups)).astype(np.int64)
    if len(study.waves) < 2 or "respondent_id" not in responses.columns:
        return RespondentIds(groups, wave, n, tuple(() for _ in groups))
    ids = responses["respondent_id"]
    known = ids.notna().to_numpy(dtype=bool) & (group >= 0)
    hashes = pd.util.hash_array(ids[known].astype(str).to_numpy(dtype=object),
                                categorize=False)
    mine = group[known]
    return RespondentIds(groups, wave, n, tuple(
        _compact([_merge([hashes[mine == k]])]) for k in range(len(groups))))


def returning_respondents(responses: pd.DataFrame | None, study: Study, *,
                          counts: list[RespondentIds] | None = None) -> pd.DataFrame:
    """Per audience: respondents in each wave and how many answered in more than one
    (the same respondent id: a panel). Empty for a study without waves.

    Each (audience, respondent id) is one person, and a person who answered in two or
    more of the waves returned; rows without an id or a wave count in no person. Counted
    from each wave's ids (:func:`respondent_ids`: the sorted distinct
    64-bit hashes of the ids per audience): a hash held by two or more waves is a person
    who returned.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses of every wave (None when ``counts`` are given).
    study : Study
    counts : list of RespondentIds, optional
        Each wave's ids (:func:`respondent_ids`), in the study's order of waves.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n <wave>`` for each wave, ``returning``.
    """
    if counts is None:
        if responses is None:
            raise ValueError("give the responses or each wave's ids (respondent_ids)")
        counts = [respondent_ids(one_wave(responses, w), study, wave=w)
                  for w in waves_in(responses, study)]
    waves = [part for part in counts if part.wave is not None]
    if not waves:
        return pd.DataFrame(columns=["group", "returning"])
    groups = waves[0].groups
    returning = []
    for g in range(len(groups)):
        hashes = np.concatenate([part.hashes(g) for part in waves])
        hashes.sort(kind="stable")  # the waves' sorted runs merged
        again = hashes[1:] == hashes[:-1]  # each a person's second (third...) wave
        returning.append(int(np.count_nonzero(again[1:] & ~again[:-1]) + again[:1].sum()))
    return pd.DataFrame([{"group": group_name,
                          **{f"n {part.wave}": int(part.n[g]) for part in waves},
                          "returning": returning[g]}
                         for g, group_name in enumerate(groups)])

"""Segments: where in the business is the gap?

A segment splits the audiences by a column (region, channel, product line, tenure).
Within a level, an audience that was asked the segment is compared with the reference in
the same level; an audience that was not asked (leaders have no "customer tenure") is
compared overall against the reference's level. The gap machinery is the item gaps'
(Wilson shares, Newcombe's interval, score test or Fisher's, the study's correction over
the table), and for each (segment, item, audience) a Pearson chi-square test of top box
against level says whether the levels differ at all.

Privacy: a level with fewer than ``min_group_size`` respondents shows nothing, and where
exactly one level of a breakdown is hidden the next smallest is hidden too
(:func:`~cxstudy.tables.complementary`), so no hidden level can be recovered from the
audience's total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .counts import LevelCounts, level_counts
from .model import Segment, Study
from .tables import SEGMENTS, complementary, conform, suppress, too_small
from .waves import per_wave


def segment_levels_in(responses: pd.DataFrame, segment: Segment) -> list[str]:
    """The levels of a segment in display order: ``order``, else the bands of ``bins``,
    else as the map lists them, else as first seen; levels not in ``order`` follow it."""
    seen = list(dict.fromkeys(str(level) for level in responses[segment.id].dropna().unique()))
    preferred = list(segment.order or segment.band_names() or dict.fromkeys(
        (segment.map or {}).values()))
    return [level for level in preferred if level in seen] + [
        level for level in seen if level not in preferred]


@per_wave
def segment_table(responses: pd.DataFrame, study: Study, *,
                  counts: LevelCounts | None = None) -> pd.DataFrame:
    """Every item's gap within every level of every segment.

    One row per (segment, level, item, audience other than the reference): the audience's
    top-box share (in the level, or overall when it was not asked the segment:
    ``compared``) against the reference's in the level, the gap with Newcombe's interval,
    score-test p (Fisher's exact under 5 expected), the study's correction over the table,
    and ``levels_p_value``: Pearson's chi-square test of the audience's top box against
    level (``levels_p_value_ref``: the reference's). Suppressed levels (and their
    complements) show nothing.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`), one column per segment.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``segments``, audiences,
        reference, items, ``confidence``, ``correction``, ``min_group_size``.
    counts : LevelCounts, optional
        :func:`~cxstudy.level_counts` of all the responses (for the overall side).

    Returns
    -------
    pandas.DataFrame
        The ``segments.csv`` columns of docs/outputs.md, ``segment, level, item, text,
        group, reference, n, n_ref, top_box, top_box_ref, gap, gap_low, gap_high,
        p_value, p_adjusted, suppressed, levels_p_value``, then ``label, compared,
        top_box_low, top_box_high, top_box_ref_low, top_box_ref_high, test,
        levels_p_value_ref, note``. With a ``wave`` column first in a study with waves.

    Notes
    -----
    The gap :math:`\\hat p_{g,level} - \\hat p_{ref,level}` has Newcombe's hybrid score
    interval and the score test of :func:`~cxstudy.stats.score_test`;
    ``levels_p_value`` is Pearson's :math:`X^2 = \\sum (O - E)^2 / E` of the
    (level x top box) table over the levels shown, on (levels shown - 1) df.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Pearson, K. (1900). On the criterion that a given system of deviations from the
    probable in the case of a correlated system of variables is such that it can be
    reasonably supposed to have arisen from random sampling. Philosophical Magazine
    (5th series) 50, 157-175.

    Examples
    --------
    >>> cx.segment_table(responses, study).query("segment == 'region'")  # doctest: +SKIP
    """
    overall = counts if counts is not None else level_counts(responses, study)
    parts = [_segment_rows(responses, study, segment, overall) for segment in study.segments
             if segment.id in responses.columns]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[c for c in SEGMENTS.all_columns if c != "suppressed"])
    table = suppress(table, SEGMENTS, table.pop("_hidden").astype(bool).to_numpy()
                     if "_hidden" in table else np.zeros(len(table), bool))
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return conform(table, SEGMENTS)


def _segment_rows(responses, study: Study, segment: Segment, overall: LevelCounts):
    """The rows of one segment: arrays (levels, items, groups) of shares, then rows."""
    levels = segment_levels_in(responses, segment)
    if not levels:
        return pd.DataFrame()
    counted = responses[[c for c in ("group", "weight", *(i.id for i in study.items))
                         if c in responses.columns]]  # what counting reads: no text copied
    in_level = responses[segment.id]
    per_level = [level_counts(counted[(in_level == level).to_numpy(bool, na_value=False)]
                              .reset_index(drop=True), study).top_box_counts()
                 for level in levels]
    x, e, n = (np.stack([part[k] for part in per_level]) for k in range(3))
    all_x, all_e, all_n = overall.top_box_counts()
    asked = np.array([g in segment.columns for g in study.groups])
    # the side of each audience: its level when asked, its overall share when not
    x, e, n = (np.where(asked, level, whole[None])
               for level, whole in ((x, all_x), (e, all_e), (n, all_n)))
    # per (level, item, group): a level too small, and its complement; an audience
    # compared overall is hidden everywhere when it is itself too small
    hidden = np.zeros(n.shape, bool)
    for item in range(n.shape[1]):
        for g in range(n.shape[2]):
            hidden[:, item, g] = complementary(n[:, item, g], study) if asked[g] else \
                too_small(n[:, item, g], study)
    reference = study.groups.index(study.reference)
    items = {i.id: i for i in study.items}
    rows = []
    for g in range(len(study.groups)):
        if g == reference or not (asked[g] or asked[reference]):
            continue
        levels_p = _levels_test(x[:, :, g], e[:, :, g], hidden[:, :, g]) if asked[g] \
            else np.full(n.shape[1], np.nan)
        levels_p_ref = _levels_test(x[:, :, reference], e[:, :, reference],
                                    hidden[:, :, reference])
        for position, level in enumerate(levels):
            rows.append(_level_frame(
                x[position], e[position], n[position], g, reference, study, overall.items,
                items, segment, level, "level" if asked[g] else "overall",
                hidden[position, :, g] | hidden[position, :, reference], levels_p,
                levels_p_ref))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _level_frame(x, e, n, g, reference, study: Study, item_ids, items, segment: Segment,
                 level: str, compared: str, hidden, levels_p, levels_p_ref) -> pd.DataFrame:
    """One level's rows for one audience, one per item."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p, p_ref = x[:, g] / e[:, g], x[:, reference] / e[:, reference]
    low, high = stats.wilson_interval(x[:, g], e[:, g], study.confidence)
    low_ref, high_ref = stats.wilson_interval(x[:, reference], e[:, reference],
                                              study.confidence)
    gap_low, gap_high = stats.newcombe_interval(x[:, g], e[:, g], x[:, reference],
                                                e[:, reference], study.confidence)
    p_value, test = stats.score_test(x[:, g], e[:, g], x[:, reference], e[:, reference])
    return pd.DataFrame({
        "segment": segment.id, "level": level, "item": list(item_ids),
        "text": [items[i].text for i in item_ids], "group": study.groups[g],
        "reference": study.reference, "n": n[:, g].astype(int),
        "n_ref": n[:, reference].astype(int), "top_box": p, "top_box_ref": p_ref,
        "gap": p - p_ref, "gap_low": gap_low, "gap_high": gap_high, "p_value": p_value,
        "p_adjusted": np.nan, "levels_p_value": levels_p, "label": segment.label,
        "compared": compared, "top_box_low": low, "top_box_high": high,
        "top_box_ref_low": low_ref, "top_box_ref_high": high_ref, "test": test,
        "levels_p_value_ref": levels_p_ref,
        "note": np.where(hidden, study.suppression_note(
            where="in this level or its complement"), ""),
        "_hidden": hidden})


def _levels_test(x: np.ndarray, e: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Per item, Pearson's chi-square p of top box against level (levels x items arrays),
    over the levels shown; NaN with fewer than two levels or no variation."""
    from scipy import stats as sps

    result = np.full(x.shape[1], np.nan)
    for item in range(x.shape[1]):
        shown = ~hidden[:, item] & (e[:, item] > 0)
        if shown.sum() < 2:
            continue
        table = np.stack([x[shown, item], e[shown, item] - x[shown, item]], axis=1)
        if (table.sum(axis=0) <= 0).any():
            continue
        result[item] = sps.chi2_contingency(table, correction=False).pvalue
    return result

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
from .tables import (
    NOT_HIDDEN,
    SEGMENTS,
    TOO_SMALL,
    complement_of,
    conform,
    suppress,
    too_small,
)
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
    table["gap_levels_p_adjusted"] = _adjust_per_test(table, study)
    return conform(table, SEGMENTS)


def _adjust_per_test(table: pd.DataFrame, study: Study) -> np.ndarray:
    """``gap_levels_p_value`` adjusted with the study's correction over its family: one
    test per (segment, item, audience), each counted once (every level's row repeats it)."""
    if table.empty:
        return np.array([], float)
    keys = ["segment", "item", "group"]
    first = table.drop_duplicates(keys)[[*keys, "gap_levels_p_value"]].copy()
    first["adjusted"] = stats.adjust_pvalues(first["gap_levels_p_value"], study.correction)
    return table[keys].merge(first[[*keys, "adjusted"]], on=keys, how="left")[
        "adjusted"].to_numpy(float)


def pooled_levels(responses: pd.DataFrame, study: Study, segment: Segment
                  ) -> tuple[pd.Series, list[str]]:
    """The segment's column with its small levels pooled into ``segment.other`` (a
    study file's ``other:``), and the levels pooled, smallest first.

    Pooled are the levels ``other.levels`` names and every level with respondents but
    fewer than ``min_group_size`` in an audience asked the segment (and a level already
    named ``other``, when there is one). Nothing else joins: a pool still below
    ``min_group_size`` is hidden like any small level, with its complement, rather than
    give a real level a name that is not its own. Without ``other:`` the column is
    returned unchanged and nothing is pooled.
    """
    column = responses[segment.id]
    if segment.other is None:
        return column, []
    other = segment.other
    asked = [g for g in study.groups if g in segment.columns]
    in_asked = responses["group"].isin(asked).to_numpy(bool)
    sizes = (pd.crosstab(column[in_asked], responses.loc[in_asked, "group"])
             .reindex(columns=asked, fill_value=0))
    small = ((sizes > 0) & (sizes < study.min_group_size)).any(axis=1)
    pool = [lv for lv in sizes.index if lv != other and (small[lv] or lv in
                                                         segment.other_levels)]
    if not pool:
        return column, []
    pool = sorted(pool, key=lambda lv: int(sizes.loc[lv].sum()))
    pooled = column.astype(object).where(~column.isin(pool), segment.other)
    return pooled.astype(column.dtype), pool


def _segment_rows(responses, study: Study, segment: Segment, overall: LevelCounts):
    """The rows of one segment: arrays (levels, items, groups) of shares, then rows."""
    column, pool = pooled_levels(responses, study, segment)
    if pool:
        responses = responses.assign(**{segment.id: column})
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
    # per (level, item, group) why it is hidden (tables.complement_of): shown, too small,
    # or the position of the small level it protects; an audience compared overall is
    # hidden everywhere when it is itself too small
    why = np.full(n.shape, NOT_HIDDEN)
    for item in range(n.shape[1]):
        for g in range(n.shape[2]):
            why[:, item, g] = complement_of(n[:, item, g], study) if asked[g] else \
                np.where(too_small(n[:, item, g], study), TOO_SMALL, NOT_HIDDEN)
    hidden = why != NOT_HIDDEN
    reference = study.groups.index(study.reference)
    items = {i.id: i for i in study.items}
    quoted = [f"“{lv}”" for lv in pool]
    pooled_note = ("pools " + (quoted[0] if len(quoted) == 1 else
                               ", ".join(quoted[:-1]) + " and " + quoted[-1])) if pool else ""
    rows = []
    for g in range(len(study.groups)):
        if g == reference or not (asked[g] or asked[reference]):
            continue
        levels_p = _levels_test(x[:, :, g], e[:, :, g], hidden[:, :, g]) if asked[g] \
            else np.full(n.shape[1], np.nan)
        levels_p_ref = _levels_test(x[:, :, reference], e[:, :, reference],
                                    hidden[:, :, reference])
        row_hidden = hidden[:, :, g] | hidden[:, :, reference]
        gap_levels_p = (_gap_levels_test(x[:, :, g], e[:, :, g], x[:, :, reference],
                                         e[:, :, reference], row_hidden)
                        if asked[g] and asked[reference] else
                        levels_p if asked[g] else levels_p_ref)
        for position, level in enumerate(levels):
            notes = [_why_hidden(why, n, position, item, g, reference, levels, study, asked)
                     for item in range(n.shape[1])]
            if level == segment.other and pool:
                notes = ["; ".join(part for part in (note, pooled_note) if part)
                         for note in notes]
            rows.append(_level_frame(
                x[position], e[position], n[position], g, reference, study, overall.items,
                items, segment, level, "level" if asked[g] else "overall",
                row_hidden[position], levels_p, levels_p_ref, gap_levels_p, notes))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _why_hidden(why, n, position: int, item: int, g: int, reference: int,
                levels: list[str], study: Study, asked) -> str:
    """The note of one (level, item, audience) row: why it is hidden, naming the audience
    too small in it (or in all, for an audience compared overall) or the small level it
    protects; "" when shown."""
    parts = []
    for side in (g, reference):
        reason = int(why[position, item, side])
        label = study.label(study.groups[side])
        if reason == TOO_SMALL:
            parts.append(study.suppression_note(
                int(n[position, item, side]),
                where=f"of {label} in this level" if asked[side] else f"of {label}"))
        elif reason >= 0:
            parts.append(f"hidden so that the {int(n[reason, item, side])}-person "
                         f"“{levels[reason]}” level of {label} cannot be worked out by "
                         "subtraction from the total")
    return "; ".join(dict.fromkeys(parts))


def _level_frame(x, e, n, g, reference, study: Study, item_ids, items, segment: Segment,
                 level: str, compared: str, hidden, levels_p, levels_p_ref, gap_levels_p,
                 notes) -> pd.DataFrame:
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
        "levels_p_value_ref": levels_p_ref, "note": notes,
        "gap_levels_p_value": gap_levels_p, "_hidden": hidden})


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


def _gap_levels_test(x, e, x_ref, e_ref, hidden: np.ndarray) -> np.ndarray:
    """Per item, whether the gap differs across the levels shown: Cochran's Q test of
    heterogeneity of the level gaps (levels x items arrays); NaN with fewer than two.

    :math:`Q = \\sum_k w_k (d_k - \\bar d)^2`, :math:`w_k = 1 / v_k`,
    :math:`\\bar d = \\sum w_k d_k / \\sum w_k`, on (levels - 1) df, where :math:`d_k` is
    the level's gap and :math:`v_k = \\tilde p(1-\\tilde p)/n + \\tilde p_r(1-\\tilde p_r)/n_r`
    its variance from Agresti and Caffo's shares :math:`\\tilde p = (x + 1)/(n + 2)` (never
    zero when a level's shares are 0 or 1). Cochran, W. G. (1954). The combination of
    estimates from different experiments. Biometrics 10, 101-129. Agresti, A. & Caffo, B.
    (2000). Simple and effective confidence intervals for proportions and differences of
    proportions result from adding two successes and two failures. The American
    Statistician 54, 280-288.
    """
    from scipy import stats as sps

    result = np.full(x.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = x / e - x_ref / e_ref
        p, p_ref = (x + 1) / (e + 2), (x_ref + 1) / (e_ref + 2)
        weight = 1 / (p * (1 - p) / e + p_ref * (1 - p_ref) / e_ref)
    for item in range(x.shape[1]):
        shown = ~hidden[:, item] & (e[:, item] > 0) & (e_ref[:, item] > 0)
        if shown.sum() < 2:
            continue
        d, w = gap[shown, item], weight[shown, item]
        mean = (w * d).sum() / w.sum()
        result[item] = sps.chi2.sf((w * (d - mean) ** 2).sum(), shown.sum() - 1)
    return result

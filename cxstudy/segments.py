"""Segments: where in the business is the gap?

A segment splits the audiences by a column (region, channel, product line, tenure).
Within a level, an audience that was asked the segment is compared with the reference in
the same level; an audience that was not asked (leaders have no "customer tenure") is
compared overall against the reference's level. The gap machinery is the item gaps'
(Wilson shares, Newcombe's interval, score test or Fisher's, the study's correction over
the table), and for each (segment, item, audience) a Pearson chi-square test of top box
against level says whether the levels differ at all.

Counting. Every figure of the table is a function of how many respondents of each
audience gave each answer to each item in each level: :func:`segment_counts` counts them
in one vectorised pass per (segment, item), an ``np.bincount`` over the key

.. math:: key = ((\\ell \\cdot (G + 1) + g) \\cdot (k_{max} + 1) + c

with :math:`\\ell` the level (first seen first; the last slot: no level), :math:`g` the
audience (slot :math:`G`: none of the study's), :math:`c` the answer's code (0 missing).
The counts (:class:`SegmentCounts`) are additive: the counts of two disjoint sets of a
wave's respondents added with ``+`` are the counts of their union, so a study can be
counted block by block or by SQL anywhere; their size is levels x items x audiences x
points, not respondents. Weights: :math:`\\sum w` and :math:`\\sum w^2` per cell, so that
Kish's effective n is known for every level and for the audience's total.

Privacy: a level with fewer than ``min_group_size`` respondents shows nothing, and where
exactly one level of a breakdown is hidden the next smallest is hidden too
(:func:`~cxstudy.tables.complementary`), so no hidden level can be recovered from the
audience's total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .counts import LevelCounts, chosen_items, group_codes, item_codes, respondent_weights
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

# ---------------------------------------------------------------------------
# the counts


@dataclass(frozen=True)
class SegmentLevels:
    """The answers of one segment's levels: what :func:`segment_table` needs of it.

    Attributes
    ----------
    levels : tuple of str
        The levels in the order first seen (the last slot of every array, one past these,
        holds the respondents without a level).
    counts : ndarray, shape (levels + 1, items, groups, k_max)
        Weighted counts of answers 1..k per (level, item, audience).
    raw : ndarray, shape (levels + 1, items, groups, k_max)
        Unweighted counts.
    squares : ndarray or None
        Sums of squared weights, same shape (None when every respondent weighs 1).
    rows : ndarray, shape (levels + 1, groups)
        Respondents per (level, audience), whether or not they answered an item (what
        pooling small levels looks at).
    reweighted : ndarray, shape (levels + 1,)
        Respondents of each level (any audience) with a weight other than 1: a level
        without any is counted unweighted, as :func:`~cxstudy.counts.level_counts` counts
        its responses.
    """

    levels: tuple[str, ...]
    counts: np.ndarray
    raw: np.ndarray
    squares: np.ndarray | None
    rows: np.ndarray
    reweighted: np.ndarray

    def __add__(self, other: SegmentLevels) -> SegmentLevels:
        """Both sets of respondents: the levels of ``self``, then those only ``other``
        saw (first seen first, as in the responses read one block after the other)."""
        levels = list(self.levels) + [lv for lv in other.levels if lv not in self.levels]
        at = {level: position for position, level in enumerate(levels)}
        mine = [*range(len(self.levels)), len(levels)]
        theirs = [*(at[lv] for lv in other.levels), len(levels)]

        def together(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            total = np.zeros((len(levels) + 1, *a.shape[1:]), dtype=np.result_type(a, b))
            total[mine] += a
            total[theirs] += b
            return total

        squares = None
        if self.squares is not None or other.squares is not None:
            squares = together(self.raw if self.squares is None else self.squares,
                               other.raw if other.squares is None else other.squares)
        return SegmentLevels(tuple(levels), together(self.counts, other.counts),
                             together(self.raw, other.raw), squares,
                             together(self.rows, other.rows),
                             together(self.reweighted, other.reweighted))

    def merged(self, levels: list[str]) -> SegmentLevels:
        """The counts with each level renamed to ``levels[i]`` (several levels of one
        name, such as those pooled into ``other``, added; first seen first); the slot of
        no level stays last."""
        names = list(dict.fromkeys(levels))
        target = np.array([*(names.index(lv) for lv in levels), len(names)])

        def fold(array: np.ndarray | None) -> np.ndarray | None:
            if array is None:
                return None
            total = np.zeros((len(names) + 1, *array.shape[1:]), dtype=array.dtype)
            np.add.at(total, target, array)
            return total

        return SegmentLevels(tuple(names), fold(self.counts), fold(self.raw),
                             fold(self.squares), fold(self.rows), fold(self.reweighted))

    def whole(self) -> SegmentLevels:
        """Every respondent, with a level or without, in one slot (the audiences' totals:
        the overall side); no level listed."""
        def fold(array: np.ndarray | None) -> np.ndarray | None:
            return None if array is None else array.sum(axis=0, keepdims=True)

        return SegmentLevels((), fold(self.counts), fold(self.raw), fold(self.squares),
                             fold(self.rows), fold(self.reweighted))

    def top_box_counts(self, k: np.ndarray, top_box: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(top-box successes, effective n, respondents who answered), each of shape
        (levels + 1, items, groups): :meth:`~cxstudy.counts.LevelCounts.top_box_counts`
        of each level. A level with weights has its counts rescaled to total Kish's
        :math:`n_{eff} = (\\sum w)^2 / \\sum w^2`."""
        answered = self.raw.sum(axis=-1)
        totals = self.counts.sum(axis=-1)
        effective = self.counts
        weighted = self.reweighted > 0
        if weighted.any():
            squares = (self.raw if self.squares is None else self.squares).sum(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(totals > 0, stats.effective_n(totals, squares) / totals, 0.0)
            effective = np.where(weighted[:, None, None, None], self.counts * scale[..., None],
                                 self.counts)
        points = np.arange(1, self.counts.shape[-1] + 1)
        top = (points[None, :] > (k - top_box)[:, None]) & (points[None, :] <= k[:, None])
        return ((effective * top[None, :, None, :]).sum(axis=-1), effective.sum(axis=-1),
                answered)


@dataclass(frozen=True)
class SegmentCounts:
    """The answers of every item in every level of every segment, of one wave: what
    :func:`segment_table` (and :func:`~cxstudy.choices.choice_segments`) are made from.

    Additive (``a + b`` of two disjoint sets of a wave's respondents is the counts of
    their union), picklable, and of a size set by the study's shape (levels, items,
    audiences, points), not by the respondents.

    Attributes
    ----------
    items, groups : tuple of str
        The items counted (in the order of :func:`~cxstudy.counts.level_counts`) and the
        study's audiences.
    k, top_box : ndarray, shape (items,)
        Each item's number of points and how many of the highest are top box.
    segments : dict
        Segment id -> :class:`SegmentLevels` (the segments whose column the responses
        hold).
    wave : str or None
        The wave counted (None in a study without waves): the tables made from these
        counts carry it.
    """

    items: tuple[str, ...]
    groups: tuple[str, ...]
    k: np.ndarray
    top_box: np.ndarray
    segments: dict[str, SegmentLevels]
    wave: str | None = None

    def __add__(self, other: SegmentCounts) -> SegmentCounts:
        """The counts of two disjoint sets of respondents of one wave together."""
        if (self.items, self.groups, self.wave, tuple(self.segments)) != (
                other.items, other.groups, other.wave, tuple(other.segments)):
            raise ValueError(
                f"cannot add the segment counts of items {other.items}, audiences "
                f"{other.groups}, segments {tuple(other.segments)}, wave {other.wave} to "
                f"those of items {self.items}, audiences {self.groups}, segments "
                f"{tuple(self.segments)}, wave {self.wave}: count both with the same study "
                "and wave")
        return SegmentCounts(self.items, self.groups, self.k, self.top_box,
                             {s: self.segments[s] + other.segments[s] for s in self.segments},
                             self.wave)


def responses_wave(responses: pd.DataFrame) -> str | None:
    """The one wave ``responses`` hold (None without a ``wave`` column or a wave)."""
    if "wave" not in responses.columns:
        return None
    present = responses["wave"].dropna().astype(str).unique()
    if len(present) > 1:
        raise ValueError(f"counts are made within one wave, and these responses hold "
                         f"waves {', '.join(present)}: count each wave's responses "
                         "(cxstudy.waves.one_wave)")
    return str(present[0]) if len(present) else None


def segment_counts(responses: pd.DataFrame, study: Study) -> SegmentCounts:
    """Count every item's answers per (segment, level, audience) of one wave.

    Parameters
    ----------
    responses : pandas.DataFrame
        One wave's cleaned responses (or a block of them): ``group``, the items, one
        column per segment, ``weight`` when weighted, ``wave`` in a study with waves.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, items and their scales,
        segments.

    Returns
    -------
    SegmentCounts
        Additive counts (``+``) that :func:`segment_table` is made from, knowing their
        wave.

    Notes
    -----
    One ``np.bincount`` per (segment, item) over
    :math:`((\\ell (G + 1) + g)(k_{max} + 1) + c)` (level, audience, code), weighted by
    :math:`w` and :math:`w^2` under weights; no loop over respondents.

    Examples
    --------
    >>> counts = cx.segment_counts(responses[responses["wave"] == "2026"], study)  # doctest: +SKIP
    >>> cx.segment_table(None, study, counts=counts)  # doctest: +SKIP
    """
    chosen, _blocks = chosen_items(study, responses.columns)
    k = np.array([study.scales[i.scale].k for i in chosen], dtype=np.int64)
    top_box = np.array([study.scales[i.scale].top_box for i in chosen], dtype=np.int64)
    groups = len(study.groups)
    k_max = int(k.max()) if len(k) else 1
    group = group_codes(responses, study.groups)
    group = np.where(group >= 0, group, groups).astype(np.int64)  # none of the study's
    weights, weighted = respondent_weights(responses)
    answers = []
    for item, points in zip(chosen, k, strict=True):
        codes = item_codes(responses, item.id)
        if len(codes) and (codes.max() > points or codes.min() < 0):
            raise ValueError(f"item {item.id!r} holds codes outside 1..{points}; responses "
                             "must come from cx.clean (codes 1..k, <NA> for missing)")
        answers.append(codes)
    found = {}
    for segment in study.segments:
        if segment.id not in responses.columns:
            continue
        codes, distinct = pd.factorize(responses[segment.id], use_na_sentinel=True)
        levels = len(distinct)
        level = np.where(codes >= 0, codes, levels).astype(np.int64)
        cell = level * (groups + 1) + group
        rows = np.bincount(cell, minlength=(levels + 1) * (groups + 1)).reshape(
            levels + 1, groups + 1)[:, :groups]
        reweighted = np.bincount(level[weights != 1.0], minlength=levels + 1)
        shape = (levels + 1, groups + 1, k_max + 1)
        size = int(np.prod(shape))
        base = cell * (k_max + 1)
        raw = np.zeros((levels + 1, len(chosen), groups, k_max), dtype=np.int64)
        counts = np.zeros(raw.shape)
        squares = np.zeros(raw.shape) if weighted else None
        for position, codes_of_item in enumerate(answers):
            key = base + codes_of_item
            raw[:, position] = np.bincount(key, minlength=size).reshape(shape)[:, :groups, 1:]
            if weighted:
                counts[:, position] = np.bincount(key, weights=weights, minlength=size).reshape(
                    shape)[:, :groups, 1:]
                squares[:, position] = np.bincount(
                    key, weights=weights * weights, minlength=size).reshape(shape)[:, :groups, 1:]
        if not weighted:
            counts = raw.astype(float)
        found[segment.id] = SegmentLevels(tuple(str(v) for v in distinct), counts, raw,
                                          squares, rows, reweighted)
    return SegmentCounts(tuple(i.id for i in chosen), tuple(study.groups), k, top_box, found,
                         responses_wave(responses))


# ---------------------------------------------------------------------------
# levels: their order, pooling the small ones


def _ordered(seen: list[str], segment: Segment) -> list[str]:
    """Levels in display order: ``order``, else the bands of ``bins``, else as the map
    lists them, else as first seen; levels not in ``order`` follow it."""
    preferred = list(segment.order or segment.band_names() or dict.fromkeys(
        (segment.map or {}).values()))
    return [level for level in preferred if level in seen] + [
        level for level in seen if level not in preferred]


def segment_levels_in(responses: pd.DataFrame, segment: Segment) -> list[str]:
    """The levels of a segment in display order: ``order``, else the bands of ``bins``,
    else as the map lists them, else as first seen; levels not in ``order`` follow it."""
    return _ordered(list(dict.fromkeys(str(level) for level in
                                       responses[segment.id].dropna().unique())), segment)


def _pool(sizes: pd.DataFrame, study: Study, segment: Segment) -> list[str]:
    """The levels pooled into ``segment.other``, smallest first, from ``sizes``
    (respondents per level (sorted) and audience asked the segment)."""
    other = segment.other
    small = ((sizes > 0) & (sizes < study.min_group_size)).any(axis=1)
    pool = [lv for lv in sizes.index if lv != other and (small[lv] or lv in
                                                         segment.other_levels)]
    return sorted(pool, key=lambda lv: int(sizes.loc[lv].sum()))


def pooled_levels(responses: pd.DataFrame, study: Study, segment: Segment
                  ) -> tuple[pd.Series, list[str]]:
    """The segment's column with its small levels pooled into ``segment.other`` (a
    study file's ``other:``), and the levels pooled, smallest first.

    Pooled are the levels ``other.levels`` names and every level with respondents but
    fewer than ``min_group_size`` in an audience asked the segment (and a level already
    named ``other``, when there is one). Nothing else joins: a pool still below
    ``min_group_size`` is hidden like any small level, with its complement, rather than
    give a real level a name that is not its own. Without ``other:`` the column is
    returned unchanged and nothing is pooled. (:func:`segment_table` pools the same
    levels of its counts.)
    """
    column = responses[segment.id]
    if segment.other is None:
        return column, []
    asked = [g for g in study.groups if g in segment.columns]
    in_asked = responses["group"].isin(asked).to_numpy(bool)
    pool = _pool(pd.crosstab(column[in_asked], responses.loc[in_asked, "group"])
                 .reindex(columns=asked, fill_value=0), study, segment)
    if not pool:
        return column, []
    pooled = column.astype(object).where(~column.isin(pool), segment.other)
    return pooled.astype(column.dtype), pool


def _pooled_counts(counted: SegmentLevels, study: Study, segment: Segment
                   ) -> tuple[SegmentLevels, list[str]]:
    """:func:`pooled_levels` on counts: the levels pooled, and the counts with them
    added into ``segment.other``."""
    if segment.other is None:
        return counted, []
    asked = [g for g in study.groups if g in segment.columns]
    rows = counted.rows[:len(counted.levels), [study.groups.index(g) for g in asked]]
    held = rows.sum(axis=1) > 0
    sizes = pd.DataFrame(rows[held], index=np.array(counted.levels, dtype=object)[held],
                         columns=asked).sort_index()
    pool = _pool(sizes, study, segment)
    if not pool:
        return counted, []
    return counted.merged([segment.other if lv in pool else lv for lv in counted.levels]), pool


@per_wave
def segment_table(responses: pd.DataFrame | None, study: Study, *,
                  counts: SegmentCounts | LevelCounts | None = None) -> pd.DataFrame:
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
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`), one column per segment;
        None when ``counts`` are :class:`SegmentCounts`.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``segments``, audiences,
        reference, items, ``confidence``, ``correction``, ``min_group_size``.
    counts : SegmentCounts or LevelCounts, optional
        :func:`segment_counts` of one wave's responses, made anywhere (block by block,
        by SQL): the table is made from them alone. Counted from ``responses`` when
        omitted or when a :class:`~cxstudy.LevelCounts` is given (then the audiences'
        overall side, as before).

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
    >>> counts = cx.segment_counts(responses, study)  # doctest: +SKIP
    >>> cx.segment_table(None, study, counts=counts)  # doctest: +SKIP
    """
    overall = counts if isinstance(counts, LevelCounts) else None
    if not isinstance(counts, SegmentCounts):
        counts = segment_counts(responses, study)
    return segment_table_of(counts, study, overall)


def segment_table_of(counts: SegmentCounts, study: Study,
                     overall: LevelCounts | None = None) -> pd.DataFrame:
    """:func:`segment_table` of counts (within their wave; no ``wave`` column): the
    audiences' overall side from the counts, or from ``overall`` when given."""
    parts = [_segment_rows(counts, study, segment, overall) for segment in study.segments
             if segment.id in counts.segments]
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


def _overall(counts: SegmentCounts, counted: SegmentLevels, overall: LevelCounts | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each audience's (top-box successes, effective n, respondents) over all its
    respondents, items x audiences: from the counts (every level and none), or from the
    item counts given."""
    if overall is None:
        return tuple(part[0] for part in counted.whole().top_box_counts(counts.k,
                                                                       counts.top_box))
    rows = [overall.items.index(item) for item in counts.items]
    return tuple(part[rows] for part in overall.top_box_counts())


def _segment_rows(counts: SegmentCounts, study: Study, segment: Segment,
                  overall: LevelCounts | None):
    """The rows of one segment: arrays (levels, items, groups) of shares, then rows."""
    counted, pool = _pooled_counts(counts.segments[segment.id], study, segment)
    levels = _ordered(list(counted.levels), segment)
    if not levels:
        return pd.DataFrame()
    at = [counted.levels.index(level) for level in levels]
    x, e, n = (part[at] for part in counted.top_box_counts(counts.k, counts.top_box))
    all_x, all_e, all_n = _overall(counts, counted, overall)
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
                x[position], e[position], n[position], g, reference, study, counts.items,
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

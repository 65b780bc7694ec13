"""The counts core: answer counts per (item, group) from one vectorised pass.

Every two-group statistic cxstudy reports for an ordinal item (shares, means,
variances, Mann-Whitney U, Cliff's delta and its variance, Kruskal-Wallis) is a
function of how many respondents of each group gave each answer; Cronbach's alpha
and dimension scores are functions of how many gave each *pattern* of answers to a
dimension's items. This module counts patterns once:

.. math:: key = g \\cdot S + \\sum_i c_i \\cdot s_i, \\qquad s_i = \\prod_{j<i}(k_j + 1),
          \\quad S = \\prod_i (k_i + 1)

with :math:`c_i \\in \\{0..k_i\\}` (0 = missing) and one ``np.bincount`` over ``key``
per block of items (the items of a dimension, split when the pattern table would
exceed :data:`MAX_BINS`). Item counts are margins of that table; the statistics in
:mod:`cxstudy.stats` work on arrays of shape (items, groups, k), independent of the
number of respondents. The counts could equally come from an SQL ``GROUP BY``.

Weights: with weights :math:`w`, counts are :math:`\\sum w` per pattern, and
:math:`\\sum w^2` is kept so that Kish's effective sample size
:math:`n_{eff} = (\\sum w)^2 / \\sum w^2` (Kish 1965) is known for every margin.
:meth:`LevelCounts.effective` rescales weighted counts to total :math:`n_{eff}`:
estimates stay weighted, intervals and tests use the effective n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import Study
from .stats import effective_n

MAX_BINS = 1 << 20  # largest pattern table (groups x patterns) counted in one pass


@dataclass(frozen=True)
class PatternCounts:
    """How many respondents of each group gave each pattern of answers to some items.

    ``counts[g, p]`` is the (weighted) number of respondents of group ``g`` whose
    answers are pattern ``p``; :attr:`patterns` decodes ``p`` into codes (0 =
    missing). ``raw`` holds unweighted counts, ``squares`` the sums of squared
    weights (``None`` when unweighted).

    A table is *dense* (a column for every possible pattern, :attr:`observed` None) or
    *sparse*: a column for each pattern some respondent gave, its codes in the rows of
    :attr:`observed`, sorted (:func:`sparse_pattern_counts`). Sparse tables hold what
    a dense one could not (a wide dimension, the top-box states of every item); their
    size is bounded by the possible patterns and by the respondents, whichever is less.
    """

    items: tuple[str, ...]
    k: tuple[int, ...]
    counts: np.ndarray
    raw: np.ndarray
    squares: np.ndarray | None
    observed: np.ndarray | None = None

    @property
    def patterns(self) -> np.ndarray:
        """(patterns, items) array of codes 0..k_i; the first item varies fastest (in a
        dense table; a sparse one's rows are sorted)."""
        if self.observed is not None:
            return self.observed
        bases = np.array(self.k) + 1
        strides = np.concatenate([[1], np.cumprod(bases)[:-1]])
        return (np.arange(self.counts.shape[1])[:, None] // strides) % bases

    def sparse(self) -> PatternCounts:
        """The same counts as a sparse table (only the patterns given)."""
        if self.observed is not None:
            return self
        keep = self.raw.sum(axis=0) > 0
        return PatternCounts(self.items, self.k, self.counts[:, keep], self.raw[:, keep],
                             None if self.squares is None else self.squares[:, keep],
                             self.patterns[keep])

    def __add__(self, other: PatternCounts) -> PatternCounts:
        """The counts of two disjoint sets of respondents together (counts are additive;
        an unweighted side's squared weights are its counts)."""
        if self.items != other.items or self.k != other.k:
            raise ValueError(f"cannot add pattern counts of items {other.items} to those of "
                             f"{self.items}: count both with the same study")
        if self.observed is not None or other.observed is not None:
            return _add_sparse(self.sparse(), other.sparse())
        squares = None
        if self.squares is not None or other.squares is not None:
            squares = (self.raw if self.squares is None else self.squares) + \
                (other.raw if other.squares is None else other.squares)
        return PatternCounts(self.items, self.k, self.counts + other.counts,
                             self.raw + other.raw, squares)

    def margin(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(counts, raw, squares) over the levels 0..k of one item: shape (groups, k+1)."""
        if self.observed is not None:
            levels = (self.observed[:, position][:, None] ==
                      np.arange(self.k[position] + 1)).astype(float)
            return (self.counts @ levels, (self.raw @ levels).astype(np.int64),
                    None if self.squares is None else self.squares @ levels)
        groups = self.counts.shape[0]
        shape = (groups, *[k + 1 for k in reversed(self.k)])
        axis = len(self.k) - position  # C order: the last axis is the first item
        others = tuple(a for a in range(1, len(shape)) if a != axis)

        def fold(table):
            return None if table is None else table.reshape(shape).sum(axis=others)

        return fold(self.counts), fold(self.raw), fold(self.squares)


def _add_sparse(first: PatternCounts, second: PatternCounts) -> PatternCounts:
    """Two sparse tables added: the union of their patterns (sorted), counts summed."""
    together, where = np.unique(np.concatenate([first.observed, second.observed]), axis=0,
                                return_inverse=True)
    where = where.reshape(-1)
    mine, theirs = where[:len(first.observed)], where[len(first.observed):]

    def added(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.zeros((a.shape[0], len(together)), dtype=np.result_type(a, b))
        out[:, mine] += a  # the patterns of one side are distinct: no index repeats
        out[:, theirs] += b
        return out

    squares = None
    if first.squares is not None or second.squares is not None:
        squares = added(first.raw if first.squares is None else first.squares,
                        second.raw if second.squares is None else second.squares)
    return PatternCounts(first.items, first.k, added(first.counts, second.counts),
                         added(first.raw, second.raw), squares, together)


@dataclass(frozen=True)
class LevelCounts:
    """Answer-level counts of items by group.

    Attributes
    ----------
    items, groups : tuple of str
    counts : ndarray, shape (items, groups, k_max)
        Weighted counts of answers 1..k (levels beyond an item's k are 0).
    n : ndarray, shape (items, groups)
        Respondents who answered (unweighted).
    n_eff : ndarray, shape (items, groups)
        Kish's effective n (equals ``n`` when unweighted).
    k : ndarray, shape (items,)
        Number of scale points of each item.
    values : ndarray, shape (items, k_max)
        Numeric value of each point (NaN beyond k): codes 1..k for labelled scales,
        the scale's values for numeric ones.
    top_box : ndarray, shape (items,)
        How many of the highest points count as top box.
    weighted : bool
    blocks : tuple of PatternCounts
        The pattern tables the margins came from (one per dimension unless split).
    wave : str or None
        The wave the responses counted were of (their ``wave`` column, when it holds
        one); None for responses without waves. Tables made from the counts carry it.
    wide : tuple of PatternCounts
        For each dimension whose items were split across :attr:`blocks` (its dense table
        would exceed :data:`MAX_BINS`), the sparse joint table of all its items: what its
        scores and covariances need (:func:`~cxstudy.gaps.dimension_gaps`).
    top : PatternCounts or None
        The sparse joint table of every item's top-box state (codes 0 missing, 1 not top
        box, 2 top box; ``k`` 2 for each item): what the perception-gap index's bootstrap
        resamples (:func:`~cxstudy.gaps.perception_gap_index`). None where the counts
        were made without it (:mod:`cxstudy.warehouse`).
    """

    items: tuple[str, ...]
    groups: tuple[str, ...]
    counts: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    k: np.ndarray
    values: np.ndarray
    top_box: np.ndarray
    weighted: bool
    blocks: tuple[PatternCounts, ...] = ()
    wave: str | None = None
    wide: tuple[PatternCounts, ...] = ()
    top: PatternCounts | None = None

    def __add__(self, other: LevelCounts) -> LevelCounts:
        """The counts of two disjoint sets of respondents of one wave together: each
        pattern table added (:meth:`PatternCounts.__add__`), the margins made anew from
        them (an effective n is not additive; its sums are). Counts of two different
        waves are refused: estimates are never pooled across waves."""
        if (self.items, self.groups) != (other.items, other.groups) or \
                len(self.blocks) != len(other.blocks) or \
                len(self.wide) != len(other.wide) or \
                (self.top is None) != (other.top is None):
            raise ValueError(f"cannot add the counts of items {other.items} of audiences "
                             f"{other.groups} to those of items {self.items} of audiences "
                             f"{self.groups}: count both with the same study")
        if self.wave != other.wave:
            raise ValueError(f"cannot add the counts of {_wave_name(other.wave)} to those of "
                             f"{_wave_name(self.wave)}: counts are made within one wave, "
                             "never pooled across waves; add each wave's counts apart")
        blocks = [a + b for a, b in zip(self.blocks, other.blocks, strict=True)]
        weighted = any(block.squares is not None for block in blocks)
        counts, n, n_eff = _margins(self.items, len(self.groups), self.k, blocks, weighted)
        return LevelCounts(items=self.items, groups=self.groups, counts=counts, n=n,
                           n_eff=n_eff, k=self.k, values=self.values, top_box=self.top_box,
                           weighted=weighted, blocks=tuple(blocks), wave=self.wave,
                           wide=tuple(a + b for a, b in zip(self.wide, other.wide,
                                                             strict=True)),
                           top=None if self.top is None else self.top + other.top)

    def effective(self) -> np.ndarray:
        """Counts rescaled so that each (item, group) totals its effective n."""
        if not self.weighted:
            return self.counts
        totals = self.counts.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(totals > 0, self.n_eff[..., None] / totals, 0.0)
        return self.counts * scale

    def top_box_mask(self) -> np.ndarray:
        """Boolean (items, k_max): which levels are top box for each item."""
        levels = np.arange(1, self.counts.shape[-1] + 1)
        return (levels[None, :] > (self.k - self.top_box)[:, None]) & \
            (levels[None, :] <= self.k[:, None])

    def top_box_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(top-box successes, effective n, respondents), each of shape (items, groups):
        what every share, and every interval of a share, is made from."""
        effective = self.effective()
        successes = (effective * self.top_box_mask()[:, None, :]).sum(axis=-1)
        return successes, effective.sum(axis=-1), self.n

    def block_of(self, item_ids: list[str]) -> PatternCounts | None:
        """The pattern table holding all of ``item_ids`` (a block, else the joint table
        of a wide dimension), if one does."""
        wanted = set(item_ids)
        return next((b for b in (*self.blocks, *self.wide) if wanted <= set(b.items)), None)

    def frame(self) -> pd.DataFrame:
        """Tidy form: one row per (item, group, level) with ``count`` and ``value``."""
        levels = self.counts.shape[-1]
        index = pd.MultiIndex.from_product(
            [list(self.items), list(self.groups), range(1, levels + 1)],
            names=["item", "group", "level"])
        frame = pd.DataFrame({"count": self.counts.reshape(-1)}, index=index).reset_index()
        frame["value"] = np.repeat(self.values, len(self.groups), axis=0).reshape(-1)
        keep = frame["level"].to_numpy() <= np.repeat(self.k, len(self.groups) * levels)
        return frame[keep].reset_index(drop=True)


def _wave_name(wave: str | None) -> str:
    return f"wave {wave}" if wave is not None else "no wave (responses without a wave column)"


def _margins(items: tuple[str, ...], n_groups: int, k: np.ndarray,
             blocks: list[PatternCounts], weighted: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each item's (counts, n, n_eff) over the audiences, from the pattern tables."""
    k_max = int(k.max()) if len(k) else 1
    counts = np.zeros((len(items), n_groups, k_max))
    n = np.zeros((len(items), n_groups))
    n_eff = np.zeros((len(items), n_groups))
    row_of = {item_id: row for row, item_id in enumerate(items)}
    for block in blocks:
        for position, item_id in enumerate(block.items):
            row = row_of[item_id]
            total, raw, squares = block.margin(position)
            counts[row, :, :k[row]] = total[:, 1:]
            n[row] = raw[:, 1:].sum(axis=1)
            if weighted:
                squares = raw if squares is None else squares
                n_eff[row] = effective_n(total[:, 1:].sum(axis=1), squares[:, 1:].sum(axis=1))
            else:
                n_eff[row] = n[row]
    return counts, n, n_eff


def group_codes(responses: pd.DataFrame, groups) -> np.ndarray:
    """Integer code of each respondent's group in ``groups`` order (-1 when not one)."""
    group = responses["group"]
    if not isinstance(group.dtype, pd.CategoricalDtype):
        group = group.astype("category")
    lookup = pd.Index(list(groups)).get_indexer(group.cat.categories)
    return np.append(lookup, -1)[group.cat.codes.to_numpy(dtype=np.int64)]


def _codes(column: pd.Series) -> np.ndarray:
    """A nullable integer column as codes with 0 for missing.

    For pandas masked arrays (cleaned responses are ``Int8``) this is one bitwise
    pass over the 1-byte values, ``data & (mask - 1)``, instead of a copy plus a
    masked assignment: the step that dominates counting otherwise.
    """
    array = column.array
    data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and \
            data.dtype == np.int8 and mask.dtype == np.bool_:
        return np.bitwise_and(data, mask.view(np.int8) - np.int8(1))
    return column.to_numpy(dtype=np.int16, na_value=0)


def item_codes(responses: pd.DataFrame, item_id: str) -> np.ndarray:
    """An item's codes 1..k as a small integer array, 0 for missing."""
    return _codes(responses[item_id])


def respondent_weights(responses: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """The ``weight`` column (ones when absent) and whether it is not all ones."""
    if "weight" not in responses.columns:
        return np.ones(len(responses)), False
    weights = responses["weight"].to_numpy(dtype=float)
    return weights, bool(len(weights)) and not np.all(weights == 1.0)


def _blocks(items, ks, groups: int) -> list[list[int]]:
    """Split items (already in dimension order) into runs of one dimension whose
    pattern table fits :data:`MAX_BINS`."""
    blocks: list[list[int]] = []
    size = 0
    for position, item in enumerate(items):
        width = int(ks[position]) + 1
        if blocks and items[blocks[-1][-1]].dimension == item.dimension and \
                size * width * (groups + 1) <= MAX_BINS:
            blocks[-1].append(position)
            size *= width
        else:
            blocks.append([position])
            size = width
    return blocks


def pattern_counts(responses: pd.DataFrame, item_ids: list[str], ks: list[int],
                   codes_of_group: np.ndarray, n_groups: int,
                   weights: np.ndarray | None) -> PatternCounts:
    """Count answer patterns of ``item_ids`` per group with one ``np.bincount``."""
    size = int(np.prod([k + 1 for k in ks]))
    # respondents outside the study's groups land in an overflow group that is dropped
    key = np.where(codes_of_group >= 0, codes_of_group, n_groups).astype(np.int32)
    key *= size
    stride = 1
    for item_id, k in zip(item_ids, ks, strict=True):
        codes = _codes(responses[item_id])
        if len(codes) and (codes.max() > k or codes.min() < 0):
            raise ValueError(f"item {item_id!r} holds codes outside 1..{k}; responses must "
                             "come from cx.clean (codes 1..k, <NA> for missing)")
        key += np.multiply(codes, stride, dtype=np.int32)
        stride *= k + 1
    bins = (n_groups + 1) * size
    raw = np.bincount(key, minlength=bins).reshape(n_groups + 1, size)[:n_groups]
    if weights is None:
        return PatternCounts(tuple(item_ids), tuple(ks), raw.astype(float), raw, None)
    counts = np.bincount(key, weights=weights, minlength=bins).reshape(n_groups + 1, size)
    squares = np.bincount(key, weights=weights * weights, minlength=bins).reshape(
        n_groups + 1, size)
    return PatternCounts(tuple(item_ids), tuple(ks), counts[:n_groups], raw,
                         squares[:n_groups])


def sparse_pattern_counts(columns: list[np.ndarray], item_ids: list[str], ks: list[int],
                          codes_of_group: np.ndarray, n_groups: int,
                          weights: np.ndarray | None) -> PatternCounts:
    """Count the answer patterns respondents gave (a sparse :class:`PatternCounts`).

    Each respondent's (group, codes) is folded into one integer key (refolded through
    ``pandas.factorize`` whenever the next item would overflow 62 bits), the keys are
    factorized once, and each distinct key's counts are one ``np.bincount``: a vectorised
    pass whatever the number of items. The patterns are sorted (``np.unique`` over the
    rows of codes), so the table of the same respondents is the same however they were
    counted or added.

    Parameters
    ----------
    columns : list of ndarray
        Each item's codes 0..k (0 = missing), one entry per respondent.
    item_ids : list of str
    ks : list of int
        Each item's largest code.
    codes_of_group : ndarray
        Each respondent's group (:func:`group_codes`; -1 for none: not counted).
    n_groups : int
    weights : ndarray or None
        Each respondent's weight (None: unweighted).

    Returns
    -------
    PatternCounts
        With :attr:`PatternCounts.observed` the distinct patterns given.
    """
    group = np.where(codes_of_group >= 0, codes_of_group, n_groups).astype(np.int64)
    key, radix = group, n_groups + 1
    for codes, k in zip(columns, ks, strict=True):
        if radix * (k + 1) >= 1 << 62:
            key, distinct = pd.factorize(key)
            key, radix = key.astype(np.int64), max(len(distinct), 1)
        key = key * (k + 1) + codes.astype(np.int64)
        radix *= k + 1
    which, distinct = pd.factorize(key)
    # factorize numbers keys in order of first appearance: a key's first row is where
    # its number exceeds every number before it
    first = np.flatnonzero(which > np.maximum.accumulate(np.concatenate([[-1], which[:-1]])))
    codes = np.column_stack([c[first] for c in columns]).astype(np.int64) if columns else \
        np.zeros((len(first), 0), dtype=np.int64)
    of_group = group[first]
    raw = np.bincount(which, minlength=len(distinct))
    kept = of_group < n_groups
    observed, column = np.unique(codes[kept], axis=0, return_inverse=True)
    column = column.reshape(-1)
    shape = (n_groups, len(observed))

    def table(values: np.ndarray, dtype) -> np.ndarray:
        out = np.zeros(shape, dtype=dtype)
        out[of_group[kept], column] = values[kept]  # each (group, pattern) once
        return out

    raw_table = table(raw, np.int64)
    if weights is None:
        return PatternCounts(tuple(item_ids), tuple(ks), raw_table.astype(float), raw_table,
                             None, observed)
    total = np.bincount(which, weights=weights, minlength=len(distinct))
    squares = np.bincount(which, weights=weights * weights, minlength=len(distinct))
    return PatternCounts(tuple(item_ids), tuple(ks), table(total, float), raw_table,
                         table(squares, float), observed)


def top_box_states(codes: np.ndarray, k: int, top_box: int) -> np.ndarray:
    """An item's codes 0..k as its top-box state: 0 missing, 1 not top box, 2 top box."""
    answered = codes > 0
    top = codes > k - top_box  # implies answered: k - top_box >= 0
    return answered.view(np.int8) + top.view(np.int8)


def first_of_each(key: np.ndarray, *, inverse: bool = False) -> tuple[np.ndarray, ...]:
    """The distinct values of non-negative integer keys, each one's first position (and,
    with ``inverse``, each key's place among them): what
    ``np.unique(key, return_index=True, return_inverse=inverse)`` gives, exactly.

    Keys below about twice their number (audience, theme and answer codes combined, as
    the counts make them) are told apart without sorting, in one pass: each key's first
    position is the least of its positions (``np.minimum.at`` into one slot per possible
    key), the keys present are the slots filled, in order, and a key's place is the
    count of filled slots before its own. Wider keys (a free-text answer per respondent
    times the themes) are sorted by ``np.unique`` as before.

    Parameters
    ----------
    key : numpy.ndarray
        Non-negative integers, one per row.
    inverse : bool, default False
        Also return each row's place among the distinct keys.

    Returns
    -------
    tuple of numpy.ndarray
        ``(keys, first)`` or ``(keys, first, inverse)``: the distinct keys in increasing
        order, the first row of each, each row's key's index in ``keys``.
    """
    key = np.asarray(key, dtype=np.int64)
    n = len(key)
    width = int(key.max()) + 1 if n else 0
    if n and (width > 2 * n + 1024 or int(key.min()) < 0):
        return np.unique(key, return_index=True, return_inverse=inverse)
    first = np.full(width, n, dtype=np.int64)
    np.minimum.at(first, key, np.arange(n, dtype=np.int64))
    present = first < n
    keys = np.flatnonzero(present).astype(np.int64)
    if not inverse:
        return keys, first[present]
    return keys, first[present], (np.cumsum(present) - 1)[key]


def wave_of(responses: pd.DataFrame, study: Study) -> str | None:
    """The one wave the responses are of (their ``wave`` column), None without one.

    Raises
    ------
    ValueError
        The responses of a study with waves hold several: counts are made within one.
    """
    if "wave" not in responses.columns:
        return None
    present = [str(w) for w in pd.unique(responses["wave"].dropna())]
    if len(present) > 1 and study.waves:
        order = {w: i for i, w in enumerate(study.waves)}
        named = sorted(present, key=lambda w: order.get(w, len(order)))
        raise ValueError(f"the responses hold waves {', '.join(named)}: counts are made "
                         "within one wave, never pooled; count each wave's responses "
                         f"apart, e.g. responses[responses['wave'] == {named[0]!r}]")
    return present[0] if len(present) == 1 else None


def level_counts(responses: pd.DataFrame, study: Study,
                 items: list[str] | None = None) -> LevelCounts:
    """Count answers per (item, group, level), one pattern pass per dimension.

    Parameters
    ----------
    responses : pandas.DataFrame
        ``responses.parquet`` (or :attr:`CleaningResult.responses`), of one wave in a
        study with waves.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, items, their dimensions and
        scales.
    items : list of str, optional
        Item ids (default: every item of the study present in ``responses``).

    Returns
    -------
    LevelCounts
        Margins per item: ``counts`` (weighted counts, shape items x groups x levels),
        ``n``, ``n_eff``, the scale's ``values`` and ``top_box``; the pattern tables
        (``blocks``, and ``wide`` for a dimension too wide for one block) that
        :func:`~cxstudy.gaps.dimension_gaps` derives scores and covariances from; the
        top-box states of every item (``top``) that the gap index's bootstrap resamples;
        and the ``wave`` counted (the responses' ``wave`` column when it holds one).

    Raises
    ------
    ValueError
        The responses of a study with waves hold several waves (counts are never
        pooled across waves), or an item holds codes outside its scale.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> responses = cx.clean(cx.read_sources(study), study).responses  # doctest: +SKIP
    >>> counts = cx.level_counts(responses[responses["wave"] == "2026"], study)  # doctest: +SKIP
    >>> counts.counts.shape, counts.wave  # (items, audiences, levels)  # doctest: +SKIP
    ((16, 3, 5), '2026')
    """
    wave = wave_of(responses, study)
    chosen, members_of_blocks = chosen_items(study, responses.columns, items)
    codes_of_group = group_codes(responses, study.groups)
    weights, weighted = respondent_weights(responses)
    use = weights if weighted else None
    blocks = [pattern_counts(responses, [chosen[m].id for m in members],
                             [study.scales[chosen[m].scale].k for m in members],
                             codes_of_group, len(study.groups), use)
              for members in members_of_blocks]
    wide = []
    for members in _split_dimensions(chosen, members_of_blocks):
        ids = [chosen[m].id for m in members]
        wide.append(sparse_pattern_counts(
            [item_codes(responses, i) for i in ids], ids,
            [study.scales[chosen[m].scale].k for m in members], codes_of_group,
            len(study.groups), use))
    top = None
    if chosen:
        scales = [study.scales[i.scale] for i in chosen]
        top = sparse_pattern_counts(
            [top_box_states(item_codes(responses, i.id), s.k, s.top_box)
             for i, s in zip(chosen, scales, strict=True)],
            [i.id for i in chosen], [2] * len(chosen), codes_of_group, len(study.groups), use)
    return from_patterns(study, chosen, blocks, weighted, wave=wave, wide=wide, top=top)


def _split_dimensions(chosen: list, members_of_blocks: list[list[int]]) -> list[list[int]]:
    """The items of each dimension spread over more than one block (positions)."""
    by_dimension: dict[str, list[list[int]]] = {}
    for members in members_of_blocks:
        by_dimension.setdefault(chosen[members[0]].dimension, []).append(members)
    return [[m for members in blocks for m in members]
            for blocks in by_dimension.values() if len(blocks) > 1]


def chosen_items(study: Study, columns, items: list[str] | None = None
                 ) -> tuple[list, list[list[int]]]:
    """The items counted (those present in ``columns``, or ``items``), in dimension
    order, and how they are split into pattern blocks: (items, blocks of positions)."""
    wanted = set(items) if items is not None else None
    chosen = [i for i in study.items if i.id in columns and (wanted is None or i.id in wanted)]
    chosen.sort(key=lambda i: study.dimensions.index(i.dimension))  # stable: study order
    k = np.array([study.scales[i.scale].k for i in chosen], dtype=np.int64)
    return chosen, _blocks(chosen, k, len(study.groups))


def from_patterns(study: Study, chosen: list, blocks: list[PatternCounts],
                  weighted: bool, *, wave: str | None = None,
                  wide: list[PatternCounts] | tuple = (),
                  top: PatternCounts | None = None) -> LevelCounts:
    """The :class:`LevelCounts` of ``chosen`` items from their pattern tables, however
    those were counted (``np.bincount`` here; an SQL ``GROUP BY`` in
    :mod:`cxstudy.warehouse`), of ``wave``."""
    groups = tuple(study.groups)
    scales = [study.scales[i.scale] for i in chosen]
    k = np.array([s.k for s in scales], dtype=np.int64)
    counts, n, n_eff = _margins(tuple(i.id for i in chosen), len(groups), k, blocks, weighted)
    k_max = counts.shape[-1]
    values = np.full((len(chosen), k_max), np.nan)
    for row, scale in enumerate(scales):
        values[row, :scale.k] = scale.point_values
    return LevelCounts(items=tuple(i.id for i in chosen), groups=groups, counts=counts, n=n,
                       n_eff=n_eff, k=k, values=values,
                       top_box=np.array([s.top_box for s in scales], dtype=np.int64),
                       weighted=weighted, blocks=tuple(blocks), wave=wave, wide=tuple(wide),
                       top=top)

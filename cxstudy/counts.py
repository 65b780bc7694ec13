"""The counts core: answer-level counts per (item, group) in one vectorised pass.

Every two-group statistic cxstudy reports for an ordinal item (shares, means,
variances, Mann-Whitney U, Cliff's delta and its variance, Kruskal-Wallis) is a
function of how many respondents of each group gave each answer. This module
computes those counts once: for each item one ``np.bincount`` over
``group_code * (k + 1) + answer_code`` (weighted by ``weight`` when the study is
weighted). The statistics in :mod:`cxstudy.stats` then work on arrays of shape
``(items, groups, k)``, independent of the number of respondents; the counts could
equally come from an SQL ``GROUP BY``.

Weights: with weights :math:`w`, counts are :math:`\\sum w` per answer. Kish's
effective sample size :math:`n_{eff} = (\\sum w)^2 / \\sum w^2` (Kish 1965) of each
(item, group) is kept too, and :meth:`LevelCounts.effective` rescales the weighted
counts to total :math:`n_{eff}`: estimates stay weighted, intervals and tests use
the effective n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .study import Study


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


def group_codes(responses: pd.DataFrame, groups) -> np.ndarray:
    """Integer code of each respondent's group in ``groups`` order (-1 when not one)."""
    group = responses["group"]
    if isinstance(group.dtype, pd.CategoricalDtype) and list(group.cat.categories) == \
            list(groups):
        return group.cat.codes.to_numpy(dtype=np.int64)
    return pd.Categorical(group, categories=list(groups)).codes.astype(np.int64)


def item_codes(responses: pd.DataFrame, item_id: str) -> np.ndarray:
    """An item's codes 1..k as a plain integer array, 0 for missing."""
    return responses[item_id].to_numpy(dtype=np.int64, na_value=0)


def respondent_weights(responses: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """The ``weight`` column (ones when absent) and whether it is not all ones."""
    if "weight" not in responses.columns:
        return np.ones(len(responses)), False
    weights = responses["weight"].to_numpy(dtype=float)
    return weights, bool(len(weights)) and not np.all(weights == 1.0)


def level_counts(responses: pd.DataFrame, study: Study,
                 items: list[str] | None = None) -> LevelCounts:
    """Count answers per (item, group, level) in one pass over each item's column.

    Parameters
    ----------
    responses : pandas.DataFrame
        ``responses.parquet`` (or :attr:`CleaningResult.responses`).
    study : Study
    items : list of str, optional
        Item ids (default: every item of the study present in ``responses``).

    Returns
    -------
    LevelCounts
    """
    chosen = [study.item(i) for i in items] if items is not None else \
        [i for i in study.items if i.id in responses.columns]
    groups = tuple(study.groups)
    n_groups = len(groups)
    scales = [study.scales[i.scale] for i in chosen]
    k = np.array([s.k for s in scales], dtype=np.int64)
    k_max = int(k.max()) if len(k) else 1
    codes_of_group = group_codes(responses, groups)
    # respondents outside the study's groups go to an overflow bin that is dropped
    bins = np.where(codes_of_group >= 0, codes_of_group, n_groups) * (k_max + 1)
    weights, weighted = respondent_weights(responses)
    size = (n_groups + 1) * (k_max + 1)

    counts = np.zeros((len(chosen), n_groups, k_max))
    n = np.zeros((len(chosen), n_groups))
    n_eff = np.zeros((len(chosen), n_groups))
    for row, item in enumerate(chosen):
        key = bins + item_codes(responses, item.id)
        raw = np.bincount(key, minlength=size).reshape(n_groups + 1, k_max + 1)
        n[row] = raw[:n_groups, 1:].sum(axis=1)
        if weighted:
            total = np.bincount(key, weights=weights, minlength=size).reshape(
                n_groups + 1, k_max + 1)
            squares = np.bincount(key, weights=weights * weights, minlength=size).reshape(
                n_groups + 1, k_max + 1)
            counts[row] = total[:n_groups, 1:]
            sum_w, sum_w2 = total[:n_groups, 1:].sum(axis=1), squares[:n_groups, 1:].sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                n_eff[row] = np.where(sum_w2 > 0, sum_w ** 2 / sum_w2, 0.0)
        else:
            counts[row] = raw[:n_groups, 1:]
            n_eff[row] = n[row]
    values = np.full((len(chosen), k_max), np.nan)
    for row, scale in enumerate(scales):
        values[row, :scale.k] = scale.point_values
    return LevelCounts(items=tuple(i.id for i in chosen), groups=groups, counts=counts, n=n,
                       n_eff=n_eff, k=k, values=values,
                       top_box=np.array([s.top_box for s in scales], dtype=np.int64),
                       weighted=weighted)

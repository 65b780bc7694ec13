"""Survey weights: raking one audience to known margins.

Raking (iterative proportional fitting, Deming & Stephan 1940) adjusts weights so
that the weighted shares of each margin column match the targets, one column at a
time, until every share is within ``tolerance`` of its target. Weights are then
trimmed at ``trim`` times the mean weight and the raking repeated, so that no
respondent counts for more than ``trim`` others; the final weights average 1 within
the audience. Every estimate then uses the weights, with Kish's effective sample
size :math:`n_{eff} = (\\sum w)^2 / \\sum w^2` in its interval; the design effect is
:math:`n / n_{eff} = 1 + CV_w^2`.

Respondents who left a margin column blank are a category of their own when the margin
names ``"(missing)"`` (:data:`~cxstudy.model.MISSING_CATEGORY`) with its target share;
otherwise they stop the raking, with a message that says so. :func:`margin_problems`
finds all of this in the exports before a run (``cxstudy validate``).

References
----------
Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a sampled
frequency table when the expected marginal totals are known. Ann. Math. Stat. 11.
Kish, L. (1965). Survey Sampling. Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .exceptions import DataError, Problem
from .model import MISSING_CATEGORY
from .stats import effective_n


@dataclass
class RakingReport:
    """How raking went: iterations, the largest remaining gap to a target, trimming."""

    iterations: int
    max_deviation: float
    converged: bool
    trimmed: int
    n: int
    n_eff: float

    @property
    def design_effect(self) -> float:
        return self.n / self.n_eff if self.n_eff else float("nan")


def rake(frame: pd.DataFrame, margins: dict[str, dict[str, float]], *,
         base: np.ndarray | None = None, trim: float | None = 5.0, tolerance: float = 1e-6,
         max_iterations: int = 1000, where: str = "weights") -> tuple[np.ndarray, RakingReport]:
    """Rake respondents to target margins.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent of the audience, with every margin column.
    margins : dict
        Column -> {category: target share}; shares of a column sum to 1. The category
        ``"(missing)"`` holds the respondents with no value in the column.
    base : ndarray, optional
        Starting (design) weights, positive; default all ones.
    trim : float or None
        Cap on a weight, as a multiple of the mean weight.
    tolerance : float
        Largest allowed difference between a weighted share and its target.

    Returns
    -------
    weights : ndarray
        Mean 1 within the audience.
    report : RakingReport

    Raises
    ------
    DataError
        A category with a target but no respondent, a respondent whose category has no
        target (or is blank, without a ``"(missing)"`` target), non-positive base
        weights, or no convergence.

    Examples
    --------
    >>> frame = pd.DataFrame({"region": ["N", "N", "N", "S"]})
    >>> weights, report = rake(frame, {"region": {"N": 0.5, "S": 0.5}}, trim=None)
    >>> weights.round(4).tolist()
    [0.6667, 0.6667, 0.6667, 2.0]
    """
    n = len(frame)
    problems, codes = _margin_codes(frame, margins, where)
    weights = np.ones(n) if base is None else np.asarray(base, dtype=float).copy()
    if base is not None and (not np.all(np.isfinite(weights)) or (weights <= 0).any()):
        bad = int((~np.isfinite(weights) | (weights <= 0)).sum())
        problems.append(Problem(f"{where}.column", f"{bad} weight(s) are zero, negative or "
                                "missing", "base weights must be positive numbers"))
    if problems:
        raise DataError("cannot weight the responses", problems)

    iterations, trimmed = 0, 0
    for _ in range(20):  # rake, trim, and rake again while trimming still bites
        weights, steps = _ipf(weights, codes, tolerance, max_iterations)
        iterations += steps
        if trim is None:
            break
        weights, capped = _trim(weights, trim)
        if not capped:
            break
        trimmed = max(trimmed, capped)
    weights = weights * n / weights.sum()
    deviation = _deviation(weights, codes)
    if deviation > tolerance and not trimmed:
        raise DataError("weights did not converge", [Problem(
            where, f"largest gap to a target still {deviation:.2g} after {iterations} "
            "iterations", "check that the targets can be met together")])
    report = RakingReport(iterations=iterations, max_deviation=float(deviation),
                          converged=bool(deviation <= tolerance), trimmed=trimmed, n=n,
                          n_eff=effective_n(weights.sum(), (weights ** 2).sum()))
    return weights, report


def margin_problems(frame: pd.DataFrame, margins: dict[str, dict[str, float]], *,
                    where: str = "weights") -> list[Problem]:
    """Everything that would stop :func:`rake` in the margins' columns of ``frame``:
    blanks without a ``"(missing)"`` target, categories without a target share, targets
    without a respondent. ``cxstudy validate`` asks this of the weighted audience's rows
    in each wave before anything is cleaned.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["F", "M", None]})
    >>> [p.found for p in margin_problems(frame, {"sex": {"F": 0.5, "M": 0.5}})]
    ['1 respondent(s) have no value']
    >>> margin_problems(frame, {"sex": {"F": 0.5, "M": 0.45, "(missing)": 0.05}})
    []
    """
    return _margin_codes(frame, margins, where)[0]


def _margin_codes(frame: pd.DataFrame, margins: dict[str, dict[str, float]], where: str
                  ) -> tuple[list[Problem], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Each margin column as category positions and target shares, and every problem
    that stops raking (blanks, categories without a target or without respondents)."""
    problems, codes = [], {}
    for column, targets in margins.items():
        if column not in frame.columns:
            problems.append(Problem(f"{where}.margins.{column}", "no such column in the "
                                    "audience's exports", "name a column of the export"))
            continue
        values = frame[column].map(lambda v: None if pd.isna(v) or not str(v).strip()
                                   else str(v).strip())
        categories = list(targets)
        if MISSING_CATEGORY in targets:
            values = values.fillna(MISSING_CATEGORY)
        blank = int(values.isna().sum())
        if blank:
            problems.append(Problem(f"{where}.margins.{column}", f"{blank} respondent(s) have "
                                    "no value", "give them a target share as a category of "
                                    f'their own: "{MISSING_CATEGORY}": SHARE (the shares '
                                    "still sum to 1), or fill the column in the export"))
        unknown = values[values.notna() & ~values.isin(categories)].value_counts()
        for value, count in unknown.items():
            problems.append(Problem(f"{where}.margins.{column}", f'category "{value}" of '
                                    f"{count} respondent(s) has no target share",
                                    f"add it to {where}.margins.{column} (targets: "
                                    + ", ".join(categories) + ")"))
        present = set(values.dropna())
        for category in categories:
            if category not in present:
                problems.append(Problem(f"{where}.margins.{column}.{category}",
                                        "no respondent in this category",
                                        "raking cannot give weight to an empty category: "
                                        "merge it with another or drop its target"))
        codes[column] = (pd.Index(categories).get_indexer(values),
                         np.array([targets[c] for c in categories]))
    return problems, codes


def _trim(weights: np.ndarray, trim: float) -> tuple[np.ndarray, int]:
    """Cap weights at ``trim`` x their mean, repeating until the cap holds (capping lowers
    the mean). Returns the weights and how many were capped."""
    capped = np.zeros(len(weights), dtype=bool)
    for _ in range(200):
        cap = trim * weights.mean()
        over = weights > cap * (1 + 1e-12)
        if not over.any():
            break
        capped |= over
        weights = np.minimum(weights, cap)
    return weights, int(capped.sum())


def _deviation(weights: np.ndarray, codes: dict) -> float:
    """Largest |weighted share - target| over every margin."""
    return max((float(np.abs(np.bincount(c, weights=weights, minlength=len(t)) /
                             weights.sum() - t).max()) for c, t in codes.values()), default=0.0)


def _ipf(weights: np.ndarray, codes: dict, tolerance: float, max_iterations: int):
    for step in range(1, max_iterations + 1):
        for category_codes, targets in codes.values():
            totals = np.bincount(category_codes, weights=weights, minlength=len(targets))
            weights = weights * (targets / (totals / totals.sum()))[category_codes]
        if _deviation(weights, codes) <= tolerance:
            return weights, step
    return weights, max_iterations


def weight_summary(responses: pd.DataFrame, group: str) -> dict[str, float]:
    """Spread of an audience's weights: min, max, CV, Kish's n and the design effect."""
    w = responses.loc[responses["group"] == group, "weight"].to_numpy(dtype=float)
    if not len(w):
        return {"n": 0}
    n_eff = effective_n(w.sum(), (w ** 2).sum())
    return {"n": len(w), "min": float(w.min()), "median": float(np.median(w)),
            "max": float(w.max()), "cv": float(w.std() / w.mean()), "n_eff": float(n_eff),
            "design_effect": float(len(w) / n_eff)}

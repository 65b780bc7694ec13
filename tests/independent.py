"""The usual way: each statistic of a gap-table row from the raw answers, with scipy,
statsmodels and a naive dominance matrix. Used to check the counts core (tests) and
as the comparison in benchmarks/bench_gaps.py."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as sps
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
)


def naive_cliffs_delta(x: np.ndarray, y: np.ndarray, confidence: float = 0.95):
    """Cliff's delta from the full dominance matrix (effsize's "naive" algorithm)."""
    dominance = np.sign(x[:, None] - y[None, :])
    n1, n2 = len(x), len(y)
    d = dominance.mean()
    d_dot = d * (n1 * n2 - 1) / (n1 * n2) if abs(d) == 1 else d
    rows, cols = dominance.mean(axis=1), dominance.mean(axis=0)
    ssr = ((dominance - d_dot) ** 2).sum()
    variance = (n2 ** 2 * ((rows - d_dot) ** 2).sum() + n1 ** 2 * ((cols - d_dot) ** 2).sum()
                - ssr) / (n1 * n2 * (n1 - 1) * (n2 - 1))
    z = sps.t.isf((1 - confidence) / 2, n1 + n2 - 2)
    spread = z * np.sqrt(variance) * np.sqrt((1 - d_dot ** 2) ** 2 + z * z * variance)
    denominator = 1 - d_dot ** 2 + z * z * variance
    low = (d_dot - d_dot ** 3 - spread) / denominator
    high = (d_dot - d_dot ** 3 + spread) / denominator
    if d == 1:
        high = 1.0
    if d == -1:
        low = -1.0
    return d, low, high


def gap_row(x: np.ndarray, y: np.ndarray, top_from: float, confidence: float = 0.95) -> dict:
    """One gap-table row the usual way: ``x`` the audience, ``y`` the reference (values,
    no missing); answers >= ``top_from`` are top box."""
    s1, n1 = int((x >= top_from).sum()), len(x)
    s2, n2 = int((y >= top_from).sum()), len(y)
    alpha = 1 - confidence
    row = {"n": n1, "n_ref": n2, "top_box": s1 / n1, "top_box_ref": s2 / n2,
           "gap": s1 / n1 - s2 / n2}
    row["top_box_low"], row["top_box_high"] = proportion_confint(s1, n1, alpha, "wilson")
    row["gap_low"], row["gap_high"] = confint_proportions_2indep(
        s1, n1, s2, n2, method="newcomb", compare="diff", alpha=alpha)
    table = np.array([[s1, n1 - s1], [s2, n2 - s2]])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / (n1 + n2)
    if (expected < 5).any():
        row["p_value"], row["test"] = sps.fisher_exact(table).pvalue, "fisher"
    else:
        row["p_value"] = sps.chi2_contingency(table, correction=False).pvalue
        row["test"] = "score"
    row["cohens_h"] = proportion_effectsize(s1 / n1, s2 / n2)
    row["mean"], row["mean_ref"] = x.mean(), y.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        welch = sps.ttest_ind(x, y, equal_var=False)
        interval = welch.confidence_interval(confidence)
    row["mean_diff"] = x.mean() - y.mean()
    row["mean_diff_low"], row["mean_diff_high"] = interval.low, interval.high
    row["mw_p_value"] = sps.mannwhitneyu(x, y, method="asymptotic",
                                         use_continuity=True).pvalue
    row["cliffs_delta"], row["cliffs_delta_low"], row["cliffs_delta_high"] = \
        naive_cliffs_delta(x, y, confidence)
    return row

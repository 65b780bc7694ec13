"""Statistics from answer-level counts, vectorised over many comparisons at once.

Every function takes arrays whose leading dimensions index comparisons (item x
group pairs) and returns arrays of the same leading shape, so a whole gap table is
computed in a handful of NumPy operations. Where a statistic does not exist (no
respondents, no variance) the result is NaN; the table functions say why.

Counts may be non-integer: weighted counts rescaled to Kish's effective sample size
(see :mod:`cxstudy.counts`) give weighted estimates with design-adjusted intervals.

``scipy.stats`` is imported inside the functions that use it (here and in the table
modules): it takes half a second to import, which ``import cxstudy`` and
``cxstudy validate`` need not pay.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. JASA 22, 209-212.
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal questions.
Psychological Bulletin 114, 494-509; Feng, D. & Cliff, N. (2004). Monte Carlo
evaluation of ordinal d with improved confidence interval. JMASM 3, 322-332.
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
Psychometrika 16, 297-334; Feldt, L. S. (1965) for the interval.
Holm, S. (1979); Benjamini, Y. & Hochberg, Y. (1995).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "adjust_pvalues",
    "cliffs_delta",
    "cohens_h",
    "cronbach_alpha",
    "cronbach_alpha_from_cov",
    "effective_n",
    "kruskal_wallis",
    "mann_whitney",
    "midranks",
    "moments",
    "newcombe_interval",
    "score_test",
    "weighted_moments",
    "welch",
    "wilson_interval",
]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (1.96 for 0.95)."""
    from scipy import stats as sps

    return float(sps.norm.isf((1 - confidence) / 2))


def midranks(values) -> np.ndarray:
    """Ranks 1..n of the values, ties sharing the mean of their ranks.

    Equal to ``scipy.stats.rankdata(values)`` (``method='average'``), value for value,
    but found by counting instead of sorting: survey answers take a handful of values,
    so each value's rank is the number of smaller answers plus the middle of its own
    run, :math:`r_v = \\#\\{x < v\\} + 1 + (\\#\\{x = v\\} - 1)/2`. NaN is not
    allowed (drop unanswered rows first).
    """
    values = np.asarray(values)
    whole = values.dtype.kind in "iub" or (
        values.dtype.kind == "f" and len(values) and np.isfinite(values).all()
        and values.max() - values.min() < 4096 and (values == np.floor(values)).all())
    if whole:  # answer codes: each value's position from the smallest, with no sort
        codes = values.astype(np.intp) - int(values.min())
    else:
        codes, _levels = pd.factorize(values, sort=True)
    counts = np.bincount(codes)
    below = np.cumsum(counts) - counts
    return ((below + 1).astype(float) + (counts.astype(float) - 1) / 2)[codes]


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a proportion.

    Notes
    -----
    With :math:`\\hat p = s/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`:

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Returns ``(low, high)``; NaN where ``n == 0``.

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2553, 0.3662)
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0)) / denominator
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def newcombe_interval(s1, n1, s2, n2, confidence: float = 0.95):
    """Newcombe's hybrid score interval (method 10) for ``p1 - p2``.

    Notes
    -----
    With Wilson limits :math:`(l_i, u_i)` of each proportion and
    :math:`\\delta = \\hat p_1 - \\hat p_2`:

    .. math:: L = \\delta - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2},\\quad
              U = \\delta + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}

    Matches statsmodels ``confint_proportions_2indep(method='newcomb')`` and
    Newcombe (1998) Table II.

    Examples
    --------
    >>> low, high = newcombe_interval(56, 70, 48, 80)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    """
    s1, n1, s2, n2 = (np.asarray(a, dtype=float) for a in (s1, n1, s2, n2))
    l1, u1 = wilson_interval(s1, n1, confidence)
    l2, u2 = wilson_interval(s2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = s1 / n1, s2 / n2
    delta = p1 - p2
    low = delta - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = delta + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def score_test(s1, n1, s2, n2):
    """Two-sided score test of ``p1 == p2`` (Pearson chi-square, no continuity correction),
    with Fisher's exact test where an expected cell count is under 5.

    Returns ``(p_value, test)`` where ``test`` is an array of ``"score"`` / ``"fisher"``
    (empty string where no test exists: a group without respondents).
    Counts are rounded for Fisher's test (effective counts may be fractional).
    """
    from scipy import stats as sps

    s1, n1, s2, n2 = (np.asarray(a, dtype=float) for a in (s1, n1, s2, n2))
    total = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (s1 + s2) / total
        z = (s1 / n1 - s2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        expected = np.stack([n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)])
    p_value = 2 * sps.norm.sf(np.abs(z))
    valid = (n1 > 0) & (n2 > 0)
    # "under 5" with a tolerance: 10 x 14 / 28 must count as 5, however it rounds
    smallest = np.nanmin(np.where(np.isnan(expected), 0, expected), axis=0)
    exact = valid & (smallest < 5 - 1e-9)
    test = np.where(valid, np.where(exact, "fisher", "score"), "")
    for index in zip(*np.nonzero(np.atleast_1d(exact)), strict=False):
        a, b = round(float(s1[index])), round(float(n1[index] - s1[index]))
        c, d = round(float(s2[index])), round(float(n2[index] - s2[index]))
        p_value[index] = sps.fisher_exact([[a, b], [c, d]]).pvalue
    return np.where(valid, p_value, np.nan), test


def cohens_h(p1, p2):
    """Cohen's h: :math:`2\\arcsin\\sqrt{p_1} - 2\\arcsin\\sqrt{p_2}`.

    Examples
    --------
    >>> round(float(cohens_h(0.5, 0.4)), 7)
    0.2013579
    """
    p1, p2 = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


def moments(counts, values):
    """``(n, mean, variance)`` of a distribution given by counts over scale values.

    ``counts`` has shape ``(..., k)``; ``values`` broadcasts to it. The variance
    has the ``n - 1`` denominator (NaN for ``n < 2``).
    """
    counts = np.asarray(counts, dtype=float)
    values = np.asarray(values, dtype=float)
    n = counts.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.nansum(counts * values, axis=-1) / n
        squares = np.nansum(counts * (values - mean[..., None]) ** 2, axis=-1)
        variance = np.where(n > 1, squares / (n - 1), np.nan)
    return n, np.where(n > 0, mean, np.nan), variance


def effective_n(sum_w, sum_w2):
    """Kish's effective sample size :math:`(\\sum w)^2 / \\sum w^2`; 0 without weight.

    Takes the sums (scalars or arrays), so it serves row weights and pattern counts alike.

    Examples
    --------
    >>> effective_n(4.0, 4.0), effective_n(3.0, 5.0)
    (4.0, 1.8)
    """
    sum_w, sum_w2 = np.asarray(sum_w, dtype=float), np.asarray(sum_w2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(sum_w2 > 0, sum_w ** 2 / sum_w2, 0.0)
    return result if result.ndim else float(result)


def weighted_moments(values, weights, counts=None, squares=None) -> dict[str, float]:
    """n, effective n, mean and variance of values held with weights.

    ``weights`` are frequency weights (``counts`` respondents per value, variance with
    the n - 1 denominator) unless ``squares`` (the sum of squared survey weights per
    value) is given: then the variance is :math:`\\sum w(x - \\bar x)^2 / \\sum w \\cdot
    n_{eff}/(n_{eff} - 1)` with Kish's :math:`n_{eff}`.
    """
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    n = int(np.sum(counts)) if counts is not None else len(values)
    total = float(weights.sum())
    if n == 0 or total == 0:
        return {"n": n, "n_eff": 0.0, "mean": np.nan, "var": np.nan}
    mean = float((weights * values).sum() / total)
    squared = float((weights * (values - mean) ** 2).sum())
    if squares is None:
        n_eff = float(n)
        var = squared / (n - 1) if n > 1 else np.nan
    else:
        n_eff = effective_n(total, float(np.sum(squares)))
        var = squared / total * n_eff / (n_eff - 1) if n_eff > 1 else np.nan
    return {"n": n, "n_eff": n_eff, "mean": mean, "var": var}


def welch(mean1, var1, n1, mean2, var2, n2, confidence: float = 0.95):
    """Welch's unequal-variance comparison of two means.

    Returns ``(difference, low, high, p_value, df)``; the interval is
    :math:`\\bar x_1 - \\bar x_2 \\pm t_{\\nu}\\sqrt{s_1^2/n_1 + s_2^2/n_2}` with
    Welch-Satterthwaite :math:`\\nu`. NaN where a variance is undefined or both are 0.
    """
    from scipy import stats as sps

    mean1, var1, n1, mean2, var2, n2 = (np.asarray(a, dtype=float)
                                        for a in (mean1, var1, n1, mean2, var2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = var1 / n1, var2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
        difference = mean1 - mean2
        ok = np.isfinite(se) & (se > 0) & np.isfinite(df)
        safe_df = np.where(ok, df, 1.0)
        t = sps.t.isf((1 - confidence) / 2, safe_df)
        p_value = 2 * sps.t.sf(np.abs(difference / np.where(ok, se, 1.0)), safe_df)
    return (difference, np.where(ok, difference - t * se, np.nan),
            np.where(ok, difference + t * se, np.nan), np.where(ok, p_value, np.nan),
            np.where(ok, df, np.nan))


def mann_whitney(c1, c2):
    """Mann-Whitney U test from counts over the same ordered levels.

    Tie-corrected normal approximation with continuity correction, as
    ``scipy.stats.mannwhitneyu(x, y, method='asymptotic')``.

    Notes
    -----
    :math:`U_1 = \\sum_l c_{1l}(C_{2,<l} + c_{2l}/2)`; with :math:`t_l = c_{1l} + c_{2l}`,

    .. math:: \\sigma^2 = \\frac{n_1 n_2}{12}
              \\left(N + 1 - \\frac{\\sum (t_l^3 - t_l)}{N(N-1)}\\right),

    :math:`z = (\\max(U_1, U_2) - n_1 n_2/2 - 1/2)/\\sigma`, :math:`p = \\min(1, 2(1-\\Phi(z)))`.

    Returns ``(U1, p_value)``; p is 1 where every answer is the same (as scipy) and
    NaN where a group has no respondents.
    """
    from scipy import stats as sps

    c1, c2 = np.asarray(c1, dtype=float), np.asarray(c2, dtype=float)
    n1, n2 = c1.sum(axis=-1), c2.sum(axis=-1)
    below2 = np.cumsum(c2, axis=-1) - c2
    u1 = (c1 * (below2 + 0.5 * c2)).sum(axis=-1)
    total = n1 + n2
    ties = c1 + c2
    with np.errstate(divide="ignore", invalid="ignore"):
        tie_term = (ties ** 3 - ties).sum(axis=-1) / (total * (total - 1))
        sigma = np.sqrt(n1 * n2 / 12 * ((total + 1) - tie_term))
        u = np.maximum(u1, n1 * n2 - u1)
        z = (u - n1 * n2 / 2 - 0.5) / sigma
        p_value = np.minimum(1.0, 2 * sps.norm.sf(z))
    p_value = np.where(sigma > 0, p_value, 1.0)  # every answer tied: no evidence, as scipy
    ok = (n1 > 0) & (n2 > 0)
    return u1, np.where(ok, p_value, np.nan)


def cliffs_delta(c1, c2, confidence: float = 0.95, *, unbiased: bool = True,
                 normal: bool = False):
    """Cliff's delta with its variance and the Feng-Cliff interval, from counts.

    ``d = (#(x > y) - #(x < y)) / (n1 n2)``, computed per pair of levels. Defaults
    follow R ``effsize::cliff.delta``: Cliff's unbiased variance and a Student-t
    quantile with ``n1 + n2 - 2`` degrees of freedom (``normal=True`` uses the normal
    quantile; ``unbiased=False`` the consistent variance).

    Notes
    -----
    With dominance :math:`\\delta_{lm} = \\operatorname{sign}(l - m)`, row means
    :math:`d_{i.}` and column means :math:`d_{.j}`, and
    :math:`SSR = \\sum_{ij}(\\delta_{ij} - d)^2`:

    .. math:: S_d = \\frac{n_2^2\\sum_i (d_{i.} - d)^2 + n_1^2\\sum_j (d_{.j} - d)^2 - SSR}
                          {n_1 n_2 (n_1 - 1)(n_2 - 1)}

    and the interval is
    :math:`\\frac{d - d^3 \\mp z\\sqrt{S_d}\\sqrt{(1-d^2)^2 + z^2 S_d}}{1 - d^2 + z^2 S_d}`.
    When :math:`|d| = 1`, ``d`` is shrunk by :math:`(n_1 n_2 - 1)/(n_1 n_2)` for the
    variance, as effsize does.

    Returns ``(delta, low, high, variance)``.

    Examples
    --------
    >>> treatment = np.bincount([1, 1, 2, 2, 2, 3, 3, 3, 4, 5], minlength=6)[1:]
    >>> control = np.bincount([1, 2, 3, 4, 4, 5], minlength=6)[1:]
    >>> d, low, high, _ = cliffs_delta(treatment, control)  # effsize's defaults
    >>> float(d), round(float(low), 7), round(float(high), 7)
    (-0.25, -0.7265846, 0.3890062)
    """
    from scipy import stats as sps

    c1, c2 = np.asarray(c1, dtype=float), np.asarray(c2, dtype=float)
    k = c1.shape[-1]
    levels = np.arange(k)
    dominance = np.sign(levels[:, None] - levels[None, :]).astype(float)  # (k, k)
    n1, n2 = c1.sum(axis=-1), c2.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1, f2 = c1 / n1[..., None], c2 / n2[..., None]
        row_means = f2 @ dominance.T          # d_i. for each level of group 1
        col_means = f1 @ dominance            # d_.j for each level of group 2
        d = (f1 * row_means).sum(axis=-1)
        shrink = (n1 * n2 - 1) / (n1 * n2)
        d_dot = np.where(np.abs(d) == 1, d * shrink, d)
        dd = d_dot[..., None]
        sum_rows = (c1 * (row_means - dd) ** 2).sum(axis=-1)
        sum_cols = (c2 * (col_means - dd) ** 2).sum(axis=-1)
        squared = (dominance[None, :, :] - d_dot.reshape(-1, 1, 1)) ** 2  # (R, k, k)
        ssr = np.einsum("rl,rlm,rm->r", c1.reshape(-1, k), squared,
                        c2.reshape(-1, k)).reshape(d.shape)
        if unbiased:
            variance = (n2 ** 2 * sum_rows + n1 ** 2 * sum_cols - ssr) / (
                n1 * n2 * (n1 - 1) * (n2 - 1))
        else:
            variance = ((n2 - 1) * sum_rows / (n1 - 1) + (n1 - 1) * sum_cols / (n2 - 1)
                        + ssr / ((n1 - 1) * (n2 - 1))) / (n1 * n2)
        dof = np.maximum(n1 + n2 - 2, 1)
        z = z_value(confidence) if normal else sps.t.isf((1 - confidence) / 2, dof)
        root = np.sqrt(np.where(variance >= 0, variance, np.nan))
        spread = z * root * np.sqrt((1 - d_dot ** 2) ** 2 + z * z * variance)
        denominator = 1 - d_dot ** 2 + z * z * variance
        low = (d_dot - d_dot ** 3 - spread) / denominator
        high = (d_dot - d_dot ** 3 + spread) / denominator
    low = np.where(d == -1, -1.0, low)
    high = np.where(d == 1, 1.0, high)
    has_data = (n1 > 0) & (n2 > 0)
    interval_ok = has_data & (n1 > 1) & (n2 > 1) & np.isfinite(root)
    return (np.where(has_data, d, np.nan), np.where(interval_ok, low, np.nan),
            np.where(interval_ok, high, np.nan), np.where(interval_ok, variance, np.nan))


def kruskal_wallis(counts):
    """Kruskal-Wallis H test from counts of shape ``(..., groups, levels)``.

    Tie-corrected, as ``scipy.stats.kruskal``; groups without respondents are
    left out. Returns ``(H, df, p_value)``.
    """
    from scipy import stats as sps

    counts = np.asarray(counts, dtype=float)
    n_g = counts.sum(axis=-1)                          # (..., G)
    pooled = counts.sum(axis=-2)                       # (..., K)
    total = pooled.sum(axis=-1)                        # (...)
    ranks = np.cumsum(pooled, axis=-1) - pooled + (pooled + 1) / 2
    rank_sums = (counts * ranks[..., None, :]).sum(axis=-1)   # (..., G)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 12 / (total * (total + 1)) * np.where(n_g > 0, rank_sums ** 2 / n_g, 0).sum(
            axis=-1) - 3 * (total + 1)
        correction = 1 - (pooled ** 3 - pooled).sum(axis=-1) / (total ** 3 - total)
        h = h / correction
    df = (n_g > 0).sum(axis=-1) - 1
    ok = (df >= 1) & (correction > 0)
    p_value = sps.chi2.sf(np.where(ok, h, 0), np.maximum(df, 1))
    return np.where(ok, h, np.nan), df, np.where(ok, p_value, np.nan)


def cronbach_alpha_from_cov(cov, n, confidence: float = 0.95):
    """Cronbach's alpha from an item covariance matrix, with Feldt's F interval.

    Notes
    -----
    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}
              {\\mathbf 1^T C \\mathbf 1}\\right)

    Feldt's interval: :math:`1 - (1-\\alpha) F_{1-a/2}` and :math:`1 - (1-\\alpha) F_{a/2}`
    with quantiles of :math:`F(n-1, (n-1)(k-1))`, as pingouin and R psych.

    Returns ``(alpha, low, high)``; NaN for fewer than 2 items or respondents.
    """
    from scipy import stats as sps

    cov = np.asarray(cov, dtype=float)
    k = cov.shape[-1]
    if k < 2 or n < 2:
        return np.nan, np.nan, np.nan
    total = cov.sum()
    if not np.isfinite(total) or total == 0:
        return np.nan, np.nan, np.nan
    alpha = k / (k - 1) * (1 - np.trace(cov) / total)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = 1 - confidence
    low = 1 - (1 - alpha) * sps.f.isf(tail / 2, df1, df2)
    high = 1 - (1 - alpha) * sps.f.isf(1 - tail / 2, df1, df2)
    return float(alpha), float(low), float(high)


def pairwise_cov(values: np.ndarray, weights: np.ndarray | None = None,
                 squares: np.ndarray | None = None) -> np.ndarray:
    """Pairwise-complete covariance of the columns of ``values`` (NaN = missing).

    Computed with matrix products, so one pass over the rows. ``weights`` are
    frequency weights (how many respondents a row stands for; denominator
    :math:`V_1 - 1`) unless ``squares`` (the sum of squared survey weights a row
    stands for) is given: then the reliability-weights denominator
    :math:`V_1 - V_2 / V_1`. Unweighted it equals ``pandas.DataFrame.cov()``.
    """
    x = np.asarray(values, dtype=float)
    present = (~np.isnan(x)).astype(float)
    filled = np.where(present > 0, x, 0.0)
    if weights is None:  # a weight of 1 changes nothing: no pass to multiply by it
        weighted_present, weighted_filled = present, filled
    else:
        w = np.asarray(weights, dtype=float)
        weighted_present = present * w[:, None]
        weighted_filled = filled * w[:, None]
    both = weighted_present.T @ present          # V1_ij over rows with i and j answered
    sum_i = weighted_filled.T @ present          # sum of w x_i over rows with j answered
    cross = weighted_filled.T @ filled           # sum of w x_i x_j over rows with both
    with np.errstate(divide="ignore", invalid="ignore"):
        if squares is None:
            denominator = both - 1
        else:
            denominator = both - ((present * np.asarray(squares, float)[:, None]).T
                                  @ present) / both
        cov = (cross - sum_i * sum_i.T / both) / denominator
    return np.where(denominator > 0, cov, np.nan)


def cronbach_alpha(data: pd.DataFrame, confidence: float = 0.95,
                   nan_policy: str = "pairwise") -> tuple[float, float, float]:
    """Cronbach's alpha of a respondents x items frame, with its interval.

    ``nan_policy='pairwise'`` uses pairwise-complete covariances over all rows
    (R ``psych::alpha(use='pairwise')``, pingouin's default); ``'listwise'`` drops
    rows with any missing answer first. As in pingouin (and its published values),
    the interval's ``n`` is the number of rows given.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 5], "c": [1, 3, 3, 4]})
    >>> round(cronbach_alpha(frame)[0], 4)
    0.9474
    """
    frame = data.dropna(how="any") if nan_policy == "listwise" else data
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    return cronbach_alpha_from_cov(pairwise_cov(values), len(data), confidence)


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values: Holm (1979), Benjamini-Hochberg (1995) or none.

    NaN entries are not part of the family and stay NaN.

    Notes
    -----
    With the m p-values sorted ascending, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:
    Holm :math:`\\tilde p_{(i)} = \\max_{j \\le i} \\min(1, (m - j + 1) p_{(j)})`;
    BH :math:`\\tilde p_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)} / j)`.
    Identical to statsmodels ``multipletests(method='holm' | 'fdr_bh')`` (tested),
    whose Holm branch runs ``gc.collect()`` on every call: too slow to call per table.
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    present = ~np.isnan(p)
    if method == "none":
        return np.where(present, p, np.nan)
    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"unknown correction {method!r}; use holm, fdr_bh or none")
    values = p[present]
    m = len(values)
    if m == 0:
        return adjusted
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    ranks = np.arange(1, m + 1)
    if method == "holm":
        corrected = np.maximum.accumulate(np.minimum(1.0, (m - ranks + 1) * ranked))
    else:
        corrected = np.minimum.accumulate(np.minimum(1.0, m * ranked / ranks)[::-1])[::-1]
    result = np.empty(m)
    result[order] = corrected
    adjusted[present] = result
    return adjusted

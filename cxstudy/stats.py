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
    """The two-sided normal quantile of a confidence level (1.96 for 0.95).

    Parameters
    ----------
    confidence : float
        Two-sided confidence level, between 0 and 1 (0.95 for a 95% interval).

    Returns
    -------
    float
        :math:`z = \\Phi^{-1}(1 - (1 - \\text{confidence})/2)`: the standard normal
        quantile that leaves ``(1 - confidence) / 2`` in each tail.

    Examples
    --------
    >>> round(z_value(0.95), 4), round(z_value(0.90), 4)
    (1.96, 1.6449)
    """
    from scipy import stats as sps

    return float(sps.norm.isf((1 - confidence) / 2))


def midranks(values) -> np.ndarray:
    """Ranks 1..n of the values, ties sharing the mean of their ranks.

    Equal to ``scipy.stats.rankdata(values)`` (``method='average'``), value for value,
    but found by counting instead of sorting: survey answers take a handful of values.
    NaN is not allowed (drop unanswered rows first).

    Parameters
    ----------
    values : array_like, shape (n,)
        Numbers (answer codes, scores) without NaN.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        The midrank of each value, in the order given.

    Notes
    -----
    Each value's rank is the number of smaller values plus the middle of its own run:

    .. math:: r_v = \\#\\{x < v\\} + 1 + (\\#\\{x = v\\} - 1)/2

    Examples
    --------
    >>> midranks([3, 1, 3, 2])
    array([3.5, 1. , 3.5, 2. ])
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

    Parameters
    ----------
    successes : array_like of float
        Successes :math:`s` (e.g. top-box answers). May be fractional: weighted counts
        rescaled to Kish's effective n.
    n : array_like of float
        Trials :math:`n` (respondents), broadcast against ``successes``.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : numpy.ndarray of float
        Lower and upper limits, clipped to [0, 1], in the broadcast shape of the inputs;
        NaN where ``n == 0``.

    Notes
    -----
    With :math:`\\hat p = s/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`:

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    The interval inverts the score test of :math:`p = p_0`; unlike the Wald interval it
    stays within [0, 1] and keeps near its nominal coverage for small n and extreme p
    (Newcombe 1998a).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Newcombe, R. G. (1998a). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Statistics in Medicine 17, 857-872.

    Examples
    --------
    Published values of Newcombe (1998a): 81/263, 15/148 and 0/20.

    >>> low, high = wilson_interval(81, 263)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2553, 0.3662)
    >>> low, high = wilson_interval([15, 0], [148, 20])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0624, 0.0], [0.1605, 0.1611])
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

    Parameters
    ----------
    s1 : array_like of float
        Successes in the first group (may be fractional: effective counts).
    n1 : array_like of float
        Size of the first group.
    s2 : array_like of float
        Successes in the second group.
    n2 : array_like of float
        Size of the second group.
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    low, high : numpy.ndarray of float
        Limits of the interval for :math:`p_1 - p_2 = s_1/n_1 - s_2/n_2`, in the
        broadcast shape of the inputs; NaN where either group is empty.

    Notes
    -----
    With Wilson limits :math:`(l_i, u_i)` of each proportion (:func:`wilson_interval`)
    and :math:`\\delta = \\hat p_1 - \\hat p_2`:

    .. math:: L = \\delta - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2},\\quad
              U = \\delta + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}

    Matches statsmodels ``confint_proportions_2indep(method='newcomb')`` and
    Newcombe (1998b) Table II.

    References
    ----------
    Newcombe, R. G. (1998b). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Examples
    --------
    Newcombe (1998b) Table II, examples (a) and (b):

    >>> low, high = newcombe_interval(56, 70, 48, 80)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    >>> low, high = newcombe_interval(9, 10, 3, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1705, 0.809)
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

    Parameters
    ----------
    s1 : array_like of float
        Successes in the first group (may be fractional: effective counts).
    n1 : array_like of float
        Size of the first group.
    s2 : array_like of float
        Successes in the second group.
    n2 : array_like of float
        Size of the second group.

    Returns
    -------
    p_value : numpy.ndarray of float
        Two-sided p-value in the broadcast shape of the inputs (a number where every
        input is a number); NaN where a group has no respondents.
    test : numpy.ndarray of str
        Which test gave each p-value: ``"score"`` or ``"fisher"``; the empty string
        where no test exists (a group without respondents).

    Notes
    -----
    With the pooled share :math:`\\bar p = (s_1 + s_2)/(n_1 + n_2)`:

    .. math:: z = \\frac{\\hat p_1 - \\hat p_2}
              {\\sqrt{\\bar p(1 - \\bar p)(1/n_1 + 1/n_2)}},\\quad p = 2(1 - \\Phi(|z|))

    :math:`z^2` is Pearson's chi-square statistic of the 2 x 2 table. Where the smallest
    expected count (:math:`n_i \\bar p` or :math:`n_i(1 - \\bar p)`) is under 5, ``p`` is
    the two-sided p of Fisher's exact test (``scipy.stats.fisher_exact``) on the counts
    rounded to integers (effective counts may be fractional). Numbers give numbers back,
    arrays arrays.

    References
    ----------
    Pearson, K. (1900). On the criterion that a given system of deviations from the
    probable in the case of a correlated system of variables is such that it can be
    reasonably supposed to have arisen from random sampling. Philosophical Magazine
    (5th series) 50, 157-175.

    Fisher, R. A. (1935). The logic of inductive inference. Journal of the Royal
    Statistical Society 98, 39-82.

    Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Hoboken, NJ: Wiley.

    Examples
    --------
    56/70 vs 48/80 (score test, as ``scipy.stats.chi2_contingency(correction=False)``)
    and 9/10 vs 3/10 (expected counts under 5: Fisher's exact test):

    >>> p_value, test = score_test([56, 9], [70, 10], [48, 3], [80, 10])
    >>> p_value.round(4).tolist(), test.tolist()
    ([0.008, 0.0198], ['score', 'fisher'])
    >>> p_value, test = score_test(9, 10, 3, 10)
    >>> round(float(p_value), 4), str(test)
    (0.0198, 'fisher')
    """
    from scipy import stats as sps

    scalar = all(np.ndim(a) == 0 for a in (s1, n1, s2, n2))
    s1, n1, s2, n2 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float))
                                           for a in (s1, n1, s2, n2)))
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
    for index in zip(*np.nonzero(exact), strict=False):
        a, b = round(float(s1[index])), round(float(n1[index] - s1[index]))
        c, d = round(float(s2[index])), round(float(n2[index] - s2[index]))
        p_value[index] = sps.fisher_exact([[a, b], [c, d]]).pvalue
    p_value = np.where(valid, p_value, np.nan)
    return (p_value[0], test[0]) if scalar else (p_value, test)


def cohens_h(p1, p2):
    """Cohen's h: :math:`2\\arcsin\\sqrt{p_1} - 2\\arcsin\\sqrt{p_2}`.

    Parameters
    ----------
    p1 : array_like of float
        First proportion(s), in [0, 1].
    p2 : array_like of float
        Second proportion(s), in [0, 1], broadcast against ``p1``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The effect size h, positive where ``p1 > p2``; NaN where a proportion is NaN.

    Notes
    -----
    .. math:: h = 2\\arcsin\\sqrt{p_1} - 2\\arcsin\\sqrt{p_2}

    The arcsine square root makes the variance of a proportion nearly independent of
    :math:`p`, so equal values of :math:`h` are about equally detectable anywhere in
    [0, 1]. Cohen's conventions: 0.2 small, 0.5 medium, 0.8 large.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    chapter 6. Hillsdale, NJ: Lawrence Erlbaum.

    Examples
    --------
    Cohen (1988), as R ``pwr::ES.h(0.5, 0.4)``:

    >>> round(float(cohens_h(0.5, 0.4)), 7)
    0.2013579
    """
    p1, p2 = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


def moments(counts, values):
    """``(n, mean, variance)`` of a distribution given by counts over scale values.

    Parameters
    ----------
    counts : array_like of float, shape (..., k)
        Respondents (or effective counts) at each of k scale points.
    values : array_like of float
        The numeric value of each scale point, broadcast to ``counts``; points with a
        NaN value (beyond an item's k) are skipped.

    Returns
    -------
    n, mean, variance : numpy.ndarray of float, shape counts.shape[:-1]
        Total count, mean (NaN for ``n == 0``) and variance with the ``n - 1``
        denominator (NaN for ``n < 2``).

    Notes
    -----
    With counts :math:`c_l` at values :math:`v_l`: :math:`n = \\sum_l c_l`,
    :math:`\\bar x = \\sum_l c_l v_l / n` and
    :math:`s^2 = \\sum_l c_l (v_l - \\bar x)^2 / (n - 1)`.

    Examples
    --------
    >>> n, mean, variance = moments([[2, 3, 5], [0, 1, 1]], [1, 2, 3])
    >>> n.tolist(), mean.tolist(), variance.round(4).tolist()
    ([10.0, 2.0], [2.3, 2.5], [0.6778, 0.5])
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

    Parameters
    ----------
    sum_w : float or array_like of float
        Sum of the weights, :math:`\\sum w`.
    sum_w2 : float or array_like of float
        Sum of the squared weights, :math:`\\sum w^2`.

    Returns
    -------
    float or numpy.ndarray of float
        The effective sample size (a float for scalar inputs); 0 where
        :math:`\\sum w^2 = 0`.

    Notes
    -----
    .. math:: n_{eff} = \\frac{(\\sum_i w_i)^2}{\\sum_i w_i^2}

    It equals n when all weights are equal and is smaller otherwise: a weighted mean
    has about the variance of an unweighted mean of :math:`n_{eff}` respondents
    (Kish's design effect of unequal weighting, :math:`n / n_{eff} = 1 + CV_w^2`).

    References
    ----------
    Kish, L. (1965). Survey Sampling. New York: Wiley.

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

    Parameters
    ----------
    values : array_like of float, shape (m,)
        The values (e.g. the distinct scores of a pattern table), without NaN.
    weights : array_like of float, shape (m,)
        The weight each value carries: how many respondents gave it (frequency
        weights), or the sum of their survey weights when ``squares`` is given.
    counts : array_like of float, optional
        Respondents behind each value; ``n`` is their sum (default: one per value).
    squares : array_like of float, optional
        Sum of the squared survey weights behind each value. Given, ``weights`` are
        survey weights and the variance and ``n_eff`` use Kish's effective n.

    Returns
    -------
    dict
        ``n`` (int, respondents), ``n_eff`` (float: ``n`` for frequency weights, Kish's
        effective n for survey weights), ``mean`` (weighted mean) and ``var``
        (variance; NaN when ``n`` or ``n_eff`` is at most 1). Without respondents or
        weight: ``n_eff`` 0 and ``mean``, ``var`` NaN.

    Notes
    -----
    With :math:`\\bar x = \\sum w x / \\sum w`. Frequency weights:
    :math:`s^2 = \\sum w (x - \\bar x)^2 / (n - 1)`. Survey weights:

    .. math:: s^2 = \\frac{\\sum w (x - \\bar x)^2}{\\sum w} \\cdot
              \\frac{n_{eff}}{n_{eff} - 1},\\quad n_{eff} = (\\sum w)^2 / \\sum w^2

    References
    ----------
    Kish, L. (1965). Survey Sampling. New York: Wiley.

    Examples
    --------
    Two respondents answering 1, three 2 and five 3 (frequency weights):

    >>> out = weighted_moments([1, 2, 3], [2, 3, 5], counts=[2, 3, 5])
    >>> out["n"], out["n_eff"], out["mean"], round(out["var"], 4)
    (10, 10.0, 2.3, 0.6778)

    Four respondents with survey weights 1.0 (answer 1), 0.5 and 1.0 (answer 2), 2.5
    (answer 3):

    >>> out = weighted_moments([1, 2, 3], [1.0, 1.5, 2.5], counts=[1, 2, 1],
    ...                        squares=[1.0, 1.25, 6.25])
    >>> out["n"], round(out["n_eff"], 4), out["mean"], round(out["var"], 4)
    (4, 2.9412, 2.3, 0.9242)
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

    Parameters
    ----------
    mean1 : array_like of float
        Mean of the first group.
    var1 : array_like of float
        Variance of the first group (``n - 1`` denominator).
    n1 : array_like of float
        Size of the first group (Kish's effective n when weighted).
    mean2 : array_like of float
        Mean of the second group.
    var2 : array_like of float
        Variance of the second group.
    n2 : array_like of float
        Size of the second group.
    confidence : float, default 0.95
        Two-sided confidence level of the interval.

    Returns
    -------
    difference, low, high, p_value, df : numpy.ndarray of float
        :math:`\\bar x_1 - \\bar x_2`, its interval, the two-sided p of the t test and
        the Welch-Satterthwaite degrees of freedom. All but ``difference`` are NaN where
        a variance is undefined or both are 0.

    Notes
    -----
    With :math:`a = s_1^2/n_1` and :math:`b = s_2^2/n_2`, the interval is
    :math:`\\bar x_1 - \\bar x_2 \\pm t_{1-\\alpha/2,\\nu}\\sqrt{a + b}` with

    .. math:: \\nu = \\frac{(a + b)^2}{a^2/(n_1 - 1) + b^2/(n_2 - 1)}

    and :math:`p = 2(1 - F_{t,\\nu}(|\\bar x_1 - \\bar x_2| / \\sqrt{a + b}))`, as
    ``scipy.stats.ttest_ind(equal_var=False)``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. Biometrika 34, 28-35.

    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin 2, 110-114.

    Examples
    --------
    >>> x = np.array([1, 2, 2, 3, 3, 3, 3, 4, 4, 5])
    >>> y = np.array([1, 1, 1, 2, 2, 2, 3, 3, 4, 5])
    >>> out = welch(x.mean(), x.var(ddof=1), 10, y.mean(), y.var(ddof=1), 10)
    >>> [round(float(v), 4) for v in out]  # p and df as scipy's ttest_ind
    [0.6, -0.5822, 1.7822, 0.2999, 17.5781]
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

    Parameters
    ----------
    c1 : array_like of float, shape (..., k)
        Counts of the first group at each of k ordered levels (lowest first).
    c2 : array_like of float, shape (..., k)
        Counts of the second group at the same levels.

    Returns
    -------
    U1 : numpy.ndarray of float
        The U statistic of the first group: pairs in which its answer is higher, ties
        counting one half.
    p_value : numpy.ndarray of float
        Two-sided p; 1 where every answer is the same (as scipy) and NaN where a group
        has no respondents.

    Notes
    -----
    :math:`U_1 = \\sum_l c_{1l}(C_{2,<l} + c_{2l}/2)`; with :math:`t_l = c_{1l} + c_{2l}`,

    .. math:: \\sigma^2 = \\frac{n_1 n_2}{12}
              \\left(N + 1 - \\frac{\\sum (t_l^3 - t_l)}{N(N-1)}\\right),

    :math:`z = (\\max(U_1, U_2) - n_1 n_2/2 - 1/2)/\\sigma`, :math:`p = \\min(1, 2(1-\\Phi(z)))`.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random
    variables is stochastically larger than the other. Annals of Mathematical
    Statistics 18, 50-60.

    Lehmann, E. L. (1975). Nonparametrics: Statistical Methods Based on Ranks. San
    Francisco: Holden-Day (the tie correction).

    Examples
    --------
    The data of effsize's ``cliff.delta`` example, as counts over levels 1-5:

    >>> treatment = np.bincount([1, 1, 2, 2, 2, 3, 3, 3, 4, 5], minlength=6)[1:]
    >>> control = np.bincount([1, 2, 3, 4, 4, 5], minlength=6)[1:]
    >>> u1, p_value = mann_whitney(treatment, control)
    >>> float(u1), round(float(p_value), 4)  # scipy: U = 22.5, p = 0.4378
    (22.5, 0.4378)
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

    Parameters
    ----------
    c1 : array_like of float, shape (..., k)
        Counts of the first group at each of k ordered levels (lowest first).
    c2 : array_like of float, shape (..., k)
        Counts of the second group at the same levels.
    confidence : float, default 0.95
        Two-sided confidence level of the interval.
    unbiased : bool, default True
        Cliff's unbiased estimate of the variance of d; ``False``: the consistent one.
    normal : bool, default False
        Use the normal quantile instead of Student's t with ``n1 + n2 - 2`` df.

    Returns
    -------
    delta, low, high, variance : numpy.ndarray of float
        Cliff's d (NaN where a group has no respondents), its interval and its
        variance estimate (NaN where a group has fewer than 2 respondents or the
        variance estimate is negative).

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

    References
    ----------
    Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal
    questions. Psychological Bulletin 114, 494-509.

    Cliff, N. (1996). Ordinal Methods for Behavioral Data Analysis. Mahwah, NJ:
    Lawrence Erlbaum.

    Feng, D. & Cliff, N. (2004). Monte Carlo evaluation of ordinal d with improved
    confidence interval. Journal of Modern Applied Statistical Methods 3, 322-332.

    Examples
    --------
    The example of R ``effsize::cliff.delta`` (published d = -0.25):

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
    left out.

    Parameters
    ----------
    counts : array_like of float, shape (..., groups, levels)
        Counts of each group at each ordered level (lowest first).

    Returns
    -------
    H : numpy.ndarray of float
        The tie-corrected statistic; NaN where fewer than two groups have
        respondents or every answer is the same.
    df : numpy.ndarray of int
        Degrees of freedom: groups with respondents, minus 1.
    p_value : numpy.ndarray of float
        Upper tail of :math:`\\chi^2_{df}` at H; NaN where H is.

    Notes
    -----
    With :math:`N` answers in all, group sizes :math:`n_g`, rank sums :math:`R_g` of
    the pooled midranks and :math:`t_l` answers at level :math:`l`:

    .. math:: H = \\frac{\\frac{12}{N(N+1)}\\sum_g R_g^2/n_g - 3(N+1)}
              {1 - \\sum_l (t_l^3 - t_l)/(N^3 - N)}

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance
    analysis. Journal of the American Statistical Association 47, 583-621.

    Examples
    --------
    Three groups' counts over levels 1-5 (scipy's ``kruskal`` on the answers gives the
    same H and p):

    >>> counts = np.array([[2, 3, 3, 1, 1], [1, 1, 1, 2, 1], [0, 1, 1, 2, 2]])
    >>> h, df, p_value = kruskal_wallis(counts)
    >>> round(float(h), 4), int(df), round(float(p_value), 4)
    (3.2117, 2, 0.2007)
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

    Parameters
    ----------
    cov : array_like of float, shape (k, k)
        Covariance matrix of the k items.
    n : float
        Respondents (Kish's effective n when weighted): the interval's degrees of
        freedom.
    confidence : float, default 0.95
        Two-sided confidence level of the interval.

    Returns
    -------
    alpha, low, high : float
        Cronbach's alpha and Feldt's interval; NaN for fewer than 2 items or
        respondents, or when the total variance is 0 or not finite.

    Notes
    -----
    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}
              {\\mathbf 1^T C \\mathbf 1}\\right)

    Feldt's interval: :math:`1 - (1-\\alpha) F_{1-a/2}` and :math:`1 - (1-\\alpha) F_{a/2}`
    with quantiles of :math:`F(n-1, (n-1)(k-1))`, as pingouin and R psych.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334.

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika 30, 357-370.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 3, 5], "c": [1, 3, 3, 4]})
    >>> alpha, low, high = cronbach_alpha_from_cov(frame.cov().to_numpy(), n=4)
    >>> round(alpha, 4), round(low, 3), round(high, 3)  # as pingouin.cronbach_alpha
    (0.9474, 0.653, 0.996)
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

    Computed with matrix products, so one pass over the rows. Unweighted it equals
    ``pandas.DataFrame.cov()``.

    Parameters
    ----------
    values : numpy.ndarray of float, shape (rows, items)
        Answers, NaN where missing.
    weights : numpy.ndarray of float, shape (rows,), optional
        How many respondents each row stands for (frequency weights), or the sum of
        their survey weights when ``squares`` is given. Default: 1 per row.
    squares : numpy.ndarray of float, shape (rows,), optional
        The sum of squared survey weights each row stands for; given, the weights are
        treated as reliability weights.

    Returns
    -------
    numpy.ndarray of float, shape (items, items)
        Covariance of each pair of columns over the rows answering both; NaN where its
        denominator is not positive (too few such rows).

    Notes
    -----
    For columns i and j, over the rows answering both, with :math:`V_1 = \\sum w` and
    :math:`V_2 = \\sum w^2`:

    .. math:: C_{ij} = \\frac{\\sum w x_i x_j - (\\sum w x_i)(\\sum w x_j) / V_1}{D}

    with :math:`D = V_1 - 1` for frequency weights and :math:`D = V_1 - V_2 / V_1` for
    reliability weights (``squares`` given).

    Examples
    --------
    >>> values = np.array([[1, 2], [2, np.nan], [3, 5], [4, 4]])
    >>> pairwise_cov(values).round(4)
    array([[1.6667, 1.8333],
           [1.8333, 2.3333]])
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

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one numeric column per item; NaN where missing.
    confidence : float, default 0.95
        Two-sided confidence level of Feldt's interval.
    nan_policy : {'pairwise', 'listwise'}, default 'pairwise'
        How missing answers are handled (see above).

    Returns
    -------
    alpha, low, high : float
        Cronbach's alpha and its Feldt interval (NaN for fewer than 2 items or rows).

    Notes
    -----
    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_i \\sigma_i^2}
              {\\sum_{ij} \\sigma_{ij}}\\right)

    with the interval of :func:`cronbach_alpha_from_cov`.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334.

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika 30, 357-370.

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

    Parameters
    ----------
    p_values : array_like of float
        The family of p-values (any shape); NaN entries are left out.
    method : {'holm', 'fdr_bh', 'none'}, default 'holm'
        Holm's step-down familywise correction, Benjamini-Hochberg's false discovery
        rate, or no adjustment.

    Returns
    -------
    numpy.ndarray of float
        Adjusted p-values (at most 1) in the shape of ``p_values``; NaN where the input
        is NaN.

    Raises
    ------
    ValueError
        For an unknown ``method``.

    Notes
    -----
    With the m p-values sorted ascending, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:
    Holm :math:`\\tilde p_{(i)} = \\max_{j \\le i} \\min(1, (m - j + 1) p_{(j)})`;
    BH :math:`\\tilde p_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)} / j)`.
    Identical to statsmodels ``multipletests(method='holm' | 'fdr_bh')`` (tested),
    whose Holm branch runs ``gc.collect()`` on every call: too slow to call per table.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6, 65-70.

    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a
    practical and powerful approach to multiple testing. Journal of the Royal
    Statistical Society B 57, 289-300.

    Examples
    --------
    The 15 p-values of Benjamini & Hochberg (1995): at 0.05, BH rejects 4 hypotheses
    and Holm 3.

    >>> p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
    ...      0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0]
    >>> int((adjust_pvalues(p, "fdr_bh") <= 0.05).sum()), int((adjust_pvalues(p) <= 0.05).sum())
    (4, 3)
    >>> adjust_pvalues([0.01, 0.04, np.nan, 0.03]).round(4).tolist()
    [0.03, 0.06, nan, 0.06]
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

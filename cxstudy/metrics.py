"""CX metrics (NPS, CSAT, CES), their gaps, calibration of beliefs, and
importance-performance analysis.

All estimates use the respondents' weights (Kish's effective n in intervals).

References
----------
Reichheld, F. (2003). The one number you need to grow. HBR 81(12).
Rocks, B. (2016). Interval estimation for the "net promoter score". The American
Statistician 70(4), 365-372 (adjusted Wald interval: add 3/4 promoter, 3/4
detractor and 3 respondents).
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. J. Marketing 41.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .counts import respondent_weights
from .model import Metric, Study
from .scales import Scale
from .tables import CALIBRATION, IMPORTANCE, METRIC_GAPS, METRICS, conform, suppress, too_small
from .waves import per_wave

QUADRANTS = {(True, False): "concentrate here", (True, True): "keep up the good work",
             (False, False): "low priority", (False, True): "possible overkill"}


def _weighted(values: np.ndarray, weights: np.ndarray) -> tuple[int, float, float]:
    """n, weighted total and Kish's effective n of the answered values."""
    answered = ~np.isnan(values)
    w = weights[answered]
    total = float(w.sum())
    return int(answered.sum()), total, stats.effective_n(total, float((w * w).sum()))


def nps_estimate(scores: np.ndarray, weights: np.ndarray | None = None,
                 confidence: float = 0.95) -> dict[str, float]:
    """Net Promoter Score of 0-10 answers as a fraction from -1 to 1.

    Notes
    -----
    Promoters answer 9-10, detractors 0-6: :math:`NPS = P - D`,
    :math:`SE = \\sqrt{(P + D - (P - D)^2)/n}`. The interval is the adjusted Wald
    interval: with :math:`P' = (n_P + 3/4)/(n + 3)` and :math:`D' = (n_D + 3/4)/(n + 3)`,
    :math:`P' - D' \\pm z\\sqrt{(P' + D' - (P' - D')^2)/(n + 3)}`, clipped to [-1, 1].
    Weighted: shares are weighted and ``n`` is Kish's effective n.

    Examples
    --------
    >>> out = nps_estimate(np.array([10, 9, 8, 7, 3, 0, 10, 10]))
    >>> round(out["value"], 3), round(out["se"], 3)
    (0.25, 0.293)
    """
    scores = np.asarray(scores, dtype=float)
    weights = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    n, total, n_eff = _weighted(scores, weights)
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan,
                "promoters": np.nan, "detractors": np.nan}
    answered = ~np.isnan(scores)
    w, s = weights[answered], scores[answered]
    promoters, detractors = float(w[s >= 9].sum() / total), float(w[s <= 6].sum() / total)
    value = promoters - detractors
    se = np.sqrt(max(promoters + detractors - value ** 2, 0.0) / n_eff)
    p_adj = (promoters * n_eff + 0.75) / (n_eff + 3)
    d_adj = (detractors * n_eff + 0.75) / (n_eff + 3)
    centre = p_adj - d_adj
    half = stats.z_value(confidence) * np.sqrt(
        max(p_adj + d_adj - centre ** 2, 0.0) / (n_eff + 3))
    return {"n": n, "value": value, "se": float(se), "low": max(-1.0, centre - half),
            "high": min(1.0, centre + half), "promoters": promoters, "detractors": detractors}


def _share_estimate(hits: np.ndarray, answered: np.ndarray, weights: np.ndarray,
                    confidence: float) -> dict[str, float]:
    n, total, n_eff = _weighted(np.where(answered, 1.0, np.nan), weights)
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan}
    share = float(weights[answered & hits].sum() / total)
    low, high = stats.wilson_interval(share * n_eff, n_eff, confidence)
    return {"n": n, "value": share, "se": float(np.sqrt(share * (1 - share) / n_eff)),
            "low": float(low), "high": float(high), "n_eff": n_eff}


def _mean_estimate(values: np.ndarray, weights: np.ndarray, confidence: float):
    from scipy import stats as sps

    answered = ~np.isnan(values)
    w = weights[answered]
    moments = stats.weighted_moments(values[answered], w, squares=w * w)
    n, n_eff, mean = moments["n"], moments["n_eff"], moments["mean"]
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan}
    se = np.sqrt(moments["var"] / n_eff) if n_eff > 1 else np.nan
    t = sps.t.isf((1 - confidence) / 2, max(n_eff - 1, 1))
    return {"n": n, "value": mean, "se": se, "low": mean - t * se, "high": mean + t * se,
            "var": moments["var"], "n_eff": n_eff}


def _top_box_estimate(values: np.ndarray, scale: Scale, weights: np.ndarray,
                      confidence: float) -> dict[str, float]:
    top = np.array(scale.point_values[scale.k - scale.top_box:])
    return _share_estimate(np.isin(values, top), ~np.isnan(values), weights, confidence)


@dataclass(frozen=True)
class MetricKind:
    """One kind of CX metric: how it is computed, named and shown.

    Attributes
    ----------
    name : str
        The kind, as ``metrics.csv``'s ``kind`` column (and a study file's ``kind:``)
        names it.
    label : str
        How a table names it (``"NPS (points)"``).
    description : str
        What it is, as the pages describe it.
    units : {"points", "share", "scale"}
        How it is shown: a difference of shares in points (NPS), a share in per cent
        (and its gaps in points), or a mean in the scale's units.
    estimate : callable
        ``estimate(values, scale, weights, confidence) -> dict`` with ``n, value, se,
        low, high`` for one audience's answers (``scale`` is None where not needed).
    needs_scale : bool
        The study file must name the metric's answer scale.
    adds : tuple of str
        Further kinds of row the metric brings (a CES metric also gives the share
        reporting low effort, as ``<id>_low_effort``).
    in_study_file : bool
        A kind a study file can name (``ces_low_effort`` comes with ``ces``).
    """

    name: str
    label: str
    description: str
    units: str
    estimate: Callable[[np.ndarray, Scale | None, np.ndarray, float], dict]
    needs_scale: bool = True
    adds: tuple[str, ...] = ()
    in_study_file: bool = True


_KINDS = (
    MetricKind("nps", "NPS (points)", "Net Promoter Score (promoters 9–10 minus detractors "
               "0–6, in points, with the adjusted Wald interval)", "points",
               lambda values, _scale, weights, level: nps_estimate(values, weights, level),
               needs_scale=False),
    MetricKind("ces", "CES (mean effort score)", "customer effort (the mean score, t "
               "interval)", "scale",
               lambda values, _scale, weights, level: _mean_estimate(values, weights, level),
               adds=("ces_low_effort",)),
    MetricKind("csat", "CSAT (top-box)", "satisfaction (the share in the top box, Wilson "
               "interval)", "share", _top_box_estimate),
    MetricKind("ces_low_effort", "CES: low effort (top-box)", "the share reporting low "
               "effort", "share", _top_box_estimate, in_study_file=False),
)
METRIC_KINDS: dict[str, MetricKind] = {kind.name: kind for kind in _KINDS}
"""Every kind of metric row by name; those ``in_study_file`` are what ``metrics:`` takes."""


def in_points(kind: str) -> bool:
    """Whether a metric kind's values and changes are shares, shown in points (NPS,
    CSAT), rather than means in a scale's units (CES)."""
    return METRIC_KINDS[kind].units != "scale"


def _metric_rows(metric: Metric, study: Study, values: np.ndarray, weights: np.ndarray):
    """(metric id, kind, estimate) for one metric and one set of respondents: the
    metric's own kind, then each kind it adds (CES: ``<id>_low_effort``)."""
    scale = study.scales.get(metric.scale) if metric.scale else None
    kind = METRIC_KINDS[metric.kind]
    for name in (kind.name, *kind.adds):
        row_id = metric.id if name == kind.name else \
            f"{metric.id}_{name.removeprefix(kind.name + '_')}"
        yield row_id, name, METRIC_KINDS[name].estimate(values, scale, weights,
                                                        study.confidence)


@per_wave
def metric_table(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Every metric per audience: ``metric, group, n, value, se, low, high, kind,
    suppressed``.

    NPS as a fraction from -1 to 1 with the adjusted Wald interval; CSAT as the
    top-box share with Wilson's interval; CES as the mean (t interval) plus
    ``<id>_low_effort``, the top-box share. ``kind`` says which: ``nps``, ``csat``,
    ``ces`` or ``ces_low_effort``. Audiences not asked are left out; below
    ``min_group_size`` the estimates are blank and ``suppressed`` is true. In a study
    with waves, one row per (wave, metric, group); the change between waves is
    :func:`cxstudy.waves.metric_trends`.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`), one column per metric.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``metrics``, audiences, scales,
        ``confidence`` and ``min_group_size``.

    Returns
    -------
    pandas.DataFrame
        One row per (metric, audience): ``metric, group, n, value, se, low, high, kind,
        suppressed`` (``metrics.csv`` in docs/outputs.md); with a ``wave`` column
        first in a study with waves.

    Notes
    -----
    NPS: promoters answer 9-10, detractors 0-6, :math:`NPS = P - D`,
    :math:`SE = \\sqrt{(P + D - (P - D)^2)/n}`; the interval is the adjusted Wald
    interval of Rocks (2016) (add 3/4 promoter, 3/4 detractor and 3 respondents, see
    :func:`nps_estimate`). CSAT and low effort: the top-box share with the Wilson
    interval. CES: the weighted mean with :math:`\\bar x \\pm t_{n_{eff} - 1}
    \\, s/\\sqrt{n_{eff}}`. Weighted estimates use Kish's effective n.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
    Review 81(12), 46-54.

    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician 70(4), 365-372.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> responses = cx.clean(cx.read_sources(study), study).responses  # doctest: +SKIP
    >>> cx.metric_table(responses, study).query("metric == 'nps'")  # doctest: +SKIP
    """
    weights, _ = respondent_weights(responses)
    rows = []
    for metric in study.metrics:
        if metric.id not in responses:
            continue
        values = responses[metric.id].to_numpy(dtype=float, na_value=np.nan)
        for group in study.groups:
            mask = (responses["group"] == group).to_numpy()
            if not np.any(~np.isnan(values[mask])):
                continue
            for metric_id, kind, estimate in _metric_rows(metric, study, values[mask],
                                                          weights[mask]):
                rows.append({"metric": metric_id, "group": group, "n": estimate["n"],
                             **{k: estimate[k] for k in ("value", "se", "low", "high")},
                             "kind": kind})
    table = pd.DataFrame(rows, columns=METRICS.all_columns[:-1])
    suppress(table, METRICS, too_small(table["n"], study))
    return conform(table, METRICS)


@per_wave
def metric_gaps(responses: pd.DataFrame, study: Study, *,
                metrics: pd.DataFrame | None = None) -> pd.DataFrame:
    """Gaps in every metric between each audience and the reference.

    Gap SE :math:`\\sqrt{SE_1^2 + SE_2^2}`, normal interval and two-sided p; p adjusted
    over the table with the study's correction. Metrics the reference was not asked
    (or where it is suppressed) have no rows; neither do suppressed audiences. In a
    study with waves, within each wave (the change between waves:
    :func:`cxstudy.waves.metric_trends`).

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`).
    study : Study
        The study (:func:`~cxstudy.load_study`): reference, ``confidence``,
        ``correction``.
    metrics : pandas.DataFrame, optional
        A :func:`metric_table` already computed (of these responses).

    Returns
    -------
    pandas.DataFrame
        One row per (metric, audience other than the reference): ``metric, group,
        reference, gap, se, low, high, p_value, p_adjusted, kind``
        (``metric_gaps.csv`` in docs/outputs.md); with a ``wave`` column first in a
        study with waves.

    Notes
    -----
    .. math:: \\Delta = v_g - v_{ref},\\quad SE_\\Delta = \\sqrt{SE_g^2 + SE_{ref}^2},
              \\quad \\Delta \\pm z\\,SE_\\Delta,\\quad p = 2(1 - \\Phi(|\\Delta| / SE_\\Delta))

    The two audiences are independent samples, so their variances add.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician 70(4), 365-372 (the SE of an NPS).

    Examples
    --------
    Something precomputed belongs to one wave: give one wave's responses with it.

    >>> latest = responses[responses["wave"] == "2026"]  # doctest: +SKIP
    >>> metrics = cx.metric_table(latest, study)  # doctest: +SKIP
    >>> cx.metric_gaps(latest, study, metrics=metrics)  # doctest: +SKIP
    """
    from scipy import stats as sps

    table = metrics if metrics is not None else metric_table(responses, study)
    z = stats.z_value(study.confidence)
    rows = []
    for _metric, part in table.groupby("metric", sort=False):
        ref = part[part["group"] == study.reference]
        if ref.empty or ref["suppressed"].iloc[0]:
            continue
        ref = ref.iloc[0]
        for _, row in part[(part["group"] != study.reference) & ~part["suppressed"]].iterrows():
            gap = row["value"] - ref["value"]
            se = float(np.sqrt(row["se"] ** 2 + ref["se"] ** 2))
            p_value = float(2 * sps.norm.sf(abs(gap) / se)) if se > 0 else np.nan
            rows.append({"metric": row["metric"], "group": row["group"],
                         "reference": study.reference, "gap": gap, "se": se,
                         "low": gap - z * se, "high": gap + z * se, "p_value": p_value,
                         "p_adjusted": np.nan, "kind": row["kind"]})
    frame = pd.DataFrame(rows, columns=METRIC_GAPS.all_columns)
    frame["p_adjusted"] = stats.adjust_pvalues(frame["p_value"], study.correction)
    return frame


@per_wave
def calibration_table(responses: pd.DataFrame, study: Study, *,
                      shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """How well leaders and staff know their customers.

    For each ``estimates:`` entry and each audience that estimated: the mean
    estimate (0-100, reported as a fraction) of the share of the reference audience
    that would agree with the item, the reference's actual top-box share with its
    Wilson interval, and ``error = estimate - actual``. Extra columns: the estimate's
    t interval and the reference's n.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`), one column per estimate.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``estimates``, reference,
        ``confidence`` and ``min_group_size``.
    shares : pandas.DataFrame, optional
        A :func:`~cxstudy.share_table` already computed (of these responses).

    Returns
    -------
    pandas.DataFrame
        One row per (estimated item, audience that estimated): ``item, group, n,
        estimate, actual, actual_low, actual_high, error, estimate_low, estimate_high,
        n_actual, reference, suppressed`` (``calibration.csv`` in docs/outputs.md);
        with a ``wave`` column first in a study with waves.

    Notes
    -----
    With estimates :math:`e_r` (as fractions) and the reference's top-box share
    :math:`\\hat p_{ref}`: :math:`\\text{error} = \\bar e - \\hat p_{ref}`; the estimate's
    interval is :math:`\\bar e \\pm t_{n_{eff} - 1}\\, s / \\sqrt{n_{eff}}` and the
    actual share's is Wilson's.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Examples
    --------
    >>> cx.calibration_table(responses, study)[["item", "group", "error"]]  # doctest: +SKIP
    """
    weights, _ = respondent_weights(responses)
    from .gaps import share_table

    shares = shares if shares is not None else share_table(responses, study)
    rows = []
    for estimate in study.estimates:
        if estimate.id not in responses:
            continue
        actual = shares[(shares["item"] == estimate.item) & (shares["group"] == study.reference)]
        if actual.empty:
            continue
        actual = actual.iloc[0]
        values = responses[estimate.id].to_numpy(dtype=float, na_value=np.nan) / 100
        for group in study.groups:
            mask = (responses["group"] == group).to_numpy()
            if group not in estimate.columns or not np.any(~np.isnan(values[mask])):
                continue
            mean = _mean_estimate(values[mask], weights[mask], study.confidence)
            rows.append({
                "item": estimate.item, "group": group, "n": mean["n"],
                "estimate": mean["value"], "actual": actual["top_box"],
                "actual_low": actual["top_box_low"], "actual_high": actual["top_box_high"],
                "error": mean["value"] - actual["top_box"],
                "estimate_low": mean["low"], "estimate_high": mean["high"],
                "n_actual": int(actual["n"]), "reference": study.reference,
                "suppressed": bool(actual["suppressed"])})
    table = pd.DataFrame(rows, columns=CALIBRATION.all_columns)
    return suppress(table, CALIBRATION, too_small(table["n"], study))


def _spearman_interval(values: np.ndarray, outcome: np.ndarray,
                       z: float) -> tuple[int, float, float, float]:
    """n, Spearman's rho of the pairs both answered, and its Fisher-z interval
    (tanh(atanh(rho) +- z / sqrt(n - 3))); rho is NaN below 3 pairs or without variation.

    Rho is Pearson's correlation of the midranks (:func:`cxstudy.stats.midranks`, found by
    counting), computed as ``scipy.stats.spearmanr`` does it, so the two agree exactly."""
    both = ~np.isnan(values) & ~np.isnan(outcome)
    n, value = int(both.sum()), np.nan
    if n >= 3 and np.ptp(values[both]) > 0 and np.ptp(outcome[both]) > 0:
        ranks = np.column_stack((stats.midranks(values[both]), stats.midranks(outcome[both])))
        value = float(np.corrcoef(ranks, rowvar=False)[1, 0])
    half = z / np.sqrt(n - 3) if n > 3 else np.nan
    if not np.isfinite(value):
        return n, value, np.nan, np.nan
    with np.errstate(divide="ignore"):  # rho = +-1: atanh is infinite, the interval a point
        centre = np.arctanh(value)
    return n, value, np.tanh(centre - half), np.tanh(centre + half)


@per_wave
def importance_performance(responses: pd.DataFrame, study: Study, *, group: str | None = None,
                           against: str | None = None, importance: str = "auto",
                           shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """Importance-performance analysis of one audience (default: the reference).

    Performance: the audience's top-box share of each item. Importance is *stated*
    (the top-box share of the item named by the item's ``importance:`` key, with its
    Wilson interval) or *derived*: the Spearman correlation of the item with
    ``against`` (default: the first headline item, else the NPS metric), with a
    Fisher-z interval. Quadrants split at the mean importance and the mean
    performance (the crosshairs): *concentrate here* (important, performing below
    average), *keep up the good work*, *low priority*, *possible overkill*.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`).
    study : Study
        The study (:func:`~cxstudy.load_study`): items (their ``importance:`` keys and
        headlines), metrics, ``importance_against``, ``confidence``.
    group : str, optional
        The audience analysed (default: the study's reference).
    against : str, optional
        Item or metric id that derived importance correlates with (default: the
        study's ``importance_against``, else the first headline item, else the NPS
        metric).
    importance : {'auto', 'stated', 'derived'}, default 'auto'
        ``'auto'`` uses stated importance when every item has one, else derived.
    shares : pandas.DataFrame, optional
        A :func:`~cxstudy.share_table` already computed (of these responses).

    Returns
    -------
    pandas.DataFrame
        ``item, text, dimension, group, n, performance, importance, importance_low,
        importance_high, method, suppressed, quadrant`` (``importance_performance.csv``
        in docs/outputs.md); the crosshairs, ``against`` and the method in ``attrs``.
        Empty when no item qualifies. With a ``wave`` column first in a study with
        waves.

    Raises
    ------
    ValueError
        Derived importance without an outcome to correlate with.

    Notes
    -----
    Derived importance is Spearman's :math:`\\rho` (Pearson's correlation of the
    midranks) over the respondents who answered both, with the Fisher-z interval
    :math:`\\tanh(\\operatorname{artanh}\\rho \\pm z/\\sqrt{n - 3})`.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing 41(1), 77-79.

    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
    deduced from a small sample. Metron 1, 3-32.

    Examples
    --------
    >>> ipa = cx.importance_performance(responses, study, against="excellent")  # doctest: +SKIP
    >>> ipa[["item", "performance", "importance", "quadrant"]]  # doctest: +SKIP
    """
    from .gaps import share_table

    group = group or study.reference
    against = against or study.importance_against
    shares = (shares if shares is not None else share_table(responses, study)
              ).set_index(["item", "group"])
    importance_items = {i.importance for i in study.items if i.importance}
    candidates = [i for i in study.items if i.id in responses
                  and i.id not in importance_items]
    stated = importance == "stated" or (importance == "auto" and candidates and all(
        i.importance for i in candidates if i.id != against))
    if not stated:
        if against is None:
            headline = [i.id for i in study.items if i.headline]
            nps = [m.id for m in study.metrics if m.kind == "nps"]  # the loyalty outcome
            against = headline[0] if headline else (nps[0] if nps else None)
        if against is None or against not in responses:
            raise ValueError("derived importance needs an outcome: mark a headline item or "
                             "give against='<item or metric id>'")
    rows = (responses["group"] == group).to_numpy()
    outcome = None if stated else responses[against].to_numpy(dtype=float, na_value=np.nan)[rows]
    z = stats.z_value(study.confidence)
    result = []
    for item in candidates:
        if item.id == against:
            continue
        share = shares.loc[(item.id, group)]
        if stated:
            if not item.importance:
                continue
            rated = shares.loc[(item.importance, group)]
            n, value = int(rated["n"]), rated["top_box"]
            low, high = rated["top_box_low"], rated["top_box_high"]
        else:
            n, value, low, high = _spearman_interval(
                responses[item.id].to_numpy(dtype=float, na_value=np.nan)[rows], outcome, z)
        result.append({"item": item.id, "text": item.text, "dimension": item.dimension,
                       "group": group, "n": n, "performance": share["top_box"],
                       "importance": value, "importance_low": low, "importance_high": high,
                       "method": "stated" if stated else f"derived (Spearman with {against})"})
    table = pd.DataFrame(result)
    if table.empty:
        return table
    suppress(table, IMPORTANCE, too_small(table["n"], study))
    cross_importance = float(table["importance"].mean())
    cross_performance = float(table["performance"].mean())
    table["quadrant"] = [
        "" if pd.isna(i) or pd.isna(p) else QUADRANTS[(i >= cross_importance,
                                                        p >= cross_performance)]
        for i, p in zip(table["importance"], table["performance"], strict=True)]
    table.attrs = {"importance_mean": cross_importance, "performance_mean": cross_performance,
                   "against": against, "method": "stated" if stated else "derived"}
    return table

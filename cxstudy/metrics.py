"""CX metrics (NPS, CSAT, CES), their gaps, calibration of beliefs, and
importance-performance analysis, made from counts.

Every table here is made from :class:`MetricCounts` (one wave's counts, additive, of a
size that depends on the study's shape and not on its respondents): how many respondents
of each audience gave each distinct value to each metric and estimate (with the sums of
their weights and squared weights), and, for derived importance, the joint table of each
item's answers with the outcome's. Given responses, a table counts them first
(:func:`metric_counts`) and goes through the same code.

All estimates use the respondents' weights (Kish's effective n in intervals); derived
importance, a rank correlation, does not (as before counts).

References
----------
Reichheld, F. (2003). The one number you need to grow. HBR 81(12).
Rocks, B. (2016). Interval estimation for the "net promoter score". The American
Statistician 70(4), 365-372 (adjusted Wald interval: add 3/4 promoter, 3/4
detractor and 3 respondents).
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. J. Marketing 41.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import stats
from . import waves as waves_module
from .counts import group_codes, item_codes, respondent_weights
from .model import Metric, Study
from .scales import Scale
from .tables import CALIBRATION, IMPORTANCE, METRIC_GAPS, METRICS, conform, suppress, too_small
from .waves import per_wave, waves_in

QUADRANTS = {(True, False): "concentrate here", (True, True): "keep up the good work",
             (False, False): "low priority", (False, True): "possible overkill"}


# ---------------------------------------------------------------------------
# counts: what every table of this module is made from


class Answers(NamedTuple):
    """One audience's answers to one question as counts per distinct value.

    Attributes
    ----------
    values : numpy.ndarray
        The distinct values answered, ascending.
    counts : numpy.ndarray
        The sum of the weights of the respondents who gave each (their number when
        unweighted).
    raw : numpy.ndarray
        How many respondents gave each.
    squares : numpy.ndarray
        The sum of their squared weights (``raw`` when unweighted).
    """

    values: np.ndarray
    counts: np.ndarray
    raw: np.ndarray
    squares: np.ndarray

    @classmethod
    def of(cls, values, weights=None) -> Answers:
        """The answers of respondents: their values (NaN: no answer) and weights."""
        values = np.asarray(values, dtype=float)
        weights = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
        answered = ~np.isnan(values)
        distinct, codes = np.unique(values[answered], return_inverse=True)
        w = weights[answered]
        size = len(distinct)
        return cls(distinct, np.bincount(codes, weights=w, minlength=size),
                   np.bincount(codes, minlength=size),
                   np.bincount(codes, weights=w * w, minlength=size))

    @property
    def n(self) -> int:
        """Respondents who answered."""
        return int(self.raw.sum())

    @property
    def total(self) -> float:
        """The sum of their weights."""
        return float(self.counts.sum())

    @property
    def n_eff(self) -> float:
        """Kish's effective n, :math:`(\\sum w)^2 / \\sum w^2`."""
        return float(stats.effective_n(self.total, float(self.squares.sum())))


@dataclass(frozen=True)
class ValueCounts:
    """How many respondents of each audience gave each distinct value to some questions.

    Attributes
    ----------
    questions, groups : tuple of str
        The questions counted (those of the study the responses hold) and the audiences.
    values : numpy.ndarray, shape (V,)
        Every distinct value any of the questions took, ascending (one axis for all).
    counts, raw, squares : numpy.ndarray, shape (questions, groups, V)
        Sums of the weights, respondents and sums of squared weights per value.
    """

    questions: tuple[str, ...]
    groups: tuple[str, ...]
    values: np.ndarray
    counts: np.ndarray
    raw: np.ndarray
    squares: np.ndarray

    def __add__(self, other: ValueCounts) -> ValueCounts:
        """The counts of two disjoint sets of respondents together: both on the union
        of their values, added."""
        if (self.questions, self.groups) != (other.questions, other.groups):
            raise ValueError(f"cannot add the counts of {other.questions} of audiences "
                             f"{other.groups} to those of {self.questions} of audiences "
                             f"{self.groups}: count both with the same study")
        values = np.union1d(self.values, other.values)
        tables = [np.zeros((len(self.questions), len(self.groups), len(values)))
                  for _ in range(3)]
        for part in (self, other):
            at = np.searchsorted(values, part.values)
            for table, mine in zip(tables, (part.counts, part.raw, part.squares), strict=True):
                table[..., at] += mine
        counts, raw, squares = tables
        return ValueCounts(self.questions, self.groups, values, counts,
                           raw.astype(np.int64), squares)

    def answers(self, question: str, group: str) -> Answers:
        """One audience's answers to one question (the values it gave)."""
        q, g = self.questions.index(question), self.groups.index(group)
        given = self.raw[q, g] > 0
        return Answers(self.values[given], self.counts[q, g, given], self.raw[q, g, given],
                       self.squares[q, g, given])


MAX_WHOLE_RANGE = 4096  # whole-number answers spanning at most this are counted by offset


def _keys(values: np.ndarray, codes_of_group: np.ndarray, n_groups: int,
          whole: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Each row's cell (audience x distinct value; ``n_groups * width`` for rows without
    an answer or an audience), the values of the cells' columns and their width.

    Whole numbers of a small range (scale points, NPS, most estimates) are their offset
    from the smallest (no hashing); other values are factorised. ``whole``: the values
    are known to be whole numbers (an integer column)."""
    valid = (codes_of_group >= 0) & ~np.isnan(values)
    low = np.fmin.reduce(values) if len(values) else np.nan  # NaN only if all are
    high = np.fmax.reduce(values) if len(values) else np.nan
    if np.isfinite(low) and high - low < MAX_WHOLE_RANGE and (whole or bool(
            np.all(np.isnan(values) | (values == np.floor(values))))):
        width = int(high - low) + 1
        offsets = np.where(valid, values - low, 0).astype(np.int32)
        columns = low + np.arange(width, dtype=float)
    else:
        codes, distinct = pd.factorize(np.where(valid, values, np.nan), sort=True)
        width = len(distinct)
        offsets = codes.astype(np.int32)
        columns = np.asarray(distinct, dtype=float)
    key = np.where(valid, codes_of_group.astype(np.int32) * np.int32(width) + offsets,
                   np.int32(n_groups * width))
    return key, columns, width


def _value_counts(responses: pd.DataFrame, questions: list[str], codes_of_group: np.ndarray,
                  n_groups: int, weights: np.ndarray | None) -> ValueCounts:
    """Count each question's distinct values per audience: one ``np.bincount`` per
    question over its rows' cells (:func:`_keys`), values nobody gave dropped."""
    parts = []
    for question in questions:
        column = responses[question]
        values = column.to_numpy(dtype=float, na_value=np.nan)
        key, columns, width = _keys(values, codes_of_group, n_groups,
                                    pd.api.types.is_integer_dtype(column.dtype))
        size = n_groups * width + 1  # the last cell: rows not counted

        def count(w=None, key=key, size=size, width=width):
            return np.bincount(key, weights=w, minlength=size)[:-1].reshape(n_groups, width)

        raw = count()
        if weights is None:
            counts = squares = raw.astype(float)
        else:
            counts, squares = count(weights), count(weights * weights)
        given = raw.any(axis=0)
        parts.append((columns[given], counts[:, given], raw[:, given], squares[:, given]))
    values = np.unique(np.concatenate([p[0] for p in parts])) if parts else np.zeros(0)
    shape = (len(questions), n_groups, len(values))
    counts, raw, squares = np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    for row, (distinct, part_counts, part_raw, part_squares) in enumerate(parts):
        at = np.searchsorted(values, distinct)
        counts[row][:, at], raw[row][:, at], squares[row][:, at] = \
            part_counts, part_raw, part_squares
    return ValueCounts(tuple(questions), (), values, counts, raw, squares)


@dataclass(frozen=True)
class JointCounts:
    """How many respondents of each audience gave each pair of answers to an item and
    the outcome derived importance correlates with (both answered; unweighted).

    Attributes
    ----------
    outcome : str
        The outcome's id (an item or a metric).
    items : tuple of str
        The items counted against it.
    groups : tuple of str
    values : numpy.ndarray, shape (V,)
        The outcome's distinct values, ascending.
    raw : numpy.ndarray, shape (items, groups, k_max, V)
        Respondents per (item code 1..k, outcome value).
    """

    outcome: str
    items: tuple[str, ...]
    groups: tuple[str, ...]
    values: np.ndarray
    raw: np.ndarray

    def __add__(self, other: JointCounts) -> JointCounts:
        """Two disjoint sets of respondents together (on the union of outcome values)."""
        if (self.outcome, self.items, self.groups) != (other.outcome, other.items,
                                                       other.groups):
            raise ValueError(f"cannot add the joint answers of {other.items} with "
                             f"{other.outcome} to those of {self.items} with {self.outcome}: "
                             "count both with the same study and outcome")
        values = np.union1d(self.values, other.values)
        k_max = max(self.raw.shape[2], other.raw.shape[2])
        raw = np.zeros((len(self.items), len(self.groups), k_max, len(values)), dtype=np.int64)
        for part in (self, other):
            raw[:, :, :part.raw.shape[2], np.searchsorted(values, part.values)] += part.raw
        return JointCounts(self.outcome, self.items, self.groups, values, raw)

    def table(self, item: str, group: str) -> np.ndarray:
        """The (item code, outcome value) table of one item and audience."""
        return self.raw[self.items.index(item), self.groups.index(group)]


@dataclass(frozen=True)
class MetricCounts:
    """The counts of one wave every table of :mod:`cxstudy.metrics` is made from.

    Additive: the counts of two disjoint sets of a wave's respondents added with ``+``
    are the counts of their union; their size depends on the study's shape (questions,
    audiences, distinct values), not on the respondents.

    Attributes
    ----------
    wave : str or None
        The wave counted (None in a study without waves): the tables made from these
        counts are labelled with it.
    columns : tuple of str
        The study's items, metrics and estimates the counted responses hold.
    metrics : ValueCounts
        Each metric's values (NPS 0-10, a scale's point values) per audience.
    estimates : ValueCounts
        Each estimate's values (0-100) per audience.
    joint : JointCounts or None
        Each item's answers against the outcome of derived importance (None where the
        responses do not hold that outcome).
    """

    wave: str | None
    columns: tuple[str, ...]
    metrics: ValueCounts
    estimates: ValueCounts
    joint: JointCounts | None

    def __add__(self, other: MetricCounts) -> MetricCounts:
        """The counts of two disjoint sets of one wave's respondents together."""
        if self.wave is not None and other.wave is not None and self.wave != other.wave:
            raise ValueError(f"cannot add the metric counts of wave {other.wave} to those of "
                             f"wave {self.wave}: counts are made within one wave")
        if self.columns != other.columns or (self.joint is None) != (other.joint is None):
            raise ValueError("cannot add metric counts of responses with other columns "
                             f"({other.columns} and {self.columns}): count both with the "
                             "same study and exports")
        return MetricCounts(self.wave if self.wave is not None else other.wave, self.columns,
                            self.metrics + other.metrics, self.estimates + other.estimates,
                            None if self.joint is None else self.joint + other.joint)


def default_outcome(study: Study) -> str | None:
    """What derived importance correlates with by default: the study's
    ``importance_against``, else its first headline item, else its NPS metric."""
    if study.importance_against:
        return study.importance_against
    headline = [i.id for i in study.items if i.headline]
    nps = [m.id for m in study.metrics if m.kind == "nps"]  # the loyalty outcome
    return headline[0] if headline else (nps[0] if nps else None)


def _joint_counts(responses: pd.DataFrame, study: Study, outcome: str,
                  codes_of_group: np.ndarray) -> JointCounts:
    """Each item's (code, outcome value) pairs per audience: the outcome's cells once
    (:func:`_keys`), then one ``np.bincount`` per item over cell + code."""
    items = [i for i in study.items if i.id in responses.columns and i.id != outcome]
    n_groups = len(study.groups)
    k_max = max((study.scales[i.scale].k for i in items), default=1)
    column = responses[outcome]
    values = column.to_numpy(dtype=float, na_value=np.nan)
    # the outcome's cell per row, on (audience x item code 0..k_max) x outcome value
    cell, columns, width = _keys(values, codes_of_group * (k_max + 1), n_groups * (k_max + 1),
                                 pd.api.types.is_integer_dtype(column.dtype))
    cells = n_groups * (k_max + 1) * width
    raw = np.zeros((len(items), n_groups, k_max, width), dtype=np.int64)
    for row, item in enumerate(items):
        codes = item_codes(responses, item.id)
        k = study.scales[item.scale].k
        if len(codes) and (codes.max() > k or codes.min() < 0):
            raise ValueError(f"item {item.id!r} holds codes outside 1..{k}; responses must "
                             "come from cx.clean (codes 1..k, <NA> for missing)")
        key = cell + np.multiply(codes, width, dtype=np.int32)
        # rows not counted (no audience or outcome) sit at ``cells`` and beyond
        table = np.bincount(key, minlength=cells + (k_max + 1) * width)[:cells]
        raw[row] = table.reshape(n_groups, k_max + 1, width)[:, 1:]  # code 0: no answer
    given = raw.any(axis=(0, 1, 2))
    return JointCounts(outcome, tuple(i.id for i in items), tuple(study.groups),
                       columns[given], raw[..., given])


def metric_counts(responses: pd.DataFrame, study: Study, *,
                  against: str | None = None) -> MetricCounts:
    """Count one wave's answers to the metrics, the estimates and, for derived
    importance, each item against the outcome.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses of one wave (or of a block of its respondents).
    study : Study
        The study (:func:`~cxstudy.load_study`).
    against : str, optional
        The outcome derived importance correlates with (default: :func:`default_outcome`).

    Returns
    -------
    MetricCounts
        Additive counts (``+``) of a size independent of the respondents.

    Raises
    ------
    ValueError
        The responses hold more than one wave.

    Notes
    -----
    One pass per question: its values factorised and counted per audience with
    ``np.bincount`` (weights and squared weights summed alike), and, per item, the
    pairs (item code, outcome value) of the respondents who answered both.

    Examples
    --------
    >>> latest = responses[responses["wave"] == "2026"]  # doctest: +SKIP
    >>> counts = cx.metric_counts(latest, study)  # doctest: +SKIP
    >>> cx.metric_table(None, study, counts=counts)  # doctest: +SKIP
    """
    present = waves_in(responses, study)
    if len(present) > 1:
        raise ValueError(f"metric counts are of one wave; these responses hold "
                         f"{', '.join(present)}: count each wave's responses apart")
    codes_of_group = group_codes(responses, study.groups)
    weights, weighted = respondent_weights(responses)
    weights = weights if weighted else None
    groups = tuple(study.groups)

    def of(questions) -> ValueCounts:
        ids = [q.id for q in questions if q.id in responses.columns]
        counted = _value_counts(responses, ids, codes_of_group, len(groups), weights)
        return ValueCounts(counted.questions, groups, counted.values, counted.counts,
                           counted.raw, counted.squares)

    outcome = against or default_outcome(study)
    columns = tuple(q.id for q in (*study.items, *study.metrics, *study.estimates)
                    if q.id in responses.columns)
    joint = _joint_counts(responses, study, outcome, codes_of_group) \
        if outcome is not None and outcome in responses.columns else None
    return MetricCounts(present[0] if present else None, columns, of(study.metrics),
                        of(study.estimates), joint)


def _given_wave(study: Study, function: str, given: dict) -> str:
    """The wave of what a table is made from without responses: the counts' wave, else
    the ``wave`` column of the metric table given; never a default (an empty metric table
    makes an empty table, which no wave labels)."""
    counts = given.get("counts")
    if getattr(counts, "wave", None) is not None:
        return counts.wave
    table = given.get("metrics")
    if isinstance(table, pd.DataFrame) and "wave" in table.columns:
        waves = {str(wave) for wave in table["wave"].dropna()}
        if len(waves) == 1:
            return waves.pop()
        if table.empty:
            return study.waves[-1]
    raise ValueError(f"{function}: what was given does not say which wave it is of (counts "
                     "of responses without a wave column, or a table of several waves or "
                     f"none); a study with waves makes each table within one "
                     f"({', '.join(study.waves)}): count one wave's responses, or give the "
                     "responses")


def _per_wave_or_counted(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """:func:`~cxstudy.waves.per_wave` for responses; given none (``None``), the table of
    what is given (counts, or a table made from them), labelled with its wave."""
    by_wave = per_wave(function)

    @functools.wraps(function)
    def wrapper(responses: pd.DataFrame | None, study: Study, *args, **kwargs) -> pd.DataFrame:
        if responses is not None:
            return by_wave(responses, study, *args, **kwargs)
        table = function(None, study, *args, **kwargs)
        if not study.waves:
            return table
        wave = _given_wave(study, function.__name__, kwargs)
        return waves_module._not_asked(waves_module.with_wave(table, wave), study, wave)
    return wrapper


def _counted(counts: MetricCounts | None, responses: pd.DataFrame | None, study: Study,
             what: str, **how) -> MetricCounts:
    """The counts given, else those of the responses."""
    if counts is not None:
        return counts
    if responses is None:
        raise ValueError(f"{what}: give the responses or their counts "
                         "(counts=cx.metric_counts(responses, study))")
    return metric_counts(responses, study, **how)


# ---------------------------------------------------------------------------
# the estimators, each of one audience's answers as counts per distinct value


def _nps(answers: Answers, confidence: float) -> dict[str, float]:
    n, total, n_eff = answers.n, answers.total, answers.n_eff
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan,
                "promoters": np.nan, "detractors": np.nan}
    values, weights = answers.values, answers.counts
    promoters = float(weights[values >= 9].sum() / total)
    detractors = float(weights[values <= 6].sum() / total)
    value = promoters - detractors
    se = np.sqrt(max(promoters + detractors - value ** 2, 0.0) / n_eff)
    p_adj = (promoters * n_eff + 0.75) / (n_eff + 3)
    d_adj = (detractors * n_eff + 0.75) / (n_eff + 3)
    centre = p_adj - d_adj
    half = stats.z_value(confidence) * np.sqrt(
        max(p_adj + d_adj - centre ** 2, 0.0) / (n_eff + 3))
    return {"n": n, "value": value, "se": float(se), "low": max(-1.0, centre - half),
            "high": min(1.0, centre + half), "promoters": promoters, "detractors": detractors}


def nps_estimate(scores: np.ndarray, weights: np.ndarray | None = None,
                 confidence: float = 0.95) -> dict[str, float]:
    """Net Promoter Score of 0-10 answers as a fraction from -1 to 1.

    Parameters
    ----------
    scores : numpy.ndarray
        Each respondent's 0-10 answer (NaN: none).
    weights : numpy.ndarray, optional
        Each respondent's weight (default: ones).
    confidence : float, default 0.95
        Two-sided confidence level of the interval.

    Returns
    -------
    dict
        ``n, value, se, low, high, promoters, detractors``.

    Notes
    -----
    Promoters answer 9-10, detractors 0-6: :math:`NPS = P - D`,
    :math:`SE = \\sqrt{(P + D - (P - D)^2)/n}`. The interval is the adjusted Wald
    interval: with :math:`P' = (n_P + 3/4)/(n + 3)` and :math:`D' = (n_D + 3/4)/(n + 3)`,
    :math:`P' - D' \\pm z\\sqrt{(P' + D' - (P' - D')^2)/(n + 3)}`, clipped to [-1, 1].
    Weighted: shares are weighted and ``n`` is Kish's effective n. Computed from the
    answers' counts per distinct score, as :func:`metric_table` does.

    Examples
    --------
    >>> out = nps_estimate(np.array([10, 9, 8, 7, 3, 0, 10, 10]))
    >>> round(out["value"], 3), round(out["se"], 3)
    (0.25, 0.293)
    """
    return _nps(Answers.of(scores, weights), confidence)


def _share_estimate(answers: Answers, hits: np.ndarray, confidence: float) -> dict[str, float]:
    """The weighted share of the answers with ``hits`` (a mask over their values)."""
    n, total, n_eff = answers.n, answers.total, answers.n_eff
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan}
    share = float(answers.counts[hits].sum() / total)
    low, high = stats.wilson_interval(share * n_eff, n_eff, confidence)
    return {"n": n, "value": share, "se": float(np.sqrt(share * (1 - share) / n_eff)),
            "low": float(low), "high": float(high), "n_eff": n_eff}


def _mean_estimate(answers: Answers, confidence: float):
    from scipy import stats as sps

    moments = stats.weighted_moments(answers.values, answers.counts, counts=answers.raw,
                                     squares=answers.squares)
    n, n_eff, mean = moments["n"], moments["n_eff"], moments["mean"]
    if n == 0:
        return {"n": 0, "value": np.nan, "se": np.nan, "low": np.nan, "high": np.nan}
    se = np.sqrt(moments["var"] / n_eff) if n_eff > 1 else np.nan
    t = sps.t.isf((1 - confidence) / 2, max(n_eff - 1, 1))
    return {"n": n, "value": mean, "se": se, "low": mean - t * se, "high": mean + t * se,
            "var": moments["var"], "n_eff": n_eff}


def _top_box_estimate(answers: Answers, scale: Scale, confidence: float) -> dict[str, float]:
    top = np.array(scale.point_values[scale.k - scale.top_box:])
    return _share_estimate(answers, np.isin(answers.values, top), confidence)


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
        ``estimate(answers, scale, confidence) -> dict`` with ``n, value, se, low,
        high`` for one audience's :class:`Answers` (its counts per distinct value;
        ``scale`` is None where not needed).
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
    estimate: Callable[[Answers, Scale | None, float], dict]
    needs_scale: bool = True
    adds: tuple[str, ...] = ()
    in_study_file: bool = True


_KINDS = (
    MetricKind("nps", "NPS (points)", "Net Promoter Score (promoters 9–10 minus detractors "
               "0–6, in points, with the adjusted Wald interval)", "points",
               lambda answers, _scale, level: _nps(answers, level),
               needs_scale=False),
    MetricKind("ces", "CES (mean effort score)", "customer effort (the mean score, t "
               "interval)", "scale",
               lambda answers, _scale, level: _mean_estimate(answers, level),
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


def _metric_rows(metric: Metric, study: Study, answers: Answers):
    """(metric id, kind, estimate) for one metric and one audience's answers: the
    metric's own kind, then each kind it adds (CES: ``<id>_low_effort``)."""
    scale = study.scales.get(metric.scale) if metric.scale else None
    kind = METRIC_KINDS[metric.kind]
    for name in (kind.name, *kind.adds):
        row_id = metric.id if name == kind.name else \
            f"{metric.id}_{name.removeprefix(kind.name + '_')}"
        yield row_id, name, METRIC_KINDS[name].estimate(answers, scale, study.confidence)


@_per_wave_or_counted
def metric_table(responses: pd.DataFrame | None, study: Study, *,
                 counts: MetricCounts | None = None) -> pd.DataFrame:
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
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`), one column per metric;
        None when ``counts`` are given.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``metrics``, audiences, scales,
        ``confidence`` and ``min_group_size``.
    counts : MetricCounts, optional
        One wave's :func:`metric_counts` (default: those of ``responses``); the table
        is labelled with their wave.

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
    \\, s/\\sqrt{n_{eff}}`. Weighted estimates use Kish's effective n. Every estimate is
    made from the counts of each distinct answer (weighted, unweighted and of squared
    weights): exactly what the respondents' answers give.

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
    counted = _counted(counts, responses, study, "metric_table").metrics
    rows = []
    for metric in study.metrics:
        if metric.id not in counted.questions:
            continue
        for group in study.groups:
            answers = counted.answers(metric.id, group)
            if answers.n == 0:
                continue
            for metric_id, kind, estimate in _metric_rows(metric, study, answers):
                rows.append({"metric": metric_id, "group": group, "n": estimate["n"],
                             **{k: estimate[k] for k in ("value", "se", "low", "high")},
                             "kind": kind})
    table = pd.DataFrame(rows, columns=METRICS.all_columns[:-1])
    suppress(table, METRICS, too_small(table["n"], study))
    return conform(table, METRICS)


@_per_wave_or_counted
def metric_gaps(responses: pd.DataFrame | None, study: Study, *,
                metrics: pd.DataFrame | None = None,
                counts: MetricCounts | None = None) -> pd.DataFrame:
    """Gaps in every metric between each audience and the reference.

    Gap SE :math:`\\sqrt{SE_1^2 + SE_2^2}`, normal interval and two-sided p; p adjusted
    over the table with the study's correction. Metrics the reference was not asked
    (or where it is suppressed) have no rows; neither do suppressed audiences. In a
    study with waves, within each wave (the change between waves:
    :func:`cxstudy.waves.metric_trends`).

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``metrics`` or
        ``counts`` are given.
    study : Study
        The study (:func:`~cxstudy.load_study`): reference, ``confidence``,
        ``correction``.
    metrics : pandas.DataFrame, optional
        A :func:`metric_table` already computed (of these responses, or counts).
    counts : MetricCounts, optional
        One wave's :func:`metric_counts`: the metric table is made from them without
        ``metrics``; with ``metrics``, they say its wave.

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

    table = metrics if metrics is not None else metric_table(
        None, study, counts=_counted(counts, responses, study, "metric_gaps"))
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


@_per_wave_or_counted
def calibration_table(responses: pd.DataFrame | None, study: Study, *,
                      shares: pd.DataFrame | None = None,
                      counts: MetricCounts | None = None) -> pd.DataFrame:
    """How well leaders and staff know their customers.

    For each ``estimates:`` entry and each audience that estimated: the mean
    estimate (0-100, reported as a fraction) of the share of the reference audience
    that would agree with the item, the reference's actual top-box share with its
    Wilson interval, and ``error = estimate - actual``. Extra columns: the estimate's
    t interval and the reference's n.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`), one column per estimate;
        None when ``counts`` and ``shares`` are given.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``estimates``, reference,
        ``confidence`` and ``min_group_size``.
    shares : pandas.DataFrame, optional
        A :func:`~cxstudy.share_table` already computed (of these responses); needed
        without responses.
    counts : MetricCounts, optional
        One wave's :func:`metric_counts` (default: those of ``responses``).

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
    actual share's is Wilson's. The mean and variance are made from the counts of each
    distinct estimate.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Examples
    --------
    >>> cx.calibration_table(responses, study)[["item", "group", "error"]]  # doctest: +SKIP
    """
    from .gaps import share_table

    counted = _counted(counts, responses, study, "calibration_table").estimates
    if shares is None:
        if responses is None:
            raise ValueError("calibration_table: without responses, give the share table "
                             "too (shares=cx.share_table(None, study, counts=...))")
        shares = share_table(responses, study)
    rows = []
    for estimate in study.estimates:
        if estimate.id not in counted.questions:
            continue
        actual = shares[(shares["item"] == estimate.item) & (shares["group"] == study.reference)]
        if actual.empty:
            continue
        actual = actual.iloc[0]
        for group in study.groups:
            answers = counted.answers(estimate.id, group)
            if group not in estimate.columns or answers.n == 0:
                continue
            mean = _mean_estimate(answers._replace(values=answers.values / 100),
                                  study.confidence)
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


def spearman_from_table(table) -> tuple[int, float]:
    """Spearman's rho of pairs given as a contingency table of their counts.

    Parameters
    ----------
    table : array_like of int, shape (a, b)
        ``table[i, j]``: how many pairs have the i-th smallest first value and the j-th
        smallest second value (rows or columns of zeros are allowed).

    Returns
    -------
    n : int
        Pairs.
    rho : float
        Pearson's correlation of the pairs' midranks, as
        ``scipy.stats.spearmanr`` gives it on the pairs themselves; NaN below 3 pairs
        or where either side takes one value only.

    Notes
    -----
    The midrank of the i-th row value is :math:`R_i = \\sum_{i' < i} r_{i'} + (r_i + 1)/2`
    with the row margins :math:`r`; likewise :math:`S_j` with the column margins
    :math:`c`; both average :math:`(n + 1)/2`. With :math:`a_i = 2R_i - (n + 1)` and
    :math:`b_j = 2S_j - (n + 1)` (integers):

    .. math:: \\rho = \\frac{\\sum_{ij} N_{ij} a_i b_j}
                         {\\sqrt{\\sum_i r_i a_i^2 \\, \\sum_j c_j b_j^2}}

    The three sums are exact (Python integers); only the last division rounds, so rho
    agrees with scipy's to the last digits (scipy sums the respondents' float ranks),
    and is exactly :math:`\\pm 1` for a monotone table.

    References
    ----------
    Kendall, M. G. & Gibbons, J. D. (1990). Rank Correlation Methods, 5th ed. London:
    Edward Arnold (ch. 3: ties and midranks).

    Examples
    --------
    Pairs (1, 1), (1, 2), (2, 2), (2, 2), (3, 2) (``scipy.stats.spearmanr`` gives 0.559 too):

    >>> n, rho = spearman_from_table([[1, 1], [0, 2], [0, 1]])
    >>> n, round(rho, 4)
    (5, 0.559)
    """
    table = np.asarray(table, dtype=np.int64)
    n = int(table.sum())
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    if n < 3 or np.count_nonzero(rows) < 2 or np.count_nonzero(columns) < 2:
        return n, np.nan

    def doubled(margin: np.ndarray) -> list[int]:
        before = np.cumsum(margin) - margin
        return [int(v) for v in 2 * before + margin + 1 - (n + 1)]

    a, b = doubled(rows), doubled(columns)
    cells = table.tolist()
    covariance = sum(a[i] * sum(count * b[j] for j, count in enumerate(line) if count)
                     for i, line in enumerate(cells))
    spread_a = sum(int(r) * a[i] * a[i] for i, r in enumerate(rows))
    spread_b = sum(int(c) * b[j] * b[j] for j, c in enumerate(columns))
    rho = covariance / math.sqrt(spread_a * spread_b)
    return n, float(min(1.0, max(-1.0, rho)))


def _fisher_interval(n: int, rho: float, z: float) -> tuple[float, float]:
    """The Fisher-z interval tanh(atanh(rho) +- z / sqrt(n - 3)) (NaN without rho or
    above 3 pairs; a point at rho = +-1)."""
    half = z / np.sqrt(n - 3) if n > 3 else np.nan
    if not np.isfinite(rho):
        return np.nan, np.nan
    with np.errstate(divide="ignore"):  # rho = +-1: atanh is infinite, the interval a point
        centre = np.arctanh(rho)
    return float(np.tanh(centre - half)), float(np.tanh(centre + half))


@_per_wave_or_counted
def importance_performance(responses: pd.DataFrame | None, study: Study, *,
                           group: str | None = None, against: str | None = None,
                           importance: str = "auto", shares: pd.DataFrame | None = None,
                           counts: MetricCounts | None = None) -> pd.DataFrame:
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
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``counts`` and
        ``shares`` are given.
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
        A :func:`~cxstudy.share_table` already computed (of these responses); needed
        without responses.
    counts : MetricCounts, optional
        One wave's :func:`metric_counts` (default: those of ``responses``, counted
        against ``against``): derived importance needs their joint table with
        ``against``.

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
        Derived importance without an outcome to correlate with (or with counts of
        another outcome).

    Notes
    -----
    Derived importance is Spearman's :math:`\\rho` (Pearson's correlation of the
    midranks) over the respondents who answered both, with the Fisher-z interval
    :math:`\\tanh(\\operatorname{artanh}\\rho \\pm z/\\sqrt{n - 3})`, made from the joint
    table of the item's and the outcome's answers (:func:`spearman_from_table`); it is
    unweighted (a rank correlation of the respondents, whatever their weights).

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
    counted = _counted(counts, responses, study, "importance_performance",
                       against=against)
    if shares is None:
        if responses is None:
            raise ValueError("importance_performance: without responses, give the share "
                             "table too (shares=cx.share_table(None, study, counts=...))")
        shares = share_table(responses, study)
    shares = shares.set_index(["item", "group"])
    importance_items = {i.importance for i in study.items if i.importance}
    candidates = [i for i in study.items if i.id in counted.columns
                  and i.id not in importance_items]
    stated = importance == "stated" or (importance == "auto" and candidates and all(
        i.importance for i in candidates if i.id != against))
    if not stated:
        against = against or default_outcome(study)
        if against is None or against not in counted.columns:
            raise ValueError("derived importance needs an outcome: mark a headline item or "
                             "give against='<item or metric id>'")
        if counted.joint is None or counted.joint.outcome != against:
            raise ValueError(
                f"derived importance with {against}: these counts hold each item's answers "
                f"against {counted.joint.outcome if counted.joint else 'no outcome'}; count "
                f"them with cx.metric_counts(responses, study, against={against!r})")
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
            n, value = spearman_from_table(counted.joint.table(item.id, group))
            low, high = _fisher_interval(n, value, z)
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

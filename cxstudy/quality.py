"""What cleaning did and what the responses lack, as small tables.

The data-quality page shows these; ``cxstudy run`` makes them once from the cleaning
log (one row per input row) and the responses and hands them to the page, so a page of a
million-respondent study reads neither.

Every table here is made from additive counts (issue 29: memory that does not grow with
the respondents), so that a study can be counted block by block as a run reads its
exports, or anywhere else:

* :class:`RespondentCounts` (:func:`respondent_counts`, one wave): respondents per
  audience, unanswered items per (item, audience), and the weighted audience's weights
  (their sums, extremes and how many respondents carry each distinct weight). Its size
  depends on the study's shape: audiences, items, distinct weights (raking gives one
  weight per cell of the margins).
* :class:`~cxstudy.waves.RespondentIds` (:func:`~cxstudy.waves.respondent_ids`, one
  wave, only in a study of two or more waves): the sorted distinct 64-bit hashes of
  each audience's respondent ids, for the returning respondents. This one grows with
  the respondents (8 bytes each, 400 MB at 50 million): telling exactly how many of one
  wave's respondents answered another needs the ids of both.
* :class:`LogCounts` (:func:`log_counts`, the whole study): rows of the cleaning log per
  (source, audience, reason), the rules not checked per source, the first dropped rows of
  each rule. Its size depends on the sources, audiences and rules, never on the rows.

Each is added with ``+`` (the counts of two disjoint sets of rows together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import Study
from .tables import too_small

EXAMPLE_COLUMNS = ["source", "source_row", "group", "reason", "detail"]

MAX_WEIGHT_VALUES = 1 << 16
"""Distinct weights kept exactly; beyond it (a design-weight column with a weight of its
own per respondent) they are counted in bins of :data:`WEIGHT_BIN` and only the median
shown is approximate (to the bin: half a unit of the third decimal the page shows). The
sums, the smallest and largest weight stay exact."""

WEIGHT_BIN = 1e-4

_NONE = "\x00none"  # the key of rows without an audience
_ORDER_SHIFT = 40  # input order: source position * 2**40 + the row in the export


# ---------------------------------------------------------------------------
# who answered: counts of one wave


@dataclass(frozen=True, eq=False)
class RespondentCounts:
    """Who answered in one wave, as additive counts.

    Attributes
    ----------
    groups : tuple of str
        The study's audiences.
    items : tuple of str
        The items the responses hold a column for.
    wave : str or None
        The wave counted (None in a study without waves).
    n : ndarray, shape (groups,)
        Respondents per audience.
    missing : ndarray, shape (items, groups)
        Respondents per audience without an answer to each item.
    weighted : str or None
        The weighted audience (None in a study without weights).
    weight_sums : ndarray, shape (3,)
        :math:`n`, :math:`\\sum w` and :math:`\\sum w^2` of the weighted audience.
    weight_range : ndarray, shape (2,)
        Its smallest and largest weight (inf and -inf without respondents).
    weight_values, weight_counts : ndarray
        Its distinct weights (sorted; bins of :data:`WEIGHT_BIN` beyond
        :data:`MAX_WEIGHT_VALUES` of them) and how many respondents carry each.
    """

    groups: tuple[str, ...]
    items: tuple[str, ...]
    wave: str | None
    n: np.ndarray
    missing: np.ndarray
    weighted: str | None = None
    weight_sums: np.ndarray = field(default_factory=lambda: np.zeros(3))
    weight_range: np.ndarray = field(default_factory=lambda: np.array([np.inf, -np.inf]))
    weight_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weight_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __add__(self, other: RespondentCounts) -> RespondentCounts:
        """The counts of two disjoint sets of one wave's respondents together."""
        if (self.groups, self.items, self.wave, self.weighted) != \
                (other.groups, other.items, other.wave, other.weighted):
            raise ValueError(
                f"cannot add the respondent counts of wave {other.wave!r}, audiences "
                f"{other.groups} and items {other.items} to those of wave {self.wave!r}, "
                f"audiences {self.groups} and items {self.items}: count both with the same "
                "study and wave")
        values, counts = _distinct_weights(
            np.concatenate([self.weight_values, other.weight_values]),
            np.concatenate([self.weight_counts, other.weight_counts]))
        return RespondentCounts(
            self.groups, self.items, self.wave, self.n + other.n,
            self.missing + other.missing, self.weighted,
            self.weight_sums + other.weight_sums,
            np.array([min(self.weight_range[0], other.weight_range[0]),
                      max(self.weight_range[1], other.weight_range[1])]),
            values, counts)

    @property
    def nbytes(self) -> int:
        """The memory its arrays take."""
        return sum(a.nbytes for a in (self.n, self.missing, self.weight_sums,
                                      self.weight_range, self.weight_values,
                                      self.weight_counts))


def _distinct_weights(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal weights merged (sorted), with how many respondents carry each; binned when
    there are too many to keep (by a sort: numpy's unique is slow on many values)."""
    if len(values) > MAX_WEIGHT_VALUES:
        values = np.round(values / WEIGHT_BIN) * WEIGHT_BIN
    order = np.argsort(values, kind="stable")
    values, counts = values[order], np.asarray(counts, dtype=np.int64)[order]
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]])) \
        if len(values) else np.zeros(0, dtype=np.int64)
    return values[starts], np.add.reduceat(counts, starts) if len(starts) else counts


def respondent_counts(responses: pd.DataFrame, study: Study, *,
                      wave: str | None = None) -> RespondentCounts:
    """Count who answered in one wave (:class:`RespondentCounts`), in one vectorised pass.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses of one wave (or a block of them).
    study : Study
    wave : str, optional
        The wave they are of; by default the one wave the responses hold (None in a
        study without waves).

    Returns
    -------
    RespondentCounts
    """
    from .counts import group_codes

    wave = _wave_of(responses, study, wave, "respondent counts")
    groups = tuple(study.groups)
    group = group_codes(responses, groups)
    known = group >= 0
    items = tuple(i.id for i in study.items if i.id in responses.columns)
    n = np.bincount(group[known], minlength=len(groups)).astype(np.int64)
    missing = np.zeros((len(items), len(groups)), dtype=np.int64)
    for row, item in enumerate(items):
        blank = responses[item].isna().to_numpy(dtype=bool) & known
        missing[row] = np.bincount(group[blank], minlength=len(groups))
    if study.weights is None:
        return RespondentCounts(groups, items, wave, n, missing)
    mine = group == groups.index(study.weights.group) if study.weights.group in groups \
        else np.zeros(len(group), dtype=bool)
    w = (responses["weight"].to_numpy(dtype=float)[mine] if "weight" in responses.columns
         else np.ones(int(mine.sum())))
    values, counts = _distinct_weights(w, np.ones(len(w), dtype=np.int64))
    return RespondentCounts(
        groups, items, wave, n, missing, study.weights.group,
        np.array([len(w), w.sum(), (w ** 2).sum()]),
        np.array([w.min(), w.max()]) if len(w) else np.array([np.inf, -np.inf]),
        values, counts)


def _wave_of(responses: pd.DataFrame, study: Study, wave: str | None, what: str
             ) -> str | None:
    """The wave given, else the one wave the responses hold (None: a study without)."""
    from .waves import waves_in

    if wave is not None:
        return wave
    present = waves_in(responses, study)
    if len(present) > 1:
        raise ValueError(f"{what} are of one wave; these responses hold "
                         f"{', '.join(present)}: count each wave apart")
    return present[0] if present else None


def _counted(responses: pd.DataFrame | None, study: Study, counts, count) -> list:
    """Per-wave counts: those given, or ``count(part, study, wave=w)`` of each wave of
    the responses."""
    from .waves import one_wave, waves_in

    if counts is not None:
        return [counts] if not isinstance(counts, Sequence) else list(counts)
    if responses is None:
        raise ValueError("give the responses or their counts")
    waves = waves_in(responses, study)
    return [count(one_wave(responses, w), study, wave=w) for w in waves] or \
        [count(responses, study)]


def _together(counts: list):
    total = counts[0]
    for more in counts[1:]:
        total = total + _same_wave(more, total)
    return total


def _same_wave(counts, like):
    """``counts`` relabelled with the wave of ``like`` (to add waves up)."""
    from dataclasses import replace

    return replace(counts, wave=like.wave)


def respondent_table(responses: pd.DataFrame | None, study: Study, *,
                     counts: RespondentCounts | Sequence[RespondentCounts] | None = None
                     ) -> pd.Series:
    """Respondents per audience, in the study's order of audiences (every wave's added:
    a returning respondent counts in each wave).

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (None when ``counts`` are given).
    study : Study
    counts : RespondentCounts or sequence of them, optional
        The counts of each wave (:func:`respondent_counts`).

    Returns
    -------
    pandas.Series
        ``count`` per ``group``.
    """
    total = _together(_counted(responses, study, counts, respondent_counts))
    return pd.Series(total.n, index=pd.Index(list(total.groups), name="group"),
                     name="count")


# ---------------------------------------------------------------------------
# the cleaning log: counts of the whole study


@dataclass(frozen=True, eq=False)
class LogCounts:
    """The cleaning log as additive counts (:func:`log_counts`).

    Attributes
    ----------
    rows : pandas.DataFrame
        ``source, group, reason, kept, rows, order``: rows per (source, audience, reason,
        kept); ``group`` is ``""`` for rows without an audience, ``reason`` ``""`` for
        kept rows, ``order`` the input order of the first such row (the study's order of
        sources, then the row in the export).
    notes : pandas.DataFrame
        ``source, detail, order``: each distinct log detail that says a rule was not
        checked, per source, with its first row's input order.
    examples : pandas.DataFrame
        The first ``per_reason`` dropped rows of each rule (:data:`EXAMPLE_COLUMNS`
        and ``order``).
    per_reason : int
        How many dropped rows of each rule are kept.
    """

    rows: pd.DataFrame
    notes: pd.DataFrame
    examples: pd.DataFrame
    per_reason: int = 3

    def __add__(self, other: LogCounts) -> LogCounts:
        """The counts of two disjoint sets of log rows together; of the dropped rows of
        each rule the first ``per_reason`` by input order are kept (ties: this side's)."""
        if self.per_reason != other.per_reason:
            raise ValueError(f"cannot add log counts keeping {other.per_reason} example(s) "
                             f"per rule to those keeping {self.per_reason}")
        rows = pd.concat([self.rows, other.rows], ignore_index=True)
        rows = (rows.groupby(["source", "group", "reason", "kept"], sort=False)
                .agg(rows=("rows", "sum"), order=("order", "min")).reset_index())
        notes = pd.concat([self.notes, other.notes], ignore_index=True)
        notes = notes.groupby(["source", "detail"], sort=False)["order"].min().reset_index()
        examples = _first(pd.concat([self.examples, other.examples], ignore_index=True),
                          self.per_reason)
        return LogCounts(_in_order(rows), _in_order(notes), examples, self.per_reason)

    def __radd__(self, other: object) -> LogCounts:
        """``0 + counts`` is the counts, so that ``sum(blocks)`` adds a run's blocks."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogCounts):
            return NotImplemented
        return self.per_reason == other.per_reason and all(
            mine.reset_index(drop=True).equals(theirs.reset_index(drop=True))
            for mine, theirs in ((self.rows, other.rows), (self.notes, other.notes),
                                 (self.examples, other.examples)))

    __hash__ = None

    @property
    def nbytes(self) -> int:
        """The memory its frames take (deep)."""
        return int(sum(frame.memory_usage(deep=True).sum()
                       for frame in (self.rows, self.notes, self.examples)))


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("order", kind="stable").reset_index(drop=True)


def _first(dropped: pd.DataFrame, per_reason: int) -> pd.DataFrame:
    """The first ``per_reason`` rows of each reason by input order (stable)."""
    dropped = dropped.sort_values("order", kind="stable")
    return dropped.groupby("reason", sort=False).head(per_reason).reset_index(drop=True)


def _input_order(codes: np.ndarray, names: pd.Index, rows: np.ndarray,
                 study: Study | None) -> np.ndarray:
    """Each log row's place in the input: the study's order of sources, then the row in
    the export (a source the study does not name comes after those it names, in the
    order the log first shows it): the same whichever block a row is counted in.
    ``codes``/``names``: the rows' sources factorized; ``rows``: their ``source_row``."""
    known = {source.name: place
             for place, source in enumerate(study.sources if study is not None else ())}
    ranks, extra = [], len(known)
    for name in names:
        if name in known:
            ranks.append(known[name])
        else:
            ranks.append(extra)
            extra += 1
    rank = np.asarray(ranks, dtype=np.int64)[codes] if len(names) else np.zeros(0, np.int64)
    return (rank << _ORDER_SHIFT) + rows


def log_counts(log: pd.DataFrame, study: Study | None, *, per_reason: int = 3) -> LogCounts:
    """Count the cleaning log (or a block of it): what every data-quality table of the
    log is made from (:class:`LogCounts`), in one vectorised pass over the rows.

    Parameters
    ----------
    log : pandas.DataFrame
        Rows of the cleaning log (``source, source_row, respondent_id, group, kept,
        reason, detail``).
    study : Study or None
        Its order of sources is the input order (None: the order the log shows them).
    per_reason : int
        Dropped rows kept as examples per rule.

    Returns
    -------
    LogCounts
        Added with ``+`` to the counts of other blocks of the log.
    """
    # each key column factorized once; one integer key per row; its rows and first row
    source, sources = pd.factorize(log["source"], use_na_sentinel=False)
    group, groups = pd.factorize(log["group"].fillna(""), use_na_sentinel=False)
    reason, reasons = pd.factorize(log["reason"], use_na_sentinel=False)
    kept = log["kept"].to_numpy(dtype=bool)
    order = _input_order(source, sources, log["source_row"].to_numpy(dtype=np.int64), study)
    key = ((source.astype(np.int64) * len(groups) + group) * len(reasons) + reason) * 2 + kept
    first = pd.Series(order).groupby(key, sort=False).agg(["size", "min"])
    at = first.index.to_numpy(dtype=np.int64)
    rows = pd.DataFrame({
        "source": sources.take(at // 2 // len(reasons) // len(groups)),
        "group": groups.take(at // 2 // len(reasons) % len(groups)),
        "reason": reasons.take(at // 2 % len(reasons)),
        "kept": (at % 2).astype(bool),
        "rows": first["size"].to_numpy(dtype=np.int64),
        "order": first["min"].to_numpy(dtype=np.int64)})
    noted = log["detail"].str.contains("not checked:", regex=False, na=False).to_numpy(bool)
    notes = (pd.DataFrame({"source": log["source"][noted], "detail": log["detail"][noted],
                           "order": order[noted]})
             .groupby(["source", "detail"], sort=False)["order"].min().reset_index())
    # the first dropped rows of each reason found on codes: only those few are taken
    dropped = np.flatnonzero(~kept)
    dropped = dropped[np.argsort(order[dropped], kind="stable")]
    firsts = pd.Series(reason[dropped]).groupby(reason[dropped]).cumcount().to_numpy() \
        < per_reason
    chosen = dropped[firsts]
    examples = log[EXAMPLE_COLUMNS].iloc[chosen].assign(order=order[chosen])
    return LogCounts(_in_order(rows), _in_order(notes), _first(examples, per_reason),
                     per_reason)


def _log_counts(log: pd.DataFrame | None, study: Study | None,
                counts: LogCounts | None) -> LogCounts:
    if counts is not None:
        return counts
    if log is None:
        raise ValueError("give the cleaning log or its counts (quality.log_counts)")
    return log_counts(log, study)


def dropped_by_reason(log: pd.DataFrame | None, *, counts: LogCounts | None = None
                      ) -> pd.Series:
    """Rows dropped by each rule (``reason`` -> rows), most first (ties: the rule that
    dropped a row first).

    Parameters
    ----------
    log : pandas.DataFrame or None
        The cleaning log (None when ``counts`` are given).
    counts : LogCounts, optional
        Its counts (:func:`log_counts`).

    Returns
    -------
    pandas.Series
        ``count`` per ``reason``.
    """
    rows = _log_counts(log, None, counts).rows
    dropped = rows[~rows["kept"].astype(bool)]
    table = dropped.groupby("reason", sort=False)["rows"].sum().rename("count")
    return table.sort_values(ascending=False, kind="stable")


def rows_by_rule(log: pd.DataFrame | None, study: Study, *,
                 counts: LogCounts | None = None) -> pd.DataFrame:
    """Rows in, dropped by each rule, and kept, per audience (a table). The totals have a
    key no audience can have (an audience may well be called "total").

    Parameters
    ----------
    log : pandas.DataFrame or None
        The cleaning log (None when ``counts`` are given).
    study : Study
    counts : LogCounts, optional
        Its counts (:func:`log_counts`).

    Returns
    -------
    pandas.DataFrame
        One row per rule (in the order of the rules), ``kept`` and ``all rows``; one
        column per audience, ``(no audience)`` and ``all rows``.
    """
    from .clean import RULES

    every = "\x00every"  # the margin's key, shown as "all rows"
    rows = _log_counts(log, study, counts).rows
    frame = rows.assign(reason=rows["reason"].replace("", "kept"),
                        group=rows["group"].replace("", _NONE))
    table = frame.pivot_table(index="reason", columns="group", values="rows",
                              aggfunc="sum", fill_value=0).astype(np.int64)
    table[every] = table.sum(axis=1)
    table.loc[every] = table.sum(axis=0)
    order = [g for g in [*study.groups, _NONE, every] if g in table.columns]
    labels = {rule.reason: rule.label for rule in RULES} | {"kept": "kept", every: "all rows"}
    table = table.loc[[r for r in labels if r in table.index], order]
    table.index = [labels[r] for r in table.index]
    table.columns = [{_NONE: "(no audience)", every: "all rows"}.get(c, c)
                     for c in table.columns]
    table.index.name = "rows"
    return table


def not_checked(log: pd.DataFrame | None, *, counts: LogCounts | None = None
                ) -> pd.DataFrame:
    """Rules skipped for a source because its export lacks the column (from the log).

    Parameters
    ----------
    log : pandas.DataFrame or None
        The cleaning log (None when ``counts`` are given).
    counts : LogCounts, optional
        Its counts (:func:`log_counts`).

    Returns
    -------
    pandas.DataFrame
        ``source, rule not applied``, each once, in the order the log first says it.
    """
    notes = _log_counts(log, None, counts).notes
    if notes.empty:
        return pd.DataFrame(columns=["source", "rule not applied"])
    parts = notes.assign(detail=notes["detail"].str.split("; ")).explode("detail")
    parts["part"] = parts.groupby(level=0).cumcount()
    parts = parts[parts["detail"].str.startswith("not checked:")]
    parts["rule not applied"] = parts["detail"].str.removeprefix("not checked: ")
    parts = parts.sort_values(["order", "part"], kind="stable")
    return parts[["source", "rule not applied"]].drop_duplicates().reset_index(drop=True)


def dropped_examples(log: pd.DataFrame | None, per_reason: int = 3, *,
                     counts: LogCounts | None = None) -> pd.DataFrame:
    """The first ``per_reason`` dropped rows of each rule, with why (log columns).

    Parameters
    ----------
    log : pandas.DataFrame or None
        The cleaning log (None when ``counts`` are given).
    per_reason : int
        Rows per rule; at most the counts' own ``per_reason``.
    counts : LogCounts, optional
        Its counts (:func:`log_counts`).

    Returns
    -------
    pandas.DataFrame
        :data:`EXAMPLE_COLUMNS`, in input order.
    """
    if counts is None:
        counts = _log_counts(log, None, None) if per_reason <= 3 else log_counts(
            log, None, per_reason=per_reason)
    if per_reason > counts.per_reason:
        raise ValueError(f"these log counts keep {counts.per_reason} dropped row(s) per "
                         f"rule, not {per_reason}: count the log with "
                         f"quality.log_counts(log, study, per_reason={per_reason})")
    examples = _first(counts.examples, per_reason).sort_values("order", kind="stable")
    return examples[EXAMPLE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------
# what the answers lack


def missing_shares(responses: pd.DataFrame | None, study: Study, *,
                   counts: RespondentCounts | Sequence[RespondentCounts] | None = None
                   ) -> pd.DataFrame:
    """Share of each audience that left each item unanswered: one row per item (its id),
    one column per audience. Audiences below the minimum group size are left out: their
    shares would reveal their answers.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (None when ``counts`` are given); every wave's together.
    study : Study
    counts : RespondentCounts or sequence of them, optional
        The counts of each wave (:func:`respondent_counts`), added up.

    Returns
    -------
    pandas.DataFrame
        Shares in 0..1, indexed by ``item``.
    """
    total = _together(_counted(responses, study, counts, respondent_counts))
    shown = [k for k, g in enumerate(total.groups)
             if total.n[k] > 0 and not too_small(int(total.n[k]), study)]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = total.missing[:, shown] / total.n[shown]
    return pd.DataFrame(shares.astype(float), index=pd.Index(list(total.items), name="item"),
                        columns=[total.groups[k] for k in shown])


def weights_display(responses: pd.DataFrame | None, study: Study, *,
                    counts: RespondentCounts | Sequence[RespondentCounts] | None = None
                    ) -> pd.DataFrame:
    """Spread of the weights and the design effect of the weighted audience (per wave in
    a study with waves: each wave is raked on its own).

    The coefficient of variation is :math:`CV = \\sqrt{\\sum w^2/n - \\bar w^2}/\\bar w`
    (population standard deviation), Kish's effective n
    :math:`n_{eff} = (\\sum w)^2/\\sum w^2` and the design effect :math:`n/n_{eff}`
    (Kish 1965), all from the sums; the median from the respondents per distinct weight.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (None when ``counts`` are given).
    study : Study
    counts : RespondentCounts or sequence of them, optional
        The counts of each wave (:func:`respondent_counts`), one row each.

    Returns
    -------
    pandas.DataFrame
        One row per wave (``Wave`` first in a study with waves); empty without weights.
    """
    if study.weights is None:
        return pd.DataFrame()
    waves = _counted(responses, study, counts, respondent_counts)
    return pd.DataFrame([_weights_row(weight_summary(part), study, part.wave)
                         for part in waves])


def weight_summary(counts: RespondentCounts) -> dict[str, float]:
    """Spread of the weighted audience's weights from its counts: n, min, median, max,
    CV, Kish's n and the design effect (what :func:`cxstudy.weights.weight_summary`
    computes from the weights themselves)."""
    n, total, squares = counts.weight_sums
    if not n:
        nan = float("nan")
        return {"n": 0, "min": nan, "median": nan, "max": nan, "cv": nan, "n_eff": nan,
                "design_effect": nan}
    from .stats import effective_n

    ends = np.cumsum(counts.weight_counts)  # respondents up to each distinct weight
    middle = counts.weight_values[np.searchsorted(ends, [(n - 1) // 2, n // 2],
                                                  side="right")]
    mean = total / n
    n_eff = effective_n(total, squares)
    return {"n": int(n), "min": float(counts.weight_range[0]),
            "median": float((middle[0] + middle[1]) / 2) if n % 2 == 0 else float(middle[0]),
            "max": float(counts.weight_range[1]),
            "cv": float(np.sqrt(max(squares / n - mean ** 2, 0.0)) / mean),
            "n_eff": float(n_eff), "design_effect": float(n / n_eff)}


def _weights_row(summary: dict, study: Study, wave: str | None) -> dict:
    return {
        **({"Wave": wave} if wave is not None else {}),
        "Audience": study.label(study.weights.group), "n": summary["n"],
        "Smallest weight": round(summary["min"], 3), "Median": round(summary["median"], 3),
        "Largest": round(summary["max"], 3), "CV": round(summary["cv"], 3),
        "Effective n (Kish)": round(summary["n_eff"], 1),
        "Design effect": round(summary["design_effect"], 3),
        "Raked to": ", ".join(study.weights.margins) or "—",
        "Trimmed at": (f"{study.weights.trim:g} x mean" if study.weights.trim else "—")}

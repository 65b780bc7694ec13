"""What a study computes and shows, declared once: its tables and its report pages.

Every table of a study is one :class:`Table` entry of :data:`TABLES`: how it is computed
(a function of the study's :class:`~cxstudy.analysis.Results`, so a table can ask for the
tables it is made from), what the study needs for it (:data:`NEEDS`), whether it is
computed within each wave or between waves (:data:`SCOPES`), the report page that shows
it and, for the tables written as ``tables/<name>.csv``, its contract
(:class:`~cxstudy.tables.TableSpec`). Every report page is one :class:`Page` of
:data:`PAGES`, with what it needs.

Everything that asks "which tables and pages does this study have" reads this module:
:class:`~cxstudy.analysis.Results` evaluates the entries (each once, on demand, per
wave), :meth:`~cxstudy.analysis.Results.write_tables` writes those with a contract,
:func:`pages_for` picks the pages and ``scripts/make_docs.py`` writes
``docs/outputs.md``. Adding a table is one entry here plus the function that computes it
(see ``docs/architecture.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import choices, gaps, metrics, quality, segments, tone, voices, waves
from . import counts as counts_module
from .tables import SPECS, TableSpec

# cxstudy.analysis.Results, which evaluates this registry (and so imports this module)
Results = Any

# ---------------------------------------------------------------------------
# what a table or page can need

NEEDS: dict[str, tuple[str, Callable[[Results], bool]]] = {
    "items": ("items", lambda r: bool(r.study.items)),
    "closed": ("closed questions: items, CX metrics or choice questions",
                lambda r: bool(r.study.items or r.study.metrics or r.study.choices)),
    "metrics": ("CX metrics", lambda r: bool(r.study.metrics)),
    "estimates": ("estimates", lambda r: bool(r.study.estimates)),
    "open_ended": ("open-ended questions", lambda r: bool(r.study.open_ended)),
    "codebook": ("a theme codebook", lambda r: r.study.themes is not None),
    "segments": ("segments", lambda r: bool(r.study.segments)),
    "choices": ("choice questions (pick one, check all that apply)",
                lambda r: bool(r.study.choices)),
    "waves": ("responses in two or more waves", lambda r: len(r.waves) > 1),
    "outcome": ("an outcome to derive importance from (a headline or importance item, "
                "or NPS)", lambda r: any(i.importance or i.headline for i in r.study.items)
                or any(m.kind == "nps" for m in r.study.metrics)),
    "log": ("the cleaning log (made by reading and cleaning the exports) or its counts",
            lambda r: _has_log(r)),
}
"""need -> (how the documentation names it, whether a study's results have it). Waves
are those the responses hold, so a declared wave without rows is no wave."""

SCOPES = {
    "wave": "within each wave (a wave column first in a study with waves)",
    "one wave": "within one wave only (ask res.wave(WAVE) in a study with waves)",
    "between": "between consecutive waves",
    "study": "once for the whole study, shared by its waves",
    "whole": "from every response and the whole cleaning log",
}
"""How a table relates to waves: ``wave`` tables of a study with several waves are
computed within each wave and stacked; the others are computed from what they are given."""


@dataclass(frozen=True)
class Table:
    """One table of a study.

    Attributes
    ----------
    name : str
        The attribute of :class:`~cxstudy.analysis.Results` that holds it.
    compute : callable
        ``compute(results) -> table``, for one wave's results where ``scope`` is
        ``"wave"``.
    doc : str
        What it holds, in one sentence (the attribute's docstring).
    scope : str
        One of :data:`SCOPES`.
    needs : tuple of str
        Keys of :data:`NEEDS`: the table exists only where every one holds.
    spec : TableSpec, optional
        Its CSV contract (``tables/<spec.name>.csv``); None for what is not written.
    page : str, optional
        The notebook of the page that shows it.
    skip_empty : bool
        Not written when empty (a table that has nothing to say for this study).
    frame : bool
        A data frame (the counts are not): a study that lacks what it needs gets an
        empty one (:func:`absent`).
    counts : bool
        Additive counts of one wave that other tables are made from (``scope`` is
        ``"one wave"``): the counts of two disjoint sets of a wave's respondents added
        with ``+`` are the counts of their union, so a study can be counted block by
        block, or anywhere (:meth:`~cxstudy.analysis.Results.from_counts`). Every table
        that is not a counts table is made from counts tables and other tables only.
    """

    name: str
    compute: Callable[[Results], Any]
    doc: str
    scope: str = "wave"
    needs: tuple[str, ...] = ()
    spec: TableSpec | None = None
    page: str | None = None
    skip_empty: bool = False
    frame: bool = True
    counts: bool = False

    def __post_init__(self) -> None:
        unknown = [need for need in self.needs if need not in NEEDS]
        if unknown or self.scope not in SCOPES:
            raise ValueError(f"table {self.name}: unknown need(s) {unknown} or scope "
                             f"{self.scope!r}")
        if self.counts and (self.scope != "one wave" or self.frame):
            raise ValueError(f"table {self.name}: counts are of one wave and not a frame")

    def present(self, results: Results) -> bool:
        """Whether the study of ``results`` has what this table needs."""
        return all(NEEDS[need][1](results) for need in self.needs)


@dataclass(frozen=True)
class Page:
    """One page of the report: the notebook that makes it, its file and title."""

    notebook: str
    file: str
    title: str
    needs: tuple[str, ...] = ()

    def present(self, results: Results) -> bool:
        """Whether the study of ``results`` has this page."""
        return all(NEEDS[need][1](results) for need in self.needs)


SUMMARY, QUALITY, GAPS, VOICES, TRENDS, SEGMENTS = PAGES = (
    Page("00_summary.ipynb", "index.html", "Executive summary"),
    Page("01_data_quality.ipynb", "data_quality.html", "Data quality"),
    Page("02_gaps.ipynb", "gaps.html", "Perception gaps", needs=("closed",)),
    Page("03_voices.ipynb", "voices.html", "Voices", needs=("open_ended",)),
    Page("04_trends.ipynb", "trends.html", "Trends", needs=("waves",)),
    Page("05_segments.ipynb", "segments.html", "Segments", needs=("segments",)),
)
"""The report's pages in order; the first is the executive summary, ``index.html``."""


# ---------------------------------------------------------------------------
# how each table is computed (from the results, so that it can use other tables)

def _counts(r: Results) -> counts_module.LevelCounts:
    return counts_module.level_counts(r.responses, r.study)


def _importance(r: Results) -> pd.DataFrame:
    """Empty, with the reason in ``attrs["reason"]``, where no importance can be derived."""
    try:
        return metrics.importance_performance(None, r.study, shares=r.shares,
                                              counts=r.metric_counts)
    except ValueError as reason:
        empty = pd.DataFrame(columns=SPECS["importance_performance"].all_columns)
        empty.attrs["reason"] = str(reason)
        return empty


def _coded(r: Results) -> pd.DataFrame:
    """Every answer with its themes; every answer ``uncoded`` without a codebook."""
    return voices.code_answers(r.responses, r.study, r.codebook or voices.NO_CODEBOOK)


def _item_counts(r: Results) -> counts_module.LevelCounts:
    """The wave's item counts, saying their wave: counts made without one (e.g. by SQL,
    :mod:`cxstudy.warehouse`) take the wave these results are of; counts of another wave
    are refused."""
    counts = r.counts
    wave = r.waves[0] if r.study.waves and len(r.waves) == 1 else None
    if wave is not None and counts.wave is None:
        return dataclasses.replace(counts, wave=wave)
    if wave is not None and counts.wave != wave:
        raise ValueError(f"the counts given for wave {wave} are of wave {counts.wave}")
    return counts


def _trends(r: Results) -> pd.DataFrame:
    return waves.trend_table(None, r.study, counts={w: _item_counts(r.wave(w))
                                                    for w in r.waves})


def _every_wave(r: Results, name: str) -> list:
    """The counts table ``name`` of each wave of the results (a "whole" table is made
    from every wave's counts)."""
    return [r.wave(w).table(name) for w in r.waves] if len(r.waves) > 1 else [r.table(name)]


def _one_wave(r: Results) -> str | None:
    """The wave of one wave's results (None in a study without waves)."""
    return r.waves[0] if r.waves else None


def _choice_table(r: Results, compute: Callable, spec: str | None) -> pd.DataFrame:
    """A choice table from the wave's one counting of the options; empty (and nothing
    read) for a study without choice questions."""
    if not r.study.choices:
        return pd.DataFrame(columns=SPECS[spec].all_columns if spec else [])
    return compute(None, r.study, counts=r.choice_counts)


def _log(r: Results) -> pd.DataFrame:
    if r.log is None:
        raise ValueError("these results have no cleaning log: make them with "
                         "cx.analyze(study_file), which reads and cleans the exports, or "
                         "give its counts: Results.from_counts(..., log_counts=...)")
    return r.log


def _has_log(r: Results) -> bool:
    """Whether the results have the cleaning log or its counts (given, or computed)."""
    return "log_counts" in r._tables or r.log is not None


_TABLES = (
    # the counting pass and the item tables
    Table("counts", _counts, "The answer counts of every item and audience "
          "(cx.level_counts): never pooled across waves.", scope="one wave",
          needs=("items",), frame=False, counts=True),
    Table("gaps", lambda r: gaps.gap_table(None, r.study, counts=_item_counts(r)),
          "Every item's gap between each audience and the reference.", needs=("items",),
          spec=SPECS["gaps"], page=GAPS.notebook),
    Table("dimensions", lambda r: gaps.dimension_gaps(None, r.study, counts=_item_counts(r)),
          "Each dimension's mean score gap and Cronbach's alpha.", needs=("items",),
          spec=SPECS["dimension_gaps"], page=GAPS.notebook),
    Table("shares", lambda r: gaps.share_table(None, r.study, counts=_item_counts(r)),
          "Every audience's top-box share of every item, with its interval.",
          needs=("items",), spec=SPECS["shares"], page=GAPS.notebook),
    Table("kruskal", lambda r: gaps.kruskal_table(None, r.study, counts=_item_counts(r)),
          "Kruskal-Wallis of every item across all audiences at once.", needs=("items",),
          spec=SPECS["kruskal"], page=GAPS.notebook),
    Table("gap_index", lambda r: gaps.perception_gap_index(None, r.study,
                                                           counts=_item_counts(r)),
          "The perception-gap index of each audience, with its bootstrap interval.",
          needs=("items",), spec=SPECS["perception_gap_index"], page=SUMMARY.notebook),
    Table("blind_spots", lambda r: gaps.blind_spots(r.gaps, r.study),
          "Where each audience sits furthest above the reference.", needs=("items",),
          spec=SPECS["blind_spots"], page=GAPS.notebook),
    # metrics, beliefs, importance
    Table("metric_counts", lambda r: metrics.metric_counts(r.responses, r.study),
          "The counts of each distinct answer to every metric and estimate per audience, "
          "and each item's answers against the outcome of derived importance "
          "(cx.metric_counts).", scope="one wave", frame=False, counts=True),
    Table("metrics", lambda r: metrics.metric_table(None, r.study, counts=r.metric_counts),
          "Every CX metric of every audience (NPS, CSAT, CES).", needs=("metrics",),
          spec=SPECS["metrics"], page=GAPS.notebook),
    Table("metric_gaps", lambda r: metrics.metric_gaps(None, r.study, metrics=r.metrics,
                                                       counts=r.metric_counts),
          "Every metric's gap between each audience and the reference.", needs=("metrics",),
          spec=SPECS["metric_gaps"], page=GAPS.notebook),
    Table("calibration", lambda r: metrics.calibration_table(None, r.study, shares=r.shares,
                                                             counts=r.metric_counts),
          "What the audiences that estimated think the reference says, against what it "
          "says.", needs=("estimates",), spec=SPECS["calibration"], page=SUMMARY.notebook),
    Table("importance", _importance,
          "Importance-performance of the reference audience; empty, with the reason in "
          "attrs['reason'], when the study gives no outcome to derive importance from.",
          needs=("outcome",), spec=SPECS["importance_performance"], page=GAPS.notebook,
          skip_empty=True),
    # open answers
    Table("codebook", lambda r: voices.study_codebook(r.study),
          "The study's theme codebook (None without one).", scope="study"),
    Table("voice_counts", lambda r: voices.voice_counts(r.responses, r.study, r.codebook),
          "The open answers' counts per question and audience (themes, their patterns, "
          "words, a bounded pool of quotes): what themes, voice_similarity, quotes and "
          "words are made from.", scope="one wave", needs=("open_ended",), frame=False,
          counts=True),
    Table("tone_counts", lambda r: tone.tone_counts(r.responses, r.study),
          "The tone sums of the open answers per question, audience and distinct VADER "
          "score (answers, sum of weights and of squared weights).", scope="one wave",
          needs=("open_ended",), frame=False, counts=True),
    Table("coded", _coded, "Every open answer with its themes (of results that hold the "
          "responses; no table is made from it).", needs=("open_ended",)),
    Table("themes", lambda r: voices.theme_table(None, r.study, r.codebook,
                                                 counts=r.voice_counts),
          "Every theme's share of each audience's answers, with its gap to the reference.",
          needs=("codebook",), spec=SPECS["themes"], page=VOICES.notebook),
    Table("voice_similarity", lambda r: voices.voice_similarity(None, r.study, r.codebook,
                                                                counts=r.voice_counts),
          "How alike each pair of audiences answer each open question (the similarity of "
          "their theme profiles, with its bootstrap interval).", needs=("codebook",),
          spec=SPECS["voice_similarity"], page=VOICES.notebook),
    Table("quotes", lambda r: voices.quotes(None, r.study, r.codebook,
                                            per_theme=1 if r.codebook else 3,
                                            counts=r.voice_counts),
          "A typical answer per question, theme and audience (scrubbed; escape to show); "
          "without a codebook, three per question and audience, uncoded.",
          needs=("open_ended",), page=VOICES.notebook),
    Table("tone", lambda r: tone.tone_table(None, r.study, counts=r.tone_counts),
          "The tone of each audience's open answers (VADER), with its gap to the reference; "
          "for a competition question, the share calling the difference good and bad.",
          needs=("open_ended",), spec=SPECS["tone"], page=VOICES.notebook),
    # change between waves
    Table("trends", _trends, "How each item's gap changed between consecutive waves.",
          scope="between", needs=("items", "waves"), spec=SPECS["trends"],
          page=TRENDS.notebook),
    Table("dimension_trends", lambda r: waves.dimension_trends(r.dimensions, r.study),
          "How each dimension's gap changed between consecutive waves.", scope="between",
          needs=("items", "waves"), spec=SPECS["dimension_trends"], page=TRENDS.notebook),
    Table("metric_trends", lambda r: waves.metric_trends(r.metrics, r.study),
          "How each metric changed between consecutive waves.", scope="between",
          needs=("waves", "metrics"), spec=SPECS["metric_trends"], page=TRENDS.notebook),
    Table("segment_counts", lambda r: segments.segment_counts(r.responses, r.study),
          "The answer counts of every item per segment level and audience "
          "(cx.segment_counts): never pooled across waves.", scope="one wave",
          needs=("items", "segments"), frame=False, counts=True),
    Table("segments", lambda r: segments.segment_table(None, r.study,
                                                       counts=r.segment_counts),
          "Every item's gap within every level of every segment.", needs=("items", "segments"),
          spec=SPECS["segments"], page=SEGMENTS.notebook),
    # choice questions: each option a 0/1 indicator, through the item machinery
    Table("choice_counts", lambda r: choices.choice_counts(r.responses, r.study),
          "The option indicators' counts per audience (one vectorised pass).",
          scope="one wave", needs=("choices",), frame=False, counts=True),
    Table("choice_segment_counts", lambda r: choices.choice_segment_counts(r.responses,
                                                                           r.study),
          "The option indicators' counts per segment level and audience.",
          scope="one wave", needs=("choices", "segments"), frame=False, counts=True),
    Table("choices", lambda r: _choice_table(r, choices.choice_table, "choices"),
          "Every option's share per audience and its gap to the reference.",
          needs=("choices",), spec=SPECS["choices"], page=GAPS.notebook),
    Table("choice_shares", lambda r: _choice_table(r, choices.choice_shares, None),
          "Every audience's share choosing every option (the reference included).",
          needs=("choices",), page=GAPS.notebook),
    Table("choice_tests", lambda r: _choice_table(r, choices.choice_tests, "choice_tests"),
          "Whether the audiences' answers to each choice question differ.",
          needs=("choices",), spec=SPECS["choice_tests"], page=GAPS.notebook),
    Table("choice_segments", lambda r: choices.choice_segments(
              None, r.study, counts=r.choice_segment_counts),
          "Every option's gap within every level of every segment.",
          needs=("choices", "segments"), spec=SPECS["choice_segments"]),
    Table("choice_trends", lambda r: choices.choice_trends(
              None, r.study, counts={w: r.wave(w).choice_counts for w in r.waves}),
          "How each option's gap changed between consecutive waves.", scope="between",
          needs=("choices", "waves"), spec=SPECS["choice_trends"]),
    # who answered, and what cleaning did: counts of each wave and of the cleaning log
    Table("respondent_counts", lambda r: quality.respondent_counts(r.responses, r.study,
                                                                   wave=_one_wave(r)),
          "Respondents per audience, unanswered items and the weights of one wave "
          "(quality.respondent_counts).", scope="one wave", frame=False, counts=True),
    Table("respondent_ids", lambda r: waves.respondent_ids(r.responses, r.study,
                                                           wave=_one_wave(r)),
          "The hashed respondent ids of each audience of one wave, for the returning "
          "respondents (waves.respondent_ids; none kept in a study of fewer than two "
          "waves).", scope="one wave", frame=False, counts=True),
    Table("log_counts", lambda r: quality.log_counts(_log(r), r.study),
          "The cleaning log counted: rows per source, audience and reason, the rules not "
          "checked, the first dropped rows of each rule (quality.log_counts).",
          scope="whole", needs=("log",), frame=False),
    Table("respondents", lambda r: quality.respondent_table(
        None, r.study, counts=_every_wave(r, "respondent_counts")),
          "Respondents per audience (in the study's order of audiences).", scope="whole",
          page=SUMMARY.notebook),
    Table("returning", lambda r: waves.returning_respondents(
        None, r.study, counts=_every_wave(r, "respondent_ids")),
          "Respondents per audience in each wave, and how many answered in more than one.",
          scope="whole", page=QUALITY.notebook),
    Table("dropped", lambda r: quality.dropped_by_reason(None, counts=r.log_counts),
          "Rows dropped by each cleaning rule (reason -> rows), most first.", scope="whole",
          needs=("log",), page=QUALITY.notebook),
    Table("rows_by_rule", lambda r: quality.rows_by_rule(None, r.study, counts=r.log_counts),
          "Rows in, dropped by each rule and kept, per audience.", scope="whole",
          needs=("log",), page=QUALITY.notebook),
    Table("not_checked", lambda r: quality.not_checked(None, counts=r.log_counts),
          "Rules not applied to an export because it lacks their column.", scope="whole",
          needs=("log",), page=QUALITY.notebook),
    Table("dropped_examples", lambda r: quality.dropped_examples(None, counts=r.log_counts),
          "The first three dropped rows of each rule, with why.", scope="whole",
          needs=("log",), page=QUALITY.notebook),
    Table("missing", lambda r: quality.missing_shares(
        None, r.study, counts=_every_wave(r, "respondent_counts")),
          "Share of each audience (of the minimum size) without an answer to each item.",
          scope="whole", page=QUALITY.notebook),
    Table("weights", lambda r: quality.weights_display(
        None, r.study, counts=_every_wave(r, "respondent_counts")),
          "Spread and design effect of the weights (empty in a study without weights).",
          scope="whole", page=QUALITY.notebook),
)

TABLES: dict[str, Table] = {table.name: table for table in _TABLES}
"""Every table a study can have, by its attribute name, in the order they are written."""

COUNTS: dict[str, Table] = {name: t for name, t in TABLES.items() if t.counts}
"""The counts tables: what every other table is made from (:attr:`Table.counts`)."""

WRITTEN: dict[str, Table] = {name: t for name, t in TABLES.items() if t.spec is not None}
"""The tables written as ``tables/<spec.name>.csv``, in the order of ``docs/outputs.md``."""


def absent(table: Table, results: Results) -> pd.DataFrame:
    """What a table the study has not the needs of is: empty, with its contract's columns
    (``wave`` first in a study with waves) and, in ``attrs["absent"]``, what the study
    lacks ("this study has no items"); so a page shows nothing of it rather than
    computing it from nothing. What is not a frame (the counts) cannot be empty: asking
    for it is an error saying what the study lacks."""
    lacking = [NEEDS[need][0] for need in table.needs if not NEEDS[need][1](results)]
    reason = f"this study has no {' and no '.join(lacking)}"
    if not table.frame:
        raise ValueError(f"{table.name}: {reason}")
    columns = table.spec.all_columns if table.spec is not None else []
    if table.scope in ("wave", "between") and results.study.waves:
        columns = ["wave", *columns] if table.scope == "wave" else columns
    empty = pd.DataFrame(columns=columns)
    empty.attrs["absent"] = reason
    return empty


def pages_for(results: Results) -> list[Page]:
    """The pages a study's report has (Perception gaps only with items or metrics, Voices
    only with open-ended questions, Trends only with responses in two or more waves,
    Segments only with segments)."""
    return [page for page in PAGES if page.present(results)]

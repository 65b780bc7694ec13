"""What a study is: the objects a validated study file becomes.

:func:`cxstudy.load_study` builds them (parsers in :mod:`cxstudy._sections`); every
other module reads them. This module imports nothing else of cxstudy's but the
"did you mean" helper, so any module may import it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ._validate import did_you_mean
from .scales import Scale, number_text

# Names the pipeline itself writes into responses.parquet.
RESERVED_COLUMNS = {"respondent_id", "group", "weight", "source", "source_row", "wave"}


@dataclass(frozen=True)
class Source:
    """One export. Its rows belong to ``group``, or to the groups in ``group_column``."""

    name: str
    path: Path
    format: str | None = None
    group: str | None = None
    group_column: str | None = None
    group_map: dict[str, str] | None = None
    id_column: str | None = None
    sheet: str | int | None = None
    wave: str | None = None
    duration_column: str | None = None
    finished_column: str | None = None
    rename: dict[str, str] | None = None  # export header -> the name columns: use
    sheet_size: str | None = None  # each row is a group's sheet: this column says how many


def asked_in(waves: tuple[str, ...] | None, wave: str | None) -> bool:
    """Whether a question asked in ``waves`` (None: every wave) was asked in ``wave``
    (always, for a study without waves). The one meaning of ``waves:`` in a study file,
    for items, metrics, estimates, open-ended questions and segments alike."""
    return waves is None or wave is None or wave in waves


class AskedInWaves:
    """What a question with ``waves`` (None: asked in every wave) can say about a wave."""

    waves: tuple[str, ...] | None

    def asked_in(self, wave: str | None) -> bool:
        """Whether it was asked in a wave (always, for a study without waves)."""
        return asked_in(self.waves, wave)


@dataclass(frozen=True)
class SeriesBreak:
    """A change of scale or wording from ``wave`` on: no change is computed across it."""

    wave: str
    reason: str


@dataclass(frozen=True)
class Item(AskedInWaves):
    """One construct asked of the audiences: ``columns`` maps group -> column."""

    id: str
    text: str
    scale: str
    columns: dict[str, str]
    dimension: str = "Overall"
    headline: bool = False
    reverse: bool = False
    importance: str | None = None
    waves: tuple[str, ...] | None = None  # None: asked in every wave
    series_break: SeriesBreak | None = None  # break: {wave, reason}

    def breaks_between(self, from_wave: str, to_wave: str, waves: tuple[str, ...]) -> bool:
        """Whether the item's series breaks between two waves (of the study's ``waves``,
        in order): the break's wave is after ``from_wave`` and at or before ``to_wave``."""
        if self.series_break is None or self.series_break.wave not in waves:
            return False
        at = waves.index(self.series_break.wave)
        return waves.index(from_wave) < at <= waves.index(to_wave)


@dataclass(frozen=True)
class Metric(AskedInWaves):
    """A CX metric (NPS, CES, CSAT) read from ``columns`` (group -> column)."""

    id: str
    kind: str
    columns: dict[str, str]
    scale: str | None = None
    waves: tuple[str, ...] | None = None  # None: asked in every wave


@dataclass(frozen=True)
class Estimate(AskedInWaves):
    """Estimates (0-100) by leaders/staff of the share of customers who agree with ``item``."""

    item: str
    columns: dict[str, str]
    waves: tuple[str, ...] | None = None  # None: asked in every wave

    @property
    def id(self) -> str:
        return f"{self.item}_estimate"


@dataclass(frozen=True)
class OpenEnded(AskedInWaves):
    """One open-ended question, asked of the audiences in ``columns``; ``role`` says what
    it asks: strength, problem, competition, next or other. ``split`` is ``"points"``
    where a cell holds several points (a group's sheet), each coded on its own."""

    id: str
    question: str
    columns: dict[str, str]
    role: str = "other"
    waves: tuple[str, ...] | None = None  # None: asked in every wave
    split: str | None = None


@dataclass(frozen=True)
class Segment(AskedInWaves):
    """A way to split the audiences (region, channel, tenure): the column each asked
    audience answered it in, an optional recoding of raw values (``map``), a display
    ``order`` and, for numeric columns, ``bins`` cutting them into bands. ``other`` names
    a level that small levels are pooled into (and ``other_levels`` those pooled whatever
    their size): see :func:`cxstudy.segments.pooled_levels`."""

    id: str
    label: str
    columns: dict[str, str]
    map: dict[str, str] | None = None
    order: tuple[str, ...] | None = None
    bins: tuple[float, ...] | None = None
    waves: tuple[str, ...] | None = None  # None: asked in every wave
    other: str | None = None
    other_levels: tuple[str, ...] = ()

    def band_names(self) -> list[str]:
        """Names of the bands ``bins`` cut: [a, b) for all but the last, [a, b] for it
        (bins [0, 1, 3, 10]: "0 to <1", "1 to <3", "3 to 10")."""
        edges = [number_text(b) for b in self.bins or ()]
        last = len(edges) - 2
        return [f"{a} to {b}" if i == last else f"{a} to <{b}"
                for i, (a, b) in enumerate(itertools.pairwise(edges))]


@dataclass(frozen=True)
class ChoiceOption:
    """One option of a choice question: its ``label`` (as reports show it) and other
    spellings of it in the exports (``aliases``)."""

    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice(AskedInWaves):
    """A nominal question mirrored across audiences: pick one (``multiple`` false) or
    check all that apply (``multiple`` true).

    ``columns`` maps audience -> the export column (one cell per respondent) or, for a
    check-all-that-apply question exported one column per option, a tuple of columns or
    a pattern with ``*`` (``Q5_*``). ``other`` maps audience -> the "other (please
    specify)" text column; ``unmatched`` names the option that answers matching no option
    count as (None: they are an error); ``none`` names the option that means "none of
    these". Each option becomes a 0/1 column of the processed data named
    :meth:`column_of` (``contact::Phone``): ``::`` never appears in an id. The "other"
    text becomes the open-ended question ``<id>_other``.
    """

    id: str
    text: str
    options: tuple[ChoiceOption, ...]
    columns: dict[str, str | tuple[str, ...]]
    multiple: bool = False
    other: dict[str, str] | None = None
    unmatched: str | None = None
    none: str | None = None
    waves: tuple[str, ...] | None = None  # None: asked in every wave

    @property
    def labels(self) -> list[str]:
        """The options' labels in display order."""
        return [option.label for option in self.options]

    def column_of(self, label: str) -> str:
        """The processed-data column of one option: ``<id>::<label>``."""
        return f"{self.id}{CHOICE_SEPARATOR}{label}"

    @property
    def indicator_columns(self) -> list[str]:
        """The processed-data columns of the options, in display order."""
        return [self.column_of(label) for label in self.labels]

    @property
    def other_column(self) -> str:
        """The processed-data column of the "other (please specify)" text: the id of the
        open-ended question :meth:`other_question` makes of it."""
        return f"{self.id}_other"

    def other_question(self) -> OpenEnded | None:
        """The "other (please specify)" text as an open-ended question (id
        ``<id>_other``), read, scrubbed and shown as every open answer is."""
        if not self.other:
            return None
        return OpenEnded(self.other_column, f"{self.text} — other (please specify)",
                         dict(self.other), "other", self.waves)


CHOICE_SEPARATOR = "::"  # between a choice's id and an option: never part of an id


@dataclass(frozen=True)
class Weights:
    """Weights of one audience: a design-weight ``column`` of its export, raked to known
    ``margins`` (column -> category -> share) when given."""

    group: str
    margins: dict[str, dict[str, float]]
    trim: float | None = 5.0
    column: str | None = None


@dataclass(frozen=True)
class AttentionCheck:
    """Rows whose answer in the check's column is not one of ``expect`` are dropped."""

    columns: dict[str, str]
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """Rows that are not part of the study: those whose ``column`` holds one of
    ``values`` (compared without case and spacing) or, with ``blank``, nothing; only in
    ``sources`` (source names) and ``groups`` where given. ``number`` is its position in
    ``cleaning.exclude``."""

    number: int
    column: str
    values: tuple[str, ...] = ()
    blank: bool = False
    sources: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None

    @property
    def key_path(self) -> str:
        return f"cleaning.exclude[{self.number}]"

    def applies_to(self, source: Source, groups) -> bool:
        """Whether the rule can hold rows of a source (of its audiences ``groups``)."""
        return (self.sources is None or source.name in self.sources) and (
            self.groups is None or bool(set(self.groups) & set(groups)))


MISSING_CATEGORY = "(missing)"
"""How a weighting margin names the respondents who left its column blank."""


@dataclass(frozen=True)
class Cleaning:
    """Cleaning rules. ``0``/``false`` switches a rule off."""

    require_finished: bool = True
    drop_preview: bool = True
    duplicates: str = "id"
    min_duration_ratio: float = 0.0
    straightline_min_items: int = 0
    attention_checks: tuple[AttentionCheck, ...] = ()
    unknown_labels: str = "error"
    exclude: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class Deliverables:
    """What a run writes beside the report pages: ``tables.xlsx`` (every table as a
    sheet) and ``deck.pptx`` (the findings as slides), and the client template whose
    layouts and theme the deck uses (None: python-pptx's default)."""

    workbook: bool = True
    deck: bool = True
    deck_template: Path | None = None


@dataclass(frozen=True)
class Study:
    """A validated study file. Build one with :func:`load_study`."""

    title: str
    slug: str
    path: Path | None
    base_dir: Path
    sources: tuple[Source, ...]
    groups: tuple[str, ...]
    reference: str
    scales: dict[str, Scale]
    items: tuple[Item, ...]
    confidence: float = 0.95
    correction: str = "holm"
    min_group_size: int = 5
    agreement_margin: float = 0.10
    importance_against: str | None = None
    pii_columns: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    estimates: tuple[Estimate, ...] = ()
    weights: Weights | None = None
    open_ended: tuple[OpenEnded, ...] = ()
    themes: Path | None = None
    cleaning: Cleaning = field(default_factory=Cleaning)
    waves: tuple[str, ...] = ()
    segments: tuple[Segment, ...] = ()
    deliverables: Deliverables = field(default_factory=Deliverables)
    choices: tuple[Choice, ...] = ()
    group_labels: dict[str, str] = field(default_factory=dict)  # id -> label pages show
    subject: str = "the customer experience"

    def label(self, group: str) -> str:
        """An audience as a reader sees it: its ``groups:`` label, else its id. Ids stay in
        the CSVs and the processed data; pages, workbook and deck show labels."""
        return self.group_labels.get(group, group)

    def labels(self, groups=None) -> list[str]:
        """The labels of ``groups`` (default: every audience), in the order given."""
        return [self.label(g) for g in (self.groups if groups is None else groups)]

    def top_box_short(self, item_id: str) -> str:
        """What an item's share counts, in a few words, for axes and table headers: the
        scale's top box, or for a reversed item the bottom box it counts ("Strongly
        disagree or Disagree")."""
        item = self.item(item_id)
        scale = self.scales[item.scale]
        return scale.bottom_box_short if item.reverse else scale.top_box_short

    def top_box_predicate(self, item_id: str) -> str:
        """How a sentence says a respondent chose what an item's share counts: "agree", or
        for a reversed item the bottom box ("disagree"; see :meth:`Scale.bottom_box_predicate`).
        Plain text: escape it where it goes."""
        item = self.item(item_id)
        scale = self.scales[item.scale]
        return scale.bottom_box_predicate if item.reverse else scale.top_box_predicate

    @property
    def project_root(self) -> Path:
        """The project folder: the parent of the folder that holds the study file."""
        return self.base_dir.parent

    @property
    def processed_dir(self) -> Path:
        return self.project_root / "data" / "processed" / self.slug

    @property
    def report_dir(self) -> Path:
        return self.project_root / "reports" / self.slug

    @property
    def others(self) -> list[str]:
        """The audiences compared with the reference, in the study's order."""
        return [group for group in self.groups if group != self.reference]

    @property
    def reference_index(self) -> int:
        """The reference's position among ``groups`` (the counts' audience axis)."""
        return self.groups.index(self.reference)

    @property
    def other_indices(self) -> list[int]:
        """The positions of the other audiences among ``groups``."""
        return [g for g in range(len(self.groups)) if g != self.reference_index]

    @property
    def level(self) -> str:
        """The intervals' level as a page names it: ``"95%"`` for ``confidence: 0.95``,
        ``"97.5%"`` for 0.975 (never rounded to a whole percent)."""
        return level_text(self.confidence)

    @property
    def interval_label(self) -> str:
        """How a page names an interval: ``"95% CI"`` for ``confidence: 0.95``."""
        return f"{self.level} CI"

    @property
    def equivalence_level(self) -> float:
        """The level of the interval that decides agreement: 1 − 2α (two one-sided tests
        at α = 1 − ``confidence``), 0.90 for ``confidence: 0.95``."""
        return 1 - 2 * (1 - self.confidence)

    @property
    def equivalence_label(self) -> str:
        """How a page names the agreement interval's level (``"90% interval"``)."""
        return f"{level_text(self.equivalence_level)} interval"

    def suppression_note(self, n: int | None = None, where: str = "") -> str:
        """The one wording of the small-group rule: ``"suppressed: fewer than 5
        respondents (n = 3)"``; ``where`` adds where they were counted (``"in a wave"``)."""
        counted = f" (n = {int(n)})" if n is not None else ""
        return (f"suppressed: fewer than {self.min_group_size} respondents"
                + (f" {where}" if where else "") + counted)

    @property
    def dimensions(self) -> list[str]:
        """Dimensions in the order their first item appears."""
        return list(dict.fromkeys(item.dimension for item in self.items))

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no item {item_id!r} in study {self.slug!r}" + did_you_mean(
            item_id, [i.id for i in self.items]))

    def source_groups(self, source: Source) -> list[str]:
        """Groups whose rows a source can hold."""
        return groups_of_source(source, self.groups)

    def mappings(self) -> list[ColumnMapping]:
        """Every (response column, audience) -> export column mapping in the study."""
        found: list[ColumnMapping] = []
        for i, item in enumerate(self.items):
            for group, column in item.columns.items():
                found.append(ColumnMapping(item.id, "item", group, column,
                                           f"items[{i}] ({item.id}).columns.{group}",
                                           item.scale, item.waves))
        for metric in self.metrics:
            for group, column in metric.columns.items():
                found.append(ColumnMapping(metric.id, "metric", group, column,
                                           f"metrics.{metric.id}.columns.{group}", metric.scale,
                                           metric.waves))
        for i, estimate in enumerate(self.estimates):
            for group, column in estimate.columns.items():
                found.append(ColumnMapping(estimate.id, "estimate", group, column,
                                           f"estimates[{i}].columns.{group}",
                                           waves=estimate.waves))
        for i, question in enumerate(self.open_ended):
            for group, column in question.columns.items():
                found.append(ColumnMapping(question.id, "open_ended", group, column,
                                           f"open_ended[{i}] ({question.id}).columns.{group}",
                                           waves=question.waves))
        for i, segment in enumerate(self.segments):
            for group, column in segment.columns.items():
                found.append(ColumnMapping(segment.id, "segment", group, column,
                                           f"segments[{i}] ({segment.id}).columns.{group}",
                                           waves=segment.waves))
        for i, check in enumerate(self.cleaning.attention_checks):
            for group, column in check.columns.items():
                found.append(ColumnMapping(f"attention_check_{i}", "attention_check", group,
                                           column, f"cleaning.attention_checks[{i}].columns."
                                           f"{group}"))
        return found


def level_text(level: float) -> str:
    """A confidence level as a percentage: 0.95 -> "95%", 0.975 -> "97.5%"."""
    return f"{round(100 * level, 6):g}%"


def groups_of_source(source: Source, groups) -> list[str]:
    """Audiences whose rows a source can hold."""
    if source.group is not None:
        return [source.group]
    if source.group_map:
        return [g for g in groups if g in set(source.group_map.values())]
    return list(groups)


@dataclass(frozen=True)
class ColumnMapping(AskedInWaves):
    """One audience's export column for one response column, and where the study says so;
    ``waves``: the waves its question was asked in (None: every wave)."""

    id: str
    kind: str
    group: str
    column: str
    key_path: str
    scale: str | None = None
    waves: tuple[str, ...] | None = None

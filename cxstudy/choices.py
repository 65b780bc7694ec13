"""Choice questions: pick one, or check all that apply, mirrored across audiences.

A choice question (``choices:`` in the study file) asks the audiences which options
apply: "Which of these do we do best?" (pick one, a nominal answer) or "Which of these
would make you switch?" (check all that apply). The gap is in *which options* each
audience picks.

Reading. Each option becomes a 0/1 indicator per respondent, the column
``<id>::<option>`` of the processed data (``::`` never appears in an id, so it cannot
collide with an item): 1 selected, 0 not selected, missing when the respondent did not
answer the question. A pick-one answer is one cell; a check-all-that-apply answer comes
in the layouts real exports use:

* one column per option: Qualtrics ``Q5_1``, ``Q5_2``… (the option text in the
  question-text row, selected = the option text or 1), SurveyMonkey (two header rows:
  question, then option), SPSS dichotomy sets (0/1 variables whose labels name the
  options). Which option a column holds is read from its question text (or name), else
  from the option text it holds, else from the order of the listed columns;
* one cell with the chosen options joined by ``", "`` or ``";"`` (Google Forms and
  others); options that themselves contain the separator are matched first.

A check-all-that-apply respondent who selected nothing skipped the question (missing);
one who ticked the study's ``none`` option answered it.

Estimating. An option's indicator is a two-point answer whose top box is "selected", so
every estimate is the item machinery of :mod:`cxstudy.gaps` on those indicators, counted
by :func:`~cxstudy.counts.level_counts` in its one vectorised pass: the share choosing an
option with Wilson's interval, the gap to the reference with Newcombe's hybrid score
interval, the score test (Fisher's exact where an expected count is under 5), the study's
correction over the table, Kish's effective n under weights, the small-group rule,
within each wave. :func:`choice_tests` adds, per pick-one question, the test that the
audiences' distributions over the options differ (Pearson's chi-square, or a Monte-Carlo
exact test where an expected count is under 5).

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. JASA 22, 209-212.
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions. Statistics in Medicine 17, 873-890.
Agresti, A. (2013). Categorical Data Analysis, 3rd ed., sections 3.2 and 3.5 (Pearson's
chi-square; exact tests of r x c tables, Freeman & Halton 1951).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import stats
from ._validate import did_you_mean
from .counts import LevelCounts, level_counts, wave_of
from .exceptions import Problem
from .model import Choice, Item, Study
from .scales import Scale, normalize
from .segments import SegmentCounts, segment_counts
from .tables import (
    CHOICE_SEGMENTS,
    CHOICE_TESTS,
    CHOICE_TRENDS,
    CHOICES,
    conform,
    too_small,
)
from .waves import per_wave

OPTION_SCALE = Scale(id="(choice option)", labels=("not selected", "selected"), top_box=1)
"""The two-point answer an option's indicator is counted as: code 1 not selected, 2
selected; the top box (one point) is "selected"."""

_SELECTED = {"1", "true", "yes", "y", "selected", "checked", "x", "✓", "✔"}
_NOT_SELECTED = {"0", "false", "no", "n", "not selected", "unselected", "not checked",
                 "unchecked", "not chosen", "-99"}
_SEPARATORS = re.compile(r"\s*[,;]\s*")
MONTE_CARLO_DRAWS = 20_000


# ---------------------------------------------------------------------------
# matching answers to options


@dataclass
class _Matcher:
    """The options of one question by every normalised spelling (separators unified)."""

    choice: Choice
    keys: dict[str, str] = field(default_factory=dict)  # spelling key -> label

    def __post_init__(self) -> None:
        for option in self.choice.options:
            for spelling in (option.label, *option.aliases):
                self.keys[_key(spelling)] = option.label

    def one(self, value) -> str | None:
        """The option a whole cell names (None when none does)."""
        return self.keys.get(_key(value))

    def split(self, value) -> tuple[list[str], list[str]]:
        """The options a joined cell names and the pieces that name none. Options whose
        label holds a separator ("Price, fees") are matched before splitting."""
        pieces = [p for p in _SEPARATORS.split(str(value).strip()) if p]
        found, unknown, i = [], [], 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):  # the longest run of pieces first
                label = self.keys.get(_key(", ".join(pieces[i:j])))
                if label is not None:
                    found.append(label)
                    i = j
                    break
            else:
                unknown.append(pieces[i])
                i += 1
        return list(dict.fromkeys(found)), unknown

    def suffix(self, text: str) -> str | None:
        """The option a column's question text ends with ("Which…? - Phone")."""
        key = _key(text) or ""
        best = None
        for spelling, label in self.keys.items():
            bounded = key.endswith(spelling) and (
                len(key) == len(spelling) or not key[-len(spelling) - 1].isalnum())
            if bounded and (best is None or len(spelling) > len(best[0])):
                best = (spelling, label)
        return best[1] if best else None

    def nearest(self, value) -> str:
        return did_you_mean(str(value), self.choice.labels)


def _key(value) -> str | None:
    key = normalize(value)
    return None if key is None else _SEPARATORS.sub(", ", key)


# ---------------------------------------------------------------------------
# layouts: which export columns hold a question's answers


@dataclass(frozen=True)
class Layout:
    """How one export holds one audience's answers to a choice question.

    ``kind`` is ``"cell"`` (one cell per respondent: a pick-one answer, or chosen options
    joined by ``, `` or ``;``) or ``"columns"`` (one column per option); ``columns`` maps
    export column -> option label (the one column of a ``cell`` layout maps to None).
    """

    kind: str
    columns: dict[str, str | None]


def find_layout(choice: Choice, spec: str | tuple[str, ...], columns: list[str],
                questions: dict[str, str], values: dict[str, Iterable] | None = None
                ) -> tuple[Layout | None, list[str]]:
    """The layout of one export for one question, or what is wrong (problem texts).

    Parameters
    ----------
    choice : Choice
    spec : str or tuple of str
        What ``columns:`` says for the audience: a column, a pattern with ``*``, or a
        list of option columns.
    columns : list of str
        The export's columns.
    questions : dict
        Column -> question text (the export's header rows or SPSS labels).
    values : dict, optional
        Column -> its distinct values, to tell an option column by the option text it
        holds.

    Returns
    -------
    (Layout or None, list of str)
    """
    present = set(columns)
    matcher = _Matcher(choice)
    if isinstance(spec, str) and "*" not in spec and spec in present:
        return Layout("cell", {spec: None}), []
    if not choice.multiple:
        return None, [f'no column "{spec}"' + _nearest(spec, columns, questions, choice)]
    if isinstance(spec, tuple):
        absent = [c for c in spec if c not in present]
        if absent:
            return None, [f'no column "{c}"' + _nearest(c, columns, questions, choice)
                          for c in absent]
        chosen = list(spec)
    elif "*" in spec:
        chosen = [c for c in columns if fnmatch.fnmatchcase(c, spec)]
    else:  # Q5 -> Q5_1, Q5_2 (Qualtrics); "Question - Option" (SurveyMonkey)
        numbered = re.compile(re.escape(spec) + r"_\d+\Z")
        chosen = [c for c in columns if numbered.match(c) or c.startswith(f"{spec} - ")]
    chosen = [c for c in chosen if not c.upper().endswith("_TEXT")]
    if not chosen:
        return None, [f'no column "{spec}" nor option columns matching it ({spec}_1, …, '
                      f'"{spec} - OPTION")' + _nearest(spec, columns, questions, choice)]
    mapped: dict[str, str | None] = {}
    unknown = []
    for position, column in enumerate(chosen):
        label = matcher.suffix(questions.get(column) or column) or matcher.suffix(column)
        if label is None and values is not None:
            held = {matcher.one(v) for v in values.get(column, ())
                    if _key(v) not in _SELECTED | _NOT_SELECTED and _key(v)}
            label = held.pop() if len(held) == 1 and None not in held else None
        if label is None and isinstance(spec, tuple) and len(chosen) == len(choice.options):
            label = choice.options[position].label
        if label is None:
            unknown.append(column)
        mapped[column] = label
    problems = [f'column "{c}" ("{questions.get(c, c)}"): which option it holds cannot be '
                "told" for c in unknown]
    for label in dict.fromkeys(v for v in mapped.values() if v is not None):
        holding = [c for c, v in mapped.items() if v == label]
        if len(holding) > 1:
            problems.append(f'columns {", ".join(repr(c) for c in holding)} all hold option '
                            f'"{label}"')
    wanted = [o.label for o in choice.options if o.label != choice.unmatched]
    missing = [label for label in wanted if label not in mapped.values()]
    if missing and not unknown:
        problems.append("no column for option(s) " + ", ".join(f'"{m}"' for m in missing)
                        + " among " + ", ".join(f'"{c}"' for c in chosen)
                        + _nearest(missing[0], columns, questions, choice))
    return (None if problems else Layout("columns", mapped)), problems


def _nearest(name: str, columns: list[str], questions: dict[str, str], choice: Choice
             ) -> str:
    from .readers import nearest

    return nearest(name, columns, questions=questions, meaning=choice.text)


# ---------------------------------------------------------------------------
# coding an export's rows


@dataclass
class ChoiceCoding:
    """Every choice question coded for every row read.

    ``columns``: processed-data column -> int8 array over the rows (1, 0, or -1 for
    missing); ``problems``: answers that match no option, two options in a pick-one
    cell; ``counted_other``: (question, value) -> rows counted as the
    ``unmatched`` option; ``layout_problems``: columns a layout needs that an export
    lacks, with the nearest names.
    """

    columns: dict[str, np.ndarray]
    problems: list[Problem]
    counted_other: dict[tuple[str, str], int]
    layout_problems: list[Problem] = field(default_factory=list)


def code_choices(raw: pd.DataFrame, study: Study, files: dict[str, str] | None = None
                 ) -> ChoiceCoding:
    """Code every choice question of every export's rows into option indicators.

    Parameters
    ----------
    raw : pandas.DataFrame
        All rows of all sources (:func:`~cxstudy.read_sources`), with ``attrs["sources"]``.
    study : Study
    files : dict, optional
        Source name -> file name, for the problems.

    Returns
    -------
    ChoiceCoding
    """
    files = files or {}
    coding = ChoiceCoding({}, [], {}, [])
    if not study.choices or not len(raw):
        return coding
    info = raw.attrs.get("sources", {})
    source_codes, source_names = pd.factorize(raw["source"].astype(str))
    group_codes, group_names = pd.factorize(raw["group"].astype(object))
    pair = source_codes.astype(np.int64) * (len(group_names) + 1) + group_codes
    width = len(group_names) + 1  # a row without a group lands in slot len(group_names)
    positions: dict[tuple[str, str], np.ndarray] = {
        (str(source_names[key // width]), str(group_names[key % width])):
            np.flatnonzero(pair == key)
        for key in np.unique(pair).tolist() if key % width < len(group_names)}
    nobody = np.zeros(0, dtype=np.int64)
    cache: dict = {}  # column -> its codes and distinct values, factorized once
    waves = {s.name: s.wave for s in study.sources}
    for choice in study.choices:
        target = {c: np.full(len(raw), -1, dtype=np.int8) for c in choice.indicator_columns}
        matcher = _Matcher(choice)
        unknown: dict[tuple[str, str], list] = {}
        doubled: dict[str, list] = {}
        for source in study.sources:
            details = info.get(source.name)
            if details is None or not choice.asked_in(waves.get(source.name)):
                continue
            name = files.get(source.name, source.name)
            for group, spec in choice.columns.items():
                rows = positions.get((source.name, group), nobody)
                if not len(rows):
                    continue
                columns = [str(c) for c in details["columns"]]
                sample = {} if spec in columns else {
                    c: raw[c].iloc[rows].dropna().unique()[:50] for c in columns
                    if c in raw.columns and _maybe_option_column(c, spec)}
                layout, problems = find_layout(choice, spec, columns,
                                               dict(details.get("questions", {})), sample)
                coding.layout_problems += [Problem(f"{name} ({group})", p, "map the question's "
                                            f"columns at choices ({choice.id}).columns.{group}"
                                            ) for p in problems]
                if layout is None:
                    continue
                _code_rows(raw, rows, layout, choice, matcher, target, unknown, doubled,
                           f'{name}, column "{{}}" ({choice.id}, {group})', raw["source_row"],
                           cache)
        coding.columns.update(target)
        for value, (count, places, nearest) in unknown.items():
            if choice.unmatched is not None:
                coding.counted_other[(choice.id, value)] = \
                    coding.counted_other.get((choice.id, value), 0) + count
                continue
            listed = "; ".join(f"{place}: {n}" for place, n in sorted(
                places.items(), key=lambda e: -e[1])[:4])
            more = f"; and {len(places) - 4} more column(s)" if len(places) > 4 else ""
            coding.problems.append(Problem(
                f'answer "{value}"', f"matches no option of {choice.id}{nearest}: {count} "
                f"row(s) ({listed}{more})", "add it to the option's aliases (options: "
                f'[{{label: ..., aliases: ["{value}"]}}]), add it as an option, or count such '
                f"answers as one option (unmatched: Other); options: "
                f"{', '.join(choice.labels)}"))
        for place, source_rows in doubled.items():
            source_rows = sorted(source_rows)
            shown = ", ".join(str(r) for r in source_rows[:6])
            more = f" and {len(source_rows) - 6} more" if len(source_rows) > 6 else ""
            coding.problems.append(Problem(
                place, f"two or more options in one cell of a pick-one question "
                f"({len(source_rows)} row(s): responses {shown}{more}, source_row in the "
                "cleaning log)", "a pick-one question takes one option per respondent: if "
                f"several may be chosen, set multiple: true on choices ({choice.id})"))
    return coding


def _maybe_option_column(column: str, spec) -> bool:
    if isinstance(spec, tuple):
        return column in spec
    return ("*" in spec and fnmatch.fnmatchcase(column, spec)) or column.startswith(spec)


def _code_rows(raw, rows, layout: Layout, choice: Choice, matcher: _Matcher, target, unknown,
               doubled, where: str, source_rows, cache: dict) -> None:
    """Write the indicators of ``rows`` (positions) for one export's layout."""
    if layout.kind == "cell":
        _code_cells(raw, rows, layout, choice, matcher, target, unknown, doubled, where,
                    source_rows, cache)
    else:
        _code_option_columns(raw, rows, layout, choice, target, unknown, where, cache)


def _code_cells(raw, rows, layout: Layout, choice: Choice, matcher: _Matcher, target,
                unknown, doubled, where: str, source_rows, cache: dict) -> None:
    """One cell per respondent: an option, or options joined by ", " or ";". Each
    distinct cell is read once into a row of 0/1 (-1: missing) over the options; the
    rows are then looked up by the cells' codes."""
    labels = choice.labels
    position = {label: i for i, label in enumerate(labels)}
    (column,) = layout.columns
    place = where.format(column)
    codes, distinct = _factorized(raw, column, rows, cache)
    held = np.bincount(codes + 1, minlength=len(distinct) + 1)[1:]  # rows per value
    table = np.full((len(distinct) + 1, len(labels)), -1, dtype=np.int8)  # last: missing
    for i, value in enumerate(distinct):
        text = str(value).strip()
        if not text or not held[i]:
            continue
        whole = matcher.one(value)
        found, rest = ([whole], []) if whole is not None else matcher.split(value)
        if whole is None and not choice.multiple:
            if len(found) >= 2:
                at = np.flatnonzero(codes == i)
                doubled.setdefault(place.rsplit(" (", 1)[0], []).extend(
                    int(r) for r in source_rows.iloc[rows[at]])
                continue
            found, rest = [], [text]
        for piece in rest:
            _note_unknown(unknown, piece, place, int(held[i]), matcher.nearest(piece))
        if rest:
            if choice.unmatched is None:
                continue  # a problem: no answer coded
            found = [*found, choice.unmatched]
        table[i] = 0
        table[i, [position[f] for f in found]] = 1
    coded = table[codes]  # code -1 picks the last row: missing
    for o, label in enumerate(labels):
        target[choice.column_of(label)][rows] = coded[:, o]


def _code_option_columns(raw, rows, layout: Layout, choice: Choice, target, unknown,
                         where: str, cache: dict) -> None:
    """One column per option: answered when any option is selected."""
    labels = choice.labels
    selected_any = np.zeros(len(rows), dtype=bool)
    selected = {}
    for column, label in layout.columns.items():
        own = {_key(s) for s in (label, *next(o.aliases for o in choice.options
                                                if o.label == label))}
        # the column of the option unmatched answers count as ("Other (please specify)")
        # holds what respondents wrote: any answer selects it
        free = label == choice.unmatched
        codes, distinct = _factorized(raw, column, rows, cache)
        held = np.bincount(codes + 1, minlength=len(distinct) + 1)[1:]  # rows per value
        states = np.zeros(len(distinct) + 1, dtype=bool)  # last: blank, not selected
        for i, value in enumerate(distinct):
            key = _key(value)
            if key is None or key in _NOT_SELECTED or not held[i]:
                continue
            if key in _SELECTED or key in own or free or _is_one(key):
                states[i] = True
                continue
            _note_unknown(unknown, str(value).strip(), where.format(column), int(held[i]),
                          f' (in the column of option "{label}", where selected is 1 or '
                          "the option text)")
        flags = states[codes]
        selected[label] = flags
        selected_any |= flags
    answered = rows[selected_any]
    for label in labels:
        target[choice.column_of(label)][answered] = 0
    for label, flags in selected.items():
        target[choice.column_of(label)][rows[flags]] = 1


def _factorized(raw: pd.DataFrame, column: str, rows: np.ndarray, cache: dict
                ) -> tuple[np.ndarray, pd.Index]:
    """The codes of ``rows`` of a column and its distinct values (code -1: missing): the
    whole column is factorized once (``cache``), however many audiences' rows are read
    from it."""
    if column not in cache:
        codes, distinct = pd.factorize(raw[column], use_na_sentinel=True)
        cache[column] = (codes, pd.Index(distinct, dtype=object))
    codes, distinct = cache[column]
    return codes[rows], distinct


def _is_one(key: str) -> bool:
    try:
        return float(key) == 1
    except ValueError:
        return False


def _note_unknown(unknown: dict, value: str, place: str, count: int, nearest: str) -> None:
    """Count an answer matching no option: value -> [rows, place -> rows, suggestion]."""
    entry = unknown.setdefault(value, [0, {}, nearest])
    entry[0] += count
    entry[1][place] = entry[1].get(place, 0) + count


# ---------------------------------------------------------------------------
# estimates


def option_study(study: Study) -> Study:
    """The study with each option of each choice question as an item on the two-point
    :data:`OPTION_SCALE` (its dimension the question): what the item machinery counts
    and compares. Items, metrics and the rest are left out."""
    items = tuple(Item(choice.column_of(label), label, OPTION_SCALE.id, {},
                       dimension=choice.id, waves=choice.waves)
                  for choice in study.choices for label in choice.labels)
    return dataclasses.replace(study, items=items, scales={OPTION_SCALE.id: OPTION_SCALE},
                               metrics=(), estimates=(), open_ended=(), weights=None,
                               choices=())


def option_responses(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The responses' option indicators as two-point codes (0 -> 1, 1 -> 2, missing
    stays missing) beside ``group``, ``weight``, ``wave`` and the segments' columns."""
    keep = [c for c in ("respondent_id", "group", "weight", "wave", *(s.id for s in
                                                                       study.segments))
            if c in responses.columns]
    frame = responses[keep].copy()
    for choice in study.choices:
        for column in choice.indicator_columns:
            if column in responses.columns:
                frame[column] = (responses[column].astype("Int8") + 1).astype("Int8")
    return frame


def option_items(responses: pd.DataFrame, study: Study) -> Study:
    """:func:`option_study` with only the options whose columns ``responses`` holds."""
    options = option_study(study)
    return dataclasses.replace(options, waves=(), items=tuple(
        i for i in options.items if i.id in responses.columns))


def questions_and_options(study: Study, columns) -> tuple[list[str], list[str]]:
    """The question id and the option label of each option column (``contact::Phone``
    -> ``contact``, ``Phone``), as the item machinery names them."""
    of_column = {choice.column_of(label): (choice.id, label) for choice in study.choices
                 for label in choice.labels}
    pairs = [of_column[column] for column in columns]
    return [question for question, _ in pairs], [option for _, option in pairs]


def choice_counts(responses: pd.DataFrame, study: Study) -> LevelCounts:
    """The option indicators counted per (option, audience) by
    :func:`~cxstudy.counts.level_counts`: one vectorised pass, each question one block
    of the pattern table. Counts of all the responses given: call it on one wave's (the
    counts then carry it, :attr:`LevelCounts.wave`)."""
    return dataclasses.replace(level_counts(option_responses(responses, study),
                                            option_items(responses, study)),
                               wave=wave_of(responses, study))


def choice_segment_counts(responses: pd.DataFrame, study: Study) -> SegmentCounts:
    """The option indicators counted per (segment, level, option, audience) by
    :func:`~cxstudy.segments.segment_counts`, of one wave: what :func:`choice_segments`
    is made from."""
    return segment_counts(option_responses(responses, study), option_items(responses, study))


def counted_options(study: Study, counts: LevelCounts | SegmentCounts) -> Study:
    """:func:`option_study` with only the options ``counts`` hold (the options whose
    columns the counted responses held), without waves: what the item machinery is
    given."""
    options = option_study(study)
    return dataclasses.replace(options, waves=(), items=tuple(
        i for i in options.items if i.id in set(counts.items)))


def _option_counts(responses: pd.DataFrame | None, study: Study,
                   counts: LevelCounts | None) -> LevelCounts | None:
    """The counts a choice table is made from: those given, else the responses' (None
    when the responses hold no option column)."""
    if counts is not None:
        return counts
    if not option_items(responses, study).items:
        return None
    return choice_counts(responses, study)


def _wave(responses: pd.DataFrame | None, study: Study, counts) -> str | None:
    """The wave a table is made within: the counts', else the responses' one wave."""
    wave = getattr(counts, "wave", None)
    return wave if wave is not None or responses is None else wave_of(responses, study)


@per_wave
def choice_table(responses: pd.DataFrame | None, study: Study, *,
                 counts: LevelCounts | None = None) -> pd.DataFrame:
    """Every option's share per audience and its gap to the reference.

    One row per (question, option, audience other than the reference): the share of the
    audience choosing the option (for a check-all-that-apply question, among those who
    answered it) with Wilson's interval, the reference's share, the gap with Newcombe's
    hybrid score interval, the score-test p (Fisher's exact where an expected count is
    under 5) and ``p_adjusted`` by the study's correction over the whole table.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses with the option columns ``<id>::<option>`` (0/1); None when
        ``counts`` are given.
    study : Study
        The study: its ``choices``, audiences, reference, ``confidence``,
        ``correction``, ``min_group_size``; weights through the ``weight`` column.
    counts : LevelCounts, optional
        :func:`choice_counts` of one wave's responses, made anywhere (block by block):
        the table is made from them alone (counted from ``responses`` when omitted).

    Returns
    -------
    pandas.DataFrame
        The ``choices.csv`` columns of docs/outputs.md (``question, option, group,
        reference, n, n_ref, share, share_low, share_high, share_ref, share_ref_low,
        share_ref_high, gap, gap_low, gap_high, p_value, p_adjusted, suppressed``) then
        ``text, multiple, test, n_eff, n_ref_eff, note``. Rows resting on fewer than
        ``min_group_size`` respondents keep their n but no estimate. In a study with
        waves, within each wave, with ``wave`` first.

    Notes
    -----
    An option's indicator :math:`y_i \\in \\{0, 1\\}` of respondent :math:`i`; the share
    :math:`\\hat p = \\sum w_i y_i / \\sum w_i` over those who answered, the interval with
    Kish's :math:`n_{eff} = (\\sum w)^2/\\sum w^2`. The gap :math:`\\hat p_g - \\hat
    p_{ref}`. The counting, intervals and tests are those of the items
    (:func:`~cxstudy.gaps.gap_table` on :func:`option_study`).

    References
    ----------
    Wilson (1927) JASA 22:209; Newcombe (1998) Stat Med 17:873; Kish (1965) Survey
    Sampling.

    Examples
    --------
    >>> import cxstudy as cx
    >>> res = cx.analyze("studies/example.yml")  # doctest: +SKIP
    >>> cx.choice_table(res.responses, res.study).query("question == 'contact'")  # doctest: +SKIP
    """
    from .gaps import gap_table

    counts = _option_counts(responses, study, counts)
    options = counted_options(study, counts) if counts is not None else None
    if options is None or not options.items:
        return pd.DataFrame(columns=CHOICES.all_columns)
    gaps = gap_table(None, options, counts=counts)
    by_column = {choice.column_of(label): (choice, label) for choice in study.choices
                 for label in choice.labels}
    table = pd.DataFrame({
        "question": [by_column[c][0].id for c in gaps["item"]],
        "option": [by_column[c][1] for c in gaps["item"]],
        "group": gaps["group"], "reference": gaps["reference"],
        "n": gaps["n"], "n_ref": gaps["n_ref"],
        "share": gaps["top_box"], "share_low": gaps["top_box_low"],
        "share_high": gaps["top_box_high"], "share_ref": gaps["top_box_ref"],
        "share_ref_low": gaps["top_box_ref_low"], "share_ref_high": gaps["top_box_ref_high"],
        "gap": gaps["gap"], "gap_low": gaps["gap_low"], "gap_high": gaps["gap_high"],
        "p_value": gaps["p_value"], "p_adjusted": gaps["p_adjusted"],
        "suppressed": gaps["suppressed"],
        "text": [by_column[c][0].text for c in gaps["item"]],
        "multiple": [by_column[c][0].multiple for c in gaps["item"]],
        "test": gaps["test"], "n_eff": gaps["n_eff"], "n_ref_eff": gaps["n_ref_eff"],
        "note": gaps["note"]})
    wave = _wave(responses, study, counts)
    if wave is not None:  # a question not asked in this wave is blank, not suppressed
        rows = table["question"].isin([q.id for q in study.choices if not q.asked_in(wave)])
        table.loc[rows, "suppressed"] = False
        table.loc[rows, "note"] = f"not asked in wave {wave}"
    order = {c: i for i, c in enumerate(by_column)}
    table = table.sort_values(["question", "option"], key=lambda s: (
        s.map({q.id: i for i, q in enumerate(study.choices)}) if s.name == "question"
        else pd.Series([order.get(f"{q}::{o}", 0) for q, o in zip(
            table["question"], s, strict=True)], index=s.index)), kind="stable")
    return conform(table.reset_index(drop=True), CHOICES)[CHOICES.all_columns]


@per_wave
def choice_shares(responses: pd.DataFrame | None, study: Study, *,
                  counts: LevelCounts | None = None) -> pd.DataFrame:
    """Every audience's share choosing every option (the reference included): what the
    dot chart draws.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses with the option columns; None when ``counts`` are given.
    study : Study
    counts : LevelCounts, optional
        :func:`choice_counts` of one wave's responses, made anywhere (block by block):
        the table is made from them alone (counted from ``responses`` when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per (question, option, group): ``n`` (who answered), ``share,
        share_low, share_high`` (Wilson, Kish's n_eff under weights), ``suppressed``.
    """
    from .gaps import share_table

    counts = _option_counts(responses, study, counts)
    options = counted_options(study, counts) if counts is not None else None
    if options is None or not options.items:
        return pd.DataFrame(columns=["question", "option", "group", "n", "share",
                                     "share_low", "share_high", "suppressed"])
    shares = share_table(None, options, counts=counts)
    question, option = questions_and_options(study, shares["item"])
    return pd.DataFrame({
        "question": question, "option": option,
        "group": shares["group"], "n": shares["n"], "share": shares["top_box"],
        "share_low": shares["top_box_low"], "share_high": shares["top_box_high"],
        "suppressed": shares["suppressed"]})


@per_wave
def choice_tests(responses: pd.DataFrame | None, study: Study, *, seed: int = 20260,
                 counts: LevelCounts | None = None) -> pd.DataFrame:
    """Whether the audiences' answers to each question differ.

    A pick-one question: one test of the audiences x options table (every audience at
    once, then each audience against the reference). A check-all-that-apply question
    (options not exclusive): per option, the audiences x (selected, not) table.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses with the option columns; None when ``counts`` are given.
    study : Study
    seed : int
        Seed of the Monte-Carlo exact test (results are reproducible).
    counts : LevelCounts, optional
        :func:`choice_counts` of one wave's responses, made anywhere (block by block):
        the table is made from them alone (counted from ``responses`` when omitted).

    Returns
    -------
    pandas.DataFrame
        ``choice_tests.csv``: ``question, option`` (blank for a pick-one question's whole
        distribution), ``groups`` (the audiences compared, joined by " vs "), ``n``,
        ``statistic`` (Pearson's X²), ``df``, ``p_value``, ``p_adjusted`` (the study's
        correction over the table), ``method``, ``suppressed`` (an audience below
        ``min_group_size``: no test), then ``note`` (why a row is blank: suppressed, or
        the question not asked in the wave).

    Notes
    -----
    Pearson's :math:`X^2 = \\sum (O - E)^2 / E` with :math:`E_{ij} = r_i c_j / n` on
    :math:`(r-1)(c-1)` degrees of freedom, options nobody chose dropped. Where an
    expected count is under 5 the p-value is exact: Fisher's for a 2 x 2 table, else the
    Freeman-Halton test estimated by Monte Carlo (:data:`MONTE_CARLO_DRAWS` tables with
    the observed margins, ``scipy.stats.random_table``; p = (1 + #{X² ≥ observed}) /
    (1 + draws)). Under weights the table holds effective counts (each audience's
    weighted shares times its Kish n_eff), rounded for the exact tests.

    References
    ----------
    Freeman, G. H. & Halton, J. H. (1951). Note on an exact treatment of contingency,
    goodness of fit and other problems of significance. Biometrika 38, 141-149.
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., Wiley, section 3.5.
    """
    counts = _option_counts(responses, study, counts)
    rows = []
    if counts is not None and counted_options(study, counts).items:
        effective = counts.effective()  # (options, groups, 2): not selected, selected
        row_of = {item: i for i, item in enumerate(counts.items)}
        rng = np.random.default_rng(seed)
        ref = study.reference_index
        for choice in study.choices:
            present = [row_of[c] for c in choice.indicator_columns if c in row_of]
            if not present:
                continue
            if not choice.multiple:
                selected = effective[present, :, 1].T  # groups x options
                answered = counts.n[present[0]]
                sets = [list(range(len(study.groups)))] + [[g, ref] for g in
                                                          study.other_indices]
                for groups in sets if len(study.groups) > 2 else sets[:1]:
                    rows.append(_test_row(choice.id, "", selected[groups], answered[groups],
                                          [study.groups[g] for g in groups], study, rng))
            else:
                for row, label in zip(present, [lab for lab in choice.labels if
                                                choice.column_of(lab) in row_of],
                                      strict=True):
                    rows.append(_test_row(choice.id, label, effective[row], counts.n[row],
                                          list(study.groups), study, rng))
    table = pd.DataFrame(rows, columns=CHOICE_TESTS.all_columns)
    wave = _wave(responses, study, counts)
    if wave is not None:  # a question not asked in this wave is blank, not suppressed
        rows = table["question"].isin([q.id for q in study.choices if not q.asked_in(wave)])
        table.loc[rows, "suppressed"] = False
        table.loc[rows, "note"] = f"not asked in wave {wave}"
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return conform(table, CHOICE_TESTS)


def _test_row(question: str, option: str, table: np.ndarray, answered: np.ndarray,
              groups: list[str], study: Study, rng) -> dict:
    row = {"question": question, "option": option, "groups": " vs ".join(groups),
           "n": int(answered.sum()), "statistic": np.nan, "df": np.nan, "p_value": np.nan,
           "p_adjusted": np.nan, "method": "", "suppressed": False, "note": ""}
    if bool(too_small(answered, study).any()):
        row["suppressed"] = True
        row["note"] = study.suppression_note(int(answered.min()))
        return row
    statistic, df, p_value, method = contingency_test(table, rng)
    row.update(statistic=statistic, df=df, p_value=p_value, method=method)
    return row


def contingency_test(table: np.ndarray, rng: np.random.Generator | None = None,
                     draws: int = MONTE_CARLO_DRAWS) -> tuple[float, float, float, str]:
    """Pearson's chi-square test of independence of an r x c table of counts, exact
    where an expected count is under 5 (Fisher 2 x 2, else Monte-Carlo Freeman-Halton).

    Parameters
    ----------
    table : ndarray, shape (r, c)
        Counts (effective counts may be fractional); empty rows and columns are dropped.
    rng : numpy.random.Generator, optional
    draws : int

    Returns
    -------
    (statistic, df, p_value, method)
        NaN and ``""`` when fewer than two rows or columns hold counts.
    """
    from scipy import stats as sps

    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.ndim != 2 or min(table.shape) < 2:
        return np.nan, np.nan, np.nan, ""
    statistic, p_value, df, expected = sps.chi2_contingency(table, correction=False)
    if expected.min() >= 5:
        return float(statistic), float(df), float(p_value), "chi-square"
    whole = np.rint(table).astype(np.int64)
    whole = whole[whole.sum(axis=1) > 0][:, whole.sum(axis=0) > 0]
    if min(whole.shape) < 2:
        return float(statistic), float(df), float(p_value), "chi-square"
    if whole.shape == (2, 2):
        return float(statistic), float(df), float(sps.fisher_exact(whole).pvalue), \
            "Fisher exact"
    observed = _pearson(whole)
    rng = rng if rng is not None else np.random.default_rng(0)
    drawn = sps.random_table(whole.sum(axis=1), whole.sum(axis=0), seed=rng).rvs(draws)
    exceed = int((_pearson(drawn) >= observed - 1e-9).sum())
    return float(statistic), float(df), (1 + exceed) / (1 + draws), \
        f"Freeman-Halton (Monte Carlo, {draws:,} tables)"


def _pearson(tables: np.ndarray) -> np.ndarray:
    """Pearson's X² of one table or a stack of tables with the same margins."""
    tables = np.asarray(tables, dtype=float)
    rows = tables.sum(axis=-1, keepdims=True)
    cols = tables.sum(axis=-2, keepdims=True)
    expected = rows * cols / tables.sum(axis=(-2, -1), keepdims=True)
    return ((tables - expected) ** 2 / expected).sum(axis=(-2, -1))


def choice_trends(responses: pd.DataFrame | None, study: Study, *,
                  counts: dict[str, LevelCounts] | None = None) -> pd.DataFrame:
    """How each option's gap changed between consecutive waves.

    One row per (question, option, audience other than the reference, consecutive pair of
    waves): the gap in each wave, the change with its MOVER interval from the Wilson
    limits of the four shares and the z-test p (the study's correction over the table),
    as :func:`~cxstudy.waves.trend_table` does for items' top-box gaps.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses of two or more waves; None when ``counts`` are given.
    study : Study
    counts : dict, optional
        wave -> :func:`choice_counts` of that wave's responses (made anywhere, block by
        block): the table is made from them alone, between the waves they hold (counted
        from ``responses`` when omitted).

    Returns
    -------
    pandas.DataFrame
        The ``choice_trends.csv`` columns (docs/outputs.md).

    References
    ----------
    Zou & Donner (2008) Stat Med 27:1693; Newcombe (2011) Commun Stat Theory Methods
    40:3154.
    """
    from .waves import one_wave, trend_table, waves_in

    if counts is None:
        if not option_items(responses, study).items:
            return pd.DataFrame(columns=CHOICE_TRENDS.all_columns)
        counts = {w: choice_counts(one_wave(responses, w), study)
                  for w in waves_in(responses, study)}
    waves = [w for w in study.waves if w in counts]
    options = option_study(study)
    options = dataclasses.replace(options, items=tuple(
        i for i in options.items if waves and i.id in set(counts[waves[0]].items)))
    if not options.items:
        return pd.DataFrame(columns=CHOICE_TRENDS.all_columns)
    # trend_table reads the waves of what it is given; the counts are all it needs
    trends = trend_table(pd.DataFrame({"wave": waves}), options,
                         counts={w: counts[w] for w in waves})
    question, option = questions_and_options(study, trends["item"])
    table = trends.rename(columns={"top_box_from": "share_from", "top_box_to": "share_to",
                                   "top_box_ref_from": "share_ref_from",
                                   "top_box_ref_to": "share_ref_to"})
    table.insert(0, "question", question)
    table.insert(1, "option", option)
    return conform(table, CHOICE_TRENDS)[CHOICE_TRENDS.all_columns]


_SHARE_NAMES = {"top_box": "share", "top_box_ref": "share_ref", "top_box_low": "share_low",
                "top_box_high": "share_high", "top_box_ref_low": "share_ref_low",
                "top_box_ref_high": "share_ref_high"}


@per_wave
def choice_segments(responses: pd.DataFrame | None, study: Study, *,
                    counts: SegmentCounts | LevelCounts | None = None) -> pd.DataFrame:
    """Every option's gap within every level of every segment.

    :func:`~cxstudy.segments.segment_table` on the option indicators: per (segment,
    level, question, option, audience other than the reference) the shares choosing the
    option, the gap with Newcombe's interval and the score test, the study's correction
    over the table, and the same small-group rule with complementary suppression (a
    level hidden for its size hides the next smallest too).

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses with the option columns and one column per segment; None when
        ``counts`` are :class:`~cxstudy.segments.SegmentCounts`.
    study : Study
    counts : SegmentCounts or LevelCounts, optional
        :func:`choice_segment_counts` of one wave's responses, made anywhere (block by
        block): the table is made from them alone. Counted from ``responses`` when
        omitted or when :func:`choice_counts` are given (then the audiences' overall
        side, as before).

    Returns
    -------
    pandas.DataFrame
        The ``choice_segments.csv`` columns (docs/outputs.md).

    References
    ----------
    Newcombe (1998) Stat Med 17:873.
    """
    from .segments import segment_table_of

    overall = counts if isinstance(counts, LevelCounts) else None
    if not isinstance(counts, SegmentCounts):
        counts = choice_segment_counts(responses, study) if study.segments and \
            option_items(responses, study).items else None
    options = counted_options(study, counts) if counts is not None else None
    if options is None or not options.items or not study.segments:
        return pd.DataFrame(columns=CHOICE_SEGMENTS.all_columns)
    table = segment_table_of(counts, options, overall)
    question, option = questions_and_options(study, table["item"])
    table = table.rename(columns=_SHARE_NAMES)
    table.insert(2, "question", question)
    table.insert(3, "option", option)
    return conform(table.drop(columns=["item", "text"]), CHOICE_SEGMENTS)[
        CHOICE_SEGMENTS.all_columns]

"""Cleaning: from all rows of all exports to one coded row per kept respondent.

Every input row gets exactly one row in the cleaning log: kept, or dropped by the
first rule that drops it, with a reason and a detail a reviewer can check. Rules,
in order (each switchable in the study file's ``cleaning:`` block):

==================  ===========================================================
reason              rule
==================  ===========================================================
``excluded``        not part of the study: a ``cleaning.exclude`` rule matches
``no_group``        ``group_column`` value blank or not one of the study's groups
``preview``         Qualtrics survey preview / test responses (``drop_preview``)
``unfinished``      the export marks the response unfinished (``require_finished``)
``duplicate``       repeated respondent id, or identical answers (``duplicates``)
``speeder``         faster than ``min_duration_ratio`` x the group's median
``straightliner``   one answer on >= ``straightline_min_items`` items of a scale
``attention_check`` wrong answer to an attention check
==================  ===========================================================

A rule whose column an export lacks is skipped for that source; the log says so in
the ``detail`` of that source's kept rows, and ``CleaningResult.skipped`` lists it.

Exclusions run first: a row that is not part of the study (a self-employed respondent
in a staff survey, a customer who never saw the film) is no duplicate, speeder or
unknown answer of it. Excluded rows are never coded (an answer they hold that no scale
knows is no problem), and the log names the rule that excluded each of them
(``cleaning.exclude[0]: Employment = "Self-employed"``). Rows in = kept + dropped +
excluded.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._distinct import array_distinct, map_distinct
from ._files import display_names
from .choices import code_choices
from .exceptions import DataError, Problem, StudyFileError
from .formats import Format, format_of
from .model import Cleaning, Exclusion, Source, Study, groups_of_source
from .privacy import PersonalValues, hash_id, scrub_text
from .readers import category_text, nearest
from .scales import Scale, code_answers, normalize, number_text, reverse_codes
from .weights import RakingReport, margin_problems, rake

LOG_COLUMNS = ["source", "source_row", "respondent_id", "group", "kept", "reason", "detail"]
NPS_SCALE = Scale(id="nps (0-10)", values=tuple(range(11)), top_box=2)

_ID_COLUMNS = ["ResponseId", "ResponseID", "Respondent ID", "respondent_id", "RespondentID",
               "id", "ID", "Id"]
_FINISHED_COLUMNS = ["Finished", "finished"]
_DURATION_COLUMNS = ["Duration (in seconds)", "Duration (seconds)", "Duration", "duration"]
_DATE_PAIRS = [("StartDate", "EndDate"), ("Start Date", "End Date")]
_NA_SPELLINGS = {"na", "n/a", "#n/a", "n.a.", "n.a", "nan", "null", "<na>", "-", "--", "."}
_TRUE = {"1", "true", "yes", "y", "finished", "complete", "completed"}
_FALSE = {"0", "false", "no", "n", "unfinished", "partial", "incomplete"}
_PREVIEW_STATUS = {"1", "2", "9", "17", "survey preview", "survey test", "preview", "test",
                   "survey preview spam"}


@dataclass
class CleaningResult:
    """What :func:`clean` returns.

    Attributes
    ----------
    responses : pandas.DataFrame
        One row per kept respondent: ``respondent_id``, ``group`` (categorical in
        display order), ``weight``, ``source``, ``source_row``, then one column per
        item (nullable ``Int8`` codes 1..k, reversed where the item says so), metric,
        estimate and open-ended question (scrubbed text).
    log : pandas.DataFrame
        One row per input row: ``source, source_row, respondent_id, group, kept,
        reason, detail``.
    skipped : pandas.DataFrame
        ``source, rule, why``: rules not applied to a source and why.
    """

    responses: pd.DataFrame
    log: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["source", "rule", "why"]))
    weighting: RakingReport | None = None  # of the latest wave in a study with waves
    weighting_by_wave: dict[str | None, RakingReport] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Rows in, kept and dropped by reason, per source and group (a tidy frame)."""
        log = self.log.assign(reason=self.log["reason"].replace("", "kept"))
        table = (log.groupby(["source", "group", "reason"], dropna=False, observed=True)
                 .size().rename("rows").reset_index())
        return table


# ---------------------------------------------------------------------------
# coding the mapped columns


@dataclass
class _Coded:
    columns: dict[str, pd.Series]           # response column id -> values for all rows
    text: dict[str, list]                   # text column id -> (rows, texts) pieces
    problems: list[Problem]                 # estimates outside 0-100 and the like
    label_problems: list[Problem]           # answers a scale does not know
    unknown_rows: pd.Series                 # rows holding an unknown label (missing policy)
    index: pd.Index                         # the rows read
    aliased: dict[tuple[str, str], int] = field(default_factory=dict)  # (scale, answer): rows
    aliased_rows: pd.Series | None = None   # rows holding an answer coded through an alias

    def column(self, column_id: str, rows: np.ndarray | None = None, *,
               categories: bool = False) -> pd.Series | None:
        """A response column (None when no export maps it), of every row or of the rows
        of a boolean mask: text is put together for those rows only. ``categories``: text
        whose every piece is categories on the same categories stays categories."""
        if column_id in self.text:
            if categories:
                kept = _categories_column(self.text[column_id], self.index, rows)
                if kept is not None:
                    return kept
            return _text_column(self.text[column_id], self.index, rows)
        values = self.columns.get(column_id)
        return values if values is None or rows is None else values[rows]

    def every_column(self) -> dict[str, pd.Series]:
        return {column_id: self.column(column_id) for column_id in [*self.columns, *self.text]}


def column_problems(raw: pd.DataFrame, study: Study, unread: Collection[str] = (), *,
                    whole: bool = True) -> list[Problem]:
    """Mapped columns that an export lacks, each with the nearest column names (and, for
    exports that name columns by code, the columns whose question text is closest), and
    headers a source's ``rename:`` names that its export lacks; exclusion rules on columns
    an export lacks; weighting margins that do not fit the data. ``unread``: sources that
    could not be read (reported on their own): an audience only they hold is not said to
    have no rows. ``whole=False``: ``raw`` is a block of the rows (a streaming run), so
    what needs every row (an audience without rows, the weighting margins) is left to
    :func:`first_pass`."""
    problems = []
    sources = raw.attrs.get("sources", {})
    names = file_names(raw)
    for number, source in enumerate(study.sources):
        info = sources.get(source.name)
        if info is None:
            continue
        problems += _rename_problems(info, f"sources[{number}]", names[source.name])
        questions = info.get("questions", {})
        # a column a failed rename would have made is that rename's problem, said once
        present = set(info["columns"]) | {source.rename[old] for old in [
            *info.get("rename_absent", {}), *info.get("rename_clash", {})]}
        rows = raw["source"] == source.name
        groups_here = [g for g in study.groups if (raw.loc[rows, "group"] == g).any()]
        if source.group is not None:
            groups_here = [source.group]
        for mapping in study.mappings():
            if not mapping.asked_in(source.wave):
                continue  # not asked in this export's wave: its column need not exist
            repeats = info.get("repeated", {}).get(mapping.column)
            if mapping.group in groups_here and repeats:
                problems.append(Problem(
                    f"{names[source.name]} ({mapping.group})",
                    f'column "{mapping.column}" appears {repeats} times (named at '
                    f"{mapping.key_path})", "which one is meant cannot be told: rename the "
                    "repeats in the export (cxstudy reads them as "
                    f'"{mapping.column} (repeat 2)", ...)'))
            if mapping.group in groups_here and mapping.column not in present:
                problems.append(Problem(
                    f"{names[source.name]} ({mapping.group})",
                    f'no column "{mapping.column}" (named at {mapping.key_path})',
                    "check the spelling in the study file" + nearest(
                        mapping.column, info["columns"], questions=questions,
                        meaning=_meaning(study, mapping))))
        if source.sheet_size is not None and source.sheet_size not in present:
            problems.append(Problem(
                names[source.name], f'no column "{source.sheet_size}" (named at '
                f"sources[{number}].sheet_size)",
                "name the column that says how many people wrote each sheet"
                + nearest(source.sheet_size, info["columns"], questions=questions)))
        if source.id_column is not None and source.id_column not in present:
            problems.append(Problem(
                names[source.name], f'no id_column "{source.id_column}"',
                "check the spelling" + nearest(source.id_column, info["columns"],
                                               questions=questions)))
        for rule in study.cleaning.exclude:
            if rule.applies_to(source, groups_here) and rule.column not in present:
                problems.append(Problem(
                    f"{names[source.name]} ({rule.key_path})",
                    f'no column "{rule.column}"', "check the spelling, or restrict the rule "
                    "to the exports that have it (sources: / groups:)"
                    + nearest(rule.column, info["columns"], questions=questions)))
        blanks = raw.loc[rows, ["group_value"]]
        if study.cleaning.exclude and source.group_map and "" not in source.group_map:
            blanks = blanks[~excluded_rows(raw.loc[rows], study)[0]]  # excluded: no matter
        problems += _unmapped_blanks(blanks, source, names[source.name])
    every_column = {str(c).casefold(): str(c) for info in sources.values()
                    for c in info["columns"]}
    for column in study.pii_columns:
        if sources and column.casefold() not in every_column:
            problems.append(Problem(
                f"pii_columns ({column})", "no export has this column",
                "check the spelling: a personal-data column that matches nothing protects "
                "nothing" + nearest(column, every_column.values())))
    unread_groups = {g for source in study.sources if source.name in unread
                     for g in groups_of_source(source, study.groups)}
    if not whole:
        return problems
    problems += weighting_problems(raw, study)
    if len(raw):
        for group in study.groups:
            if group not in unread_groups and not raw["group"].eq(group).any():
                problems.append(Problem(f"groups ({group})", "no row of any export belongs "
                                        "to this audience", "add its export, check group / "
                                        "group_map, or remove it from groups"))
    return problems


def _meaning(study: Study, mapping) -> str:
    """What a mapped column asks, in the study's words (to find it by question text)."""
    if mapping.kind == "item":
        return study.item(mapping.id).text
    for entry in (*study.open_ended, *study.segments):
        if entry.id == mapping.id:
            return getattr(entry, "question", None) or getattr(entry, "label", "")
    return ""


def _rename_problems(info: dict, where: str, name: str) -> list[Problem]:
    """A source's ``rename:`` of headers its export lacks, or onto a header it has."""
    problems = [Problem(f"{where}.rename.{old}", f'{name} has no header "{old}"',
                        "give the header as the export has it (cxstudy reads it with runs of "
                        "spaces as one)" + suggestion)
                for old, suggestion in info.get("rename_absent", {}).items()]
    problems += [Problem(f"{where}.rename.{old}", f'{name} already has a column "{new}"',
                         "rename to a name the export does not have, or rename that column "
                         "too") for old, new in info.get("rename_clash", {}).items()]
    return problems


def weighting_problems(raw: pd.DataFrame, study: Study) -> list[Problem]:
    """The weighting margins checked against the weighted audience's rows (excluded rows
    left out), in each wave as raking will take them: margin columns the exports lack,
    blanks without a ``"(missing)"`` target, categories without a target and targets
    without a respondent (:func:`~cxstudy.weights.margin_problems`). Rows that cleaning
    drops later may still leave a category empty; raking then says so."""
    spec = study.weights
    if spec is None or not spec.margins or not len(raw):
        return []
    absent = [c for c in spec.margins if c not in raw.columns]
    if absent:
        return [Problem(f"weights.margins.{c}", "no such column in the exports",
                        "name a column of the audience's export" + nearest(c, raw.columns))
                for c in absent]
    rows = raw["group"].eq(spec.group).fillna(False).to_numpy(bool, copy=True)
    if study.cleaning.exclude:
        rows &= ~excluded_rows(raw, study)[0]
    return _margin_rows_problems(raw, rows, _waves_of_rows(raw, study), study)


def _margin_rows_problems(raw: pd.DataFrame, rows: np.ndarray, waves: pd.Series,
                          study: Study) -> list[Problem]:
    """:func:`weighting_problems` of the weighted audience's ``rows`` (a boolean mask)."""
    spec = study.weights
    problems = []
    for wave in (study.waves or [None]):
        here = rows if wave is None else rows & waves.eq(wave).fillna(False).to_numpy(bool)
        if wave is not None and not here.any():
            continue
        frame = pd.DataFrame({c: raw.loc[here, c].to_numpy() for c in spec.margins})
        problems += margin_problems(frame, spec.margins, where="weights" if wave is None
                                    else f"weights (wave {wave})")
    return problems


def _unmapped_blanks(rows: pd.DataFrame, source: Source, name: str) -> list[Problem]:
    """A group_map that leaves blank values unmapped would drop those rows unannounced."""
    if not source.group_map or "" in source.group_map:
        return []
    blank = int(rows["group_value"].isna().sum())
    if not blank:
        return []
    return [Problem(f"{name}, column {source.group_column!r}", f"{blank} row(s) blank",
                    'group_map maps no blank value: map them (group_map: {"": AUDIENCE}) '
                    "or fill the column in the export")]


def _code_columns(raw: pd.DataFrame, study: Study, files: dict[str, str]) -> _Coded:
    """Every mapped column coded, written by position into one array per response column
    (an audience's rows are found once; no label lookups over a million rows)."""
    problems: list[Problem] = []
    buffers: dict[str, tuple[str, np.ndarray | list]] = {}   # column id -> (kind, values)
    unknown_rows = np.zeros(len(raw), dtype=bool)
    aliased_rows = np.zeros(len(raw), dtype=bool)
    aliased: dict[tuple[str, str], int] = {}
    unknown: dict[tuple[str, str, str], list] = {}  # (scale, answer, where) -> [scale, rows]
    # rows excluded from the study are never coded: what they hold is no problem
    included = ~excluded_rows(raw, study)[0] if study.cleaning.exclude else True
    positions = {g: np.flatnonzero((raw["group"].eq(g).fillna(False).to_numpy(bool))
                                   & included) for g in study.groups}
    scales = dict(study.scales)

    def where(mapping, group) -> str:
        rows = raw["source"].iloc[positions[group]].unique()
        names = ", ".join(files.get(s, s) for s in rows)
        return f'{names}, column "{mapping.column}" ({mapping.id}, {group})'

    waves = _waves_of_rows(raw, study)
    runs = {group: _runs(at) for group, at in positions.items()}  # each audience's exports
    for mapping in study.mappings():
        if mapping.kind == "attention_check":
            continue
        at = positions[mapping.group]
        if mapping.waves is not None:
            # blank (never zero) in the waves the question was not asked in, whatever the
            # column of that wave's export holds
            asked = waves.isin(mapping.waves).fillna(False)
            at = at[asked.to_numpy(dtype=bool)[at]]
        if mapping.column not in raw.columns or not len(at):
            continue
        if mapping.id not in buffers:
            buffers[mapping.id] = (mapping.kind, _empty(mapping.kind, len(raw)))
        target = buffers[mapping.id][1]
        if mapping.kind in ("item", "metric"):
            scale = scales.get(mapping.scale) if mapping.scale else NPS_SCALE
            reverse = study.item(mapping.id).reverse if mapping.kind == "item" else None
            # each export's rows as a slice: nothing copied
            for rows in runs[mapping.group] if at is positions[mapping.group] else _runs(at):
                coded = _code_scale_answers(raw[mapping.column].iloc[rows], scale, reverse)
                target[rows] = coded.values
                for value, count in coded.unknown.items():
                    key = (scale.id, value, where(mapping, mapping.group))
                    unknown.setdefault(key, [scale, 0])[1] += count
                unknown_rows[rows] |= coded.unknown_rows
                if coded.aliased:
                    aliased_rows[rows] |= coded.aliased_rows
                    for value, count in coded.aliased.items():
                        key = (scale.id, value)
                        aliased[key] = aliased.get(key, 0) + count
        elif mapping.kind == "estimate":
            values = raw[mapping.column].iloc[at]
            numbers, bad = _percent(values)
            for value, count in bad.items():
                problems.append(Problem(where(mapping, mapping.group),
                                        f'"{value}" in {count} row(s)',
                                        "estimates are shares of customers from 0 to 100; fix "
                                        "the data or map another column"))
            target[at] = numbers.to_numpy(dtype=float, na_value=np.nan)
        elif mapping.kind == "segment":
            levels, bad = segment_levels(raw[mapping.column].iloc[at],
                                         segment_of(study, mapping.id))
            if bad:
                problems.append(Problem(where(mapping, mapping.group), bad[0], bad[1]))
            target.append((at, levels.astype("string")))
        else:  # open-ended text: the readers have stripped it and made blanks missing
            for rows in runs[mapping.group] if at is positions[mapping.group] else _runs(at):
                # as read (text or categories): no copy yet
                target.append((rows, raw[mapping.column].iloc[rows]))
    columns = {column_id: _column(kind, values, raw.index)
               for column_id, (kind, values) in buffers.items() if _dtype(kind) != "string"}
    text = {column_id: values for column_id, (kind, values) in buffers.items()
            if _dtype(kind) == "string"}
    found = [(scale, answer, count, place)
             for (_scale, answer, place), (scale, count) in unknown.items()]
    return _Coded(columns, text, problems, _unknown_problems(found),
                  pd.Series(unknown_rows, index=raw.index), raw.index, aliased,
                  pd.Series(aliased_rows, index=raw.index))


def _runs(at: np.ndarray) -> list[slice] | list[np.ndarray]:
    """Sorted row positions as their contiguous runs (an export's rows are one run), or
    as they are when scattered (an export that mixes audiences row by row)."""
    if not len(at):  # an audience with no rows (its export could not be read)
        return []
    breaks = np.flatnonzero(np.diff(at) != 1) + 1
    if len(breaks) > 64:
        return [at]
    bounds = np.concatenate([[0], breaks, [len(at)]])
    return [slice(int(at[a]), int(at[b - 1]) + 1) for a, b in itertools.pairwise(bounds)]


@dataclass
class _ScaleAnswers:
    values: np.ndarray        # the codes as they go into the responses (reversed items)
    unknown: dict[str, int]   # answers the scale does not know -> rows
    unknown_rows: np.ndarray  # which rows hold one
    aliased: dict[str, int] = field(default_factory=dict)  # answers coded through an alias
    aliased_rows: np.ndarray | None = None                  # which rows hold one


def _code_scale_answers(values: pd.Series, scale: Scale, reverse: bool | None) -> _ScaleAnswers:
    """Answers on a scale as codes: items 1..k (``reverse``: k+1-code), metrics (reverse
    None) the scale's point values; NaN where missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _code_categories(values, scale, reverse)
    coded = code_answers(values, scale)
    unknown_rows = np.zeros(len(values), dtype=bool)
    if coded.unknown:
        unknown_rows = (values.map(normalize).notna() & coded.codes.isna() & ~values.map(
            lambda v: _is_missing_answer(v, scale))).to_numpy(dtype=bool)
    aliased_rows = None
    if coded.aliased:
        variants = {normalize(variant) for variant, _target in scale.aliases}
        aliased_rows = values.map(normalize).isin(variants).to_numpy(dtype=bool)
    codes = coded.codes
    if reverse is None:
        point_values = np.array([np.nan, *scale.point_values])
        return _ScaleAnswers(point_values[codes.fillna(0).astype(int).to_numpy()],
                             coded.unknown, unknown_rows, coded.aliased, aliased_rows)
    if reverse:
        codes = reverse_codes(codes, scale.k)
    return _ScaleAnswers(codes.to_numpy(dtype=float, na_value=np.nan), coded.unknown,
                         unknown_rows, coded.aliased, aliased_rows)


def _code_categories(values: pd.Series, scale: Scale, reverse: bool | None
                     ) -> _ScaleAnswers:
    """:func:`_code_scale_answers` of categories: each category its rows use coded once,
    each row given its category's code (no factorisation of the rows). The answers the
    scale does not know, and those coded through an alias, are counted in their rows and
    listed in the order their first rows come, as coding the rows does."""
    codes = values.cat.codes.to_numpy()
    counts = np.bincount(codes.astype(np.int64) + 1,
                         minlength=len(values.cat.categories) + 1)[1:]
    used = np.flatnonzero(counts)
    slot = np.full(len(values.cat.categories) + 1, len(used), dtype=np.int64)
    slot[used] = np.arange(len(used))
    row_slot = slot[codes]  # code -1 (missing) takes the last slot: the missing one
    coded = _code_scale_answers(pd.Series(values.cat.categories[used]), scale, reverse)
    unknown_rows = np.append(coded.unknown_rows, False)[row_slot]
    aliased_rows = None if coded.aliased_rows is None else \
        np.append(coded.aliased_rows, False)[row_slot]
    unknown: dict[str, int] = {}
    aliased: dict[str, int] = {}
    if coded.unknown or coded.aliased:
        first = np.full(len(used), len(codes), dtype=np.int64)
        np.minimum.at(first, row_slot[row_slot < len(used)],
                      np.flatnonzero(row_slot < len(used)))
        for at in np.argsort(first, kind="stable"):
            key = str(values.cat.categories[used[at]])
            if key in coded.unknown:
                unknown[key] = int(counts[used[at]])
            if key in coded.aliased:
                aliased[key] = aliased.get(key, 0) + int(counts[used[at]])
    return _ScaleAnswers(np.append(coded.values, np.nan)[row_slot], unknown, unknown_rows,
                         aliased, aliased_rows)


def _empty(kind: str, rows: int) -> np.ndarray | list:
    """Where a response column's values are written: numbers into floats by position
    (NaN: missing); text as (positions, strings) pieces, put in place once at the end,
    so that no answer becomes a Python object."""
    if _dtype(kind) == "string":
        return []
    return np.full(rows, np.nan)


def _column(kind: str, values: np.ndarray, index: pd.Index) -> pd.Series:
    """A numeric response column from its buffer."""
    dtype = _dtype(kind)
    missing = np.isnan(values)
    if dtype == "Int8":  # codes 1..k: whole numbers, no check needed
        array = pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int8), missing)
    else:
        array = pd.arrays.FloatingArray(np.where(missing, 0.0, values), missing)
    return pd.Series(array, index=index)


def _text_column(pieces: list[tuple[slice | np.ndarray, pd.Series]], index: pd.Index,
                 rows: np.ndarray | None = None) -> pd.Series:
    """A text column ("string") from (row positions, texts) pieces: missing where no
    piece has the row; a later piece wins where two have it. ``rows``: only the rows of
    this boolean mask. Only the texts the column takes become strings (a piece may be
    categories, which a million rows hold as codes)."""
    piece_of = np.full(len(index), -1)
    within = np.zeros(len(index), dtype=np.int64)
    for number, (at, piece) in enumerate(pieces):
        piece_of[at] = number
        within[at] = np.arange(len(piece))
    if rows is not None:
        piece_of, within, index = piece_of[rows], within[rows], index[rows]
    source = np.full(len(index), -1)
    taken, start = [], 0
    for number, (_at, piece) in enumerate(pieces):
        mine = np.flatnonzero(piece_of == number)
        taken.append(_texts_at(piece, within[mine]))
        source[mine] = np.arange(start, start + len(mine))
        start += len(mine)
    text = pd.concat(taken, ignore_index=True) if taken else pd.Series([], dtype="string")
    return pd.Series(text.array.take(source, allow_fill=True), index=index)


def _categories_column(pieces: list[tuple[slice | np.ndarray, pd.Series]],
                       index: pd.Index, rows: np.ndarray | None = None) -> pd.Series | None:
    """:func:`_text_column` as categories (the text of each row its category's), when
    every piece is categories of text on the same categories; else None."""
    if not pieces or not all(isinstance(piece.dtype, pd.CategoricalDtype)
                             and pd.api.types.is_string_dtype(piece.cat.categories)
                             for _at, piece in pieces):
        return None
    categories = pieces[0][1].cat.categories
    if not all(piece.cat.categories.equals(categories) for _at, piece in pieces[1:]):
        return None
    codes = np.full(len(index), -1, dtype=np.int64)
    for at, piece in pieces:
        codes[at] = piece.cat.codes.to_numpy()
    if rows is not None:
        codes, index = codes[rows], index[rows]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)


def _texts_at(piece: pd.Series, positions: np.ndarray) -> pd.Series:
    """The values at ``positions`` of a piece, as "string". Categories of text are taken
    by their codes from each category's text once (in Arrow, no Python string per row)."""
    if isinstance(piece.dtype, pd.CategoricalDtype) and \
            pd.api.types.is_string_dtype(piece.cat.categories):
        texts = piece.cat.categories.astype("string").array
        return pd.Series(texts.take(piece.cat.codes.to_numpy()[positions], allow_fill=True))
    return piece.iloc[positions].astype("string").reset_index(drop=True)


def segment_of(study: Study, segment_id: str):
    return next(s for s in study.segments if s.id == segment_id)


def segment_levels(values: pd.Series, segment) -> tuple[pd.Series, tuple[str, str] | None]:
    """The level of each answer to a segment column (blank: missing), and, when some
    values cannot be placed, (what was found, what to do)."""
    where = f"segment {segment.id}"
    if segment.bins:
        numbers = pd.to_numeric(values, errors="coerce")
        given = values.notna() if pd.api.types.is_numeric_dtype(values) else \
            map_distinct(values, category_text).notna()
        not_numbers = given & numbers.isna()
        low, high = segment.bins[0], segment.bins[-1]
        outside = numbers.notna() & ((numbers < low) | (numbers > high))
        bad = _value_counts(values[not_numbers | outside])
        position = np.searchsorted(np.asarray(segment.bins), numbers.to_numpy(float),
                                   side="right") - 1
        position = np.minimum(position, len(segment.bins) - 2)  # the last band is closed
        names = np.array([*segment.band_names(), None], dtype=object)
        usable = numbers.notna() & ~outside
        levels = pd.Series(np.where(usable, names[np.where(usable, position, -1)], None),
                           index=values.index, dtype="string")
        return levels, (f"{where}: {bad} not a number within the bins [{number_text(low)}, "
                        f"{number_text(high)}]", f"fix the data, or widen the bins of "
                        f"{segment.id}") if bad else None
    keys = map_distinct(values, category_text)
    if segment.map is None:
        return keys.astype("string"), None
    levels = keys.map(lambda k: None if k is None else segment.map.get(k))
    bad = _value_counts(values[keys.notna() & levels.isna()])
    return levels.astype("string"), (f"{where}: {bad} not in its map", "add each value to the "
                                     f"map of {segment.id} (raw value: level)") if bad else None


def _value_counts(values: pd.Series, most: int = 6) -> str:
    counts = values.map(category_text).value_counts()
    listed = ", ".join(f'"{value}" ({count} row{"s" if count != 1 else ""})'
                       for value, count in counts.head(most).items())
    return listed + (f" and {len(counts) - most} more value(s)" if len(counts) > most else "")


def _dtype(kind: str) -> str:
    return {"item": "Int8", "metric": "Float64", "estimate": "Float64"}.get(kind, "string")


def _is_missing_answer(value, scale: Scale) -> bool:
    key = normalize(value)
    return key is not None and key in {normalize(m) for m in scale.missing}


def _unknown_problems(unknown: list[tuple[Scale, str, int, str]]) -> list[Problem]:
    """One problem per (scale, unknown answer), naming every column and count that holds it.

    Spellings that differ only in case and spacing are one answer.
    """
    from ._validate import did_you_mean

    grouped: dict[tuple[str, str], list[tuple[Scale, str, int, str]]] = {}
    for entry in unknown:
        grouped.setdefault((entry[0].id, normalize(entry[1])), []).append(entry)
    problems = []
    for entries in sorted(grouped.values(), key=lambda es: -sum(e[2] for e in es)):
        scale = entries[0][0]
        spellings = list(dict.fromkeys(e[1] for e in entries))
        total = sum(e[2] for e in entries)
        places = sorted(entries, key=lambda e: -e[2])
        listed = "; ".join(f"{e[3]}: {e[2]}" for e in places[:4])
        if len(places) > 4:
            listed += f"; and {len(places) - 4} more column(s)"
        known = scale.point_names
        hint = did_you_mean(spellings[0], known + [str(m) for m in scale.missing]) \
            if scale.labels is not None else ""
        if scale.id == NPS_SCALE.id:
            expected = "NPS answers are whole numbers 0-10; fix the data or map another column"
        elif normalize(spellings[0]) in _NA_SPELLINGS:
            expected = (f'"{spellings[0]}" is how R, spreadsheets and many exports write a '
                        f'missing answer: add it to scales.{scale.id}.missing (e.g. missing: '
                        f'["Don\'t know", "{spellings[0]}"]), or set '
                        "cleaning.unknown_labels: missing")
        else:
            expected = (f"if it is another wording of a point, add it to scales.{scale.id}"
                        f'.aliases ("{spellings[0]}": the label it means, one of: '
                        f"{', '.join(known)}); else add it to .labels or .missing, fix the "
                        "data, or set cleaning.unknown_labels: missing")
        also = ", ".join(f'"{v}"' for v in spellings[1:])
        problems.append(Problem(
            f'answer "{spellings[0]}"' + (f" (also spelt {also})" if also else ""),
            f"not on scale {scale.id}{hint}: {total} row(s) in {len(places)} column(s) "
            f"({listed})", expected))
    return problems


def _percent(values: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    text = values.astype("string").str.strip().str.rstrip("%").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad_mask = (text.notna() & text.ne("") & numbers.isna()) | (numbers < 0) | (numbers > 100)
    bad = values[bad_mask.fillna(False)].astype(str).value_counts().to_dict()
    return numbers.where(~bad_mask.fillna(False)).astype("Float64"), bad


def data_warnings(raw: pd.DataFrame, study: Study) -> list[str]:
    """What does not stop a run but a consultant should know: rules that cannot be
    applied to an export (no finished column while require_finished is on)."""
    warnings = []
    info, names = raw.attrs.get("sources", {}), file_names(raw)
    for source in study.sources:
        details = info.get(source.name, {})
        if (study.cleaning.require_finished and _keeps_unfinished(format_of(details.get("format")))
                and _find(details.get("columns", []), source.finished_column,
                          _FINISHED_COLUMNS) is None):
            warnings.append(f"{names.get(source.name, source.name)} has no finished column "
                            f"({source.finished_column or 'Finished'}): unfinished responses "
                            "cannot be dropped; set finished_column on the source, or "
                            "cleaning.require_finished: false")
    return warnings


def data_problems(raw: pd.DataFrame, study: Study) -> list[Problem]:
    """Every problem with the data a study points at: missing columns, unknown answers.

    This is what ``cxstudy validate`` reports after the study file itself checks out;
    unknown answers count only when ``cleaning.unknown_labels`` is ``error``.
    """
    return data_check(raw, study)[0]


def data_check(raw: pd.DataFrame, study: Study, unread: Collection[str] = ()
               ) -> tuple[list[Problem], list[str]]:
    """:func:`data_problems`, and notes on what the study file changes as the exports are
    read: the headers each source renames (``rename:``) and the answers each scale's
    ``aliases`` code as one of its labels. ``unread``: sources that could not be read
    (see :func:`column_problems`)."""
    choice_coding = code_choices(raw, study, file_names(raw))
    problems = column_problems(raw, study, unread) + choice_coding.layout_problems
    notes = rename_notes(raw, study)
    if problems:
        return problems, notes
    coded = _code_columns(raw, study, file_names(raw))
    return (_coding_problems(coded, study) + choice_coding.problems,
            notes + alias_notes(coded.aliased, study) + other_notes(choice_coding, study))


def rename_notes(raw: pd.DataFrame, study: Study) -> list[str]:
    """One line per source that renames headers: which, as ``old -> new``."""
    info, names = raw.attrs.get("sources", {}), file_names(raw)
    notes = []
    for number, source in enumerate(study.sources):
        renamed = info.get(source.name, {}).get("renamed", {})
        if renamed:
            notes.append(f"sources[{number}].rename ({names.get(source.name, source.name)}): "
                         + "; ".join(f'"{old}" -> "{new}"' for old, new in renamed.items()))
    return notes


def alias_notes(aliased: dict[tuple[str, str], int], study: Study) -> list[str]:
    """One line per scale with aliases: how many answers each alias codes as which label
    (an alias no answer holds says so: a misspelt variant codes nothing)."""
    notes = []
    for scale in study.scales.values():
        if not scale.aliases:
            continue
        parts = []
        for variant, target in scale.aliases:
            rows = sum(count for (sid, answer), count in aliased.items()
                       if sid == scale.id and normalize(answer) == normalize(variant))
            parts.append(f'"{variant}" -> "{target}": {rows:,} answer(s)'
                         if rows else f'"{variant}" -> "{target}": no answer holds it')
        notes.append(f"scales.{scale.id}.aliases: " + "; ".join(parts))
    return notes


def _coding_problems(coded: _Coded, study: Study) -> list[Problem]:
    labels = coded.label_problems if study.cleaning.unknown_labels == "error" else []
    return labels + coded.problems


def file_names(raw: pd.DataFrame) -> dict[str, str]:
    """Source -> how messages name its file: the file name, or, where two sources share
    one (the same export of two waves), the path from the folder the exports share."""
    return display_names({name: Path(info["path"])
                          for name, info in raw.attrs.get("sources", {}).items()})


# ---------------------------------------------------------------------------
# the rules


class _Log:
    """The reason and detail of every row; the first rule to drop a row wins."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.reason = np.full(len(index), "", dtype=object)  # by position, as the rows
        self.detail = np.full(len(index), "", dtype=object)
        self.skipped: list[dict[str, str]] = []
        self._alive = np.ones(len(index), dtype=bool)  # no reason yet: kept so far

    @property
    def alive(self) -> pd.Series:
        return pd.Series(self._alive, index=self.index, copy=True)

    def drop(self, mask: pd.Series, reason: str, detail: pd.Series | str) -> None:
        if not mask.index.equals(self.index):
            mask = mask.reindex(self.index, fill_value=False)
        rows = mask.to_numpy(dtype=bool, na_value=False) & self._alive
        if not rows.any():
            return
        self._alive &= ~rows
        self.reason[rows] = reason
        self.detail[rows] = detail if isinstance(detail, str) else \
            detail.reindex(self.index[rows]).astype(str).to_numpy(dtype=object)

    def skip(self, source: Source, rule: str, why: str) -> None:
        self.skipped.append({"source": source.name, "rule": rule, "why": why})


@dataclass
class RuleInput:
    """What every cleaning rule reads, and the log it writes to."""

    raw: pd.DataFrame
    study: Study
    info: dict            # source name -> {path, format, columns}
    coded: _Coded
    ids: pd.Series        # respondent id of every row
    log: _Log
    whole: Whole | None = None  # the decisions over every row, when raw is a block
    offset: int = 0       # the block's first row among every row


@dataclass(frozen=True)
class Rule:
    """A cleaning rule: the ``reason`` it writes, when it applies, and what it drops.

    ``run`` marks rows in the log (the first rule to drop a row wins) and records
    where it could not be checked.
    """

    reason: str
    label: str
    drops: str
    applies: Callable[[Cleaning], bool]
    run: Callable[[RuleInput], None]


def excluded_rows(raw: pd.DataFrame, study: Study) -> tuple[np.ndarray, np.ndarray]:
    """Which rows a ``cleaning.exclude`` rule takes out of the study, and the detail the
    log gives each (the first rule that matches: its key path and what it matched).

    A rule reads its column in the exports it applies to (its ``sources``, or every
    export) and the rows of its ``groups`` (or every row); ``values`` are compared
    without case and spacing (:func:`~cxstudy.scales.normalize`), ``blank`` matches an
    empty cell or one of spaces. An export without the column is a problem of
    :func:`column_problems`, not a match.
    """
    hit = np.zeros(len(raw), dtype=bool)
    detail = np.full(len(raw), "", dtype=object)
    sources = {s.name: s for s in study.sources}
    for rule in study.cleaning.exclude:
        if rule.column not in raw.columns:
            continue
        rows = np.ones(len(raw), dtype=bool)
        if rule.sources is not None:
            rows &= raw["source"].isin([s for s in rule.sources if s in sources]).to_numpy(bool)
        if rule.groups is not None:
            rows &= raw["group"].isin(rule.groups).fillna(False).to_numpy(bool)
        rows &= raw["source"].isin([name for name in sources
                                    if _has_column(raw, name, rule.column)]).to_numpy(bool)
        at = np.flatnonzero(rows & ~hit)
        if not len(at):
            continue
        values = raw[rule.column].iloc[at]
        keys = map_distinct(values, normalize)
        wanted = {normalize(v) for v in rule.values}
        matched = (keys.isin(wanted) & keys.notna()).to_numpy(bool)
        if rule.blank:
            matched = matched | keys.isna().to_numpy(bool)
        hit[at[matched]] = True
        detail[at[matched]] = values[matched].map(
            lambda v, r=rule: _exclusion_detail(r, v)).to_numpy(dtype=object)
    return hit, detail


def _has_column(raw: pd.DataFrame, source: str, column: str) -> bool:
    info = raw.attrs.get("sources", {}).get(source)
    return info is None or column in info["columns"]


def _exclusion_detail(rule: Exclusion, value) -> str:
    text = category_text(value)
    shown = "blank" if normalize(value) is None else f'= "{text}"'
    return f"{rule.key_path}: {rule.column} {shown}"


def _rule_excluded(state: RuleInput) -> None:
    hit, detail = excluded_rows(state.raw, state.study)
    state.log.drop(pd.Series(hit, index=state.raw.index), "excluded",
                   pd.Series(detail, index=state.raw.index))


def _rule_no_group(state: RuleInput) -> None:
    missing = state.raw["group"].isna()
    values = state.raw.loc[missing, "group_value"].astype(object)
    state.log.drop(missing, "no_group", "group value " + values.map(
        lambda v: "blank" if pd.isna(v) else f'"{v}" is not one of the study\'s groups'))


def _per_source(check: Callable, applies: Callable[[Format | None], bool]
                ) -> Callable[[RuleInput], None]:
    """A rule that looks at each export on its own, with the columns it has, for the
    export formats where it means something (:mod:`cxstudy.formats`)."""
    def run(state: RuleInput) -> None:
        for source in state.study.sources:
            details = state.info.get(source.name, {})
            if applies(format_of(details.get("format"))):
                check(state.raw, state.raw["source"].eq(source.name),
                      details.get("columns", []), source, state.log)
    return run


def _keeps_unfinished(fmt: Format | None) -> bool:
    """Whether an export of this format can hold unfinished responses (unknown: yes)."""
    return fmt is None or fmt.keeps_unfinished


def _find(columns: list[str], explicit: str | None, candidates: list[str]) -> str | None:
    if explicit is not None:
        return explicit if explicit in columns else None
    return next((c for c in candidates if c in columns), None)


def clean(raw: pd.DataFrame, study: Study, *, whole: Whole | None = None,
          offset: int = 0) -> CleaningResult:
    """Clean the rows of :func:`~cxstudy.read_sources` into coded responses and a log.

    Parameters
    ----------
    raw : pandas.DataFrame
        All rows of all sources, as returned by :func:`cxstudy.read_sources`.
    study : Study
        The study (:func:`~cxstudy.load_study`): its column mappings, scales, cleaning
        rules and weights.
    whole : Whole, optional
        When ``raw`` is one block of the rows (a streaming run): what
        :func:`first_pass` decided over every row (repeats, speeders' medians, weights,
        the metrics kept as whole numbers). The data's problems were reported by it.
    offset : int
        With ``whole``: the position of the block's first row among every row.

    Returns
    -------
    CleaningResult
        ``.responses`` (kept respondents, the ``responses.parquet`` of
        docs/outputs.md), ``.log`` (every input row: ``source, source_row,
        respondent_id, group, kept, reason, detail``), ``.skipped`` (rules not applied
        to a source, and why), and, for a weighted study, ``.weighting`` (the raking
        report of the latest wave) and ``.weighting_by_wave``.

    Raises
    ------
    StudyFileError
        A mapped column is not in its export (with the nearest names).
    DataError
        Answers the scales do not know (unless ``cleaning.unknown_labels: missing``),
        estimates outside 0-100, NPS outside 0-10.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> result = cx.clean(cx.read_sources(study), study)  # doctest: +SKIP
    >>> result.summary()  # rows kept and dropped by reason  # doctest: +SKIP
    """
    choice_coding = code_choices(raw, study, file_names(raw))
    problems = column_problems(raw, study) + choice_coding.layout_problems \
        if whole is None else []
    if problems:
        raise StudyFileError(study.path, problems)
    coded = _code_columns(raw, study, file_names(raw))
    problems = _coding_problems(coded, study) + choice_coding.problems \
        if whole is None else []
    if problems:
        raise DataError(f"{study.path or 'study'}: answers the study file does not allow",
                        problems)
    info = raw.attrs.get("sources", {})
    state = RuleInput(raw, study, info, coded, _respondent_ids(raw, study, info),
                      _Log(raw.index), whole, offset)
    for rule in RULES:
        if rule.applies(study.cleaning):
            rule.run(state)
    log = state.log
    kept = log.alive
    _note_kept_rows(log, raw, coded, kept, study)
    log_frame = pd.DataFrame({
        "source": raw["source"].astype(str),
        "source_row": raw["source_row"].astype(np.int64),
        "respondent_id": state.ids.astype("string"),
        "group": raw["group"].astype("string"),
        "kept": kept.astype(bool),
        "reason": pd.Series(log.reason, index=raw.index).astype(str),
        "detail": pd.Series(log.detail, index=raw.index).astype(str),
    })[LOG_COLUMNS].reset_index(drop=True)
    if len(log_frame) != len(raw):
        raise AssertionError("cleaning log lost rows")  # an internal invariant, never data
    responses = _responses(raw, study, coded, state.ids, kept,
                           None if whole is None else whole.integer_metrics,
                           None if whole is None else whole.coded)
    _add_choices(responses, raw, study, choice_coding, kept)
    if whole is not None:
        whole.weigh(raw, kept, responses, study, offset)
        by_wave = whole.weighting_by_wave
    else:
        _apply_sheet_sizes(raw, kept, responses, study)
        by_wave = _apply_weights(raw, kept, responses, study) if study.weights else {}
    skipped = pd.DataFrame(log.skipped, columns=["source", "rule", "why"])
    return CleaningResult(responses=responses, log=log_frame, skipped=skipped,
                          weighting=list(by_wave.values())[-1] if by_wave else None,
                          weighting_by_wave=by_wave)


def _note_kept_rows(log: _Log, raw: pd.DataFrame, coded: _Coded, kept: pd.Series,
                    study: Study) -> None:
    """Kept rows say which rules were not checked for them and what was set missing."""
    for entry in log.skipped:
        rows = (raw["source"].eq(entry["source"]) & kept).to_numpy(dtype=bool)
        note = f"not checked: {entry['rule']} ({entry['why']})"
        log.detail[rows] = [f"{d}; {note}" if d else note for d in log.detail[rows]]
    if coded.aliased_rows is not None and coded.aliased:
        flagged = (coded.aliased_rows & kept).to_numpy(dtype=bool)
        log.detail[flagged] = [(d + "; " if d else "") + "answer(s) coded through a scale's "
                               "aliases" for d in log.detail[flagged]]
    if study.cleaning.unknown_labels == "missing":
        flagged = (coded.unknown_rows & kept).to_numpy(dtype=bool)
        log.detail[flagged] = [(d + "; " if d else "") + "unknown answer(s) set to missing"
                               for d in log.detail[flagged]]


def _apply_sheet_sizes(raw: pd.DataFrame, kept: pd.Series, responses: pd.DataFrame,
                       study: Study) -> None:
    """Weigh each group's sheet by the number of people who wrote it (``sheet_size`` of
    its source), in place on ``responses``: within each audience (and wave) the weights
    are then scaled to average 1, so a sheet of 8 counts twice a sheet of 4 and four
    times a respondent who answered alone. A size that is blank, not a number or not
    positive is an error naming the export, its row and the value."""
    sized = [source for source in study.sources if source.sheet_size is not None]
    if not sized:
        return
    rows = raw.loc[kept]
    names = file_names(raw)
    problems = []
    for source in sized:
        mine = (rows["source"] == source.name).to_numpy(dtype=bool)
        values = rows.loc[mine, source.sheet_size]
        size = pd.to_numeric(values, errors="coerce")
        bad = ~(size > 0) | ~np.isfinite(size.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            where = rows.loc[mine, "source_row"][bad.to_numpy()]
            found = values[bad.to_numpy()]
            shown = ", ".join(
                f"row {int(r)}: " + ("blank" if pd.isna(v) or not str(v).strip()
                                     else repr(f"{v:g}" if isinstance(v, float) else str(v)))
                for r, v in list(zip(where, found, strict=True))[:5])
            problems.append(Problem(
                f"{names[source.name]} (sources ({source.name}).sheet_size: "
                f"{source.sheet_size})",
                f"{int(bad.sum())} sheet(s) without a number of people above 0 ({shown})",
                "write how many people wrote each sheet (a whole number), or remove "
                "sheet_size from the source"))
            continue
        responses.loc[mine, "weight"] = size.to_numpy(dtype=float)
    if problems:
        raise DataError(f"{study.path or 'study'}: sheet sizes that are not numbers",
                        problems)
    keys = [responses["group"]] + ([responses["wave"]] if "wave" in responses else [])
    mean = responses.groupby(keys, observed=True, dropna=False)["weight"].transform("mean")
    responses["weight"] = responses["weight"] / mean.to_numpy()


def _apply_weights(raw: pd.DataFrame, kept: pd.Series, responses: pd.DataFrame,
                   study: Study) -> dict[str | None, RakingReport]:
    """Rake the weighted audience (in place on ``responses``), within each wave; margin
    columns are copied into the responses so that the weights can be checked. Returns
    wave (None without waves) -> raking report."""
    spec = study.weights
    rows = raw.loc[kept]
    missing = [c for c in spec.margins if c not in raw.columns]
    if missing:
        raise DataError("cannot weight the responses", [Problem(
            f"weights.margins.{c}", "no such column in the exports",
            "name a column of the audience's export" + nearest(c, raw.columns))
            for c in missing])
    _copy_margins(rows, responses, study)
    if spec.column is not None and spec.column not in raw.columns:
        raise DataError("cannot weight the responses", [Problem(
            "weights.column", f"no column {spec.column!r} in the exports",
            "name the export's weight column" + nearest(spec.column, raw.columns))])
    waves = _waves_of_rows(rows, study)
    reports = {}
    for wave in (study.waves or [None]):
        in_group = (rows["group"] == spec.group).to_numpy() & (
            True if wave is None else waves.eq(wave).fillna(False).to_numpy(dtype=bool))
        if wave is not None and not in_group.any():
            continue
        base = None if spec.column is None else pd.to_numeric(
            rows.loc[in_group, spec.column], errors="coerce").to_numpy()
        sizes = responses.loc[in_group, "weight"].to_numpy()  # sheets weigh their size
        if not np.allclose(sizes, 1.0):
            base = sizes if base is None else base * sizes
        frame = pd.DataFrame({c: rows.loc[in_group, c].to_numpy() for c in spec.margins},
                             index=range(int(in_group.sum())))
        where = "weights" if wave is None else f"weights (wave {wave})"
        weights, reports[wave] = rake(frame, spec.margins, base=base, trim=spec.trim,
                                      where=where)
        responses.loc[in_group, "weight"] = weights
    return reports


def _copy_margins(rows: pd.DataFrame, responses: pd.DataFrame, study: Study) -> None:
    """The weighting margins' columns of the kept ``rows`` into the responses (stripped
    text), so that the weights can be checked; a column a block lacks is blank."""
    for column in study.weights.margins:
        values = rows[column] if column in rows.columns else pd.Series(
            pd.NA, index=rows.index, dtype=object)
        responses[column] = values.map(
            lambda v: pd.NA if pd.isna(v) else str(v).strip()).astype("string").to_numpy()
        if responses[column].dtype == object and not responses[column].notna().any():
            # blank in every row here: the type text takes in the rows that have some
            responses[column] = responses[column].astype(_TEXT_INFERRED)


_TEXT_INFERRED = pd.Series(["text"], dtype=object).infer_objects().dtype


def _preview_in(raw, rows, columns, source: Source, log: _Log) -> None:
    status = "Status" if "Status" in columns else None
    channel = "DistributionChannel" if "DistributionChannel" in columns else None
    if status is None and channel is None:
        log.skip(source, "preview", "no Status or DistributionChannel column")
        return
    rows = np.asarray(rows, dtype=bool)
    for column in (status, channel):
        if column is None:
            continue
        wanted = _PREVIEW_STATUS if column == "Status" else {"preview", "test"}
        hit = array_distinct(raw[column], lambda v, w=wanted: normalize(v) in w, bool) & rows
        log.drop(pd.Series(hit, index=raw.index), "preview",
                 raw[column][hit].map(lambda v, c=column: f"{c} = {v}"))


def _unfinished_in(raw, rows, columns, source: Source, log: _Log) -> None:
    column = _find(columns, source.finished_column, _FINISHED_COLUMNS)
    if column is None:
        log.skip(source, "unfinished", "no Finished column — set finished_column on the source"
                 if source.finished_column is None else
                 f"finished_column {source.finished_column!r} not in the export")
        return
    unfinished = array_distinct(raw[column], lambda v: normalize(v) in _FALSE, bool)
    log.drop(pd.Series(unfinished & np.asarray(rows, dtype=bool), index=raw.index),
             "unfinished", f"{column} = false")


def _respondent_ids(raw: pd.DataFrame, study: Study, info: dict) -> pd.Series:
    pieces = []
    pii = {p.casefold() for p in study.pii_columns}
    for source in study.sources:
        rows = np.flatnonzero(raw["source"].eq(source.name).to_numpy(dtype=bool))
        column = _find(info.get(source.name, {}).get("columns", []), source.id_column,
                       _ID_COLUMNS)
        if column is None:
            pieces.append((rows, source.name + "-" + raw["source_row"].iloc[rows].astype(str)))
            continue
        values = _id_text(raw[column].iloc[rows])
        if column.casefold() in pii:
            values = hash_id(values, salt=study.slug)
        values = values.astype("string")
        blank = values.isna().to_numpy(dtype=bool)
        if blank.any():  # a row without an id: its export's name and row
            values = values.fillna(source.name + "-" + raw["source_row"].iloc[
                rows[blank]].astype(str).set_axis(values.index[blank]))
        pieces.append((rows, values))
    return _text_column(pieces, raw.index)


def _id_text(values: pd.Series) -> pd.Series:
    """Ids as text: stripped, whole numbers without ".0", blank missing."""
    if isinstance(values.dtype, pd.StringDtype):  # text ids: the common case, vectorised
        return values.str.strip()
    return values.map(lambda v: pd.NA if pd.isna(v) else (
        str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()))


def _rule_duplicates(state: RuleInput) -> None:
    if state.whole is not None:  # a block: the repeats were found over every row
        if state.study.cleaning.duplicates != "answers":
            _id_columns(state.study, state.info, state.log)
        state.whole.drop_decided(state, "duplicate")
    elif state.study.cleaning.duplicates == "answers":
        _duplicate_answers(state.raw.assign(_wave=_waves_of_rows(state.raw, state.study)),
                           state.study, state.coded, state.log)
    else:
        _duplicate_ids(state.raw, state.study, state.ids, state.info, state.log)


def _id_columns(study: Study, info: dict, log: _Log | None) -> set[str]:
    """The sources with an id column; those without are noted as not checked."""
    having = set()
    for source in study.sources:
        column = _find(info.get(source.name, {}).get("columns", []), source.id_column,
                       _ID_COLUMNS)
        if column is None:
            if log is not None:
                log.skip(source, "duplicate ids", "no id column — set id_column on the source")
        else:
            having.add(source.name)
    return having


def _duplicate_ids(raw, study: Study, ids: pd.Series, info: dict, log: _Log) -> None:
    has_id = raw["source"].isin(_id_columns(study, info, log)).fillna(False)
    candidates = (log.alive & has_id).to_numpy(dtype=bool)
    # within a wave: the same id in two waves is a returning respondent, not a duplicate
    id_codes, distinct_ids = pd.factorize(ids[candidates])
    key = _cohorts(raw, study)[candidates] * (len(distinct_ids) + 1) + id_codes + 1
    # the row each repeat repeats: the first row of its (audience, wave, id)
    _keys, first, of_key = np.unique(key, return_index=True, return_inverse=True)
    at = np.flatnonzero(candidates)
    repeats = np.flatnonzero(np.arange(len(key)) != first[of_key])
    if not len(repeats):
        return
    first_row = raw.index[at[first[of_key[repeats]]]]
    repeated = pd.Series(False, index=raw.index)
    repeated.iloc[at[repeats]] = True
    detail = ("same id as " + raw.loc[first_row, "source"].astype(str).to_numpy() + " row "
              + raw.loc[first_row, "source_row"].astype(str).to_numpy())
    log.drop(repeated, "duplicate", pd.Series(detail, index=raw.index[at[repeats]],
                                              dtype=object))


def _cohorts(raw: pd.DataFrame, study: Study) -> np.ndarray:
    """A number for each row's (audience, wave): rows share it when they share both
    (a missing audience or wave is a value of its own)."""
    groups, _ = pd.factorize(raw["group"])
    waves, distinct_waves = pd.factorize(_waves_of_rows(raw, study))
    return (groups.astype(np.int64) + 1) * (len(distinct_waves) + 1) + waves + 1


def _stable_cohorts(raw: pd.DataFrame, study: Study) -> np.ndarray:
    """:func:`_cohorts` numbered the same in every block: from the audience's place
    among the study's groups and the wave's among its waves (0: missing)."""
    place = {group: number + 1 for number, group in enumerate(study.groups)}
    groups = array_distinct(raw["group"], lambda group: place.get(group, 0), np.int64)
    wave_of = {s.name: (study.waves.index(s.wave) + 1 if s.wave in study.waves else 0)
               for s in study.sources}
    waves = array_distinct(raw["source"], lambda source: wave_of.get(source, 0),
                           np.int64)
    return groups * (len(study.waves) + 1) + waves


def _waves_of_rows(raw: pd.DataFrame, study: Study) -> pd.Series:
    """The wave of every row (missing in a study without waves)."""
    return raw["source"].map({s.name: s.wave for s in study.sources}).astype("string")


def _duplicate_answers(raw, study: Study, coded: _Coded, log: _Log) -> None:
    frame = _answers_compared(raw, coded, log, coded.every_column())
    repeated = frame.duplicated(keep="first")
    log.drop(repeated, "duplicate", _SAME_ANSWERS)


_SAME_ANSWERS = "identical answers to an earlier response in the group and wave"


def _answers_compared(raw, coded: _Coded, log: _Log, columns: dict[str, pd.Series | None]
                      ) -> pd.DataFrame:
    """What the duplicate-answers rule compares, of the rows alive that answered
    something: every answer as text, with the audience and the wave (``raw["_wave"]``).
    ``columns``: id -> values (None: no value in these rows, compared as ``"<NA>"``)."""
    given = {cid: values for cid, values in columns.items() if values is not None}
    answers = pd.DataFrame(given, index=raw.index)
    answered = answers.notna().any(axis=1) if given else pd.Series(False, index=raw.index)
    frame = answers.astype(str).assign(**{cid: "<NA>" for cid, values in columns.items()
                                          if values is None})[list(columns)]
    return frame.assign(_group=raw["group"].astype(str),
                        _wave=raw["_wave"].astype(str))[log.alive & answered]


def _durations(raw: pd.DataFrame, rows: pd.Series, columns: list[str], source: Source):
    column = _find(columns, source.duration_column, _DURATION_COLUMNS)
    if column is not None:
        return pd.to_numeric(raw.loc[rows, column], errors="coerce")
    for start, end in _DATE_PAIRS:
        if start in columns and end in columns:
            began = pd.to_datetime(raw.loc[rows, start], errors="coerce", format="mixed")
            ended = pd.to_datetime(raw.loc[rows, end], errors="coerce", format="mixed")
            return (ended - began).dt.total_seconds()
    return None


def _seconds(raw: pd.DataFrame, study: Study, info: dict, log: _Log | None) -> pd.Series:
    """How long each row took (NaN: not known); exports without durations are noted."""
    seconds = pd.Series(np.nan, index=raw.index)
    for source in study.sources:
        rows = raw["source"].eq(source.name)
        values = _durations(raw, rows, info.get(source.name, {}).get("columns", []), source)
        if values is None:
            if log is not None:
                log.skip(source, "speeders",
                         "no duration column — set duration_column on the source")
            continue
        seconds[rows] = values.to_numpy(dtype=float, na_value=np.nan)
    return seconds


def _rule_speeders(state: RuleInput) -> None:
    raw, study, info, log = state.raw, state.study, state.info, state.log
    ratio = study.cleaning.min_duration_ratio
    seconds = _seconds(raw, study, info, log)
    alive = log.alive & seconds.notna()
    # the audience's median within its wave: a faster survey in one wave moves no other
    if state.whole is not None:  # a block: the medians of every row
        cohort = pd.Series(_stable_cohorts(raw, study), index=raw.index)
        median_of_row = cohort.map(state.whole.medians).astype(float)
    else:
        cohort = pd.Series(_cohorts(raw, study), index=raw.index)
        medians = seconds[alive].groupby(cohort[alive]).median()
        median_of_row = cohort.map(medians).astype(float)
    limit = median_of_row * ratio
    fast = alive & (seconds < limit)
    median = median_of_row[fast]
    detail = pd.Series([f"took {took:.0f} s; limit {cap:.0f} s ({ratio:g} x the group median "
                        f"{mid:.0f} s)" for took, cap, mid in
                        zip(seconds[fast], limit[fast], median, strict=True)],
                       index=raw.index[fast.to_numpy()], dtype=object)
    log.drop(fast, "speeder", detail)


def _rule_straightliners(state: RuleInput) -> None:
    raw, study, coded, log = state.raw, state.study, state.coded, state.log
    minimum = study.cleaning.straightline_min_items
    by_scale: dict[str, list[str]] = {}
    for item in study.items:
        if item.id in coded.columns:
            by_scale.setdefault(item.scale, []).append(item.id)
    for scale_id, item_ids in by_scale.items():
        if len(item_ids) < minimum:
            continue
        columns = [_as_answered(coded.columns[i], study.item(i).reverse,
                                study.scales[scale_id].k) for i in item_ids]
        answered = sum((~np.isnan(c)).astype(np.int16) for c in columns)
        low = functools.reduce(np.fmin, columns)  # fmin and fmax pass over missing answers
        high = functools.reduce(np.fmax, columns)
        flat = pd.Series((answered >= minimum) & (low == high), index=raw.index)
        names = np.array(["", *study.scales[scale_id].point_names], dtype=object)
        scale = f"{names[1]} to {names[-1]}"  # a page reads the log: the scale, not its id
        detail = pd.Series(
            [f'same answer ("{names[int(code)]}") on all {count} answered items of the '
             f"{scale} scale"
             for code, count in zip(low[flat.to_numpy()], answered[flat.to_numpy()],
                                    strict=True)],
            index=raw.index[flat.to_numpy()], dtype=object)
        log.drop(flat, "straightliner", detail)


def _as_answered(codes: pd.Series, reverse: bool, k: int) -> np.ndarray:
    """An item's codes as the respondent answered them (a reversed item turned back),
    NaN where missing; float32 holds 1..k exactly, at half the memory."""
    values = codes.to_numpy(dtype=np.float32, na_value=np.nan)
    return k + 1 - values if reverse else values


def _rule_attention_checks(state: RuleInput) -> None:
    for number, check in enumerate(state.study.cleaning.attention_checks):
        _attention_check(state.raw, state.study, state.info, state.log, number, check)


def _attention_check(raw, study: Study, info: dict, log: _Log, number: int, check) -> None:
    expected = {normalize(e) for e in check.expect}
    for source in study.sources:
        rows = raw["source"].eq(source.name)
        columns = info.get(source.name, {}).get("columns", [])
        for group in study.source_groups(source):
            column = check.columns.get(group)
            if column is None:
                continue
            if column not in columns:
                log.skip(source, f"attention check {number + 1}", f"no column {column!r}")
                continue
            here = (rows & raw["group"].eq(group).fillna(False)).to_numpy(dtype=bool)
            failed = here & ~array_distinct(raw[column], lambda v: normalize(v) in expected,
                                             bool)
            want = " or ".join(f'"{e}"' for e in check.expect)
            detail = raw[column][failed].map(
                lambda v, c=column, w=want: f'{c} = "{v}", expected {w}' if not pd.isna(v)
                else f"{c} blank, expected {w}")
            log.drop(pd.Series(failed, index=raw.index), "attention_check", detail)


RULES: tuple[Rule, ...] = (
    Rule("excluded", "excluded", "not part of the study: a cleaning.exclude rule matches",
         lambda rules: bool(rules.exclude), _rule_excluded),
    Rule("no_group", "no group", "the group_column value is blank or not one of the groups",
         lambda rules: True, _rule_no_group),
    Rule("preview", "preview", "Qualtrics survey previews and test responses",
         lambda rules: rules.drop_preview,
         _per_source(_preview_in, lambda fmt: fmt is not None and fmt.previews)),
    Rule("unfinished", "unfinished", "responses the export marks unfinished",
         lambda rules: rules.require_finished,
         _per_source(_unfinished_in, _keeps_unfinished)),
    Rule("duplicate", "duplicate", "a repeated respondent id, or identical answers",
         lambda rules: rules.duplicates != "none", _rule_duplicates),
    Rule("speeder", "speeder", "faster than min_duration_ratio x the audience's median",
         lambda rules: rules.min_duration_ratio > 0, _rule_speeders),
    Rule("straightliner", "straightliner", "one answer on every item of a scale",
         lambda rules: rules.straightline_min_items > 0, _rule_straightliners),
    Rule("attention_check", "attention check", "a wrong answer to an attention check",
         lambda rules: bool(rules.attention_checks), _rule_attention_checks),
)
"""The rules in the order they run; a row is dropped by the first that applies."""
REASONS = [rule.reason for rule in RULES]


# ---------------------------------------------------------------------------
# responses and writing


def _responses(raw, study: Study, coded: _Coded, ids: pd.Series, kept: pd.Series,
               integer_metrics: Collection[str] | None = None,
               coded_anywhere: Collection[str] | None = None):
    """The kept rows' response columns; ``integer_metrics``: the metrics held as whole
    numbers (default: those whose kept values are all whole numbers);
    ``coded_anywhere``: the columns some block of the rows coded (a block lacking one
    gives it the type the other blocks give it; default: those ``coded`` holds)."""
    kinds = {m.id: m.kind for m in study.mappings()}
    frame = pd.DataFrame({
        "respondent_id": ids[kept].astype("string"),
        "group": pd.Categorical(raw.loc[kept, "group"], categories=list(study.groups)),
        "weight": np.ones(int(kept.sum())),
        "source": raw.loc[kept, "source"].astype("string"),
        "source_row": raw.loc[kept, "source_row"].astype(np.int64),
    })
    waves = {s.name: s.wave for s in study.sources if s.wave is not None}
    if waves:
        frame["wave"] = raw.loc[kept, "source"].map(waves).astype("string")
    wanted = {p.casefold() for p in study.pii_columns}  # "name" protects a column "Name"
    pii_present = [c for c in raw.columns if str(c).casefold() in wanted]
    rows = kept.to_numpy(dtype=bool)
    # the kept rows' PII values, read where they are (no copy of the columns)
    personal = PersonalValues(raw[pii_present], rows=np.flatnonzero(rows)) \
        if pii_present else None
    ordered = [i.id for i in study.items] + [m.id for m in study.metrics] + \
        [e.id for e in study.estimates] + [q.id for q in study.open_ended] + \
        [s.id for s in study.segments]
    open_ids = {q.id for q in study.open_ended}
    for column_id in ordered:
        values = coded.column(column_id, rows, categories=column_id in open_ids)
        coded.columns.pop(column_id, None)  # every row's codes: no longer needed
        if values is None:
            text = column_id in open_ids or column_id in {s.id for s in study.segments}
            dtype = "string" if text else "Float64"
            if coded_anywhere is not None and column_id in coded_anywhere:
                dtype = _dtype(kinds[column_id])
            values = pd.Series(pd.NA, index=raw.index[rows], dtype=dtype)
        if column_id in open_ids:
            values = scrub_text(values, personal)
        frame[column_id] = values
    for metric in study.metrics:  # whole-number metrics stay small integers
        column = frame[metric.id]
        if (column.dropna().mod(1).eq(0).all() if integer_metrics is None
                else metric.id in integer_metrics):
            frame[metric.id] = column.astype("Int16")
    return frame.reset_index(drop=True)


def _add_choices(frame: pd.DataFrame, raw: pd.DataFrame, study: Study, coding,
                 kept: pd.Series) -> None:
    """The option indicators (nullable 0/1, ``<id>::<option>``) of the kept rows, after
    the other response columns (in place). The "other (please specify)" text is an
    open-ended question of the study (:meth:`Choice.other_question`)."""
    rows = kept.to_numpy(dtype=bool)
    for choice in study.choices:
        for column in choice.indicator_columns:
            values = coding.columns[column][rows]
            frame[column] = pd.arrays.IntegerArray(np.maximum(values, 0).astype(np.int8),
                                                   values < 0)


def other_notes(coding, study: Study) -> list[str]:
    """Answers that matched no option and were counted as the question's ``unmatched``
    option, one line per question."""
    notes = []
    for choice in study.choices:
        counted = {v: n for (q, v), n in coding.counted_other.items() if q == choice.id}
        if counted:
            listed = ", ".join(f'"{v}" ({n})' for v, n in sorted(
                counted.items(), key=lambda e: -e[1])[:6])
            notes.append(f"choices ({choice.id}): answers matching no option counted as "
                         f'"{choice.unmatched}": {listed}')
    return notes


def source_table(raw: pd.DataFrame, log: pd.DataFrame, study: Study) -> pd.DataFrame:
    """One row per export: ``source, file, format, audience, rows`` (read), ``kept``."""
    return sources_counted(raw.attrs, source_counts(log), study)


def source_counts(log: pd.DataFrame) -> pd.DataFrame:
    """Rows (``size``) and kept rows (``sum``) of each source in a cleaning log: those of
    two blocks add up (``a.add(b, fill_value=0)``)."""
    return log.groupby("source")["kept"].agg(["size", "sum"])


def sources_counted(attrs: dict, kept: pd.DataFrame, study: Study) -> pd.DataFrame:
    """:func:`source_table` from the exports' ``attrs`` and :func:`source_counts`."""
    names = display_names({name: Path(info["path"])
                           for name, info in attrs.get("sources", {}).items()})
    rows = []
    for source in study.sources:
        info = attrs["sources"][source.name]
        rows.append({"source": source.name, "file": names[source.name],
                     "format": info["format"],
                     "audience": source.group or f"from column {source.group_column}",
                     "rows": int(kept.loc[source.name, "size"]),
                     "kept": int(kept.loc[source.name, "sum"])})
    return pd.DataFrame(rows, columns=["source", "file", "format", "audience", "rows", "kept"])


# ---------------------------------------------------------------------------
# streaming: the rules that need every row, decided in a first pass

_WHOLE_RULES = ("duplicate", "speeder")
"""The rules that compare a row with other rows (the rest look at one row)."""
_HASH_KEYS = ("cxstudy-rows-one", "cxstudy-rows-two")  # 16 characters each: 128 bits


@dataclass
class Whole:
    """What cleaning decides over every row of a study, for cleaning it block by block
    (:func:`first_pass`, then :func:`clean` of each block with ``whole=``).

    Attributes
    ----------
    rows, kept : int
        Rows read, and those kept.
    dropped : dict
        reason -> (positions among every row, ascending; the log's detail of each) of
        the rows a rule that compares rows drops (``duplicate``).
    medians : dict
        cohort (:func:`_stable_cohorts`) -> the audience's median seconds in that wave,
        over the rows alive when the speeders' rule runs.
    integer_metrics : frozenset
        The metrics whose kept answers are all whole numbers (held as ``Int16``).
    coded : frozenset
        The response columns some export maps (a block without one gives it the type
        the others give it).
    weights : pandas.Series or None
        position among every row -> weight, for the kept rows whose weight is not 1
        (sheet sizes, raking); None when every weight is 1.
    weighting_by_wave : dict
        wave -> :class:`~cxstudy.weights.RakingReport`, as :func:`clean` gives them.
    """

    rows: int
    kept: int
    dropped: dict[str, tuple[np.ndarray, np.ndarray]]
    medians: dict[int, float]
    integer_metrics: frozenset[str]
    coded: frozenset[str] = frozenset()
    weights: pd.Series | None = None
    weighting_by_wave: dict = field(default_factory=dict)

    def drop_decided(self, state: RuleInput, reason: str) -> None:
        """Drop the rows of a block that ``reason`` dropped among every row."""
        positions, details = self.dropped.get(reason, (np.zeros(0, np.int64), np.zeros(0)))
        start, end = np.searchsorted(positions, [state.offset, state.offset + len(state.raw)])
        if start == end:
            return
        local = positions[start:end] - state.offset
        index = state.raw.index[local]
        mask = pd.Series(False, index=state.raw.index)
        mask.iloc[local] = True
        state.log.drop(mask, reason, pd.Series(details[start:end], index=index, dtype=object))

    def weigh(self, raw: pd.DataFrame, kept: pd.Series, responses: pd.DataFrame,
              study: Study, offset: int) -> None:
        """The weights of a block's kept rows (in place), and the margins' columns."""
        if study.weights:
            _copy_margins(raw.loc[kept], responses, study)
        if self.weights is not None and len(responses):
            at = offset + np.flatnonzero(kept.to_numpy(dtype=bool))
            responses["weight"] = self.weights.reindex(at, fill_value=1.0).to_numpy()


_ALIVE, _LATE, _CANDIDATE = 1, 2, 4
"""The bits of :attr:`_Held.state`: alive when the rules that compare rows run; dropped
by a rule after them; compared for repeats (an id to compare, or answers)."""
_PARTITION_ROWS = 1 << 21
"""Repeats are found among at most about this many keys at once (a partition of the
keys' top bits): the memory of finding them does not grow with the study."""
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: c -> c * _MIX is one-to-one on 64 bits


def _hashes(frame: pd.DataFrame | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit hashes of each row (a 128-bit key: equal rows, equal keys; two unequal
    rows share one with a chance of 2^-128)."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    one, two = (pd.util.hash_pandas_object(frame, index=False, hash_key=key)
                .to_numpy(dtype=np.uint64) for key in _HASH_KEYS)
    return one, two


_FINALIZERS = ((np.uint64(0x6A09E667F3BCC909), (33, 0xFF51AFD7ED558CCD, 33,
                                                 0xC4CEB9FE1A85EC53, 33)),
               (np.uint64(0xBB67AE8584CAA73B), (30, 0xBF58476D1CE4E5B9, 27,
                                                 0x94D049BB133111EB, 31)))
"""Two 64-bit mixers (MurmurHash3's and SplitMix64's finalizers, each one-to-one on 64
bits) with a seed each: the two halves of a text's 128-bit key."""
_LONGEST_TEXT = 256  # texts longer than this (bytes) are hashed by pandas


def _text_hashes(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_hashes` of texts (ids), made in numpy from their UTF-8 bytes in Arrow's
    buffers: each text's length, then its bytes eight at a time, folded into each half of
    the key through a one-to-one mixer (equal texts, equal keys; unequal texts share
    both halves with a chance of about 2^-128). A text's key depends on its bytes alone,
    not on the other texts of its block: the words past a text's end are not folded in,
    and a text longer than ``_LONGEST_TEXT`` bytes always takes :func:`_hashes`' key.
    Not the values :func:`_hashes` gives: keys are only compared within one run."""
    import pyarrow as pa

    try:
        arrow = pa.array(texts.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return _hashes(texts)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return _hashes(texts)
    arrow = arrow.cast(pa.large_string())
    n = len(arrow)
    _validity, offsets, data = arrow.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[arrow.offset:arrow.offset + n + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    length = np.diff(offsets)
    long = length > _LONGEST_TEXT
    marker = length.astype(np.uint64)
    if arrow.null_count:  # missing: a length no text has
        marker[arrow.is_null().to_numpy(zero_copy_only=False)] = np.uint64(2**64 - 1)
    halves = [np.full(n, seed, dtype=np.uint64) ^ marker for seed, _ in _FINALIZERS]
    halves = [_mix(half, mixer) for half, (_, mixer) in zip(halves, _FINALIZERS, strict=True)]
    for word, within in _words(data, offsets[:-1], np.where(long, 0, length)):
        halves = [_mix(half ^ word, mixer) if within is None
                  else np.where(within, _mix(half ^ word, mixer), half)
                  for half, (_, mixer) in zip(halves, _FINALIZERS, strict=True)]
    if long.any():
        at = np.flatnonzero(long)
        for half, value in zip(halves, _hashes(texts.iloc[at]), strict=True):
            half[at] = value
    return halves[0], halves[1]


def _words(data: np.ndarray, start: np.ndarray, length: np.ndarray
           ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Each text's bytes eight at a time as 64-bit words (little-endian, zeros past its
    end), with which texts the word is part of (None: every text): the first word of
    every text, then the second, ... up to the longest text.

    Texts all of one length (ids, mostly) lie back to back in Arrow's buffer: their bytes
    are one (texts x length) array, copied once into rows of whole words. Otherwise each
    word is gathered from every text's start (the same words either way)."""
    longest = int(length.max(initial=0))
    if len(length) and int(length.min()) == longest:
        rows = data[start[0]:start[0] + len(length) * longest].reshape(len(length), longest)
        padded = np.zeros((len(length), -(-longest // 8) * 8), dtype=np.uint8)
        padded[:, :longest] = rows
        for word in padded.view(np.uint64).T:
            yield word, None
        return
    data = np.concatenate([data, np.zeros(8, np.uint8)])  # every read below lands in it
    for first in range(0, longest, 8):
        step = np.arange(first, first + 8)
        piece = data[np.minimum(start[:, None] + step, len(data) - 1)]
        piece[step >= length[:, None]] = 0
        yield np.ascontiguousarray(piece).view(np.uint64).reshape(-1), first < length


def _mix(h: np.ndarray, mixer: tuple[int, ...]) -> np.ndarray:
    """A 64-bit finalizer (xor-shift, multiply, xor-shift, multiply, xor-shift)."""
    one, times, two, again, three = mixer
    h = h ^ (h >> np.uint64(one))
    h = h * np.uint64(times)
    h ^= h >> np.uint64(two)
    h *= np.uint64(again)
    h ^= h >> np.uint64(three)
    return h


def _small(values: np.ndarray) -> np.ndarray | int:
    """Whole numbers held in the fewest bytes that keep every one (one number when they
    are all the same)."""
    if not len(values):
        return 0
    low, high = int(values.min()), int(values.max())
    if low == high:
        return low
    return values.astype(np.result_type(np.min_scalar_type(low), np.min_scalar_type(high)))


def _at(held: np.ndarray | int, local: np.ndarray, step: bool = False) -> np.ndarray:
    """The values of :func:`_small` (or of :func:`_rows_held`, ``step``) at ``local``."""
    if isinstance(held, np.ndarray):
        return held[local].astype(np.int64)
    return np.int64(held) + (local if step else 0) + np.zeros(len(local), np.int64)


def _rows_held(source_row: np.ndarray) -> np.ndarray | int:
    """A block's ``source_row``: its first when they run one by one (a block of one
    export's consecutive rows), else every one."""
    if len(source_row) and np.array_equal(source_row, source_row[0] + np.arange(
            len(source_row))):
        return int(source_row[0])
    return source_row.astype(np.int64)


@dataclass
class _Seconds:
    """How long each row of a block took, exactly, in few bytes: codes into the block's
    distinct durations (NaN among them) when there are at most 65,536, else float32
    where every value round-trips, else float64."""

    codes: np.ndarray | None
    values: np.ndarray

    @classmethod
    def of(cls, seconds: np.ndarray) -> _Seconds:
        distinct, codes = np.unique(seconds, return_inverse=True)
        if len(distinct) <= 1 << 16:
            return cls(codes.reshape(-1).astype(np.min_scalar_type(max(len(distinct) - 1, 0))),
                       distinct)
        narrow = seconds.astype(np.float32)
        if np.array_equal(narrow.astype(np.float64), seconds, equal_nan=True):
            return cls(None, narrow)
        return cls(None, seconds)

    def numbers(self) -> np.ndarray:
        """Every row's seconds as float64 (NaN: not known)."""
        if self.codes is None:
            return self.values.astype(np.float64)
        return self.values[self.codes]


@dataclass
class _Held:
    """What :func:`first_pass` holds of one block until every block is read: a few
    bytes a row (``state``, the keys of the rows compared for repeats, the seconds)."""

    offset: int                      # the block's first row among every row
    rows: int
    state: np.ndarray                # uint8: _ALIVE | _LATE | _CANDIDATE
    cohort: np.ndarray | int         # _stable_cohorts (see _small)
    source: np.ndarray | int         # codes into _Pass.sources (see _small)
    source_row: np.ndarray | int     # see _rows_held
    keys: tuple[np.ndarray, np.ndarray] | None = None  # the candidates', in row order
    seconds: _Seconds | None = None

    def cohorts(self) -> np.ndarray:
        return _at(self.cohort, np.arange(self.rows))

    def nbytes(self) -> int:
        """The bytes held (for measuring)."""
        arrays = [self.state, self.cohort, self.source, self.source_row,
                  *(self.keys or ()), *((self.seconds.codes, self.seconds.values)
                                        if self.seconds is not None else ())]
        return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))


@dataclass
class _Pass:
    """What :func:`first_pass` gathers of each block."""

    rows: int = 0
    structure: list = field(default_factory=list)     # StudyFileError problems
    layout: list = field(default_factory=list)        # choice layouts
    data: list = field(default_factory=list)          # DataError problems
    groups: set = field(default_factory=set)
    columns: dict = field(default_factory=dict)       # every column seen (ordered)
    attrs: dict = field(default_factory=dict)
    held: list = field(default_factory=list)          # _Held of each block
    sources: list = field(default_factory=list)       # source names, by code
    not_whole: dict = field(default_factory=dict)     # metric -> positions not whole
    coded: set = field(default_factory=set)           # response columns coded
    slim: list = field(default_factory=list)          # rows weighting reads

    def source_codes(self, names: pd.Series) -> np.ndarray:
        """The code of each row's source name (new names take the next codes)."""
        codes, distinct = pd.factorize(names.astype(object), use_na_sentinel=False)
        for name in distinct:
            if name not in self.sources:
                self.sources.append(name)
        return np.array([self.sources.index(n) for n in distinct], dtype=np.int64)[codes] \
            if len(codes) else np.zeros(0, np.int64)


def first_pass(blocks, study: Study) -> Whole:
    """Decide over every row what cleaning a block cannot see alone.

    The rules that look at one row (exclusions, audience, previews, unfinished,
    straightliners, attention checks) are applied to each block; of the rules that
    compare rows, repeats (the same id, or the same answers, within an audience and
    wave: each row's key hashed to 128 bits, its first row kept) and speeders (the
    median duration of each audience and wave, over the rows alive when that rule
    runs) are decided here over every row, as are the sheet sizes' averages and the
    raking of the weighted audience (on the kept rows' margins), and which metrics stay
    whole numbers. The data's problems are collected over every block and reported
    before anything is written.

    Parameters
    ----------
    blocks : iterable of pandas.DataFrame
        The rows in blocks (:func:`~cxstudy.readers.iter_sources`), in order.
    study : Study

    Returns
    -------
    Whole
        What :func:`clean` takes as ``whole=`` for each block, in the same order.

    Raises
    ------
    StudyFileError, DataError
        As :func:`clean` of every row would.

    Notes
    -----
    Until every block is read it holds, of each row, one byte of state (alive when the
    rules that compare rows run; dropped by a later rule; compared for repeats), the
    128-bit key of each row compared for repeats (the audience and wave folded into
    it) and, with the speeder rule, a code into the block's distinct durations: under
    20 bytes a row; the source and row of each are known from the block's first. Repeats
    are found a partition of the keys' top bits at a time (at most about 2 million keys
    at once: equal keys share a partition), by a hash table of the keys' first halves
    and a sort of the keys that share one; the medians from the counts of each distinct
    duration of each audience and wave.
    """
    gathered = _Pass()
    for block in blocks:
        _gather(block, study, gathered)
    return _decide(gathered, study)


def _present(column: pd.Series) -> list[str]:
    """The distinct values a column holds, as text (a categorical's from its codes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        held = np.unique(codes[codes >= 0])
        return column.cat.categories[held].astype(str).tolist()
    return column.dropna().astype(str).unique().tolist()


def _gather(raw: pd.DataFrame, study: Study, gathered: _Pass) -> None:
    offset, n = gathered.rows, len(raw)
    gathered.rows += n
    gathered.attrs = raw.attrs
    gathered.columns.update(dict.fromkeys(raw.columns))
    gathered.groups.update(_present(raw["group"]))
    files = file_names(raw)
    choice_coding = code_choices(raw, study, files)
    problems = column_problems(raw, study, whole=False)
    gathered.structure += problems
    gathered.layout += choice_coding.layout_problems
    if problems or choice_coding.layout_problems:
        return  # the run stops; the other blocks' problems are still collected
    coded = _code_columns(raw, study, files)
    gathered.data += _coding_problems(coded, study) + choice_coding.problems
    gathered.coded.update([*coded.columns, *coded.text])
    info = raw.attrs.get("sources", {})
    ids = _respondent_ids(raw, study, info)
    state = RuleInput(raw, study, info, coded, ids, _Log(raw.index))
    first = min((i for i, rule in enumerate(RULES) if rule.reason in _WHOLE_RULES))
    for rule in RULES[:first]:
        if rule.applies(study.cleaning):
            rule.run(state)
    alive = state.log._alive.copy()
    later = RuleInput(raw, study, info, coded, ids, _Log(raw.index))
    for rule in RULES[first:]:
        if rule.reason not in _WHOLE_RULES and rule.applies(study.cleaning):
            rule.run(later)
    late = ~later.log._alive
    cohort = _stable_cohorts(raw, study)
    held = _Held(offset, n, (alive * _ALIVE | late * _LATE).astype(np.uint8),
                 _small(cohort), _small(gathered.source_codes(raw["source"])),
                 _rows_held(raw["source_row"].to_numpy(dtype=np.int64)))
    rules = study.cleaning
    if rules.duplicates == "answers":
        columns = {m.id: None for m in study.mappings() if m.kind != "attention_check"}
        columns.update(coded.every_column())
        frame = _answers_compared(raw.assign(_wave=_waves_of_rows(raw, study)), coded,
                                  state.log, columns)
        at = raw.index.get_indexer(frame.index)
        held.keys = _hashes(frame)  # the audience and wave are in the frame
    elif rules.duplicates != "none":
        has_id = raw["source"].isin(_id_columns(study, info, None)).fillna(False)
        at = np.flatnonzero(alive & has_id.to_numpy(dtype=bool))
        one, two = _text_hashes(ids.iloc[at])
        # the audience and wave folded in one-to-one: the same id in another cohort
        # differs in the first half of the key, always
        held.keys = (one ^ (cohort[at].astype(np.uint64) * _MIX), two)
    if rules.duplicates != "none":
        held.state[at] |= _CANDIDATE
    if rules.min_duration_ratio > 0:
        held.seconds = _Seconds.of(_seconds(raw, study, info, None).to_numpy(dtype=float))
    gathered.held.append(held)
    for metric in study.metrics:
        values = coded.columns.get(metric.id)
        if values is not None:
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            broken = np.flatnonzero(~np.isnan(numbers) & (np.mod(numbers, 1) != 0))
            gathered.not_whole.setdefault(metric.id, []).append(offset + broken)
    sized = [s.sheet_size for s in study.sources if s.sheet_size is not None]
    if study.weights or sized:
        spec = study.weights
        rows = alive & ~late
        if spec is not None:
            weighted = raw["group"].eq(spec.group).fillna(False).to_numpy(bool) \
                & (state.log.reason != "excluded")
            rows = (rows if sized else np.zeros(n, dtype=bool)) | weighted
        wanted = ["source", "source_row", "group", *sized,
                  *(spec.margins if spec else []),
                  *([spec.column] if spec is not None and spec.column else [])]
        slim = raw.loc[rows, [c for c in dict.fromkeys(wanted) if c in raw.columns]]
        gathered.slim.append(slim.assign(_position=offset + np.flatnonzero(rows),
                                         _weighted=weighted[rows] if spec else False))


def _decide(gathered: _Pass, study: Study) -> Whole:
    """:func:`first_pass`'s decisions from what it gathered of every block."""
    slim = _slim_frame(gathered, study)
    whole_checks = gathered.rows and not gathered.structure and not gathered.layout
    if study.weights is not None and study.weights.margins and whole_checks:
        absent = [c for c in study.weights.margins if c not in gathered.columns]
        if absent:
            gathered.structure += [Problem(
                f"weights.margins.{c}", "no such column in the exports",
                "name a column of the audience's export" + nearest(c, gathered.columns))
                for c in absent]
        else:
            weighted = slim["_weighted"].to_numpy(dtype=bool)
            gathered.structure += _margin_rows_problems(
                slim, weighted, _waves_of_rows(slim, study), study)
    if whole_checks:
        gathered.structure += [
            Problem(f"groups ({group})", "no row of any export belongs to this audience",
                    "add its export, check group / group_map, or remove it from groups")
            for group in study.groups if group not in gathered.groups]
    for problems, error in ((gathered.structure, "structure"), (gathered.layout, "structure"),
                            (gathered.data, "data")):
        problems = list(dict.fromkeys(problems))  # a problem each block has, said once
        if problems and error == "structure":
            raise StudyFileError(study.path, problems)
        if problems:
            raise DataError(f"{study.path or 'study'}: answers the study file does not "
                            "allow", problems)
    held = gathered.held
    rules = study.cleaning
    dropped = {}
    if rules.duplicates != "none" and held:
        positions, first = _repeats(held)
        if rules.duplicates == "answers":
            details = np.full(len(positions), _SAME_ANSWERS, dtype=object)
        else:
            source, row = _source_rows(held, first)
            details = ("same id as " + pd.Series(np.array(gathered.sources, dtype=object)
                                                 [source], dtype=object)
                       + " row " + pd.Series(row).astype(str)).to_numpy(dtype=object)
        dropped["duplicate"] = (positions, details)
        _clear(held, positions, _ALIVE)
    medians: dict[int, float] = {}
    if rules.min_duration_ratio > 0:
        medians = _medians(held)
        median_of = np.full(max([0, *medians]) + 1, np.nan)
        median_of[list(medians)] = list(medians.values())
        for block in held:
            seconds, cohort = block.seconds.numbers(), block.cohorts()
            limit = np.where(cohort < len(median_of),
                             median_of[np.minimum(cohort, len(median_of) - 1)], np.nan) \
                * rules.min_duration_ratio
            block.state[(block.state & _ALIVE).astype(bool) & ~np.isnan(seconds)
                        & (seconds < limit)] &= ~np.uint8(_ALIVE)
    kept = sum(int(np.count_nonzero(block.state & (_ALIVE | _LATE) == _ALIVE))
               for block in held)
    integer = frozenset(
        m.id for m in study.metrics if not np.any(_kept_at(held, np.concatenate(
            gathered.not_whole.get(m.id, [np.zeros(0, np.int64)])))))
    whole = Whole(rows=gathered.rows, kept=kept, dropped=dropped,
                  medians=medians, integer_metrics=integer,
                  coded=frozenset(gathered.coded))
    if len(slim) and kept:
        _weigh_whole(slim[_kept_at(held, slim["_position"].to_numpy(dtype=np.int64))]
                     .reset_index(drop=True), study, whole)
    return whole


def _block_of(held: list[_Held], positions: np.ndarray) -> np.ndarray:
    """The number of the block holding each position among every row."""
    return np.searchsorted([block.offset for block in held], positions, side="right") - 1


def _kept_at(held: list[_Held], positions: np.ndarray) -> np.ndarray:
    """Whether each row at ``positions`` (among every row) is kept, once decided."""
    kept = np.zeros(len(positions), dtype=bool)
    of = _block_of(held, positions)
    for number in np.unique(of):
        mine = of == number
        block = held[number]
        state = block.state[positions[mine] - block.offset]
        kept[mine] = state & (_ALIVE | _LATE) == _ALIVE
    return kept


def _clear(held: list[_Held], positions: np.ndarray, bit: int) -> None:
    """Clear ``bit`` of the rows at ``positions`` (among every row)."""
    of = _block_of(held, positions)
    for number in np.unique(of):
        block = held[number]
        block.state[positions[of == number] - block.offset] &= ~np.uint8(bit)


def _source_rows(held: list[_Held], positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The source (code) and ``source_row`` of the rows at ``positions``."""
    source = np.zeros(len(positions), dtype=np.int64)
    row = np.zeros(len(positions), dtype=np.int64)
    of = _block_of(held, positions)
    for number in np.unique(of):
        mine = of == number
        block = held[number]
        local = positions[mine] - block.offset
        source[mine] = _at(block.source, local)
        row[mine] = _at(block.source_row, local, step=True)
    return source, row


def _repeats(held: list[_Held]) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose key an earlier row has (positions among every row, ascending), and
    the position of the first row with that key, of each.

    The keys are taken a partition of their top bits at a time (equal keys share a
    partition: exact), so that at most about :data:`_PARTITION_ROWS` are held at once;
    within one, the keys whose first half some other key shares (a hash table of 64-bit
    values) are sorted on the whole key and then on the position."""
    keyed = [block for block in held if block.keys is not None and len(block.keys[0])]
    total = sum(len(block.keys[0]) for block in keyed)
    bits = max(0, int(np.ceil(np.log2(total / _PARTITION_ROWS)))) if total else 0
    shift = np.uint64(64 - bits)
    repeated, firsts = [], []
    for part in range(1 << bits):
        pieces = []
        for block in keyed:
            one, two = block.keys
            at = np.flatnonzero(block.state & _CANDIDATE)
            if bits:
                mine = np.flatnonzero((one >> shift) == part)
                one, two, at = one[mine], two[mine], at[mine]
            pieces.append((one, two, block.offset + at))
        if not pieces:
            continue
        one, two, position = (np.concatenate(p) for p in zip(*pieces, strict=True))
        del pieces
        shared = pd.Series(one, copy=False).duplicated(keep=False).to_numpy()
        if not shared.any():
            continue
        one, two, position = one[shared], two[shared], position[shared]
        order = np.lexsort((position, two, one))
        one, two, position = one[order], two[order], position[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (one[1:] != one[:-1]) | (two[1:] != two[:-1])
        first = position[new][np.cumsum(new) - 1]
        repeated.append(position[~new])
        firsts.append(first[~new])
    if not repeated:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    position, first = np.concatenate(repeated), np.concatenate(firsts)
    order = np.argsort(position, kind="stable")
    return position[order], first[order]


def _medians(held: list[_Held]) -> dict[int, float]:
    """The median seconds of each cohort over the rows alive and timed, exactly as
    ``pandas`` gives them (the middle value, or the mean of the middle two), from each
    block's counts of each distinct duration: no array of every row's seconds."""
    counted: dict[int, list] = {}
    for block in held:
        seconds = block.seconds.numbers()
        timed = (block.state & _ALIVE).astype(bool) & ~np.isnan(seconds)
        cohorts = [(block.cohort, timed)] if not isinstance(block.cohort, np.ndarray) else \
            [(number, timed & (block.cohort == number))
             for number in np.unique(block.cohort[timed])]
        for number, rows in cohorts:
            if not rows.any():
                continue
            if block.seconds.codes is not None:  # counted by code: no sort of the rows
                counts = np.bincount(block.seconds.codes[rows],
                                     minlength=len(block.seconds.values))
                some = np.flatnonzero(counts)
                counted.setdefault(int(number), []).append(
                    (block.seconds.values[some], counts[some]))
            else:
                counted.setdefault(int(number), []).append(
                    np.unique(seconds[rows], return_counts=True))
    medians = {}
    for number, pieces in counted.items():
        values, inverse = np.unique(np.concatenate([v for v, _ in pieces]),
                                    return_inverse=True)
        counts = np.bincount(inverse.reshape(-1), weights=np.concatenate(
            [c for _, c in pieces])).astype(np.int64)
        below = np.cumsum(counts)  # values at or below each
        size = int(below[-1])
        low = values[np.searchsorted(below, (size - 1) // 2, side="right")]
        high = values[np.searchsorted(below, size // 2, side="right")]
        medians[number] = float((low + high) / 2 if size % 2 == 0 else low)
    return medians


def _slim_frame(gathered: _Pass, study: Study) -> pd.DataFrame:
    """The rows weighting reads, of every block, one frame (``attrs`` of the exports)."""
    if not gathered.slim:
        return pd.DataFrame({"_position": np.zeros(0, np.int64)})
    frame = pd.concat(gathered.slim, ignore_index=True, sort=False)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object)
    frame.attrs = gathered.attrs
    return frame


def _weigh_whole(rows: pd.DataFrame, study: Study, whole: Whole) -> None:
    """Sheet sizes and raking over every kept row they read (``rows``), into ``whole``."""
    kept = pd.Series(True, index=rows.index)
    responses = pd.DataFrame({
        "group": pd.Categorical(rows["group"], categories=list(study.groups)),
        "weight": np.ones(len(rows))})
    waves = {s.name: s.wave for s in study.sources if s.wave is not None}
    if waves:
        responses["wave"] = rows["source"].map(waves).astype("string")
    _apply_sheet_sizes(rows, kept, responses, study)
    if study.weights:
        whole.weighting_by_wave = _apply_weights(rows, kept, responses, study)
    whole.weights = pd.Series(responses["weight"].to_numpy(),
                              index=rows["_position"].to_numpy())

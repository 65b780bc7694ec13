"""Readers for survey exports as they arrive: CSV, Excel, Qualtrics, SurveyMonkey, SPSS
and Google Forms.

Every reader returns a :class:`pandas.DataFrame` with one row per response, unique
column names, blanks as missing, and metadata in ``df.attrs``:

``format``
    The format read (``csv``, ``xlsx``, ``qualtrics``, ``surveymonkey``, ``spss``,
    ``google_forms``).
``questions``
    Column -> question text (Qualtrics' second header row, SurveyMonkey's two
    header rows, SPSS variable labels), for reports.
``path``, ``encoding``, ``delimiter``, ``header_rows``, ``variant``
    How the file was read.

Files are only ever opened for reading.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from ._spill import STR as _STR
from ._spill import Spill, read_ahead
from ._spill import batches as spilled_batches
from .exceptions import ReadError
from .formats import FORMATS, PLAIN, Format, clean_text, detect_layout, of_suffix
from .limits import RATIO_FROM_BYTES, Limits, limits, not_a_file

_DELIMITERS = [",", ";", "\t", "|"]

BLOCK_ROWS = 250_000
"""Rows of a block of :func:`iter_sources` unless asked otherwise."""

_ARROW_BLOCK_BYTES = 4 << 20  # text Arrow's streaming reader parses at a time
_SCAN_BYTES = 16 << 20         # bytes looked at at a time before streaming


# ---------------------------------------------------------------------------
# public


class SharedInfo(dict):
    """Metadata kept in ``DataFrame.attrs``. pandas deep-copies ``attrs`` on every
    operation; this read-only-by-convention dict is shared instead of copied."""

    def __deepcopy__(self, memo: dict) -> SharedInfo:
        return self


def read_export(
    path: str | Path,
    format: str | None = None,
    *,
    sheet: str | int | None = None,
    categories: Collection[str] = (),
) -> pd.DataFrame:
    """Read one survey export, detecting its format when not given.

    Parameters
    ----------
    path : str or Path
        The export. It is opened read-only and never modified.
    format : {'csv', 'xlsx', 'qualtrics', 'surveymonkey', 'spss', 'google_forms'}, optional
        Detected from the extension and the header rows when omitted.
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the first sheet).
    categories : collection of str, optional
        Columns of answer labels to keep as pandas categoricals where a text export holds
        them as such (each distinct label once; a million rows of "Agree" hold it once).

    Returns
    -------
    pandas.DataFrame
        One row per response; metadata (question texts, format) in ``.attrs``.

    Raises
    ------
    ReadError
        Naming the file, what was tried, and what to do; also for a path that is not a
        regular file and for a file beyond the limits of :mod:`cxstudy.limits`.
    CxStudyError
        A ``CXSTUDY_MAX_...`` environment variable that is not a whole number above 0.

    Examples
    --------
    >>> import cxstudy as cx
    >>> df = cx.read_export("data/raw/example/customers_qualtrics.csv")  # doctest: +SKIP
    >>> df.attrs["format"], df.attrs["questions"]["Q1_1"].split(" - ")[-1]  # doctest: +SKIP
    ('qualtrics', 'Larkfield delivers an excellent customer experience')
    """
    path = Path(path)
    route, given = _route(path, format)
    if route == "spss":
        return _read_spss(path)
    if route == "xlsx":
        return _frame_from_grid(_excel_grid(path, sheet), path, given=given, container="xlsx")
    grid, info = _text_grid(path)
    return _frame_from_grid(grid, path, given=given, container="csv", info=info,
                            categories=categories)


def _route(path: Path, format: str | None) -> tuple[str, Format | None]:
    """How an export is read: ``"spss"``, ``"xlsx"`` or ``"text"``, and the format given
    (None: detected from its header rows). Refuses what is no export file."""
    try:
        path.stat()
    except FileNotFoundError:
        raise ReadError(path, "file not found; check the path in the study file (relative "
                        "paths start from the study file's folder)") from None
    except OSError as exc:  # a name too long, a folder that cannot be entered, ...
        raise ReadError(path, f"cannot be looked at ({exc.strerror or exc}); rename or move "
                        "the export to a shorter, readable path and update the study "
                        "file") from None
    kind = not_a_file(path)  # looked at, never opened: a named pipe would wait for ever
    if kind == "a folder":
        raise ReadError(path, "is a folder, not an export file")
    if kind is not None:
        raise ReadError(path, f"is {kind}, not an export file; give the path of the export "
                        "file itself (cxstudy reads only regular files)")
    suffix = path.suffix.lower()
    if format is None:
        said = of_suffix(suffix)
        if suffix == ".xls":
            raise ReadError(path, "old Excel .xls files are not read; open it in Excel and "
                            "save it as .xlsx, or export CSV")
        if said is not None and said.container == "spss":
            return "spss", None
        if said is not None and said.container == "xlsx":
            return "xlsx", None
        if said is not None or not _looks_binary(path):
            return "text", None
        texts = ", ".join(f.name for f in FORMATS.values() if "text" in f.container)
        raise ReadError(path, f"could not tell the format of this {suffix} file: tried "
                        "spss (.sav), xlsx (.xlsx) and the text formats "
                        f"({texts}) — it is binary and not one of "
                        "them; export it as CSV, or set format: in the study file")
    given = FORMATS.get(format)
    if given is None:
        raise ReadError(path, f"unknown format {format!r}; use one of "
                        f"{', '.join(FORMATS)}")
    if given.container == "spss":
        return "spss", given
    if suffix in FORMATS["xlsx"].suffixes or given.container == "xlsx":
        return "xlsx", given
    return "text", given


def read_sources(study) -> pd.DataFrame:
    """Read every source of a study into one frame: the blocks of :func:`iter_sources`,
    one under the other.

    Each row keeps its export's columns plus ``source`` (the source's name),
    ``source_row`` (1-based position among the export's responses, after its
    header rows) and ``group`` (the audience, or ``<NA>`` when a ``group_column``
    value is blank or not one of the study's groups; the value itself is kept in
    ``group_value``).

    ``attrs["sources"]`` describes each source: path, format, rows, its own columns
    and question texts.

    The columns the study maps to items and metrics are categorical where the exports
    hold them as text: each answer label is held once, whatever the number of rows.

    Parameters
    ----------
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``sources`` (each export's path,
        format, sheet and audience) and ``groups``.

    Returns
    -------
    pandas.DataFrame
        Every row of every source, one under the other in the study's order of
        sources: the exports' columns (the union; absent ones empty) with ``source``,
        ``source_row``, ``group`` and ``group_value``; ``attrs["sources"]`` describes
        each source. The input of :func:`~cxstudy.clean`.

    Raises
    ------
    ReadError
        One source could not be read.
    StudyFileError
        Several could not; every one is listed.

    Examples
    --------
    >>> import cxstudy as cx
    >>> raw = cx.read_sources(cx.load_study("studies/example.yml"))  # doctest: +SKIP
    >>> raw.groupby("source", observed=True).size()  # doctest: +SKIP
    """
    raw, failures = read_readable(study)
    _refuse_failures(study, failures)
    return raw


def iter_sources(study, *, block_rows: int = BLOCK_ROWS) -> Iterator[pd.DataFrame]:
    """Read every source of a study in blocks of rows, with memory bounded by the block.

    Each block holds up to ``block_rows`` consecutive rows of ONE export, in the order of
    the study's sources and, within one, of the export's rows. A block is those rows of
    :func:`read_sources` exactly: the same columns in the same order (the union of every
    export's; those its export lacks empty), the same dtypes (categorical columns on the
    same categories, numbers where the whole column is numbers), the same ``source``,
    ``source_row`` (the row's position among its export's responses, counted across
    blocks), ``group`` and ``group_value``; its index runs from 0 and
    ``attrs["sources"]`` describes every source, as in :func:`read_sources`, whose rows
    are these blocks one under the other.

    Every export is read twice. The first pass reads the header once (Qualtrics' three
    rows, SurveyMonkey's two, the study's renames, the detected format) and streams the
    rows through Arrow's streaming CSV reader to learn what the whole of each column is
    (numbers or text; the answer labels of the columns the study maps, in the order first
    held; the audiences of a ``group_column``): a block alone could look otherwise (a
    column that is numbers in one block and holds "n/a" in another is text throughout).
    It works once per distinct text of each of Arrow's batches, in Arrow, and checks the
    bytes as Arrow reads them (a NUL byte, a carriage return alone, a quote never closed
    send the export to the careful path below): each byte is read once. Every error of
    every source (a malformed row deep in a large export, named by its line) is raised
    by this first pass, before any block is given, so that a consumer writes nothing.
    The second pass, as blocks are asked for, streams the rows again and shapes each
    block as the first pass decided, each column from the batches' dictionaries (each
    distinct text of a batch tidied once). Memory: Arrow's read blocks (4 MB of text, a
    few in flight), one block of rows, and per column what the first pass keeps (a kind,
    and for answer-label columns their distinct labels). An answer longer than
    4 MB makes its export one to read whole.

    Exports that cannot be streamed are read whole and then cut into blocks: workbooks
    (.xlsx), SPSS files, and the text exports that take the careful path
    (UTF-16 or Windows cp1252 text, a carriage return alone inside an answer, a NUL byte,
    a quoted answer never closed, records Arrow cannot split). Those are held whole from
    the first pass until their blocks are given.

    Parameters
    ----------
    study : Study
        The study (:func:`~cxstudy.load_study`).
    block_rows : int, default BLOCK_ROWS
        Most rows of a block (at least 1).

    Returns
    -------
    iterator of pandas.DataFrame
        The blocks, as described above; the first pass has run when this returns.

    Raises
    ------
    ReadError
        One source could not be read (raised by this call, not by the iterator).
    StudyFileError
        Several could not; every one is listed.
    ValueError
        ``block_rows`` below 1.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> sum(len(block) for block in cx.iter_sources(study, block_rows=1000))  # doctest: +SKIP
    """
    return plan_sources(study).blocks(block_rows)


@dataclass
class PlannedSources:
    """Every source of a study once its first pass is done (:func:`plan_sources`): its
    blocks can be given more than once (a run reads them twice) without a second first
    pass."""

    plans: list
    labels: set[str]

    def close(self) -> None:
        """Remove the copies of the exports' cells kept for the later passes (``spill=``
        of :func:`plan_sources`); their blocks are then streamed from the exports again.
        """
        for plan in self.plans:
            if plan.stream is not None and plan.stream.spill is not None:
                plan.stream.spill.unlink(missing_ok=True)
                plan.stream.spill = None

    def blocks(self, block_rows: int = BLOCK_ROWS, *, again: bool = False
               ) -> Iterator[pd.DataFrame]:
        """The blocks of :func:`iter_sources`; ``again``: the exports read whole are kept
        for another pass (by default each is let go once its blocks are given)."""
        if int(block_rows) < 1:
            raise ValueError(f"block_rows must be at least 1, not {block_rows!r}")
        return _blocks(self.plans, int(block_rows), self.labels, keep=again)


def plan_sources(study, *, spill: Path | None = None) -> PlannedSources:
    """The first pass of :func:`iter_sources` over every source (what each column of each
    export is; every error raised here, before any block).

    Parameters
    ----------
    study : Study
        The study (:func:`~cxstudy.load_study`).
    spill : Path, optional
        A folder to keep each streamed export's cells in as the first pass parses them
        (Arrow's IPC stream format: each batch's distinct texts once and a 4-byte code a
        cell, about a third of the example's export), so that the blocks are read from
        that copy instead of parsed again: reading it back takes about 2% of parsing the
        text. The copies are removed by :meth:`PlannedSources.close` (and with the
        folder). None: the blocks stream the exports again.

    Returns
    -------
    PlannedSources
        Whose :meth:`PlannedSources.blocks` give the blocks, as often as asked.
    """
    plans, failures = _planned(study, spill)
    _refuse_failures(study, failures)
    return PlannedSources(plans, _labels(study))


def _refuse_failures(study, failures: list[tuple[str, ReadError]]) -> None:
    from .exceptions import Problem, StudyFileError

    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        raise StudyFileError(study.path, [Problem(str(exc.path), exc.reason, "")
                                          for _name, exc in failures])


def read_readable(study) -> tuple[pd.DataFrame, list[tuple[str, ReadError]]]:
    """Every source of a study that can be read, as :func:`read_sources` stacks them, and
    (source name, error) for each that cannot: ``cxstudy validate`` checks the exports it
    can read while one is missing."""
    plans, failures = _planned(study)
    blocks = list(_blocks(plans, BLOCK_ROWS, _labels(study)))
    raw = pd.concat(blocks, ignore_index=True, sort=False) if blocks else pd.DataFrame()
    raw.attrs = {"sources": SharedInfo({plan.source.name: plan.info for plan in plans})}
    return raw, failures


def _missing_text_shared(frames: list[pd.DataFrame], text: dict[str, pd.Series] | None = None
                         ) -> list[pd.DataFrame]:
    """The frames with each text column that some exports lack given to those as empty
    text, every such column of one export sharing one empty Arrow array: stacked, the
    columns of a small workbook (names, open answers asked of staff only) cost the rows
    of a million-row export nothing, not eight bytes a row each. (Left to ``concat``,
    each missing column would be an empty text of its own.) ``text``: the text columns
    of every frame stacked (:func:`_text_columns`), where ``frames`` are some of them."""
    import pyarrow as pa

    text = _text_columns(frames) if text is None else text
    empty: dict[tuple[int, Any], Any] = {}  # (rows, Arrow type) -> one empty array
    filled = []
    for frame in frames:
        missing = {}
        for name, held in text.items():
            if name in frame.columns:
                continue
            kind = held.array.__arrow_array__().type
            if (len(frame), kind) not in empty:
                empty[len(frame), kind] = pa.chunked_array([pa.nulls(len(frame), kind)])
            missing[name] = pd.Series(pd.arrays.ArrowStringArray(
                empty[len(frame), kind], dtype=held.dtype), index=frame.index)
        filled.append(frame.assign(**missing) if missing else frame)
    return filled


def _text_columns(frames: list[pd.DataFrame]) -> dict[str, pd.Series]:
    """Name -> a column holding it as Arrow text, over the frames."""
    return {name: frame[name] for frame in frames for name, dtype in frame.dtypes.items()
            if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"}


def _same_categories(frames: list[pd.DataFrame], labels: Collection[str] = ()
                     ) -> list[pd.DataFrame]:
    """The frames with each categorical column on one set of categories (their union, in
    the order first held), so that they stack as categories. Where another export holds
    the column as text, that becomes categorical too; where as anything else (numbers,
    Excel's mixed cells), the categories become text again, as the column would be.

    A column of ``labels`` that only some exports hold as text (a workbook's answer
    labels) becomes categorical too: the rows of the other exports then cost a byte each,
    not the eight of an empty text."""
    unions = _category_unions(frames, labels)
    return [_on_categories(frame, unions) for frame in frames]


def _category_unions(frames: list[pd.DataFrame], labels: Collection[str] = ()
                     ) -> dict[str, pd.Index | None]:
    """Column -> the categories it takes stacked (see :func:`_same_categories`), or None
    where its categories become text again."""
    names = dict.fromkeys(name for frame in frames for name, dtype in frame.dtypes.items()
                          if isinstance(dtype, pd.CategoricalDtype)
                          or (name in labels and isinstance(dtype, pd.StringDtype)))
    unions: dict[str, pd.Index | None] = {}
    for name in names:
        held = [frame[name] for frame in frames if name in frame.columns]
        if all(isinstance(c.dtype, pd.CategoricalDtype | pd.StringDtype) for c in held):
            unions[name] = pd.Index(pd.unique(np.concatenate([
                (c.cat.categories if isinstance(c.dtype, pd.CategoricalDtype)
                 else pd.Index(c.dropna().unique())).to_numpy(dtype=object) for c in held])),
                dtype="str")
        else:
            unions[name] = None
    return unions


def _on_categories(frame: pd.DataFrame, unions: dict[str, pd.Index | None]) -> pd.DataFrame:
    """One frame as :func:`_same_categories` makes it, given the unions."""
    changed = {}
    for name, union in unions.items():
        if name not in frame.columns:
            continue
        if union is not None:
            changed[name] = pd.Categorical(frame[name], categories=union)
        elif isinstance(frame.dtypes[name], pd.CategoricalDtype):
            changed[name] = frame[name].astype("str")
    return frame.assign(**changed) if changed else frame


def read_source(source, groups: Iterable[str], categories: Collection[str] = ()
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one study source whole; add ``source``, ``source_row``, ``group``,
    ``group_value``. ``categories``: see :func:`read_export`."""
    frame = read_export(source.path, source.format, sheet=source.sheet, categories=categories)
    if frame.empty:
        raise ReadError(source.path, _NO_RESPONSES)
    names, info = _prepared(frame, source)
    info["rows"] = len(frame)
    return _bookkeeping(frame.rename(columns=names), source, groups, first_row=1), info


_NO_RESPONSES = ("no responses: the export has its header but no rows; export it again "
                 "once answers have come in, or leave it out of sources")
_RESERVED = ("source", "source_row", "group", "group_value")


def _prepared(frame: pd.DataFrame, source) -> tuple[dict[str, str], dict[str, Any]]:
    """(export column -> name in the read rows: the study's renames, then the names the
    readers add moved aside to ``<name>_original``; the source's description) from an
    export's columns and ``attrs`` (any rows of it)."""
    renamed, renames = _renamed(frame, source.rename or {})
    columns = list(renamed.columns)
    if source.group is None and source.group_column not in columns:
        raise ReadError(source.path, f"group_column {source.group_column!r} is not a "
                        "column of this export" + nearest(source.group_column, columns,
                                                         questions=renamed.attrs.get(
                                                             "questions")))
    moved = {name: f"{name}_original" for name in _RESERVED
             if name in columns and name != source.group_column}
    applied = renames.get("renamed", {})
    names = {}
    for old in frame.columns:
        new = applied.get(old, old)
        new = moved.get(new, new)
        if new != old:
            names[old] = new
    info = {
        "path": str(source.path),
        "format": frame.attrs.get("format"),
        "rows": len(frame),
        "columns": columns,
        "repeated": repeated_headers(columns),
        "questions": renamed.attrs.get("questions", {}),
        **renames,
    }
    return names, info


def _audiences(frame: pd.DataFrame, source, groups: Iterable[str]
               ) -> tuple[pd.Series, pd.Series]:
    """(``group``, ``group_value``) of rows (renamed as :func:`_prepared` says), as
    objects."""
    if source.group is not None:
        group = pd.Series(source.group, index=frame.index, dtype="object")
        return group, group
    group_value = frame[source.group_column].map(category_text).astype("object")
    if source.group_map:
        mapping = {category_text(raw): target for raw, target in source.group_map.items()
                   if raw != ""}
        blank = source.group_map.get("") or pd.NA  # "": AUDIENCE maps blank values
    else:
        mapping, blank = {g: g for g in groups}, pd.NA
    group = group_value.map(lambda v: mapping.get(v, pd.NA) if isinstance(v, str)
                            else blank).astype("object")
    return group, group_value


def _bookkeeping(frame: pd.DataFrame, source, groups: Iterable[str], *, first_row: int,
                 audiences: tuple[pd.Index, pd.Index] | None = None) -> pd.DataFrame:
    """Rows of one export (renamed) with ``source``, ``source_row`` (from ``first_row``),
    ``group`` and ``group_value`` in front; ``audiences``: the categories of the last two
    in the whole export (default: those the rows hold)."""
    group, group_value = _audiences(frame, source, groups)
    if audiences is None:  # the audience and the export of each row, as categories
        group, group_value = group.astype("category"), group_value.astype("category")
    else:
        group = pd.Series(pd.Categorical(group, categories=audiences[0]), index=frame.index)
        group_value = pd.Series(pd.Categorical(group_value, categories=audiences[1]),
                                index=frame.index)
    frame = frame.copy(deep=False)
    frame.insert(0, "group_value", group_value)
    frame.insert(0, "group", group)
    frame.insert(0, "source_row", np.arange(first_row, first_row + len(frame), dtype=np.int64))
    frame.insert(0, "source", pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8),
                                                        categories=[source.name]))
    frame.attrs = {}
    return frame


def _renamed(frame: pd.DataFrame, rename: dict[str, str]
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A source's ``rename:`` applied to its export as read (the file is untouched), and
    what came of it: ``renamed`` (old -> new, applied), ``rename_absent`` (old header ->
    the nearest headers the export has) and ``rename_clash`` (old -> a new name the export
    already has for another column: not applied)."""
    if not rename:
        return frame, {}
    headers = list(frame.columns)
    questions = frame.attrs.get("questions", {})
    present = set(headers)
    applied, absent, clash = {}, {}, {}
    for old, new in rename.items():
        if old not in present:
            absent[old] = nearest(old, headers, questions=questions)
        elif new in present and new not in rename:
            clash[old] = new
        else:
            applied[old] = new
    if applied:
        attrs = frame.attrs
        frame = frame.rename(columns=applied)
        frame.attrs = {**attrs, "questions": SharedInfo(
            {applied.get(name, name): text for name, text in questions.items()})}
    return frame, {"renamed": applied, "rename_absent": absent, "rename_clash": clash}


_WORDS = re.compile(r"[^\W_]{3,}")


def nearest(name: str, columns: Iterable[str], n: int = 3, *,
            questions: dict[str, str] | None = None, meaning: str = "") -> str:
    """``'; nearest: "A", "B"'`` — the closest column names, for error messages.

    Where an export names its columns by code (Qualtrics' ``Q12``) and gives each a
    question text (``questions``: column -> text), columns whose question text is close to
    ``name`` or shares its words (or the words of ``meaning``: the item's text, the
    segment's label) are suggested too, with their question.
    """
    import difflib

    columns = [str(c) for c in columns]
    lowered = {c.lower(): c for c in columns}
    wanted = str(name).lower()
    close = [lowered[c] for c in difflib.get_close_matches(wanted, list(lowered), n=n,
                                                           cutoff=0.5)]
    if not close:
        close = [lowered[c] for c in lowered if wanted in c][:n]
    by_text = _by_question(wanted, meaning, columns, questions or {}, n)
    by_text = [c for c in by_text if c not in close]
    if not close and not by_text:
        return f"; it has {len(columns)} columns, e.g. " + ", ".join(
            f'"{c}"' for c in columns[:5])
    shown = [f'"{c}"' for c in close] + [
        f'"{c}" ("{_short(str(questions[c]))}")' for c in by_text]  # type: ignore[index]
    return "; nearest: " + ", ".join(shown)


def _by_question(wanted: str, meaning: str, columns: list[str], questions: dict[str, str],
                 n: int) -> list[str]:
    """Columns whose question text (not just their name again) is close to ``wanted`` or
    shares the most words with it and with ``meaning``, best first."""
    import difflib

    texts = {str(questions[c]).lower(): c for c in columns
             if questions.get(c) and str(questions[c]) != c}
    if not texts:
        return []
    found = [texts[t] for t in difflib.get_close_matches(wanted, list(texts), n=n,
                                                         cutoff=0.6)]
    words = set(_WORDS.findall(f"{wanted} {meaning}".lower())) - _COMMON
    if words:
        shared = {column: len(words & set(_WORDS.findall(text))) for text, column in
                  texts.items()}
        best = sorted((c for c in shared if shared[c]), key=lambda c: -shared[c])
        top = shared[best[0]] if best else 0
        found += [c for c in best if shared[c] == top and shared[c] >= min(2, len(words))]
    return list(dict.fromkeys(found))[:n]


_COMMON = {"the", "and", "you", "your", "are", "how", "what", "with", "for", "this", "that",
           "our", "have", "has", "was", "were", "would", "each", "about", "from", "not"}


def _short(text: str, most: int = 70) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


# ---------------------------------------------------------------------------
# getting a grid of cells


def _looks_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(path, "the file is empty; export the survey again")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise ReadError(path, "this is a binary file, not a text export; tried csv, qualtrics, "
                        "surveymonkey and google_forms. Export the survey as CSV or name its "
                        "format in the study file")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ReadError(path, "a NUL byte in the text: the file is damaged or not a text "
                        "export; export the survey again", row=line)
    if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 with a BOM (a NUL byte refused all the same)
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(data):  # UTF-8 elsewhere: one part in another encoding
            line = data.count(b"\n", 0, exc.start) + 1
            raise ReadError(path, f"the file mixes text encodings: this line is not UTF-8 "
                            f"(byte {exc.start}) while the rest is; re-export the file as "
                            "UTF-8, or fix that line", row=line) from None
        # Excel's "CSV" on Windows: cp1252. Latin-1 would accept anything; cp1252 leaves
        # five bytes undefined, so a failure here means a genuinely unknown encoding.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise ReadError(path, "text encoding not recognised (tried UTF-8, UTF-16 and "
                            f"Windows cp1252; byte {exc.start}); save it as UTF-8 CSV") from None


_LONE_CR = re.compile(rb"\r(?!\n)")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _line_breaks(text: str) -> str:
    """Lines end in LF: CRLF (Windows) and CR alone (old Mac files) become LF; in a file
    with LF line ends, a carriage return alone is a character of its answer (it makes no
    new respondent)."""
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    return text.replace("\r\n", "\n")


def _refuse_short_rows(path: Path, text: str, delimiter: str, width: int) -> None:
    """A record with fewer fields than the header (a cut-off export) is an error naming
    the line where it starts, not a row quietly padded with blanks."""
    _refuse_malformed(io.StringIO(text.replace("\r", " "), newline=""), path, delimiter,
                      width)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header record into the most fields (ties: comma)."""
    best, best_fields = ",", 1
    for delimiter in _DELIMITERS:  # one record each, quotes honoured
        try:
            record = next(csv.reader(io.StringIO(text[:200_000], newline=""),
                                     delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(record) > best_fields:
            best, best_fields = delimiter, len(record)
    return best


def _text_grid(path: Path) -> tuple[pd.DataFrame, dict]:
    """Every cell of a text export as text (header rows included), and how it was read.

    A UTF-8 file with one line end throughout is parsed by Arrow's multi-threaded CSV
    reader straight from its bytes, into Arrow-backed columns; any other file (another
    encoding, a carriage return inside an answer, a ragged or damaged table) takes the
    careful path, which reads it as the Arrow path would and names what is wrong."""
    _refuse_huge_header(path)
    read = _arrow_grid(path.read_bytes())
    return read if read is not None else _careful_grid(path)


def _refuse_huge_header(path: Path) -> None:
    """Refuse, from its first line alone and before any parser sees it, a text export whose
    header is longer than :attr:`Limits.header_bytes` or has more than
    :attr:`Limits.columns` columns: an 80 MB header crashed a run after minutes, a
    million columns ran it out of memory."""
    limit = limits()
    with path.open("rb") as handle:
        head = handle.read(limit.header_bytes + 1)
    text = (head.decode("utf-16", errors="ignore") if head.startswith((b"\xff\xfe", b"\xfe\xff"))
            else head.decode("latin-1"))  # delimiters, quotes and line ends are ASCII
    ended, fields = _header_fields(text)
    if not ended and len(head) > limit.header_bytes:
        raise ReadError(path, f"the header (the first line) is longer than "
                        f"{limit.header_bytes:,} bytes, far more than column names take: this "
                        "may not be a survey export, or its line ends are lost. Check the "
                        "file; if its header really is that long, set "
                        f"{Limits.variable('header_bytes')} to more bytes and run again",
                        row=1)
    delimiter, width = max(fields.items(), key=lambda item: item[1])
    if width > limit.columns:
        raise ReadError(path, f"the header has {width:,} columns (split at {delimiter!r}), more "
                        f"than the {limit.columns:,} cxstudy reads; export only the questions "
                        "the study needs, or, if the export really has that many, set "
                        f"{Limits.variable('columns')}={width} and run again", row=1)


def _header_fields(text: str) -> tuple[bool, dict[str, int]]:
    """Whether the first record of ``text`` ends in it (a line end outside quotes), and
    the fields it splits into at each delimiter (quoted text is no delimiter)."""
    fields = dict.fromkeys(_DELIMITERS, 1)
    for position, part in enumerate(text.split('"')):
        if position % 2:  # inside quotes ("" inside quotes: an empty part outside)
            continue
        ends = [at for at in (part.find("\n"), part.find("\r")) if at >= 0]
        part = part[:min(ends)] if ends else part
        for delimiter in fields:
            fields[delimiter] += part.count(delimiter)
        if ends:
            return True, fields
    return False, fields


def _careful_grid(path: Path) -> tuple[pd.DataFrame, dict]:
    """The grid of any text export through Python's decoders, the pandas parser and the
    csv module: slower, and says where a file is wrong."""
    text, encoding = _decode(path)
    text = _line_breaks(text)
    delimiter = _sniff_delimiter(text)
    try:
        grid = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str,
                           keep_default_na=False, na_filter=False, skip_blank_lines=True,
                           engine="c", lineterminator="\n")
    except pd.errors.ParserError as exc:
        message = str(exc)
        unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
        if unclosed:
            raise ReadError(path, "a quoted answer is never closed: the file ends inside it, "
                            "so the export may be cut off; export it again",
                            row=int(unclosed.group(1)) + 1) from None
        if "fields in line" in message:  # name the line of the file, not pandas' count
            lines = text.replace("\r", " ")  # of records, where answers hold line breaks
            width = len(next(csv.reader(io.StringIO(lines, newline=""), delimiter=delimiter)))
            try:
                _refuse_malformed(io.StringIO(lines, newline=""), path, delimiter, width)
            except ReadError as named:
                raise named from None
        match = re.search(r"line (\d+), saw (\d+)", message)
        detail = (f"line {match.group(1)} has {match.group(2)} fields, more than the header"
                  if match else message.strip().splitlines()[-1])
        raise ReadError(path, f"the table is ragged: {detail}. Check for an unquoted "
                        f"{delimiter!r} inside an answer, or re-export the file") from None
    except pd.errors.EmptyDataError:
        raise ReadError(path, "no rows found; export the survey again") from None
    _refuse_short_rows(path, text, delimiter, grid.shape[1])
    return grid, {"encoding": encoding, "delimiter": delimiter}


def _arrow_grid(data: bytes) -> tuple[pd.DataFrame, dict] | None:
    """The grid of a clean UTF-8 text export read by pyarrow and how it was read, or None
    when the file needs the careful path (see :func:`_text_grid`)."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    bom = data.startswith(b"\xef\xbb\xbf")
    body = memoryview(data)[3:] if bom else memoryview(data)
    if (not body or data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data
            or _LONE_CR.search(data) or bytes(body[:4096]).isspace()
            or data.count(b'"') % 2):  # a quote left open: a cut-off file
        return None
    head = bytes(body[:200_000]).decode("utf-8", errors="ignore")
    delimiter = _sniff_delimiter(head.replace("\r\n", "\n"))
    try:
        width = len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)))
        table = arrow_csv.read_csv(
            pa.py_buffer(body),
            read_options=arrow_csv.ReadOptions(autogenerate_column_names=True,
                                               block_size=16 << 20),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=True),
            convert_options=arrow_csv.ConvertOptions(  # each distinct answer kept once
                column_types={f"f{i}": pa.dictionary(pa.int32(), pa.string())
                              for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, csv.Error, StopIteration):  # ragged, not UTF-8, a long header
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    if b"\r" in data:  # a line break inside a quoted answer reads as LF, as on the careful path
        table = pa.table([_lf_line_breaks(column) for column in table.columns],
                         names=table.column_names)
    grid = table.to_pandas()
    grid.columns = range(width)
    return grid, {"encoding": "utf-8-sig" if bom else "utf-8", "delimiter": delimiter}


def _lf_line_breaks(column):
    import pyarrow as pa
    import pyarrow.compute as pc

    if not any(pc.any(pc.match_substring(chunk.dictionary, "\r")).as_py()
               for chunk in column.chunks):  # the distinct answers: few, and read once
        return column
    # two answers may become one ("a\r\nb", "a\nb"): encode the replaced text afresh
    return pc.dictionary_encode(pc.replace_substring(column.cast(pa.string()), "\r\n", "\n"))


def _excel_grid(path: Path, sheet: str | int | None) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(path) as archive:
            _refuse_zip_bomb(path, archive.infolist())
            _refuse_uncalculated(path, archive, sheet if sheet is not None else 0)
        return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None,
                             dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, OSError, KeyError, ParseError, EOFError, zlib.error,
            NotImplementedError) as exc:  # KeyError: a zip, no workbook; the others: damaged
        raise ReadError(path, f"not a readable .xlsx workbook ({exc}); open it in Excel and "
                        "save it again as .xlsx") from None
    except (ValueError, IndexError) as exc:
        sheets = _sheet_names(path)
        raise ReadError(path, f"sheet {sheet!r} not found ({exc}); its sheets are: "
                        + ", ".join(repr(s) for s in sheets)) from None


def _refuse_zip_bomb(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse, from the zip's directory and before anything is inflated, a workbook whose
    parts inflate to more than :attr:`Limits.workbook_bytes`, or with a part over 10 MB
    inflating more than :attr:`Limits.compression_ratio` times (a few MB that inflate to
    gigabytes of XML took all memory). zipfile never inflates a part past the size its
    directory gives, so the directory bounds what reading takes."""
    limit = limits()
    total = sum(part.file_size for part in parts)
    largest = max(parts, key=lambda part: part.file_size, default=None)
    if largest is not None and total > limit.workbook_bytes:
        raise ReadError(path, f"the workbook's parts inflate to {total:,} bytes, more than "
                        f"the {limit.workbook_bytes:,} cxstudy reads (the largest, "
                        f"{largest.filename}: {largest.file_size:,} bytes from "
                        f"{largest.compress_size:,}); export the survey as CSV, or, if the "
                        f"workbook really is that large, set "
                        f"{Limits.variable('workbook_bytes')} to more bytes and run again")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and ratio > limit.compression_ratio:
            raise ReadError(path, f"part {part.filename} inflates {ratio:,.0f} times "
                            f"({part.compress_size:,} bytes to {part.file_size:,}), where a "
                            f"real sheet inflates 5 to 20 times (at most "
                            f"{limit.compression_ratio} are read): this looks like a zip bomb, "
                            "not a workbook saved by a spreadsheet program. Check where the "
                            "file came from and export the survey as CSV, or, if it is "
                            f"genuine, set {Limits.variable('compression_ratio')} higher and "
                            "run again")


_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")  # <f>, <f t="shared" .../>, <x:f>


def _refuse_uncalculated(path: Path, archive: zipfile.ZipFile, sheet: str | int) -> None:
    """Refuse a sheet with cells holding a formula but no saved value (written by a program
    that does not calculate): openpyxl reads them as blanks, i.e. as missing answers. A
    sheet without formulas (every survey export) costs one scan of its XML for ``<f``."""
    name, part = _sheet_part(archive, sheet)
    if part is None or not _holds_formula(archive, part):
        return  # no such sheet: pandas says so, naming the sheets
    cells = _cells_without_values(archive, part)
    if cells:
        shown = ", ".join(cells[:5]) + (", …" if len(cells) > 5 else "")
        raise ReadError(path, f"sheet {name!r}: {len(cells):,} cell(s) hold a formula with no "
                        f"saved value ({shown}), so they would read as missing answers: the "
                        "program that wrote the file did not calculate them. Open the file in "
                        "a spreadsheet program (Excel, LibreOffice) and save it, so that it "
                        "stores the formulas' values, then run again")


def _holds_formula(archive: zipfile.ZipFile, part: str) -> bool:
    with archive.open(part) as stream:
        tail = b""
        while chunk := stream.read(1 << 20):
            if _FORMULA.search(tail + chunk[:64]) or _FORMULA.search(chunk):
                return True
            tail = chunk[-64:]
    return False


def _cells_without_values(archive: zipfile.ZipFile, part: str) -> list[str]:
    """The cells of a sheet's XML holding a formula (``<f>``) without a value: no ``<v>``,
    or an empty one where the result is not text (``t="str"``: an empty text is a value)."""
    from xml.etree.ElementTree import iterparse

    cells = []
    with archive.open(part) as stream:
        for _event, element in iterparse(stream):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "c":
                children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                value = children.get("v")
                if "f" in children and (value is None or (
                        not value.text and element.get("t") not in ("str", "inlineStr"))):
                    cells.append(element.get("r") or "?")
            elif tag == "row":
                element.clear()  # a row read is a row let go
    return cells


def _sheet_part(archive: zipfile.ZipFile, sheet: str | int) -> tuple[str | None, str | None]:
    """(name, zip member) of a worksheet given as pandas takes it (a name, or a position
    among the worksheets); (None, None) when there is no such sheet."""
    import posixpath
    from xml.etree.ElementTree import fromstring

    def relations(rels: str) -> dict[str, tuple[str, str]]:  # id -> (member, type)
        base = posixpath.dirname(posixpath.dirname(rels))
        found = {}
        for element in fromstring(archive.read(rels)):
            target = element.get("Target", "")
            member = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(base, target)))
            found[element.get("Id")] = (member, element.get("Type", ""))
        return found

    top = relations("_rels/.rels")
    workbook = next((member for member, kind in top.values()
                     if kind.endswith("/officeDocument")), "xl/workbook.xml")
    folder, file = posixpath.split(workbook)
    parts = relations(posixpath.join(folder, "_rels", file + ".rels"))
    sheets = []  # (name, member) of each worksheet, in the workbook's order
    for element in fromstring(archive.read(workbook)).iter():
        if element.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            member, kind = parts.get(rid, (None, ""))
            if member is not None and kind.endswith("/worksheet"):
                sheets.append((element.get("name"), member))
    if isinstance(sheet, int):
        return sheets[sheet] if -len(sheets) <= sheet < len(sheets) else (None, None)
    return next(((name, member) for name, member in sheets if name == sheet), (None, None))


def _sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


# ---------------------------------------------------------------------------
# interpreting the header rows


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _frame_from_grid(
    grid: pd.DataFrame,
    path: Path,
    *,
    given: Format | None,
    container: str,
    info: dict | None = None,
    categories: Collection[str] = (),
) -> pd.DataFrame:
    """The responses of a grid of cells read from ``path``, in the header layout of the
    ``given`` format (or the one its first rows show)."""
    if grid.empty:
        raise ReadError(path, "no rows found; export the survey again")
    top = [[_cell_text(v) for v in grid.iloc[i].tolist()] for i in range(min(3, len(grid)))]
    names, header_rows, attrs = _header(top, path, given=given, container=container,
                                        info=info)
    data = grid.iloc[header_rows:].reset_index(drop=True)
    data.columns = names
    data = _tidy_values(data, categories)
    data.attrs = attrs
    return data


def _header(top: list[list[str]], path: Path, *, given: Format | None, container: str,
            info: dict | None = None) -> tuple[list[str], int, dict[str, Any]]:
    """(column names, header rows, ``attrs``) of an export whose first (up to three) rows
    are ``top``, in the header layout of the ``given`` format (or the one they show)."""
    layout, detected = detect_layout(top)
    if given is not None and given.layouts == (PLAIN,):
        layout, detected = PLAIN, None  # format: csv or xlsx reads one header row as it is
    elif given is not None and layout not in given.layouts:
        raise ReadError(path, given.not_recognised)
    names, questions, header_rows = layout.header(top)
    names = unique_names(names)
    attrs = {
        "format": detected.name if detected is not None else container,
        "variant": layout.name,
        "path": str(path),
        "header_rows": header_rows,
        "questions": SharedInfo({n: clean_text(q) or n
                                 for n, q in zip(names, questions, strict=False)}),
        **(info or {}),
    }
    if layout.name == "qualtrics":
        attrs["import_ids"] = SharedInfo(zip(names, top[2], strict=False))
    return names, header_rows, attrs


def unique_names(names: Iterable[str]) -> list[str]:
    """Give blank header cells a stable name (``column_7``) and tell repeated names apart
    (``Q1 (repeat 2)``) by names no header of the export has, so that a repeat of "Q1"
    never takes the name of the export's real "Q1_2"."""
    cleaned = [clean_text(_cell_text(raw)) or f"column_{position}"
               for position, raw in enumerate(names, start=1)]
    taken = set(cleaned)
    result: list[str] = []
    seen: set[str] = set()
    for name in cleaned:
        candidate, suffix = name, 2
        while candidate in seen or (candidate != name and candidate in taken):
            candidate = f"{name} (repeat {suffix})"
            suffix += 1
        seen.add(candidate)
        result.append(candidate)
    return result


def repeated_headers(columns: Iterable[str]) -> dict[str, int]:
    """Header names an export has more than once: name -> how many times."""
    counts: dict[str, int] = {}
    for name in columns:
        base = re.sub(r" \(repeat \d+\)$", "", str(name))
        counts[base] = counts.get(base, 0) + 1
    return {name: count for name, count in counts.items() if count > 1}


_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def _tidy_values(data: pd.DataFrame, categories: Collection[str] = (),
                 decided: dict[str, tuple] | None = None) -> pd.DataFrame:
    """Blanks become missing; all-numeric text columns become numbers (ids with
    leading zeros stay text). Vectorised per column. Text read as categories stays so in
    the columns named by ``categories``. ``decided``: column -> what a first pass found
    the whole column to be (a block of an export read in blocks; see
    :func:`_tidy_distinct`)."""
    tidy = {}
    for name in data.columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # text read by Arrow: per answer
            column = _tidy_distinct(column, keep_categories=name in categories,
                                    decided=None if decided is None else decided[name])
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            is_text = column.map(type).eq(str) if column.dtype == object else None
            if is_text is None or is_text.all():
                column = _tidy_text(column.astype("str"))
            else:  # Excel cells: numbers, dates and text mixed; strip the text only
                text = _tidy_text(column[is_text].astype("str"))
                column = column.astype(object).copy()
                column[is_text] = text.astype(object)
                column = column.where(column.notna(), np.nan).infer_objects()
        tidy[name] = column
    return pd.DataFrame(tidy, index=data.index)


def _tidy_distinct(column: pd.Series, keep_categories: bool = False,
                   decided: tuple | None = None) -> pd.Series:
    """:func:`_tidy_text` of a column of text read as categories (each distinct text once,
    the header rows' among them): the distinct texts its rows hold are tidied, then
    taken back to the rows (``keep_categories``: text stays categorical, its categories
    the tidied texts the rows hold, in the order first held).

    ``decided``: what the whole column was found to be by a first pass over an export
    read in blocks (see :func:`_decide`): ``("number", dtype)``, ``("text",)`` or
    ``("label", categories)``; a block then becomes what its rows are in the whole
    column, whatever the block alone would look like."""
    codes = column.cat.codes.to_numpy()
    held = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)))
    numeric = None if decided is None else decided[0] == "number"
    tidied = _tidy_text(pd.Series(column.cat.categories[held], dtype="str"), numeric=numeric)
    position = np.full(len(column.cat.categories) + 1, -1, dtype=np.intp)  # code -1: -1
    position[held] = np.arange(len(held))
    at = position[codes]
    if pd.api.types.is_numeric_dtype(tidied):
        numbers = tidied.to_numpy()
        if (at < 0).any():
            numbers = np.append(numbers.astype(np.float64), np.nan)  # the last: missing
        values = numbers[at]
        if decided is not None and values.dtype != decided[1]:
            values = values.astype(decided[1])
    elif decided is not None and decided[0] == "label":
        where = np.append(decided[1].get_indexer(tidied), -1)  # missing (blank): -1
        values = pd.Categorical.from_codes(where[at], categories=decided[1])
    elif keep_categories and decided is None:
        codes, texts = pd.factorize(tidied)  # tidying may make two texts one; blank: -1
        codes = np.append(codes, -1)[at]  # at = -1 (missing) picks the -1 appended
        first = pd.unique(codes[codes >= 0])  # categories in the order the rows hold them
        order = np.full(len(texts) + 1, -1)
        order[first] = np.arange(len(first))
        values = pd.Categorical.from_codes(order[codes], categories=texts[first])
    else:
        values = tidied.array.take(at, allow_fill=True)
    return pd.Series(values, index=column.index, name=column.name)


def _tidy_text(column: pd.Series, numeric: bool | None = None) -> pd.Series:
    """Strip, blanks missing, and numbers where every present value is one (``numeric``:
    None to decide so, True or False where a first pass over the whole column decided)."""
    column = column.str.strip()
    column = column.mask(column.eq(""))
    if numeric is not None:
        return pd.to_numeric(column, errors="coerce") if numeric else column
    present = column.notna()
    if not present.any():
        return column
    values = column[present]
    # a column of numbers has only numbers: a few values that are not settle most columns
    # (answer labels, ids, text) without converting the whole column
    if pd.to_numeric(values.iloc[:64], errors="coerce").isna().any() or \
            values.str.match(_LEADING_ZERO).any():
        return column
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == present.sum() else column


def category_text(value: Any) -> str | None:
    """A cell naming a category (an audience, a segment level) as text: stripped, whole
    numbers without ".0" (``2.0`` -> ``"2"``), blank -> None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


# ---------------------------------------------------------------------------
# SPSS


def _read_spss(path: Path) -> pd.DataFrame:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=True,
                                          user_missing=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError
        raise ReadError(path, f"could not read as SPSS .sav ({exc}); check that the file is "
                        "a complete SPSS export") from None
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
            frame[name] = frame[name].infer_objects()
    frame.columns = unique_names(frame.columns)
    frame = _tidy_values(frame)
    labels = meta.column_names_to_labels or {}
    frame.attrs = {
        "format": "spss",
        "variant": "sav",
        "path": str(path),
        "header_rows": 0,
        "questions": SharedInfo({n: (labels.get(n) or n) for n in frame.columns}),
        "value_labels": SharedInfo({k: {_cell_text(code): lab for code, lab in v.items()}
                                    for k, v in (meta.variable_value_labels or {}).items()}),
    }
    return frame


# ---------------------------------------------------------------------------
# reading in blocks (iter_sources)


@dataclass
class _Plan:
    """One source as the first pass left it: its description, a few rows standing for
    the whole export when blocks are stacked (each column holding a value where any row
    of the export does; every answer label of a text column the study maps), and either
    the whole frame (read whole) or how to stream it again."""

    source: Any
    info: dict[str, Any]
    stand_in: pd.DataFrame
    frame: pd.DataFrame | None = None
    stream: _Stream | None = None


@dataclass
class _Stream:
    """How to stream a clean UTF-8 text export again, and what the first pass found."""

    path: Path
    bom: bool
    crlf: bool
    delimiter: str
    header_rows: int
    columns: list[str]
    decided: dict[str, tuple]
    names: dict[str, str]
    audiences: tuple[pd.Index, pd.Index]
    groups: tuple[str, ...]
    rows: int
    stamp: tuple[int, int]
    spill: Path | None = None  # the rows' cells as the first pass parsed them (Arrow IPC)


def _labels(study) -> set[str]:
    """The columns the study maps to items and metrics: answer labels."""
    return {m.column for m in study.mappings() if m.kind in ("item", "metric")}


def _planned(study, spill: Path | None = None
             ) -> tuple[list[_Plan], list[tuple[str, ReadError]]]:
    """The first pass over every source: a plan for each that can be read, (name, error)
    for each that cannot. ``spill``: the folder each streamed export's cells are kept in
    (:func:`plan_sources`)."""
    labels = _labels(study)
    plans, failures = [], []
    for at, source in enumerate(study.sources):
        try:
            plan = _streamed_plan(source, study.groups, labels,
                                  None if spill is None else spill / f"{at}.arrows")
            if plan is None:
                frame, info = read_source(source, study.groups, categories=labels)
                plan = _Plan(source, info, _stand_in(frame, labels), frame=frame)
        except ReadError as exc:
            failures.append((source.name, exc))
            continue
        plans.append(plan)
    return plans, failures


def _stand_in(frame: pd.DataFrame, labels: Collection[str]) -> pd.DataFrame:
    """The rows of a whole export that stand for it when blocks are stacked: the first
    row holding a value in each column, and the first holding each text of an answer-label
    column held as text (their union gives the stacked categories)."""
    rows = set()
    for name in frame.columns:
        column = frame[name]
        present = np.flatnonzero(column.notna().to_numpy())
        if len(present):
            rows.add(int(present[0]))
        if name in labels and isinstance(column.dtype, pd.StringDtype):
            rows.update(int(at) for at in np.flatnonzero(
                ~column.duplicated().to_numpy() & column.notna().to_numpy()))
    return frame.take(sorted(rows) or [0]).reset_index(drop=True)


def _blocks(plans: list[_Plan], block_rows: int, labels: Collection[str], *,
            keep: bool = False) -> Iterator[pd.DataFrame]:
    """The second pass: each source's rows in blocks, each stacked between the stand-ins
    of every source (its own first) and cut out, so that its columns, dtypes and
    categories are those of the whole stack."""
    described = SharedInfo({plan.source.name: plan.info for plan in plans})
    unions = _category_unions([plan.stand_in for plan in plans], labels)
    stand_ins = [_on_categories(plan.stand_in, unions) for plan in plans]
    text = _text_columns(stand_ins)
    order = list(dict.fromkeys(name for frame in stand_ins for name in frame.columns))
    stand_ins = _missing_text_shared(stand_ins, text)
    for at, plan in enumerate(plans):
        before = sum(len(frame) for frame in stand_ins[:at + 1])
        pieces = (_streamed_rows(plan, block_rows) if plan.stream is not None else
                  (plan.frame.iloc[start:start + block_rows]
                   for start in range(0, len(plan.frame), block_rows)))
        for piece in pieces:
            piece = _missing_text_shared([_on_categories(piece, unions)], text)[0]
            stacked = pd.concat([*stand_ins[:at + 1], piece, *stand_ins[at + 1:]],
                                ignore_index=True, sort=False)[order]
            block = stacked.iloc[before:before + len(piece)].reset_index(drop=True)
            block.attrs = {"sources": described}
            yield block
        if not keep:
            plan.frame = None  # a whole export read is let go once given


def _streamed_plan(source, groups: Iterable[str], labels: Collection[str],
                   spill: Path | None = None) -> _Plan | None:
    """The first pass over a text export that can be streamed (None: read it whole).
    ``spill``: the file to keep its rows' cells in, as parsed."""
    path = Path(source.path)
    route, given = _route(path, source.format)
    if route != "text":
        return None
    _refuse_huge_header(path)
    scan = _scan_head(path)
    if scan is None:
        return None
    bom, head = scan
    delimiter = _sniff_delimiter(head.replace("\r\n", "\n"))
    try:
        width = len(next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return None
    stamp = _stamp(path)
    checks = _Checks(path, 3 if bom else 0)
    try:
        try:
            return _survey(source, groups, labels, path, given, bom, checks, delimiter,
                           width, stamp, spill)
        except Exception:
            if checks.finish():  # the rest of the file says: read it whole, as before
                return None      # anything was read (the careful path says what is wrong)
            raise
    except _NotStreamable:
        return None
    except ArrowInvalidError:
        _refuse_malformed_file(path, bom, delimiter, width)
        return None  # not a ragged table (not UTF-8, a record over 16 MB): read it whole


class _NotStreamable(Exception):
    """The first pass met what only the whole-file reader handles."""


def _import_arrow_invalid():
    import pyarrow as pa

    return pa.ArrowInvalid


ArrowInvalidError = _import_arrow_invalid()


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _scan_head(path: Path) -> tuple[bool, str] | None:
    """(a UTF-8 BOM, the first 200,000 bytes as text) of a text export, or None for the
    careful path (empty, UTF-16, blank): the rest of its bytes are checked as Arrow reads
    them (:class:`_Checks`)."""
    with path.open("rb") as handle:
        chunk = handle.read(200_003)
    bom = chunk.startswith(b"\xef\xbb\xbf")
    body = chunk[3:] if bom else chunk
    if (not body or chunk.startswith((b"\xff\xfe", b"\xfe\xff"))
            or body[:4096].isspace()):
        return None
    return bom, body[:200_000].decode("utf-8", errors="ignore")


class _Checks:
    """The bytes of a text export checked as Arrow's streaming reader pulls them (one read
    of the file, as :func:`_arrow_grid` checks the whole): a NUL byte, a carriage return
    alone, or a quote left open (an odd count of quotes: a cut-off file) sends the export
    to the careful path, raising :class:`_NotStreamable` from the read that meets it.
    ``crlf``: a carriage return met so far (every batch given holds bytes already read)."""

    def __init__(self, path: Path, start: int):
        self.path, self.offset = path, start  # bytes read so far
        self.quotes, self.crlf, self.after_cr = 0, False, False
        self.careful = self.ended = False
        self.handle = None

    def wrap(self, handle) -> _Checks:
        """This, reading (and checking) ``handle``: the file-like object Arrow reads."""
        self.handle = handle
        return self

    closed = property(lambda self: self.handle is None or self.handle.closed)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.offset

    def close(self) -> None:
        pass  # the handle is closed by whoever opened it

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.check(chunk)
        return chunk

    def check(self, chunk: bytes) -> None:
        """Take in the next bytes of the file (empty: its end)."""
        if self.careful:
            raise _NotStreamable
        self.offset += len(chunk)
        if not chunk:
            if not self.ended:
                self.ended = True
                if self.after_cr or self.quotes % 2:  # a quote left open: a cut-off file
                    self._careful()
            return
        if (self.after_cr and chunk[:1] != b"\n") or b"\x00" in chunk:
            self._careful()
        octets = np.frombuffer(chunk, dtype=np.uint8)
        if b"\r" in chunk:
            self.crlf = True
            returns = np.flatnonzero(octets == 13) + 1
            if (octets[returns[returns < len(octets)]] != 10).any():
                self._careful()  # a carriage return alone
        self.after_cr = chunk.endswith(b"\r")  # a line feed must open the next read
        self.quotes += int(np.count_nonzero(octets == 34))

    def _careful(self):
        self.careful = True
        raise _NotStreamable

    def finish(self) -> bool:
        """Check the bytes not yet read, to the end; whether the export takes the careful
        path."""
        try:
            if not self.ended:
                with self.path.open("rb") as handle:
                    handle.seek(self.offset)
                    while chunk := handle.read(_SCAN_BYTES):
                        self.check(chunk)
                self.check(b"")
        except _NotStreamable:
            pass
        return self.careful


def _arrow_stream(path: Path, bom: bool, crlf: bool, delimiter: str, width: int,
                  checks: _Checks | None = None):
    """The record batches of a text export, every cell text as a dictionary (each
    distinct text of a batch once), header rows included; line breaks inside answers LF.
    ``checks``: its bytes are checked as they are read (then ``crlf`` is what they held
    so far)."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    with path.open("rb") as handle:
        if bom:
            handle.seek(3)
        reader = arrow_csv.open_csv(
            handle if checks is None else checks.wrap(handle),
            read_options=arrow_csv.ReadOptions(autogenerate_column_names=True,
                                               block_size=_ARROW_BLOCK_BYTES),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=True),
            convert_options=arrow_csv.ConvertOptions(
                column_types={f"f{i}": pa.dictionary(pa.int32(), pa.string())
                              for i in range(width)},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        if reader.schema.names != [f"f{i}" for i in range(width)]:
            raise _NotStreamable
        # each batch with whether the bytes read by then held a CRLF
        read = ((batch, crlf if checks is None else checks.crlf) for batch in reader)
        with contextlib.closing(read_ahead(read, _AHEAD)) as batches:
            for batch, crlf_seen in batches:
                if crlf_seen:
                    batch = pa.record_batch([_lf_array(array) for array in batch.columns],
                                            names=batch.schema.names)
                yield batch


_AHEAD = 32
"""Batches (of :data:`_ARROW_BLOCK_BYTES` of text each, 128 MB in all) read ahead
(:func:`~cxstudy._spill.read_ahead`) before they are asked for: about three quarters of
a block of the example's rows, so that the next block is read while one is cleaned. At a
million rows (the example scaled, ``--no-report``, three runs each) reading and cleaning
took 15.3 s against 16.8 s reading nothing ahead; 4 batches ahead gained nothing (16.8 s).
"""


def _lf_array(array):
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pc.any(pc.match_substring(array.dictionary, "\r")).as_py():
        return array
    return pc.dictionary_encode(pc.replace_substring(array.cast(pa.string()), "\r\n", "\n"))


def _after_header(batches, path: Path, given: Format | None):
    """(header names, header rows, attrs, the batches of the rows after the header)."""
    import pyarrow as pa

    pending, held = [], 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        if held >= 3:
            break
    if held == 0:
        raise _NotStreamable  # no rows at all: the whole reader says so
    first = pa.Table.from_batches(pending).slice(0, 3).to_pylist()
    top = [[_cell_text(value) for value in row.values()] for row in first]
    names, header_rows, attrs = _header(top, path, given=given, container="csv")

    return names, header_rows, attrs, _skipped(itertools.chain(pending, batches), header_rows)


def _skipped(batches, skip: int):
    """The batches less their first ``skip`` rows."""
    for batch in batches:
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        yield batch.slice(skip) if skip else batch
        skip = 0


class _Seen:
    """What the first pass has seen of one column, over the blocks so far.

    Each batch's cells come as a dictionary (each distinct text of the batch once, Arrow's
    CSV reader builds it in the order the texts are first held); the work is done once per
    distinct text, in Arrow (the trimming pandas' ``str.strip`` does on Arrow text), and a
    column whose texts are few is skipped at once when a batch holds none it has not seen.
    Deciding over the distinct texts of each batch decides as over the whole column: a
    column is numbers where every present text is one, and the dtype pandas gives a set of
    texts is int64 where each part's is, float64 where one part's is (a part whose numbers
    pandas makes anything else, integers past int64, makes the export one read whole)."""

    __slots__ = ("blank", "dtypes", "first", "known", "label", "numeric", "present", "raw",
                 "texts")

    _KNOWN = 4096  # texts of a column remembered to skip a batch holding nothing new

    def __init__(self, label: bool, audience: bool, texts: bool = False):
        self.label = label            # an answer-label column: categorical where text
        self.present = False          # a value that is not blank
        self.blank = False            # a value that is blank
        self.numeric = True           # every value a number (no leading zeros)
        self.dtypes: set = set()      # the dtypes the blocks' numbers took
        self.texts: dict | None = {} if label or texts else None  # distinct, first held first
        self.first: str | None = None  # the first value that is not blank, as read
        self.raw: dict | None = {} if audience else None  # every cell text, as read
        self.known: set | None = set()  # every text seen, while few (None: too many)

    def add(self, array) -> None:
        """Take in one batch's cells of the column (a dictionary array, no nulls)."""
        import pyarrow.compute as pc

        if not (self.numeric or self.texts is not None or self.first is None
                or self.raw is not None):
            return  # text throughout, its first value known: nothing left to learn
        dictionary = _first_held(array)  # the texts the cells hold, first held first
        if self.known is not None:
            if len(dictionary) + len(self.known) > self._KNOWN:
                self.known = None
            else:
                held = dictionary.to_pylist()
                if self.known.issuperset(held):
                    return  # nothing this column has not seen
                self.known.update(held)
        if self.raw is not None:
            self.raw.update(dict.fromkeys(dictionary.to_pylist()))
        tidied = pc.utf8_trim_whitespace(dictionary)
        present = pc.not_equal(tidied, "")
        values = tidied.filter(present)
        if len(values) < len(tidied):
            self.blank = True  # missing among whole numbers makes them floats
        if not len(values):
            return
        if self.first is None:
            self.first = dictionary[pc.index(present, True).as_py()].as_py()
        self.present = True
        if self.texts is not None:
            self.texts.update(dict.fromkeys(values.to_pylist()))
        if self.numeric:
            dtype = _numbers_dtype(values)
            if dtype is None:
                self.numeric, self.dtypes = False, set()
            else:
                self.dtypes.add(dtype)

    def decision(self) -> tuple:
        """What the whole column is: ``("number", dtype)``, ``("label", categories)`` or
        ``("text",)``."""
        if self.present and self.numeric:
            dtypes = self.dtypes | ({np.dtype(np.float64)} if self.blank else set())
            if dtypes <= {np.dtype(np.int64)}:
                return ("number", np.dtype(np.int64))
            if dtypes <= {np.dtype(np.int64), np.dtype(np.float64)}:
                return ("number", np.dtype(np.float64))
            raise _NotStreamable  # integers past int64 in some blocks: read it whole
        if self.label:
            return ("label", pd.Index(list(self.texts), dtype="str"))
        return ("text",)

    def stand_in(self, rows: int) -> list[str]:
        """Cells standing for the column, ``rows`` of them: each distinct text where they
        are kept (the first first), else the first value; repeated to fill."""
        held = list(self.texts) if self.texts and not self.label else []
        held = held or [self.first or ""]
        return held + [held[0]] * (rows - len(held))


def _first_held(array):
    """The distinct texts of a dictionary array, in the order its cells first hold them
    (Arrow's CSV reader builds each batch's dictionary so: then it is returned as it is)."""
    indices = array.indices.to_numpy(zero_copy_only=False)
    dictionary = array.dictionary
    if len(indices) == 0:
        return dictionary.slice(0, 0)
    top = np.maximum.accumulate(indices)
    if top[0] == 0 and top[-1] == len(dictionary) - 1 and (np.diff(top) <= 1).all():
        return dictionary  # the running highest index rises by one at a time: in order
    return dictionary.take(pd.unique(indices))


_INTEGER = r"^[+-]?\d{1,18}$"  # int64 whatever its digits
_DECIMAL = r"^[+-]?(?:(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)$"


def _numbers_dtype(values) -> np.dtype | None:
    """The dtype pandas' ``to_numeric`` gives distinct tidied texts (Arrow text, none
    blank) where every one is a number and none has a leading zero, else None. Plain
    integers and decimals are told by pattern; anything else is left to pandas."""
    import pyarrow.compute as pc

    if pc.any(pc.match_substring_regex(values, _LEADING_ZERO.pattern)).as_py():
        return None
    integer = pc.match_substring_regex(values, _INTEGER)
    if pc.all(integer).as_py():
        return np.dtype(np.int64)
    if pc.all(pc.or_(integer, pc.match_substring_regex(values, _DECIMAL))).as_py():
        return np.dtype(np.float64)
    numbers = pd.to_numeric(pd.Series(values.to_pylist(), dtype="str"), errors="coerce")
    return numbers.dtype if numbers.notna().all() else None


def _survey(source, groups, labels, path, given, bom, checks, delimiter, width, stamp,
            spill: Path | None = None) -> _Plan:
    """The first pass over a streamable export: header, then every row once, its bytes
    checked as they are read (``checks``); ``spill``: the file its rows' batches are
    written to as they are parsed, for the later passes to read instead of the text."""
    columns, header_rows, attrs, rows = _after_header(
        _arrow_stream(path, bom, False, delimiter, width, checks), path, given)
    attrs.update(encoding="utf-8-sig" if bom else "utf-8", delimiter=delimiter)
    header = pd.DataFrame(columns=columns)
    header.attrs = attrs
    try:
        names, info = _prepared(header, source)
    except ReadError as exc:  # said after "no responses", as when read whole
        names, info, refused = {}, {}, exc
    else:
        refused = None
    audience = next((old for old in columns if names.get(old, old) == source.group_column),
                    None) if source.group is None else None
    # a column the study maps under its new name is text stacked on the answer labels of
    # the other exports (read whole, see _same_categories): its distinct texts are kept
    seen = [_Seen(name in labels, name == audience, texts=names.get(name, name) in labels)
            for name in columns]
    count = 0
    kept = Spill(spill) if spill is not None else None
    try:
        for batch in rows:
            count += batch.num_rows
            for column, array in zip(seen, batch.columns, strict=True):
                column.add(array)
            if kept is not None:
                kept.write(batch)
    except BaseException:
        if kept is not None:
            kept.abandon()
        raise
    spill = kept.close() if kept is not None else None
    if checks.finish():
        raise _NotStreamable
    if count == 0:
        raise ReadError(path, _NO_RESPONSES)
    if refused is not None:
        raise refused
    info["rows"] = count
    decided = {name: column.decision() for name, column in zip(columns, seen, strict=True)}
    # the few rows standing for the export: each column's first value, as read
    height = max(len(column.stand_in(1)) for column in seen)
    grid = pd.DataFrame({name: pd.Categorical(column.stand_in(height))
                         for name, column in zip(columns, seen, strict=True)})
    stand_in = _tidy_values(grid, labels, decided).rename(columns=names)
    audiences = (pd.Index([]), pd.Index([]))
    if audience is not None:
        values = seen[columns.index(audience)].raw
        distinct = _tidy_values(pd.DataFrame({audience: pd.Categorical(list(values))}),
                                labels, {audience: decided[audience]}).rename(columns=names)
        group, group_value = _audiences(distinct, source, groups)
        audiences = (group.astype("category").cat.categories,
                     group_value.astype("category").cat.categories)
    else:
        group, _ = _audiences(stand_in, source, groups)
        audiences = (group.astype("category").cat.categories,) * 2
    stream = _Stream(path, bom, checks.crlf, delimiter, header_rows, columns, decided, names,
                     audiences, tuple(groups), count, stamp, spill)
    stand_in = _bookkeeping(stand_in, source, groups, first_row=1, audiences=audiences)
    return _Plan(source, info, stand_in, stream=stream)


def _streamed_rows(plan: _Plan, block_rows: int) -> Iterator[pd.DataFrame]:
    """The second pass: an export's rows in blocks, shaped as the first pass decided."""

    stream = plan.stream
    if _stamp(stream.path) != stream.stamp:
        raise ReadError(stream.path, "the file changed while it was being read; run again "
                        "once nothing writes to it")
    if stream.spill is not None:
        rows = spilled_batches(stream.spill)
    else:
        rows = _skipped(_arrow_stream(stream.path, stream.bom, stream.crlf,
                                      stream.delimiter, len(stream.columns)),
                        stream.header_rows)
    first_row = 1
    pending: list = []
    held = 0

    def block(batches) -> pd.DataFrame:
        frame = pd.DataFrame({name: _decided_column([batch.column(at) for batch in batches],
                                                    stream.decided[name])
                              for at, name in enumerate(stream.columns)})
        frame = frame.rename(columns=stream.names)
        return _bookkeeping(frame, plan.source, stream.groups, first_row=first_row,
                            audiences=stream.audiences)

    for batch in rows:
        while batch.num_rows:
            take = min(block_rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == block_rows:
                yield block(pending)
                first_row += held
                pending, held = [], 0
    if pending:
        yield block(pending)
        first_row += held
    if first_row - 1 != stream.rows:
        raise ReadError(stream.path, "the file changed while it was being read; run again "
                        "once nothing writes to it")


def _decided_column(chunks: list, decided: tuple):
    """One column of a block, from the batches' cells (dictionary arrays) to what the
    first pass decided the whole column is: :func:`_tidy_distinct` of its cells, with each
    distinct text of each batch tidied once, in Arrow, and no categorical between.

    ``decided``: ``("number", dtype)``, ``("label", categories)`` or ``("text",)``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pa.concat_arrays([chunk.dictionary for chunk in chunks])  # each batch's texts
    starts = np.cumsum([0] + [len(chunk.dictionary) for chunk in chunks[:-1]])
    at = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False).astype(np.intp) + start
                         for chunk, start in zip(chunks, starts, strict=True)])
    held = np.bincount(at, minlength=len(texts)) > 0
    if not held.all():  # texts no cell holds (a header row's): no part in a number's dtype
        position = np.cumsum(held) - 1
        texts, at = texts.filter(pa.array(held)), position[at]
    tidied = pc.utf8_trim_whitespace(texts)
    tidied = pc.if_else(pc.equal(tidied, ""), pa.scalar(None, pa.string()), tidied)
    if decided[0] == "text":
        return pd.arrays.ArrowStringArray(pa.chunked_array([tidied.take(pa.array(at))]),
                                          dtype=_STR)
    tidied = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([tidied]), dtype=_STR))
    if decided[0] == "label":
        return pd.Categorical.from_codes(decided[1].get_indexer(tidied)[at],
                                         dtype=pd.CategoricalDtype(decided[1]))
    values = pd.to_numeric(tidied, errors="coerce").to_numpy()[at]
    return values if values.dtype == decided[1] else values.astype(decided[1])


def _refuse_malformed_file(path: Path, bom: bool, delimiter: str, width: int) -> None:
    """Name the malformed record of a UTF-8 text export Arrow could not split, reading
    it a line at a time (nothing returned when none is found, or it is not UTF-8)."""
    try:
        with path.open(encoding="utf-8-sig" if bom else "utf-8", newline="") as lines:
            _refuse_malformed(lines, path, delimiter, width)
    except UnicodeDecodeError:
        return


def _refuse_malformed(lines: Iterable[str], path: Path, delimiter: str, width: int) -> None:
    """Raise :class:`ReadError` for the first record with more fields than the header
    (``the table is ragged: line N has M fields``), else for those with fewer (how many,
    and the first), naming the line of the file where the record starts: an answer
    holding line breaks is one record over several lines."""
    import sys

    reader = csv.reader(lines, delimiter=delimiter)
    short, first, start = 0, None, 1
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # an answer may run to megabytes
    try:
        for record in reader:
            if len(record) > width:
                raise ReadError(path, f"the table is ragged: line {start} has {len(record)} "
                                "fields, more than the header. Check for an unquoted "
                                f"{delimiter!r} inside an answer, or re-export the file")
            if record and len(record) < width:
                short += 1
                first = first or (start, len(record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReadError(path, f"the text cannot be split into fields here ({exc}); "
                        "re-export the file", row=start) from None
    finally:
        csv.field_size_limit(limit)
    if short:
        raise ReadError(path, f"{short} line(s) have fewer fields than the header (the first: "
                        f"{first[1]} of {width}); the export may be cut off: export it again",
                        row=first[0])

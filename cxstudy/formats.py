"""The export formats cxstudy reads, declared once, in the style of papermill's I/O handlers.

A :class:`Format` is what a study file's ``format:`` names: how its files are stored
(``container``: text, workbook or SPSS), the file endings that say it, the header
:class:`Layout` (s) it comes in, and what its exports mean for cleaning (Qualtrics
marks survey previews; Google Forms keeps no unfinished responses). A :class:`Layout` is
one way of laying out header rows: how to recognise it from an export's first rows, and
how to read the column names and question texts from them.

:func:`cxstudy.read_export` detects and reads through this registry, the study-file parser
accepts its names and the cleaning rules read its conventions: a new format is one entry
here (plus its reader, for a new container).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

Rows = list[list[str]]  # an export's first (up to three) rows, as text

_IMPORT_ID = re.compile(r"""^\{\s*['"]ImportId['"]\s*:""")
_LEGACY_V = re.compile(r"^V\d+$")
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_TIMESTAMP_NAMES = {"timestamp", "marca temporal", "horodateur", "zeitstempel",
                    "carimbo de data/hora", "informazioni cronologiche"}
_SURVEYMONKEY_SUBHEADERS = {"response", "open-ended response"}
_SPELLING = re.compile(r"[\s_]+")

SURVEYMONKEY_COLUMNS = (
    ("Respondent ID", "RespondentID"),
    ("Collector ID", "CollectorID"),
    ("Start Date", "StartDate"),
    ("End Date", "EndDate"),
    ("IP Address", "IPAddress"),
    ("Email Address", "EmailAddress"),
    ("First Name", "FirstName"),
    ("Last Name", "LastName"),
    ("Custom Data", "Custom Data 1", "CustomData"),
)
"""The first columns of a SurveyMonkey export ("All individual responses"), in each
spelling it has used: today's ``Respondent ID``, ``Start Date``, ``Custom Data 1``; older
and SurveyMonkey Audience exports' ``RespondentID``, ``StartDate``, ``LastName``,
``Custom Data``. Compared without case, spaces and underscores."""


def header_key(cell: str) -> str:
    """A header cell compared across spellings: lower case, no spaces or underscores
    (``RespondentID``, ``Respondent ID`` and ``respondent_id`` agree)."""
    return _SPELLING.sub("", cell).casefold()


_SURVEYMONKEY_IDS = {header_key(name) for name in SURVEYMONKEY_COLUMNS[0]}
_SURVEYMONKEY_KNOWN = {header_key(name) for names in SURVEYMONKEY_COLUMNS for name in names}


def clean_text(value: str) -> str:
    """A header cell as a reader sees it: HTML tags and entities resolved, runs of white
    space as one space."""
    text = html.unescape(_TAG.sub(" ", value)) if "<" in value else value
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Layout:
    """One layout of header rows.

    Attributes
    ----------
    name : str
        The layout (``variant`` in a read export's ``attrs``).
    detect : callable
        ``detect(rows) -> bool``: whether an export's first rows are in this layout.
    header : callable
        ``header(rows) -> (names, questions, header_rows)``: the column names, each
        column's question text and how many rows the header takes.
    """

    name: str
    detect: Callable[[Rows], bool]
    header: Callable[[Rows], tuple[list[str], list[str], int]]


def _row(rows: Rows, index: int) -> list[str]:
    return rows[index] if len(rows) > index else []


def _is_qualtrics(rows: Rows) -> bool:
    filled = [c for c in _row(rows, 2) if c]
    return bool(filled) and sum(bool(_IMPORT_ID.match(c)) for c in filled) >= max(
        1, 0.8 * len(filled))


def _is_qualtrics_legacy(rows: Rows) -> bool:
    first, second = _row(rows, 0), _row(rows, 1)
    return (len(first) >= 2 and first[0] == "V1" and first[1] == "V2" and bool(second)
            and second[0].lower() == "responseid")


def _is_surveymonkey(rows: Rows) -> bool:
    """A respondent id among the first three headers (in any spelling it has had) over a
    second header row of "Response" / option cells; or, without the id column, two of
    SurveyMonkey's first columns over a second row holding "Response" or
    "Open-Ended Response"."""
    first, second = _row(rows, 0), _row(rows, 1)
    if not second:
        return False
    subheader = bool({c.strip().lower() for c in second} & _SURVEYMONKEY_SUBHEADERS)
    if {header_key(c) for c in first[:3]} & _SURVEYMONKEY_IDS:
        return subheader or not second[0]
    known = [i for i, c in enumerate(first[:len(SURVEYMONKEY_COLUMNS)])
             if header_key(c) in _SURVEYMONKEY_KNOWN]
    return len(known) >= 2 and subheader and not any(
        second[i].strip() for i in known if i < len(second))


def _is_google_forms(rows: Rows) -> bool:
    first = _row(rows, 0)
    return bool(first) and first[0].lower() in _TIMESTAMP_NAMES


def _surveymonkey_header(rows: Rows) -> tuple[list[str], list[str], int]:
    """SurveyMonkey's two header rows as one name per column: the question, or
    "question - option" where the second row names an option."""
    names, questions = [], []
    question = ""
    for head, sub in zip(rows[0], rows[1], strict=False):
        head, sub = clean_text(head), clean_text(sub)
        if head:
            question = head
        elif not sub:
            question = ""
        if not sub or sub.lower() in _SURVEYMONKEY_SUBHEADERS:
            name = question or sub
            text = question
        elif head or question:
            name = text = f"{question} - {sub}"
        else:
            name = text = sub
        names.append(name)
        questions.append(text)
    return names, questions, 2


def _legacy_header(rows: Rows) -> tuple[list[str], list[str], int]:
    names = [second if _LEGACY_V.match(first) and second else first
             for first, second in zip(rows[0], rows[1], strict=True)]
    return names, rows[1], 2


QUALTRICS = Layout("qualtrics", _is_qualtrics, lambda rows: (rows[0], rows[1], 3))
QUALTRICS_LEGACY = Layout("legacy", _is_qualtrics_legacy, _legacy_header)
SURVEYMONKEY = Layout("surveymonkey", _is_surveymonkey, _surveymonkey_header)
GOOGLE_FORMS = Layout("google_forms", _is_google_forms, lambda rows: (rows[0], rows[0], 1))
PLAIN = Layout("plain", lambda rows: True, lambda rows: (rows[0], rows[0], 1))


@dataclass(frozen=True)
class Format:
    """One export format, as a study file's ``format:`` names it.

    Attributes
    ----------
    name : str
        The name (``format: qualtrics``).
    description : str
        What it is, for the documentation.
    container : str
        How its files are stored: ``"text"`` (delimited text, any encoding),
        ``"xlsx"``, ``"spss"``, or ``"text or xlsx"``.
    layouts : tuple of Layout
        The header layouts it comes in (tried in order; empty for SPSS, whose files
        carry their own names and labels).
    not_recognised : str
        What to say, and do, when a file forced to this format is not in its layouts.
    suffixes : frozenset of str
        File endings that say the format without looking inside.
    previews : bool
        Its exports mark survey previews and test responses (cleaning drops them).
    keeps_unfinished : bool
        Its exports can hold unfinished responses (and mark them in a column).
    """

    name: str
    description: str
    container: str
    layouts: tuple[Layout, ...] = (PLAIN,)
    not_recognised: str = ""
    suffixes: frozenset[str] = frozenset()
    previews: bool = False
    keeps_unfinished: bool = True


_FORMATS = (
    Format("csv", "delimited text: one header row, any common delimiter and encoding",
           "text", suffixes=frozenset({".csv", ".tsv", ".txt", ".dat", ""})),
    Format("xlsx", "an Excel workbook (.xlsx, .xlsm): one header row, the first sheet "
           "unless the source names one", "xlsx", suffixes=frozenset({".xlsx", ".xlsm"})),
    Format("qualtrics", "a Qualtrics CSV or workbook: three header rows (names, question "
           "texts, ImportIds), or the legacy two (V1, V2, ..., then ResponseID)",
           "text or xlsx", (QUALTRICS, QUALTRICS_LEGACY),
           "does not look like a Qualtrics export: expected a third header row of "
           "{\"ImportId\": ...} cells, or the legacy layout (V1, V2, ... then ResponseID). "
           "Re-export from Qualtrics with 'Export data > CSV', or set format: csv",
           previews=True),
    Format("surveymonkey", "a SurveyMonkey export: two header rows (questions, then "
           "'Response' or each option), combined into one name per column",
           "text or xlsx", (SURVEYMONKEY,),
           "does not look like a SurveyMonkey export: expected 'Respondent ID' (or "
           "'RespondentID') in the first header row and a second header row ('Response', "
           "'Open-Ended Response', option labels). Export 'All individual responses' as CSV, "
           "or set format: csv"),
    Format("spss", "an SPSS data file (.sav, .zsav): value labels applied, user-missing "
           "codes missing, variable labels as question texts", "spss", (),
           suffixes=frozenset({".sav", ".zsav"})),
    Format("google_forms", "a Google Forms download: one header row starting with "
           "'Timestamp' (or its translation); only submitted responses",
           "text or xlsx", (GOOGLE_FORMS,),
           "does not look like a Google Forms export: its first column should be "
           "'Timestamp'. Download the responses as .csv from Forms or Sheets, or set "
           "format: csv", keeps_unfinished=False),
)

FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}
"""Every format by name, in the order the documentation lists them."""

DETECTED: tuple[tuple[Layout, Format], ...] = (
    (QUALTRICS, FORMATS["qualtrics"]), (QUALTRICS_LEGACY, FORMATS["qualtrics"]),
    (SURVEYMONKEY, FORMATS["surveymonkey"]), (GOOGLE_FORMS, FORMATS["google_forms"]))
"""The layouts recognised in an export whose format is not given, in the order tried;
an export in none of them is plain (``csv`` or ``xlsx`` by its container)."""


def detect_layout(rows: Rows) -> tuple[Layout, Format | None]:
    """The layout of an export's first (up to three) rows, and the format it says
    (None for a plain header: the format is then the container's)."""
    for layout, fmt in DETECTED:
        if layout.detect(rows):
            return layout, fmt
    return PLAIN, None


def of_suffix(suffix: str) -> Format | None:
    """The format a file ending says on its own (``.sav``: spss), if any."""
    return next((f for f in FORMATS.values() if suffix.lower() in f.suffixes), None)


def format_of(name: str | None) -> Format | None:
    """The format a read export's ``attrs["format"]`` names (None when unknown)."""
    return FORMATS.get(name or "")

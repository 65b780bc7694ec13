"""``tables.xlsx``: every table a run writes as CSV, as one sheet each, for a client.

The workbook holds the same values as ``tables/*.csv`` (the same frames, through the same
formula-injection rule, :func:`cxstudy._files.spreadsheet_safe`; the text of a
reverse-scored item says which answers its shares count), with what a reader of a
spreadsheet expects: a first sheet that says what each table holds (from the table
registry, the source of ``docs/outputs.md``), frozen header rows, filters on, shares and
their intervals formatted as percentages, p-values with three decimals, and suppressed
cells empty, filled grey and explained.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._files import FORMULA_STARTS, spreadsheet_safe
from .metrics import METRIC_KINDS
from .model import Study
from .registry import NEEDS, SCOPES, WRITTEN

SUPPRESSED_FILL = "D9D9D9"
"""The grey of a suppressed cell (and of the legend that explains it)."""

PERCENT = "0.0%"
P_VALUE = "0.000"
NUMBER = "0.00"

_SHARE_COLUMN = re.compile(
    r"^(top_box|share|gap|change|estimate|actual|error|index|equivalence)(_|$)")
_P_COLUMN = re.compile(r"(^|_)p_(value|adjusted)(_|$)")
_METRIC_VALUES = {"value", "se", "low", "high", "gap", "value_from", "value_to", "change",
                  "change_low", "change_high"}
_MEANS_TABLES = {"dimension_gaps", "dimension_trends"}  # differences of mean scores


def number_format(table: str, column: str, kind: str | None = None) -> str:
    """The Excel number format of a column of a table, for its non-whole numbers.

    Shares, gaps in shares and their intervals are fractions (0.72) shown as
    percentages (72.0%); p-values get three decimals; other non-integer figures two. In
    the metric tables a row's ``kind`` decides: NPS and CSAT are shares, CES is a mean in
    its scale's units.

    Examples
    --------
    >>> number_format("gaps", "gap_low"), number_format("gaps", "p_adjusted")
    ('0.0%', '0.000')
    >>> number_format("metrics", "value", "nps"), number_format("metrics", "value", "ces")
    ('0.0%', '0.00')
    """
    if _P_COLUMN.search(column):
        return P_VALUE
    if table.startswith("metric") and column in _METRIC_VALUES:
        return PERCENT if kind in METRIC_KINDS and METRIC_KINDS[kind].units != "scale" \
            else NUMBER
    if table not in _MEANS_TABLES and _SHARE_COLUMN.match(column):
        return PERCENT
    return NUMBER


def about_rows(written: list[str]) -> pd.DataFrame:
    """One row per written table: its sheet, what a row is, every column, those blanked
    when suppressed, when the study has it and how it relates to waves (the registry's
    words, as ``docs/outputs.md`` has them)."""
    rows = []
    for entry in WRITTEN.values():
        spec = entry.spec
        if spec.name not in written:
            continue
        rows.append({
            "Sheet": spec.name,
            "Rows": spec.rows[:1].upper() + spec.rows[1:],
            "Holds": entry.doc,
            "Columns": ", ".join(spec.columns),
            "Further columns": ", ".join(spec.extra) or "none",
            "Blanked when suppressed": ", ".join([*spec.estimates, *spec.text_estimates])
            or "none",
            "Written when the study has": ", ".join(NEEDS[n][0] for n in entry.needs)
            or "always",
            "Computed": SCOPES[entry.scope],
        })
    return pd.DataFrame(rows)


AUDIENCE_COLUMNS = ("group", "reference", "other", "says_strength", "says_problem")
"""Columns of the tables whose cells are audience ids (a workbook shows their labels)."""


def labelled(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """A table as a person reads it in the workbook: audiences by their labels
    (:meth:`Study.label`) in the audience columns (:data:`AUDIENCE_COLUMNS`; ``groups``,
    "a vs b", of the choice tests) and in the headers named after one (``n_<id>`` of
    the Kruskal–Wallis table). The CSV files keep the ids."""
    if not study.group_labels:
        return frame
    frame = frame.copy()
    for column in AUDIENCE_COLUMNS:
        if column in frame:
            frame[column] = [v if not isinstance(v, str) else study.label(v)
                             for v in frame[column]]
    if "groups" in frame:
        frame["groups"] = [" vs ".join(study.labels(v.split(" vs "))) if isinstance(v, str)
                           and v else v for v in frame["groups"]]
    names = {f"n_{g}": f"n_{study.label(g)}" for g in study.groups}
    return frame.rename(columns=names)


def write_workbook(tables: dict[str, pd.DataFrame], study: Study, path: str | Path) -> Path:
    """Write ``tables`` (contract name -> frame, as written to ``tables/<name>.csv``) as
    one sheet each, after a first sheet "About" describing them.

    Parameters
    ----------
    tables : dict of str to DataFrame
        The tables of the run by their CSV name (``gaps``, ``shares``, ...), in order.
    study : Study
        For the title, what the study compares (its subject, its audiences' labels, which
        the sheets show in place of their ids), the small-group rule and the interval
        level.
    path : str or Path
        The ``.xlsx`` to write.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Text cells go through the rule of the CSV files (OWASP CSV injection): a text that
    begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'``,
    so no cell of the workbook is a formula. A suppressed row's estimates (the spec's
    ``estimates``) are empty cells filled grey; ``suppressed`` is true.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    grey = PatternFill("solid", start_color=SUPPRESSED_FILL, end_color=SUPPRESSED_FILL)
    bold = Font(bold=True)
    book = Workbook()
    about = book.active
    about.title = "About"
    described = about_rows(list(tables))
    intro = _intro(study)
    for number, text in enumerate(intro, start=1):
        cell = about.cell(row=number, column=1, value=_safe_text(text))
        cell.font = Font(bold=True, size=13) if number == 1 else Font()
    about.cell(row=3, column=1).fill = grey
    head = len(intro) + 2
    for col, name in enumerate(described.columns, start=1):
        about.cell(row=head, column=col, value=name).font = bold
    for r, row in enumerate(described.itertuples(index=False), start=head + 1):
        for col, value in enumerate(row, start=1):
            cell = about.cell(row=r, column=col, value=_safe_text(value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate((24, 32, 40, 60, 40, 50, 28, 30), start=1):
        about.column_dimensions[get_column_letter(col)].width = width
    about.freeze_panes = about.cell(row=head + 1, column=2)
    if len(described):
        about.auto_filter.ref = f"A{head}:{get_column_letter(len(described.columns))}" \
                                f"{head + len(described)}"

    specs = {entry.spec.name: entry.spec for entry in WRITTEN.values()}
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        safe = spreadsheet_safe(labelled(mark_reversed(frame, study), study))
        columns = list(safe.columns)
        for col, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=col, value=_safe_text(column))
            cell.font = bold
            if column == "suppressed":
                cell.comment = Comment(
                    f"TRUE: the row rests on fewer than {study.min_group_size} respondents; "
                    "its estimates are empty and grey.", "cxstudy")
        spec = specs.get(name)
        blanked = {c for c in ([*spec.estimates, *spec.text_estimates] if spec else ())}
        hidden = (safe["suppressed"].astype(object).eq(True).to_numpy()
                  if "suppressed" in safe else [False] * len(safe))
        kinds = safe["kind"].tolist() if "kind" in safe else [None] * len(safe)
        formats = {column: number_format(name, column) for column in columns}
        per_row = name.startswith("metric")
        for r, (values, suppressed, kind) in enumerate(zip(
                safe.itertuples(index=False), hidden, kinds, strict=True), start=2):
            for col, (column, value) in enumerate(zip(columns, values, strict=True),
                                                  start=1):
                cell = sheet.cell(row=r, column=col, value=_value(value))
                fmt = number_format(name, column, kind) if per_row else formats[column]
                if isinstance(cell.value, float):
                    cell.number_format = fmt
                if suppressed and column in blanked:
                    cell.fill = grey
        sheet.freeze_panes = "B2" if columns and columns[0] == "wave" else "A2"
        if columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(safe) + 1)}"
        for col, column in enumerate(columns, start=1):
            longest = max([len(str(column)), *(len(str(v)) for v in safe[column].head(200))])
            sheet.column_dimensions[get_column_letter(col)].width = min(60, max(8, longest + 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def reversed_lines(study: Study) -> list[str]:
    """The About sheet's word on the items asked negatively (``reverse: true``): their
    share columns count the lowest points of the statement as asked, and their text cells
    say so (none for a study without such items)."""
    from .report.wording import REVERSE_MARK, reversed_items

    return [f"“{item.text}” is {REVERSE_MARK}: asked negatively, its answers are scored in "
            f"reverse, so its shares count those who {study.top_box_predicate(item.id)}; "
            f"its text cells say so ({REVERSE_MARK}: share who …), the CSV files hold the "
            "statement alone." for item in reversed_items(study)]


def mark_reversed(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """``frame`` with the ``text`` of each reverse-scored item marked with the answers its
    share counts (:func:`cxstudy.report.wording.item_label`); ``frame`` itself when it
    has no item text or the study no reversed item."""
    from .report.wording import item_label, reversed_items

    if not {"item", "text"} <= set(frame.columns) or not reversed_items(study):
        return frame
    marked = frame.copy()
    marked["text"] = [item_label(study, item, text, counted=True) if isinstance(text, str)
                      else text for item, text in zip(frame["item"], frame["text"],
                                                      strict=True)]
    return marked


def _intro(study: Study) -> list[str]:
    """The About sheet's first lines: the title, what the study compares, how to read the
    sheets (the third, on suppression, is filled grey)."""
    from .report.wording import belief_line

    return [
        study.title,
        belief_line(study) + " Every table of the report's tables/ folder, one sheet each, "
        "with the same values as the CSV files (audiences named as the report names them). "
        "Shares and gaps are fractions shown as percentages; intervals are "
        f"{study.interval_label}s, not adjusted for multiple comparisons; p_adjusted uses the "
        f"study's correction ({study.correction}) over each table.",
        f"Suppression: where a row rests on fewer than {study.min_group_size} respondents "
        "its estimates are empty, filled grey like this note, and suppressed is TRUE; the "
        "counts of respondents (n) stay so that a reader sees why.",
        "Text that could run as a formula starts with an apostrophe (').",
        *reversed_lines(study),
    ]


def _value(value):
    """A cell's value: blanks (NaN, NA) empty, numpy numbers as Python numbers."""
    if value is None:
        return None
    if isinstance(value, str):
        return _safe_text(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return value


def _safe_text(text):
    """A text cell that cannot run as a formula (the rule spreadsheet_safe applies to a
    column) and holds no control character a workbook cannot store."""
    if not isinstance(text, str):
        return text
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text

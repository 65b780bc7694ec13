"""tables.xlsx: the CSV tables as sheets, opened with openpyxl and compared cell by cell."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from openpyxl import load_workbook

import cxstudy as cx
from cxstudy.registry import WRITTEN
from cxstudy.workbook import (
    P_VALUE,
    PERCENT,
    SUPPRESSED_FILL,
    mark_reversed,
    number_format,
    write_workbook,
)

from .shapes import write_all


@pytest.fixture(scope="module")
def example_book(example_cleaned, tmp_path_factory):
    """The example's tables as CSV and as a workbook: (results, tables folder, workbook)."""
    from cxstudy.analysis import Results
    from cxstudy.clean import source_table

    study, raw, result = example_cleaned
    res = Results(study, result.responses, log=result.log,
                  sources=source_table(raw, result.log, study))
    folder = tmp_path_factory.mktemp("book")
    res.write_tables(folder / "tables")
    path = write_workbook(res.written_tables(), study, folder / "tables.xlsx")
    return res, folder / "tables", load_workbook(path)


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    """The differently shaped studies of tests/shapes.py: slug -> study file."""
    return write_all(tmp_path_factory.mktemp("shapes"))


def _float_columns(tables, name) -> list[str]:
    head = pd.read_csv(tables / f"{name}.csv", nrows=50)
    return [c for c in head.columns if pd.api.types.is_float_dtype(head[c])]


def _number(text: str):
    """A CSV number exactly as written (pandas' fast parser may be one unit off)."""
    return float(text) if text != "" else None


def sheet_frame(sheet) -> tuple[list[str], list[list]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [list(row) for row in rows[1:]]


def same(cell, value) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell is None
    if isinstance(value, bool):
        return cell is value
    if isinstance(value, int | float):  # a workbook keeps 16 significant digits (Excel 15)
        return isinstance(cell, int | float) and not isinstance(cell, bool) and \
            math.isclose(cell, value, rel_tol=1e-15, abs_tol=0)
    return cell == str(value)


def test_every_csv_is_a_sheet_with_the_same_values(example_book):
    _res, tables, book = example_book
    csvs = sorted(p.stem for p in tables.glob("*.csv"))
    assert book.sheetnames[0] == "About" and sorted(book.sheetnames[1:]) == csvs
    for name in csvs:
        frame = pd.read_csv(tables / f"{name}.csv", keep_default_na=False, na_values=[""],
                            dtype={"wave": str, "from_wave": str, "to_wave": str},
                            converters={c: _number for c in _float_columns(tables, name)})
        frame = mark_reversed(frame, _res.study)  # "… (reverse-scored: share who …)"
        header, rows = sheet_frame(book[name])
        assert header == list(frame.columns), name
        assert len(rows) == len(frame), name
        for row, expected in zip(rows, frame.itertuples(index=False), strict=True):
            for column, cell, value in zip(header, row, expected, strict=True):
                value = value.item() if hasattr(value, "item") else value
                assert same(cell, value), (name, column, cell, value)


def test_the_about_sheet_describes_each_sheet_from_the_registry(example_book):
    _res, _tables, book = example_book
    about = book["About"]
    rows = list(about.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[0] == "Sheet")
    described = {row[0]: dict(zip(rows[head], row, strict=True)) for row in rows[head + 1:]}
    assert set(described) == set(book.sheetnames[1:])
    specs = {entry.spec.name: entry for entry in WRITTEN.values()}
    for name, row in described.items():
        spec = specs[name].spec
        assert row["Columns"] == ", ".join(spec.columns)
        assert row["Blanked when suppressed"] == (", ".join([*spec.estimates,
                                                             *spec.text_estimates]) or "none")
        assert row["Holds"] == specs[name].doc
    assert "fewer than 5 respondents" in " ".join(str(r[0]) for r in rows[:head])


def test_sheets_have_frozen_headers_filters_and_formats(example_book):
    _res, _tables, book = example_book
    gaps = book["gaps"]
    header = [c.value for c in gaps[1]]
    assert gaps.freeze_panes in ("A2", "B2") and gaps.auto_filter.ref.startswith("A1:")
    assert gaps.auto_filter.ref.endswith(str(gaps.max_row))
    second = {name: gaps.cell(row=2, column=header.index(name) + 1)
              for name in ("gap", "gap_low", "top_box", "p_adjusted", "n", "mean_diff")}
    assert second["gap"].number_format == second["gap_low"].number_format == PERCENT
    assert second["top_box"].number_format == PERCENT
    assert second["p_adjusted"].number_format == P_VALUE
    assert second["n"].number_format == "General"  # counts as counts
    assert second["mean_diff"].number_format == "0.00"
    metrics = book["metrics"]
    header = [c.value for c in metrics[1]]
    for row in metrics.iter_rows(min_row=2):
        kind, value = row[header.index("kind")].value, row[header.index("value")]
        assert value.number_format == (PERCENT if kind in ("nps", "csat", "ces_low_effort")
                                       else "0.00"), kind


def test_number_formats_follow_the_units():
    assert number_format("dimension_gaps", "mean_diff") == "0.00"
    assert number_format("dimension_trends", "change") == "0.00"  # a mean difference
    assert number_format("trends", "change_low") == PERCENT
    assert number_format("metric_trends", "change", "ces") == "0.00"
    assert number_format("metric_trends", "change", "nps") == PERCENT
    assert number_format("segments", "levels_p_value") == P_VALUE


def test_suppressed_cells_are_empty_grey_and_explained(shaped, tmp_path):
    res = cx.analyze(shaped["tiny"])  # an audience of three, below min_group_size
    path = write_workbook(res.written_tables(), res.study, tmp_path / "tables.xlsx")
    book = load_workbook(path)
    gaps = book["gaps"]
    header = [c.value for c in gaps[1]]
    estimates = set(WRITTEN["gaps"].spec.estimates)
    suppressed_rows = [row for row in gaps.iter_rows(min_row=2)
                       if row[header.index("suppressed")].value is True]
    assert suppressed_rows  # every execs row
    for row in suppressed_rows:
        assert row[header.index("n")].value == 3  # the count stays, so a reader sees why
        for column, cell in zip(header, row, strict=True):
            if column in estimates:
                assert cell.value is None, column
                assert cell.fill.start_color.rgb.endswith(SUPPRESSED_FILL), column
    assert "fewer than 5" in gaps.cell(row=1, column=header.index("suppressed") + 1).comment.text
    shares = book["shares"]
    header = [c.value for c in shares[1]]
    for row in shares.iter_rows(min_row=2):
        shown = row[header.index("suppressed")].value is not True
        fill = row[header.index("top_box")].fill.start_color.rgb
        assert (row[header.index("top_box")].value is not None) == shown
        assert str(fill).endswith(SUPPRESSED_FILL) != shown


def test_no_cell_is_a_formula(tmp_path):
    """Item text that starts like a formula is text in the workbook, as in the CSV."""
    from .conftest import CUSTOMERS, LEADERS, build

    study, raw = build(tmp_path, LEADERS, CUSTOMERS, min_group_size=1, items=[
        {"id": "excellent", "text": '=HYPERLINK("http://x.example","click")', "scale": "agree5",
         "column": "Q1", "headline": True, "dimension": "@risk"}])
    result = cx.clean(raw, study)
    res = cx.analyze(study, result.responses)
    path = write_workbook(res.written_tables(), study, tmp_path / "tables.xlsx")
    book = load_workbook(path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert "'=HYPERLINK(\"http://x.example\",\"click\")" in texts and "'@risk" in texts


def test_deliverables_switched_off_are_not_written(shaped, tmp_path):
    import dataclasses

    from cxstudy.render import write_deliverables

    res = cx.analyze(shaped["mixed"])
    res.study = dataclasses.replace(res.study, deliverables=dataclasses.replace(
        res.study.deliverables, deck=False))
    assert write_deliverables(res, tmp_path) == ["tables.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables.xlsx"]


def test_a_reversed_item_is_marked_in_its_sheets_and_explained(example_book):
    """The example's "Dealing with us can be frustrating" is reverse-scored: its text cells
    say which answers its shares count, the About sheet says why; other items are as in
    the CSV."""
    _res, tables, book = example_book
    header, rows = sheet_frame(book["gaps"])
    texts = {row[header.index("item")]: row[header.index("text")] for row in rows}
    assert texts["frustrating"] == ("Dealing with us can be frustrating (reverse-scored: "
                                    "share who disagree)")
    assert texts["excellent"] == "We deliver an excellent customer experience"
    csv = pd.read_csv(tables / "gaps.csv")
    assert set(csv.loc[csv["item"] == "frustrating", "text"]) == {
        "Dealing with us can be frustrating"}  # the CSV contract is unchanged
    about = " ".join(str(row[0]) for row in book["About"].iter_rows(values_only=True)
                     if row[0])
    assert ("“Dealing with us can be frustrating” is reverse-scored: asked negatively, its "
            "answers are scored in reverse, so its shares count those who disagree") in about

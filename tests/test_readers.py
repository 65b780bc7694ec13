"""Readers: every format, the quirks of real exports, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cxstudy as cx
from cxstudy.exceptions import ReadError

from .conftest import FIXTURES, real_file

PLAIN_COLUMNS = ["ResponseId", "Name", "Q1", "Q2", "Comment"]


@pytest.mark.parametrize("name, encoding, delimiter", [
    ("plain_utf8.csv", "utf-8", ","),
    ("plain_bom.csv", "utf-8-sig", ","),
    ("excel_cp1252_semicolon.csv", "cp1252", ";"),
    ("tab_utf16.txt", "utf-16", "\t"),
])
def test_csv_encodings_and_delimiters(name, encoding, delimiter):
    frame = cx.read_export(FIXTURES / name)
    assert frame.attrs["format"] == "csv"
    assert frame.attrs["encoding"] == encoding
    assert frame.attrs["delimiter"] == delimiter
    assert list(frame.columns) == PLAIN_COLUMNS  # no BOM glued to the first name
    assert len(frame) == 3
    assert frame.loc[0, "Name"] == "Zoë Åberg"
    assert frame.loc[0, "Comment"] == "Great service – très bien"
    assert frame.loc[1, "Q1"] == "strongly agree"  # trailing space stripped, case kept
    assert pd.isna(frame.loc[2, "Q2"]) and pd.isna(frame.loc[2, "Comment"])  # blanks missing
    assert frame["Q2"].dtype.kind == "f"


def test_blank_header_names_are_stable():
    frame = cx.read_export(FIXTURES / "blank_header.csv")
    assert list(frame.columns) == ["column_1", "id", "Q1", "column_4"]
    assert cx.read_export(FIXTURES / "blank_header.csv").columns.equals(frame.columns)


def test_duplicate_header_names_made_unique():
    from cxstudy.readers import unique_names

    assert unique_names(["Q1", "Q1", "", "Q1", " "]) == [
        "Q1", "Q1 (repeat 2)", "column_3", "Q1 (repeat 3)", "column_5"]
    # a repeat never takes the name of a real column: Q1_2 stays the export's own Q1_2
    assert unique_names(["Q1", "Q1_2", "Q1"]) == ["Q1", "Q1_2", "Q1 (repeat 2)"]


def test_xlsx_first_sheet_and_named_sheet():
    first = cx.read_export(FIXTURES / "two_sheets.xlsx")
    assert first.attrs["format"] == "xlsx" and len(first) == 0
    frame = cx.read_export(FIXTURES / "two_sheets.xlsx", sheet="Responses")
    assert list(frame.columns) == PLAIN_COLUMNS
    assert frame["Q2"].tolist() == [5, 4]
    assert frame.loc[0, "Name"] == "Zoë Åberg"
    assert pd.isna(frame.loc[1, "Comment"])


def test_xlsx_missing_sheet_lists_the_sheets():
    with pytest.raises(ReadError) as caught:
        cx.read_export(FIXTURES / "two_sheets.xlsx", sheet="Staff")
    assert "two_sheets.xlsx" in str(caught.value)
    assert "'Intro', 'Responses'" in str(caught.value)


@pytest.mark.parametrize("name", ["qualtrics.csv", "qualtrics_single_quoted.csv"])
def test_qualtrics_three_header_rows(name):
    frame = cx.read_export(FIXTURES / name)
    assert frame.attrs["format"] == "qualtrics" and frame.attrs["header_rows"] == 3
    assert list(frame.columns)[:3] == ["StartDate", "Status", "Finished"]
    assert len(frame) == 3
    assert frame.attrs["questions"]["Q1"] == "We deliver an excellent experience"
    assert frame["Status"].tolist() == ["IP Address", "Survey Preview", "IP Address"]
    assert frame["Duration (in seconds)"].tolist() == [300, 20, 90]


def test_qualtrics_legacy_two_rows_with_named_metadata():
    frame = cx.read_export(FIXTURES / "qualtrics_legacy.csv")
    assert frame.attrs["format"] == "qualtrics" and frame.attrs["variant"] == "legacy"
    # V1..V10 take their meaning from the second row; questions keep their names
    assert list(frame.columns[:3]) == ["ResponseID", "ResponseSet", "Name"]
    assert "Finished" in frame.columns and "Q1" in frame.columns
    assert frame.columns[-1] == "column_13"  # the trailing comma's empty column
    assert frame.attrs["questions"]["Q2"] == "What do we do well?"
    assert frame["Status"].tolist() == [0, 1]


def test_qualtrics_explicit_format_refuses_plain_csv():
    with pytest.raises(ReadError, match="does not look like a Qualtrics export"):
        cx.read_export(FIXTURES / "plain_utf8.csv", format="qualtrics")


def test_surveymonkey_names_from_both_header_rows():
    frame = cx.read_export(FIXTURES / "surveymonkey.csv")
    assert frame.attrs["format"] == "surveymonkey"
    assert list(frame.columns) == [
        "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
        "Email Address", "How satisfied are you?", "Rate each: service - Speed",
        "Rate each: service - Friendliness", "Any comments?"]
    assert frame.loc[0, "Any comments?"] == 'Lovely, "really" lovely,\nsecond line'
    assert frame["Respondent ID"].tolist() == [101, 102]


def test_google_forms_timestamp_and_grid_columns():
    frame = cx.read_export(FIXTURES / "google_forms.csv")
    assert frame.attrs["format"] == "google_forms"
    assert "How easy was it? [Ordering]" in frame.columns
    assert frame["How easy was it? [Delivery]"].tolist() == ["Very easy", "Easy"]


def test_spss_value_labels_user_missing_and_variable_labels():
    frame = cx.read_export(FIXTURES / "labelled.sav")
    assert frame.attrs["format"] == "spss"
    assert frame["segment"].tolist() == ["leadership", "staff", "customers", "leadership"]
    # 9 is declared user-missing: it becomes missing, not the label "No answer"
    assert frame["sat"].tolist()[:2] == ["Very satisfied", "Very dissatisfied"]
    assert pd.isna(frame.loc[2, "sat"])
    assert frame.attrs["questions"]["sat"] == "How satisfied are you with us?"
    assert pd.isna(frame.loc[1, "comment"])  # empty string is a blank


def test_detection_errors_name_the_file_and_what_was_tried(tmp_path):
    binary = tmp_path / "export.bin"
    binary.write_bytes(b"\x00\x01\x02PK\x00" * 100)
    with pytest.raises(ReadError) as caught:
        cx.read_export(binary)
    message = str(caught.value)
    assert "export.bin" in message and "spss" in message and "csv" in message

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ReadError, match=r"empty\.csv: the file is empty"):
        cx.read_export(empty)

    with pytest.raises(ReadError, match="file not found"):
        cx.read_export(tmp_path / "nope.csv")

    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ReadError, match=r"save it as \.xlsx"):
        cx.read_export(old)


def test_ragged_csv_names_the_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(ReadError) as caught:
        cx.read_export(path)
    assert "ragged.csv" in str(caught.value) and "line 3" in str(caught.value)


def test_reading_never_modifies_the_file(tmp_path):
    import hashlib
    import shutil

    for name in ["qualtrics.csv", "two_sheets.xlsx", "labelled.sav", "surveymonkey.csv"]:
        copy = tmp_path / name
        shutil.copy(FIXTURES / name, copy)
        before = hashlib.sha256(copy.read_bytes()).hexdigest(), copy.stat().st_mtime_ns
        cx.read_export(copy)
        assert (hashlib.sha256(copy.read_bytes()).hexdigest(), copy.stat().st_mtime_ns) == before


# ---------------------------------------------------------------------------
# real exports (tests/fixtures/real; the GPL/unlicensed surveys from ../shared/data)


@pytest.mark.parametrize("name, rows, columns, variant", [
    ("qualtRics_sample.csv", 1, 20, "qualtrics"),
    ("qualtRics_sample_legacy.csv", 1, 16, "legacy"),
    ("QualtricsTools_Sample_Survey_Insights.csv", 5, 190, "qualtrics"),
    ("QualtricsTools_Sample_Survey_Legacy.csv", 5, 190, "legacy"),
    ("QualtricsTools_Single_Answer_Matrix_Insights.csv", 5, 30, "qualtrics"),
    ("QualtricsTools_Text_Entry_Components.csv", 15, 40, "qualtrics"),
])
def test_real_qualtrics_exports(name, rows, columns, variant):
    frame = cx.read_export(real_file(f"qualtrics/{name}"))
    assert frame.attrs["format"] == "qualtrics" and frame.attrs["variant"] == variant
    assert frame.shape == (rows, columns)
    assert frame.columns.is_unique


def test_real_qualtrics_values_and_question_text():
    sample = cx.read_export(real_file("qualtrics/qualtRics_sample.csv"))
    assert sample.loc[0, "ResponseId"] == "R_2YPOQ602ER1jkf1"
    assert sample.loc[0, "Q2"] == "Hello World!"
    assert sample.loc[0, "Q1"] == 2
    assert sample.attrs["questions"]["Q1"] == "This is a multiple choice question."
    assert sample.attrs["questions"]["RecipientLastName"] == "Nachname des Empfängers"
    assert sample.attrs["import_ids"]["Q1"] == '{"ImportId":"QID1"}'

    legacy = cx.read_export(real_file("qualtrics/qualtRics_sample_legacy.csv"))
    assert legacy.loc[0, "ResponseID"] == "R_2YPOQ602ER1jkf1"
    assert legacy.loc[0, "Q2"] == "Hello World!"
    assert legacy.attrs["encoding"] == "utf-8-sig"

    insights = cx.read_export(
        real_file("qualtrics/QualtricsTools_Sample_Survey_Insights.csv"))
    assert insights.attrs["import_ids"]["Q2_1"] == "{'ImportId': 'QID2-1'}"  # single quotes
    assert insights["ResponseID"].tolist()[0] == "R_e8z6glNpLL4PkcR"
    assert insights["Status"].eq(2).all()  # generated test responses
    assert "Q4#1_1" in insights.columns


def test_real_surveymonkey_export():
    frame = cx.read_export(
        real_file("surveymonkey/ggwash_2022_anc_questionnaire_surveymonkey_redacted.csv"))
    assert frame.attrs["format"] == "surveymonkey"
    assert frame.shape == (180, 34)
    assert frame.columns.is_unique
    assert frame.columns[0] == "Respondent ID"
    assert frame.columns[1] == "Contact information - Name"
    assert frame.loc[0, "Contact information - Name"] == "Respondent 001"
    assert frame.loc[0, "Respondent ID"] == 118120333334
    ranking = [c for c in frame.columns if c.startswith("_Planned unit developments")]
    assert len(ranking) == 8  # the ranking matrix: one column per option
    assert frame[ranking[3]].eq("N/A").sum() > 0  # "N/A" is an answer here, kept as text
    # HTML in question text is stripped for readable names
    assert not any("<a href" in c for c in frame.columns)
    plans = frame.filter(like="Do you support the projects in the bus").iloc[:, 0].dropna()
    assert plans.str.contains("\n").sum() == 6  # multi-line quoted answers survive whole


def test_real_spss_gss():
    frame = cx.read_export(real_file("spss/gss_studentware_subset.sav"))
    assert frame.shape == (1473, 22)
    assert frame.attrs["questions"]["satjob"] == "Satisfaction with job or housework"
    counts = frame["satjob"].value_counts(dropna=False)
    assert counts["Very satisfied"] == 555 and counts["Very dissatisfied"] == 84
    # 57 user-missing 9s ("Missing") + 208 system-missing = 265 missing, none labelled
    assert frame["satjob"].isna().sum() == 265
    # race declares {9, 3} user-missing: the 52 threes are missing
    assert frame["race"].isna().sum() == 52
    assert set(frame["race"].dropna()) == {"White", "Black"}


@pytest.mark.parametrize("name", ["pyreadstat_sample.sav", "pyreadstat_sample_missing.sav",
                                  "pyreadstat_simple_alltypes.sav"])
def test_real_spss_format_fixtures(name):
    frame = cx.read_export(real_file(f"spss/{name}"))
    assert frame.attrs["format"] == "spss" and len(frame) > 0
    if name == "pyreadstat_sample.sav":
        assert frame["mylabl"].tolist()[:3] == ["Male", "Female", "Male"]
    if name == "pyreadstat_sample_missing.sav":
        raw = cx.read_export(real_file("spss/pyreadstat_sample.sav"))
        assert frame["mynum"].isna().sum() >= raw["mynum"].isna().sum()


@pytest.mark.parametrize("name, shape", [
    ("airline_passenger_satisfaction_test.csv", (25976, 25)),
    ("corp_rep_mobile_provider.csv", (344, 41)),
    ("ecsi_bank_satisfaction.csv", (250, 28)),
    ("ecsi_mobi_mobile_phone.csv", (250, 24)),
    ("employee_org_identification_bergami_bagozzi2000.csv", (305, 22)),
    ("service_quality_SQ.csv", (411, 23)),
])
def test_real_survey_csvs(name, shape):
    frame = cx.read_export(real_file(name))
    assert frame.attrs["format"] == "csv"
    assert frame.shape == shape
    numeric = frame.select_dtypes(include=[np.number])
    assert numeric.shape[1] >= shape[1] - 6  # answers arrive as numbers


def test_airline_unnamed_index_column_gets_a_name():
    frame = cx.read_export(real_file("airline_passenger_satisfaction_test.csv"))
    assert frame.columns[0] == "column_1"
    assert frame["Arrival Delay in Minutes"].isna().sum() > 0
    assert frame["Inflight wifi service"].between(0, 5).all()


# -- the Arrow path and the careful path read every text file alike (issue 14) -----------

TEXT_FILES = sorted(p for p in FIXTURES.rglob("*")
                    if p.suffix in {".csv", ".txt", ".tsv"} and p.is_file()) + sorted(
    (FIXTURES.parents[1] / "data" / "raw" / "example").rglob("*.csv"))


def _both_paths(path):
    from cxstudy.readers import _arrow_grid, _careful_grid

    fast = _arrow_grid(path.read_bytes())
    careful, _ = _careful_grid(path)
    if fast is not None:  # Arrow keeps each distinct cell once (categories): the same cells
        grid, info = fast
        assert all(isinstance(t, pd.CategoricalDtype) for t in grid.dtypes)
        fast = grid.astype(careful.dtypes.to_dict()), info
    return fast, careful


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_arrow_and_careful_paths_read_the_same_grid(path):
    fast, careful = _both_paths(path)
    if fast is not None:
        pd.testing.assert_frame_equal(fast[0], careful)


def test_arrow_path_reads_the_example_and_refers_the_rest(tmp_path):
    from cxstudy.readers import _arrow_grid

    example = FIXTURES.parents[1] / "data" / "raw" / "example" / "customers_qualtrics.csv"
    assert _arrow_grid(example.read_bytes()) is not None
    for name in ("tab_utf16.txt", "excel_cp1252_semicolon.csv"):  # other encodings
        assert _arrow_grid((FIXTURES / name).read_bytes()) is None
    assert _arrow_grid(b"a,b\n1,x\r2,y\n") is None  # a lone carriage return
    assert _arrow_grid(b"a,b\n1,2,3\n") is None  # ragged: the careful path names the line
    assert _arrow_grid(b'a,b\n1,"2\n') is None  # cut off inside a quoted answer


@given(cells=st.lists(st.lists(st.text(st.characters(blacklist_categories=["Cs"],
                                                     blacklist_characters="\x00\r"),
                                       max_size=6), min_size=3, max_size=3),
                      min_size=1, max_size=6),
       crlf=st.booleans(), quote_all=st.booleans())
@settings(max_examples=60, deadline=None)
def test_arrow_path_equals_careful_path_on_any_cells(tmp_path_factory, cells, crlf, quote_all):
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n",
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(
        [["id", "answer", "note"], *cells])
    path = tmp_path_factory.mktemp("grid") / "cells.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    try:
        fast, careful = _both_paths(path)
    except ReadError:
        return  # e.g. a blank line of cells: the careful path refuses it, and says where
    if fast is not None:
        pd.testing.assert_frame_equal(fast[0], careful)


@given(cells=st.lists(st.sampled_from(["", " ", "1", "2.5", " 3 ", "007", "-1", "1e3", "x",
                                       " Agree", "Agree ", "n/a", "10"]), min_size=1,
                      max_size=40),
       unused=st.lists(st.sampled_from(["Q1", "x", "007", "{\"ImportId\": \"QID1\"}"]),
                       max_size=3))
@settings(max_examples=200, deadline=None)
def test_tidying_distinct_answers_equals_tidying_every_row(cells, unused):
    """The Arrow path tidies each distinct cell once (numbers, blanks, spaces) and takes
    the result back to the rows: the same column as tidying row by row. Categories no
    row holds (the header rows') play no part."""
    from cxstudy.readers import _tidy_distinct, _tidy_text

    categories = list(dict.fromkeys([*cells, *unused]))
    column = pd.Series(pd.Categorical(cells, categories=categories), name="Q")
    expected = _tidy_text(pd.Series(cells, dtype="str", name="Q"))
    pd.testing.assert_series_equal(_tidy_distinct(column), expected)
    kept = _tidy_distinct(column, keep_categories=True)  # answer labels stay categories
    if isinstance(kept.dtype, pd.CategoricalDtype):  # (numbers become numbers all the same)
        pd.testing.assert_series_equal(kept.astype("str"), expected.astype("str"))
        held = list(pd.unique(expected.dropna()))
        assert list(kept.cat.categories) == held  # those the rows hold, first held first
    else:
        pd.testing.assert_series_equal(kept, expected)


def test_exports_stack_their_answer_labels_as_one_set_of_categories():
    """Label columns read as categories keep them across exports whose labels differ; a
    column that one export holds as numbers is text again, as it would have been."""
    from cxstudy.readers import _same_categories

    first = pd.DataFrame({"Q1": pd.Categorical(["Agree", "Disagree", None]),
                          "Q2": pd.Categorical(["Yes", "No", "Yes"])})
    second = pd.DataFrame({"Q1": pd.Series(["agree", "Agree"], dtype="str"),
                           "Q2": [1.0, 2.0], "Q3": ["x", "y"]})
    third = pd.DataFrame({"Q3": ["z"]})
    frames = _same_categories([first, second, third])
    raw = pd.concat(frames, ignore_index=True)
    assert isinstance(raw["Q1"].dtype, pd.CategoricalDtype)
    assert list(raw["Q1"].cat.categories) == ["Agree", "Disagree", "agree"]
    assert raw["Q1"].astype("str").tolist()[:2] == ["Agree", "Disagree"]
    assert raw["Q1"].isna().tolist() == [False, False, True, False, False, True]
    assert raw["Q2"].tolist()[:3] == ["Yes", "No", "Yes"] and raw["Q2"].tolist()[3:5] == [1, 2]
    assert not isinstance(raw["Q2"].dtype, pd.CategoricalDtype)


def test_a_label_column_one_workbook_holds_as_text_stacks_as_categories():
    """An answer-label column that only one export holds, as text (a workbook), is
    categorical once stacked, so the other exports' rows are an empty code each; a text
    column that is not an answer label stays text."""
    from cxstudy.readers import _same_categories

    workbook = pd.DataFrame({"S01": pd.Series(["Agree", "Disagree"], dtype="str"),
                             "Team": pd.Series(["North", "South"], dtype="str")})
    export = pd.DataFrame({"Q1": pd.Categorical(["Agree"] * 3)})
    raw = pd.concat(_same_categories([export, workbook], labels={"S01", "Q1"}),
                    ignore_index=True, sort=False)
    assert list(raw.columns) == ["Q1", "S01", "Team"]
    assert isinstance(raw["S01"].dtype, pd.CategoricalDtype)
    assert raw["S01"].tolist()[3:] == ["Agree", "Disagree"] and raw["S01"].isna().sum() == 3
    assert isinstance(raw["Team"].dtype, pd.StringDtype)


def test_text_columns_an_export_lacks_cost_its_rows_nothing():
    """Text columns that only a small export has (staff names, their open answers) are
    empty for a large export's rows: stacked, all of them share one empty Arrow array,
    and the columns keep the order in which the exports hold them."""
    from cxstudy.readers import _missing_text_shared

    staff = pd.DataFrame({"Name": pd.Series(["Ann", None], dtype="str"),
                          "Tenure": [1.0, 2.0],
                          "Open": pd.Series(["fine", "slow"], dtype="str")})
    customers = pd.DataFrame({"Q1": pd.Series(["yes"] * 1000, dtype="str")})
    frames = [customers, staff]
    order = list(dict.fromkeys(c for f in frames for c in f.columns))
    raw = pd.concat(_missing_text_shared(frames), ignore_index=True, sort=False)[order]
    expected = pd.concat(frames, ignore_index=True, sort=False)
    pd.testing.assert_frame_equal(raw, expected)
    assert list(raw.columns) == ["Q1", "Name", "Tenure", "Open"]

    def buffers(name):  # the customers' part of the column
        return raw[name].array.__arrow_array__().chunk(0).buffers()

    assert [b.address for b in buffers("Name") if b] == \
        [b.address for b in buffers("Open") if b]


def test_answer_labels_are_read_once_each(example_cleaned):
    """A study's answer-label columns come back from read_sources as categories (each
    label held once, however many rows give it), the others as text or numbers."""
    study, raw, _result = example_cleaned
    labels = {m.column for m in study.mappings() if m.kind in ("item", "metric")}
    categorical = {c for c in raw.columns if isinstance(raw[c].dtype, pd.CategoricalDtype)}
    assert categorical - labels == {"source", "group", "group_value"}  # and these, a few names
    assert categorical & labels
    text_labels = {c for c in labels if not pd.api.types.is_numeric_dtype(raw[c])}
    assert text_labels <= categorical  # the staff workbook's labels among them
    assert "S01" in text_labels
    assert not isinstance(raw["ResponseId"].dtype, pd.CategoricalDtype)


# -- reading in blocks: iter_sources (issue 29) -------------------------------------------


def _study(tmp_path, customers: bytes, *, leaders: bytes = b"Q1,Team\nAgree,North\n"
           b"Disagree,South\n", **source):
    """Two exports: leaders.csv (small) and customers.csv (``customers``), Q1 an item."""
    from .conftest import minimal_study

    (tmp_path / "leaders.csv").write_bytes(leaders)
    (tmp_path / "customers.csv").write_bytes(customers)
    spec = minimal_study()
    spec["sources"][1].update(source)
    if "group_column" in source:
        del spec["sources"][1]["group"]
    return cx.load_study(spec, base_dir=tmp_path)


def _rows(lines: list[str], crlf: bool = False, bom: bool = False) -> bytes:
    end = "\r\n" if crlf else "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + (end.join(lines) + end).encode("utf-8")


def test_blocks_are_the_rows_of_read_sources(example_cleaned):
    """The example (CSV, Qualtrics' three header rows, workbooks read whole, two waves)
    in blocks of 500 rows: each block one export's consecutive rows, with read_sources'
    columns, dtypes and numbering; one under the other, read_sources itself."""
    study, raw, _result = example_cleaned
    blocks = list(cx.iter_sources(study, block_rows=500))
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), raw)
    at = 0
    for block in blocks:
        assert 0 < len(block) <= 500 and block["source"].nunique() == 1
        assert block.dtypes.equals(raw.dtypes) and list(block.index) == list(range(len(block)))
        assert block["source_row"].diff().dropna().eq(1).all()
        pd.testing.assert_frame_equal(block, raw.iloc[at:at + len(block)].reset_index(drop=True))
        assert block.attrs["sources"] == raw.attrs["sources"]
        at += len(block)
    assert list(dict.fromkeys(b["source"].iloc[0] for b in blocks)) == [
        s.name for s in study.sources]  # the study's order of sources


def test_a_streamed_export_reads_as_the_whole_file_reader_reads_it(tmp_path):
    """What a block alone cannot see is decided over the whole export: a column of numbers
    until "n/a" deep in the file is text throughout; whole numbers with one blank at the
    end are floats in every block; an id with a leading zero late keeps every id text;
    labels and audiences first given late are categories of the first block. Each block
    holds what the whole-file reader (read_export) reads, a line break inside an answer
    included (CRLF file with a BOM)."""
    from cxstudy.readers import _planned

    lines = ["Q1,Score,Count,Id,Who,Note"]
    for n in range(1, 101):
        lines.append(",".join([
            ["Agree", "Disagree"][n % 2] if n < 90 else "Strongly agree",
            "n/a" if n == 95 else str(n), "" if n == 100 else str(n),
            "007" if n == 97 else str(1000 + n),
            "leadership" if n < 80 else "customers",
            '"two\r\nlines"' if n == 3 else "fine"]))
    study = _study(tmp_path, _rows(lines, crlf=True, bom=True), group_column="Who")
    plans, failures = _planned(study)
    assert failures == [] and plans[1].stream is not None  # streamed, not read whole
    blocks = list(cx.iter_sources(study, block_rows=7))
    raw = pd.concat(blocks, ignore_index=True)
    pd.testing.assert_frame_equal(raw, cx.read_sources(study))
    customers = raw[raw["source"] == "customers"].reset_index(drop=True)
    whole = cx.read_export(tmp_path / "customers.csv")
    for name in whole.columns:
        assert customers[name].astype(object).equals(whole[name].astype(object)), name
    assert customers["Score"].dtype == whole["Score"].dtype  # text: "n/a" at row 95
    assert customers["Count"].dtype == np.float64  # one blank, in the last block
    assert customers["Id"].tolist()[96] == "007" and customers["Id"].tolist()[0] == "1001"
    assert customers["Note"].tolist()[2] == "two\nlines"
    first = next(b for b in blocks if b["source"].iloc[0] == "customers")
    assert "Strongly agree" in first["Q1"].cat.categories  # first held at row 90
    assert list(first["group"].cat.categories) == list(raw["group"].cat.categories)
    assert set(first["group_value"].cat.categories) >= {"leadership", "customers"}
    assert customers["source_row"].tolist() == list(range(1, 101))


def test_exports_that_cannot_be_streamed_are_read_whole_and_cut(tmp_path):
    """Windows cp1252 text takes the careful path, read whole: its rows come in blocks
    all the same, one row each here."""
    from cxstudy.readers import _planned

    text = "Q1;Name\nAgree;Zoë\nDisagree;Åsa\nAgree;Ève\n".encode("cp1252")
    study = _study(tmp_path, text)
    plans, _ = _planned(study)
    assert plans[1].stream is None and plans[1].frame is not None
    blocks = list(cx.iter_sources(study, block_rows=1))
    assert len(blocks) == 5 and all(len(b) == 1 for b in blocks)
    raw = cx.read_sources(study)
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), raw)
    assert raw["Name"].tolist()[2:] == ["Zoë", "Åsa", "Ève"]


def test_a_malformed_row_deep_in_a_large_export_is_named_before_any_block(tmp_path,
                                                                          monkeypatch):
    """A row with a field too many in block 900 of 1,000 (10 rows a block; Arrow reading
    4 KB at a time): iter_sources names its line, counted as an editor counts them (the
    answers above it spread over two lines each count two), before giving any block, and
    as the whole-file reader names it."""
    from cxstudy import readers

    monkeypatch.setattr(readers, "_ARROW_BLOCK_BYTES", 4096)
    lines = ["Q1,Note"]
    for n in range(1, 10_001):
        lines.append(f'Agree,"first\nsecond {n}"' if n % 1000 == 0 else f"Agree,note {n}")
        if n == 8_995:
            lines.append("Agree,an unquoted, comma")  # record 8,996: block 900
    path_study = _study(tmp_path, _rows(lines))
    # the header, 8,995 records, 8 of them spread over two lines: line 1 + 8,995 + 8 + 1
    expected = ("the table is ragged: line 9005 has 3 fields, more than the header. Check "
                "for an unquoted ',' inside an answer, or re-export the file")
    with pytest.raises(ReadError) as caught:
        cx.iter_sources(path_study, block_rows=10)
    assert str(caught.value).endswith("customers.csv: " + expected)
    with pytest.raises(ReadError) as whole:
        readers._careful_grid(tmp_path / "customers.csv")
    assert str(whole.value) == str(caught.value)


def test_short_rows_deep_in_a_streamed_export_are_counted_and_the_first_named(tmp_path):
    lines = ["Q1,Note,Team"] + [f"Agree,n{n},North" for n in range(1, 3001)]
    lines[2000] = "Agree,short"
    lines[2500] = 'Agree,"cut\noff"'
    study = _study(tmp_path, _rows(lines))
    with pytest.raises(ReadError, match=r"customers\.csv, row 2001: 2 line\(s\) have fewer "
                                        r"fields than the header \(the first: 2 of 3\)"):
        cx.iter_sources(study, block_rows=100)


def test_an_export_that_changes_between_the_passes_is_refused(tmp_path):
    study = _study(tmp_path, _rows(["Q1"] + ["Agree"] * 50))
    blocks = cx.iter_sources(study, block_rows=10)
    (tmp_path / "customers.csv").write_bytes(_rows(["Q1"] + ["Agree"] * 60))
    with pytest.raises(ReadError, match="changed while it was being read"):
        list(blocks)


def test_block_rows_below_one_is_refused(tmp_path):
    study = _study(tmp_path, _rows(["Q1", "Agree"]))
    with pytest.raises(ValueError, match="block_rows must be at least 1"):
        cx.iter_sources(study, block_rows=0)


@pytest.mark.parametrize("fmt, rows", [("qualtrics", 3), ("csv", 5)])
def test_blocks_skip_the_header_rows_of_the_format_given(tmp_path, fmt, rows):
    """A Qualtrics export read as Qualtrics skips its three header rows; read as plain CSV
    (format: csv), one: the rows after it are responses, in every pass."""
    study = _study(tmp_path, (FIXTURES / "qualtrics.csv").read_bytes(), format=fmt)
    blocks = list(cx.iter_sources(study, block_rows=2))
    raw = pd.concat(blocks, ignore_index=True)
    customers = raw[raw["source"] == "customers"]
    assert len(customers) == rows == len(cx.read_export(tmp_path / "customers.csv", fmt))
    assert customers["source_row"].tolist() == list(range(1, rows + 1))
    pd.testing.assert_frame_equal(raw, cx.read_sources(study))


def test_an_answer_longer_than_arrows_block_makes_the_export_one_read_whole(tmp_path,
                                                                           monkeypatch):
    """Arrow's streaming reader cannot hold a record longer than its block: that export is
    read whole (and cut into blocks), its long answer intact."""
    from cxstudy import readers

    monkeypatch.setattr(readers, "_ARROW_BLOCK_BYTES", 1024)
    long = "word " * 1000
    study = _study(tmp_path, _rows(["Q1,Note", "Agree,short", f'Disagree,"{long}"']))
    plans, failures = readers._planned(study)
    assert failures == [] and plans[1].stream is None
    raw = pd.concat(cx.iter_sources(study, block_rows=1), ignore_index=True)
    assert raw["Note"].tolist()[-1] == long.strip()
    pd.testing.assert_frame_equal(raw, cx.read_sources(study))


_CELLS = ["", " ", "1", "2", "-3", "+4", " 5 ", "2.5", ".5", "1.", "1e3", "1E-2", "007", "0",
          "-0", "9223372036854775807", "9223372036854775808", "123456789012345678901", "nan",
          "inf", "1_000", "x", "Agree", " Agree", "n/a", "\u00a06"]


@given(texts=st.lists(st.sampled_from([c for c in _CELLS if c.strip()]), min_size=1,
                      max_size=8, unique=True))
@settings(max_examples=300, deadline=None)
def test_the_dtype_of_distinct_numbers_is_pandas_own(texts):
    """The survey pass tells numbers by pattern in Arrow: the dtype pandas' to_numeric
    gives the same texts, None where one is no number or has a leading zero."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxstudy.readers import _LEADING_ZERO, _numbers_dtype

    tidied = pc.utf8_trim_whitespace(pa.array(texts))
    values = pd.Series(tidied.to_pylist(), dtype="str")
    numbers = pd.to_numeric(values, errors="coerce")
    expected = (None if numbers.isna().any() or values.str.match(_LEADING_ZERO).any()
                else numbers.dtype)
    assert _numbers_dtype(tidied) == expected


@given(cells=st.lists(st.tuples(st.sampled_from(_CELLS), st.sampled_from(_CELLS),
                                st.sampled_from(_CELLS)), min_size=1, max_size=60),
       late=st.sampled_from(["", "n/a", "9223372036854775808", "1.5", "Strongly agree"]))
@example(cells=[("", "1", " "), ("2", "1", "123456789012345678901"),
                ("", "-3", "9223372036854775807")], late="")  # blanks alone in a batch
@settings(max_examples=40, deadline=None)
def test_a_streamed_export_reads_as_the_whole_reader_on_any_cells(tmp_path_factory, cells,
                                                                 late):
    """Any cells in many small batches of Arrow's streaming reader (and a text given in
    the very last row): every column of the blocks is the whole-file reader's, values and
    dtypes (numbers past int64 and texts late make an export one read whole, or text),
    stacked under the other export (which lacks A and B: whole numbers become floats)."""
    import csv
    import io

    from cxstudy import readers

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [["Q1", "A", "B"], *cells, [late, late, late]])
    tmp_path = tmp_path_factory.mktemp("cells")
    study = _study(tmp_path, buffer.getvalue().encode("utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "_ARROW_BLOCK_BYTES", 64)
        blocks = list(cx.iter_sources(study, block_rows=7))
    raw = pd.concat(blocks, ignore_index=True)
    customers = raw[raw["source"] == "customers"].reset_index(drop=True)
    whole = pd.concat([cx.read_export(tmp_path / name, categories={"Q1"}) for name in
                       ("leaders.csv", "customers.csv")], ignore_index=True).iloc[2:]
    whole = whole.reset_index(drop=True)  # stacked under leaders.csv, as its blocks are
    assert len(customers) == len(whole) == len(cells) + 1
    for name in ("Q1", "A", "B"):
        assert customers[name].astype(object).equals(whole[name].astype(object)), name
    for name in ("A", "B"):
        assert customers[name].dtype == whole[name].dtype, name


@pytest.mark.parametrize("late, streamed, error", [
    (b"Agree,late\x00nul\n", False, r"customers\.csv, row 1001: a NUL byte"),
    (b"Agree,lone\rreturn\n", False, None),
    (b'Agree,"never closed\n', False, "a quoted answer is never closed"),
    (b'Agree,"two\r\nlines"\n', True, None),
    (b"Agree,007\n", True, None),
    (b"Agree,99999999999999999999\n", True, None),
    (b"Strongly agree,late label\n", True, None),
    (b"Agree,\n", True, None),  # a blank alone in the last batch: whole numbers are floats
])
@pytest.mark.parametrize("bom", [False, True])
def test_what_only_the_last_bytes_show_is_seen_by_the_one_read(tmp_path, monkeypatch, late,
                                                               streamed, error, bom):
    """The survey pass reads each export once, checking its bytes as Arrow pulls them: a
    NUL byte, a carriage return alone or a quote never closed in the last row (after many
    batches) sends the export to the careful path as a check of every byte before did
    (its error, or its rows); a line break CRLF inside an answer, a leading zero, a number
    past int64 and a label first held there do not, and read as the whole reader reads."""
    from cxstudy import readers

    monkeypatch.setattr(readers, "_ARROW_BLOCK_BYTES", 256)
    body = b"Q1,Note\n" + b"".join(b"Disagree,%d\n" % n for n in range(1, 1000)) + late
    study = _study(tmp_path, (b"\xef\xbb\xbf" if bom else b"") + body)
    if error:
        with pytest.raises(ReadError, match=error):
            readers.plan_sources(study)
        with pytest.raises(ReadError, match=error):
            cx.read_export(tmp_path / "customers.csv")
        return
    plans, failures = readers._planned(study)
    assert failures == [] and (plans[1].stream is not None) == streamed
    raw = pd.concat(cx.iter_sources(study, block_rows=50), ignore_index=True)
    customers = raw[raw["source"] == "customers"].reset_index(drop=True)
    whole = cx.read_export(tmp_path / "customers.csv", categories={"Q1"})
    assert len(customers) == len(whole) == 1000
    for name in ("Q1", "Note"):
        assert customers[name].astype(object).equals(whole[name].astype(object)), name
    assert customers["Note"].dtype == whole["Note"].dtype
    if streamed:
        assert plans[1].stream.crlf == (b"\r" in late)


@pytest.mark.parametrize("chunks, careful, crlf", [
    ([b"a\r", b"\nb"], False, True),      # CRLF cut between two reads
    ([b"a\r", b"b"], True, True),         # a carriage return alone, at a read's end
    ([b"a\r"], True, True),               # ... and at the file's end
    ([b'"a', b'"'], False, False),        # a quoted answer across two reads
    ([b'"a', b"b"], True, False),         # never closed
    ([b"a", b"b\x00"], True, False),
])
def test_the_checks_of_each_read_see_across_reads(chunks, careful, crlf):
    from cxstudy.readers import _Checks, _NotStreamable

    checks = _Checks(FIXTURES / "qualtrics.csv", 0)
    try:
        for chunk in [*chunks, b""]:
            checks.check(chunk)
    except _NotStreamable:
        pass
    assert checks.careful == careful and checks.crlf == crlf



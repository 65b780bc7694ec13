"""The export formats registry: one entry names a format for the reader, the study-file
parser and the cleaning rules."""

from __future__ import annotations

import pytest
import yaml

import cxstudy as cx
from cxstudy import formats
from cxstudy.exceptions import ReadError, StudyFileError

from .conftest import FIXTURES, minimal_study


@pytest.mark.parametrize(("fixture", "expected", "variant"), [
    ("qualtrics.csv", "qualtrics", "qualtrics"),
    ("qualtrics_legacy.csv", "qualtrics", "legacy"),
    ("surveymonkey.csv", "surveymonkey", "surveymonkey"),
    ("google_forms.csv", "google_forms", "google_forms"),
    ("plain_utf8.csv", "csv", "plain"),
    ("two_sheets.xlsx", "xlsx", "plain"),
    ("labelled.sav", "spss", "sav"),
])
def test_each_format_is_detected_from_its_own_entry(fixture, expected, variant):
    frame = cx.read_export(FIXTURES / fixture)
    assert frame.attrs["format"] == expected
    assert frame.attrs.get("variant") == variant
    assert expected in formats.FORMATS


def test_forcing_a_format_checks_the_layouts_it_declares():
    with pytest.raises(ReadError) as caught:
        cx.read_export(FIXTURES / "plain_utf8.csv", "surveymonkey")
    assert str(caught.value).endswith(formats.FORMATS["surveymonkey"].not_recognised)
    # csv reads one header row as it is, even where the rows look like Qualtrics
    plain = cx.read_export(FIXTURES / "qualtrics.csv", "csv")
    assert plain.attrs["format"] == "csv" and plain.attrs["header_rows"] == 1


def test_an_unknown_format_names_every_known_one(tmp_path):
    with pytest.raises(ReadError, match=", ".join(formats.FORMATS)):
        cx.read_export(FIXTURES / "plain_utf8.csv", "stata")
    spec = minimal_study()
    spec["sources"][0]["format"] = "stata"
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(path)
    assert "sources[0].format" in str(caught.value)


@pytest.mark.parametrize("name", list(formats.FORMATS))
def test_the_study_file_accepts_every_registered_format(tmp_path, name):
    spec = minimal_study()
    spec["sources"][0]["format"] = name
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump(spec))
    assert cx.load_study(path).sources[0].format == name


def test_cleaning_reads_what_a_format_means():
    assert [f.name for f in formats.FORMATS.values() if f.previews] == ["qualtrics"]
    assert [f.name for f in formats.FORMATS.values() if not f.keeps_unfinished] == [
        "google_forms"]
    assert formats.of_suffix(".SAV").name == "spss" and formats.of_suffix(".pdf") is None


@pytest.mark.parametrize(("fixture", "first"), [
    ("surveymonkey_respondentid.csv", "RespondentID"),     # older / Audience spellings
    ("surveymonkey_custom_data.xlsx", "Respondent ID"),    # today's, Custom Data 1
])
@pytest.mark.parametrize("forced", [None, "surveymonkey"])
def test_surveymonkey_header_variants_detected_and_forced(fixture, first, forced):
    frame = cx.read_export(FIXTURES / fixture, forced)
    assert frame.attrs["format"] == "surveymonkey" and frame.attrs["header_rows"] == 2
    assert frame.columns[0] == first and len(frame) == 2  # "Response" is no data row
    assert not frame.isin(["Response", "Open-Ended Response"]).any().any()
    if fixture.endswith(".csv"):
        assert frame["How would you rate each of the following? - Support"].tolist() == [
            "Excellent", "Fair"]
        assert frame["RespondentID"].tolist() == [2458712345, 2458719876]


@pytest.mark.parametrize(("first", "second", "detected"), [
    (["RespondentID", "CollectorID", "Q"], ["", "", "Response"], "surveymonkey"),
    (["respondent_id", "Q"], ["", "Open-Ended Response"], "surveymonkey"),
    # the id column left out of the export: two of its first columns over "Response"
    (["CollectorID", "StartDate", "EndDate", "Q"], ["", "", "", "Response"], "surveymonkey"),
    # a plain file with a StartDate column whose second row is data, not a sub-header
    (["StartDate", "EndDate", "Q"], ["2026-01-01", "2026-01-02", "Response"], None),
    (["CollectorID", "Q"], ["", "Agree"], None),
])
def test_surveymonkey_layout_spellings(first, second, detected):
    _layout, fmt = formats.detect_layout([first, second])
    assert (fmt.name if fmt else None) == detected

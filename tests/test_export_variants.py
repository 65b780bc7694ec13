"""Studies of real-format exports expressed in the study file alone (issue 25): SurveyMonkey
header spellings, answer wordings that vary (aliases, labels sharing a point), headers
renamed between waves (rename:), validate listing every problem at once, and open-ended
questions without a codebook. The raw files are only ever read."""

from __future__ import annotations

import hashlib

import pytest
import yaml

import cxstudy as cx
from cxstudy.pipeline import validate

from .conftest import FIXTURES

RENAMED_2016 = {"What is your role?": "role", "Would it be easy to take leave?": "leave",
                "Would you discuss a mental health issue with your coworkers?": "coworkers",
                "Would you recommend your employer?": "recommend",
                "Any other comments?": "comments"}
ROLES = {"Manager": "managers", "Employee": "employees"}


def tracker(**changes) -> dict:
    """The two-wave workplace tracker: 2014 names columns by a keyword, 2016 spells out the
    question and words some answers differently."""
    study = {
        "study": "Workplace tracker", "slug": "tracker", "waves": ["2014", "2016"],
        "groups": ["managers", "employees"], "reference": "employees",
        "sources": [
            {"path": str(FIXTURES / "tracker_2014.csv"), "wave": "2014",
             "group_column": "role", "group_map": ROLES},
            {"path": str(FIXTURES / "tracker_2016.csv"), "wave": "2016",
             "group_column": "role", "group_map": ROLES, "id_column": "Respondent",
             "rename": dict(RENAMED_2016)}],
        "scales": {
            "ease4": {"labels": ["Very difficult", "Somewhat difficult", "Somewhat easy",
                                 "Very easy"], "missing": ["Don't know", "I don't know"]},
            "discuss3": {"labels": ["No", "Some of them", "Maybe", "Yes"],
                         "values": [1, 2, 2, 3], "top_box": 1},
            "agree4": {"labels": ["Strongly disagree", "Disagree", "Agree", "Strongly agree"],
                       "aliases": {"Agree strongly": "Strongly agree",
                                   "Mostly agree": "Agree"},
                       "missing": ["N/A"]}},
        "items": [
            {"id": "leave", "text": "It would be easy to take leave", "scale": "ease4",
             "column": "leave", "headline": True},
            {"id": "coworkers", "text": "I would discuss it with coworkers",
             "scale": "discuss3", "column": "coworkers"},
            {"id": "recommend", "text": "I would recommend my employer", "scale": "agree4",
             "column": "recommend"}],
        "open_ended": [{"id": "comments", "question": "Any other comments?",
                        "column": "comments"}],
        "cleaning": {"require_finished": False},
    }
    study.update(changes)
    return study


def study_file(tmp_path, study: dict):
    path = tmp_path / "study.yml"
    path.write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def fingerprints() -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in FIXTURES.iterdir() if p.is_file()}


# ---------------------------------------------------------------------------
# 1. SurveyMonkey's spellings


def test_an_older_surveymonkey_export_is_a_study_source(tmp_path):
    """RespondentID / StartDate / LastName: detected, its id found, its sub-header row no
    response, and an NPS answer written '9 - Extremely likely' read as 9."""
    study = {"study": "Old SurveyMonkey", "slug": "sm", "groups": ["customers", "staff"],
             "sources": [
                 {"path": str(FIXTURES / "surveymonkey_respondentid.csv"),
                  "group": "customers", "format": "surveymonkey"},
                 {"path": str(FIXTURES / "surveymonkey_respondentid.csv"), "name": "again",
                  "group": "staff"}],
             "metrics": {"nps": {"column": "How likely is it that you would recommend us "
                                           "to a friend or colleague?"}},
             "cleaning": {"require_finished": False}}
    found = validate(study_file(tmp_path, study))
    assert found.problems == [] and found.rows == 4
    loaded = cx.load_study(study_file(tmp_path, study))
    result = cx.clean(cx.read_sources(loaded), loaded)
    assert result.log["respondent_id"].iloc[:2].tolist() == ["2458712345", "2458719876"]
    assert sorted(result.responses["nps"].tolist()) == [6, 6, 9, 9]
    assert len(result.log) == result.log["kept"].sum() + (~result.log["kept"]).sum() == 4


# ---------------------------------------------------------------------------
# 2 and 3. A two-wave tracker: renamed headers, variant wordings, a shared point


def test_a_two_wave_tracker_is_one_study_without_touching_its_exports(tmp_path):
    before = fingerprints()
    found = validate(study_file(tmp_path, tracker()))
    assert found.problems == [], found.problems
    assert found.rows == 9
    notes = "\n".join(found.notes)
    assert ('sources[1].rename (tracker_2016.csv): "What is your role?" -> "role"; '
            '"Would it be easy to take leave?" -> "leave"') in notes
    assert ('scales.agree4.aliases: "Agree strongly" -> "Strongly agree": 1 answer(s); '
            '"Mostly agree" -> "Agree": 2 answer(s)') in notes

    study = cx.load_study(study_file(tmp_path, tracker()))
    result = cx.clean(cx.read_sources(study), study)
    log, responses = result.log, result.responses
    assert len(log) == 9 and log["kept"].all()  # rows in = kept + dropped, here all kept
    by_wave = responses.set_index(["wave", "source_row"])
    # "Some of them" (2014) and "Maybe" (2016) are one middle point, 2 of 3
    assert by_wave.loc[("2014", 1), "coworkers"] == 2 and by_wave.loc[("2016", 1),
                                                                        "coworkers"] == 2
    assert by_wave.loc[("2016", 4), "coworkers"] == 3
    # aliases keep the answer: "Mostly agree" is Agree (3), "Agree strongly" is 4
    assert by_wave.loc[("2016", 1), "recommend"] == 3
    assert by_wave.loc[("2016", 2), "recommend"] == 4
    assert by_wave.loc[("2016", 3), "leave"] == 2  # the renamed header's answers
    assert responses.loc[responses["wave"] == "2016", "group"].tolist() == [
        "employees", "managers", "employees", "managers", "employees"]
    # the cleaning log says which kept rows were coded through an alias
    aliased = log["detail"].str.contains("coded through a scale's aliases")
    assert log.loc[aliased, "source_row"].tolist() == [1, 2, 3]
    assert set(log.loc[aliased, "source"]) == {"tracker_2016"}
    # the shared point reads as both wordings, and top box is its highest distinct point
    scale = study.scales["discuss3"]
    assert scale.k == 3 and scale.point_names == ["No", "Some of them / Maybe", "Yes"]
    assert study.scales["discuss3"].point_values == [1.0, 2.0, 3.0]
    small = cx.load_study(study_file(tmp_path, tracker(min_group_size=1)))
    gaps = cx.gap_table(responses, small).set_index(["wave", "item"])
    coworkers = gaps.loc[("2014", "coworkers")]  # managers No, Some of them; employees
    assert (coworkers["top_box"], coworkers["top_box_ref"]) == (0, 0.5)  # Some of them, Yes
    assert (coworkers["mean"], coworkers["mean_ref"]) == (1.5, 2.5)
    later = gaps.loc[("2016", "coworkers")]  # managers No, Yes; employees Maybe, Maybe, No
    assert (later["top_box"], later["top_box_ref"]) == (0.5, 0)
    assert later["mean"] == 2 and later["mean_ref"] == pytest.approx(5 / 3)
    assert fingerprints() == before  # raw files are only ever read


def test_without_rename_the_tracker_names_what_is_missing(tmp_path):
    study = tracker()
    study["sources"][1]["rename"] = {"What is your role?": "role"}
    found = "\n".join(str(p) for p in validate(study_file(tmp_path, study)).problems)
    assert 'no column "leave"' in found and "Would it be easy to take leave?" in found


def test_a_rename_of_a_header_the_export_lacks_names_the_key_and_the_nearest(tmp_path):
    study = tracker()
    rename = study["sources"][1]["rename"]
    rename["Would it be easy to take a leave?"] = rename.pop("Would it be easy to take leave?")
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    assert any(p.startswith("sources[1].rename.Would it be easy to take a leave?: "
                            'tracker_2016.csv has no header "Would it be easy to take a '
                            'leave?"') and 'nearest: "Would it be easy to take leave?"' in p
               for p in found), found


def test_a_rename_onto_a_header_the_export_has_is_refused(tmp_path):
    study = tracker()
    study["sources"][1]["rename"]["Any other comments?"] = "Respondent"
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    assert any(p.startswith("sources[1].rename.Any other comments?: tracker_2016.csv "
                            'already has a column "Respondent"') for p in found), found


def test_an_na_answer_is_suggested_as_missing(tmp_path):
    study = tracker()
    study["scales"]["agree4"]["missing"] = []
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    na = [p for p in found if p.startswith('answer "N/A"')]
    assert len(na) == 1 and "add it to scales.agree4.missing" in na[0], found
    assert "R, spreadsheets" in na[0]


def test_an_unknown_wording_is_pointed_at_aliases(tmp_path):
    study = tracker()
    del study["scales"]["agree4"]["aliases"]["Mostly agree"]
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    mostly = [p for p in found if p.startswith('answer "Mostly agree"')]
    assert len(mostly) == 1 and "add it to scales.agree4.aliases" in mostly[0]
    assert ('aliases ("Mostly agree": the label it means, one of: Strongly disagree, '
            "Disagree, Agree, Strongly agree)") in mostly[0]


# ---------------------------------------------------------------------------
# 8. every problem at once


def test_validate_checks_every_readable_export_while_one_is_missing(tmp_path):
    study = tracker()
    study["sources"].append({"path": str(tmp_path / "tracker_2018.csv"), "wave": "2016",
                             "group": "managers", "name": "missing_one"})
    study["sources"][1]["id_column"] = "Respondant"
    study["items"][1]["column"] = "cowrkers"
    study["items"][2]["column"] = "recomend"
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    joined = "\n".join(found)
    assert "tracker_2018.csv: file not found" in joined
    assert 'no id_column "Respondant"' in joined and 'nearest: "Respondent"' in joined
    for export in ("tracker_2014.csv", "tracker_2016.csv"):  # both waves' exports
        for audience in ("managers", "employees"):
            assert f'{export} ({audience}): no column "cowrkers"' in joined
            assert f'{export} ({audience}): no column "recomend"' in joined
    assert "groups (managers)" not in joined  # the missing export may hold them


def test_validate_lists_codebook_problems_with_the_exports_problems(tmp_path):
    (tmp_path / "themes.yml").write_text("themes:\n  billing: [bill*, invoice]\n")
    study = tracker(themes="themes.yml")
    study["items"][2]["column"] = "recomend"
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    codebook = [p for p in found if p.startswith("themes.yml: themes")]
    assert codebook and "expected a list of themes" in codebook[0]
    assert "patterns" in codebook[0] and "docs/study-file.md" in codebook[0]
    assert any('no column "recomend"' in p for p in found)


def test_qualtrics_columns_are_suggested_by_their_question_text(tmp_path):
    """A renamed Tenure column of a Qualtrics export: the suggestion is the column whose
    question asks it, not the export's first five columns."""
    rows = [["StartDate", "ResponseId", "Q4", "Q1_1", "Q1_2"],
            ["Start Date", "Response ID", "How many years have you been a customer?",
             "How much do you agree? - Staff are friendly",
             "How much do you agree? - Bills are clear"],
            ['{"ImportId":"startDate"}', '{"ImportId":"_recordId"}', '{"ImportId":"QID4"}',
             '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}'],
            ["2026-01-01", "R_1", "3", "Agree", "Agree"]]
    import csv

    with (tmp_path / "customers.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with (tmp_path / "leaders.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["Q1", "Tenure", "Bills"], ["Agree", "3", "Agree"]])
    study = {"study": "Q", "slug": "q", "groups": ["leadership", "customers"],
             "sources": [{"path": "leaders.csv", "group": "leadership"},
                         {"path": "customers.csv", "group": "customers"}],
             "scales": {"agree": {"labels": ["Disagree", "Agree"], "top_box": 1}},
             "items": [{"id": "bills", "text": "My bills are clear", "scale": "agree",
                        "columns": {"leadership": "Bills", "customers": "Bills"}}],
             "segments": [{"id": "tenure", "label": "Customer for (years)",
                           "column": "Tenure", "bins": [0, 5, 10]}],
             "cleaning": {"require_finished": False}}
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    tenure = next(p for p in found if 'no column "Tenure"' in p)
    assert 'nearest: "Q4" ("How many years have you been a customer?")' in tenure
    bills = next(p for p in found if 'no column "Bills"' in p)
    assert '"Q1_2" ("How much do you agree? - Bills are clear")' in bills
    assert '"Q1_1"' not in bills


# ---------------------------------------------------------------------------
# 9. open-ended questions without a codebook


def test_open_ended_questions_without_a_codebook_are_a_warning(tmp_path):
    found = validate(study_file(tmp_path, tracker()))
    warning = next(w for w in found.warnings if "no theme codebook" in w)
    assert warning.startswith("open-ended questions (comments) have no theme codebook")
    assert "shown uncoded" in warning and "themes: PATH" in warning
    study = tracker(themes="themes.yml")
    (tmp_path / "themes.yml").write_text(
        "themes:\n  - {id: busy, label: Busy, patterns: [busy]}\n")
    assert not any("codebook" in w for w in validate(study_file(tmp_path, study)).warnings)


@pytest.mark.parametrize("document", ["themes: {billing: [bill*]}\n", "themes: bill*\n"])
def test_a_codebook_that_is_not_a_list_says_the_format(document, tmp_path):
    from cxstudy.exceptions import StudyFileError
    from cxstudy.voices import load_codebook

    (tmp_path / "codebook.yml").write_text(document)
    with pytest.raises(StudyFileError) as caught:
        load_codebook(tmp_path / "codebook.yml")
    message = str(caught.value)
    assert "expected a list of themes" in message and "id: billing" in message


def test_validate_checks_the_other_exports_when_an_audiences_only_export_is_missing(tmp_path):
    """The audience of the missing export has no rows: its columns are not looked for, it is
    not said to have no rows, and the other exports' answers are still checked."""
    study = tracker()
    study["sources"] = [
        {"path": str(tmp_path / "managers.csv"), "group": "managers", "wave": "2014"},
        {"path": str(FIXTURES / "tracker_2014.csv"), "group": "employees", "wave": "2014"},
        {"path": str(FIXTURES / "tracker_2016.csv"), "group": "employees", "wave": "2016",
         "rename": dict(RENAMED_2016)}]
    study["scales"]["agree4"]["missing"] = []
    found = [str(p) for p in validate(study_file(tmp_path, study)).problems]
    assert found[0].endswith("managers.csv: file not found; check the path in the study "
                             "file (relative paths start from the study file's folder)")
    assert any(p.startswith('answer "N/A"') for p in found)
    assert not any("groups (managers)" in p or "(managers): no column" in p for p in found)

"""Cleaning rules, coding and the row-by-row log (privacy: test_privacy.py; writing the
cleaned data: test_processed.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy.clean import REASONS, RULES, clean
from cxstudy.exceptions import DataError, StudyFileError

from .conftest import (
    CUSTOMERS,
    FIXTURES,
    LABELS,
    LEADERS,
    build,
    minimal_study,
    write,
)


def assert_log_accounts_for_every_row(raw, result):
    log = result.log
    assert len(log) == len(raw)
    assert int(log["kept"].sum()) + int((~log["kept"]).sum()) == len(raw)
    assert int(log["kept"].sum()) == len(result.responses)
    assert log.loc[log["kept"], "reason"].eq("").all()
    assert log.loc[~log["kept"], "reason"].isin(REASONS).all()
    assert log.groupby("source")["source_row"].apply(
        lambda rows: sorted(rows) == list(range(1, len(rows) + 1))).all()


def test_labels_match_case_and_space_insensitively_and_missing_codes(tmp_path):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    leaders = result.responses[result.responses["group"] == "leadership"]
    assert leaders["excellent"].tolist()[:2] == [4, 5]
    assert pd.isna(leaders["excellent"].tolist()[2])  # "Don't know" is missing, not a point
    assert str(result.responses["excellent"].dtype) == "Int8"
    assert list(result.responses["group"].cat.categories) == ["leadership", "customers"]
    assert result.responses["weight"].eq(1.0).all()


def test_unknown_label_is_an_error_naming_column_value_and_count(tmp_path):
    customers = [["id", "Q1"], ["C1", "Agreed"], ["C2", "Agreed"], ["C3", "Agree"]]
    study, raw = build(tmp_path, LEADERS, customers)
    with pytest.raises(DataError) as caught:
        clean(raw, study)
    message = str(caught.value)
    assert 'answer "Agreed": not on scale agree5 (did you mean "Agree"?): 2 row(s) in 1 ' \
        'column(s) (customers.csv, column "Q1" (excellent, customers): 2)' in message
    assert "unknown_labels: missing" in message


def test_unknown_labels_missing_policy(tmp_path):
    customers = [["id", "Q1"], ["C1", "Agreed"], ["C2", "Agree"]]
    study, raw = build(tmp_path, LEADERS, customers,
                       cleaning={"unknown_labels": "missing"})
    result = clean(raw, study)
    customers_rows = result.responses[result.responses["group"] == "customers"]
    assert customers_rows["excellent"].isna().tolist() == [True, False]
    assert "unknown answer(s) set to missing" in result.log["detail"].iloc[len(LEADERS) - 1]


def test_missing_column_lists_nearest_names(tmp_path):
    customers = [["id", "Q_1"], ["C1", "Agree"]]
    study, raw = build(tmp_path, LEADERS, customers)
    with pytest.raises(StudyFileError) as caught:
        clean(raw, study)
    message = str(caught.value)
    assert 'customers.csv (customers): no column "Q1"' in message
    assert 'nearest: "Q_1"' in message


def test_reverse_coded_item(tmp_path):
    study_map = minimal_study()
    study_map["items"].append({"id": "frustrating", "text": "x", "scale": "agree5",
                               "column": "Q2", "reverse": True})
    write(tmp_path / "leaders.csv", LEADERS)
    write(tmp_path / "customers.csv", [["id", "Q1", "Q2"], ["C1", "Agree", "Strongly agree"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    assert result.responses["frustrating"].tolist()[:2] == [2, 4]
    assert result.responses["frustrating"].tolist()[-1] == 1


def test_duplicate_ids_keep_the_first(tmp_path):
    leaders = [["ResponseId", "Q1"], ["A", "Agree"], ["B", "Agree"], ["A", "Disagree"]]
    study, raw = build(tmp_path, leaders, CUSTOMERS[:2])
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    dropped = result.log[result.log["reason"] == "duplicate"]
    assert dropped["source_row"].tolist() == [3]
    assert dropped["detail"].tolist() == ["same id as leaders row 1"]
    assert result.responses["respondent_id"].tolist()[:2] == ["A", "B"]


def test_duplicate_answers_rule(tmp_path):
    leaders = [["Q1"], ["Agree"], ["Agree"], ["Disagree"], [""], [""]]
    study, raw = build(tmp_path, leaders, CUSTOMERS[:2], cleaning={"duplicates": "answers"})
    result = clean(raw, study)
    assert result.log["reason"].tolist()[:5] == ["", "duplicate", "", "", ""]


def test_no_id_column_is_noted_in_the_log(tmp_path):
    leaders = [["Q1"], ["Agree"]]
    study, raw = build(tmp_path, leaders, CUSTOMERS[:2])
    result = clean(raw, study)
    assert "not checked: duplicate ids (no id column" in result.log.loc[0, "detail"]
    assert (result.skipped["rule"] == "duplicate ids").any()
    assert result.responses["respondent_id"].tolist()[0] == "leaders-1"


def test_qualtrics_preview_unfinished_and_speeders(tmp_path):
    study_map = minimal_study(
        sources=[{"path": str(FIXTURES / "qualtrics.csv"), "group": "customers"},
                 {"path": "leaders.csv", "group": "leadership"}],
        cleaning={"min_duration_ratio": 0.5})
    write(tmp_path / "leaders.csv", LEADERS)
    study = cx.load_study(study_map, base_dir=tmp_path)
    raw = cx.read_sources(study)
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    log = result.log[result.log["source"] == "qualtrics"]
    assert log["reason"].tolist() == ["", "preview", "unfinished"]
    assert log["detail"].tolist()[1] == "Status = Survey Preview"
    # the leaders' csv has no duration: the speeder rule is skipped there and says so
    leaders_log = result.log[result.log["source"] == "leaders"]
    assert leaders_log["detail"].str.contains("not checked: speeders").all()


def test_speeders_relative_to_group_median(tmp_path):
    leaders = [["id", "Q1", "Duration"]] + [[f"L{i}", "Agree", str(600)] for i in range(6)] \
        + [["L9", "Agree", "100"], ["L10", "Agree", "250"]]
    study_map = minimal_study(cleaning={"min_duration_ratio": 0.33})
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", [["id", "Q1", "Duration"], ["C1", "Agree", "30"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    speeders = result.log[result.log["reason"] == "speeder"]
    assert speeders["respondent_id"].tolist() == ["L9"]  # 100 < 0.33 x 600; 250 is not
    assert speeders["detail"].iloc[0] == "took 100 s; limit 198 s (0.33 x the group median " \
                                         "600 s)"


def test_straightliners_and_attention_checks(tmp_path):
    items = [{"id": f"i{k}", "text": f"item {k}", "scale": "agree5", "column": f"Q{k}",
              "reverse": k == 6} for k in range(1, 7)]
    header = ["id"] + [f"Q{k}" for k in range(1, 7)] + ["ATT"]
    leaders = [header,
               ["L1", *LABELS[:5], "Agree", "Agree"],
               ["L2", *(["Agree"] * 6), "Agree"],            # straightliner (as answered)
               ["L3", *(["Agree"] * 5), "", "Agree"],        # 5 answered: below the minimum
               ["L4", *LABELS[:5], "Agree", "Disagree"],     # fails the check
               ["L5", *LABELS[:5], "Agree", ""],             # blank fails too
               ["L6", *(["Agree"] * 5), "Disagree", "Agree"]]  # one code once reversed
    study_map = minimal_study(items=items, cleaning={
        "straightline_min_items": 6,
        "attention_checks": [{"column": "ATT", "expect": ["Agree", "Strongly agree"]}]})
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", [header, ["C1", *LABELS[:5], "Agree", "agree"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    raw = cx.read_sources(study)
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    assert result.log["reason"].tolist() == ["", "straightliner", "", "attention_check",
                                             "attention_check", "", ""]
    assert result.log["detail"].iloc[1] == ('same answer ("Agree") on all 6 answered items '
                                            "of the Strongly disagree to Strongly agree scale")
    assert result.log["detail"].iloc[3] == 'ATT = "Disagree", expected "Agree" or ' \
                                          '"Strongly agree"'


def test_rules_switch_off(tmp_path):
    study_map = minimal_study(
        sources=[{"path": str(FIXTURES / "qualtrics.csv"), "group": "customers"},
                 {"path": "leaders.csv", "group": "leadership"}],
        cleaning={"drop_preview": False, "require_finished": False, "duplicates": "none"})
    write(tmp_path / "leaders.csv", [["ResponseId", "Q1"], ["A", "Agree"], ["A", "Agree"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    assert result.log["kept"].all()


def test_group_column_and_unknown_group_values(tmp_path):
    rows = [["segment", "Q1"], ["Leader", "Agree"], ["Customer", "Disagree"],
            ["Supplier", "Agree"], ["", "Agree"]]
    write(tmp_path / "all.csv", rows)
    study = cx.load_study(minimal_study(
        sources=[{"path": "all.csv", "group_column": "segment",
                  "group_map": {"Leader": "leadership", "Customer": "customers"}}]),
        base_dir=tmp_path)
    raw = cx.read_sources(study)
    with pytest.raises(StudyFileError, match=r"all.csv, column 'segment': 1 row\(s\) blank; "
                                             r"group_map maps no blank value"):
        clean(raw, study)  # a map that forgets blanks would drop them unannounced
    study = cx.load_study(minimal_study(
        sources=[{"path": "all.csv", "group_column": "segment",
                  "group_map": {"Leader": "leadership", "Customer": "customers", "": None}}]),
        base_dir=tmp_path)  # "": null drops blanks knowingly
    raw = cx.read_sources(study)
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    assert result.log["reason"].tolist() == ["", "", "no_group", "no_group"]
    assert result.log["detail"].tolist()[2:] == [
        "group value \"Supplier\" is not one of the study's groups", "group value blank"]
    assert result.responses["group"].tolist() == ["leadership", "customers"]


def test_spss_source_with_group_column(tmp_path):
    study = cx.load_study({
        "study": "SPSS", "slug": "spss",
        "sources": [{"path": str(FIXTURES / "labelled.sav"), "group_column": "segment",
                     "id_column": "id"}],
        "groups": ["leadership", "staff", "customers"],
        "scales": {"sat4": {"labels": ["Very dissatisfied", "Dissatisfied", "Satisfied",
                                       "Very satisfied"], "top_box": 2}},
        "items": [{"id": "sat", "text": "Satisfied", "scale": "sat4", "column": "sat"}],
    }, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    assert result.responses["sat"].tolist()[:2] == [4, 1]
    assert pd.isna(result.responses["sat"].tolist()[2])  # user-missing 9
    assert result.responses["respondent_id"].tolist() == ["1", "2", "3", "4"]


def test_estimates_and_nps_are_checked(tmp_path):
    leaders = [["id", "Q1", "EST"], ["L1", "Agree", "75%"], ["L2", "Agree", "150"]]
    customers = [["id", "Q1", "NPS"], ["C1", "Agree", "10 - Extremely likely"],
                 ["C2", "Agree", "11"]]
    study_map = minimal_study(estimates=[{"item": "excellent",
                                          "columns": {"leadership": "EST"}}],
                              metrics={"nps": {"columns": {"customers": "NPS"}}})
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", customers)
    study = cx.load_study(study_map, base_dir=tmp_path)
    with pytest.raises(DataError) as caught:
        clean(cx.read_sources(study), study)
    message = str(caught.value)
    assert '"150" in 1 row(s)' in message and "0 to 100" in message
    assert 'answer "11": not on scale nps (0-10): 1 row(s)' in message
    assert "NPS answers are whole numbers 0-10" in message


def test_an_audience_without_rows_is_refused(tmp_path):
    write(tmp_path / "leaders.csv", [["Q1"], ["Agree"]])
    write(tmp_path / "customers.csv", [["Q1"], ["Agree"]])
    study = cx.load_study(minimal_study(
        groups=["leadership", "staff", "customers"],
        sources=[{"path": "leaders.csv", "group": "leadership"},
                 {"path": "customers.csv", "group": "customers"}]), base_dir=tmp_path)
    with pytest.raises(StudyFileError, match=r"groups \(staff\): no row of any export belongs "
                                             r"to this audience"):
        clean(cx.read_sources(study), study)


def test_texts_of_categories_are_the_texts_of_their_rows():
    """Open answers read as categories (an export that holds the column as labels) give
    the same texts as the rows hold, missing where a row has none."""
    from cxstudy.clean import _texts_at

    at = np.array([4, 0, 2, 2, 3])
    for piece in (pd.Series(pd.Categorical(["b", None, "a", "c", "b"], categories=["c", "b",
                                                                              "a", "x"])),
                  pd.Series(pd.Categorical([1.5, 2.0, None, 2.0, 1.5])),
                  pd.Series(["b", None, "a", "c", "b"], dtype="str")):
        expected = piece.astype("string").iloc[at].reset_index(drop=True)
        pd.testing.assert_series_equal(_texts_at(piece, at), expected)


# ---------------------------------------------------------------------------
# cleaning.exclude: rows that are not part of the study (issue 25)


STAFF = [["id", "Employment", "SeenFilm", "Q1"],
         ["S1", "Employee", "Yes", "Agree"],
         ["S2", " self-EMPLOYED ", "Yes", "Agree"],       # case and spaces do not matter
         ["S3", "Employee", "", "Disagree"],              # blank
         ["S4", "Employee", "   ", "Agree"],             # spaces only: blank too
         ["S5", "Self-employed", "", "Agreed"],           # excluded: its odd answer no error
         ["S1", "Employee", "Yes", "Agree"]]              # a repeat of S1: a duplicate
VIEWERS = [["id", "SeenFilm", "Q1"], ["C1", "Yes", "Agree"], ["C2", "", "Disagree"],
           ["C3", "Yes", "Disagree"], ["C1", "", "Agree"]]  # C1 again, but excluded


def excluding(tmp_path, rules, staff=STAFF):
    return build(tmp_path, staff, VIEWERS, cleaning={"exclude": rules})


PLAIN_STAFF = [[*row[:3], "Agree" if row[3] == "Agreed" else row[3]] for row in STAFF]


def test_excluded_rows_are_logged_with_their_rule_before_any_other_rule(tmp_path):
    study, raw = excluding(tmp_path, [
        {"column": "Employment", "values": ["Self-employed"], "groups": ["leadership"]},
        {"column": "SeenFilm", "blank": True}])
    result = clean(raw, study)
    assert_log_accounts_for_every_row(raw, result)
    log = result.log.set_index(["source", "source_row"])
    assert log.loc[("leaders", 2), "detail"] == \
        'cleaning.exclude[0]: Employment = "self-EMPLOYED"'
    assert log.loc[("leaders", 3), "detail"] == "cleaning.exclude[1]: SeenFilm blank"
    assert log.loc[("leaders", 4), "reason"] == "excluded"
    assert log.loc[("leaders", 5), "detail"].startswith("cleaning.exclude[0]")  # the first rule
    assert log.loc[("leaders", 6), "reason"] == "duplicate"
    assert log.loc[("customers", 4), "reason"] == "excluded"   # not a duplicate of C1
    assert log.loc[("customers", 1), "kept"] and log.loc[("customers", 3), "kept"]
    reasons = result.log["reason"].replace("", "kept").value_counts().to_dict()
    assert reasons == {"excluded": 6, "kept": 3, "duplicate": 1}  # rows in: 10
    assert sorted(result.responses["respondent_id"]) == ["C1", "C3", "S1"]
    assert RULES[0].reason == "excluded"


def test_an_exclusion_only_where_its_sources_and_groups_say(tmp_path):
    study, raw = excluding(tmp_path, [{"column": "SeenFilm", "blank": True,
                                       "sources": ["customers.csv"]}], PLAIN_STAFF)
    log = clean(raw, study).log
    assert log.loc[log["reason"] == "excluded", "respondent_id"].tolist() == ["C2", "C1"]
    study, raw = excluding(tmp_path, [{"column": "SeenFilm", "values": "Yes",
                                       "groups": ["customers"]}], PLAIN_STAFF)
    log = clean(raw, study).log
    assert log.loc[log["reason"] == "excluded", "respondent_id"].tolist() == ["C1", "C3"]


def test_an_exclusion_on_a_column_an_export_lacks_is_a_problem_unless_restricted(tmp_path):
    study, raw = excluding(tmp_path, [{"column": "Employment", "values": ["Self-employed"]}])
    with pytest.raises(StudyFileError) as caught:
        clean(raw, study)
    assert ('customers.csv (cleaning.exclude[0]): no column "Employment"; check the spelling, '
            "or restrict the rule to the exports that have it") in str(caught.value)
    for restricted in ({"groups": ["leadership"]}, {"sources": ["leaders"]}):
        study, raw = excluding(tmp_path, [{"column": "Employment",
                                           "values": ["Self-employed"], **restricted}],
                               PLAIN_STAFF)
        assert clean(raw, study).log["reason"].eq("excluded").sum() == 2


def test_raw_exports_are_only_read_when_rows_are_excluded(tmp_path):
    study, raw = excluding(tmp_path, [{"column": "SeenFilm", "blank": True}])
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.csv")}
    clean(raw, study)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.csv")} == before


def test_excluding_the_rows_whose_audience_is_blank_needs_no_group_map_entry(tmp_path):
    write(tmp_path / "all.csv", [["id", "Watched", "Q1"], ["1", "viewer", "Agree"],
                                 ["2", "", ""], ["3", "lead", "Agree"], ["4", "", ""],
                                 ["5", "viewer", "Disagree"]])
    spec = minimal_study(sources=[{"path": "all.csv", "group_column": "Watched",
                                   "group_map": {"viewer": "customers",
                                                 "lead": "leadership"}}])
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(StudyFileError, match="group_map maps no blank value"):
        clean(cx.read_sources(study), study)
    spec["cleaning"] = {"exclude": [{"column": "Watched", "blank": True}]}
    study = cx.load_study(spec, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    assert result.log["reason"].tolist() == ["", "excluded", "", "excluded", ""]
    assert len(result.responses) == 3


# ---------------------------------------------------------------------------
# a run in blocks: first_pass over every row, then clean of each block, is the same as
# cleaning every row at once


def _in_blocks(study, block_rows: int):
    """The log and responses of cleaning ``study`` in blocks of ``block_rows`` rows (the
    first pass over every block, then each block with its decisions), stacked."""
    from cxstudy.clean import first_pass
    from cxstudy.readers import iter_sources

    whole = first_pass(iter_sources(study, block_rows=block_rows), study)
    logs, responses, offset = [], [], 0
    for block in iter_sources(study, block_rows=block_rows):
        result = clean(block, study, whole=whole, offset=offset)
        offset += len(block)
        logs.append(result.log)
        responses.append(result.responses)
    return whole, pd.concat(logs, ignore_index=True), pd.concat(responses, ignore_index=True)


def assert_blocks_clean_as_every_row(study, block_rows: int):
    """Every block size from 1 row to ``block_rows``: the log and responses of a run in
    blocks are those of cleaning every row at once. Returns the latter."""
    expected = clean(cx.read_sources(study), study)
    for rows in range(1, block_rows + 1):
        whole, log, responses = _in_blocks(study, rows)
        pd.testing.assert_frame_equal(log, expected.log, obj=f"log, blocks of {rows}")
        pd.testing.assert_frame_equal(responses, expected.responses,
                                      obj=f"responses, blocks of {rows}")
        assert (whole.rows, whole.kept) == (len(expected.log),
                                            int(expected.log["kept"].sum()))
    return expected


def test_blocks_repeated_ids_across_blocks_and_sources(tmp_path):
    """Two exports of one audience: an id repeated within an export, across exports and
    across blocks is dropped naming the first row (in another export, another block);
    an id of another audience is no repeat; a row dropped before the rule (unfinished)
    is never the first of its id."""
    write(tmp_path / "a.csv", [["id", "Q1", "Finished"], ["X", "Agree", "1"],
                               ["Y", "Agree", "0"], ["Z", "Agree", "1"], ["X", "Agree", "1"]])
    write(tmp_path / "b.csv", [["id", "Q1", "Finished"], ["Y", "Agree", "1"],
                               ["Z", "Disagree", "1"], ["W", "Agree", "1"],
                               ["Y", "Agree", "1"], ["X", "Agree", "1"]])
    write(tmp_path / "leaders.csv", [["id", "Q1"], ["X", "Agree"], ["W", "Agree"]])
    study = cx.load_study(minimal_study(sources=[
        {"path": "leaders.csv", "group": "leadership"},
        {"path": "a.csv", "group": "customers", "finished_column": "Finished"},
        {"path": "b.csv", "group": "customers", "finished_column": "Finished"}]),
        base_dir=tmp_path)
    expected = assert_blocks_clean_as_every_row(study, 4)
    log = expected.log.set_index(["source", "source_row"])
    assert log.loc[("a", 4), "detail"] == "same id as a row 1"
    assert log.loc[("b", 1), "reason"] == ""  # a's Y was unfinished: b's is the first
    assert log.loc[("b", 2), "detail"] == "same id as a row 3"
    assert log.loc[("b", 4), "detail"] == "same id as b row 1"
    assert log.loc[("b", 5), "detail"] == "same id as a row 1"
    assert log["reason"].eq("duplicate").sum() == 4  # the leaders' X and W are no repeats


def test_blocks_the_same_id_in_two_waves_is_a_returning_respondent(tmp_path):
    from .conftest import wave_sources

    for name, ids in (("l25", ["A", "B", "A"]), ("l26", ["A", "B", "B"]),
                      ("c25", ["A"]), ("c26", ["A", "A"])):
        write(tmp_path / f"{name}.csv", [["id", "Q1"]] + [[i, "Agree"] for i in ids])
    study = cx.load_study(wave_sources(), base_dir=tmp_path)
    expected = assert_blocks_clean_as_every_row(study, 3)
    dropped = expected.log[expected.log["reason"] == "duplicate"]
    assert list(zip(dropped["source"], dropped["source_row"], strict=True)) == [
        ("l25", 3), ("l26", 3), ("c26", 2)]


def test_blocks_same_answers(tmp_path):
    leaders = [["Q1", "Q2"], ["Agree", "Agree"], ["Agree", "Agree"], ["Agree", "Disagree"],
               ["", ""], ["", ""], ["Agree", "Disagree"]]
    customers = [["Q1", "Q2"], ["Agree", "Agree"], ["Agree", "Agree"]]
    study_map = minimal_study(cleaning={"duplicates": "answers"})
    study_map["items"].append({"id": "second", "text": "x", "scale": "agree5", "column": "Q2"})
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", customers)
    study = cx.load_study(study_map, base_dir=tmp_path)
    expected = assert_blocks_clean_as_every_row(study, 4)
    assert expected.log["reason"].tolist() == ["", "duplicate", "", "", "", "duplicate",
                                               "", "duplicate"]


def test_blocks_speeders_at_the_medians_edge(tmp_path):
    """Leaders' median (of an even count, after the repeat is dropped) 100 s: 50 s is at
    the limit of 0.5 x 100 and kept, 49.5 s below it and dropped; a repeat's seconds
    (1 s) are not in the median."""
    leaders = [["id", "Q1", "Duration"], ["L1", "Agree", "49.5"], ["L2", "Agree", "50"],
               ["L3", "Agree", "150"], ["L4", "Agree", "200"], ["L1", "Agree", "1"],
               ["L5", "Agree", ""]]
    customers = [["id", "Q1", "Duration"], ["C1", "Agree", "10"], ["C2", "Agree", "4"]]
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", customers)
    study = cx.load_study(minimal_study(cleaning={"min_duration_ratio": 0.5}),
                          base_dir=tmp_path)
    expected = assert_blocks_clean_as_every_row(study, 5)
    assert expected.log["reason"].tolist() == ["speeder", "", "", "", "duplicate", "", "",
                                               ""]
    assert expected.log["detail"].iloc[0] == \
        "took 50 s; limit 50 s (0.5 x the group median 100 s)"  # 49.5 s shown rounded


def test_blocks_a_metric_not_whole_in_one_late_row(tmp_path):
    """A metric with a value of 2.5 is held as whole numbers when the one row holding it
    is dropped by a rule after the rules that compare rows (an attention check), and as
    decimals when that row is kept."""
    for failed, dtype in (("Disagree", "Int16"), ("Agree", "Float64")):
        customers = [["id", "Q1", "M", "ATT"], ["C1", "Agree", "Good", "Agree"],
                     ["C2", "Agree", "Fine", failed], ["C3", "Agree", "Bad", "Agree"]]
        study_map = minimal_study(
            cleaning={"attention_checks": [{"columns": {"customers": "ATT"},
                                            "expect": "Agree"}]},
            metrics={"csat": {"columns": {"customers": "M"}, "scale": "halves"}})
        study_map["scales"]["halves"] = {"labels": ["Bad", "Fine", "Good"],
                                         "values": [1, 2.5, 4]}
        write(tmp_path / "leaders.csv", LEADERS)
        write(tmp_path / "customers.csv", customers)
        study = cx.load_study(study_map, base_dir=tmp_path)
        expected = assert_blocks_clean_as_every_row(study, 3)
        assert str(expected.responses["csat"].dtype) == dtype


def test_first_pass_medians_are_pandas_medians():
    """The medians made from counts of each block's distinct durations are those pandas
    gives every row's seconds (odd and even counts; durations of a few distinct values,
    and of more than the codes hold)."""
    from cxstudy.clean import _ALIVE, _Held, _medians, _Seconds

    rng = np.random.default_rng(7)
    for distinct in (5, 100_000):
        seconds = rng.integers(0, distinct, 150_001) + rng.choice([0, 0.25, 0.1], 150_001)
        seconds[rng.random(len(seconds)) < 0.05] = np.nan
        cohort = rng.integers(1, 5, len(seconds))
        alive = rng.random(len(seconds)) < 0.9
        held = [_Held(start, len(seconds[start:end]),
                      (alive[start:end] * _ALIVE).astype(np.uint8), cohort[start:end], 0, 1,
                      seconds=_Seconds.of(seconds[start:end]))
                for start, end in ((0, 50_000), (50_000, 50_001), (50_001, 150_001))]
        for block, (start, end) in zip(held, ((0, 50_000), (50_000, 50_001),
                                              (50_001, 150_001)), strict=True):
            np.testing.assert_array_equal(block.seconds.numbers(), seconds[start:end])
        timed = alive & ~np.isnan(seconds)
        expected = pd.Series(seconds[timed]).groupby(cohort[timed]).median().to_dict()
        assert _medians(held) == expected
        untimed = _Held(0, 3, np.ones(3, np.uint8), 9, 0, 1,
                        seconds=_Seconds.of(np.full(3, np.nan)))  # a cohort never timed
        assert _medians([*held, untimed]) == expected
        for odd in (1, 2, 3):  # one cohort of 1, 2 and 3 rows
            few = seconds[timed][:odd]
            assert _medians([_Held(0, odd, np.ones(odd, np.uint8), 3, 0, 1,
                                   seconds=_Seconds.of(few))]) == {3: float(np.median(few))}


def test_seconds_are_held_exactly_in_few_bytes():
    from cxstudy.clean import _Seconds

    whole = _Seconds.of(np.array([60.0, 61.0, np.nan, 60.0]))
    assert whole.codes.dtype == np.uint8 and whole.codes.nbytes == 4
    many = np.arange(70_000, dtype=float)
    assert _Seconds.of(many).codes is None and _Seconds.of(many).values.dtype == np.float32
    fine = many + 1e-9
    assert _Seconds.of(fine).values.dtype == np.float64
    for values in (many, fine):
        np.testing.assert_array_equal(_Seconds.of(values).numbers(), values)


def test_repeats_found_by_partitions_are_those_of_every_key(monkeypatch):
    """Keys taken a partition of their top bits at a time (forced: a few keys each) find
    the rows pandas' ``duplicated`` finds over every key, each with its key's first row;
    keys sharing a first half only are no repeats."""
    import sys

    from cxstudy.clean import _ALIVE, _CANDIDATE, _Held, _repeats

    rng = np.random.default_rng(3)
    rows = 5_000
    one = rng.integers(0, 2**64, 300, dtype=np.uint64)[rng.integers(0, 300, rows)]
    two = (one % np.uint64(7)) * np.uint64(2**61) + rng.integers(0, 2, rows).astype(np.uint64)
    compared = rng.random(rows) < 0.8
    keys = pd.DataFrame({"one": one, "two": two})[compared]
    positions = np.flatnonzero(compared)
    expected = keys.duplicated(keep="first").to_numpy()
    firsts = keys.groupby(["one", "two"], sort=False).ngroup().to_numpy()
    first_of = {key: positions[np.flatnonzero(firsts == key)[0]] for key in set(firsts)}
    state = (_ALIVE | compared * _CANDIDATE).astype(np.uint8)
    for partition_rows in (1 << 21, 100, 1):
        monkeypatch.setattr(sys.modules["cxstudy.clean"], "_PARTITION_ROWS", partition_rows)
        held = []
        for start in range(0, rows, 1_200):
            end = min(start + 1_200, rows)
            mine = compared[start:end]
            held.append(_Held(start, end - start, state[start:end], 0, 0, 1,
                              keys=(one[start:end][mine], two[start:end][mine])))
        repeated, first = _repeats(held)
        np.testing.assert_array_equal(repeated, positions[expected])
        np.testing.assert_array_equal(first, [first_of[key] for key in firsts[expected]])


def test_first_pass_holds_a_few_bytes_a_row(tmp_path):
    """The first pass of a study with every rule holds under 20 bytes a row: a state
    byte, the 128-bit key of each compared row, each row's seconds as a code."""
    from cxstudy.clean import _gather, _Pass

    rows = 3_000
    rng = np.random.default_rng(1)
    customers = [["id", "Q1", "Q2", "Duration", "Finished"]] + [
        [f"C{i % 2_900}", LABELS[i % 5], LABELS[(i // 5) % 5], str(rng.integers(60, 120)),
         "1"] for i in range(rows)]
    write(tmp_path / "leaders.csv", LEADERS)
    write(tmp_path / "customers.csv", customers)
    study_map = minimal_study(cleaning={"min_duration_ratio": 0.3})
    study = cx.load_study(study_map, base_dir=tmp_path)
    gathered = _Pass()
    from cxstudy.readers import iter_sources

    for block in iter_sources(study, block_rows=1_000):
        _gather(block, study, gathered)
    held = sum(block.nbytes() for block in gathered.held)
    assert gathered.rows == rows + len(LEADERS) - 1
    assert held / gathered.rows < 20


def test_text_keys_are_equal_exactly_for_equal_texts():
    """The ids' 128-bit keys made from their bytes: equal for equal texts, different for
    texts that differ in one byte, in length only (a trailing NUL), in a byte past the
    eighth, or that are missing; long texts fall back to pandas' hash."""
    from cxstudy.clean import _LONGEST_TEXT, _text_hashes

    texts = ["a", "a\x00", "", None, "abcdefgh", "abcdefgi", "abcdefghX", "abcdefghY",
             "José", "Jose", "R_CbTs1BnRk1SDvHd", "x" * (_LONGEST_TEXT + 1)]
    twice = pd.Series(texts + texts[::-1], dtype="string")
    one, two = _text_hashes(twice)
    keys = list(zip(one.tolist(), two.tolist(), strict=True))
    assert len(set(keys)) == len(texts)
    assert keys[:len(texts)] == keys[len(texts):][::-1]
    many = pd.Series([f"R_{i:015d}" for i in range(200_000)], dtype="string")
    one, two = _text_hashes(many)
    assert len(set(one.tolist())) == len(set(two.tolist())) == len(many)
    long = pd.Series(["x" * (_LONGEST_TEXT + 1)] * 2 + ["y" * (_LONGEST_TEXT + 1)],
                     dtype="string")
    one, two = _text_hashes(long)
    assert one[0] == one[1] != one[2] and two[0] == two[1] != two[2]


def test_an_ids_key_is_the_same_whatever_other_ids_its_block_holds():
    """A respondent repeated across blocks is found whatever the blocks hold: an id's key
    is the same in a block of ids of one length (read back to back from Arrow's buffer),
    in a block whose longest id is a word (8 bytes) longer, in one holding an id longer
    than ``_LONGEST_TEXT`` (hashed by pandas) and in a slice. (The key once folded in
    zero words up to the block's longest id, and a block with one long id took pandas'
    keys for all: the same id, another key in another block.)"""
    from cxstudy.clean import _LONGEST_TEXT, _text_hashes

    same = [f"R_{i:015d}" for i in range(1_000)]
    alone = _text_hashes(pd.Series(same, dtype="string"))
    among = _text_hashes(pd.Series(["x", *same, "an id a word longer than the others"],
                                   dtype="string"))
    with_long = _text_hashes(pd.Series([*same, "z" * (_LONGEST_TEXT + 1)], dtype="string"))
    sliced = _text_hashes(pd.Series(["y" * 17, *same], dtype="string").iloc[1:])
    for half in range(2):
        assert (alone[half].tolist() == among[half][1:-1].tolist()
                == with_long[half][:-1].tolist() == sliced[half].tolist())
    assert len(set(alone[0].tolist())) == len(same)


def test_open_answers_scrubbed_from_categories_as_from_text():
    """An open answer column held as categories (some unused, rows missing) scrubs to the
    same text as the same answers as text: patterns and the row's own names."""
    from cxstudy.privacy import PersonalValues, scrub_text

    answers = ["Ask Ann Lee on 020 7946 0958", "ann was great", None, "Mail me: a@b.co",
               "Ann Lee helped", "fine", None, "fine"]
    categories = ["unused", "fine", "Ann Lee helped", "ann was great", "Mail me: a@b.co",
                  "Ask Ann Lee on 020 7946 0958", "never"]
    names = pd.DataFrame({"Name": ["Ann Lee", "Ann Lee", "Bo", "Cy", "Ann Lee", "Di", "Ed",
                                   "Fi"]})
    as_text = pd.Series(answers, dtype="string", index=range(10, 18))
    as_categories = pd.Series(pd.Categorical(answers, categories=categories),
                              index=as_text.index)
    expected = scrub_text(as_text, PersonalValues(names))
    assert expected.iloc[0] != answers[0] and "[name]" in expected.iloc[4]
    pd.testing.assert_series_equal(scrub_text(as_categories, PersonalValues(names)), expected)
    pd.testing.assert_series_equal(scrub_text(as_categories), scrub_text(as_text))
    empty = pd.Series(pd.Categorical([], categories=categories))
    assert scrub_text(empty).empty


def test_answers_coded_from_categories_as_from_text():
    """Answers held as categories (some unused, rows missing) code as the same answers as
    text: codes, reversed codes, point values; the unknown answers and the aliased ones
    with their rows, in the order their first rows come; which rows hold them."""
    from cxstudy.clean import _code_scale_answers
    from cxstudy.scales import Scale

    scale = Scale(id="agree3", labels=("Disagree", "Neutral", "Agree"), values=(1, 2, 4),
                  missing=("Don't know",), aliases=(("Mostly agree", "Agree"),))
    answers = ["Agree", "Agreed", None, "Don't know", "mostly agree", "Nope", "Agreed",
               "Disagree", "Mostly agree", None, "nope"]
    categories = ["never", "nope", "Nope", "Agreed", "Agree", "Disagree", "Don't know",
                  "mostly agree", "Mostly agree", "Neutral"]
    text = pd.Series(answers, dtype="str", index=range(5, 16))
    held = pd.Series(pd.Categorical(answers, categories=categories), index=text.index)
    for reverse in (None, False, True):
        expected, made = (_code_scale_answers(values, scale, reverse) for values in (text, held))
        np.testing.assert_array_equal(made.values, expected.values)
        assert list(made.unknown.items()) == list(expected.unknown.items()) == [
            ("Agreed", 2), ("Nope", 1), ("nope", 1)]
        assert list(made.aliased.items()) == list(expected.aliased.items())
        assert sum(made.aliased.values()) == 2
        np.testing.assert_array_equal(made.unknown_rows, expected.unknown_rows)
        np.testing.assert_array_equal(made.aliased_rows, expected.aliased_rows)


def test_the_audiences_a_block_holds_are_its_rows_not_its_categories():
    """A block's audience column is categorical on every export's audiences: the first
    pass counts only those its rows hold (an audience no row holds is reported missing)."""
    from cxstudy.clean import _present

    block = pd.Series(pd.Categorical(["staff", None, "staff"],
                                     categories=["customers", "staff", "leaders"]))
    assert _present(block) == ["staff"]
    assert _present(pd.Series(["b", None, "a", "b"], dtype="str")) == ["b", "a"]
    assert _present(pd.Series(pd.Categorical([None, None], categories=["x"]))) == []

"""Cleaning rules, coding, privacy and the row-by-row log."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxstudy as cx
from cxstudy.clean import REASONS, clean
from cxstudy.exceptions import DataError, StudyFileError
from cxstudy.processed import write_processed

from .conftest import AGREE5, FIXTURES, minimal_study, sha256_tree

LABELS = AGREE5["labels"]


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def build(tmp_path, leaders, customers, **overrides):
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", customers)
    study = cx.load_study(minimal_study(**overrides), base_dir=tmp_path)
    return study, cx.read_sources(study)


def assert_log_accounts_for_every_row(raw, result):
    log = result.log
    assert len(log) == len(raw)
    assert int(log["kept"].sum()) + int((~log["kept"]).sum()) == len(raw)
    assert int(log["kept"].sum()) == len(result.responses)
    assert log.loc[log["kept"], "reason"].eq("").all()
    assert log.loc[~log["kept"], "reason"].isin(REASONS).all()
    assert log.groupby("source")["source_row"].apply(
        lambda rows: sorted(rows) == list(range(1, len(rows) + 1))).all()


LEADERS = [["id", "Q1", "Q2"], ["L1", "Agree", "Agree"], ["L2", " STRONGLY agree", "Disagree"],
           ["L3", "don\u2019t know", "Agree"], ["L4", "Disagree", ""]]
CUSTOMERS = [["id", "Q1", "Q2"], ["C1", "Disagree", "Agree"], ["C2", "Strongly disagree", "x"]]


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
    assert result.log["detail"].iloc[1] == 'same answer ("Agree") on all 6 answered agree5 items'
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


def test_pii_never_reaches_responses_and_text_is_scrubbed(tmp_path):
    leaders = [["id", "Name", "Email", "Q1", "Comment"],
               ["L1", "Priya Natarajan", "priya@corp.example", "Agree",
                "Ask Priya or mail priya@corp.example, tel +44 20 7946 0958"],
               ["L2", "Tom Li", "t@corp.example", "Agree", "see https://corp.example/x"]]
    study_map = minimal_study(pii_columns=["Name", "Email"],
                              open_ended=[{"id": "do_well", "question": "?",
                                           "column": "Comment"}])
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", [["id", "Q1", "Comment"], ["C1", "Agree", "fine"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    text = result.responses["do_well"].tolist()
    assert text[0] == "Ask [name] or mail [email], tel [phone]"
    assert text[1] == "see [link]"
    assert "Name" not in result.responses.columns and "Email" not in result.responses.columns
    flat = result.responses.astype(str).to_string() + result.log.astype(str).to_string()
    for secret in ["Priya", "priya@corp.example", "Natarajan", "7946"]:
        assert secret not in flat


def test_pii_id_column_is_hashed(tmp_path):
    leaders = [["Email", "Q1"], ["a@corp.example", "Agree"], ["a@corp.example", "Agree"]]
    study, raw = build(tmp_path, leaders, CUSTOMERS[:2],
                       sources=[{"path": "leaders.csv", "group": "leadership",
                                 "id_column": "Email"},
                                {"path": "customers.csv", "group": "customers"}],
                       pii_columns=["Email"])
    result = clean(raw, study)
    ids = result.log["respondent_id"].tolist()
    assert ids[0] == ids[1] and ids[0].startswith("h") and "@" not in ids[0]
    assert result.log["reason"].tolist()[1] == "duplicate"  # still de-duplicated


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


def test_write_processed_is_atomic_and_round_trips(tmp_path):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    folder = write_processed(raw, result, study, tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == ["cleaning_log.csv", "responses.parquet",
                                                        "sources.csv"]
    back = pd.read_parquet(folder / "responses.parquet")
    pd.testing.assert_frame_equal(back, result.responses, check_dtype=False)
    assert str(back["excellent"].dtype) == "Int8"
    log = pd.read_csv(folder / "cleaning_log.csv", keep_default_na=False)
    assert list(log.columns) == ["source", "source_row", "respondent_id", "group", "kept",
                                 "reason", "detail"]
    assert len(log) == len(raw)


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    study, raw = build(tmp_path, LEADERS, CUSTOMERS[:2])
    result = clean(raw, study)
    folder = write_processed(raw, result, study, tmp_path / "out")
    before = sha256_tree(folder)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    # the last file fails: the first two must not replace their old versions either
    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        write_processed(raw, result, study, folder)
    assert sha256_tree(folder) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no half folder


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


def _scrub_row_by_row(text: pd.Series, personal: pd.DataFrame) -> pd.Series:
    """The scrubbing one row at a time, every row's own values looked for in its answer:
    the reference for the per-distinct-answer, numpy-prefiltered version (issue 14)."""
    from cxstudy.privacy import _mask_personal, scrub_patterns

    out = []
    for answer, values in zip(text, personal.to_numpy(dtype=object), strict=True):
        if not isinstance(answer, str):
            out.append(pd.NA)
            continue
        out.append(_mask_personal(scrub_patterns(answer), values))
    return pd.Series(out, index=text.index, dtype="string")


NAMES = ["Ann", "Ann Marie", " Jo ", "STRASSE", "Ωmega", "Zoë\u3000Li", "x", "", None, 4.5,
         "José Müller", "O’Sullivan"]


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(
    st.sampled_from(["Ann said hi", "ann marie called", "Jo and Jon", "strasse 5",
                     "ωmega thanks", "Zoë Li here", "mail a@b.co now", "nothing", None,
                     "call 020 7946 0958, Ann", "jose muller here", "OSullivan's bill",
                     "Straße 5, zoe li"]),
    st.sampled_from(NAMES), st.sampled_from(NAMES)), min_size=1, max_size=12),
    text_columns=st.booleans())
def test_scrubbing_equals_the_row_by_row_reference(rows, text_columns):
    from cxstudy.privacy import PersonalValues, scrub_text

    text = pd.Series([r[0] for r in rows], dtype="str", index=range(10, 10 + len(rows)))
    personal = pd.DataFrame({"First": [r[1] for r in rows], "Last": [r[2] for r in rows]},
                            dtype=object)
    if text_columns:  # an export's text columns, as the readers give them
        personal = personal.map(lambda v: v if isinstance(v, str) else None).astype("str")
    expected = _scrub_row_by_row(text, personal)
    pd.testing.assert_series_equal(scrub_text(text, personal), expected)
    pd.testing.assert_series_equal(scrub_text(text, PersonalValues(personal)), expected)
    # the same rows among others (all rows read, the kept ones scrubbed), in reverse order
    others = personal.iloc[::-1].reset_index(drop=True)
    read = pd.concat([others, personal, others], ignore_index=True)
    kept = np.arange(len(personal), 2 * len(personal))
    pd.testing.assert_series_equal(scrub_text(text, PersonalValues(read, rows=kept)), expected)


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

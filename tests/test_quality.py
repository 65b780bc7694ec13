"""The data-quality tables (cxstudy.quality): rows by rule, what was not checked, missing
answers, the weights."""

from __future__ import annotations

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import quality

from .conftest import ROOT, make_responses, make_study, minimal_study


def test_weighted_study_report_shows_weights(built):
    _project, parallel, _in_process, _raw = built
    page = (parallel / "reports" / "five" / "data_quality.html").read_text()
    assert "Design effect" in page and "Effective n (Kish)" in page and "Area" in page
    responses = pd.read_parquet(parallel / "data" / "processed" / "five" / "responses.parquet")
    clients = responses[responses["group"] == "clients"]
    shares = clients.groupby("Area")["weight"].sum() / clients["weight"].sum()
    assert shares.round(6).to_dict() == {"Rural": 0.5, "Urban": 0.5}
    weighted = pd.read_csv(parallel / "reports" / "five" / "tables" / "gaps.csv")
    assert (weighted["n_ref_eff"] < weighted["n_ref"]).all()  # Kish n below n


# ---------------------------------------------------------------------------
# the tables, from a cleaning log written out by hand


@pytest.fixture()
def log():
    """Eight rows read from two exports: four kept, two duplicates, a speeder, one row
    without an audience; some rules not checked for want of a column."""
    return pd.DataFrame({
        "source": ["leaders.csv"] * 4 + ["customers.csv"] * 4,
        "source_row": [1, 2, 3, 4, 1, 2, 3, 4],
        "respondent_id": list("abcdefgh"),
        "group": ["leadership"] * 4 + ["customers"] * 3 + [""],
        "kept": [True, False, True, False, True, True, False, False],
        "reason": ["", "duplicate", "", "speeder", "", "", "duplicate", "no_group"],
        "detail": ["not checked: speeders (no duration column)", "same id as row 1", "",
                   "12 s", "", "not checked: unfinished (no Finished column); not checked: "
                   "speeders (no duration column)", "same id as row 2", "segment blank"]})


def test_rows_by_rule_account_for_every_row(log):
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    table = quality.rows_by_rule(log, study)
    assert list(table.columns) == ["leadership", "customers", "(no audience)", "all rows"]
    assert list(table.index) == ["no group", "duplicate", "speeder", "kept", "all rows"]
    assert table.loc["all rows"].tolist() == [4, 3, 1, 8]
    assert table.loc["kept"].tolist() == [2, 2, 0, 4]
    assert (table.drop(index="all rows").sum() == table.loc["all rows"]).all()
    assert quality.dropped_by_reason(log).to_dict() == {"duplicate": 2, "speeder": 1,
                                                        "no_group": 1}


def test_rules_not_checked_are_listed_once_per_source(log):
    assert quality.not_checked(log).values.tolist() == [
        ["leaders.csv", "speeders (no duration column)"],
        ["customers.csv", "unfinished (no Finished column)"],
        ["customers.csv", "speeders (no duration column)"]]
    assert quality.not_checked(log.assign(detail="")).empty


def test_dropped_examples_are_the_first_of_each_rule(log):
    examples = quality.dropped_examples(log, per_reason=1)
    assert list(examples.columns) == quality.EXAMPLE_COLUMNS
    assert examples[["source", "source_row", "reason"]].values.tolist() == [
        ["leaders.csv", 2, "duplicate"], ["leaders.csv", 4, "speeder"],
        ["customers.csv", 4, "no_group"]]


def test_missing_shares_leave_out_an_audience_below_the_minimum():
    study = make_study(groups=("a", "b", "ref"), items=("q1", "q2"), min_group_size=3)
    responses = make_responses({"a": {"q1": [1, None, 3, 4], "q2": [None, None, 1, 2]},
                                "b": {"q1": [1, None], "q2": [1, 1]},
                                "ref": {"q1": [1, 2, 3], "q2": [None, 2, 3]}})
    shares = quality.missing_shares(responses, study)
    assert list(shares.columns) == ["a", "ref"] and list(shares.index) == ["q1", "q2"]
    assert shares.to_numpy().ravel() == pytest.approx([0.25, 0.0, 0.5, 1 / 3])
    assert quality.weights_display(responses, study).empty  # no weights, nothing to show


def test_excluded_rows_are_counted_apart_from_dropped_ones():
    """Rows in = kept + dropped + excluded, on the data-quality page's table and line."""
    from cxstudy.report import quality_line

    log = pd.DataFrame({
        "source": ["s"] * 7, "source_row": range(1, 8), "respondent_id": list("abcdefg"),
        "group": ["staff"] * 4 + ["customers"] * 2 + [None],
        "kept": [True, False, False, True, True, False, False],
        "reason": ["", "excluded", "duplicate", "", "", "excluded", "excluded"],
        "detail": ["", "cleaning.exclude[0]: Employment = \"Self-employed\"", "same id", "",
                   "", "cleaning.exclude[1]: SeenFilm blank", "cleaning.exclude[1]: "
                   "SeenFilm blank"]})
    study = make_study(groups=("staff", "customers"))
    table = quality.rows_by_rule(log, study)
    assert list(table.index) == ["excluded", "duplicate", "kept", "all rows"]  # rule order
    assert table.loc["excluded"].tolist() == [1, 1, 1, 3]
    assert table.loc["all rows", "all rows"] == 7 == sum(table.loc[["excluded", "duplicate",
                                                                    "kept"], "all rows"])
    sources = pd.DataFrame({"rows": [7], "kept": [3]})
    assert quality_line(quality.dropped_by_reason(log), sources) == (
        "7 responses read from 1 export; 3 kept, 3 excluded as not part of the study "
        "(cleaning.exclude), 1 dropped (1 duplicate).")
    assert quality_line(quality.dropped_by_reason(log[log["reason"] != "duplicate"]),
                        sources.assign(rows=6)).endswith("3 excluded as not part of the "
                                                         "study (cleaning.exclude).")

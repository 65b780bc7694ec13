"""The data-quality tables (cxstudy.quality): rows by rule, what was not checked, missing
answers, the weights."""

from __future__ import annotations

import numpy as np
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


# ---------------------------------------------------------------------------
# the tables from additive counts (issue 29): the log and the responses in blocks


def _named(log):
    """The fixture's log with the study's names of its sources (leaders, customers)."""
    return log.assign(source=log["source"].str.removesuffix(".csv"))


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_log_counts_of_blocks_added_in_any_order_are_those_of_the_whole_log(log, order):
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    log = _named(log)
    whole = quality.log_counts(log, study, per_reason=1)
    blocks = [quality.log_counts(log.iloc[start:start + 3].reset_index(drop=True), study,
                                 per_reason=1) for start in (0, 3, 6)]
    added = blocks[order[0]] + blocks[order[1]] + blocks[order[2]]
    assert added == whole == sum(blocks)  # as a streaming run adds its blocks
    pd.testing.assert_series_equal(quality.dropped_by_reason(None, counts=added),
                                   quality.dropped_by_reason(log))
    pd.testing.assert_frame_equal(quality.rows_by_rule(None, study, counts=added),
                                  quality.rows_by_rule(log, study))
    pd.testing.assert_frame_equal(quality.not_checked(None, counts=added),
                                  quality.not_checked(log))
    examples = quality.dropped_examples(None, per_reason=1, counts=added)
    assert examples[["source", "source_row", "reason"]].values.tolist() == [
        ["leaders", 2, "duplicate"], ["leaders", 4, "speeder"], ["customers", 4, "no_group"]]


def test_log_counts_do_not_grow_with_the_rows():
    """Rows per (source, audience, reason), the notes per source, three examples per rule:
    a log ten times longer is counted in frames of the same length."""
    study = cx.load_study(minimal_study(), base_dir=ROOT)

    def log_of(rows: int) -> pd.DataFrame:
        reasons = np.array(["", "duplicate", "speeder", ""])[np.arange(rows) % 4]
        return pd.DataFrame({
            "source": np.where(np.arange(rows) < rows // 2, "leaders", "customers"),
            "source_row": np.arange(rows) % (rows // 2) + 1,
            "respondent_id": [f"r{i}" for i in range(rows)],
            "group": np.where(np.arange(rows) < rows // 2, "leadership", "customers"),
            "kept": reasons == "", "reason": reasons,
            "detail": np.where(reasons == "", "not checked: speeders (no duration column)",
                               "why")})

    small, large = quality.log_counts(log_of(400), study), quality.log_counts(log_of(4000),
                                                                              study)
    for frame in ("rows", "notes", "examples"):
        assert len(getattr(small, frame)) == len(getattr(large, frame)), frame
    assert len(large.examples) == 3 * 2 and large.rows["rows"].sum() == 4000
    assert quality.dropped_by_reason(None, counts=large).to_dict() == {"duplicate": 1000,
                                                                      "speeder": 1000}
    with pytest.raises(ValueError, match="keep 3 dropped row"):
        quality.dropped_examples(None, per_reason=4, counts=large)
    with pytest.raises(ValueError, match=r"1 example.* keeping 3"):
        large + quality.log_counts(log_of(8), study, per_reason=1)


def _weighted(study, group="ref"):
    from dataclasses import replace

    from cxstudy.model import Weights

    return replace(study, weights=Weights(group=group, margins={"Area": {"x": 1.0}}))


@pytest.mark.parametrize("respondents", [7, 8])  # the median of an odd and an even count
def test_weights_from_counts_in_blocks_are_the_summary_of_the_weights(respondents):
    """Raking gives each cell of the margins one weight: counted per distinct weight, the
    median, spread and design effect equal cxstudy.weights.weight_summary's, which works
    on the weights themselves (numpy's median and standard deviation)."""
    from cxstudy.weights import weight_summary

    study = _weighted(make_study(groups=("a", "ref")))
    cells = np.array([0.8, 1.25, 0.8, 2.0, 0.95, 1.25, 0.8, 0.3])[:respondents]
    responses = make_responses({"a": [1, 2], "ref": [1] * respondents},
                               weights=np.concatenate([[1.0, 1.0], cells]))
    blocks = [quality.respondent_counts(responses.iloc[rows].reset_index(drop=True), study)
              for rows in np.array_split(np.arange(len(responses)), 3)]
    added = blocks[0] + blocks[1] + blocks[2]
    expected = weight_summary(responses, "ref")
    made = quality.weight_summary(added)
    assert made.keys() == expected.keys()
    assert made == pytest.approx(expected, rel=1e-12)
    assert len(added.weight_values) == len(set(cells))  # one per distinct weight
    shown = quality.weights_display(None, study, counts=[added])
    pd.testing.assert_frame_equal(shown, quality.weights_display(responses, study))
    assert shown.loc[0, "Median"] == round(float(np.median(cells)), 3)


def test_weights_of_a_weight_per_respondent_are_binned_the_median_to_the_bin():
    """A design-weight column gives each respondent a weight of its own: beyond
    MAX_WEIGHT_VALUES distinct weights they are counted in bins, the counts stay small;
    the sums, the extremes and so CV, Kish's n and the design effect stay exact, the
    median is off by at most half a bin."""
    from cxstudy.weights import weight_summary

    study = _weighted(make_study(groups=("a", "ref")))
    rng = np.random.default_rng(29)
    weights = rng.lognormal(0.0, 0.4, size=quality.MAX_WEIGHT_VALUES + 5001)
    responses = make_responses({"a": [1], "ref": [1] * len(weights)},
                               weights=np.concatenate([[1.0], weights]))
    halves = [quality.respondent_counts(part.reset_index(drop=True), study)
              for part in (responses.iloc[:40000], responses.iloc[40000:])]
    added = halves[0] + halves[1]
    assert len(added.weight_values) < quality.MAX_WEIGHT_VALUES
    made, expected = quality.weight_summary(added), weight_summary(responses, "ref")
    for key in ("n", "min", "max", "cv", "n_eff", "design_effect"):
        assert made[key] == pytest.approx(expected[key], rel=1e-9), key
    assert abs(made["median"] - expected["median"]) <= quality.WEIGHT_BIN / 2 + 1e-12


def test_a_wave_without_the_weighted_audience_shows_no_weights_rather_than_failing():
    study = _weighted(make_study(groups=("a", "ref")))
    counts = quality.respondent_counts(make_responses({"a": [1, 2], "ref": []}), study,
                                       wave="2025")
    row = quality.weights_display(None, study, counts=[counts]).iloc[0]
    assert row["Wave"] == "2025" and row["n"] == 0 and np.isnan(row["Median"])


def test_respondents_and_missing_from_counts_of_waves_name_their_wave_and_add_up():
    """Counts know their wave: respondents and missing shares of two waves' counts
    together are those of both waves' responses (a table from counts needs no frame)."""
    study = make_study(groups=("a", "b", "ref"), items=("q1", "q2"), min_group_size=3)
    responses = make_responses({"a": {"q1": [1, None, 3, 4], "q2": [None, None, 1, 2]},
                                "b": {"q1": [1, None], "q2": [1, 1]},
                                "ref": {"q1": [1, 2, 3], "q2": [None, 2, 3]}})
    first, second = responses.iloc[:5], responses.iloc[5:]
    counts = [quality.respondent_counts(first.reset_index(drop=True), study, wave="2025"),
              quality.respondent_counts(second.reset_index(drop=True), study, wave="2026")]
    assert [c.wave for c in counts] == ["2025", "2026"]
    pd.testing.assert_frame_equal(quality.missing_shares(None, study, counts=counts),
                                  quality.missing_shares(responses, study))
    assert quality.respondent_table(None, study, counts=counts).tolist() == [4, 2, 3]
    with pytest.raises(ValueError, match="same study and wave"):
        counts[0] + counts[1]
    with pytest.raises(ValueError, match="responses or their counts"):
        quality.missing_shares(None, study)

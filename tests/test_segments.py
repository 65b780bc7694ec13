"""Segments: where in the business is the gap? Numbers, privacy, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep

import cxstudy as cx
from cxstudy.exceptions import DataError, StudyFileError

from .conftest import minimal_study


def region_study(tmp_path, leaders: dict[str, list[str]], customers: dict[str, list[str]],
                 *, min_group_size: int = 5, **segment):
    """Leaders and customers asked Q1, both asked their region (column Region)."""
    for name, answers in (("leaders.csv", leaders), ("customers.csv", customers)):
        rows = [{"Region": region, "Q1": answer} for region, values in answers.items()
                for answer in values]
        pd.DataFrame(rows).to_csv(tmp_path / name, index=False)
    spec = minimal_study(min_group_size=min_group_size, segments=[
        {"id": "region", "label": "Region", "column": "Region", **segment}])
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses


def answers(agree: int, disagree: int) -> list[str]:
    return ["Agree"] * agree + ["Disagree"] * disagree


def test_segment_gaps_match_a_direct_computation_on_the_subset(tmp_path):
    study, responses = region_study(
        tmp_path,
        leaders={"North": answers(18, 2), "South": answers(12, 8), "East": answers(9, 6)},
        customers={"North": answers(10, 40), "South": answers(15, 25), "East": answers(7, 3)})
    assert list(responses["region"].dropna().unique()) == ["North", "South", "East"]
    table = cx.segment_table(responses, study)
    assert list(table.columns[:5]) == ["segment", "level", "item", "text", "group"]
    for row in table.itertuples():
        mine = responses[(responses["group"] == "leadership") & (responses["region"] == row.level)]
        theirs = responses[(responses["group"] == "customers")
                           & (responses["region"] == row.level)]
        x1, n1 = int((mine["excellent"] >= 4).sum()), int(mine["excellent"].notna().sum())
        x2, n2 = int((theirs["excellent"] >= 4).sum()), int(theirs["excellent"].notna().sum())
        assert (row.n, row.n_ref) == (n1, n2)
        assert row.gap == pytest.approx(x1 / n1 - x2 / n2)
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        assert (row.gap_low, row.gap_high) == pytest.approx((low, high))
        contingency = np.array([[x1, n1 - x1], [x2, n2 - x2]])
        expected = contingency.sum(1, keepdims=True) * contingency.sum(0) / contingency.sum()
        test = sps.fisher_exact(contingency) if (expected < 5).any() else \
            sps.chi2_contingency(contingency, correction=False)
        assert row.p_value == pytest.approx(test.pvalue)
    # do the leaders' levels differ? Pearson's chi-square over the three regions
    leaders_table = [[18, 2], [12, 8], [9, 6]]
    assert table["levels_p_value"].iloc[0] == pytest.approx(
        sps.chi2_contingency(leaders_table, correction=False).pvalue)
    # the correction runs over the table
    from statsmodels.stats.multitest import multipletests
    assert table["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(table["p_value"], method="holm")[1])


def test_an_audience_not_asked_is_compared_overall(tmp_path):
    for name, values in (("leaders.csv", answers(15, 5)), ("customers.csv", None)):
        if values is not None:
            pd.DataFrame({"Q1": values}).to_csv(tmp_path / name, index=False)
    pd.DataFrame({"Tenure": [0.5] * 20 + [2] * 20 + [12] * 10,
                  "Q1": answers(2, 18) + answers(8, 12) + answers(8, 2)}).to_csv(
        tmp_path / "customers.csv", index=False)
    spec = minimal_study(segments=[{"id": "tenure", "label": "Customer for",
                                    "columns": {"customers": "Tenure"},
                                    "bins": [0, 1, 3, 10, 30]}])
    study = cx.load_study(spec, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    table = cx.segment_table(responses, study)
    assert list(table["level"]) == ["0 to <1", "1 to <3", "10 to 30"]  # the band order
    assert (table["compared"] == "overall").all() and (table["n"] == 20).all()
    assert list(table["top_box"]) == pytest.approx([0.75] * 3)
    assert list(table["top_box_ref"]) == pytest.approx([0.1, 0.4, 0.8])
    assert table["levels_p_value"].isna().all()  # leaders have no tenure to compare
    assert table["levels_p_value_ref"].iloc[0] == pytest.approx(sps.chi2_contingency(
        [[2, 18], [8, 12], [8, 2]], correction=False).pvalue)


def test_a_level_of_three_people_hides_the_next_smallest_too(tmp_path):
    """Complementary suppression: with one level hidden, the total minus the others would
    give it away; so the next smallest level is hidden as well."""
    study, responses = region_study(
        tmp_path,
        leaders={"North": answers(30, 10), "South": answers(12, 8), "East": answers(5, 5),
                 "West": answers(2, 1)},                      # West: 3 leaders
        customers={"North": answers(10, 40), "South": answers(15, 25), "East": answers(5, 15),
                   "West": answers(9, 11)})
    table = cx.segment_table(responses, study).set_index("level")
    assert table.loc["West", "suppressed"] and table.loc["East", "suppressed"]  # 3 and 10
    assert not table.loc["North", "suppressed"] and not table.loc["South", "suppressed"]
    for level in ("West", "East"):
        shown = table.loc[level, ["top_box", "top_box_ref", "gap", "gap_low", "p_value"]]
        assert shown.isna().all(), level
    assert table.loc["West", "n"] == 3  # how many: shown, so a reader sees why
    assert table.loc["East", "note"] == ("hidden so that the 3-person “West” level of "
                                         "leadership cannot be worked out by subtraction "
                                         "from the total")
    assert table.loc["West", "note"] == ("suppressed: fewer than 5 respondents of leadership "
                                         "in this level (n = 3)")
    # the levels test runs over the levels shown only
    assert table["levels_p_value"].iloc[0] == pytest.approx(sps.chi2_contingency(
        [[30, 10], [12, 8]], correction=False).pvalue)
    # two levels below the minimum: each hides the other, nothing more is hidden
    study, responses = region_study(
        tmp_path, leaders={"North": answers(30, 10), "South": answers(12, 8),
                           "East": answers(2, 2), "West": answers(2, 1)},
        customers={"North": answers(10, 40), "South": answers(15, 25), "East": answers(5, 15),
                   "West": answers(9, 11)})
    table = cx.segment_table(responses, study).set_index("level")
    assert list(table["suppressed"]) == [False, False, True, True]


def test_segment_map_and_order_and_processed_columns(tmp_path):
    study, responses = region_study(
        tmp_path, leaders={"N": answers(5, 5), "S": answers(5, 5)},
        customers={"N": answers(5, 5), "S": answers(5, 5)},
        map={"N": "North", "S": "South"}, order=["South", "North"])
    assert set(responses["region"].dropna()) == {"North", "South"}
    assert str(responses["region"].dtype) == "string"
    assert list(cx.segment_table(responses, study)["level"]) == ["South", "North"]


def test_unmapped_values_are_listed_with_their_counts(tmp_path):
    with pytest.raises(DataError) as caught:
        region_study(tmp_path, leaders={"N": answers(5, 5), "NE": answers(2, 1)},
                     customers={"N": answers(5, 5), "X": answers(1, 0)},
                     map={"N": "North", "S": "South"})
    message = str(caught.value)
    assert 'segment region: "NE" (3 rows) not in its map' in message
    assert '"X" (1 row) not in its map' in message
    assert "add each value to the map of region" in message


def test_values_outside_the_bins_are_an_error(tmp_path):
    pd.DataFrame({"Q1": answers(5, 5)}).to_csv(tmp_path / "leaders.csv", index=False)
    pd.DataFrame({"Tenure": [1, 2, 45, "a lot", 3, 4, 5, 6, 7, 8],
                  "Q1": answers(5, 5)}).to_csv(tmp_path / "customers.csv", index=False)
    spec = minimal_study(segments=[{"id": "tenure", "columns": {"customers": "Tenure"},
                                    "bins": [0, 1, 3, 10]}])
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(DataError, match=r'"45" \(1 row\), "a lot" \(1 row\) not a number '
                                        r"within the bins \[0, 10\]"):
        cx.clean(cx.read_sources(study), study)


def test_a_missing_segment_column_names_the_nearest(tmp_path):
    pd.DataFrame({"Q1": answers(5, 5), "Regoin": ["N"] * 10}).to_csv(tmp_path / "leaders.csv",
                                                                    index=False)
    pd.DataFrame({"Q1": answers(5, 5), "Regoin": ["N"] * 10}).to_csv(
        tmp_path / "customers.csv", index=False)
    spec = minimal_study(segments=[{"id": "region", "column": "Region"}])
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(StudyFileError, match=r'no column "Region" \(named at segments\[0\] '
                                             r'\(region\)\.columns\.leadership\).*Regoin'):
        cx.clean(cx.read_sources(study), study)


def test_the_example_segments(example_2026):
    study, responses = example_2026
    table = cx.segment_table(responses, study)
    assert set(table["segment"]) == {"region", "tenure"}
    tenure = table[(table["segment"] == "tenure") & (table["item"] == "excellent")
                   & (table["group"] == "staff")].set_index("level")
    assert list(tenure.index) == ["0 to <1", "1 to <3", "3 to <10", "10 to 30"]
    assert (tenure["compared"] == "overall").all()
    assert tenure.loc["0 to <1", "gap"] > tenure.loc["10 to 30", "gap"] + 0.3  # newer: wider
    leaders = table[(table["segment"] == "region") & (table["group"] == "leadership")]
    assert (leaders["compared"] == "overall").all()  # leaders were not asked their region


def test_an_audience_compared_overall_is_hidden_when_it_is_too_small(example_2026):
    """Leaders (25) were not asked their region: with a minimum of 30 their overall share
    must not appear next to any level either."""
    import dataclasses

    study, responses = example_2026
    strict = dataclasses.replace(study, min_group_size=30)
    table = cx.segment_table(responses, strict)
    leaders = table[table["group"] == "leadership"]
    assert leaders["suppressed"].all() and leaders["top_box"].isna().all()
    assert leaders["gap"].isna().all()
    region = leaders[leaders["segment"] == "region"]  # customers >= 30 in every region
    assert set(region["note"]) == {  # 24 or 25 leaders answered each item
        "suppressed: fewer than 30 respondents of leadership (n = 25)",
        "suppressed: fewer than 30 respondents of leadership (n = 24)"}


# ---------------------------------------------------------------------------
# does the gap differ across levels? (the test "widest where" rests on)


def test_the_gap_levels_test_is_cochrans_q_as_statsmodels_computes_it(tmp_path):
    from statsmodels.stats.meta_analysis import combine_effects
    from statsmodels.stats.multitest import multipletests

    leaders = {"North": (18, 2), "South": (12, 8), "East": (9, 6)}
    customers = {"North": (10, 40), "South": (15, 25), "East": (7, 3)}
    study, responses = region_study(
        tmp_path, leaders={k: answers(*v) for k, v in leaders.items()},
        customers={k: answers(*v) for k, v in customers.items()})
    table = cx.segment_table(responses, study)
    gaps, variances = [], []
    for level in leaders:
        (x1, f1), (x2, f2) = leaders[level], customers[level]
        n1, n2 = x1 + f1, x2 + f2
        gaps.append(x1 / n1 - x2 / n2)
        p1, p2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)  # Agresti-Caffo shares
        variances.append(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    expected = combine_effects(np.array(gaps), np.array(variances)).test_homogeneity()
    assert table["gap_levels_p_value"].to_numpy() == pytest.approx([expected.pvalue] * 3)
    assert table["gap_levels_p_adjusted"].iloc[0] == pytest.approx(
        multipletests([expected.pvalue], method="holm")[1][0])


def test_compared_overall_the_gap_differs_when_the_reference_differs(example_2026):
    """Leaders were not asked their tenure: the gap moves across tenure bands only with
    the customers' share, so its test is the customers' test of their levels."""
    study, responses = example_2026
    table = cx.segment_table(responses, study)
    tenure = table[(table["segment"] == "tenure") & (table["group"] == "leadership")]
    assert tenure["gap_levels_p_value"].to_numpy() == pytest.approx(
        tenure["levels_p_value_ref"].to_numpy())
    # adjusted over one test per (segment, item, audience), not per row
    family = table.drop_duplicates(["segment", "item", "group"])
    from statsmodels.stats.multitest import multipletests
    assert family["gap_levels_p_adjusted"].to_numpy() == pytest.approx(
        multipletests(family["gap_levels_p_value"], method="holm")[1])


SAME = {"North": answers(15, 5), "South": answers(30, 10), "East": answers(12, 4)}
SAME_REF = {"North": answers(10, 40), "South": answers(6, 24), "East": answers(8, 32)}


def test_levels_that_do_not_differ_name_no_level(tmp_path):
    """The same distribution in every region: the summary says the gap is similar
    across Region and names no level; the Segments page singles none out."""
    from cxstudy import report

    study, responses = region_study(tmp_path, leaders=SAME, customers=SAME_REF)
    table = cx.segment_table(responses, study)
    assert table["gap"].to_numpy() == pytest.approx([0.55] * 3)
    assert (table["p_adjusted"] < 0.05).all()  # every level's own gap is significant
    gaps = cx.gap_table(responses, study)
    said = report.widest_segment_sentence(table, gaps, study)
    assert said == ("The leadership–customers gap on “We are excellent” is similar across "
                    "Region (levels do not differ: adjusted p = 1.000).")
    assert not any(level in said for level in SAME)
    assert report.segment_sentences(table, study) == []
    assert report.segments_similar_sentence(table, study) == (
        "No gap differs across the levels of Region after the correction for multiple "
        "comparisons (smallest adjusted p = 1.000): each gap is similar in every level, "
        "so no level is singled out.")


def test_levels_that_differ_name_the_widest_level_clear_of_zero(tmp_path):
    from cxstudy import report

    study, responses = region_study(
        tmp_path, leaders={"North": answers(32, 8), "South": answers(10, 30),
                           "East": answers(4, 1)},
        customers={"North": answers(20, 20), "South": answers(20, 20),
                   "East": answers(2, 3)})
    table = cx.segment_table(responses, study).set_index("level")
    # East has the widest gap (+40) but its interval reaches zero; North (+30) is clear
    assert table.loc["East", "gap"] > table.loc["North", "gap"]
    assert table.loc["East", "gap_low"] <= 0 < table.loc["North", "gap_low"]
    assert table["gap_levels_p_adjusted"].iloc[0] < 0.05
    said = report.widest_segment_sentence(table.reset_index(), cx.gap_table(responses, study),
                                          study)
    assert said.startswith("The leadership–customers gap on “We are excellent” is widest "
                           "where Region is “North”: +30 points (unadjusted 95% CI ")
    assert "; the gap differs across Region (adjusted p " in said and "East" not in said
    page = report.segment_sentences(table.reset_index(), study)
    assert len(page) == 1 and page[0].startswith(
        "Where Region is “North”, on “We are excellent”: 80% of leadership (n = 40) answer "
        "“Strongly agree” or “Agree”; 50% of customers (n = 40) do: a gap of +30 points "
        "(unadjusted 95% CI +9 to +48; adjusted p = 0.015); the gap differs across Region "
        "(adjusted p < 0.001).")


def test_the_example_names_all_leadership_against_customers_in_a_tenure_band(example_2026):
    from cxstudy import report

    study, responses = example_2026
    said = report.widest_segment_sentence(cx.segment_table(responses, study),
                                          cx.gap_table(responses, study), study)
    assert said == ("The gap on “We deliver an excellent customer experience” is widest for "
                    "all leadership against customers in Customer for (years) “0 to &lt;1”: "
                    "+74 points (unadjusted 95% CI +54 to +86), against +64 overall; the gap "
                    "differs "
                    "across Customer for (years) (adjusted p < 0.001): only customers answered "
                    "Customer for (years), so the levels differ in customers alone (leadership "
                    "were not asked it).")


def test_sentences_use_the_audiences_labels(tmp_path):
    from cxstudy import report

    study, responses = region_study(tmp_path, leaders=SAME, customers=SAME_REF)
    import dataclasses
    study = dataclasses.replace(study, group_labels={"leadership": "Board",
                                                     "customers": "Star Wars fans"})
    table = cx.segment_table(responses, study)
    said = report.widest_segment_sentence(table, cx.gap_table(responses, study), study)
    assert said.startswith("The Board–Star Wars fans gap on “We are excellent” is similar")
    shown = report.segment_display(table, study)
    assert set(shown["Audience"]) == {"Board"}
    assert "n Star Wars fans" in shown.columns
    assert "leadership" not in " ".join(report.levels_display(table, study).columns)


# ---------------------------------------------------------------------------
# complementary suppression: which level it protects; pooling small levels


def _derivable(table: pd.DataFrame, responses: pd.DataFrame, study) -> list[str]:
    """Hidden levels whose top-box count a reader could work out by arithmetic: the
    audience's total (the gap table shows it) minus the levels shown leaves the hidden
    levels' sum, which gives a level away when one level is hidden, or when the sum is 0
    or every hidden respondent (then each hidden level is all one answer)."""
    found = []
    for (item, group), rows in table.groupby(["item", "group"]):
        if (rows["compared"] == "overall").all():
            continue
        side = responses[responses["group"] == group]
        hidden = rows[rows["suppressed"] & (rows["n"] > 0)]
        shown = rows[~rows["suppressed"]]
        assert (shown["n"] >= study.min_group_size).all()  # no figure for fewer
        assert (shown["n_ref"] >= study.min_group_size).all()
        total = int((side[item] >= 4).sum())
        left = total - round((shown["top_box"] * shown["n"]).sum())
        from cxstudy.segments import pooled_levels

        segment = next(g for g in study.segments if g.id == table["segment"].iloc[0])
        levels = pooled_levels(responses, study, segment)[0][side.index]  # as the table cut
        in_hidden = side[levels.isin(set(hidden["level"])).to_numpy(bool)]
        assert left == int((in_hidden[item] >= 4).sum())  # the arithmetic is right
        if len(hidden) == 1 or (len(hidden) and left in (0, int(hidden["n"].sum()))):
            found.append(f"{group} {', '.join(hidden['level'])}: {left}")
    return found


FOUR = {"North": answers(30, 10), "South": answers(12, 8), "East": answers(5, 3),
        "Other": answers(8, 4), "Not stated": answers(2, 1)}
FOUR_REF = {"North": answers(10, 40), "South": answers(15, 25), "East": answers(5, 15),
            "Other": answers(9, 11), "Not stated": answers(6, 6)}


def test_a_complement_note_names_the_level_it_protects_and_pooling_shows_it_again(tmp_path):
    study, responses = region_study(tmp_path, leaders=FOUR, customers=FOUR_REF)
    table = cx.segment_table(responses, study).set_index("level")
    # Not stated: 3 leaders, hidden; East (8), the next smallest, hidden to protect it
    assert list(table.index[table["suppressed"]]) == ["East", "Not stated"]
    assert table.loc["East", "note"] == ("hidden so that the 3-person “Not stated” level of "
                                         "leadership cannot be worked out by subtraction "
                                         "from the total")
    assert _derivable(table.reset_index(), responses, study) == []
    from cxstudy import report
    shown = report.segment_display(table.reset_index(), study).set_index("Level")
    assert shown.loc["East", "Note"].startswith("hidden so that the 3-person “Not stated”")

    # pooled with "Other" into "Other / not stated" (3 + 12 = 15 leaders): East is shown
    study, responses = region_study(
        tmp_path, leaders=FOUR, customers=FOUR_REF,
        other={"label": "Other / not stated", "levels": ["Other"]})
    table = cx.segment_table(responses, study).set_index("level")
    assert list(table.index) == ["North", "South", "East", "Other / not stated"]
    assert not table["suppressed"].any()
    assert table.loc["East", "top_box"] == pytest.approx(5 / 8)
    pooled = table.loc["Other / not stated"]
    assert (pooled["n"], pooled["n_ref"]) == (15, 32)
    assert pooled["top_box"] == pytest.approx(10 / 15)
    assert pooled["top_box_ref"] == pytest.approx(15 / 32)
    assert pooled["note"] == "pools “Not stated” and “Other”"
    assert _derivable(table.reset_index(), responses, study) == []
    # the shown levels add up to the audience: nothing is left to subtract
    assert table["n"].sum() == (responses["group"] == "leadership").sum()


def test_other_pools_the_small_levels_and_a_small_pool_stays_hidden(tmp_path):
    leaders = {"North": answers(30, 10), "South": answers(12, 8), "East": answers(9, 6),
               "Not stated": answers(2, 1), "Refused": answers(1, 2)}
    customers = {"North": answers(10, 40), "South": answers(15, 25), "East": answers(5, 15),
                 "Not stated": answers(4, 4), "Refused": answers(3, 3)}
    study, responses = region_study(tmp_path, leaders=leaders, customers=customers,
                                    other="Other / not stated")
    table = cx.segment_table(responses, study).set_index("level")
    assert list(table.index) == ["North", "South", "East", "Other / not stated"]
    assert not table["suppressed"].any()  # 3 + 3 leaders: 6, shown pooled
    assert table.loc["Other / not stated", "top_box"] == pytest.approx(3 / 6)
    assert _derivable(table.reset_index(), responses, study) == []
    # one small level pooled alone is still small: hidden, with its complement named
    del leaders["Refused"], customers["Refused"]
    study, responses = region_study(tmp_path, leaders=leaders, customers=customers,
                                    other="Other / not stated")
    table = cx.segment_table(responses, study).set_index("level")
    assert list(table.index[table["suppressed"]]) == ["East", "Other / not stated"]
    assert "the 3-person “Other / not stated” level" in table.loc["East", "note"]
    assert _derivable(table.reset_index(), responses, study) == []


@pytest.mark.parametrize("other, expected", [
    (5, "segments[0].other: found 5; expected a level name (text)"),
    ({"label": ""}, "segments[0].other.label: found ''"),
    ({"label": "Other", "levels": "Not stated"},
     "segments[0].other.levels: found 'Not stated'; expected a list of the levels to pool"),
    ({"label": "Other", "levels": ["Nowhere"]},
     "segments[0].other.levels: no level 'Nowhere'"),
    ({"label": "Other", "level": ["North"]}, "segments[0].other.level: unknown key"),
])
def test_a_bad_other_is_a_study_file_problem_naming_the_key(other, expected):
    from .conftest import problems_of

    found = problems_of(minimal_study(segments=[{
        "id": "region", "column": "Region", "order": ["North", "South"], "other": other}]))
    assert any(expected in p for p in found), found


def test_other_is_parsed(tmp_path):
    study = cx.load_study(minimal_study(segments=[
        {"id": "region", "column": "Region", "other": "Other / not stated"},
        {"id": "tenure", "columns": {"customers": "T"}, "bins": [0, 1, 5],
         "other": {"label": "Other", "levels": ["0 to <1"]}}]), base_dir=tmp_path)
    assert (study.segments[0].other, study.segments[0].other_levels) == (
        "Other / not stated", ())
    assert (study.segments[1].other, study.segments[1].other_levels) == ("Other", ("0 to <1",))


def test_a_report_whose_segments_do_not_differ_singles_out_no_level(tmp_path):
    """tests/shapes.py ``sites``: every site and plan has the same shares. The summary
    says the gap is similar across Site and Plan and names no level; the Segments page
    says no gap differs, shows the pooled small levels and its table open (18 rows)."""
    import re

    from cxstudy.cli import main

    from .shapes import sites
    from .test_shapes import visible_text

    path = sites(tmp_path / "project", np.random.default_rng(0))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "-q"]) == 0
    report = tmp_path / "out" / "reports" / "sites"
    index = re.sub(r"\s+", " ", visible_text(report / "index.html"))
    assert ("The Contact-centre agents–Callers gap on “Agents solve my problem on the first "
            "call” is similar across Site and Plan (levels do not differ: smallest adjusted "
            "p = 1.000).") in index
    assert "widest" not in index
    page = re.sub(r"\s+", " ", visible_text(report / "segments.html"))
    assert ("No gap differs across the levels of Site and Plan after the correction for "
            "multiple comparisons (smallest adjusted p = 1.000): each gap is similar in every "
            "level, so no level is singled out.") in page
    assert "Where Site is" not in page and "Where Plan is" not in page
    assert "pools “Not stated” and “Refused”" in page
    assert "The full table: 18 rows (2 segments, 3 items, 1 audience compared); the same " \
           "table is tables/segments.csv" in page
    assert "<details class='cx-details' open>" in (report / "segments.html").read_text() or \
        '<details class="cx-details" open="">' in (report / "segments.html").read_text()
    assert "Heatmap of the gap to Callers by Plan level" in page  # labels, not ids


def test_a_segment_with_one_level_shown_is_not_compared(tmp_path):
    """Two small levels hide each other: one level is left, and the summary must not call
    it the widest (it was the only one)."""
    from cxstudy import report

    study, responses = region_study(
        tmp_path, leaders={"North": answers(30, 10), "South": answers(2, 1),
                           "East": answers(1, 2)},
        customers={"North": answers(10, 40), "South": answers(15, 25), "East": answers(5, 15)})
    table = cx.segment_table(responses, study)
    assert list(table.loc[~table["suppressed"], "level"]) == ["North"]
    assert table["gap_levels_p_value"].isna().all()
    said = report.widest_segment_sentence(table, cx.gap_table(responses, study), study)
    assert said == ("The leadership–customers gap on “We are excellent” cannot be compared "
                    "across the levels of Region: fewer than two levels are shown (the "
                    "others are hidden for privacy or empty).")
    assert report.segment_sentences(table, study) == []
    assert report.segments_similar_sentence(table, study) == (
        "The levels of Region cannot be compared: fewer than two of its levels are shown "
        "for any audience (the others are hidden for privacy or empty).")


def test_the_heatmap_says_what_its_colour_means(tmp_path):
    """A colour bar of the gap in points, -100 to +100, diverging around 0, beside the
    panels, naming the reference above and below; the alt text says the same."""
    import matplotlib.pyplot as plt

    from cxstudy import plots

    study, responses = region_study(tmp_path, leaders=SAME, customers=SAME_REF)
    figure = plots.segment_heatmap(cx.segment_table(responses, study), study, "region")
    bar = [ax for ax in figure.axes if hasattr(ax, "_colorbar")]
    assert len(bar) == 1 and len(figure.axes) == 2  # one panel (leadership), one bar
    assert tuple(bar[0].get_ylim()) == (-100, 100)
    assert [t.get_text() for t in bar[0].get_yticklabels()] == ["−100", "−50", "0", "+50",
                                                                "+100"]
    colours = bar[0]._colorbar
    assert colours.cmap.name.startswith("RdBu_r")  # diverging: blue, white at 0, red
    assert (colours.norm.vmin, colours.norm.vmax) == (-100, 100)
    words = {t.get_text() for t in bar[0].texts} | {bar[0].get_title(loc="left")}
    assert {"gap,\npoints", "above\ncustomers", "below\ncustomers"} <= words
    assert "red: the audience's share above that of customers, blue: below" in figure.cx_alt
    plt.close(figure)


# ---------------------------------------------------------------------------
# counts: additive, made anywhere, knowing their wave (issue 29)


def _in_blocks(responses: pd.DataFrame, count, blocks: int = 3):
    """``count`` of each block of rows, added."""
    parts = [count(responses.iloc[rows].reset_index(drop=True))
             for rows in np.array_split(np.arange(len(responses)), blocks)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _weighted_regions(tmp_path, rng, **segment):
    """FOUR against FOUR_REF, the customers weighted, rows shuffled (a level first seen in
    the last block), a few respondents without a region."""
    study, responses = region_study(tmp_path, leaders=FOUR, customers=FOUR_REF, **segment)
    responses = responses.iloc[rng.permutation(len(responses))].reset_index(drop=True)
    responses.loc[responses.index[:5], "region"] = pd.NA
    responses.loc[responses.index[-1], "region"] = "Islands"  # one respondent, seen last
    responses["weight"] = np.where(responses["group"] == "customers",
                                   rng.uniform(0.4, 2.5, len(responses)), 1.0)
    return study, responses


@pytest.mark.parametrize("other", [None, "Other / not stated"])
def test_the_table_of_counts_made_in_blocks_is_the_table_of_the_responses(tmp_path, other):
    import pickle

    from cxstudy.segments import SegmentCounts

    rng = np.random.default_rng(3)
    study, responses = _weighted_regions(tmp_path, rng, **({"other": other} if other else {}))
    counts = _in_blocks(responses, lambda block: cx.segment_counts(block, study))
    assert isinstance(counts, SegmentCounts) and counts.wave is None
    whole = cx.segment_counts(responses, study)
    assert counts.segments["region"].levels == whole.segments["region"].levels
    assert counts.segments["region"].levels[-1] == "Islands"
    np.testing.assert_allclose(counts.segments["region"].counts,
                               whole.segments["region"].counts, rtol=1e-12)
    np.testing.assert_array_equal(counts.segments["region"].raw, whole.segments["region"].raw)
    made = cx.segment_table(None, study, counts=pickle.loads(pickle.dumps(counts)))
    pd.testing.assert_frame_equal(made, cx.segment_table(responses, study), check_exact=False,
                                  rtol=1e-12, atol=1e-12)
    if other:
        assert "pools" in " ".join(made["note"])


def test_weighted_level_shares_match_a_direct_computation(tmp_path):
    """Under weights a level's share is Σwy/Σw of its respondents, its interval Wilson's
    at Kish's effective n (statsmodels), the level counted on its own."""
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(4)
    study, responses = _weighted_regions(tmp_path, rng)
    table = cx.segment_table(None, study, counts=cx.segment_counts(responses, study))
    for row in table[~table["suppressed"]].itertuples():
        side = responses[(responses["group"] == "customers") & (responses["region"] == row.level)
                         & responses["excellent"].notna()]
        w, y = side["weight"].to_numpy(float), (side["excellent"] >= 4).to_numpy(float)
        share, n_eff = (w * y).sum() / w.sum(), w.sum() ** 2 / (w ** 2).sum()
        assert row.top_box_ref == pytest.approx(share, rel=1e-12)
        assert (row.top_box_ref_low, row.top_box_ref_high) == pytest.approx(
            proportion_confint(share * n_eff, n_eff, 0.05, method="wilson"), rel=1e-9)
        assert row.n_ref == len(side)


def test_counts_keep_their_size_whatever_the_respondents(tmp_path):
    study, responses = region_study(tmp_path, leaders=FOUR, customers=FOUR_REF)
    small = cx.segment_counts(responses, study)
    large = cx.segment_counts(pd.concat([responses] * 50, ignore_index=True), study)
    for name in ("counts", "raw", "rows", "reweighted"):
        assert getattr(small.segments["region"], name).shape == \
            getattr(large.segments["region"], name).shape
    np.testing.assert_array_equal(large.segments["region"].raw,
                                  50 * small.segments["region"].raw)


def test_a_table_of_counts_carries_the_wave_counted(tmp_path):
    """Counts of 2025 make a 2025 table, never the study's latest wave."""
    import dataclasses

    study, responses = region_study(tmp_path, leaders=FOUR, customers=FOUR_REF)
    study = dataclasses.replace(study, waves=("2025", "2026"))
    early = responses.assign(wave=pd.array(["2025"] * len(responses), dtype="string"))
    counts = cx.segment_counts(early, study)
    assert counts.wave == "2025"
    made = cx.segment_table(None, study, counts=counts)
    assert list(made.columns[:2]) == ["wave", "segment"] and set(made["wave"]) == {"2025"}
    pd.testing.assert_frame_equal(made, cx.segment_table(early, study))
    both = pd.concat([early, early.assign(wave="2026")], ignore_index=True)
    with pytest.raises(ValueError, match="waves 2025, 2026: count each wave"):
        cx.segment_counts(both, study)
    with pytest.raises(ValueError, match=r"wave 2026 to those of .* wave 2025"):
        counts + cx.segment_counts(early.assign(wave="2026"), study)
    with pytest.raises(ValueError, match="does not say which wave it is of"):
        cx.segment_table(None, study, counts=cx.segment_counts(responses, study))
    with pytest.raises(ValueError, match="segment_table: give the responses, or their counts"):
        cx.segment_table(None, study)


def test_counts_of_another_study_or_bad_codes_are_refused(tmp_path):
    study, responses = region_study(tmp_path, leaders=FOUR, customers=FOUR_REF)
    counts = cx.segment_counts(responses, study)
    other = cx.segment_counts(responses.drop(columns="region"), study)  # no segment counted
    with pytest.raises(ValueError, match=r"segments \(\), .* segments \('region',\), .*same "
                                         "study and wave"):
        counts + other
    broken = responses.assign(excellent=pd.array([9] * len(responses), dtype="Int8"))
    with pytest.raises(ValueError, match=r"item 'excellent' holds codes outside 1\.\.5"):
        cx.segment_counts(broken, study)

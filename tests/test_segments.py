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

"""CX metrics, calibration and importance-performance (weights: test_weights.py)."""

from __future__ import annotations

import dataclasses
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import example as also_try
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import cxstudy as cx
from cxstudy import metrics, report
from cxstudy.exceptions import DataError, StudyFileError
from cxstudy.metrics import nps_estimate
from cxstudy.waves import metric_trends

from .conftest import real_file


@pytest.fixture(scope="module")
def example(example_2026):
    return example_2026


# ---------------------------------------------------------------------------
# NPS


def test_nps_standard_error_published_width():
    """NPS-2: with P = D = 1/3 the 95% interval is about 320/sqrt(n) points wide."""
    table = pd.read_csv(real_file("reference/reference_values.csv")).set_index("id")
    published = table.loc["NPS-2", "library_value"]
    width_constant = float(re.search(r"=\s*([\d.]+)", published).group(1))  # 320.07
    n = 1024
    scores = np.array([10] * (n // 3) + [0] * (n // 3) + [7] * (n - 2 * (n // 3)))
    out = nps_estimate(scores)
    p, d = out["promoters"], out["detractors"]
    assert out["se"] == pytest.approx(np.sqrt((p + d - (p - d) ** 2) / n))
    assert 2 * 1.959964 * out["se"] * 100 * np.sqrt(n) == pytest.approx(width_constant,
                                                                        rel=2e-3)
    assert (out["high"] - out["low"]) * 100 == pytest.approx(10.0, abs=0.1)  # n = 1024 -> 10


def test_nps_adjusted_wald_by_hand():
    # 3 promoters, 1 passive, 1 detractor: P' = 3.75/8, D' = 1.75/8
    out = nps_estimate(np.array([10, 9, 9, 8, 2]))
    assert out["value"] == pytest.approx(0.4)
    p, d = 3.75 / 8, 1.75 / 8
    half = 1.959964 * np.sqrt((p + d - (p - d) ** 2) / 8)
    assert (out["low"], out["high"]) == pytest.approx((p - d - half, p - d + half), abs=1e-6)
    assert nps_estimate(np.array([10.0] * 3))["high"] == 1.0  # clipped


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60),
       st.lists(st.floats(0.2, 5), min_size=60, max_size=60))
def test_nps_matches_direct_computation(scores, weights):
    scores = np.array(scores, dtype=float)
    w = np.array(weights[:len(scores)])
    out = nps_estimate(scores, w)
    promoters = w[scores >= 9].sum() / w.sum()
    detractors = w[scores <= 6].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    assert out["value"] == pytest.approx(promoters - detractors)
    value = promoters - detractors
    assert out["se"] == pytest.approx(np.sqrt(max(promoters + detractors - value ** 2, 0)
                                              / n_eff), abs=1e-12)
    assert -1 <= out["low"] <= out["high"] <= 1


def test_metric_table_on_the_example(example):
    study, responses = example
    table = cx.metric_table(responses, study)
    assert set(table["metric"]) == {"nps", "ces", "ces_low_effort", "csat"}
    assert set(table["group"]) == {"customers"}  # only customers were asked
    customers = responses[responses["group"] == "customers"]
    nps = table[table["metric"] == "nps"].iloc[0]
    direct = (customers["nps"] >= 9).mean() - (customers["nps"] <= 6).mean()
    assert nps["value"] == pytest.approx(direct) and nps["n"] == 1000
    ces = table[table["metric"] == "ces"].iloc[0]
    values = customers["ces"].astype(float)
    interval = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
    assert ces["value"] == pytest.approx(values.mean())
    assert (ces["low"], ces["high"]) == pytest.approx(interval)
    low_effort = table[table["metric"] == "ces_low_effort"].iloc[0]
    assert low_effort["value"] == pytest.approx((values >= 5).mean())  # top 3 of 7 points
    csat = table[table["metric"] == "csat"].iloc[0]
    from statsmodels.stats.proportion import proportion_confint

    hits = int((customers["csat"] >= 4).sum())
    assert csat["value"] == pytest.approx(hits / 1000)
    assert (csat["low"], csat["high"]) == pytest.approx(proportion_confint(hits, 1000,
                                                                           method="wilson"))


def metric_study(tmp_path, waves: bool):
    rng = np.random.default_rng(3)
    rows = []
    for wave, shift in (("2025", 0), ("2026", 1)):
        for group, base in (("staff", 8), ("customers", 6)):
            for _ in range(60):
                rows.append({"wave": wave, "segment": group,
                             "NPS": int(np.clip(rng.normal(base + shift, 2), 0, 10))})
    frame = pd.DataFrame(rows)
    sources = []
    for wave in ("2025", "2026"):
        path = tmp_path / f"wave{wave}.csv"
        frame[frame["wave"] == wave].to_csv(path, index=False)
        sources.append({"path": path.name, "group_column": "segment",
                        **({"wave": wave} if waves else {})})
    spec = {"study": "m", "slug": "m", "groups": ["staff", "customers"], "sources": sources,
            "metrics": {"nps": {"column": "NPS"}}, "cleaning": {"duplicates": "none"},
            **({"waves": ["2025", "2026"]} if waves else {})}
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses, frame


def test_metric_gaps_between_audiences_and_waves(tmp_path):
    study, responses, _frame = metric_study(tmp_path, waves=True)
    table = cx.metric_table(responses, study)
    assert set(table["wave"]) == {"2025", "2026"} and len(table) == 4
    assert list(table.columns[:2]) == ["wave", "metric"]
    gaps = cx.metric_gaps(responses, study)
    assert list(gaps["wave"]) == ["2025", "2026"]  # audiences compared within each wave
    audience = gaps[gaps["wave"] == "2026"].iloc[0]
    latest = table[table["wave"] == "2026"].set_index("group")
    assert audience["gap"] == pytest.approx(latest.loc["staff", "value"]
                                            - latest.loc["customers", "value"])
    assert audience["se"] == pytest.approx(np.hypot(latest.loc["staff", "se"],
                                                    latest.loc["customers", "se"]))
    assert audience["p_value"] == pytest.approx(
        2 * sps.norm.sf(abs(audience["gap"]) / audience["se"]))
    assert gaps["p_adjusted"].notna().all()
    # the change of each audience between the waves: waves.metric_trends
    trends = metric_trends(table, study)
    assert set(trends["group"]) == {"staff", "customers"}
    staff = trends.set_index("group").loc["staff"]
    before, after = (table[(table["wave"] == w) & (table["group"] == "staff")].iloc[0]
                     for w in ("2025", "2026"))
    assert staff["change"] == pytest.approx(after["value"] - before["value"])
    assert staff["se"] == pytest.approx(np.hypot(before["se"], after["se"]))
    assert staff["p_value"] == pytest.approx(2 * sps.norm.sf(abs(staff["change"]) / staff["se"]))


def test_metric_answers_outside_the_scale_are_an_error(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"segment": ["customers"] * 3 + ["staff"] * 3,
                  "CES": ["Easy", "Very easy", "Effortless", "Easy", "Easy", "Easy"]}
                 ).to_csv(path, index=False)
    spec = {"study": "m", "slug": "m", "groups": ["staff", "customers"],
            "sources": [{"path": "c.csv", "group_column": "segment"}],
            "scales": {"effort": {"labels": ["Very difficult", "Difficult", "Easy",
                                             "Very easy"], "top_box": 2}},
            "metrics": {"ces": {"column": "CES", "scale": "effort"}}}
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(DataError) as caught:
        cx.clean(cx.read_sources(study), study)
    assert 'answer "Effortless": not on scale effort' in str(caught.value)
    assert 'column "CES" (ces, customers): 1' in str(caught.value)


# ---------------------------------------------------------------------------
# calibration and importance-performance


def test_calibration_on_the_example(example):
    study, responses = example
    table = cx.calibration_table(responses, study)
    assert list(table["group"]) == ["leadership", "staff"]
    customers = responses[responses["group"] == "customers"]["excellent"].dropna()
    actual = (customers >= 4).mean()
    for row in table.itertuples():
        estimates = responses.loc[responses["group"] == row.group, "excellent_estimate"] / 100
        assert row.estimate == pytest.approx(estimates.mean())
        assert row.actual == pytest.approx(actual)
        assert row.error == pytest.approx(estimates.mean() - actual)
        assert row.n == estimates.notna().sum()
    leaders = table.iloc[0]
    assert leaders["estimate"] > 0.6 and leaders["actual"] < 0.2  # the seeds' story


def test_importance_performance_derived(example):
    study, responses = example
    table = cx.importance_performance(responses, study)
    customers = responses[responses["group"] == "customers"]
    row = table[table["item"] == "billing_clear"].iloc[0]
    both = customers[["billing_clear", "excellent"]].dropna().astype(float)
    assert row["importance"] == pytest.approx(sps.spearmanr(both["billing_clear"],
                                                            both["excellent"]).statistic)
    half = 1.959964 / np.sqrt(len(both) - 3)
    assert row["importance_low"] == pytest.approx(np.tanh(np.arctanh(row["importance"]) - half),
                                                  abs=1e-6)
    assert row["performance"] == pytest.approx((both["billing_clear"] >= 4).mean(), abs=0.01)
    means = table.attrs
    expected = {(True, False): "concentrate here", (True, True): "keep up the good work",
                (False, False): "low priority", (False, True): "possible overkill"}
    for r in table.itertuples():
        assert r.quadrant == expected[(r.importance >= means["importance_mean"],
                                       r.performance >= means["performance_mean"])]
    assert "excellent" not in set(table["item"])


def test_importance_performance_stated(tmp_path):
    rows = pd.DataFrame({"segment": ["customers"] * 8,
                         "Q1": ["Agree"] * 6 + ["Disagree"] * 2,
                         "Q1_imp": ["Strongly agree"] * 2 + ["Disagree"] * 6,
                         "Q2": ["Disagree"] * 6 + ["Agree"] * 2,
                         "Q2_imp": ["Agree"] * 7 + ["Disagree"]})
    rows.to_csv(tmp_path / "c.csv", index=False)
    rows.head(2).to_csv(tmp_path / "s.csv", index=False)  # every audience needs its rows
    agree = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
             "Strongly agree"]
    spec = {"study": "s", "slug": "s", "groups": ["staff", "customers"],
            "sources": [{"path": "c.csv", "group": "customers"},
                        {"path": "s.csv", "group": "staff"}],
            "scales": {"a": {"labels": agree, "top_box": 2}},
            "items": [{"id": "q1", "text": "One", "scale": "a", "column": "Q1",
                       "importance": "q1_imp"},
                      {"id": "q1_imp", "text": "One matters", "scale": "a", "column": "Q1_imp"},
                      {"id": "q2", "text": "Two", "scale": "a", "column": "Q2",
                       "importance": "q2_imp"},
                      {"id": "q2_imp", "text": "Two matters", "scale": "a", "column": "Q2_imp"}],
            "min_group_size": 1}
    study = cx.load_study(spec, base_dir=tmp_path)
    table = cx.importance_performance(cx.clean(cx.read_sources(study), study).responses, study)
    assert table.attrs["method"] == "stated"
    assert table.set_index("item")["importance"].to_dict() == {"q1": 0.25, "q2": 0.875}
    assert table.set_index("item")["quadrant"].to_dict() == {
        "q1": "possible overkill", "q2": "concentrate here"}


def _pairs_table(values: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """The contingency table of the pairs both answered (rows: values ascending)."""
    both = ~np.isnan(values) & ~np.isnan(outcome)
    return pd.crosstab(values[both], outcome[both]).to_numpy()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]),
                          st.sampled_from([0.0, 3.0, 6.0, 9.0, 10.0, np.nan])),
                min_size=4, max_size=80))
@also_try([(1.0, 0.0), (1.0, 0.0), (1.0, 0.0), (2.0, 3.0)])  # rho = 1: no warning, a point
@also_try([(1.0, 10.0), (2.0, 9.0), (2.0, 9.0), (5.0, 0.0)])  # rho = -1
def test_spearman_from_the_joint_table_is_scipys_on_the_pairs(pairs):
    values, outcome = (np.array(column) for column in zip(*pairs, strict=True))
    both = ~np.isnan(values) & ~np.isnan(outcome)
    table = _pairs_table(values, outcome) if both.any() else np.zeros((0, 0), dtype=int)
    n, rho = metrics.spearman_from_table(table)
    assert n == both.sum()
    if n < 3 or np.ptp(values[both]) == 0 or np.ptp(outcome[both]) == 0:
        assert np.isnan(rho)
        return
    expected = float(sps.spearmanr(values[both], outcome[both]).statistic)
    assert rho == pytest.approx(expected, rel=1e-13, abs=1e-15)  # the last digits at most
    if abs(expected) == 1:  # a monotone table: exactly +-1, and the interval a point
        assert rho == expected
        low, high = metrics._fisher_interval(n, rho, 1.96)
        assert n <= 3 or low == high == rho


def test_spearman_from_a_table_keeps_empty_rows_and_columns():
    """Values nobody gave (a row or column of zeros) change no rank."""
    pairs = np.array([[1, 1], [1, 3], [3, 3], [3, 3], [4, 1], [4, 3]])
    table = np.zeros((5, 4), dtype=int)  # codes 0..4 x 0..3, most never given
    np.add.at(table, (pairs[:, 0], pairs[:, 1]), 1)
    n, rho = metrics.spearman_from_table(table)
    assert n == 6
    assert rho == pytest.approx(sps.spearmanr(pairs[:, 0], pairs[:, 1]).statistic, rel=1e-13)
    assert np.isnan(metrics.spearman_from_table([[3, 0], [0, 0]])[1])  # one value each


def test_metric_table_says_which_kind_each_row_is(example):
    study, responses = example
    table = cx.metric_table(responses, study)
    kinds = dict(zip(table["metric"], table["kind"], strict=False))
    assert kinds == {"nps": "nps", "ces": "ces", "ces_low_effort": "ces_low_effort",
                     "csat": "csat"}
    shown = report.metric_display(table, study)
    assert set(shown["Metric"]) == {"NPS (points)", "CES (mean effort score)",
                                    "CES: low effort (top-box)", "CSAT (top-box)"}


# ---------------------------------------------------------------------------
# metric kinds are one registry (metrics.METRIC_KINDS): the study-file parser, the metric
# table, the pages' tables and wording all read it, so a new kind is one entry


def one_metric_study(tmp_path, kind_spec: dict):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"segment": ["staff"] * 40 + ["customers"] * 40,
                          "M": rng.integers(1, 6, 80)})
    frame.to_csv(tmp_path / "all.csv", index=False)
    spec = {"study": "k", "slug": "k", "groups": ["staff", "customers"],
            "sources": [{"path": "all.csv", "group_column": "segment"}],
            "scales": {"five": {"values": [1, 2, 3, 4, 5], "top_box": 2}},
            "metrics": {"m": {"column": "M", **kind_spec}}, "cleaning": {"duplicates": "none"}}
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses, frame


def test_a_new_kind_is_one_entry(tmp_path, monkeypatch):
    """Registering a kind (here: a scale's mean share of answers 4 or 5, shown as a share)
    makes the study file accept it, the metric table compute it and the pages name it."""
    kind = dataclasses.replace(metrics.METRIC_KINDS["csat"], name="favourable",
                               label="Favourable (top-box)", description="the favourable "
                               "share")
    monkeypatch.setitem(metrics.METRIC_KINDS, "favourable", kind)
    study, responses, frame = one_metric_study(tmp_path, {"kind": "favourable",
                                                          "scale": "five"})
    table = cx.metric_table(responses, study)
    staff = table.set_index("group").loc["staff"]
    assert staff["kind"] == "favourable"
    assert staff["value"] == pytest.approx((frame["M"][:40] >= 4).mean())
    shown = report.metric_display(table, study)
    assert set(shown["Metric"]) == {"Favourable (top-box)"}  # its label, never its id
    assert shown.iloc[0, -1].endswith("%)")  # a share, shown in per cent
    assert report.metrics_blurb(table).startswith("The favourable share.")


def test_the_study_file_takes_the_kinds_of_the_registry(tmp_path):
    with pytest.raises(StudyFileError) as caught:
        one_metric_study(tmp_path, {"kind": "nsp"})
    message = str(caught.value)
    assert "metrics.m.kind" in message and "nps" in message  # did you mean
    assert "ces_low_effort" not in message  # comes with ces; no kind of its own
    with pytest.raises(StudyFileError, match=r"metrics\.m\.scale"):
        one_metric_study(tmp_path, {"kind": "csat"})  # csat needs_scale
    assert metrics.METRIC_KINDS["ces"].adds == ("ces_low_effort",)


@pytest.mark.parametrize(("kind", "points"), [("nps", True), ("csat", True),
                                              ("ces_low_effort", True), ("ces", False)])
def test_units_decide_how_changes_are_shown(kind, points):
    assert report.in_points(kind) is points


# ---------------------------------------------------------------------------
# every table from counts (issue 29): metric_counts, additive, of one wave


def _blocks(responses: pd.DataFrame, study, parts: int = 3):
    """The metric counts of ``responses`` made in blocks of rows and added."""
    total = None
    for rows in np.array_split(np.arange(len(responses)), parts):
        counts = cx.metric_counts(responses.iloc[rows].reset_index(drop=True), study)
        total = counts if total is None else total + counts
    return total


def test_metric_counts_add_up_to_the_counts_of_all_the_respondents(example):
    study, responses = example
    weighted = responses.assign(weight=np.random.default_rng(4).uniform(0.3, 3, len(responses)))
    whole, added = cx.metric_counts(weighted, study), _blocks(weighted, study)
    assert added.wave == whole.wave == "2026" and added.columns == whole.columns
    for part in ("metrics", "estimates"):
        one, three = getattr(whole, part), getattr(added, part)
        np.testing.assert_array_equal(three.values, one.values)
        np.testing.assert_array_equal(three.raw, one.raw)
        np.testing.assert_allclose(three.counts, one.counts, rtol=1e-12)
        np.testing.assert_allclose(three.squares, one.squares, rtol=1e-12)
    np.testing.assert_array_equal(added.joint.raw, whole.joint.raw)
    assert whole.joint.outcome == "excellent"
    assert pickle.loads(pickle.dumps(added)).joint.raw.sum() == whole.joint.raw.sum()
    nobody = cx.metric_counts(weighted.iloc[:0], study)  # a block without rows adds nothing
    assert nobody.wave is None and len(nobody.metrics.values) == 0
    with_nobody = nobody + whole
    assert with_nobody.wave == "2026"
    np.testing.assert_array_equal(with_nobody.metrics.raw, whole.metrics.raw)
    np.testing.assert_array_equal(with_nobody.joint.raw, whole.joint.raw)
    # the counts hold the study's shape, not its respondents
    assert whole.metrics.raw.shape == (3, 3, len(whole.metrics.values))
    assert len(whole.metrics.values) <= 11 + 7 + 5  # NPS 0-10, CES 1-7, CSAT 1-5
    customers = weighted[weighted["group"] == "customers"]
    nps = whole.metrics.answers("nps", "customers")
    assert nps.n == customers["nps"].notna().sum()
    assert nps.total == pytest.approx(customers.loc[customers["nps"].notna(), "weight"].sum())


def test_tables_from_counts_alone_equal_those_of_the_responses(example):
    study, responses = example
    counts = _blocks(responses, study)
    shares = cx.share_table(responses, study)
    pairs = [(cx.metric_table(responses, study), cx.metric_table(None, study, counts=counts)),
             (cx.metric_gaps(responses, study), cx.metric_gaps(None, study, counts=counts)),
             (cx.calibration_table(responses, study),
              cx.calibration_table(None, study, counts=counts, shares=shares)),
             (cx.importance_performance(responses, study),
              cx.importance_performance(None, study, counts=counts, shares=shares))]
    for expected, made in pairs:
        pd.testing.assert_frame_equal(made, expected, check_exact=False, rtol=1e-12)
    metrics_table = cx.metric_table(None, study, counts=counts)
    pd.testing.assert_frame_equal(cx.metric_gaps(None, study, metrics=metrics_table),
                                  cx.metric_gaps(responses, study))


def test_a_table_made_from_counts_says_their_wave(example_responses):
    """Counts of 2025 make tables of 2025, never of the study's latest wave."""
    study, responses = example_responses
    earlier = responses[(responses["wave"] == "2025").to_numpy()].reset_index(drop=True)
    counts = cx.metric_counts(earlier, study)
    assert counts.wave == "2025"
    table = cx.metric_table(None, study, counts=counts)
    assert set(table["wave"]) == {"2025"}
    pd.testing.assert_frame_equal(table, cx.metric_table(earlier, study))
    shares = cx.share_table(earlier, study)
    assert set(cx.importance_performance(None, study, counts=counts, shares=shares)["wave"]) \
        == {"2025"}
    assert set(cx.metric_gaps(None, study, metrics=table).columns) >= {"wave"}
    with pytest.raises(ValueError, match="one wave; these responses hold 2025, 2026"):
        cx.metric_counts(responses, study)
    with pytest.raises(ValueError, match="wave 2026 to those of wave 2025"):
        counts + cx.metric_counts(responses[(responses["wave"] == "2026").to_numpy()], study)


def test_derived_importance_from_counts_is_scipys_spearman_with_and_without_weights(example):
    """Derived importance ranks the respondents, whatever their weights (as before counts):
    weighted or not, it is scipy's Spearman of the pairs."""
    study, responses = example
    weighted = responses.assign(weight=np.random.default_rng(9).uniform(0.2, 5, len(responses)))
    customers = responses[responses["group"] == "customers"]
    for frame in (responses, weighted):
        table = cx.importance_performance(None, study, counts=_blocks(frame, study),
                                          shares=cx.share_table(frame, study))
        for row in table.itertuples():
            both = customers[[row.item, "excellent"]].dropna().astype(float)
            assert row.n == len(both)
            assert row.importance == pytest.approx(
                sps.spearmanr(both[row.item], both["excellent"]).statistic, rel=1e-13)


def test_tables_from_counts_say_what_is_missing(example):
    study, responses = example
    with pytest.raises(ValueError, match=r"give the responses or their counts"):
        cx.metric_table(None, study)
    counts = cx.metric_counts(responses, study)
    with pytest.raises(ValueError, match=r"give the share table too"):
        cx.calibration_table(None, study, counts=counts)
    shares = cx.share_table(responses, study)
    with pytest.raises(ValueError, match=r"against excellent; count them with "
                                         r"cx.metric_counts\(responses, study, against='nps'\)"):
        cx.importance_performance(None, study, counts=counts, shares=shares, against="nps")
    by_nps = cx.importance_performance(None, study, shares=shares, against="nps",
                                       counts=cx.metric_counts(responses, study, against="nps"))
    pd.testing.assert_frame_equal(by_nps, cx.importance_performance(responses, study,
                                                                    against="nps"))
    assert set(by_nps["method"]) == {"derived (Spearman with nps)"}
    with pytest.raises(ValueError, match="cannot add"):
        counts + cx.metric_counts(responses.drop(columns="nps"), study)


def test_counts_that_do_not_say_their_wave_make_no_table_of_a_default_wave(example_responses):
    study, responses = example_responses
    without = responses[(responses["wave"] == "2025").to_numpy()].drop(columns="wave")
    counts = cx.metric_counts(without, study)
    assert counts.wave is None
    with pytest.raises(ValueError, match=r"metric_table: what was given does not say which "
                                         r"wave it is of .*\(2025, 2026\)"):
        cx.metric_table(None, study, counts=counts)
    both = cx.metric_table(responses, study)  # a table of two waves is no one wave's
    with pytest.raises(ValueError, match="metric_gaps: what was given does not say"):
        cx.metric_gaps(None, study, metrics=both)


def test_answers_that_are_not_whole_numbers_are_counted_value_by_value(tmp_path):
    """Estimates with decimals (and values far apart) are counted per distinct value, so a
    mean from the counts is the respondents' mean."""
    study, responses, _frame = one_metric_study(tmp_path, {"kind": "ces", "scale": "five"})
    estimates = np.array([12.5, 80.0, 33.3, 12.5, np.nan, 99.9] * 13 + [50.0, 0.1])
    answers = responses.assign(m=pd.array(estimates, dtype="Float64"))
    counts = cx.metric_counts(answers, study)
    assert list(counts.metrics.values) == [0.1, 12.5, 33.3, 50.0, 80.0, 99.9]
    table = cx.metric_table(None, study, counts=counts).set_index(["metric", "group"])
    staff = estimates[:40][~np.isnan(estimates[:40])]
    assert table.loc[("m", "staff"), "value"] == pytest.approx(staff.mean(), rel=1e-14)
    assert table.loc[("m", "staff"), "n"] == len(staff)

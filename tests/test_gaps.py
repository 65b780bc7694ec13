"""The gap tables of cxstudy.gaps: scipy/statsmodels/pingouin on the raw answers, edge
cases, weights, and the real surveys (the statistics themselves: test_stats.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import cxstudy as cx

from .conftest import SHARED_DATA, make_responses, make_study, needs_shared
from .independent import gap_row

COMPARED = ["n", "n_ref", "top_box", "top_box_ref", "gap", "gap_low", "gap_high", "p_value",
            "cohens_h", "mean", "mean_ref", "mean_diff", "mean_diff_low", "mean_diff_high",
            "mw_p_value", "cliffs_delta", "cliffs_delta_low", "cliffs_delta_high",
            "top_box_low", "top_box_high"]


def assert_row_matches(row: pd.Series, expected: dict, columns=COMPARED) -> None:
    for column in columns:
        got, want = row[column], expected[column]
        if isinstance(want, float) and np.isnan(want):
            assert pd.isna(got), column
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), column


# ---------------------------------------------------------------------------
# against scipy / statsmodels on the raw answers

answer_lists = st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=0, max_size=40)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=answer_lists, b=answer_lists, k=st.integers(2, 5), top=st.integers(1, 4))
def test_gap_table_matches_the_usual_way(a, b, k, top):
    top = min(top, k - 1)
    a = [None if v is None else min(v, k) for v in a]
    b = [None if v is None else min(v, k) for v in b]
    study = make_study(k=k, top_box=top)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning floods, whatever the input
        table = cx.gap_table(make_responses({"a": a, "ref": b}), study)
    row = table.iloc[0]
    x = np.array([v for v in a if v is not None], dtype=float)
    y = np.array([v for v in b if v is not None], dtype=float)
    assert row["n"] == len(x) and row["n_ref"] == len(y)
    if len(x) == 0 or len(y) == 0:
        assert pd.isna(row["gap"]) and pd.isna(row["p_value"]) and pd.isna(row["mw_p_value"])
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = gap_row(x, y, top_from=k - top + 1)
    easy = ["n", "n_ref", "top_box", "top_box_ref", "gap", "gap_low", "gap_high", "p_value",
            "cohens_h", "mean", "mean_ref", "mw_p_value", "cliffs_delta", "top_box_low",
            "top_box_high"]
    assert_row_matches(row, expected, easy)
    assert row["test"] == expected["test"]
    if np.isfinite(expected["mean_diff_low"]) and (x.var() > 0 or y.var() > 0):
        assert_row_matches(row, expected, ["mean_diff", "mean_diff_low", "mean_diff_high"])
    else:
        assert pd.isna(row["mean_diff_low"])
    if len(x) > 1 and len(y) > 1 and np.isfinite(expected["cliffs_delta_low"]):
        assert_row_matches(row, expected, ["cliffs_delta_low", "cliffs_delta_high"])
    else:
        assert pd.isna(row["cliffs_delta_low"]) and row["note"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("a, b, reason", [
    ([], [1, 2, 3, 4, 5], "no respondents"),
    ([3], [1, 2, 3, 4, 5], "one respondent"),
    ([4, 4, 4, 4], [4, 4, 4], "all answers equal"),
    ([None, None], [None], "all missing"),
    ([1, 5, 5, 1], [5, 1, 1], "empty middle levels"),
])
def test_edge_cases_do_not_crash_or_warn(a, b, reason):
    table = cx.gap_table(make_responses({"a": a, "ref": b}), make_study())
    row = table.iloc[0]
    assert row["n"] == sum(v is not None for v in a)
    if reason == "all answers equal":
        assert row["gap"] == 0 and row["p_value"] == 1.0 and row["mw_p_value"] == 1.0
        assert pd.isna(row["mean_diff_low"]) and "no variance" in row["note"]
        assert row["cliffs_delta"] == 0
    if reason in ("no respondents", "all missing"):
        assert pd.isna(row["top_box"]) and pd.isna(row["p_value"])
    if reason == "one respondent":
        assert row["top_box"] == 0 and pd.isna(row["cliffs_delta_low"])
    if reason == "empty middle levels":
        assert row["top_box"] == 0.5 and np.isfinite(row["mw_p_value"])
    cx.dimension_gaps(make_responses({"a": a, "ref": b}), make_study())
    cx.kruskal_table(make_responses({"a": a, "ref": b}), make_study())


def test_suppression_below_min_group_size():
    study = make_study(min_group_size=5)
    table = cx.gap_table(make_responses({"a": [5, 5, 4, 1], "ref": [1, 2, 3, 4, 5, 5]}), study)
    row = table.iloc[0]
    assert row["suppressed"] and row["n"] == 4 and row["n_ref"] == 6
    for column in ["top_box", "gap", "gap_low", "p_value", "p_adjusted", "mean",
                   "cliffs_delta", "mw_p_value", "top_box_ref"]:
        assert pd.isna(row[column]), column
    assert row["note"] == "suppressed: fewer than 5 respondents (n = 4)"


def test_correction_over_the_table_and_bh_option():
    codes = {"q1": [5, 5, 5, 4, 4, 4, 5, 5, 5, 5, 4, 4], "q2": [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3, 3],
             "q3": [4, 4, 5, 3, 3, 2, 4, 5, 5, 4, 4, 4]}
    ref = {"q1": [1, 2, 2, 3, 1, 2, 2, 3, 1, 2, 3, 3], "q2": [2, 3, 4, 1, 5, 2, 3, 4, 3, 5, 3, 2],
           "q3": [2, 3, 3, 2, 4, 2, 3, 3, 2, 4, 3, 3]}
    responses = make_responses({"a": codes, "ref": ref})
    holm = cx.gap_table(responses, make_study(items=("q1", "q2", "q3")))
    from statsmodels.stats.multitest import multipletests

    assert holm["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(holm["p_value"], method="holm")[1])
    bh = cx.gap_table(responses, make_study(items=("q1", "q2", "q3"), correction="fdr_bh"))
    assert bh["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(bh["p_value"], method="fdr_bh")[1])
    none = cx.gap_table(responses, make_study(items=("q1", "q2", "q3"), correction="none"))
    assert (none["p_adjusted"] == none["p_value"]).all()


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.lists(st.integers(1, 5), min_size=0, max_size=25), min_size=3,
                       max_size=3))
def test_kruskal_matches_scipy(groups):
    study = make_study(groups=("a", "b", "ref"))
    table = cx.kruskal_table(make_responses(dict(zip(["a", "b", "ref"], groups,
                                                     strict=True))), study)
    present = [g for g in groups if g]
    pooled = [v for g in present for v in g]
    if len(present) < 2 or len(set(pooled)) < 2:
        assert pd.isna(table.loc[0, "p_value"])
        return
    expected = sps.kruskal(*present)
    assert table.loc[0, "h"] == pytest.approx(expected.statistic, rel=1e-9, abs=1e-10)
    if abs(expected.statistic) < 1e-10:  # identical groups: scipy's H rounds below 0 -> nan
        assert table.loc[0, "p_value"] == pytest.approx(1.0)
        return
    assert table.loc[0, "p_value"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)


def dimension_study_and_data(seed: int = 3):
    rng = np.random.default_rng(seed)
    items = ("d1", "d2", "d3", "d4")
    study = make_study(items=items)
    data = {}
    for group, shift, n in (("a", 1, 40), ("ref", 0, 60)):
        latent = rng.normal(size=n)
        data[group] = {}
        for item in items:
            codes = np.clip(np.round(3 + shift * 0.5 + latent + rng.normal(0, 0.8, n)), 1, 5)
            codes = [None if rng.random() < 0.3 else int(c) for c in codes]
            data[group][item] = codes
    return study, make_responses(data), items


def test_dimension_gaps_match_scipy_and_pingouin():
    study, responses, items = dimension_study_and_data()
    table = cx.dimension_gaps(responses, study)
    row = table.iloc[0]
    block = responses[list(items)].astype(float)
    answered = block.notna().sum(axis=1)
    score = block.mean(axis=1).where(answered >= 2)
    x = score[responses["group"] == "a"].dropna()
    y = score[responses["group"] == "ref"].dropna()
    welch = sps.ttest_ind(x, y, equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert row["n"] == len(x) and row["n_ref"] == len(y)
    assert row["mean"] == pytest.approx(x.mean()) and row["mean_ref"] == pytest.approx(y.mean())
    assert row["p_value"] == pytest.approx(welch.pvalue)
    assert (row["mean_diff_low"], row["mean_diff_high"]) == pytest.approx(
        (interval.low, interval.high))
    # alpha: every respondent with at least one answer (some have exactly one here)
    one_answer = (answered == 1) & (responses["group"] == "a")
    assert one_answer.sum() > 0
    group_block = block[(responses["group"] == "a") & (answered > 0)]
    alpha, (low, high) = pingouin.cronbach_alpha(group_block)
    assert row["alpha"] == pytest.approx(alpha)
    assert (round(row["alpha_low"], 3), round(row["alpha_high"], 3)) == (low, high)
    ref_block = block[(responses["group"] == "ref") & (answered > 0)]
    assert row["alpha_ref"] == pytest.approx(pingouin.cronbach_alpha(ref_block)[0])


def test_dimension_score_needs_half_the_items():
    study = make_study(items=("d1", "d2", "d3", "d4"))
    responses = make_responses({
        "a": {"d1": [5, 5], "d2": [5, None], "d3": [None, None], "d4": [None, None]},
        "ref": {"d1": [1, 1], "d2": [1, 1], "d3": [1, 1], "d4": [1, None]}})
    scores, units = cx.dimension_scores(responses, study)
    assert scores["D"].tolist()[:2] == [5.0, None] or pd.isna(scores["D"].tolist()[1])
    assert scores["D"].tolist()[0] == 5.0 and units["D"].startswith("scale points")


# ---------------------------------------------------------------------------
# weights


def test_weights_of_one_change_nothing_and_constant_weights_neither():
    study, responses, _ = dimension_study_and_data()
    base = cx.gap_table(responses, study)
    doubled = cx.gap_table(responses.assign(weight=2.0), study)
    numeric = base.select_dtypes("number").columns
    pd.testing.assert_frame_equal(base[numeric], doubled[numeric])
    pd.testing.assert_frame_equal(cx.dimension_gaps(responses, study).select_dtypes("number"),
                                  cx.dimension_gaps(responses.assign(weight=2.0), study)
                                  .select_dtypes("number"))


def test_weighted_estimates_use_kish_effective_n():
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(7)
    a = list(rng.integers(1, 6, 50))
    ref = list(rng.integers(1, 6, 80))
    weights = np.concatenate([rng.uniform(0.5, 2.0, 50), rng.uniform(0.3, 3.0, 80)])
    responses = make_responses({"a": a, "ref": ref}, weights=weights)
    row = cx.gap_table(responses, make_study()).iloc[0]
    w = weights[:50]
    top = np.array(a) >= 4
    share = (w * top).sum() / w.sum()
    n_eff = w.sum() ** 2 / (w * w).sum()
    assert row["top_box"] == pytest.approx(share)
    assert row["n"] == 50 and row["n_eff"] == pytest.approx(n_eff)
    low, high = proportion_confint(share * n_eff, n_eff, method="wilson")
    assert (row["top_box_low"], row["top_box_high"]) == pytest.approx((low, high))
    assert row["mean"] == pytest.approx(np.average(a, weights=w))


# ---------------------------------------------------------------------------
# the example study and the real surveys


def test_example_gap_table_contract_and_story(example_2026):
    study, responses = example_2026
    table = cx.gap_table(responses, study)
    assert list(table.columns[:26]) == [
        "wave", "item", "text", "dimension", "group", "reference", "n", "n_ref", "top_box",
        "top_box_ref", "gap", "gap_low", "gap_high", "p_value", "p_adjusted", "cohens_h",
        "mean", "mean_ref", "mean_diff", "mean_diff_low", "mean_diff_high", "cliffs_delta",
        "cliffs_delta_low", "cliffs_delta_high", "mw_p_value", "suppressed"]
    assert len(table) == 16 * 2 and set(table["group"]) == {"leadership", "staff"}
    assert set(table["wave"]) == {"2026"}  # a study with waves: every table names its wave
    headline = table[(table["item"] == "excellent") & (table["group"] == "leadership")].iloc[0]
    assert headline["gap"] > 0.4 and headline["gap_low"] > 0.2 and headline["p_adjusted"] < 0.001
    value = table[(table["item"] == "value") & (table["group"] == "staff")].iloc[0]
    assert value["gap"] < 0  # customers above
    # every row agrees with the usual computation on the raw answers
    for _, row in table.iterrows():
        x = responses.loc[responses["group"] == row["group"], row["item"]].dropna()
        y = responses.loc[responses["group"] == "customers", row["item"]].dropna()
        expected = gap_row(x.to_numpy(float), y.to_numpy(float), top_from=4)
        assert_row_matches(row, expected)


def test_example_kruskal_pgi_and_blind_spots(example_2026):
    study, responses = example_2026
    kruskal = cx.kruskal_table(responses, study)
    row = kruskal[kruskal["item"] == "excellent"].iloc[0]
    samples = [responses.loc[responses["group"] == g, "excellent"].dropna() for g in study.groups]
    assert row["h"] == pytest.approx(sps.kruskal(*samples).statistic)
    gaps = cx.gap_table(responses, study)
    spots = cx.blind_spots(gaps, study, top=3)
    assert list(spots["group"]) == ["leadership"] * 3 + ["staff"] * 3
    leaders = gaps[gaps["group"] == "leadership"].sort_values("gap", ascending=False)
    assert list(spots["item"][:3]) == list(leaders["item"][:3])
    assert (spots["gap"] > 0).all()


def test_pgi_agrees_with_a_respondent_bootstrap(example_2026):
    study, responses = example_2026
    pgi = cx.perception_gap_index(responses, study, n_boot=2000)
    items = [i.id for i in study.items]
    top = (responses[items].astype(float) >= 4).where(responses[items].notna())
    groups = responses["group"].to_numpy()
    direct = (top[groups == "leadership"].mean() - top[groups == "customers"].mean()).abs().mean()
    leaders = pgi[pgi["group"] == "leadership"].iloc[0]
    assert leaders["index"] == pytest.approx(direct)
    rng = np.random.default_rng(1)
    lead = top[groups == "leadership"].to_numpy()
    cust = top[groups == "customers"].to_numpy()
    boot = []
    for _ in range(1000):
        a = lead[rng.integers(0, len(lead), len(lead))]
        b = cust[rng.integers(0, len(cust), len(cust))]
        boot.append(np.nanmean(np.abs(np.nanmean(a, 0) - np.nanmean(b, 0))))
    low, high = np.quantile(boot, [0.025, 0.975])
    assert leaders["index_low"] == pytest.approx(low, abs=0.015)
    assert leaders["index_high"] == pytest.approx(high, abs=0.015)
    assert cx.perception_gap_index(responses, study, n_boot=2000).equals(pgi)  # seeded


def _correlated_sample(seed: int, weights: bool):
    """Three audiences answering four items that move together (a latent score per
    respondent), some answers missing: what makes a bootstrap that drops the correlation
    between items wrong."""
    rng = np.random.default_rng(seed)
    sizes = {"a": 60, "b": 90, "ref": 150}
    shift = {"a": 0.8, "b": 0.3, "ref": 0.0}
    groups = np.repeat(list(sizes), list(sizes.values()))
    latent = rng.normal(size=len(groups)) + np.array([shift[g] for g in groups])
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(len(groups))],
                          "group": pd.Categorical(groups, categories=list(sizes)),
                          "weight": rng.uniform(0.3, 3.0, len(groups)) if weights else 1.0})
    items = ("q1", "q2", "q3", "q4")
    for item in items:
        codes = np.clip(np.round(3 + 1.2 * latent + rng.normal(0, 0.7, len(groups))), 1, 5)
        frame[item] = pd.array(np.where(rng.random(len(groups)) < 0.1, None,
                                        codes.astype(int)), dtype="Int8")
    return frame, make_study(groups=tuple(sizes), items=items)


def _respondent_bootstrap(top: np.ndarray, weights: np.ndarray | None, draws: int,
                          rng: np.random.Generator) -> np.ndarray:
    """(draws, items): top-box shares of respondents drawn with replacement (rows of
    ``top``: 1 top box, 0 not, NaN missing). Weighted: Kish's effective n of them drawn
    with probability proportional to their weight, the estimator the counts bootstrap
    documents."""
    if weights is None:
        rows = rng.integers(0, len(top), size=(draws, len(top)))
    else:
        size = int(np.rint(weights.sum() ** 2 / (weights ** 2).sum()))
        rows = rng.choice(len(top), size=(draws, size), p=weights / weights.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(top[rows], axis=1)


@pytest.mark.parametrize("path", ["multinomial", "one by one"])
@pytest.mark.parametrize("weighted", [False, True])
def test_pgi_counts_bootstrap_is_the_respondent_bootstrap(weighted, path, monkeypatch):
    """Issue 29: the gap index's bootstrap resamples answer patterns from counts
    (multinomial, drawn either way); its distribution is that of resampling the
    respondents' rows."""
    from cxstudy import gaps as gaps_module

    monkeypatch.setattr(gaps_module, "DRAWS_PER_PATTERN", 0 if path == "multinomial" else 10**9)
    monkeypatch.setattr(gaps_module, "BOOTSTRAP_CELLS", 5000)  # several chunks
    responses, study = _correlated_sample(11, weighted)
    items = list(study.items[i].id for i in range(4))
    answers = responses[items].to_numpy(dtype=float, na_value=np.nan)
    top = np.where(np.isnan(answers), np.nan, (answers >= 4).astype(float))
    groups = responses["group"].to_numpy()
    w = responses["weight"].to_numpy(dtype=float)
    pgi = cx.perception_gap_index(responses, study, n_boot=4000, seed=5)
    with monkeypatch.context() as m:  # the chunks of replicates do not change the draws
        m.setattr(gaps_module, "BOOTSTRAP_CELLS", 1 << 22)
        pd.testing.assert_frame_equal(cx.perception_gap_index(responses, study, n_boot=4000,
                                                              seed=5), pgi)
    counts = cx.level_counts(responses, study)
    # the point estimate: exactly the (weighted) shares of the rows
    for group in ("a", "b"):
        mine, ref = groups == group, groups == "ref"
        share = [np.nansum(w[mine] * top[mine, j]) / w[mine][~np.isnan(top[mine, j])].sum()
                 for j in range(4)]
        share_ref = [np.nansum(w[ref] * top[ref, j]) / w[ref][~np.isnan(top[ref, j])].sum()
                     for j in range(4)]
        row = pgi.set_index("group").loc[group]
        assert row["index"] == pytest.approx(np.mean(np.abs(np.subtract(share, share_ref))),
                                             rel=1e-12)
    # the documented stream: reference first, then the others in order
    rng = np.random.default_rng(5)
    replayed = {g: gaps_module._bootstrap_shares(counts.top, g, 4000, rng) for g in (2, 0, 1)}
    rng = np.random.default_rng(99)
    for g, group in enumerate(("a", "b")):
        boot = np.mean(np.abs(replayed[g] - replayed[2]), axis=1)
        row = pgi.set_index("group").loc[group]
        assert (row["index_low"], row["index_high"]) == pytest.approx(
            tuple(np.quantile(boot, [.025, .975])), rel=1e-12)
        # against resampling the respondents' rows (independent of the counts)
        rows = [_respondent_bootstrap(top[groups == name], w[groups == name]
                                      if weighted else None, 4000, rng)
                for name in (group, "ref")]
        direct = np.mean(np.abs(rows[0] - rows[1]), axis=1)
        spread = direct.std()
        assert boot.std() == pytest.approx(spread, rel=0.1)  # Monte-Carlo error ~2%
        for q in (0.025, 0.5, 0.975):
            assert abs(np.quantile(boot, q) - np.quantile(direct, q)) < 0.25 * spread
        if not weighted:  # the check has power: resampling items apart is told apart
            apart = np.column_stack([_respondent_bootstrap(
                top[groups == name][:, [j]], None, 4000, rng)[:, 0] for name in (group,)
                for j in range(4)])
            apart_ref = np.column_stack([_respondent_bootstrap(
                top[groups == "ref"][:, [j]], None, 4000, rng)[:, 0] for j in range(4)])
            assert np.mean(np.abs(apart - apart_ref), axis=1).std() < 0.8 * spread


REAL = {
    "bank": ("ecsi_bank_satisfaction.csv", "gender", ["female", "male"], list(range(0, 11)),
             [f"sat{k}" for k in range(1, 5)] + [f"qual{k}" for k in range(1, 6)]),
    "employee": ("employee_org_identification_bergami_bagozzi2000.csv", "gender", ["1", "2"],
                 [1, 2, 3, 4, 5], [f"cei{k}" for k in range(1, 9)]),
    "customer": ("corp_rep_mobile_provider.csv", "servicetype", ["1", "2"],
                 [1, 2, 3, 4, 5, 6, 7], [f"qual_{k}" for k in range(1, 9)]),
}


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_surveys_agree_with_independent_computation(name):
    path, column, groups, values, items = REAL[name]
    spec = {"study": name, "slug": name, "groups": groups,
            "sources": [{"path": path, "group_column": column}],
            "scales": {"s": {"values": values, "top_box": 2, "missing": [-99]}},
            "items": [{"id": i, "text": i, "scale": "s", "column": i,
                       "dimension": i.rstrip("0123456789_")} for i in items]}
    study = cx.load_study(spec, base_dir=SHARED_DATA)
    raw = cx.read_sources(study)
    responses = cx.clean(raw, study).responses
    table = cx.gap_table(responses, study)
    assert len(table) == len(items) and not table["suppressed"].any()
    data = pd.read_csv(SHARED_DATA / path)
    data[column] = data[column].astype(str)
    for _, row in table.iterrows():
        x = data.loc[data[column] == row["group"], row["item"]]
        y = data.loc[data[column] == study.reference, row["item"]]
        x, y = x[x != -99].to_numpy(float), y[y != -99].to_numpy(float)
        assert_row_matches(row, gap_row(x, y, top_from=values[-2]))
    dimensions = cx.dimension_gaps(responses, study)
    for _, row in dimensions.iterrows():
        members = [i for i in items if i.rstrip("0123456789_") == row["dimension"]]
        block = data[members].where(data[members] != -99)
        score = block.mean(axis=1).where(block.notna().sum(axis=1) * 2 >= len(members))
        x = score[data[column] == row["group"]].dropna()
        y = score[data[column] == study.reference].dropna()
        assert row["mean_diff"] == pytest.approx(x.mean() - y.mean())
        assert row["p_value"] == pytest.approx(sps.ttest_ind(x, y, equal_var=False).pvalue)
        in_group = block[(data[column] == row["group"]) & block.notna().any(axis=1)]
        assert row["alpha"] == pytest.approx(pingouin.cronbach_alpha(in_group)[0])


# ---------------------------------------------------------------------------
# agreement: equivalence over the audiences that answered each item


def three_audiences(min_group_size: int = 5) -> cx.Study:
    """Executives and cabin crew against frequent fliers (display names), two items."""
    return cx.load_study({
        "study": "t", "slug": "t", "min_group_size": min_group_size,
        "groups": [{"id": "execs", "label": "Executives"}, {"id": "crew", "label": "Cabin crew"},
                   {"id": "fliers", "label": "Frequent fliers"}],
        "reference": "fliers", "sources": [{"path": "x.csv", "group_column": "g"}],
        "scales": {"s": {"labels": ["L1", "L2", "L3", "L4", "L5"], "top_box": 2}},
        "items": [{"id": i, "text": f"Item {i}", "scale": "s", "column": i}
                  for i in ("q1", "q2")]})


def top_share(n: int, share: float) -> list:
    """n answers of which ``share`` in the top box (codes 4-5), the rest at code 2."""
    top = round(n * share)
    return [5] * top + [2] * (n - top)


def test_agreement_leaves_out_an_audience_with_no_answers():
    """Crew gave no answers to q2 (not asked, or all blank): q2 is decided on the
    executives alone and still agrees; before, the crew's empty row blocked every item."""
    study = three_audiences()
    responses = make_responses({
        "execs": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)},
        "crew": {"q1": top_share(400, 0.5), "q2": [None] * 400},
        "fliers": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)}})
    gaps = cx.gap_table(responses, study)
    decided = cx.agreement(gaps, study).set_index("item")
    assert decided.loc["q1", "compared"] == ("execs", "crew") and decided.loc["q1", "agreed"]
    assert decided.loc["q2", "compared"] == ("execs",) and decided.loc["q2", "agreed"]
    assert decided.loc["q2", "no_answers"] == ("crew",) and decided.loc["q2", "too_few"] == ()
    # the crew's row of q2 is suppressed (n = 0) and not equivalent: it is not counted
    crew_q2 = gaps[(gaps["item"] == "q2") & (gaps["group"] == "crew")].iloc[0]
    assert crew_q2["n"] == 0 and crew_q2["suppressed"] and not crew_q2["equivalent"]


def test_agreement_is_blocked_by_too_few_and_by_a_reference_without_answers():
    study = three_audiences()
    responses = make_responses({
        "execs": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)},
        "crew": {"q1": top_share(3, 0.5) + [None] * 397, "q2": top_share(400, 0.5)},
        "fliers": {"q1": top_share(400, 0.5), "q2": [None] * 400}})
    decided = cx.agreement(cx.gap_table(responses, study), study).set_index("item")
    assert decided.loc["q1", "too_few"] == ("crew",) and not decided.loc["q1", "agreed"]
    assert decided.loc["q1", "compared"] == ("execs",)
    assert decided.loc["q2", "reference_n"] == 0 and not decided.loc["q2", "agreed"]
    assert decided.loc["q2", "compared"] == ()


@pytest.mark.parametrize(("execs", "equivalent", "significant"), [
    ((4000, 0.55), True, True),     # +5 points: significant, and within ±10 (90% CI ±1.8)
    ((400, 0.50), True, False),     # no difference, n large enough to show it is small
    ((400, 0.60), False, True),     # +10 points: its 90% interval reaches past +10
    ((40, 0.50), False, False),     # no difference found, but too few to show agreement
])
def test_equivalence_agrees_with_statsmodels(execs, equivalent, significant):
    """The (1 − 2α) Newcombe interval that decides agreement, and the decision, against
    statsmodels: its Newcombe interval at α = 0.10 and its two one-sided tests."""
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
        tost_proportions_2indep,
    )

    n, share = execs
    study = three_audiences()
    responses = make_responses({"execs": {"q1": top_share(n, share), "q2": top_share(n, share)},
                                "crew": {"q1": [None] * n, "q2": [None] * n},
                                "fliers": {"q1": top_share(4000, 0.5),
                                           "q2": top_share(4000, 0.5)}})
    gaps = cx.gap_table(responses, study)
    row = gaps[(gaps["item"] == "q1") & (gaps["group"] == "execs")].iloc[0]
    x1, x2 = round(n * share), 2000
    low, high = confint_proportions_2indep(x1, n, x2, 4000, method="newcomb", alpha=0.10)
    assert (row["equivalence_low"], row["equivalence_high"]) == pytest.approx((low, high),
                                                                             abs=1e-9)
    tost = tost_proportions_2indep(x1, n, x2, 4000, -0.10, 0.10, method="score",
                                   correction=False)
    assert bool(row["equivalent"]) is equivalent is bool(tost.pvalue < 0.05)
    score = test_proportions_2indep(x1, n, x2, 4000, method="score", correction=False)
    assert bool(score.pvalue < 0.05) is significant is bool(row["p_adjusted"] < 0.05)
    decided = cx.agreement(gaps, study).set_index("item")
    assert bool(decided.loc["q1", "agreed"]) is equivalent  # the crew gave none: left out
    assert decided.loc["q1", "significant"] == (("execs",) if equivalent and significant
                                                else ())

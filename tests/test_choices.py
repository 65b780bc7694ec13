"""Choice questions: reading the layouts, and shares, gaps and tests checked against
statsmodels and scipy computed on the respondents."""

from __future__ import annotations

import importlib.util
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

import cxstudy as cx
from cxstudy.choices import (
    choice_counts,
    choice_shares,
    choice_table,
    choice_tests,
    contingency_test,
    find_layout,
)
from cxstudy.exceptions import DataError, StudyFileError

from .conftest import ROOT, write

FIXTURES = Path(__file__).parent / "fixtures" / "choices"
OPTIONS = ["Phone", "E-mail", "Chat", "In person"]


def choice_study(multiple: bool, groups=("a", "b", "ref"), weights=False, **extra):
    """A study of one choice question over ``groups`` (the last the reference)."""
    return cx.load_study({
        "study": "t", "slug": "t", "groups": list(groups), "min_group_size": 1,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "choices": [{"id": "contact", "text": "How?", "multiple": multiple,
                     "options": OPTIONS, "column": "Q", **extra}]}, base_dir=ROOT)


def responses_of(study, group_of: list[str], chosen: list[set[int] | None], weights=None):
    """Cleaned responses with the option indicators of ``chosen`` (None: missing)."""
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(len(group_of))],
                          "group": pd.Categorical(group_of, categories=list(study.groups)),
                          "weight": 1.0 if weights is None else weights})
    choice = study.choices[0]
    for position, column in enumerate(choice.indicator_columns):
        frame[column] = pd.array([None if c is None else int(position in c) for c in chosen],
                                 dtype="Int8")
    return frame


def independent_rows(group_of, chosen, weights, study, confidence=0.95):
    """Each (option, audience) row computed on the respondents with statsmodels/scipy."""
    group_of = np.asarray(group_of)
    weights = np.ones(len(group_of)) if weights is None else np.asarray(weights, float)
    answered = np.array([c is not None for c in chosen])
    alpha = 1 - confidence
    rows = {}
    for position, option in enumerate(OPTIONS):
        y = np.array([c is not None and position in c for c in chosen], dtype=float)

        def summary(group, y=y):
            at = answered & (group_of == group)
            w = weights[at]
            share = float((w * y[at]).sum() / w.sum()) if at.any() else np.nan
            n_eff = float(w.sum() ** 2 / (w ** 2).sum()) if at.any() else 0.0
            return share, n_eff, int(at.sum())

        ref_share, ref_eff, ref_n = summary(study.reference)
        for group in study.others:
            share, n_eff, n = summary(group)
            if not n or not ref_n:
                continue
            row = {"n": n, "n_ref": ref_n, "share": share, "share_ref": ref_share,
                   "gap": share - ref_share}
            row["share_low"], row["share_high"] = proportion_confint(
                share * n_eff, n_eff, alpha, method="wilson")
            row["share_ref_low"], row["share_ref_high"] = proportion_confint(
                ref_share * ref_eff, ref_eff, alpha, method="wilson")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row["gap_low"], row["gap_high"] = confint_proportions_2indep(
                    share * n_eff, n_eff, ref_share * ref_eff, ref_eff, method="newcomb",
                    compare="diff", alpha=alpha)
            table = np.array([[share * n_eff, (1 - share) * n_eff],
                              [ref_share * ref_eff, (1 - ref_share) * ref_eff]])
            expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
            if (expected < 5 - 1e-9).any():
                row["p_value"] = sps.fisher_exact(np.rint(table).astype(int)).pvalue
            else:
                row["p_value"] = sps.chi2_contingency(table, correction=False).pvalue
            rows[(option, group)] = row
    return rows


answers = st.integers(min_value=-1, max_value=len(OPTIONS) - 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), multiple=st.booleans(), weighted=st.booleans())
def test_shares_and_gaps_match_statsmodels_and_scipy(data, multiple, weighted):
    study = choice_study(multiple)
    n = data.draw(st.integers(min_value=15, max_value=80))
    group_of = data.draw(st.lists(st.sampled_from(study.groups), min_size=n, max_size=n))
    group_of[:3] = list(study.groups)  # every audience present
    if multiple:
        picked = data.draw(st.lists(st.sets(st.integers(0, len(OPTIONS) - 1)), min_size=n,
                                    max_size=n))
        chosen = [c or None for c in picked]  # nothing ticked: did not answer
    else:
        picked = data.draw(st.lists(answers, min_size=n, max_size=n))
        chosen = [None if c < 0 else {c} for c in picked]
    weights = np.array(data.draw(st.lists(st.floats(0.3, 3.0), min_size=n, max_size=n))) \
        if weighted else None
    responses = responses_of(study, group_of, chosen, weights)
    table = choice_table(responses, study).set_index(["option", "group"])
    expected = independent_rows(group_of, chosen, weights, study)
    for key, row in expected.items():
        got = table.loc[key]
        for column, value in row.items():
            if column in ("n", "n_ref"):
                assert got[column] == value, (key, column)
            elif np.isnan(value):
                assert pd.isna(got[column]), (key, column)
            else:
                assert got[column] == pytest.approx(value, abs=1e-9), (key, column)
    assert table["p_adjusted"].dropna().ge(table["p_value"].dropna() - 1e-12).all()


def test_a_check_all_share_is_among_those_who_answered():
    study = choice_study(True)
    chosen = [{0}, {0, 1}, None, {3}, {1}, None, None, {0, 2}, {0}, {2}, {2}, None]
    group_of = ["a"] * 4 + ["b"] * 4 + ["ref"] * 4
    table = choice_table(responses_of(study, group_of, chosen), study)
    phone_a = table.query("option == 'Phone' and group == 'a'").iloc[0]
    assert (phone_a["n"], phone_a["share"]) == (3, pytest.approx(2 / 3))
    assert phone_a["n_ref"] == 3 and phone_a["share_ref"] == pytest.approx(1 / 3)


def test_small_audiences_are_suppressed():
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "ref"], "min_group_size": 5,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "choices": [{"id": "contact", "text": "How?", "options": OPTIONS, "column": "Q"}]},
        base_dir=ROOT)
    chosen = [{0}, {1}, {0}] + [{i % 4} for i in range(12)]
    table = choice_table(responses_of(study, ["a"] * 3 + ["ref"] * 12, chosen), study)
    assert table["suppressed"].all() and table["share"].isna().all()
    assert (table["n"] == 3).all()
    tests = choice_tests(responses_of(study, ["a"] * 3 + ["ref"] * 12, chosen), study)
    assert tests["suppressed"].all() and tests["p_value"].isna().all()


def test_distribution_test_matches_scipy():
    rng = np.random.default_rng(3)
    study = choice_study(False)
    group_of = list(rng.choice(["a", "b", "ref"], size=400))
    picked = rng.integers(0, 4, size=400)
    chosen = [{int(c)} for c in picked]
    tests = choice_tests(responses_of(study, group_of, chosen), study).set_index("groups")
    crosstab = pd.crosstab(pd.Series(group_of), pd.Series(picked)).to_numpy()
    statistic, p_value, df, _ = sps.chi2_contingency(crosstab, correction=False)
    row = tests.loc["a vs b vs ref"]
    assert row["statistic"] == pytest.approx(statistic) and row["df"] == df
    assert row["p_value"] == pytest.approx(p_value) and row["method"] == "chi-square"
    assert set(tests.index) == {"a vs b vs ref", "a vs ref", "b vs ref"}


def test_small_tables_get_an_exact_test():
    _statistic, _df, p_value, method = contingency_test(np.array([[3, 1], [1, 3]]))
    assert method == "Fisher exact"
    assert p_value == pytest.approx(sps.fisher_exact([[3, 1], [1, 3]]).pvalue)
    table = np.array([[4, 1, 0], [0, 2, 5]])
    _, _, p_value, method = contingency_test(table, np.random.default_rng(1), draws=40_000)
    assert method.startswith("Freeman-Halton")
    # exact Freeman-Halton p of this table by enumerating every table with its margins
    exact = _freeman_halton(table)
    assert p_value == pytest.approx(exact, abs=0.01)


def _freeman_halton(table):
    """The exact p: the probability of tables with margins as observed whose X² is at
    least the observed one (Freeman & Halton 1951), by enumeration of 2 x 3 tables."""
    from math import comb

    rows, cols = table.sum(1), table.sum(0)

    def pearson(t):
        e = np.outer(t.sum(1), t.sum(0)) / t.sum()
        return ((t - e) ** 2 / e).sum()

    observed, total, p = pearson(table), 0.0, 0.0
    for a in range(min(rows[0], cols[0]) + 1):
        for b in range(min(rows[0] - a, cols[1]) + 1):
            c = rows[0] - a - b
            if c > cols[2]:
                continue
            t = np.array([[a, b, c], [cols[0] - a, cols[1] - b, cols[2] - c]])
            prob = comb(cols[0], a) * comb(cols[1], b) * comb(cols[2], c) / comb(
                cols.sum(), rows[0])
            total += prob
            if pearson(t) >= observed - 1e-9:
                p += prob
    assert total == pytest.approx(1.0)
    return p


def test_counts_are_one_pass_of_the_counts_core():
    study = choice_study(False)
    responses = responses_of(study, ["a", "b", "ref"] * 4, [{i % 4} for i in range(12)])
    counts = choice_counts(responses, study)
    assert counts.items == tuple(study.choices[0].indicator_columns)
    assert len(counts.blocks) == 1  # the question's options: one pattern table
    shares = choice_shares(responses, study, counts=counts)
    assert shares.groupby("group")["share"].sum().round(9).eq(1.0).all()


# ---------------------------------------------------------------------------
# reading the layouts


def _fixture_truth():
    """The answers the fixtures were made from (same seed, same order)."""
    spec = importlib.util.spec_from_file_location("make_choice_fixtures",
                                                  FIXTURES / "make_choice_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(26)
    return module, {group: module.answers(group, rng) for group in module.PLAN}


def test_three_export_layouts_read_as_made():
    _module, truth = _fixture_truth()
    study = cx.load_study(FIXTURES / "study.yml")
    responses = cx.clean(cx.read_sources(study), study).responses
    best, switch = study.choices
    for group, (n, picked, ticked, _agreed) in truth.items():
        rows = responses[responses["group"] == group]
        assert len(rows) == n
        got = rows[best.indicator_columns].to_numpy(dtype=int)
        assert (got.argmax(axis=1) == picked).all() and (got.sum(axis=1) == 1).all()
        indicators = rows[switch.indicator_columns]
        answered = ticked.any(axis=1)
        assert indicators.isna().all(axis=1).to_numpy().tolist() == (~answered).tolist()
        assert (indicators[answered].to_numpy(dtype=int) == ticked[answered]).all()
    other = responses.loc[responses["group"] == "leaders", switch.other_column]
    assert set(other.dropna()) == {"Loyalty scheme"}


def test_an_option_holding_the_separator_is_matched_whole(tmp_path):
    write(tmp_path / "x.csv", [["g", "Q"], ["a", "Price, fees; Chat"], ["ref", "Chat"],
                               ["b", "Price, fees"]])
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "b", "ref"], "min_group_size": 1,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "choices": [{"id": "why", "text": "Why?", "multiple": True,
                     "options": ["Price, fees", "Chat"], "column": "Q"}]}, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    assert responses[study.choices[0].indicator_columns].to_numpy(dtype=int).tolist() == [
        [1, 1], [0, 1], [1, 0]]


def test_qualtrics_sample_survey_multi_answer_question():
    from .conftest import real_file

    path = real_file("qualtrics/QualtricsTools_Sample_Survey_Insights.csv")
    legacy = real_file("qualtrics/QualtricsTools_Sample_Survey_Legacy.csv")
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["staff", "customers"], "min_group_size": 1,
        "cleaning": {"drop_preview": False},  # its responses are survey previews
        "sources": [{"path": str(path), "group": "customers"},
                    {"path": str(legacy), "group": "staff"}],
        "choices": [{"id": "fruit", "text": "Fruits", "multiple": True,
                     "options": ["Oranges", "Blueberries", "Strawberries"], "column": "Q2"},
                    {"id": "one", "text": "One fruit",
                     "options": [{"label": "Oranges", "aliases": ["1"]},
                                 {"label": "Blueberries", "aliases": ["2"]},
                                 {"label": "Strawberries", "aliases": ["3"]}],
                     "column": "fruits"}]}, base_dir=ROOT)
    raw = cx.read_sources(study)
    responses = cx.clean(raw, study).responses
    assert responses["group"].value_counts().to_dict() == {"customers": 5, "staff": 5}
    responses = responses[responses["group"] == "customers"]
    fruit = responses[study.choices[0].indicator_columns]
    data = pd.read_csv(path, dtype=str, skiprows=[1, 2])
    data = data.set_index("ResponseID").loc[responses["respondent_id"]]
    expected = data[["Q2_1", "Q2_2", "Q2_3"]].eq("1").to_numpy()
    assert (fruit.to_numpy(dtype=int) == expected).all()
    one = responses[study.choices[1].indicator_columns].to_numpy(dtype=int)
    assert (one.argmax(axis=1) + 1 == data["fruits"].astype(int).to_numpy()).all()


def test_spss_dichotomy_set():
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["staff", "customers"], "min_group_size": 1,
        "sources": [{"path": "spss_dichotomy.sav", "group": "customers", "id_column": "id"},
                    {"path": "spss_dichotomy.sav", "group": "staff", "id_column": "id",
                     "name": "copy"}],
        "choices": [{"id": "switch", "text": "Switch?", "multiple": True,
                     "options": ["Lower price", "Better app", "Faster service",
                                 "Greener energy"], "column": "sw_*"}]}, base_dir=FIXTURES)
    responses = cx.clean(cx.read_sources(study), study).responses
    responses = responses[responses["group"] == "customers"]
    import pyreadstat

    frame, _ = pyreadstat.read_sav(str(FIXTURES / "spss_dichotomy.sav"))
    got = responses[study.choices[0].indicator_columns]
    values = frame[[f"sw_{i}" for i in range(1, 5)]].to_numpy()
    answered = np.nansum(values, axis=1) > 0
    assert got.isna().all(axis=1).to_numpy().tolist() == (~answered).tolist()
    assert (got[answered].to_numpy(dtype=int) == values[answered]).all()


def test_two_columns_holding_one_option_are_a_problem():
    study = choice_study(True)
    layout, problems = find_layout(study.choices[0], "Q5_*", ["Q5_1", "Q5_2"], {
        "Q5_1": "How? - Phone", "Q5_2": "Phone"})
    assert layout is None and "columns 'Q5_1', 'Q5_2' all hold option \"Phone\"" in problems[0]


def test_layout_says_which_option_columns_are_missing():
    study = choice_study(True)
    layout, problems = find_layout(study.choices[0], "Q5", ["Q5_1", "Q5_2", "Q5_3"], {
        "Q5_1": "How? - Phone", "Q5_2": "How? - E-mail", "Q5_3": "How? - Chat"})
    assert layout is None
    assert 'no column for option(s) "In person"' in problems[0]


# ---------------------------------------------------------------------------
# bad input


def _problems(tmp_path, rows, error, **choice):
    write(tmp_path / "x.csv", rows)
    spec = {"id": "contact", "text": "How?", "options": OPTIONS, "column": "Q", **choice}
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "ref"], "min_group_size": 1,
        "sources": [{"path": "x.csv", "group_column": "g"}], "choices": [spec]},
        base_dir=tmp_path)
    raw = cx.read_sources(study)
    if error is None:
        return cx.clean(raw, study)
    with pytest.raises(error) as caught:
        cx.clean(raw, study)
    return [str(p) for p in caught.value.problems]


def test_an_unknown_answer_names_value_count_column_and_nearest(tmp_path):
    problems = _problems(tmp_path, [["g", "Q"], ["a", "Phone"], ["a", "Emial"],
                                    ["ref", "Emial"], ["ref", "Chat"]], DataError)
    assert len(problems) == 1
    assert 'answer "Emial"' in problems[0] and "2 row(s)" in problems[0]
    assert 'column "Q" (contact, a): 1' in problems[0]
    assert 'did you mean "E-mail"' in problems[0]


def test_unknown_answers_counted_as_the_unmatched_option(tmp_path):
    result = _problems(tmp_path, [["g", "Q"], ["a", "Phone"], ["a", "Fax"], ["ref", "Chat"]],
                       None, unmatched="In person")
    assert result.responses["contact::In person"].tolist() == [0, 1, 0]


def test_a_multi_select_cell_with_an_unknown_option(tmp_path):
    problems = _problems(tmp_path, [["g", "Q"], ["a", "Phone, Fax"], ["ref", "Chat"]],
                         DataError, multiple=True)
    assert 'answer "Fax"' in problems[0] and "1 row(s)" in problems[0]


def test_two_options_in_a_pick_one_cell_name_the_rows(tmp_path):
    problems = _problems(tmp_path, [["g", "Q"], ["a", "Phone, Chat"], ["a", "Phone"],
                                    ["ref", "Chat; E-mail"]], DataError)
    assert "two or more options in one cell" in problems[0]
    assert "2 row(s): responses 1, 3" in problems[0] and "multiple: true" in problems[0]


def test_option_columns_an_export_lacks_are_listed_with_nearest(tmp_path):
    problems = _problems(tmp_path, [["g", "Q_1", "Q_2"], ["a", "1", ""], ["ref", "", "1"]],
                         StudyFileError, multiple=True, column="Q5")
    assert 'no column "Q5"' in problems[0] and '"Q_1"' in problems[0]


def test_a_pick_one_column_the_export_lacks(tmp_path):
    problems = _problems(tmp_path, [["g", "Qx"], ["a", "Phone"], ["ref", "Chat"]],
                         StudyFileError)
    assert 'no column "Q"' in problems[0] and '"Qx"' in problems[0]


def test_run_end_to_end_writes_the_tables(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES, project / "studies")
    res = cx.analyze(project / "studies" / "study.yml")
    written = res.write_tables(tmp_path / "tables")
    assert {"choices", "choice_tests"} <= set(written)
    table = pd.read_csv(written["choices"])
    assert list(table.columns[:4]) == ["question", "option", "group", "reference"]
    assert len(table) == (4 + 5) * 2


def _wave_study(**choice):
    return cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "ref"], "min_group_size": 2,
        "waves": ["2025", "2026"],
        "sources": [{"path": "x.csv", "group_column": "g", "wave": "2025"},
                    {"path": "y.csv", "group_column": "g", "wave": "2026"}],
        "segments": [{"id": "region", "column": "R"}],
        "choices": [{"id": "contact", "text": "How?", "options": OPTIONS, "column": "Q",
                     **choice}]}, base_dir=ROOT)


def _wave_responses(study, rng, n=120):
    group_of = list(rng.choice(["a", "ref"], size=n))
    chosen = [{int(c)} for c in rng.integers(0, 4, size=n)]
    frame = responses_of(study, group_of, chosen)
    frame["wave"] = pd.array(["2025"] * (n // 2) + ["2026"] * (n - n // 2), dtype="string")
    frame["region"] = pd.array(rng.choice(["North", "South"], size=n), dtype="string")
    return frame, group_of, chosen


def test_waves_give_each_option_gap_within_a_wave_and_its_change():
    rng = np.random.default_rng(5)
    study = _wave_study()
    frame, group_of, chosen = _wave_responses(study, rng)
    table = choice_table(frame, study)
    assert list(table.columns[:3]) == ["wave", "question", "option"]
    late = table[table["wave"] == "2026"].set_index("option")
    expected = independent_rows(group_of[60:], chosen[60:], None, study)
    for option in OPTIONS:
        assert late.loc[option, "gap"] == pytest.approx(expected[(option, "a")]["gap"])
    from cxstudy.choices import choice_trends

    trends = choice_trends(frame, study).set_index("option")
    early = table[table["wave"] == "2025"].set_index("option")
    for option in OPTIONS:
        assert trends.loc[option, "change"] == pytest.approx(
            late.loc[option, "gap"] - early.loc[option, "gap"])
        assert trends.loc[option, "change_low"] < trends.loc[option, "change"] < \
            trends.loc[option, "change_high"]


def test_a_question_not_asked_in_a_wave_says_so():
    rng = np.random.default_rng(6)
    study = _wave_study(waves=["2026"])
    frame, _group_of, _chosen = _wave_responses(study, rng)
    early = frame["wave"] == "2025"
    for column in study.choices[0].indicator_columns:
        frame.loc[early, column] = pd.NA
    table = choice_table(frame, study)
    first = table[table["wave"] == "2025"]
    assert (first["note"] == "not asked in wave 2025").all() and not first["suppressed"].any()


def test_segments_give_per_level_option_gaps_with_suppression():
    from cxstudy.choices import choice_segments

    rng = np.random.default_rng(7)
    study = dataclasses_replace(_wave_study(), waves=(), min_group_size=5)
    frame, _group_of, _chosen = _wave_responses(study, rng)
    frame = frame.drop(columns="wave")
    frame.loc[:2, "region"] = "East"  # three respondents: hidden, and the next smallest too
    table = choice_segments(frame, study)
    assert set(table["level"]) == {"North", "South", "East"}
    east = table[table["level"] == "East"]
    assert east["suppressed"].all() and east["share"].isna().all()
    shown = table[~table["suppressed"].astype(bool)]
    level = shown["level"].iloc[0]
    in_level = frame[frame["region"] == level]
    row = shown[shown["level"] == level].iloc[0]
    option = study.choices[0].column_of(row["option"])
    a = in_level.loc[in_level["group"] == "a", option].astype(float)
    assert row["share"] == pytest.approx(a.mean())


def dataclasses_replace(study, **changes):
    import dataclasses

    return dataclasses.replace(study, **changes)


def test_results_count_the_options_once_per_wave():
    from cxstudy.analysis import Results

    rng = np.random.default_rng(8)
    study = _wave_study()
    frame, _group_of, _chosen = _wave_responses(study, rng)
    res = Results(study, frame)
    assert {"choices", "choice_tests", "choice_segments", "choice_trends"} <= set(
        res.available)
    res.choices, res.choice_tests, res.choice_segments, res.choice_trends  # noqa: B018
    counted = [name for name in res.computed if name.endswith("choice_counts")]
    assert counted == ["2025/choice_counts", "2026/choice_counts"]
    pd.testing.assert_frame_equal(res.choices, choice_table(frame, study))


def test_surveymonkey_other_column_holds_what_was_written(tmp_path):
    head = ["Respondent ID", "Collector ID", "Which?", "", ""]
    sub = ["", "", "Phone", "Chat", "Other (please specify)"]
    write(tmp_path / "monkey.csv", [head, sub, ["1", "9", "Phone", "", "by fax"],
                                    ["2", "9", "", "Chat", ""], ["3", "9", "", "", ""]])
    write(tmp_path / "ref.csv", [["g", "Q"], ["ref", "Chat"]])
    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "ref"], "min_group_size": 1,
        "sources": [{"path": "monkey.csv", "group": "a"}, {"path": "ref.csv", "group": "ref"}],
        "choices": [{"id": "how", "text": "Which?", "multiple": True, "unmatched": "Other",
                     "options": ["Phone", "Chat", {"label": "Other", "aliases": [
                         "Other (please specify)"]}],
                     "columns": {"a": "Which?", "ref": "Q"},
                     "other": {"a": "Which? - Other (please specify)"}}]}, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    choice = study.choices[0]
    rows = responses[responses["group"] == "a"]
    assert rows[choice.indicator_columns].astype(float).fillna(-1).to_numpy().tolist() == [
        [1, 0, 1], [0, 1, 0], [-1, -1, -1]]
    assert rows[choice.other_column].tolist()[0] == "by fax"


def test_a_study_of_choice_questions_alone_runs_and_says_so(tmp_path):
    """No items: the Gaps page holds the choice questions and no item section, and the
    summary's opening and method name what the study has."""
    import html
    import re

    import yaml

    for path in FIXTURES.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    spec = yaml.safe_load((FIXTURES / "study.yml").read_text(encoding="utf-8"))
    for key in ("scales", "items"):
        spec.pop(key)
    spec["slug"] = "choices-only"
    (tmp_path / "study.yml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = cx.run(tmp_path / "study.yml", out=tmp_path / "out", notebook_jobs=1)
    pages = {p.name: html.unescape(re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8")))
             for p in result.report_dir.glob("*.html")}
    assert "gaps.html" in pages and "Choice questions" in pages["gaps.html"]
    assert "Headline items" not in pages["gaps.html"]
    assert "The gap table" not in pages["gaps.html"]
    summary = " ".join(pages["index.html"].split())
    assert "Which options leaders and staff choose when asked the same questions about the " \
        "customer experience as customers" in summary
    assert "Choice questions : the share of an audience choosing each option" in summary
    assert "Top box" not in summary
    assert "The largest significant option gap is on “Which of these would make you " \
        "switch?”" in summary
    voices = " ".join(pages["voices.html"].split())
    assert "(asked of leaders)" in voices  # the other-text question, asked of leaders only
    assert "None: no word sets one audience's answers apart" in voices  # not a bare heading


# ---------------------------------------------------------------------------
# from counts: added block by block, knowing their wave (issue 29)


def _added(responses: pd.DataFrame, count, blocks: int = 3):
    parts = [count(responses.iloc[rows].reset_index(drop=True))
             for rows in np.array_split(np.arange(len(responses)), blocks)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _weighted_waves(rng, n=240, **choice):
    study = _wave_study(multiple=True, **choice)
    group_of = list(rng.choice(["a", "ref"], size=n))
    chosen = [set(int(c) for c in rng.choice(4, size=rng.integers(0, 3), replace=False))
              or None for _ in range(n)]
    weights = np.where(np.array(group_of) == "ref", rng.uniform(0.4, 2.5, n), 1.0)
    frame = responses_of(study, group_of, chosen, weights)
    frame["wave"] = pd.array(["2025"] * (n // 2) + ["2026"] * (n - n // 2), dtype="string")
    frame["region"] = pd.array(rng.choice(["North", "South", "East", None], size=n,
                                          p=[0.5, 0.3, 0.15, 0.05]), dtype="string")
    for end in (n // 2, n):  # small, first seen in each wave's last block
        frame.loc[frame.index[end - 3:end], "region"] = "West"
    return study, frame


def test_choice_tables_of_counts_made_in_blocks_are_those_of_the_responses():
    import pickle

    from cxstudy.choices import choice_segment_counts, choice_segments, choice_trends
    from cxstudy.waves import one_wave

    study, frame = _weighted_waves(np.random.default_rng(9))
    by_wave = {}
    for wave in ("2025", "2026"):
        responses = one_wave(frame, wave)
        counts = _added(responses, lambda block: choice_counts(block, study))
        assert isinstance(counts, cx.LevelCounts) and counts.wave == wave
        counts = pickle.loads(pickle.dumps(counts))
        by_wave[wave] = counts
        for table in (choice_table, choice_shares, choice_tests):
            made = table(None, study, counts=counts)
            assert set(made["wave"]) == {wave}
            pd.testing.assert_frame_equal(made, table(responses, study), check_exact=False,
                                          rtol=1e-12, atol=1e-12)
        segments = _added(responses, lambda block: choice_segment_counts(block, study))
        assert segments.wave == wave and segments.segments["region"].levels[-1] == "West"
        made = choice_segments(None, study, counts=segments)
        assert set(made["wave"]) == {wave} and made.loc[made["level"] == "West",
                                                        "suppressed"].all()
        pd.testing.assert_frame_equal(made, choice_segments(responses, study),
                                      check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(choice_trends(None, study, counts=by_wave),
                                  choice_trends(frame, study), check_exact=False, rtol=1e-12,
                                  atol=1e-12)
    with pytest.raises(ValueError, match="wave 2026 to those of wave 2025"):
        by_wave["2025"] + by_wave["2026"]


def test_counts_of_an_early_wave_say_what_was_not_asked_in_it():
    """A question first asked in 2026: the 2025 table of the counts says "not asked in wave
    2025", as the table of the responses does, and is labelled 2025, not the latest wave."""
    from cxstudy.waves import one_wave

    rng = np.random.default_rng(10)
    study = _wave_study(waves=["2026"])
    frame, _group_of, _chosen = _wave_responses(study, rng)
    early = frame["wave"] == "2025"
    for column in study.choices[0].indicator_columns:
        frame.loc[early, column] = pd.NA
    responses = one_wave(frame, "2025")
    for table in (choice_table, choice_tests):
        made = table(None, study, counts=choice_counts(responses, study))
        assert set(made["wave"]) == {"2025"}
        assert (made["note"] == "not asked in wave 2025").all()
        pd.testing.assert_frame_equal(made, table(responses, study))
    with pytest.raises(ValueError, match="choice_table: give the responses, or their counts"):
        choice_table(None, study)

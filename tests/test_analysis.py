"""cx.analyze: every table of a study computed once, from one place."""

from __future__ import annotations

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import analysis, counts, gaps, metrics, report, voices, waves
from cxstudy.analysis import Results
from cxstudy.registry import TABLES, WRITTEN

from .conftest import EXAMPLE_STUDY, ROOT, minimal_study

# every function a table is computed by, and where Results finds it
COMPUTED_BY = [
    (counts, "level_counts"), (gaps, "gap_table"), (gaps, "share_table"),
    (gaps, "dimension_gaps"), (gaps, "kruskal_table"), (gaps, "perception_gap_index"),
    (gaps, "blind_spots"), (metrics, "metric_table"), (metrics, "metric_gaps"),
    (metrics, "calibration_table"), (metrics, "importance_performance"),
    (voices, "study_codebook"), (voices, "code_answers"), (voices, "theme_table"),
    (voices, "quotes"), (voices, "distinguishing_words"), (waves, "trend_table"),
    (waves, "dimension_trends"), (waves, "metric_trends"), (waves, "returning_respondents"),
]
# computed once for the whole study; everything else once per wave
STUDY_LEVEL = {"study_codebook", "trend_table", "dimension_trends", "metric_trends",
               "returning_respondents"}


@pytest.fixture(scope="module")
def example(example_responses):
    return example_responses


@pytest.fixture()
def calls(monkeypatch):
    """Count every call of the table functions (they still compute)."""
    counted: dict[str, int] = {}
    for module, name in COMPUTED_BY:
        original = getattr(module, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            counted[_name] = counted.get(_name, 0) + 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    return counted


def touch_everything(res: Results, *, coded: bool = True, cleaning: bool = False) -> None:
    cleaning_tables = [name for name, t in TABLES.items() if "log" in t.needs]
    written = [name for name, t in WRITTEN.items() if t.present(res)]  # what the study has
    for name in [*written, "codebook", *(["coded"] if coded else []), "quotes", "returning",
                 *(cleaning_tables if cleaning else ())]:
        getattr(res, name)
    for wave in res.waves:
        assert res.wave(wave).counts.items
    for question in res.study.open_ended:
        res.words(question.id)


def test_every_table_is_computed_once(example, calls, tmp_path):
    study, responses = example
    res = cx.analyze(study, responses)
    touch_everything(res)
    touch_everything(res)  # asked again: nothing is computed again
    res.write_tables(tmp_path / "tables")
    assert set(calls) == {name for _module, name in COMPUTED_BY}
    assert res.waves == ["2025", "2026"]
    words = calls.pop("distinguishing_words")
    assert words == len(study.open_ended) * 2
    # the counting, the coding, the bootstrap: once per wave; the trends once
    assert calls == {name: 1 if name in STUDY_LEVEL else 2 for name in calls}, calls


def test_analyze_returns_every_table_of_the_example(example, tmp_path):
    study, responses = example
    res = cx.analyze(study, responses)
    # the example has metrics, estimates, themes; no choice questions (tests/test_choices.py)
    expected = {name: entry for name, entry in WRITTEN.items() if "choices" not in entry.needs}
    assert res.available == list(expected)
    written = res.write_tables(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{entry.spec.name}.csv" for entry in expected.values())
    assert set(written) == {entry.spec.name for entry in expected.values()}
    for name, entry in expected.items():
        table, spec = getattr(res, name), entry.spec
        # the contract's columns, in order (Kruskal adds one n per audience among them)
        assert [c for c in table.columns if c in spec.columns] == list(spec.columns), name
        # the example asks its metrics of customers only: no metric gap between audiences
        assert len(table) > 0 or name == "metric_gaps", name
    # the same numbers as the public functions called one by one
    pd.testing.assert_frame_equal(res.gaps, cx.gap_table(responses, study))
    pd.testing.assert_frame_equal(res.themes, cx.theme_table(responses, study))
    pd.testing.assert_frame_equal(res.calibration, cx.calibration_table(responses, study))
    pd.testing.assert_frame_equal(res.metric_gaps, cx.metric_gaps(responses, study))
    pd.testing.assert_frame_equal(res.kruskal, cx.kruskal_table(responses, study))


def test_analyze_from_the_study_file_reads_and_cleans():
    res = cx.analyze(EXAMPLE_STUDY)
    assert len(res.responses) == 2250 and len(res.log) == 2436
    assert list(res.sources["rows"]) == [29, 162, 1077, 29, 162, 977]
    assert list(res.sources["file"])[3:] == ["2025/leadership.csv", "2025/staff.xlsx",
                                             "2025/customers_qualtrics.csv"]
    text = repr(res)
    assert "Larkfield Home Energy" in text and "customers 1,900" not in text  # never added up
    assert "respondents in 2025: leadership 25, staff 150, customers 900\n" in text
    assert "respondents in 2026: leadership 25, staff 150, customers 1,000 (reference: " \
           "customers)" in text
    assert "more than one wave (counted in each): leadership 25, staff 150, customers 175" \
           in text
    assert "tables: gaps, dimensions" in text
    assert "waves: 2025, 2026 (res.latest: 2026)" in text and "trends" in text
    assert "computed: nothing yet" in text
    assert len(res.gaps) == 32 * 2 and list(res.gaps["wave"].unique()) == ["2025", "2026"]
    assert "computed: gaps" in repr(res)
    res.themes  # noqa: B018 - each wave's themes
    assert [name for name in res.computed if name.endswith("codebook")] == ["codebook"]
    assert res.latest.gaps["wave"].eq("2026").all() and len(res.latest.gaps) == 32
    with pytest.raises(ValueError, match="counts are made within a wave"):
        _ = res.counts


def test_a_study_without_metrics_estimates_or_themes_has_only_its_tables(tmp_path):
    (tmp_path / "leaders.csv").write_text("Q1\nAgree\nStrongly agree\nDisagree\n")
    (tmp_path / "customers.csv").write_text("Q1\nDisagree\nAgree\nDisagree\n")
    study = cx.load_study(minimal_study(min_group_size=1), base_dir=tmp_path)
    res = cx.analyze(study)
    assert res.available == ["gaps", "dimensions", "shares", "kruskal", "gap_index",
                             "blind_spots", "importance"]
    assert res.themes.empty and res.quotes.empty and res.codebook is None
    assert res.importance.empty  # its one item is the outcome: nothing to rate against it
    written = res.write_tables(tmp_path / "tables")
    assert sorted(written) == ["blind_spots", "dimension_gaps", "gaps", "kruskal",
                               "perception_gap_index", "shares"]


def test_handed_over_tables_are_not_computed_again(example_cleaned, tmp_path, monkeypatch):
    """What the notebooks of `cxstudy run` do: report.setup with the run's tables."""
    study, _raw, result = example_cleaned
    first = Results(study, result.responses, log=result.log)
    handed = first.for_pages().save(tmp_path / ".results.pickle")
    for module, name in COMPUTED_BY:
        monkeypatch.setattr(module, name, lambda *a, _n=name, **k: pytest.fail(f"{_n} again"))
    monkeypatch.setattr(analysis, "load_processed",
                        lambda *a, **k: pytest.fail("the cleaned data was read"))
    monkeypatch.chdir(ROOT)
    res = report.setup("studies/example.yml", "", str(handed))
    touch_everything(res, coded=False, cleaning=True)  # what the pages show, words too
    for wave in res.waves:  # each wave's own tables, as the pages show the latest
        child = res.wave(wave)
        waved = {name for name, t in TABLES.items() if t.scope == "wave" and t.present(res)
                 } - {"coded"}
        for name in [*sorted(waved), "counts", "codebook"]:
            getattr(child, name)
        for question in res.study.open_ended:
            child.words(question.id)
    assert res.computed == []
    pd.testing.assert_frame_equal(res.gaps, first.gaps)
    pd.testing.assert_frame_equal(res.rows_by_rule, first.rows_by_rule)  # what cleaning did
    assert "coded" not in res._tables  # the answers with their themes are not handed over
    assert not any("respondent_ids" in res.wave(w)._tables for w in res.waves)  # 8 B each
    assert res.latest.words("improve").equals(first.latest.words("improve"))


def test_handed_results_read_the_cleaned_data_only_when_asked(example, tmp_path):
    study, responses = example
    handed = cx.analyze(study, responses).for_pages().save(tmp_path / ".results.pickle")
    asked = []
    res = Results.handed(study, handed)
    res._load = lambda: asked.append(1) or (responses, None)
    assert len(res.latest.gaps) and not asked
    assert res.latest.responses["wave"].eq(res.waves[-1]).all() and asked == [1]


def test_tables_of_another_study_are_refused(example, tmp_path):
    study, responses = example
    other = cx.load_study(minimal_study(slug="other"), base_dir=ROOT)
    saved = Results(other, responses.iloc[:0]).save(tmp_path / "other.pickle")
    with pytest.raises(cx.ReportError, match="another study"):
        Results.handed(study, saved)


def test_an_audience_below_the_minimum_shows_no_figure_in_any_table(example):
    """The example at min_group_size 30: its 25 leaders (every wave) leave no estimate in
    any table a page is made from: the property the report pages rely on (each page's
    figures and sentences come from these tables)."""
    import dataclasses

    import numpy as np

    study, responses = example
    strict = dataclasses.replace(study, min_group_size=30)
    res = cx.analyze(strict, responses).for_pages()
    checked = 0
    for name in res.available:
        table, spec = getattr(res, name), WRITTEN[name].spec
        for column in ("group", "says_strength", "says_problem"):
            if column not in table.columns:
                continue
            leaders = table[table[column] == "leadership"]
            shown = [c for c in spec.estimates if c in leaders.columns
                     and leaders[c].notna().any()]
            assert not shown, (name, shown)
            checked += len(leaders)
    assert checked > 100
    quotes = res.quotes
    assert not (quotes["group"] == "leadership").any()
    for question in study.open_ended:
        assert not (res.words(question.id)["group"] == "leadership").any()
    assert np.isnan(res.latest.gap_index.set_index("group").loc["leadership", "index"])


def test_results_show_in_jupyterlab_as_a_compact_escaped_summary():
    """_repr_html_: the title escaped, each audience by its label (its id beside it), its
    respondents in each wave (a respondent of both waves counted once in each), the
    waves, every table the study has with what it holds, and how to get one."""
    import html as html_module
    import re

    from cxstudy.registry import TABLES as ALL

    study = cx.load_study(minimal_study(
        study="Acme <b>bold</b> & co", waves=["2025", "2026"],
        groups=[{"id": "leadership", "label": "Board <i>members</i>"}, "customers"],
        sources=[{"path": f"{g}{w}.csv", "group": g, "wave": w}
                 for w in ("2025", "2026") for g in ("leadership", "customers")]),
        base_dir=ROOT)
    counts_by = {("leadership", "2025"): 3, ("customers", "2025"): 7,
                 ("leadership", "2026"): 4, ("customers", "2026"): 9}
    rows = [{"respondent_id": f"{g[0]}{i}", "group": g, "wave": w, "weight": 1.0,
             "excellent": 4} for (g, w), n in counts_by.items() for i in range(n)]
    responses = pd.DataFrame(rows)  # ids repeat across waves: returning respondents
    responses["group"] = pd.Categorical(responses["group"], ["leadership", "customers"])
    responses["excellent"] = responses["excellent"].astype("Int8")
    res = Results(study, responses)
    page = res._repr_html_()
    assert "Acme &lt;b&gt;bold&lt;/b&gt; &amp; co" in page and "<b>bold</b>" not in page
    assert "Board &lt;i&gt;members&lt;/i&gt;" in page and "<i>members</i>" not in page
    body = re.search(r"<tbody>(.*?)</tbody>", page).group(1)
    cells = [[html_module.unescape(re.sub(r"<[^>]+>", "", c)) for c in
              re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in re.findall(r"<tr>(.*?)</tr>",
                                                                            body)]
    assert cells == [["Board <i>members</i> leadership", "3", "4"],
                     ["customers (reference)", "7", "9"]]
    assert "<th>2025</th><th>2026</th>" in page
    assert "res.latest</code> (2026)" in page
    for name in res.available:
        assert f"<code>{name}</code></td><td>{html_module.escape(ALL[name].doc)}</td>" in page
    assert "<code>res.gaps</code>" in page and "res.wave(&#x27;2026&#x27;).gaps" in page
    assert repr(res).startswith("cxstudy Results")  # the text repr is another's


def test_results_of_counts_alone_summarise_and_show_what_cleaning_did(example_cleaned):
    """Results.from_counts with the cleaning log's counts in place of the log (as a
    streaming run makes them): the same summary (repr, JupyterLab's), the same data-quality
    tables; without the log or its counts those tables are absent and say why."""
    from cxstudy import quality

    study, _raw, result = example_cleaned
    expected = Results(study, result.responses, log=result.log)
    counts = Results(study, result.responses).counted()
    made = Results.from_counts(study, counts,
                               log_counts=quality.log_counts(result.log, study))
    assert repr(made) == repr(expected)
    assert "respondents in 2025: leadership 25, staff 150, customers 900\n" in repr(made)
    assert made._repr_html_() == expected._repr_html_()
    for name in ("dropped", "rows_by_rule", "not_checked", "dropped_examples", "returning",
                 "missing", "respondents"):
        left, right = made.table(name), expected.table(name)
        assert left.equals(right), name
    assert "cleaning log" in Results.from_counts(study, counts).dropped.attrs["absent"]

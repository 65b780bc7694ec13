"""The report's sentences (cxstudy.report.wording): shares with their intervals, the change
between waves, the widest segment, numbers that never read -0."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import report
from cxstudy.report.wording import escape, interval, md, names, p_text, pct, predicate

from .conftest import AGREE5, ROOT, minimal_study, pages, wave_sources


def test_headline_sentence_with_interval(built):
    _project, serial, _parallel, _raw = built
    text = pages(serial / "reports" / "example")["index.html"]
    assert ("“We deliver an excellent customer experience”: 76% of leadership (57–89%, "
            "n = 25) agree; ") in text  # the scale's top_box_label says "agree"
    assert "12% of customers do (10–14%, n = 968)" in text
    assert "a gap of +64 points (unadjusted 95% CI +45 to +77" in text


def test_metrics_calibration_and_importance_are_reported(built):
    project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    index = (report / "index.html").read_text()
    assert ("On “We deliver an excellent customer experience”, leadership estimate on average "
            "that 67% of customers would agree (62–72%, n = 25); 12% do") in index
    assert "an overestimate of 55 points" in index
    assert "NPS (points)" in index and "-31 (-36 to -26)" in index
    assert "Importance and performance" in (report / "gaps.html").read_text()
    study = cx.load_study(project / "studies" / "example.yml")
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    written = pd.read_csv(report / "tables" / "calibration.csv")
    expected = cx.calibration_table(responses, study)
    pd.testing.assert_series_equal(written["error"], expected["error"], rtol=1e-12)
    metrics = pd.read_csv(report / "tables" / "metrics.csv")
    assert list(metrics.columns[:8]) == ["wave", "metric", "group", "n", "value", "se", "low",
                                        "high"]
    assert "No weights: every respondent counts once." in (report / "data_quality.html"
                                                           ).read_text()


def test_a_study_with_waves_shows_the_latest_gap_then_its_change(built):
    _project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    text = pages(report)
    for name in ("index.html", "gaps.html", "voices.html"):
        assert ("wave 2026 (the latest of 2025 and 2026) — 1,175 respondents in 2026: "
                "leadership 25, staff 150, customers 1,000") in text[name], name
    index = text["index.html"]
    change = index.index("Since 2025 this gap has not changed clearly: it was +76 points")
    assert index.index("76% of leadership (57–89%, n = 25) agree") < change  # gap first
    assert "(Holm), in two families: its 2 gaps in 2026, and its 2 changes from 2025 to 2026" \
        in index
    trends = text["trends.html"]
    assert ("The staff–customers gap on “Our bills are clear and easy to understand” narrowed: "
            "+60 points in 2025, +27 in 2026 (change -33, unadjusted 95% CI -44 to -22; "
            "adjusted p &lt; 0.001); who agree: staff 65% → 46%, customers 5% → 19%.") in trends
    assert "ces_low_effort" not in trends and "27% → 30%" in trends
    assert "Slope chart of the gap on “We deliver an excellent customer experience” across " \
           "waves: leadership 2025: +76 points" in trends
    assert "the intervals are conservative" in trends
    quality = text["data_quality.html"]
    assert "Returning" in quality and "customers 175" in quality
    # every count says what it counts: the header's 1,175 are 2026's, the 2,250 both waves'
    counted = ("2,436 responses read from 6 exports of both waves (2025 and 2026); 2,250 kept "
               "(1,075 in 2025, 1,175 in 2026), 186 dropped")
    assert counted in index and counted in quality
    assert "Rows of both waves (2025 and 2026) together" in quality
    assert "<th class=\"cx-fig\">Wave</th>" in quality  # the sources table's wave column
    assert ("20 of the 32 gaps computed are significant after the correction for multiple "
            "comparisons.") in index
    assert "It covers leadership and staff on every item." in index
    assert ("NPS, CES and CSAT were asked of customers only, so there is no gap to show: a "
            "gap compares an audience with customers.") in text["gaps.html"]
    assert "Gap, points (unadjusted 95% CI)" in index and "(CI)" not in index
    table = pd.read_csv(report / "tables" / "trends.csv")
    assert list(table.columns[:7]) == ["item", "text", "dimension", "group", "reference",
                                       "from_wave", "to_wave"]
    assert len(table) == 32 and set(table["from_wave"].astype(str)) == {"2025"}
    gaps = pd.read_csv(report / "tables" / "gaps.csv")
    assert list(gaps["wave"].astype(str).unique()) == ["2025", "2026"]  # never pooled
    assert {"dimension_trends.csv", "metric_trends.csv"} <= {
        p.name for p in (report / "tables").iterdir()}


def test_a_segmented_study_has_a_segments_page(built):
    _project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    page = pages(report)["segments.html"]
    assert "Heatmap of the gap to customers by Region level" in page
    assert "Heatmap of the gap to customers by Customer for (years) level" in page
    assert ("Where Customer for (years) is “0 to &lt;1”, on “We respond quickly when customers "
            "get in touch”: 80% of all leadership (n = 25) agree; 3% of customers (n = 174) do"
            ) in page
    assert "Do the levels differ?" in page
    index = pages(report)["index.html"]
    assert ("The gap on “We deliver an excellent customer experience” is widest for all "
            "leadership against customers in Customer for (years) “0 to &lt;1”: +74 points "
            "(unadjusted 95% CI +54 to +86), against +64 overall; the gap differs across "
            "Customer for (years) (adjusted p &lt; 0.001): only customers answered Customer "
            "for (years), so the levels differ in customers alone (leadership were not asked "
            "it).") in index
    assert "No gap differs across the levels of Region after the correction" in page
    assert "The full table: 256 rows (2 segments, 16 items, 2 audiences compared)" in page
    assert 'href="tables/segments.csv"' in page
    table = pd.read_csv(report / "tables" / "segments.csv")
    assert list(table.columns[:3]) == ["wave", "segment", "level"]
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    assert {"region", "tenure"} <= set(responses.columns)
    assert "Tenure" not in responses.columns and "Region" not in responses.columns


def test_numbers_never_read_minus_zero():
    from cxstudy.report import interval, points

    assert points(-0.004) == "+0" and points(-0.031) == "-3" and points(0.645) == "+64"
    assert interval(-0.004, 0.2, as_points=True) == "+0 to +20"


@pytest.mark.parametrize("text, expected", [
    (pct(0.456), "46%"), (pct(0.4567, 1), "45.7%"), (pct(float("nan")), "–"),
    (interval(0.1, 0.25), "10–25%"), (interval(float("nan"), 0.3), "–"),
    (interval(-0.31, 0.2, as_points=True), "-31 to +20"),
    (p_text(0.0004), "< 0.001"), (p_text(0.0123), "0.012"), (p_text(float("nan")), "–"),
    (names([]), ""), (names(["staff"]), "staff"), (names(["a", "b", "c"]), "a, b and c"),
])
def test_figures_and_lists_read_as_written(text, expected):
    assert text == expected


def test_text_from_a_study_or_a_respondent_is_shown_as_written():
    shown = md("<b>Bills</b> *now* [here](http://x.example) mail a@b.co #1")
    assert "<b>" not in shown and "&lt;b&gt;Bills&lt;/b&gt;" in shown  # no HTML
    assert "\\*now\\*" in shown and "\\[here\\]\\(http\\://x\\.example\\)" in shown  # no link
    assert "a\\@b\\.co" in shown and "\\#1" in shown  # no autolinked e-mail, no heading
    assert escape('<i>x</i> & "y"') == "&lt;i&gt;x&lt;/i&gt; &amp; &quot;y&quot;"
    study = cx.load_study(minimal_study(scales={"agree5": {
        "labels": ["No", "<b>Yes</b>"], "top_box": 1}}), base_dir=ROOT)
    assert predicate(study, "excellent") == "answer “&lt;b&gt;Yes&lt;/b&gt;”"


def voices_study(min_group_size=5, items=True):
    """Three audiences, two open questions (a strength and a problem), items or none."""
    spec = minimal_study(
        groups=["leaders", "staff", "customers"], min_group_size=min_group_size,
        sources=[{"path": "a.csv", "group": "leaders"}, {"path": "b.csv", "group": "staff"},
                 {"path": "c.csv", "group": "customers"}],
        open_ended=[{"id": "well", "question": "What do we do <well>?", "column": "W",
                     "role": "strength"},
                    {"id": "bad", "question": "What could be improved?", "column": "B",
                     "role": "problem", "split": "points"}],
        themes="tests/fixtures/workshop/studies/themes/workshop.yml")
    if not items:
        spec.pop("items"), spec.pop("scales")
    return cx.load_study(spec, base_dir=ROOT)


def theme_rows(question, rows):
    """A theme table of one question: (theme, label, group, n, share, gap, low, high, p)."""
    frame = pd.DataFrame(rows, columns=["theme", "label", "group", "n", "share", "gap",
                                        "gap_low", "gap_high", "p_adjusted"])
    frame["question"] = question
    frame["suppressed"] = frame["share"].isna()
    frame["n_points"] = frame["n"] * 2
    return frame


def test_theme_sentences_say_what_every_audience_and_only_one_names():
    study = voices_study()
    nan = float("nan")
    themes = theme_rows("well", [
        ("people", "Friendly <people>", "leaders", 10, 0.50, 0.10, -0.2, 0.4, 0.6),
        ("people", "Friendly <people>", "staff", 10, 0.70, 0.30, 0.0, 0.5, 0.2),
        ("people", "Friendly <people>", "customers", 20, 0.40, nan, nan, nan, nan),
        ("app", "App", "leaders", 10, 0.05, -0.55, -0.7, -0.3, 0.001),
        ("app", "App", "staff", 10, 0.00, -0.60, -0.8, -0.4, 0.0004),
        ("app", "App", "customers", 20, 0.60, nan, nan, nan, nan),
        ("uncoded", "(no theme)", "leaders", 10, 0.9, nan, nan, nan, nan),
    ])
    said = report.theme_sentences(themes, study, "well")
    assert said[0] == ("“What do we do &lt;well&gt;?”: every audience names Friendly "
                       "&lt;people&gt; (leaders 50%, staff 70%, customers 40%).")
    assert said[1] == "Only customers name App (60% of their answers)."
    # disparity: significant gaps, largest first, worded from whoever names it more
    assert said[2].startswith("Customers name App more often than staff: 60% against 0% "
                              "(gap -60 points, unadjusted 95% CI -80 to -40; adjusted p "
                              "< 0.001)")
    assert said[3].startswith("Customers name App more often than leaders: 60% against 5%")
    assert len(said) == 4  # people's gaps are not significant; uncoded is no theme
    fewer = report.theme_sentences(themes, study, "well", top=1)
    assert fewer[2].startswith("Customers name App more often than staff")
    assert fewer[3] == ("1 more significant difference between an audience and customers "
                        "on this question.")


def test_theme_sentences_leave_out_small_audiences_and_say_so():
    study = voices_study()
    nan = float("nan")
    themes = theme_rows("well", [
        ("people", "People", "leaders", 3, nan, nan, nan, nan, nan),
        ("people", "People", "staff", 10, 0.30, 0.0, -0.3, 0.3, 1.0),
        ("people", "People", "customers", 20, 0.30, nan, nan, nan, nan),
    ])
    said = report.theme_sentences(themes, study, "well")
    assert said[0].startswith("“What do we do &lt;well&gt;?”: every audience shown names "
                              "People (staff 30%, customers 30%)")
    assert said[-1] == ("Not shown: leaders (suppressed: fewer than 5 respondents).")
    assert not any("leaders 3" in s or "nan" in s for s in said)
    none = theme_rows("well", [("people", "People", "staff", 10, 0.05, 0, 0, 0, 1.0),
                               ("people", "People", "customers", 20, 0.30, nan, nan, nan,
                                nan)])
    first = report.theme_sentences(none, study, "well")[0]
    assert ": the audiences name no theme in common (none is named by at least" in first
    assert "every audience names no" not in first


def test_strength_to_one_audience_problem_to_another():
    study = voices_study()
    nan = float("nan")
    themes = pd.concat([
        theme_rows("well", [("bills", "Bills", "staff", 10, 0.30, 0.3, 0, 0, 1),
                            ("bills", "Bills", "customers", 20, 0.0, nan, nan, nan, nan)]),
        theme_rows("bad", [("bills", "Bills", "staff", 10, 0.0, 0, 0, 0, 1),
                           ("bills", "Bills", "customers", 20, 0.45, nan, nan, nan, nan)])])
    clash = cx.voices.disagreements(themes, study)
    assert report.disagreement_sentences(clash, study) == [
        "Bills: a strength to staff (30% of their answers to “What do we do &lt;well&gt;?”, "
        "against 0% to “What could be improved?”), a problem to customers (45%, against 0% "
        "as a strength)."]


def test_disagreement_sentences_only_claim_the_side_an_audience_leans_to():
    """The reviewer's case: managers name money on both questions but mostly as a problem,
    the board mostly as a strength. The old rule (both shares at least 10%) paired every
    audience both ways and said "a strength to managers (10%), a problem to board"; only
    the true pair is said now, and of several true pairs the one with the largest lead."""
    study = voices_study()
    themes = pd.concat([
        theme_rows("well", [("money", "Money", "leaders", 10, 0.10, 0, 0, 0, 1),
                            ("money", "Money", "staff", 20, 0.75, 0, 0, 0, 1),
                            ("money", "Money", "customers", 20, 0.40, 0, 0, 0, 1)]),
        theme_rows("bad", [("money", "Money", "leaders", 10, 0.73, 0, 0, 0, 1),
                           ("money", "Money", "staff", 20, 1.00 / 8, 0, 0, 0, 1),
                           ("money", "Money", "customers", 20, 0.30, 0, 0, 0, 1)])])
    clash = cx.voices.disagreements(themes, study)
    # staff and customers lean to strength, leaders to problem: two pairs, no reverse ones
    assert list(zip(clash["says_strength"], clash["says_problem"], strict=True)) == [
        ("staff", "leaders"), ("customers", "leaders")]
    assert (clash["strength_share"] > clash["strength_problem_share"]).all()
    assert (clash["problem_share"] > clash["problem_strength_share"]).all()
    assert clash["lead"].round(4).tolist() == [round(0.75 - 0.125 + 0.73 - 0.10, 4),
                                                round(0.40 - 0.30 + 0.73 - 0.10, 4)]
    assert report.disagreement_sentences(clash, study) == [
        "Money: a strength to staff (75% of their answers to “What do we do &lt;well&gt;?”, "
        "against 12% to “What could be improved?”), a problem to leaders (73%, against "
        "10% as a strength)."]
    # an audience not asked the other question: its lean cannot be told, nothing said
    asked_once = themes[~((themes["group"] == "staff") & (themes["question"] == "bad"))]
    assert "staff" not in set(cx.voices.disagreements(asked_once, study)["says_strength"])


def test_similarity_sentences_name_the_most_and_least_alike_pairs():
    study = voices_study()
    table = pd.DataFrame({
        "question": ["well"] * 3 + ["bad"] * 3,
        "group": ["leaders", "leaders", "staff"] * 2,
        "other": ["staff", "customers", "customers"] * 2,
        "similarity": [0.9, 0.5, 0.7, 0.8, float("nan"), 0.6],
        "similarity_low": [0.8, 0.3, 0.6, 0.7, float("nan"), 0.5],
        "similarity_high": [0.95, 0.6, 0.8, 0.9, float("nan"), 0.7],
        "suppressed": [False, False, False, False, True, False]})
    assert report.similarity_sentences(table, study) == [
        "“What do we do &lt;well&gt;?”: leaders and staff answer most alike (similarity "
        "0.90, 95% CI 0.80 to 0.95), leaders and customers least (0.50, 95% CI 0.30 to "
        "0.60).",
        "“What could be improved?”: leaders and staff answer most alike (similarity 0.80, "
        "95% CI 0.70 to 0.90), staff and customers least (0.60, 95% CI 0.50 to 0.70)."]


def test_a_study_without_items_is_introduced_by_its_open_questions():
    study = voices_study(items=False)
    res = cx.analysis.Results(study, None, waves=[])
    intro = report.summary_intro(res, {"index.html": "Executive summary",
                                       "voices.html": "Voices"})
    assert intro.startswith("What leaders, staff and customers say when asked the same open "
                            "questions")
    assert "a group's sheet counts as one answer" in intro and "statements" not in intro
    notes = report.method_notes(study)
    assert "Jensen–Shannon" in notes and "Top box" not in notes
    assert "split: points" in notes
    with_items = report.summary_intro(cx.analysis.Results(voices_study(), None, waves=[]), {})
    assert "statements" in with_items  # a study with items keeps its wording


def test_a_study_without_a_codebook_says_a_codebook_would_code_the_answers():
    spec = minimal_study(open_ended=[{"id": "why", "question": "Why?", "column": "C"}])
    spec.pop("items"), spec.pop("scales")
    study = cx.load_study(spec, base_dir=ROOT)
    intro = report.summary_intro(cx.analysis.Results(study, None, waves=[]), {})
    assert "no theme codebook" in intro and "a codebook would code them" in intro
    assert "themes every audience names" not in intro
    notes = report.method_notes(study)
    assert "not coded" in notes and "Jensen" not in notes and "Privacy" in notes


# ---------------------------------------------------------------------------
# choice questions


def _choice_rows(study_choices, rows):
    frame = pd.DataFrame(rows)
    frame["reference"] = "customers"
    frame["text"] = frame["question"].map({c["id"]: c["text"] for c in study_choices})
    frame["multiple"] = frame["question"].map({c["id"]: c.get("multiple", False)
                                               for c in study_choices})
    return frame


CHOICE_SPECS = [{"id": "best", "text": "Best at?", "options": ["Price", "Speed", "Care"],
                 "column": "Q5"},
                {"id": "switch", "text": "Switch if?", "multiple": True,
                 "options": ["Price", "App"], "column": "Q6"}]


def _row(question, option, group, share, share_ref, p, *, n=40, suppressed=False):
    gap = share - share_ref
    return {"question": question, "option": option, "group": group, "n": n, "n_ref": 300,
            "share": share, "share_ref": share_ref, "gap": gap, "gap_low": gap - 0.1,
            "gap_high": gap + 0.1, "p_value": p, "p_adjusted": p, "suppressed": suppressed}


def test_choice_gap_sentences_say_who_picks_what_largest_first():
    from cxstudy.report.wording import choice_gap_sentences

    study = cx.load_study(minimal_study(choices=CHOICE_SPECS), base_dir=ROOT)
    table = _choice_rows(CHOICE_SPECS, [
        _row("best", "Price", "leadership", 0.15, 0.38, 0.004),
        _row("best", "Speed", "leadership", 0.52, 0.28, 0.02),
        _row("best", "Care", "leadership", 0.20, 0.12, 0.3),
        _row("switch", "App", "leadership", 0.76, 0.28, 0.0001, n=25)])
    sentences = choice_gap_sentences(table, study, "best")
    assert sentences == [
        "52% of leadership (n = 40) pick “Speed”; 28% of customers (n = 300) do: a gap of "
        "+24 points (unadjusted 95% CI +14 to +34; adjusted p 0.020).",
        "15% of leadership (n = 40) pick “Price”; 38% of customers (n = 300) do: a gap of "
        "-23 points (unadjusted 95% CI -33 to -13; adjusted p 0.004)."]
    assert choice_gap_sentences(table, study, "switch")[0].startswith(
        "76% of leadership (n = 25) tick “App”")


def test_choice_gap_sentences_without_significance_or_with_everyone_suppressed():
    from cxstudy.report.wording import choice_gap_sentences

    study = cx.load_study(minimal_study(choices=CHOICE_SPECS), base_dir=ROOT)
    table = _choice_rows(CHOICE_SPECS, [
        _row("best", "Price", "leadership", 0.30, 0.38, 0.4),
        _row("best", "Care", "leadership", 0.20, 0.12, 0.6)])
    (sentence,) = choice_gap_sentences(table, study, "best")
    assert sentence.startswith("No audience picks any option significantly more or less "
                               "often than customers")
    assert "the largest gap is on “Price”: -8 points for leadership" in sentence
    hidden = table.assign(suppressed=True, gap=float("nan"))
    assert choice_gap_sentences(hidden, study, "best") == [
        "No option gap can be shown: every audience compared is under 5 respondents."]


def test_the_summary_names_the_largest_significant_option_gap_escaped():
    from cxstudy.report.wording import choice_summary_sentence

    specs = [{**CHOICE_SPECS[1], "text": "Switch <b>if</b>?"}]
    study = cx.load_study(minimal_study(choices=specs), base_dir=ROOT)
    table = _choice_rows(specs, [
        _row("switch", "Price", "leadership", 0.56, 0.82, 0.02, n=25),
        _row("switch", "App", "leadership", 0.16, 0.80, 0.3, n=25)])  # larger, not significant
    assert choice_summary_sentence(table, study) == (
        "The largest significant option gap is on “Switch &lt;b&gt;if&lt;/b&gt;?”: 56% of "
        "leadership tick “Price”, against 82% of customers (-26 points, unadjusted 95% CI -36 "
        "to -16).")
    assert "No option of the choice questions" in choice_summary_sentence(
        table.assign(p_adjusted=0.5), study)
    no_choices = cx.load_study(minimal_study(), base_dir=ROOT)
    assert choice_summary_sentence(table, no_choices) == ""


def test_nothing_compared_is_not_called_not_significant():
    """An audience too small to compare: no gap was computed, so no sentence may say
    none is significant; each says nothing could be compared, and why."""
    from cxstudy.report import uncompared_sentence
    from cxstudy.report.wording import choice_summary_sentence

    study = cx.load_study(minimal_study(choices=CHOICE_SPECS), base_dir=ROOT)
    least = study.min_group_size
    small = _choice_rows(CHOICE_SPECS, [
        {**_row("best", option, "leadership", 0.5, 0.3, 0.01, n=least - 1),
         "share": float("nan"), "gap": float("nan"), "gap_low": float("nan"),
         "gap_high": float("nan"), "p_value": float("nan"), "p_adjusted": float("nan"),
         "suppressed": True} for option in ("Price", "Speed")])
    said = (f"No option of the choice questions could be compared with customers: every "
            f"audience compared is under {least} respondents.")
    assert choice_summary_sentence(small, study) == said
    assert "significantly" not in said
    assert uncompared_sentence(small, study, "item") == (
        f"No item could be compared with customers: every audience compared is under "
        f"{least} respondents.")
    assert uncompared_sentence(small.assign(n=40, n_ref=least - 1), study, "item") == (
        f"No item could be compared with customers: customers are under {least} "
        "respondents.")
    assert uncompared_sentence(small.assign(n=40), study, "item").endswith(
        "no audience compared had answers to set against the reference's.")
    assert uncompared_sentence(small.iloc[:0], study, "item").endswith(
        "no other audience answered.")
    # one gap computed, not significant: the sentence on significance stays
    compared = pd.concat([small, _choice_rows(CHOICE_SPECS, [
        _row("best", "Care", "leadership", 0.2, 0.12, 0.3)])], ignore_index=True)
    assert uncompared_sentence(compared, study, "item") == ""
    assert choice_summary_sentence(compared, study).startswith(
        "No option of the choice questions is chosen significantly more or less often")


def test_an_uncomputed_headline_gap_and_index_say_why():
    """The tiny shape: the one audience besides the reference has 3 respondents. The
    headline says it cannot be shown and why, not a family note of "its 0 gaps"; the
    index says why the audience has none instead of a row of dashes."""
    from cxstudy.report import gap_index_note, headline_unshown_sentence

    study = cx.load_study(minimal_study(), base_dir=ROOT)
    nan = float("nan")
    gaps = pd.DataFrame({"item": ["excellent"], "group": ["leadership"],
                         "reference": ["customers"], "n": [3], "n_ref": [60], "gap": [nan],
                         "suppressed": [True]})
    unshown = headline_unshown_sentence(gaps, study)
    assert unshown == ("The headline gap cannot be shown: every audience compared is under "
                       "5 respondents (leadership: n = 3), and nothing is shown for a group "
                       "under the study's min_group_size.")
    assert "0 gaps" not in unshown
    assert headline_unshown_sentence(gaps.assign(n=40, gap=0.2), study) == ""
    assert headline_unshown_sentence(gaps.assign(n=40, n_ref=2), study) == (
        "The headline gap cannot be shown: customers are under 5 respondents, and nothing "
        "is shown for a group under the study's min_group_size.")
    index = pd.DataFrame({"group": ["leadership"], "reference": ["customers"], "items": [0],
                          "index": [nan], "index_low": [nan], "index_high": [nan]})
    assert gap_index_note(index, gaps, study) == (
        "leadership has no index: no item could be compared with customers, leadership "
        "being under 5 respondents (n = 3).")
    assert gap_index_note(index.assign(items=1, index=0.1), gaps, study) == ""


def test_the_method_says_which_audience_is_weighted_and_how():
    """The five shape rakes its reference: the Method names the weighted audience by its
    label, the margins, and that its shares and intervals are weighted (Kish's n)."""
    from cxstudy.report import method_notes, weights_note

    spec = minimal_study(groups=["leadership", {"id": "customers", "label": "Our *clients*"}],
                         weights={"group": "customers",
                                  "margins": {"Area": {"Urban": 0.5, "Rural": 0.5}}})
    study = cx.load_study(spec, base_dir=ROOT)
    line = ("- **Weights**: Our \\*clients\\* are weighted, raked to known margins (Area: "
            "Urban 50%, Rural 50%), no weight above 5 times the mean; their shares and "
            "intervals are weighted, the intervals on Kish's effective sample size "
            "(Σw)²/Σw².\n")
    assert weights_note(study) == line
    assert line in method_notes(study)
    unweighted = cx.load_study(minimal_study(), base_dir=ROOT)
    assert weights_note(unweighted) == "" and "Weights" not in method_notes(unweighted)


def test_open_answer_sentences_are_limited_with_a_count_of_the_rest(example_cleaned):
    """The summary of a study with items shows a few of the open-answer sentences and
    says how many more the Voices page has; a study of the open questions alone, all."""
    from cxstudy.analysis import Results
    from cxstudy.report import open_answer_sentences

    study, _raw, result = example_cleaned
    themes = Results(study, result.responses).latest.themes
    every = open_answer_sentences(themes, study)
    assert len(every) > 6
    short = open_answer_sentences(themes, study, limit=6)
    assert short[:6] == every[:6]
    assert short[6:] == [f"{len(every) - 6} more on the Voices page."]
    assert open_answer_sentences(themes, study, limit=len(every)) == every


def test_the_open_questions_line_names_who_was_asked(tmp_path):
    """Every audience asked: said once. A question asked of some audiences only (the
    "other (please specify)" text of a choice question) names them."""
    from cxstudy.report import open_questions_line

    example = cx.load_study(ROOT / "studies" / "example.yml")
    line = open_questions_line(example)
    assert line.startswith("The open-ended questions, asked of every audience: "
                           "*What do you feel we do well?*; ")
    assert "asked of leadership" not in line
    choices = cx.load_study(ROOT / "tests" / "fixtures" / "choices" / "study.yml")
    other = "Which of these would make you switch? — other (please specify)"
    assert open_questions_line(choices) == (
        f"The open-ended questions: *{md(other)}* (asked of leaders).")


def test_the_gaps_page_opens_with_what_the_study_compares():
    """Items: the top-box gaps (and where the choice questions' table is); choice
    questions alone: options; CX metrics alone: metrics. Never a gaps.csv that is not
    written."""
    from cxstudy.report import gaps_intro

    example = cx.load_study(ROOT / "studies" / "example.yml")
    assert gaps_intro(example).startswith("Every item about the customer experience, every "
                                          "audience, against customers.")
    assert gaps_intro(example).endswith("The full table is `tables/gaps.csv`.")
    choices = cx.load_study(ROOT / "tests" / "fixtures" / "choices" / "study.yml")
    assert gaps_intro(choices).endswith("the choice questions' is `tables/choices.csv`.")
    alone = dataclasses.replace(choices, items=())
    assert gaps_intro(alone).startswith("Every choice question, every audience, against "
                                        "customers: the share choosing each option")
    assert "gaps.csv" not in gaps_intro(alone)
    metrics = dataclasses.replace(alone, choices=())
    assert gaps_intro(metrics) == (
        "The CX metrics of every audience on the customer experience, against customers. "
        "The full tables are "
        "`tables/metrics.csv` and `tables/metric_gaps.csv`.")


# reversed items: what a reverse-scored item's share counts, in the statement's own words


def _flipped(tmp_path, **scale):
    """The ``flipped`` shape (tests/shapes.py), its scale given ``scale`` keys, analysed
    from its exports: a reversed headline item that 48% of managers answer "Strongly
    disagree" to (60% "Strongly disagree" or "Disagree"), 12% of clients."""
    import numpy as np
    import yaml

    from .shapes import flipped

    path = flipped(tmp_path, np.random.default_rng(1))
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["scales"]["agree5"].update(scale)
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return cx.analyze(path)


BUILT = "answer “Strongly disagree” or “Disagree”"  # no bottom_box_label: from the labels


@pytest.mark.parametrize("scale, said", [
    ({}, BUILT),
    ({"top_box_label": "agree", "bottom_box_label": "disagree"}, "disagree"),
])
def test_a_reversed_headline_item_is_worded_as_the_answers_it_counts(tmp_path, scale, said):
    res = _flipped(tmp_path, **scale)
    study, now = res.study, res.latest
    assert predicate(study, "frustrating") == html.escape(said, quote=False)
    assert predicate(study, "helpful") == ("agree" if scale else
                                           "answer “Strongly agree” or “Agree”")
    headline = report.headline_sentences(now.gaps, now.shares, study)
    assert len(headline) == 1
    assert headline[0].startswith("“Dealing with us can be frustrating”: 60% of managers (")
    assert f", n = 25) {said}; 12% of clients do (" in headline[0]
    assert "a gap of +48 points" in headline[0]
    assert "agree;" not in headline[0].replace("disagree;", "")  # never "agree" for it
    # the item marked, in tables and on charts of shares
    assert report.item_label(study, "frustrating", counted=True) == (
        f"Dealing with us can be frustrating (reverse-scored: share who {said})")
    assert report.item_label(study, "frustrating") == ("Dealing with us can be frustrating "
                                                       "(reverse-scored)")
    assert report.item_label(study, "helpful", counted=True) == "People here are helpful"
    assert report.item_label(study, "nps", "NPS") == "NPS"  # not an item: as given
    # the Method says which answers the reversed item's share counts
    method = report.method_notes(study)
    assert (f"- **Reverse-scored items**: “Dealing with us can be frustrating” was asked "
            f"negatively, so its answers are scored in reverse (k + 1 − the point: higher is "
            f"better) and its share counts those who {md(said)} (the lowest points of the "
            "statement as asked, not the highest)") in method
    assert "of an item marked reverse-scored, the lowest of the statement as asked" in \
        report.gaps_intro(study)


def test_a_study_without_reversed_items_says_nothing_of_them(tmp_path):
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    assert "Reverse" not in report.method_notes(study)
    assert "reverse" not in report.gaps_intro(study)
    assert report.item_label(study, "excellent", counted=True) == "We are excellent"


def test_several_reversed_items_are_each_named_with_what_they_count():
    from .conftest import AGREE5

    study = cx.load_study(minimal_study(
        scales={"agree5": AGREE5, "sat": {**AGREE5, "bottom_box_label": "disagree"}},
        items=[{"id": "slow", "text": "We are slow", "scale": "agree5", "column": "Q1",
                "reverse": True, "headline": True},
               {"id": "rude", "text": "We are *rude*", "scale": "sat", "column": "Q2",
                "reverse": True}]), base_dir=ROOT)
    note = report.method_notes(study)
    assert ("- **Reverse-scored items**: these were asked negatively, so their answers are "
            "scored in reverse (k + 1 − the point: higher is better) and each share counts "
            "the lowest points of the statement as asked: “We are slow”, those who answer "
            "“Strongly disagree” or “Disagree”; “We are \\*rude\\*”, those who disagree. "
            "Tables and charts mark them *(reverse-scored)*") in note


# ---------------------------------------------------------------------------
# the summary's headline in a study with waves; the Trends page's sentences


@pytest.fixture(scope="module")
def example_results(example_responses):
    study, responses = example_responses
    return cx.analyze(study, responses=responses)


def test_the_summary_leads_with_the_current_gap_then_its_change(example_results):
    """Per audience, the latest wave's gap, then its change since the previous wave, with
    p-values adjusted over the headline family (Holm over the headline item's two tests,
    not 1.000 over all 32 changes), and the family stated."""
    res = example_results
    study, now = res.study, res.latest
    said = report.headline_sentences(now.gaps, now.shares, study, trends=res.trends)
    assert said[0].startswith("“We deliver an excellent customer experience”: 76% of "
                              "leadership (57–89%, n = 25) agree; 12% of customers do")
    assert "a gap of +64 points (unadjusted 95% CI +45 to +77; adjusted p < 0.001)" in said[0]
    assert said[1] == ("Since 2025 this gap has not changed clearly: it was +76 points "
                       "(change -12, unadjusted 95% CI -35 to +11; adjusted p 0.300); who agree: "
                       "leadership 80% → 76%, customers 4% → 12%.")
    assert said[2].startswith("“We deliver an excellent customer experience”: 60% of staff")
    assert said[3].startswith("Since 2025 this gap has not changed clearly: it was +58 points")
    assert len(said) == 4
    headline = res.trends[res.trends["item"] == "excellent"]
    assert (headline["p_adjusted"] == 1).all()  # over every change: what it was diluted to
    assert report.headline_family_note(study, now.gaps, res.trends) == (
        "The headline p-values are adjusted over the headline item alone, the study's "
        "primary question (Holm), in two families: its 2 gaps in 2026, and its 2 changes from "
        "2025 to 2026; "
        "the rest of the report adjusts over every item. The 95% intervals are not "
        "adjusted for multiple comparisons; the p-values are.")
    alone = report.headline_sentences(now.gaps, now.shares, study)  # one wave: no change
    assert alone == [said[0], said[2]]
    assert report.trend_table_note(study, res.trends) == (  # the page's table: every change
        "p (adjusted) corrects over all 32 changes of the table (Holm); the headline items' "
        "changes, corrected over the headline items alone, are above. The 95% intervals "
        "are not adjusted for multiple comparisons; the p-values are.")


def _trend_row(**values) -> pd.DataFrame:
    row = {"item": "excellent", "text": "We are excellent", "group": "leadership",
           "reference": "customers", "from_wave": "2025", "to_wave": "2026",
           "gap_from": 0.60, "gap_to": 0.30, "change": -0.30, "change_low": -0.45,
           "change_high": -0.15, "p_value": 0.0004, "p_adjusted": 0.01,
           "p_adjusted_headline": 0.0004, "top_box_from": 0.80, "top_box_to": 0.70,
           "top_box_ref_from": 0.20, "top_box_ref_to": 0.40, "suppressed": False, "note": ""}
    return pd.DataFrame([{**row, **values}])


def _labelled_study(tmp_path, **overrides):
    spec = wave_sources(**overrides)
    spec["groups"] = [{"id": "leadership", "label": "the board"},
                      {"id": "customers", "label": "members"}]
    return cx.load_study(spec, base_dir=tmp_path)


def test_a_headline_change_is_said_by_display_names_with_shares_as_shares(tmp_path):
    study = _labelled_study(tmp_path)
    trends = _trend_row()
    assert report.change_since_sentence(trends, study, "excellent", "leadership") == (
        "Since 2025 this gap has narrowed from +60 points (change -30, unadjusted 95% CI -45 to "
        "-15; "
        "adjusted p < 0.001); who answer “Strongly agree” or “Agree”: the board 80% → 70%, "
        "members 20% → 40%.")
    assert report.trend_sentences(trends, study, headline=True) == [
        "The board–members gap on “We are excellent” narrowed: +60 points in 2025, +30 "
        "in 2026 (change -30, unadjusted 95% CI -45 to -15; adjusted p < 0.001); who answer "
        "“Strongly agree” or “Agree”: the board 80% → 70%, members 20% → 40%."]
    over_all = report.trend_sentences(trends, study)[0]  # the table's family: p 0.010
    assert "adjusted p 0.010" in over_all and "leadership" not in over_all


def test_a_change_is_called_clear_only_when_its_adjusted_p_says_so(tmp_path):
    """The (unadjusted) interval excludes zero, but after the correction the change does
    not hold: the sentence does not say the gap narrowed."""
    study = _labelled_study(tmp_path)
    trends = _trend_row(p_adjusted=0.2, p_adjusted_headline=0.2)
    assert report.change_since_sentence(trends, study, "excellent", "leadership").startswith(
        "Since 2025 this gap has not changed clearly: it was +60 points (change -30")
    assert "did not change clearly: +60 points in 2025, +30 in 2026" in \
        report.trend_sentences(trends, study)[0]
    assert report.trend_sentences(trends, study, significant_only=True) == []


def test_a_headline_change_not_computed_says_why(tmp_path):
    study = _labelled_study(tmp_path)
    blank = {c: float("nan") for c in ("gap_from", "gap_to", "change", "change_low",
                                       "change_high", "p_value", "p_adjusted",
                                       "p_adjusted_headline")}
    broken = _trend_row(**blank, note="break in series at wave 2026: a neutral answer "
                        "was added")
    assert report.change_since_sentence(broken, study, "excellent", "leadership") == (
        "No change since 2025 is shown: break in series at wave 2026: a neutral answer was "
        "added.")
    assert report.change_since_sentence(broken, study, "excellent", "staff") == ""


def test_the_family_of_two_headline_items_and_of_no_correction(tmp_path):
    study = _labelled_study(tmp_path, items=[
        {"id": i, "text": i, "scale": "agree5", "column": c, "headline": True}
        for i, c in (("a", "Q1"), ("b", "Q2"))])
    gaps = pd.DataFrame({"wave": "2026", "item": ["a", "b"], "p_value": [0.01, 0.02]})
    trends = pd.DataFrame({"item": ["a", "b", "a", "b"], "p_value": [0.1, 0.2, 0.3, 0.4],
                           "from_wave": ["2024", "2024", "2025", "2025"],
                           "to_wave": ["2025", "2025", "2026", "2026"],
                           "p_adjusted_headline": 0.5})
    assert report.headline_family_note(study, gaps, trends).startswith(
        "The headline p-values are adjusted over the 2 headline items alone, the study's "
        "primary question (Holm), in two families: their 2 gaps in 2026, and their 2 changes "
        "from 2025 to 2026 (and so for each pair of waves);")
    import dataclasses

    none = dataclasses.replace(study, correction="none")
    assert report.headline_family_note(none, gaps) == (
        "The headline p-values are not adjusted for multiple comparisons (the study's "
        "correction is none). The 95% intervals are not adjusted for multiple comparisons.")


def test_intervals_beside_adjusted_p_values_say_they_are_not_adjusted(tmp_path):
    study = cx.load_study(minimal_study(confidence=0.9), base_dir=tmp_path)
    assert report.interval_note(study, adjusted=False) == (
        "The 90% intervals are not adjusted for multiple comparisons; the p-values are.")
    assert report.interval_note(study, adjusted=True) == (
        "The 90% intervals are adjusted for multiple comparisons, as the p-values are.")


def test_a_metric_is_named_as_the_summary_names_it(tmp_path):
    study = cx.load_study(minimal_study(metrics={
        "ces": {"columns": {"customers": "Q3"}, "scale": "agree5"},
        "effort": {"kind": "ces", "columns": {"customers": "Q4"}, "scale": "agree5"},
        "loyalty": {"kind": "nps", "columns": {"customers": "Q5"}}}), base_dir=tmp_path)
    assert report.metric_label(study, "ces") == "CES (mean effort score)"
    assert report.metric_label(study, "ces_low_effort") == "CES: low effort (top-box)"
    assert report.metric_label(study, "effort_low_effort") == \
        "CES: low effort (top-box): effort low effort"
    assert report.metric_label(study, "loyalty") == "NPS (points)"  # the study's only NPS
    # as the summary's metric table names the same rows
    table = pd.DataFrame({"metric": ["ces", "ces_low_effort", "effort_low_effort", "loyalty"],
                          "kind": ["ces", "ces_low_effort", "ces_low_effort", "nps"]})
    assert [report.metric_label(study, m) for m in table["metric"]] == \
        report.metric_names(table)


# ---------------------------------------------------------------------------
# honest summaries: whom agreement covers, what the counts count, why a metric has no gap


def _agreement_case(crew_q2):
    """Executives, cabin crew and frequent fliers, 400 each at 50% on q1 and q2, except
    the crew's answers to q2 (``crew_q2``)."""
    from .conftest import make_responses
    from .test_gaps import three_audiences, top_share

    study = three_audiences()
    answers = make_responses({
        "execs": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)},
        "crew": {"q1": top_share(400, 0.5), "q2": crew_q2},
        "fliers": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)}})
    return study, cx.gap_table(answers, study)


def test_agreement_says_which_audiences_it_covers():
    """Three audiences, the crew without answers to q2: the note names whom q2's agreement
    covers, and the table lists q2 with the executives only (by their display names)."""
    study, gaps = _agreement_case([None] * 400)
    note = report.agreement_note(study, gaps)
    assert note.startswith("An item counts as agreed only when, for every audience that "
                           "answered it, the whole 90% interval of its gap lies within ±10 "
                           "points of Frequent fliers (equivalence: two one-sided tests at "
                           "α = 0.05).")
    assert note.endswith("No answers from Cabin crew to “Item q2”, so agreement there covers "
                         "Executives only.")
    table = report.agreements(gaps, study)
    assert list(table.columns) == ["Item", "Audience", "n", "Top box (95% CI)",
                                   "Top box, Frequent fliers (95% CI)",
                                   "Gap, points (90% interval)", "Note"]
    assert list(zip(table["Item"], table["Audience"], strict=True)) == [
        ("Item q1", "Executives"), ("Item q1", "Cabin crew"), ("Item q2", "Executives")]
    assert set(table["Note"]) == {"—"}  # none of these gaps is significant
    # stacked waves are decided within each: a wave where nothing agrees adds no row
    waves = pd.concat([gaps.assign(wave="2025"), gaps.assign(wave="2026", equivalent=False)])
    assert len(report.agreements(waves, study)) == 3
    # every audience answered every item: the note says so
    study, gaps = _agreement_case([5] * 200 + [2] * 200)
    assert report.agreement_note(study, gaps).endswith(
        "It covers Executives and Cabin crew on every item.")


def test_too_few_and_a_reference_without_answers_are_said():
    from .conftest import make_responses
    from .test_gaps import three_audiences, top_share

    study = three_audiences()
    gaps = cx.gap_table(make_responses({
        "execs": {"q1": top_share(400, 0.5), "q2": top_share(400, 0.5)},
        "crew": {"q1": top_share(3, 0.5) + [None] * 397, "q2": top_share(400, 0.5)},
        "fliers": {"q1": top_share(400, 0.5), "q2": [None] * 400}}), study)
    note = report.agreement_note(study, gaps)
    assert ("On “Item q1”, Cabin crew answered but too few to show (fewer than 5 "
            "respondents), so these items cannot be shown to agree for every audience.") in note
    assert "On “Item q2”, Frequent fliers gave no answers to compare with." in note
    assert report.agreements(gaps, study).empty
    assert report.agreement_none(study, gaps) == (
        "No item can be shown to agree: none could be compared for every audience.")
    # an item compared for everyone, not within the margin: its interval is said to reach past
    study, gaps = _agreement_case([5] * 300 + [2] * 100)  # the crew: 75% against 50% on q2
    assert report.agreements(gaps, study)["Item"].tolist() == ["Item q1", "Item q1"]
    assert report.agreement_none(study, gaps.query("item == 'q2'")) == (
        "No item: on every item compared, at least one gap's 90% interval reaches beyond "
        "±10 points.")


def test_a_significant_gap_within_the_margin_is_explained_not_contradicted():
    """+5 points with 4,000 on each side: significant, and its 90% interval (+3 to +7) is
    within ±10, so the item agrees; the table and both notes say why it is in both lists."""
    from .conftest import make_responses
    from .test_gaps import three_audiences, top_share

    study = three_audiences()
    gaps = cx.gap_table(make_responses({
        "execs": {"q1": top_share(4000, 0.55), "q2": top_share(4000, 0.8)},
        "crew": {"q1": [None] * 4000, "q2": [None] * 4000},
        "fliers": {"q1": top_share(4000, 0.5), "q2": top_share(4000, 0.5)}}), study)
    table = report.agreements(gaps, study)
    assert list(table["Item"]) == ["Item q1"]
    assert table["Gap, points (90% interval)"].iloc[0] == "+5 (+3 to +7)"
    assert table["Note"].iloc[0] == "significant (adjusted p < 0.001) but within ±10 points"
    assert ("Significant but within ±10 points: Executives on “Item q1”. Such a gap is a real "
            "difference, detected because the audiences are large, and smaller than the "
            "margin, so the item still counts as agreed.") in report.agreement_note(study, gaps)
    note = report.largest_gaps_note(gaps, study, top=6)
    assert ("1 of the significant gaps is within ±10 points: significant but small, a real "
            "difference smaller than the agreement margin.") in note
    largest = report.largest_gaps(gaps, study, top=6)
    assert list(largest["Item"]) == ["Item q2", "Item q1"]  # both significant, both shown
    assert list(largest["Note"]) == ["—", "significant but within ±10 points"]


def test_n_of_m_counts_only_the_gaps_computed():
    """Three items, the crew of three (under min_group_size) and without answers to q3:
    the 3 executives' gaps are computed, the crew's 3 are not and are counted apart."""
    from .conftest import make_responses
    from .test_gaps import three_audiences

    study = cx.load_study({**_three_items(three_audiences)})
    gaps = cx.gap_table(make_responses({
        "execs": {q: [5] * 30 + [2] * 10 for q in ("q1", "q2", "q3")},
        "crew": {"q1": [5, 2, 2], "q2": [5, 5, 2], "q3": [None] * 3},
        "fliers": {q: [5] * 10 + [2] * 30 for q in ("q1", "q2", "q3")}}), study)
    assert len(gaps) == 6 and gaps["suppressed"].sum() == 3
    assert report.largest_gaps_note(gaps, study, top=2) == (
        "3 of the 3 gaps computed are significant after the correction for multiple "
        "comparisons; 3 more are not computed (1 with no answers from the audience or "
        "Frequent fliers and 2 resting on fewer than 5 respondents). The 2 largest where an "
        "audience sits above Frequent fliers are shown. Every gap: [Perception gaps]"
        "(gaps.html).")
    crew_only = gaps[gaps["group"] == "crew"]
    assert report.largest_gaps_note(crew_only, study, top=2) == (
        "No gap is computed (1 with no answers from the audience or Frequent fliers and 2 "
        "resting on fewer than 5 respondents). Every gap: [Perception gaps](gaps.html).")
    shares = cx.share_table(make_responses({
        "execs": {q: [5] * 30 + [2] * 10 for q in ("q1", "q2", "q3")},
        "crew": {"q1": [5, 2, 2], "q2": [5, 5, 2], "q3": [None] * 3},
        "fliers": {q: [5] * 10 + [2] * 30 for q in ("q1", "q2", "q3")}}), study)
    assert report.suppressed_note(shares, study) == (
        "Not shown: 1 estimate for Cabin crew (no answers); 2 estimates for Cabin crew "
        "(fewer than 5 respondents).")


def _three_items(factory) -> dict:
    """The mapping of :func:`three_audiences` with a third item."""
    study = factory()
    return {"study": "t", "slug": "t", "min_group_size": 5,
            "groups": [{"id": g, "label": study.label(g)} for g in study.groups],
            "reference": study.reference, "sources": [{"path": "x.csv", "group_column": "g"}],
            "scales": {"s": {"labels": ["L1", "L2", "L3", "L4", "L5"], "top_box": 2}},
            "items": [{"id": i, "text": f"Item {i}", "scale": "s", "column": i}
                      for i in ("q1", "q2", "q3")]}


def _two_waves(tmp_path):
    """The minimal study in waves 2025 and 2026; the same five leaders answer in both."""
    from .conftest import write

    leaders = [["id", "Q1"]] + [[f"L{i}", "Agree"] for i in range(5)]
    write(tmp_path / "l25.csv", [*leaders, ["L9", "Agree"]])
    write(tmp_path / "l26.csv", leaders)
    write(tmp_path / "c25.csv", [["id", "Q1"]] + [[f"C{i}", "Disagree"] for i in range(8)])
    write(tmp_path / "c26.csv", [["id", "Q1"]] + [[f"D{i}", "Agree"] for i in range(7)])
    sources = [{"path": f"{g[0]}{w[2:]}.csv", "group": g, "wave": w, "id_column": "id",
                "name": f"{g}_{w}"} for w in ("2025", "2026") for g in ("leadership",
                                                                       "customers")]
    study = cx.load_study(minimal_study(waves=["2025", "2026"], sources=sources),
                          base_dir=tmp_path)
    return cx.analyze(study)


def test_counts_say_which_wave_they_count(tmp_path):
    res = _two_waves(tmp_path)
    study = res.study
    assert report.study_line(res) == (
        "**Test study** — wave 2026 (the latest of 2025 and 2026) — 12 respondents in 2026: "
        "leadership 5, customers 7")
    assert report.quality_line(res.dropped, res.sources, study) == (
        "26 responses read from 4 exports of both waves (2025 and 2026); 26 kept (14 in "
        "2025, 12 in 2026).")
    assert report.quality_line(res.dropped, res.sources) == (  # no study: no waves to name
        "26 responses read from 4 exports; 26 kept.")
    assert report.all_waves_note(res.sources, study) == (
        "Rows of both waves (2025 and 2026) together; the sources table gives each export's "
        "wave.")
    shown = report.sources_display(res.sources, study)
    assert list(shown.columns) == ["Source", "File", "Format", "Audience", "Wave",
                                   "Rows read", "Kept"]
    assert list(shown["Wave"]) == ["2025", "2025", "2026", "2026"]
    assert list(shown["Kept"]) == [6, 8, 5, 7]


def test_repr_counts_each_wave_apart_and_the_returning_once(tmp_path):
    text = repr(_two_waves(tmp_path))
    assert "  respondents in 2025: leadership 6, customers 8\n" in text
    assert "  respondents in 2026: leadership 5, customers 7 (reference: customers)\n" in text
    assert "  answered in more than one wave (counted in each): leadership 5\n" in text
    assert "leadership 11" not in text  # the same five leaders are not added up


def _metric_study(tmp_path, groups, columns, reference="customers"):
    from .conftest import write

    for group in groups:
        write(tmp_path / f"{group}.csv", [["Q1", "NPS"]] + [["Agree", "9"]] * 12)
    study = cx.load_study(minimal_study(
        groups=list(groups), reference=reference,
        sources=[{"path": f"{g}.csv", "group": g} for g in groups],
        items=[{"id": "q", "text": "Q", "scale": "agree5", "column": "Q1"}],
        metrics={"nps": {"columns": columns}}), base_dir=tmp_path)
    res = cx.analyze(study)
    return study, res.metrics, res.metric_gaps


def test_a_metric_without_a_gap_says_why(tmp_path):
    study, metrics, gaps = _metric_study(tmp_path, ("leadership", "customers"),
                                         {"customers": "NPS"})
    assert gaps.empty
    assert report.metric_gaps_note(metrics, gaps, study) == (
        "NPS was asked of customers only, so there is no gap to show: a gap compares an "
        "audience with customers.")
    assert report.metrics_blurb(metrics, study).endswith("Asked of customers.")
    study, metrics, gaps = _metric_study(tmp_path, ("leadership", "staff", "customers"),
                                         {"leadership": "NPS", "staff": "NPS"})
    assert report.metric_gaps_note(metrics, gaps, study) == (
        "NPS was not asked of customers, and every gap is against customers, so there is "
        "none to show.")
    study, metrics, gaps = _metric_study(tmp_path, ("leadership", "customers"),
                                         {"leadership": "NPS", "customers": "NPS"})
    assert len(gaps) == 1 and report.metric_gaps_note(metrics, gaps, study) == ""
    shown = report.metric_gap_display(gaps, metrics, study)
    assert list(shown.columns) == ["Metric", "Compared", "Gap (unadjusted 95% CI)", "p",
                                   "p (adjusted)"]


def test_a_gap_named_by_labels_keeps_one_article(tmp_path):
    """A label that starts with "the" opens a sentence once: "The board–members gap"."""
    study = _labelled_study(tmp_path)
    assert report.the_gap(study, "leadership", "customers") == "The board–members gap"
    plain = cx.load_study(minimal_study(groups=[{"id": "leadership", "label": "R&D <team>"},
                                                "customers"]), base_dir=tmp_path)
    assert report.the_gap(plain, "leadership", "customers") == (
        "The R&amp;D &lt;team&gt;–customers gap")


def test_the_calibration_section_says_what_the_estimates_are_of(tmp_path):
    """Estimates of the top box ("agree"), or of a reversed item's bottom box, as the
    study's scale words them; several different ones are named together."""
    scale = {**AGREE5, "top_box_label": "agree", "bottom_box_label": "disagree"}
    items = [{"id": "excellent", "text": "We are excellent", "scale": "agree5", "column": "Q1"},
             {"id": "hard", "text": "It is hard", "scale": "agree5", "column": "Q2",
              "reverse": True}]

    def study(*estimated):
        return cx.load_study(minimal_study(scales={"agree5": scale}, items=items, estimates=[
            {"item": i, "columns": {"leadership": f"E{n}"}} for n, i in enumerate(estimated)]),
            base_dir=tmp_path)

    assert report.calibration_intro(study("excellent")) == (
        "Each audience that estimated said what share of customers would agree; against what "
        "they answered.")
    assert "customers would disagree;" in report.calibration_intro(study("hard"))
    assert "would choose the answers each item's share counts;" in report.calibration_intro(
        study("excellent", "hard"))


def test_the_method_names_the_gap_with_a_possessive(tmp_path):
    study = cx.load_study(minimal_study(groups=[
        "leadership", {"id": "customers", "label": "Star Wars fans"}]), base_dir=tmp_path)
    assert ("- **Gap**: an audience's share minus Star Wars fans' share, with Newcombe's"
            in report.method_notes(study))

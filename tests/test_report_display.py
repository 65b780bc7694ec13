"""The report's tables (cxstudy.report.display): what each helper shows, prose that wraps,
figures that stay whole."""

from __future__ import annotations

import re

import pandas as pd

import cxstudy as cx
from cxstudy import report, voices

from .conftest import minimal_study


def test_tables_wrap_prose_and_keep_figures_whole():
    """Quotes and item wording wrap (text columns are "str" under pandas 3, not object);
    figures with their intervals are not prose."""
    frame = pd.DataFrame({
        "Answer": ["The engineer was friendly and fixed the boiler in an hour, thank you",
                   "Fine"],
        "Share (CI)": ["76% (57–89%)", "12% (10–14%)"],
        "p (adjusted)": ["< 0.001 (score)", "0.012 (fisher)"],
        "n": [25, 968]})
    from cxstudy import report

    page = report.table_html(frame)
    kinds = {name: kind for kind, name in re.findall(r'<th class="([\w-]+)">([^<]+)</th>',
                                                     page)}
    assert kinds == {"Answer": "cx-prose", "Share (CI)": "cx-fig", "p (adjusted)": "cx-fig",
                     "n": "cx-num"}


def test_display_helpers_read_right(example_responses):
    study, responses = example_responses
    res = cx.analyze(study, responses).latest
    index = report.gap_index_display(res.gap_index, study)
    assert list(index.columns) == ["Audience", "Reference", "Items", "Index", "95% CI"]
    assert index["Index"].str.fullmatch(r"\d+ points").all()
    assert index["95% CI"].str.fullmatch(r"\d+–\d+ points").all()

    spots = report.blind_spot_display(res.gaps, res.blind_spots, study)
    assert len(spots) == len(res.blind_spots)
    shown = spots["Gap, points (unadjusted 95% CI)"]
    gaps_shown = [int(text.split()[0]) for text in shown]
    # largest first over the whole table, as the page says, not grouped by audience
    assert gaps_shown == sorted(gaps_shown, reverse=True)
    assert spots["Audience"].nunique() > 1

    ipa = report.importance_display(res.importance, study)
    assert "Importance (95% CI)" in ipa.columns
    assert len(ipa) == len(res.importance) and set(ipa["Quadrant"]) <= {
        "concentrate here", "keep up the good work", "low priority", "possible overkill", "–"}

    kruskal = report.kruskal_display(res.kruskal, study)
    assert {"n leadership", "n staff", "n customers"} <= set(kruskal.columns)

    clash = voices.disagreements(res.themes, study)
    assert clash.empty  # the example: no audience leans to "problem" on a theme others praise
    made = pd.DataFrame({"theme": ["money"], "label": ["Money"], "says_strength": ["staff"],
                         "strength_share": [0.75], "strength_n": [20], "says_problem":
                         ["leadership"], "problem_share": [0.73], "problem_n": [25],
                         "strength_problem_share": [0.125], "problem_strength_share": [0.1],
                         "lead": [1.255]})
    shown = report.disagreement_display(made, study)
    assert list(shown.columns) == ["Theme", "A strength for", "share", "n", "as a problem",
                                   "A problem for", "share ", "n ", "as a strength"]
    assert shown.iloc[0].tolist() == ["Money", "staff", "75%", 20, "12%", "leadership",
                                      "73%", 25, "10%"]


def test_metric_gaps_read_like_the_other_tables(tmp_path):
    (tmp_path / "leaders.csv").write_text("Q1,NPS,CES\n" + "Agree,10,5\n" * 40 + "Agree,9,4\n")
    (tmp_path / "customers.csv").write_text("Q1,NPS,CES\n" + "Disagree,3,2\n" * 30
                                            + "Agree,9,3\n" * 9)
    study = cx.load_study(minimal_study(
        scales={"agree5": minimal_study()["scales"]["agree5"],
                "effort5": {"values": [1, 2, 3, 4, 5], "top_box": 2}},
        metrics={"nps": {"column": "NPS"}, "ces": {"column": "CES", "scale": "effort5"}}),
        base_dir=tmp_path)
    res = cx.analyze(study)
    shown = report.metric_gap_display(res.metric_gaps, res.metrics, study)
    assert list(shown["Metric"]) == ["NPS (points)", "CES (mean effort score)",
                                     "CES: low effort (top-box)"]
    assert list(shown["p"][:2]) == ["< 0.001", "< 0.001"]  # never "0.0"
    nps = shown.iloc[0]["Gap (unadjusted 95% CI)"]
    assert re.fullmatch(r"\+\d+ \(\+\d+ to \+\d+\)", nps), nps
    ces = shown.iloc[1]["Gap (unadjusted 95% CI)"]
    assert re.fullmatch(r"\+\d\.\d\d \(\+\d\.\d\d to \+\d\.\d\d\)", ces), ces
    assert shown.iloc[0]["Compared"] == "leadership − customers"


def test_tables_mark_a_reversed_item_with_the_answers_its_share_counts(tmp_path):
    """The flipped shape's reversed item, in every table that shows items: its share
    counts "Strongly disagree" or "Disagree", and each row of it says so; a plain item
    is shown as written."""
    import numpy as np

    from .shapes import flipped

    res = cx.analyze(flipped(tmp_path, np.random.default_rng(1)))
    study, now = res.study, res.latest
    counted = ("Dealing with us can be frustrating (reverse-scored: share who answer "
               "“Strongly disagree” or “Disagree”)")
    gaps = report.gap_display(now.gaps, study)
    assert gaps["Item"].tolist() == [counted, "People here are helpful"]
    row = gaps.iloc[0]
    assert row["Top box (95% CI)"].startswith("60% (") and \
        row["Top box, clients (95% CI)"].startswith("12% (")
    assert report.largest_gaps(now.gaps, study)["Item"].tolist()[0] == counted
    spots = report.blind_spot_display(now.gaps, now.blind_spots, study)
    assert counted in spots["Item"].tolist()
    assert report.kruskal_display(now.kruskal, study)["Item"].tolist() == [
        "Dealing with us can be frustrating (reverse-scored)", "People here are helpful"]
    assert report.item_texts(now.shares, study)[0] == counted
    html_table = report.table_html(gaps)
    assert "(reverse-scored: share who answer “Strongly disagree” or “Disagree”)" in html_table


def test_trend_and_segment_tables_mark_the_examples_reversed_item(example_cleaned):
    """The example's "Dealing with us can be frustrating" (reverse: true; its scale's
    bottom_box_label is "disagree") is marked wherever the trend and segment tables show
    it; a plain item is not."""
    from cxstudy.analysis import Results

    study, _raw, result = example_cleaned
    res = Results(study, result.responses)
    counted = "Dealing with us can be frustrating (reverse-scored: share who disagree)"
    trends = report.trend_display(res.trends, study)
    assert counted in set(trends["Item"])
    assert "We deliver an excellent customer experience" in set(trends["Item"])
    assert not trends["Item"].str.fullmatch("Dealing with us can be frustrating").any()
    segments = report.segment_display(res.latest.segments, study)
    assert counted in set(segments["Item"])
    levels = report.levels_display(res.latest.segments, study)
    assert "Dealing with us can be frustrating (reverse-scored)" in set(levels["Item"])
    assert not levels["Item"].isna().any()
    importance = report.importance_display(res.latest.importance, study)
    assert counted in set(importance["Item"])


def test_the_gaps_page_draws_a_dimension_of_headline_items_alone_once():
    """A dimension holding only the headline item is not drawn again (its chart would be
    the headline chart); a dimension holding it beside other items keeps its chart."""
    agree = minimal_study()["scales"]
    items = [{"id": "excellent", "text": "We are excellent", "scale": "agree5",
              "column": "Q1", "headline": True, "dimension": "Overall"},
             {"id": "fast", "text": "We are fast", "scale": "agree5", "column": "Q2",
              "dimension": "Service"},
             {"id": "kind", "text": "We are kind", "scale": "agree5", "column": "Q3",
              "dimension": "Service"}]
    study = cx.load_study(minimal_study(scales=agree, items=items), base_dir=".")
    assert report.headline_items(study) == ["excellent"]
    assert report.dimension_charts(study) == [("Service", ["fast", "kind"])]
    items[0]["dimension"] = "Service"
    shared = cx.load_study(minimal_study(scales=agree, items=items), base_dir=".")
    assert report.dimension_charts(shared) == [("Service", ["excellent", "fast", "kind"])]
    items[0]["headline"] = False  # no headline item: the first item is drawn on its own
    plain = cx.load_study(minimal_study(scales=agree, items=[items[0] | {"dimension": "A"},
                                                             *items[1:]]), base_dir=".")
    assert report.headline_items(plain) == ["excellent"]
    assert report.dimension_charts(plain) == [("Service", ["fast", "kind"])]


def _voices_study(waves=("2025", "2026"), question="Why *so*?"):
    return cx.load_study(minimal_study(
        open_ended=[{"id": "why", "question": question, "column": "OE",
                     "waves": list(waves)}], waves=["2025", "2026"],
        sources=[{"path": "l.csv", "group": "leadership", "wave": "2025"},
                 {"path": "c.csv", "group": "customers", "wave": "2025"},
                 {"path": "l6.csv", "group": "leadership", "wave": "2026"},
                 {"path": "c6.csv", "group": "customers", "wave": "2026"}]),
        base_dir=".")


def test_a_voices_question_without_a_chart_says_why():
    from cxstudy.tables import THEMES

    study = _voices_study()
    nan = float("nan")

    def themes(n, share):
        return pd.DataFrame({"question": "why", "theme": "speed", "label": "Speed",
                             "group": ["leadership", "customers"], "n": n, "share": share}
                            ).reindex(columns=THEMES.all_columns)

    nobody = report.theme_chart_note(themes([0, 0], [nan, nan]), study, "why", "2026")
    assert nobody == ("“Why \\*so\\*?”: no answers in wave 2026 (not asked in that wave), "
                      "so no chart.")
    few = report.theme_chart_note(themes([3, 2], [nan, nan]), study, "why", "2026")
    assert few == ("“Why \\*so\\*?”: every audience gave fewer than 5 answers in wave 2026, "
                   "too few to show, so no chart.")
    assert report.theme_chart_note(themes([30, 20], [0.5, nan]), study, "why", "2026") == ""
    assert report.theme_chart_note(themes([0, 0], [nan, nan]).iloc[:0], study, "why",
                                   "2026").startswith("“Why \\*so\\*?”: no answers")
    only_2025 = _voices_study(waves=["2025"])
    empty = themes([0, 0], [nan, nan]).iloc[:0]
    assert report.theme_chart_note(empty, only_2025, "why", "2026") == ""  # said above


def test_the_trends_tables_write_shares_as_shares_and_metrics_by_name(example_responses):
    """The Trends page: each audience's share before and after as shares ("27% → 30%"),
    gaps and changes in signed points; a metric by its display name, never its id; a
    mean in its units; no "Waves" column repeating the one pair of waves."""
    import dataclasses

    study, responses = example_responses
    study = dataclasses.replace(study, group_labels={**study.group_labels,
                                                     "staff": "front-line staff"})
    res = cx.analyze(study, responses)
    trends = report.trend_display(res.trends, study)
    assert list(trends.columns) == [
        "Item", "Audience", "Gap, points", "Change, points (unadjusted 95% CI)", "p (adjusted)",
        "Audience's share", "Customers' share", "n (before / after)", "Note"]
    first = trends.iloc[0]
    assert (first["Audience"], first["Gap, points"], first["Audience's share"],
            first["Customers' share"]) == ("leadership", "+76 → +64", "80% → 76%",
                                          "4% → 12%")
    assert "front-line staff" in set(trends["Audience"]) and "staff" not in set(
        trends["Audience"])
    metrics = res.metric_trends
    shares = metrics["kind"].map(report.in_points).astype(bool)
    pointed = report.change_display(metrics[shares], study, "Metric").set_index("Metric")
    assert pointed.loc["CES: low effort (top-box)", "Before → after"] == "27% → 30%"
    assert pointed.loc["CSAT (top-box)", "Before → after"] == "33% → 36%"
    assert pointed.loc["NPS (points)", "Before → after"] == "-39 → -31"  # NPS: points
    assert pointed.loc["CES: low effort (top-box)", "Change, points (unadjusted 95% CI)"] == \
        "+4 (+0 to +8)"
    means = report.change_display(metrics[~shares], study, "Metric")
    assert means.iloc[0]["Metric"] == "CES (mean effort score)"
    assert means.iloc[0]["Before → after"] == "3.62 → 3.74"  # a mean: unsigned
    dimensions = report.change_display(res.dimension_trends, study, "Dimension")
    assert dimensions.iloc[0]["Before → after"] == "+1.80 → +1.41"  # a difference: signed
    assert set(dimensions["Audience"]) == {"leadership", "front-line staff"}
    for frame in (trends, pointed.reset_index(), means, dimensions):
        assert "Waves" not in frame.columns  # one pair of waves: said by the heading
        assert not frame.astype(str).apply(lambda c: c.str.contains("ces_low_effort")).any(
            ).any()


def _ipa(points):
    return pd.DataFrame({"item": [f"i{k}" for k in range(len(points))],
                         "performance": [p for p, _ in points],
                         "importance": [i for _, i in points]})


def test_the_importance_chart_is_drawn_only_where_its_quadrants_mean_something():
    """sites (two items at one point) and tiny (one item) drew a point on the crosshairs
    labelled a quadrant: the chart and its table need three items at distinct points,
    not all at one performance or one importance; otherwise one sentence says why."""
    assert report.importance_drawable(_ipa([(0.2, 0.1), (0.5, 0.3), (0.4, -0.1)])) == ""
    one = report.importance_drawable(_ipa([(0.2, 0.1), (None, 0.3), (0.4, None)]))
    assert one == ("No importance-performance chart: only one item has both a performance "
                   "and an importance, and the chart needs at least 3 to place items "
                   "against their means.")
    assert "no item has" in report.importance_drawable(_ipa([]))
    assert "only 2 items have" in report.importance_drawable(_ipa([(0.2, 0.1), (0.3, 0.2)]))
    same = report.importance_drawable(_ipa([(0.29, 0.1), (0.29, 0.1), (0.29, 0.1)]))
    assert same.startswith("No importance-performance chart: the 3 items fall on one point,")
    two = report.importance_drawable(_ipa([(0.29, 0.1), (0.29, 0.1), (0.3, 0.2)]))
    assert "the 3 items fall on only 2 distinct points" in two
    flat = report.importance_drawable(_ipa([(0.3, 0.1), (0.3, 0.2), (0.3, 0.4)]))
    assert flat == ("No importance-performance chart: the 3 items have the same "
                    "performance, so every item sits on the mean and no quadrant tells "
                    "them apart.")

"""The figures (cxstudy.plots): alt text that says what a figure shows, audiences below the
minimum not drawn, seaborn's look without seaborn."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.transforms import Bbox

import cxstudy as cx
from cxstudy import plots

from .conftest import make_responses, make_study, pages


def test_every_image_has_meaningful_alt_text(built):
    _project, serial, _parallel, _raw = built
    for name, text in pages(serial / "reports" / "example").items():
        images = re.findall(r"<img [^>]*>", text)
        assert images, name
        for image in images:
            alt = re.search(r'alt="([^"]*)"', image)
            assert alt and len(alt.group(1)) > 40 and alt.group(1) != "Figure", name
    headline = re.search(r'<img [^>]*alt="([^"]*)"', pages(serial / "reports" / "example")[
        "index.html"]).group(1)
    assert "leadership: 76%" in headline and "n = 25" in headline and "95% CI" in headline


def test_the_figure_style_is_seaborns_whitegrid_without_importing_seaborn():
    """plots.style() writes out what seaborn's set_theme sets (so pages need not import
    seaborn and scipy); it must stay what seaborn would set, and blend() seaborn's
    blend_palette."""
    import matplotlib as mpl
    import seaborn as sns

    from cxstudy import plots

    with mpl.rc_context():
        sns.set_theme(context="notebook", style="whitegrid", font_scale=1.0)
        seaborns = dict(mpl.rcParams)
    with mpl.rc_context():
        plots.style()
        ours = dict(mpl.rcParams)
    left_out = {"image.cmap"}  # seaborn's own "rocket"; every image here names its map
    ours_overrides = set(plots.REPORT_STYLE)
    differ = {key for key in seaborns if seaborns[key] != ours[key]}
    assert differ <= left_out | ours_overrides, sorted(differ - left_out - ours_overrides)
    for n in (3, 4, 5, 7, 11):
        assert plots.blend([plots.NEGATIVE, plots.NEUTRAL, plots.POSITIVE], n) == [
            tuple(c) for c in sns.blend_palette([plots.NEGATIVE, plots.NEUTRAL,
                                                 plots.POSITIVE], n_colors=n)]


# ---------------------------------------------------------------------------
# figures drawn from small tables: what they say, and what they leave out


@pytest.fixture(scope="module")
def one_audience_too_small():
    """Audience b (3 respondents) is below the minimum of 5; a (6) and ref (8) are not."""
    study = make_study(groups=("a", "b", "ref"), items=("q1", "q2"), min_group_size=5)
    responses = make_responses({
        "a": {"q1": [5, 5, 4, 1, 2, 3], "q2": [1, 1, 2, 5, 5, 5]},
        "b": {"q1": [5, 4, 3], "q2": [1, 2, 3]},
        "ref": {"q1": [1, 2, 3, 4, 5, 5, 5, 1], "q2": [1, 2, 3, 4, 5, 5, 5, 1]}})
    return study, responses


def test_share_dots_say_every_share_with_its_interval_and_draw_no_suppressed_one(
        one_audience_too_small):
    study, responses = one_audience_too_small
    fig = plots.share_dots(cx.share_table(responses, study), study, title="Agreement")
    try:
        alt = fig.cx_alt
        assert alt.startswith("Agreement. Dot plot of top-box shares with intervals: ")
        assert "q1 — a: 50% (95% CI 19%–81%, n = 6)" in alt
        assert "q2 — ref: 50% (95% CI 22%–78%, n = 8)" in alt
        assert "q1 — b: suppressed (n = 3)" in alt and "q2 — b: suppressed (n = 3)" in alt
        ax = fig.axes[0]
        points = {bars.get_label(): len(bars.lines[0].get_xydata()) for bars in ax.containers}
        assert points == {"a (n = 6)": 2, "b (n = 3)": 0, "ref (n = 8)": 2}
        assert [text.get_text() for text in ax.texts] == ["50%"] * 4  # no label for b
    finally:
        plt.close(fig)


def test_distribution_bars_leave_out_an_audience_below_the_minimum(one_audience_too_small):
    study, responses = one_audience_too_small
    fig = plots.distribution_bars(cx.level_counts(responses, study), study, ["q1", "q2"],
                                  title="Answers")
    try:
        labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
        assert labels == ["q1\na (n = 6)", "q1\nref (n = 8)", "q2\na (n = 6)", "q2\nref (n = 8)"]
        assert "— b" not in fig.cx_alt
        assert "q1 — a (n = 6): L1 17%, L2 17%, L3 17%, L4 17%, L5 33%" in fig.cx_alt
    finally:
        plt.close(fig)


def test_distribution_bars_of_nobody_large_enough_say_so():
    study = make_study(groups=("a", "ref"), items=("q1",), min_group_size=50)
    responses = make_responses({"a": {"q1": [1, 2, 3]}, "ref": {"q1": [1, 2]}})
    fig = plots.distribution_bars(cx.level_counts(responses, study), study, ["q1"],
                                  title="Answers")
    try:
        assert fig.cx_alt == "Answers: no audience reaches the minimum group size."
        assert not fig.axes[0].patches  # no bar
    finally:
        plt.close(fig)


def test_no_theme_chart_for_a_question_not_asked_in_the_wave_shown(tmp_path):
    """A question asked in another wave has no rows in this wave's themes: no figure, not
    an empty one."""
    import pandas as pd

    from cxstudy.tables import THEMES

    study = make_study()
    before = plt.get_fignums()
    assert plots.theme_dots(pd.DataFrame(columns=THEMES.all_columns), study, "why",
                            title="Why?") is None
    assert plt.get_fignums() == before


def test_the_slope_chart_is_not_joined_across_a_break():
    import pandas as pd

    from cxstudy.model import SeriesBreak

    study = make_study(groups=("a", "ref"))
    item = study.items[0]
    study = study.__class__(**{**study.__dict__, "waves": ("2015", "2016"), "items": (
        item.__class__(**{**item.__dict__, "series_break": SeriesBreak("2016", "a neutral "
                                                                       "answer was added")}),)})
    gaps = pd.DataFrame({"wave": ["2015", "2016"], "item": "q", "text": "Leave?",
                         "group": "a", "gap": [0.3, 0.1], "gap_low": [0.2, 0.0],
                         "gap_high": [0.4, 0.2], "n": 30, "n_ref": 40})
    fig = plots.gap_slopes(gaps, study, "q")
    drawn = [line.get_xdata() for line in fig.axes[0].get_lines()
             if line.get_marker() == "o"]
    assert len(drawn) == 2 and all(len(x) == 1 for x in drawn)  # one wave each side
    assert "the series breaks at 2016: a neutral answer was added" in fig.cx_alt
    plt.close(fig)
    unbroken = plots.gap_slopes(gaps, make_study(groups=("a", "ref")).__class__(
        **{**study.__dict__, "items": (item,)}), "q")
    assert [len(line.get_xdata()) for line in unbroken.axes[0].get_lines()
            if line.get_marker() == "o"] == [2]
    plt.close(unbroken)


def test_choice_dots_draw_options_in_order_and_say_every_share():
    from cxstudy.choices import choice_shares

    study = cx.load_study({
        "study": "t", "slug": "t", "groups": ["a", "ref"], "min_group_size": 3,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "choices": [{"id": "c", "text": "Which?", "multiple": True,
                     "options": ["Zeta", "Alpha"], "column": "Q"}]},
        base_dir=".")
    responses = make_responses({"a": [None] * 2, "ref": [None] * 4})
    responses["c::Zeta"] = pd.array([1, 0, 1, 1, 0, 1], dtype="Int8")
    responses["c::Alpha"] = pd.array([0, 1, 0, 1, 1, 1], dtype="Int8")
    figure = plots.choice_dots(choice_shares(responses, study), study, "c")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["Zeta", "Alpha"]
    assert "ref: 75% (95% CI" in figure.cx_alt and "a: suppressed (n = 2)" in figure.cx_alt
    assert "need not add up to 100%" in figure.cx_alt
    plt.close(figure)


def test_a_reversed_item_is_drawn_as_answered_and_said_to_be_reverse_scored(tmp_path):
    """The flipped shape: 48% of managers answer "Strongly disagree" to "Dealing with us can
    be frustrating" (reverse: true, so coded 5). Its bar shows 48% as "Strongly disagree",
    on the left; the plain item beside it is drawn as coded."""
    import numpy as np

    from .shapes import AGREE, FLIPPED_ANSWERS, flipped

    res = cx.analyze(flipped(tmp_path, np.random.default_rng(1)))
    study = res.study
    fig = plots.distribution_bars(res.latest.counts, study, ["frustrating", "helpful"],
                                  title="Effort")
    ax = fig.axes[0]
    bars = list(ax.patches)
    assert len(bars) == 4 * 5  # (2 items x 2 audiences) rows of 5 answers
    for row, (item, group) in enumerate([("Q1", "managers"), ("Q1", "clients"),
                                         ("Q2", "managers"), ("Q2", "clients")]):
        given = np.array(FLIPPED_ANSWERS[group][item], dtype=float)
        widths = [bar.get_width() for bar in bars[5 * row:5 * row + 5]]
        np.testing.assert_allclose(widths, given / given.sum())
    first = bars[0]  # managers' "Strongly disagree" to the reversed item: left of zero
    assert first.get_x() == pytest.approx(-(0.48 + 0.12 + 0.16 / 2))
    assert [t.get_text() for t in ax.texts][:5] == ["48", "12", "16", "12", "12"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == AGREE
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels[0] == "Dealing with us can be frustrating (reverse-scored) managers (n = 25)"
    assert labels[2] == "People here are helpful managers (n = 25)"
    assert ("Dealing with us can be frustrating (reverse-scored) — managers (n = 25): Strongly "
            "disagree 48%, Disagree 12%, Neither agree nor disagree 16%, Agree 12%, Strongly "
            "agree 12%") in fig.cx_alt
    plt.close(fig)

    # its shares: labelled with the answers they count; the axis too when it is alone
    shares = res.latest.shares
    alone = plots.share_dots(shares[shares["item"] == "frustrating"], study, title="t")
    counted = "answer “Strongly disagree” or “Disagree”"
    # one item: a row per audience, the item named once, in the title
    assert [t.get_text() for t in alone.axes[0].get_yticklabels()] == [
        "managers (n = 25)", "clients (n = 100)"]
    assert (f"Dealing with us can be frustrating (reverse-scored: share who {counted})"
            in " ".join(alone.axes[0].get_title(loc="left").split()))
    assert alone.axes[0].get_xlabel() == f"Share who {counted}, with 95% Wilson interval"
    assert "managers: 60%" in alone.cx_alt and "clients: 12%" in alone.cx_alt
    both = plots.share_dots(shares, study, title="Effort")
    assert both.axes[0].get_xlabel() == "Top-box share, with 95% Wilson interval"
    # importance is correlated with the headline item as scored: the axis says so
    ipa = plots.importance_performance_plot(res.latest.importance, study)
    assert ipa.axes[0].get_ylabel().replace("\n", " ") == (
        "Importance: Spearman correlation with Dealing with us can be frustrating "
        "(reverse-scored)")
    # what managers think clients answer, against what they answer: the answers counted
    calibration = pd.DataFrame({
        "item": ["frustrating"], "group": ["managers"], "n": [25], "estimate": [0.3],
        "actual": [0.12], "actual_low": [0.07], "actual_high": [0.2], "error": [0.18],
        "estimate_low": [0.25], "estimate_high": [0.35], "n_actual": [100],
        "reference": ["clients"], "suppressed": [False]})
    fig = plots.calibration_plot(calibration, study)
    assert fig.axes[0].get_xlabel() == f"Share of clients who {counted}"
    assert fig.cx_alt.startswith(f"managers estimate 30% of clients {counted} on “Dealing "
                                 "with us can be frustrating (reverse-scored")
    plt.close("all")


# ---------------------------------------------------------------------------
# readable figures: a one-item chart, numbers that do not collide, themes nobody named


def _labelled_study(groups=({"id": "fans", "label": "Star Wars fans"}, "ref"), **extra):
    return cx.load_study({
        "study": "t", "slug": "t", "groups": list(groups), "min_group_size": 5,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "scales": {"s": {"labels": [f"L{i}" for i in range(1, 6)], "top_box": 2}},
        "items": [{"id": "q", "text": "We deliver an excellent customer experience",
                   "scale": "s", "column": "q", "headline": True}], **extra}, base_dir=".")


def _inside_axes(ax, fig):
    """Whether every drawn marker lies whole inside the axes (its centre at least a
    marker's radius from every edge), from the artists' data and the axes' limits."""
    fig.canvas.draw()
    frame = ax.get_window_extent()
    for container in ax.containers:
        line = container.lines[0]
        radius = line.get_markersize() / 2 * fig.dpi / 72
        for x, y in line.get_xydata():
            (left, right), (bottom, top) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
            assert left < x < right and bottom < y < top, (x, y, ax.get_xlim(), ax.get_ylim())
            px, py = ax.transData.transform((x, y))
            if not (frame.x0 + radius <= px <= frame.x1 - radius
                    and frame.y0 + radius <= py <= frame.y1 - radius):
                return False
    return True


def test_a_one_item_chart_has_a_row_per_audience_whole_inside_a_tall_enough_axes():
    """The headline chart of one item: the item named once (the title), a row per
    audience named by its label and n, every dot (the reference at 0% too) whole inside
    the axes, and a plotting area no shorter than SHARE_AXES_MIN."""
    study = _labelled_study(groups=({"id": "fans", "label": "Star Wars fans"}, "staff", "ref"))
    responses = make_responses({"fans": [5, 5, 4, 4, 1, 2], "staff": [4, 4, 4, 3, 2, 1],
                                "ref": [1, 1, 2, 2, 1, 3, 2, 1]})
    shares = cx.share_table(responses, study)
    assert shares.loc[shares["group"] == "ref", "top_box"].iloc[0] == 0  # at the edge
    fig = plots.share_dots(shares, study, title=study.items[0].text)
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == ["Star Wars fans (n = 6)", "staff (n = 6)", "ref (n = 8)"]
        assert ax.get_title(loc="left") == "We deliver an excellent customer experience"
        assert study.items[0].text not in labels  # not repeated beside the axis
        assert not fig.legends  # the rows name the audiences
        assert _inside_axes(ax, fig)
        height = ax.get_position().height * fig.get_size_inches()[1]
        assert height >= plots.SHARE_AXES_MIN - 1e-9
        assert "— Star Wars fans: 67%" in fig.cx_alt and "fans:" not in fig.cx_alt.replace(
            "Star Wars fans:", "")
    finally:
        plt.close(fig)


def test_a_chart_of_several_items_keeps_every_dot_inside_and_names_labels(
        one_audience_too_small):
    study, responses = one_audience_too_small
    fig = plots.share_dots(cx.share_table(responses, study), study, title="Agreement")
    try:
        assert _inside_axes(fig.axes[0], fig)
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["q1", "q2"]
    finally:
        plt.close(fig)


def _importance(points: list[tuple[float, float]]) -> pd.DataFrame:
    rows = []
    for number, (x, y) in enumerate(points, start=1):
        rows.append({"item": f"i{number}", "text": f"Item {number}", "group": "ref",
                     "performance": x, "importance": y, "importance_low": y - 0.05,
                     "importance_high": y + 0.05,
                     "quadrant": "concentrate here" if x < 0.4 else "keep up the good work"})
    table = pd.DataFrame(rows)
    table.attrs.update(method="derived", against="q")
    return table


def test_importance_performance_numbers_never_overlap_each_other_or_a_marker():
    """Points close together (as the example's 3, 5, 7, 11 and 12, 15): every number's box,
    from the renderer, is clear of every other number and every marker."""
    study = _labelled_study()
    points = [(0.19, 0.266), (0.199, 0.265), (0.205, 0.23), (0.198, 0.211), (0.222, 0.283),
              (0.231, 0.281), (0.20, 0.27), (0.21, 0.26), (0.5, 0.3), (0.52, 0.29),
              (0.8, 0.2), (0.81, 0.205)]
    fig = plots.importance_performance_plot(_importance(points), study)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        numbers = [t for t in ax.texts if t.get_text().isdigit()]
        assert sorted(int(t.get_text()) for t in numbers) == list(range(1, len(points) + 1))
        boxes = [t.get_window_extent(renderer) for t in numbers]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (a, b)
        radius = 7 / 2 * fig.dpi / 72
        centres = ax.transData.transform(np.array(points))
        for box in boxes:
            for cx_, cy_ in centres:
                marker = Bbox([[cx_ - radius, cy_ - radius], [cx_ + radius, cy_ + radius]])
                assert not box.overlaps(marker)
            assert ax.get_window_extent(renderer).contains(box.x0, box.y0)
        assert ax.get_xlabel() == "Performance: top-box share, ref"
    finally:
        plt.close(fig)


def test_place_labels_puts_a_label_beside_a_lone_point():
    fig, ax = plt.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    texts = plots.place_labels(ax, [0.5], [0.5], ["7"])
    fig.canvas.draw()
    box = texts[0].get_window_extent(fig.canvas.get_renderer())
    px, py = ax.transData.transform((0.5, 0.5))
    assert box.x0 > px and box.y0 < py < box.y1  # the first place tried: to the right
    assert texts[0].arrow_patch is None  # beside its point, no line needed
    plt.close(fig)


def _themes(question: str, shares: dict[str, dict[str, float]], n: dict[str, int]):
    from cxstudy.tables import THEMES

    rows = []
    for theme, by_group in shares.items():
        for group, share in by_group.items():
            rows.append({"question": question, "theme": theme, "label": theme.title(),
                         "group": group, "n": n[group],
                         "share": share, "share_low": share if share != share else
                         max(0.0, share - 0.05), "share_high": share if share != share else
                         min(1.0, share + 0.1), "suppressed": share != share})
    return pd.DataFrame(rows).reindex(columns=THEMES.all_columns)


def test_themes_no_audience_named_are_left_out_and_said():
    study = _labelled_study()
    themes = _themes("why", {"speed": {"fans": 0.4, "ref": 0.2},
                             "billing": {"fans": 0.0, "ref": 0.0},
                             "people": {"fans": 0.0, "ref": 0.1}},
                     {"fans": 20, "ref": 40})
    fig = plots.theme_dots(themes, study, "why", title="Why?")
    try:
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels == ["Speed", "People"]  # billing: 0% for every audience
        assert "Named by no audience, so not drawn: Billing." in fig.cx_alt
        assert any("Named by no audience" in t.get_text() for t in fig.texts)
    finally:
        plt.close(fig)


def test_no_theme_chart_for_a_question_nobody_answered_in_the_wave():
    """A question with rows but no answers in the wave shown (n = 0 everywhere) draws no
    empty chart; nor one where every audience is hidden."""
    study = _labelled_study()
    nan = float("nan")
    before = plt.get_fignums()
    nobody = _themes("why", {"speed": {"fans": nan, "ref": nan}}, {"fans": 0, "ref": 0})
    assert plots.theme_dots(nobody, study, "why", title="Why?") is None
    hidden = _themes("why", {"speed": {"fans": nan, "ref": nan}}, {"fans": 3, "ref": 2})
    assert plots.theme_dots(hidden, study, "why", title="Why?") is None
    assert plt.get_fignums() == before


def test_the_gaps_page_draws_the_headline_chart_once(built):
    """The example's headline item is its dimension's only item: its chart is drawn in
    the headline section and not again as the dimension's."""
    _project, serial, _parallel, _raw = built
    page = pages(serial / "reports" / "example")["gaps.html"]
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    headline = [a for a in alts if a.startswith(
        "We deliver an excellent customer experience. Dot plot")]
    assert len(headline) == 1
    assert not any(a.startswith("Overall. Dot plot") for a in alts)
    assert any(a.startswith("Quality. Dot plot") for a in alts)  # other dimensions stay


def test_no_trend_label_is_clipped_at_the_left_edge():
    """The change chart's item labels (wrapped, long) and the slope chart's gap labels sit
    wholly inside the rendered figure; audiences are named by their display names."""
    import dataclasses

    import pandas as pd

    study = make_study(groups=("a", "ref"), items=("q", "r"))
    study = dataclasses.replace(study, waves=("2025", "2026"),
                                group_labels={"a": "Wide-eyed newcomers", "ref": "members"})
    long = "We respond quickly when customers get in touch"  # clipped in the example's
    trends = pd.DataFrame({"item": ["q", "r"], "text": [long, "Short"], "group": "a",
                           "change": [-0.3, 0.1], "change_low": [-0.5, -0.1],
                           "change_high": [-0.1, 0.3]})
    with plt.rc_context():
        plots.style()  # the report's sizes
        fig = plots.change_dots(trends, study, title="Change in the gap, 2025 → 2026")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for label in fig.axes[0].get_yticklabels():
        box = label.get_window_extent(renderer)
        assert box.x0 >= 0, label.get_text()
    assert "Wide-eyed newcomers: -30 points" in fig.cx_alt
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "Wide-eyed newcomers − members"]
    plt.close(fig)
    gaps = pd.DataFrame({"wave": ["2025", "2026"], "item": "q", "text": "Leave?",
                         "group": "a", "gap": [-0.95, 0.9], "gap_low": [-1.0, 0.8],
                         "gap_high": [-0.8, 1.0], "n": 30, "n_ref": 40})
    fig = plots.gap_slopes(gaps, study, "q")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    labels = [t for t in fig.axes[0].texts if t.get_text() in ("-95", "+90")]
    assert len(labels) == 2
    for text in labels:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, text.get_text()
    assert fig.axes[0].get_ylabel().startswith("Gap to members, points")
    plt.close(fig)


def _boxes(fig):
    """The figure drawn: its renderer, and the box of the figure itself."""
    fig.canvas.draw()
    return fig.canvas.get_renderer(), fig.bbox


def _legend_inside(fig) -> None:
    renderer, frame = _boxes(fig)
    assert fig.legends
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0, (box, frame)


FIVE = ({"id": "board", "label": "Board of directors"}, {"id": "man", "label": "Senior managers"},
        {"id": "front", "label": "Frontline staff"}, {"id": "part", "label": "Partners"},
        {"id": "cli", "label": "Clients of the firm"})


def test_legends_of_five_audiences_wrap_into_rows_inside_the_figure():
    """Five audiences with long names and their n (as the five shape's "clients (n = 300)")
    made a one-row legend wider than the figure, cut off on both sides: the legend wraps
    into rows, wholly inside the figure and clear of the axis title, on the share chart
    (items, themes, dimensions), the dimension forest and the change chart."""
    import dataclasses

    ids = [g["id"] for g in FIVE]
    study = dataclasses.replace(make_study(groups=ids, items=("q", "r")),
                                group_labels={g["id"]: g["label"] for g in FIVE})
    answers = {g: {"q": [5, 4, 3, 2, 1] * 60, "r": [4, 4, 2, 1, 5] * 60} for g in ids}
    fig = plots.share_dots(cx.share_table(make_responses(answers), study), study,
                           title="Agreement", note="A note under the chart.")
    _legend_inside(fig)
    renderer, _ = _boxes(fig)
    legend = fig.legends[0].get_window_extent(renderer)
    assert not legend.overlaps(fig.axes[0].xaxis.label.get_window_extent(renderer))
    note = next(t for t in fig.texts if t.get_text() == "A note under the chart.")
    assert not legend.overlaps(note.get_window_extent(renderer))
    assert "Clients of the firm (n = 300)" in [t.get_text() for t in fig.legends[0].get_texts()]
    plt.close(fig)
    others = ids[:-1]
    forest = pd.DataFrame({"dimension": "Convenience and accessibility", "group": others,
                           "suppressed": False, "mean_diff": [0.1, -0.2, 0.3, 0.0],
                           "mean_diff_low": -0.5, "mean_diff_high": 0.6, "n": 300,
                           "n_ref": 300, "units": "scale points, 1 = Strongly disagree to "
                                                  "5 = Strongly agree"})  # the example's
    fig = plots.dimension_gap_forest(forest, study)
    _legend_inside(fig)
    renderer, frame = _boxes(fig)
    axis_title = fig.axes[0].xaxis.label.get_window_extent(renderer)  # ran off the right
    assert frame.x0 <= axis_title.x0 and axis_title.x1 <= frame.x1, (axis_title, frame)
    plt.close(fig)
    trends = pd.DataFrame({"item": "q", "text": "q", "group": others, "change": 0.1,
                           "change_low": -0.1, "change_high": 0.3})
    fig = plots.change_dots(trends, study, title="Change")
    _legend_inside(fig)
    plt.close(fig)


@pytest.mark.parametrize("k", [5, 7, 11])
def test_the_answer_legend_never_covers_the_axis_title(k):
    """distribution_bars on a 0-10 scale: its 11-entry legend was drawn over the axis
    title "Share of answers (0 ← | → 10)"; for 5-, 7- and 11-point scales with long point
    names the legend is inside the figure and clear of the axis title and tick labels."""
    study = make_study(k=k, items=("q",))
    names = ["Not at all likely to recommend"] + [f"Point {i}" for i in range(2, k)] + [
        "Extremely likely to recommend"]
    study.scales["s"] = dataclasses_replace(study.scales["s"], labels=tuple(names))
    responses = make_responses({"a": list(range(1, k + 1)) * 3, "ref": list(range(1, k + 1))})
    fig = plots.distribution_bars(cx.level_counts(responses, study), study, ["q"], title="t")
    _legend_inside(fig)
    renderer, _ = _boxes(fig)
    legend = fig.legends[0].get_window_extent(renderer)
    ax = fig.axes[0]
    assert ax.get_xlabel() == f"Share of answers ({names[0]} ← | → {names[-1]})"
    assert not legend.overlaps(ax.xaxis.label.get_window_extent(renderer))
    for tick in ax.get_xticklabels():
        assert not legend.overlaps(tick.get_window_extent(renderer)), tick.get_text()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == names
    plt.close(fig)


def dataclasses_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_a_reversed_headline_item_is_named_once_in_the_title(tmp_path):
    """The flipped shape's headline: the title said "Dealing with us can be frustrating"
    and then the same words again with "(reverse-scored: share who …)"; it says the
    marked text once."""
    from .shapes import flipped

    res = cx.analyze(flipped(tmp_path, np.random.default_rng(1)))
    shares = res.latest.shares
    item = next(i for i in res.study.items if i.reverse)
    fig = plots.share_dots(shares[shares["item"] == item.id], res.study, title=item.text)
    title = fig.axes[0].get_title(loc="left").replace("\n", " ")
    assert title.count(item.text) == 1
    assert title.startswith(item.text + " (reverse-scored: share who answer")
    plt.close(fig)


def test_the_importance_axis_title_is_inside_and_no_two_ticks_read_the_same():
    """The importance axis title ("Importance: Spearman correlation with …") began left
    of the figure's edge; items whose shares lie within two points of each other gave
    ticks reading "29% 29% 30% 30%"."""
    study = _labelled_study()
    points = [(0.290, -0.01), (0.295, 0.12), (0.302, -0.015), (0.298, 0.05)]  # ticks "−0.05"
    with plt.rc_context():
        plots.style()  # the report's sizes, as on the page
        fig = plots.importance_performance_plot(_importance(points), study)
    renderer, frame = _boxes(fig)
    ax = fig.axes[0]
    assert ax.yaxis.label.get_window_extent(renderer).x0 >= frame.x0
    labels = [t.get_text() for t in ax.get_xticklabels()
              if ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    plt.close(fig)

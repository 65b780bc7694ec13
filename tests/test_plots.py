"""The figures (cxstudy.plots): alt text that says what a figure shows, audiences below the
minimum not drawn, seaborn's look without seaborn."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

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

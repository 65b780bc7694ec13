"""Reports for studies of other shapes than the example (tests/shapes.py): every page reads
right for the study file it was given."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from .shapes import DOLLAR_ITEM, EXECS, FLIPPED_TEXT, QUESTION_TINY, SHAPES, TITLE_STARS

EXAMPLE_WORDS = re.compile(r"\b(leadership|leaders?|staff|customers?)\b", re.IGNORECASE)


def visible_text(page: Path) -> str:
    """What a reader sees: the page without style, script and tags, with alt texts."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.DOTALL)
    text = re.sub(r'<img [^>]*alt="([^"]*)"[^>]*>', r" \1 ", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def report_of(built, slug: str) -> Path:
    return built[1] / "reports" / slug


@pytest.mark.parametrize("slug", sorted(SHAPES))
def test_every_shape_builds_its_pages_and_only_those(built, slug):
    expected = {"index.html", "data_quality.html", "gaps.html"}
    expected |= {"five": {"voices.html"}, "seasons": {"trends.html"},
                 "stars": {"segments.html"}, "tiny": {"voices.html"}}.get(slug, set())
    pages = {p.name for p in report_of(built, slug).glob("*.html")}
    assert pages == expected
    for name in pages:  # the navigation names exactly the pages there are
        links = set(re.findall(r'<nav.*?</nav>', (report_of(built, slug) / name).read_text(),
                               re.DOTALL)[0].split('href="')[1:])
        assert {link.split('"')[0] for link in links} == expected, name


@pytest.mark.parametrize("slug", sorted(SHAPES))
def test_pages_name_the_study_audiences_not_the_examples(built, slug):
    for page in report_of(built, slug).glob("*.html"):
        found = EXAMPLE_WORDS.findall(visible_text(page).replace("customer experience", ""))
        assert not found, (slug, page.name, sorted(set(found)))


def test_a_star_scale_reads_as_stars_and_text_stays_text(built):
    report = report_of(built, "stars")
    index = visible_text(report / "index.html")
    assert ("“Seat comfort”: 82% of crew (68–91%, n = 40) answer 4 or 5; 36% of passengers "
            "do") in index
    assert "agree that" not in index
    raw = (report / "index.html").read_text()
    assert 'href="javascript' not in raw and "<b>x</b>" not in raw  # Markdown/HTML: text
    assert html.escape(TITLE_STARS, quote=False) in raw  # shown as written
    gaps = visible_text(report / "gaps.html")
    assert DOLLAR_ITEM in gaps  # "$50 and over $100": no mathtext in figures either
    assert "from 1 on the left to 5 on the right" in gaps  # the scale's own points


def test_a_level_of_three_is_hidden_with_its_complement(built):
    table = pd.read_csv(report_of(built, "stars") / "tables" / "segments.csv")
    hidden = table[table["suppressed"]]
    assert set(hidden["level"]) == {"First", "Business"}  # First: 3 passengers
    assert hidden[["top_box", "top_box_ref", "gap"]].isna().all().all()
    page = visible_text(report_of(built, "stars") / "segments.html")
    assert "cells marked hidden rest on fewer than 5 respondents" in page
    # the note says which level a hidden complement protects
    assert "hidden so that the 3-person “First” level of passengers cannot be worked out" in page


def test_five_audiences_on_a_ten_point_scale(built):
    report = report_of(built, "five")
    gaps = pd.read_csv(report / "tables" / "gaps.csv")
    assert set(gaps["group"]) == {"board", "managers", "frontline", "partners"}
    metrics = pd.read_csv(report / "tables" / "metrics.csv")
    assert set(metrics["group"]) == {"board", "managers", "frontline", "partners", "clients"}
    index = visible_text(report / "index.html")
    assert "answer 8–10" in index  # the top box of a 0-10 scale
    assert "Net Promoter Score" in index and "satisfaction" not in index.lower().split(
        "net promoter score")[1][:200]  # the blurb names only the metrics there are
    voices = visible_text(report / "voices.html")
    assert "What works?" in voices and "What does not?" in voices
    # roles, not the example's question ids: the section is there, and says that no
    # theme leans a strength to one audience and a problem to another (each names Money
    # and Speed more often on "What does not?")
    assert "Where the audiences disagree" in voices and \
        "No theme is named more often as a strength than as a problem" in voices


def test_mixed_scales_in_one_dimension(built):
    report = report_of(built, "mixed")
    gaps = visible_text(report / "gaps.html")
    for scale in ("Work (Worse to Better)", "Work (Very dissatisfied to Very satisfied)",
                  "Work (Strongly disagree to Strongly agree)"):
        assert scale in gaps  # one distribution chart per scale, each with its own legend
    assert "agree5" not in gaps and "sat4" not in gaps  # named by their points, not ids
    assert "difference in mean dimension score (0-100)" in gaps  # the unit the table uses
    index = visible_text(report / "index.html")
    assert "What men think women say" in index
    assert "answer “Very satisfied” or “Moderately satisfied”" in index


@pytest.mark.parametrize("page", ["index.html", "data_quality.html", "gaps.html"])
def test_a_study_at_90_percent_names_that_level_wherever_a_page_names_one(built, page):
    """``confidence: 0.90``: the intervals are 90% intervals and every sentence, header,
    axis label and alt text says so; agreement uses the 80% (1 - 2 alpha) interval."""
    text = visible_text(report_of(built, "mixed") / page)
    assert "95%" not in text
    if page != "data_quality.html":
        assert "90% CI" in text or "90% Wilson" in text
    gaps = pd.read_csv(report_of(built, "mixed") / "tables" / "gaps.csv")
    from statsmodels.stats.proportion import confint_proportions_2indep

    row = gaps.iloc[0]
    low, high = confint_proportions_2indep(
        round(row["top_box"] * row["n"]), row["n"], round(row["top_box_ref"] * row["n_ref"]),
        row["n_ref"], method="newcomb", alpha=0.10)
    assert (row["gap_low"], row["gap_high"]) == pytest.approx((low, high), abs=1e-9)


def test_three_waves_in_the_order_the_study_gives(built):
    report = report_of(built, "seasons")
    trends = pd.read_csv(report / "tables" / "trends.csv")
    assert list(dict.fromkeys(zip(trends["from_wave"], trends["to_wave"], strict=True))) == [
        ("spring", "summer"), ("summer", "autumn")]
    app = trends[(trends["item"] == "app") & (trends["from_wave"] == "spring")].iloc[0]
    assert app["note"] == "not asked in wave spring" and pd.isna(app["change"])
    page = visible_text(report / "index.html")
    assert ("wave autumn (the latest of spring, summer and autumn) — 180 respondents in "
            "autumn: managers 30, members 150") in page
    assert ("540 responses read from 6 exports of all 3 waves (spring, summer and autumn); "
            "540 kept (180 in spring, 180 in summer, 180 in autumn).") in page
    gap = page.index("“Members feel welcome”: ")  # the latest gap, then its change
    assert gap < page.index("Since summer this gap has ") < page.index(
        "adjusted over the headline item alone")
    headline = trends[trends["item"] == "welcome"]  # a family of one per pair of waves
    assert headline["p_adjusted_headline"].tolist() == pytest.approx(
        headline["p_value"].tolist())
    assert "(and so for each pair of waves)" in visible_text(report / "trends.html")


def test_an_audience_below_the_minimum_builds_a_report_that_shows_nothing_of_it(built):
    report = report_of(built, "tiny")
    gaps = pd.read_csv(report / "tables" / "gaps.csv")
    assert gaps["suppressed"].all() and gaps["top_box"].isna().all()
    index = visible_text(report / "index.html")
    assert f"of {EXECS}" not in index  # no sentence, no share
    assert "nan" not in index.lower().split()
    # nothing was compared: no page says nothing is significant, each says why
    gaps_page = visible_text(report / "gaps.html")
    assert "significantly" not in index and "significantly" not in gaps_page
    compared = "could be compared with clients: every audience compared is under 5 respondents."
    assert f"No item {compared}" in index and f"No item {compared}" in gaps_page
    assert f"No option of the choice questions {compared}" in index
    assert "The headline gap cannot be shown: every audience compared is under 5" in index
    assert "0 gaps" not in index and "(Holm)" not in index  # no family note of no test
    assert f"{EXECS} has no index: no item could be compared with clients" in index


def test_the_five_shapes_weights_blind_spots_and_disagreements_read_true(built):
    """five: the Method says clients are weighted; the blind spots come largest first;
    no audience is said to find a theme a strength that it names more as a problem."""
    report = report_of(built, "five")
    index = visible_text(report / "index.html")
    assert ("Weights: clients are weighted, raked to known margins (Area: Urban 50%, Rural "
            "50%)") in " ".join(index.split()).replace(" :", ":")
    themes = pd.read_csv(report / "tables" / "themes.csv")
    share = themes[themes["theme"] != "uncoded"].pivot_table(
        index="theme", columns=["question", "group"], values="share")
    good, bad = share["good"], share["bad"]
    praised = ((good >= 0.10) & (good > bad)).any(axis=1)
    faulted = ((bad >= 0.10) & (bad > good)).any(axis=1)
    # every audience naming Money names it more as a problem (board 75% vs 100%,
    # managers 10% vs 73%): no theme leans both ways, and no sentence says one does
    assert not (praised & faulted).any()
    assert "a strength to" not in index
    assert "Money: a strength to managers" not in visible_text(report / "voices.html")
    gaps_page = (report / "gaps.html").read_text(encoding="utf-8")
    spots = pd.read_html(io.StringIO(gaps_page[gaps_page.index("sit furthest"):]))[0]
    shown = [int(text.split()[0]) for text in spots["Gap, points (unadjusted 95% CI)"]]
    assert shown == sorted(shown, reverse=True) and spots["Audience"].nunique() > 1


def test_markdown_and_html_in_names_and_questions_stay_text(built):
    report = report_of(built, "tiny")
    for page in report.glob("*.html"):
        raw = page.read_text(encoding="utf-8")
        assert 'href="javascript' not in raw, page.name
        assert "tracker.example" not in re.sub(r"&[a-z]+;|\\", "", "".join(
            re.findall(r'<img [^>]*src="([^"]*)"', raw))), page.name  # no remote image
        assert "<i>x</i>" not in raw and "<strong>else</strong>" not in raw, page.name
    voices = visible_text(report / "voices.html")
    assert QUESTION_TINY in voices  # shown as written
    assert EXECS in visible_text(report / "data_quality.html")


def test_text_in_figures_is_never_a_formula():
    import matplotlib.pyplot as plt

    import cxstudy as cx
    from cxstudy import plots

    study = cx.load_study({"study": "t", "slug": "t", "groups": ["a", "b"], "sources": [
        {"path": "x.csv", "group_column": "g"}], "scales": {"s": {"values": [1, 2], "top_box": 1}},
        "items": [{"id": "i", "text": "$10{", "scale": "s", "column": "i"}]})
    shares = pd.DataFrame({"item": ["i", "i"], "text": ["$50 and over $100"] * 2,
                           "group": ["a", "b"], "n": [10, 10], "top_box": [0.5, 0.4],
                           "top_box_low": [0.2, 0.1], "top_box_high": [0.8, 0.7]})
    figure = plots.share_dots(shares, study, title="$10{ costs")  # mathtext would fail here
    texts = [t for ax in figure.axes for t in [*ax.texts, ax.title, *ax.get_yticklabels()]]
    assert texts and not any(t.get_parse_math() for t in texts)
    figure.savefig(__import__("io").BytesIO(), format="png")
    plt.close(figure)


def test_choice_questions_within_waves_and_below_the_minimum(built):
    seasons = report_of(built, "seasons")
    choices = pd.read_csv(seasons / "tables" / "choices.csv")
    assert list(choices.columns[:3]) == ["wave", "question", "option"]
    spring = choices[(choices["wave"] == "spring") & (choices["question"] == "facility")]
    assert (spring["note"] == "not asked in wave spring").all() and spring["gap"].isna().all()
    renew = choices[(choices["wave"] == "autumn") & (choices["question"] == "renew")]
    assert renew["gap"].notna().all() and set(renew["option"]) == {
        "Lower fee", "More classes", "Longer hours"}
    trends = pd.read_csv(seasons / "tables" / "choice_trends.csv")
    assert set(zip(trends["from_wave"], trends["to_wave"], strict=True)) == {
        ("spring", "summer"), ("summer", "autumn")}
    gaps_page = visible_text(seasons / "gaps.html")
    assert "Choice questions" in gaps_page and "What would make members renew?" in gaps_page
    tiny = report_of(built, "tiny")
    hidden = pd.read_csv(tiny / "tables" / "choices.csv")
    assert hidden["suppressed"].all() and hidden["share"].isna().all()
    page = visible_text(tiny / "gaps.html")
    assert "No option gap can be shown: every audience compared is under 5" in page
    assert "*Email* me" in page and "How should we <b>reach</b> you?" in page  # as written


def test_a_reversed_headline_item_reads_as_answered(built):
    """The flipped shape: 48% of managers answer "Strongly disagree" to its reversed
    headline item, 60% "Strongly disagree" or "Disagree", against 12% of clients. The
    summary, the gap table, the chart of answers, the Method and the deck say so; nothing
    says they agree."""
    from cxstudy.deck import slide_texts

    report = report_of(built, "flipped")
    counted = "answer “Strongly disagree” or “Disagree”"
    index = visible_text(report / "index.html")
    assert (f"“{FLIPPED_TEXT}”: 60% of managers (41–77%, n = 25) {counted}; 12% of clients "
            "do (7–20%, n = 100): a gap of +48 points") in index
    assert (f"Reverse-scored items : “{FLIPPED_TEXT}” was asked negatively, so its answers "
            "are scored in reverse (k + 1 − the point: higher is better) and its share counts "
            f"those who {counted} (the lowest points of the statement as asked, not the "
            "highest)") in re.sub(r"\s+", " ", index)
    marked = f"{FLIPPED_TEXT} (reverse-scored: share who {counted})"
    assert marked in index  # the largest gaps
    gaps = visible_text(report / "gaps.html")
    table = pd.read_html(io.StringIO((report / "gaps.html").read_text(encoding="utf-8")),
                         match="Cliff")[0]
    row = table[table["Item"] == marked].iloc[0]
    assert row["Audience"] == "managers" and row["Top box (95% CI)"] == "60% (41–77%)"
    assert (f"{FLIPPED_TEXT} (reverse-scored) — managers (n = 25): Strongly disagree 48%, "
            "Disagree 12%, Neither agree nor disagree 16%, Agree 12%, Strongly agree 12%") \
        in gaps  # the chart of answers, as given
    assert "Strongly agree 48%" not in gaps
    deck = [text for slide in slide_texts(report / "deck.pptx") for text in slide]
    assert any(text.startswith(f"“{FLIPPED_TEXT}”: 60% of managers") and counted in text
               for text in deck)
    assert marked in deck  # the largest gaps' table

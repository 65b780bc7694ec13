"""Words from the study (issue 23): audiences by their display names (``groups: [{id,
label}]``) everywhere a person reads, the study's ``subject:`` where pages name what is
studied, possessives right, and no internal id (audience, scale, metric, segment,
question) on any page.

The study here is built so that an id cannot occur by accident (``grp_fans``,
``scl_agree_x``, ``met_nps_x``...): if one is found on a page, a page shows an id.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import PAGES

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
         "Strongly agree"]
EFFORT = ["Very hard", "Hard", "Neither", "Easy", "Very easy"]
# id -> (label, respondents per wave, share in the top box); the reference last
AUDIENCES = {"grp_crew": ("Mos Eisley staff", 30, 0.8),
             "grp_droids": ("Droid mechanics", 40, 0.6),
             "grp_fans": ("Star Wars fans", 160, 0.3)}
SUBJECT = "the cantina experience"
IDS = ["grp_crew", "grp_droids", "grp_fans", "scl_agree_x", "scl_effort_x", "met_nps_x",
       "met_effort_x", "seg_zone_x", "itm_drinks_x", "itm_music_x", "itm_seats_x",
       "oe_good_x", "oe_bad_x", "chc_drink_x", "dim_bar_x"]
"""Ids of the study that no reader may see (dimension names are shown: they are words)."""
WRONG_POSSESSIVE = re.compile(r"(fans|mechanics|customers|clients|partners|managers)'s\b")
"""A label ending in "s" made possessive with "'s" ("fans's")."""


def _answers(rng, n: int, top: float) -> list[str]:
    upper = rng.random(n) < top
    return [AGREE[i] for i in np.where(upper, rng.integers(3, 5, n), rng.integers(0, 3, n))]


def write_labelled(project: Path, seed: int = 23) -> Path:
    """The study: three labelled audiences in two waves, a subject, items on one agree
    scale, NPS and CES, estimates, a segment, open questions with a codebook and a choice
    question; exports named unlike the ids."""
    rng = np.random.default_rng(seed)
    raw = project / "data" / "raw" / "cantina"
    raw.mkdir(parents=True, exist_ok=True)
    sources = []
    for wave in ("2025", "2026"):
        for number, (group, (_label, n, top)) in enumerate(AUDIENCES.items()):
            frame = pd.DataFrame({f"Q{j}": _answers(rng, n, top + 0.05 * j) for j in range(3)})
            frame["NPS"] = np.clip(np.round(rng.normal(4 + 5 * top, 2, n)), 0, 10).astype(int)
            frame["CES"] = [EFFORT[i] for i in rng.integers(0, 5, n)]
            frame["Zone"] = rng.choice(["Bar", "Booths"], n)
            frame["Good"] = rng.choice(["fast drinks", "great band", "friendly bartender"], n)
            frame["Bad"] = rng.choice(["slow drinks", "loud band", "no seats"], n)
            frame["Drink"] = rng.choice(["Blue milk", "Spotchka", "Juri juice"], n)
            frame["Guess"] = np.clip(rng.normal(55, 15, n), 0, 100).round()
            name = f"wave{wave}_audience{number}.csv"
            frame.to_csv(raw / name, index=False)
            sources.append({"path": f"../data/raw/cantina/{name}", "group": group,
                            "wave": wave})
    codebook = {"themes": [
        {"id": "thm_speed_x", "label": "Speed of service", "patterns": ["fast", "slow"]},
        {"id": "thm_music_x", "label": "Music", "patterns": ["band"]},
        {"id": "thm_people_x", "label": "People", "patterns": ["friendly", "seats"]}]}
    spec = {
        "study": "Chalmun's Cantina", "slug": "cantina", "min_group_size": 5,
        "subject": SUBJECT, "waves": ["2025", "2026"], "sources": sources,
        "groups": [{"id": g, "label": label} for g, (label, _n, _t) in AUDIENCES.items()],
        "reference": "grp_fans",
        "scales": {"scl_agree_x": {"labels": AGREE, "top_box": 2, "top_box_label": "agree"},
                   "scl_effort_x": {"labels": EFFORT, "top_box": 2}},
        "items": [{"id": f"itm_{name}_x", "text": text, "scale": "scl_agree_x",
                   "column": f"Q{j}", "dimension": "The bar", "headline": j == 0}
                  for j, (name, text) in enumerate([("drinks", "The drinks are worth it"),
                                                    ("music", "The band is good"),
                                                    ("seats", "There is always a seat")])],
        "metrics": {"met_nps_x": {"kind": "nps", "column": "NPS"},
                    "met_effort_x": {"kind": "ces", "column": "CES",
                                     "scale": "scl_effort_x"}},
        "estimates": [{"item": "itm_drinks_x", "columns": {"grp_crew": "Guess"}}],
        "segments": [{"id": "seg_zone_x", "label": "Zone", "column": "Zone"}],
        "open_ended": [{"id": "oe_good_x", "question": "What is good here?",
                        "role": "strength", "column": "Good"},
                       {"id": "oe_bad_x", "question": "What is bad here?",
                        "role": "problem", "column": "Bad"}],
        "themes": "themes/cantina.yml",
        "choices": [{"id": "chc_drink_x", "text": "Which drink do you order?",
                     "options": ["Blue milk", "Spotchka", "Juri juice"], "column": "Drink"}],
    }
    studies = project / "studies"
    (studies / "themes").mkdir(parents=True, exist_ok=True)
    (studies / "themes" / "cantina.yml").write_text(yaml.safe_dump(codebook), encoding="utf-8")
    path = studies / "cantina.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cantina(tmp_path_factory):
    """(study file, results, report folder) of the labelled study, built once."""
    import cxstudy as cx
    from cxstudy.cli import main

    project = tmp_path_factory.mktemp("cantina")
    path = write_labelled(project)
    out = project / "out"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 0
    report = next(out.glob("reports/cantina"))
    return path, cx.analyze(path, processed=next(out.glob("data/processed/cantina"))), report


def _text(page: str) -> str:
    """What a reader of a page reads: its text and its images' alt text, no markup."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    alts = " ".join(re.findall(r'alt="([^"]*)"', page))
    return re.sub(r"<[^>]+>", " ", page) + " " + alts


def test_the_study_loads_its_labels_and_subject(tmp_path):
    import cxstudy as cx

    study = cx.load_study(write_labelled(tmp_path))
    assert study.labels() == [label for label, _n, _t in AUDIENCES.values()]
    assert study.subject == SUBJECT


def test_whose_makes_possessives_of_labels():
    from cxstudy.report.wording import whose

    assert whose("Star Wars fans") == "Star Wars fans'"
    assert whose("Mos Eisley staff") == "Mos Eisley staff's"
    assert whose("leadership") == "leadership's"
    assert whose("VIPS") == "VIPS'"


def test_whose_takes_an_id_with_the_study(tmp_path):
    import html

    import cxstudy as cx
    from cxstudy.report.wording import whose

    study = cx.load_study(write_labelled(tmp_path))
    assert whose("grp_fans", study) == "Star Wars fans'"
    assert whose("grp_crew", study, escape=html.escape) == "Mos Eisley staff's"


def test_no_page_shows_an_id_and_every_page_names_the_audiences(cantina):
    _path, _res, report = cantina
    for name in PAGES:
        text = _text((report / name).read_text(encoding="utf-8"))
        shown = [i for i in IDS if i in text]
        assert not shown, f"{name} shows ids {shown}"
        assert not WRONG_POSSESSIVE.search(text), name
        assert "Star Wars fans" in text, name
        assert "ces_low_effort" not in text and "scale points (" not in text, name
    headers = [h for name in PAGES for h in re.findall(
        r"<th[^>]*>(.*?)</th>", (report / name).read_text(encoding="utf-8"))]
    assert "group" not in headers and "wave" not in headers, headers
    assert "n Star Wars fans" in headers and "Top box, Star Wars fans" in headers


def test_the_summary_names_the_subject_and_the_audiences(cantina):
    _path, res, report = cantina
    from cxstudy.deck import from_markdown
    from cxstudy.report import wording

    intro = from_markdown(wording.summary_intro(res, {"gaps.html": "Perception gaps"}))
    assert intro.startswith("How far what Mos Eisley staff and Droid mechanics believe "
                            "about the cantina experience sits from what Star Wars fans say.")
    assert "minus Star Wars fans'." in intro
    index = _text((report / "index.html").read_text(encoding="utf-8"))
    assert "believe about the cantina experience" in index
    assert "customer experience" not in index
    gaps = from_markdown(wording.gaps_intro(res.study))
    assert gaps.startswith("Every item about the cantina experience, every audience, "
                           "against Star Wars fans.")


def test_sentences_name_the_audiences_by_their_labels(cantina):
    _path, res, _report = cantina
    from cxstudy.report import wording

    study, now = res.study, res.latest
    headline = wording.headline_sentences(now.gaps, now.shares, study)
    assert len(headline) == 2
    assert " of Mos Eisley staff (" in headline[0] and " of Star Wars fans do (" in headline[0]
    assert " of Droid mechanics (" in headline[1]
    calibration = wording.calibration_sentences(now.calibration, study)
    assert calibration and calibration[0].startswith(
        "On “The drinks are worth it”, Mos Eisley staff estimate on average that ")
    assert " of Star Wars fans would agree " in calibration[0]
    assert wording.calibration_title(study) == "What Mos Eisley staff think Star Wars fans say"
    assert wording.reverse_title(study) == ("Where Star Wars fans answer more favourably than "
                                            "Mos Eisley staff and Droid mechanics")
    line = wording.study_line(res)
    assert "Mos Eisley staff 30, Droid mechanics 40, Star Wars fans 160" in line
    assert wording.metrics_blurb(now.metrics, study).endswith(
        "Asked of Mos Eisley staff, Droid mechanics and Star Wars fans.")
    trends = wording.trend_sentences(res.trends, study)
    assert trends and all(s.startswith(("The Mos Eisley staff–Star Wars fans gap",
                                        "The Droid mechanics–Star Wars fans gap"))
                          for s in trends)
    said = " ".join(wording.open_answer_sentences(now.themes, study)
                    + wording.similarity_sentences(now.voice_similarity, study)
                    + wording.choice_gap_sentences(now.choices, study, "chc_drink_x")
                    + [wording.choice_summary_sentence(now.choices, study),
                       wording.voices_intro(res, {}), wording.method_notes(study),
                       wording.agreement_note(study), wording.open_questions_line(study)]
                    + wording.tone_sentences(now.tone, study))
    assert not [i for i in IDS if i in said], said
    assert "Star Wars fans" in said and not WRONG_POSSESSIVE.search(said)
    notes = wording.method_notes(study)
    assert "(agree; Very easy or Easy)" in notes  # each scale's top box, never its id


def test_tables_show_labels_in_cells_and_headers(cantina):
    _path, res, _report = cantina
    from cxstudy.report import display

    study, now = res.study, res.latest
    gaps = display.gap_display(now.gaps, study)
    assert set(gaps["Audience"]) == {"Mos Eisley staff", "Droid mechanics"}
    assert {"n Star Wars fans", "Top box, Star Wars fans (95% CI)"} <= set(gaps.columns)
    kruskal = display.kruskal_display(now.kruskal, study)
    assert {"n Mos Eisley staff", "n Droid mechanics", "n Star Wars fans"} <= set(
        kruskal.columns)
    levels = display.levels_display(now.segments, study)
    assert "Star Wars fans: levels differ, unadjusted p" in levels.columns
    assert "Gap Droid mechanics–Star Wars fans differs, adjusted p" in levels.columns
    segments = display.segment_display(now.segments, study)
    assert set(segments["Audience"]) <= {"Mos Eisley staff", "Droid mechanics"}
    metrics = display.metric_display(now.metrics, study)
    assert "Wave" not in metrics.columns  # one wave on the page: said in its first line
    assert set(metrics["Metric"]) == {"NPS (points)", "CES (mean effort score)",
                                      "CES: low effort (top-box)"}
    changes = display.change_display(res.metric_trends, study, "Metric")
    assert set(changes["Metric"]) <= {"NPS (points)", "CES (mean effort score)",
                                      "CES: low effort (top-box)"}
    assert "Star Wars fans" in set(changes["Audience"])
    gap_index = display.gap_index_display(now.gap_index, study)
    assert set(gap_index["Reference"]) == {"Star Wars fans"}
    similarity = display.similarity_display(now.voice_similarity, study)
    assert "Mos Eisley staff and Droid mechanics" in set(similarity["Audiences"])
    tests = display.choice_test_display(now.choice_tests, study)
    assert tests["Audiences"].iloc[0] == "Mos Eisley staff vs Droid mechanics vs Star Wars fans"
    words = display.readable(now.words("oe_good_x"), study)
    assert "Audience" in words.columns and "Wave" not in words.columns
    assert set(words["Audience"]) <= set(study.labels())
    rows = display.readable(res.rows_by_rule, study, index=True)
    assert {"Mos Eisley staff", "Star Wars fans"} <= set(rows.columns)


def test_charts_show_labels_in_legends_ticks_titles_and_alt_text(cantina):
    import matplotlib.pyplot as plt

    _path, res, _report = cantina
    from cxstudy import plots

    study, now = res.study, res.latest
    figures = [
        plots.share_dots(now.shares[now.shares["item"] == "itm_drinks_x"], study, title="t"),
        plots.dimension_gap_forest(now.dimensions, study),
        plots.distribution_bars(now.counts, study, ["itm_drinks_x"], title="t"),
        plots.calibration_plot(now.calibration, study),
        plots.gap_slopes(res.gaps, study, "itm_drinks_x"),
        plots.change_dots(res.trends, study, title="t"),
        plots.segment_heatmap(now.segments, study, "seg_zone_x"),
        plots.missingness_heatmap(res.missing, study),
        plots.theme_dots(now.themes, study, "oe_good_x", title="t"),
    ]
    for fig in figures:
        texts = [t.get_text() for t in fig.findobj(plt.Text)] + [fig.cx_alt]
        joined = " ".join(texts)
        assert not [i for i in IDS if i in joined], (fig.cx_alt, joined)
        assert "Star Wars fans" in joined or "Mos Eisley staff" in joined, joined
        plt.close(fig)
    rows = [t.get_text() for t in figures[0].axes[0].get_yticklabels()]  # one item: a row each
    assert [t.split(" (n")[0] for t in rows] == study.labels()
    slopes = [t.get_text() for t in figures[4].legends[0].get_texts()]
    assert slopes == ["Mos Eisley staff − Star Wars fans", "Droid mechanics − Star Wars fans"]
    ticks = [t.get_text() for t in figures[2].axes[0].get_yticklabels()]
    assert any(t.endswith("Star Wars fans (n = 160)") for t in ticks), ticks


def test_the_workbook_and_the_deck_name_the_audiences(cantina):
    from openpyxl import load_workbook

    from cxstudy.deck import slide_texts

    _path, _res, report = cantina
    book = load_workbook(report / "tables.xlsx", read_only=True)
    about = " ".join(str(c) for row in book["About"].iter_rows(values_only=True) for c in row
                     if c)
    assert "believe about the cantina experience" in about
    gaps = [row for row in book["gaps"].iter_rows(values_only=True)]
    column = gaps[0].index("group")
    assert {row[column] for row in gaps[1:]} == {"Mos Eisley staff", "Droid mechanics"}
    kruskal = next(book["kruskal"].iter_rows(values_only=True))
    assert "n_Star Wars fans" in kruskal and "n_grp_fans" not in kruskal
    for sheet in book.sheetnames:
        for row in book[sheet].iter_rows(values_only=True):
            cells = [str(c) for c in row if isinstance(c, str)]
            assert not [c for c in cells if c in ("grp_crew", "grp_droids", "grp_fans")], sheet
    slides = " | ".join(t for s in slide_texts(report / "deck.pptx") for t in s)
    assert not [i for i in IDS if i in slides], slides
    assert "How far what Mos Eisley staff and Droid mechanics believe about the cantina " \
           "experience sits from what Star Wars fans say." in slides
    assert not WRONG_POSSESSIVE.search(slides)


def test_the_csv_files_keep_the_ids(cantina):
    _path, _res, report = cantina
    gaps = pd.read_csv(report / "tables" / "gaps.csv")
    assert set(gaps["group"]) == {"grp_crew", "grp_droids"}
    assert set(gaps["reference"]) == {"grp_fans"}


def test_no_scale_metric_or_group_id_on_the_example_pages(built):
    """The example's pages: no scale id ("scale points (agree5)"), no metric id
    ("ces_low_effort", "nps" as a table cell), no "group" or "wave" header."""
    _project, out, _here, _raw = built
    report = out / "reports" / "example"
    for name in PAGES:
        page = (report / name).read_text(encoding="utf-8")
        text = _text(page)
        for scale in ("agree5", "effort7", "sat5"):
            assert scale not in text, (name, scale)
        assert "ces_low_effort" not in text, name
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page)
        assert not {"nps", "ces", "csat", "group", "wave"} & set(cells), name


@pytest.mark.parametrize("slug", ["stars", "five", "tiny"])
def test_the_shapes_summaries_name_their_audiences(slug, built):
    """Two, five and two audiences (one below the minimum size): the summary's opening
    names every audience compared and the reference, and no possessive reads "s's"."""
    from tests import shapes

    project, out, _here, _raw = built
    import cxstudy as cx

    study = cx.load_study(project / "studies" / f"{slug}.yml")
    page = _text((out / "reports" / slug / "index.html").read_text(encoding="utf-8"))
    assert not WRONG_POSSESSIVE.search(page)
    assert "about the customer experience" in page
    if slug == "five":
        assert len(study.groups) == 5
        assert ("How far what board, managers, frontline and partners believe about the "
                "customer experience sits from what clients say.") in page
        assert "minus clients'." in page
    assert shapes  # the shapes this reads are those tests/shapes.py writes


def test_metrics_and_scales_are_named_in_words_never_by_id():
    import cxstudy as cx
    from cxstudy.gaps import scale_units
    from cxstudy.report.display import metric_names, one_wave
    from cxstudy.report.wording import metric_name, scale_name

    assert metric_name("ces_low_effort", "ces_low_effort") == "CES: low effort (top-box)"
    assert metric_name("met_nps_x", "nps") == "NPS (points)"  # the study's only NPS
    table = pd.DataFrame({"metric": ["nps_brand", "nps_store", "effort"],
                          "kind": ["nps", "nps", "ces"]})
    assert metric_names(table) == ["NPS (points): nps brand", "NPS (points): nps store",
                                   "CES (mean effort score)"]
    study = cx.load_study(Path(__file__).parents[1] / "studies" / "example.yml")
    assert scale_name(study.scales["agree5"]) == "Strongly disagree to Strongly agree"
    assert scale_units(study.scales["effort7"]) == ("scale points, 1 = Very difficult to "
                                                    "7 = Very easy")
    waves = pd.DataFrame({"wave": ["2026", "2026"], "n": [1, 2]})
    assert list(one_wave(waves).columns) == ["n"]  # one value: the heading says it
    both = pd.DataFrame({"wave": ["2025", "2026"], "n": [1, 2]})
    assert list(one_wave(both).columns) == ["wave", "n"]

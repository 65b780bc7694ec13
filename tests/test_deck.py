"""deck.pptx: opened with python-pptx and compared with what the pages say."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
import yaml
from pptx import Presentation
from pptx.util import Inches

import cxstudy as cx
from cxstudy import deck as deck_module
from cxstudy.deck import LAYOUTS, from_html, from_markdown, slide_texts, write_deck
from cxstudy.exceptions import StudyFileError
from cxstudy.report import display, wording

from .shapes import EXECS, write_all


@pytest.fixture(scope="module")
def example(example_cleaned, tmp_path_factory):
    """The example's results and its deck: (results, deck path, Deck)."""
    from cxstudy.analysis import Results
    from cxstudy.clean import source_table

    study, raw, result = example_cleaned
    res = Results(study, result.responses, log=result.log,
                  sources=source_table(raw, result.log, study))
    path = tmp_path_factory.mktemp("deck") / "deck.pptx"
    return res, path, write_deck(res, path)


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    """The differently shaped studies of tests/shapes.py: slug -> study file."""
    return write_all(tmp_path_factory.mktemp("shapes"))


def titles(path) -> list[str]:
    return [slide.shapes.title.text if slide.shapes.title is not None else ""
            for slide in Presentation(str(path)).slides]


def slide_titled(path, title: str) -> list[str]:
    found = [texts for name, texts in zip(titles(path), slide_texts(path), strict=True)
             if name == title]
    assert found, (title, titles(path))
    return found[0]


def test_the_example_deck_has_every_section_in_order(example):
    _res, path, _deck = example
    names = titles(path)
    assert names[0] == "Larkfield Home Energy — perception gap 2026"
    expected = ["The headline gap", "The largest gaps",
                "Where customers answer more favourably than leadership and staff",
                "Where the audiences agree", "What leadership and staff think customers say",
                "CX metrics", "How far apart overall", "The headline gap over the waves",
                "What changed", "Where the gap is widest"]
    assert [n for n in names if n in expected] == expected
    assert names[-2:] == ["Data quality", "Method"]
    voices = [n for n in names if n.startswith(("Voices: ", "In their own words: "))]
    assert len(voices) == 8  # a theme chart and quotes for each of four questions
    assert Presentation(str(path)).slides[0].slide_layout.name == "Title Slide"
    assert {s.slide_layout.name for s in Presentation(str(path)).slides} == set(LAYOUTS)


def test_slides_say_the_pages_sentences(example):
    res, path, _deck = example
    study, now = res.study, res.latest
    headline = slide_titled(path, "The headline gap")
    sentences = wording.headline_sentences(now.gaps, now.shares, study)
    assert len(sentences) == 2
    for sentence in sentences:
        assert from_html(sentence) in headline
    assert "60% of staff (52–68%, n = 146) agree" in " ".join(headline)
    calibration = slide_titled(path, wording.calibration_title(study))
    assert [from_html(s) for s in wording.calibration_sentences(now.calibration, study)] \
        == [t for t in calibration if t.startswith("On “")]
    agree = slide_titled(path, "Where the audiences agree")
    assert from_markdown(wording.agreement_note(study)) in agree
    assert "It covers leadership and staff on every item." in agree  # whom it covers
    method = slide_titled(path, "Method")
    assert any(line.startswith("• Privacy: no figure rests on fewer than 5 respondents")
               for line in method)
    assert not [t for texts in slide_texts(path) for t in texts
                if re.search(r"\\[\\_*.()\[\]]|&amp;|&lt;|\*\*|</?\w+>", t)], \
        "Markdown or HTML reached a slide"
    changed = slide_titled(path, "What changed")
    moved = res.trends.reindex(res.trends["change"].abs().sort_values(ascending=False).index)
    said = wording.trend_sentences(moved, study, significant_only=True)
    assert [t.removeprefix("• ") for t in changed[1:]][:len(said[:4])] == \
        [from_html(s) for s in said[:4]]


def test_the_voices_slides_say_the_voices_page(example):
    """What the audiences say, how alike they answer and the tone of their answers: the
    summary's and the Voices page's sentences and tables, question by question."""
    res, path, _deck = example
    study, now = res.study, res.latest
    said = slide_titled(path, "What the audiences say")
    expected = [from_html(s) for s in wording.open_answer_sentences(now.themes, study)]
    assert len(expected) > deck_module.BULLETS  # the example says more than a slide holds
    assert [t.removeprefix("• ") for t in said[1:deck_module.BULLETS + 1]] == \
        expected[:deck_module.BULLETS]
    assert said[-1] == f"• {len(expected) - deck_module.BULLETS} more on the Voices page."
    for question in study.open_ended:
        alike = slide_titled(path, f"How alike: {question.question}")
        part = now.voice_similarity[now.voice_similarity["question"] == question.id]
        assert [from_html(s) for s in wording.similarity_sentences(part, study)] == [alike[1]]
        table = display.similarity_display(part, study).drop(columns="Question")
        assert alike[2:2 + table.shape[1]] == list(table.columns)
        assert alike[2 + table.shape[1]:] == [str(v) for row in table.itertuples(index=False)
                                              for v in row]
    tone = slide_titled(path, "The tone of the answers")
    sentences = [from_markdown(s) for s in wording.tone_sentences(now.tone, study)]
    assert tone[1:1 + len(sentences)] == sentences
    table = display.tone_display(now.tone, study)
    assert "What do you feel we do well?" in tone and "do_well" not in tone  # not the ids
    for value in table[f"Mean tone ({study.interval_label})"].head(3):
        assert value in tone  # the first rows; the rest: "… more row(s) in the report"


def test_tables_are_the_pages_tables(example):
    res, path, _deck = example
    study, gaps = res.study, res.latest.gaps
    cells = slide_titled(path, "The largest gaps")
    table = display.largest_gaps(gaps, study, top=6)
    expected = [str(c) for c in table.columns] + [
        f"{v:,}" if isinstance(v, int) else str(v) for row in table.itertuples(index=False)
        for v in row]
    start = cells.index("Item")
    assert cells[start:start + len(expected)] == expected
    metrics = slide_titled(path, "CX metrics")
    shown = display.metric_display(res.latest.metrics, study)
    for value in shown[f"Value ({study.interval_label})"]:
        assert value in metrics  # with its interval, n beside it
    assert "1,000" in metrics


def test_every_chart_has_its_alt_text(example):
    _res, path, deck = example
    pictures = [shape for slide in Presentation(str(path)).slides for shape in slide.shapes
                if shape.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == deck.charts >= 7
    alts = [p._element.nvPicPr.cNvPr.get("descr") for p in pictures]
    assert alts == deck.alt_texts
    assert all(alt and "n = " in alt for alt in alts), alts
    assert any(alt.startswith("We deliver an excellent customer experience. Dot plot")
               for alt in alts)


def test_nothing_is_placed_outside_a_slide(example):
    _res, path, _deck = example
    prs = Presentation(str(path))
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (number, shape.name)
            assert shape.top + shape.height <= prs.slide_height + Inches(0.01), \
                (number, shape.name)


def test_sections_follow_the_study(shaped, tmp_path):
    stars = cx.analyze(shaped["stars"])  # two audiences, no waves, metrics or open answers
    write_deck(stars, tmp_path / "stars.pptx")
    names = titles(tmp_path / "stars.pptx")
    assert "Where the gap is widest" in names and "The headline gap" in names
    assert not [n for n in names if n in ("CX metrics", "What changed") or
                n.startswith(("Voices", "In their own words", "What crew"))]
    assert names[0] == stars.study.title  # shown as written, no Markdown read into it
    seasons = cx.analyze(shaped["seasons"])
    write_deck(seasons, tmp_path / "seasons.pptx")
    assert "The headline gap over the waves" in titles(tmp_path / "seasons.pptx")
    five = cx.analyze(shaped["five"])
    write_deck(five, tmp_path / "five.pptx")
    names = titles(tmp_path / "five.pptx")
    assert sum(n.startswith("Voices: ") for n in names) == len(five.study.open_ended)
    assert "CX metrics" in names


def test_a_suppressed_audience_has_no_number_on_any_slide(shaped, tmp_path):
    res = cx.analyze(shaped["tiny"])  # execs: three respondents, below min_group_size 5
    deck = write_deck(res, tmp_path / "tiny.pptx")
    texts = [t for slide in slide_texts(tmp_path / "tiny.pptx") for t in slide]
    about_execs = [t for t in texts if EXECS in t]
    assert about_execs  # named (the respondents line, what is not shown)
    assert not [t for t in about_execs if "%" in t or "point" in t], about_execs
    assert any(t.startswith("Not shown: ") and "fewer than 5 respondents" in t for t in texts)
    assert any(f"{EXECS}: suppressed (n = 3)" in alt for alt in deck.alt_texts)


def test_a_deck_made_from_counts_says_what_was_read_and_kept(example, tmp_path):
    """A run in blocks holds the cleaning log's counts, not the log: the Data quality
    slide still says the rows read, kept and dropped, as the deck of the log does."""
    from cxstudy.analysis import Results
    from cxstudy.quality import log_counts

    res, path, _deck = example
    counted = Results.from_counts(res.study, res.counted(), sources=res.sources,
                                  log_counts=log_counts(res.log, res.study))
    assert counted.log is None
    write_deck(counted, tmp_path / "counted.pptx")
    said = slide_titled(tmp_path / "counted.pptx", "Data quality")
    assert said == slide_titled(path, "Data quality")
    read = f"{int(res.sources['rows'].sum()):,} responses read from"
    assert any(line.startswith(read) for line in said), said


def test_a_study_of_open_questions_only(tmp_path):
    from .conftest import write

    write(tmp_path / "leaders.csv", [["id", "OE"], *[[f"L{i}", "fast and friendly"]
                                                     for i in range(8)]])
    write(tmp_path / "customers.csv", [["id", "OE"], *[[f"C{i}", "slow replies, =1+1"]
                                                       for i in range(8)]])
    spec = {"study": "Open only", "slug": "open",
            "sources": [{"path": "leaders.csv", "group": "leadership"},
                        {"path": "customers.csv", "group": "customers"}],
            "groups": ["leadership", "customers"],
            "open_ended": [{"id": "say", "question": "Anything else?", "column": "OE"}],
            "themes": "themes.yml"}
    (tmp_path / "themes.yml").write_text(yaml.safe_dump({"themes": [
        {"id": "speed", "label": "Speed", "patterns": ["fast", "slow"]},
        {"id": "people", "label": "People", "patterns": ["friendly"]}]}), encoding="utf-8")
    study = cx.load_study(spec, base_dir=tmp_path)
    result = cx.clean(cx.read_sources(study), study)
    res = cx.analyze(study, result.responses)
    write_deck(res, tmp_path / "open.pptx")
    names = titles(tmp_path / "open.pptx")
    assert names == ["Open only", "What the audiences say", "Voices: Anything else?",
                     "How alike: Anything else?", "In their own words: Anything else?",
                     "The tone of the answers", "Data quality", "Method"]
    quotes = slide_titled(tmp_path / "open.pptx", "In their own words: Anything else?")
    assert "'=1+1" not in " ".join(quotes) and "slow replies, =1+1" in quotes  # as written


def _template(path, *, rename: dict[str, str] | None = None, sample_slide: bool = True):
    prs = Presentation()  # 4:3, as a client's template may be
    for layout in prs.slide_layouts:
        layout.name = (rename or {}).get(layout.name, layout.name)
    if sample_slide:
        slide = prs.slides.add_slide(prs.slide_layouts[0])
        slide.shapes.title.text = "ACME sample slide"
    prs.save(str(path))
    return path


def _with_template(res, path):
    res.study = dataclasses.replace(res.study, deliverables=dataclasses.replace(
        res.study.deliverables, deck_template=path))
    return res


def test_a_template_gives_the_deck_its_layouts_and_size(shaped, tmp_path):
    template = _template(tmp_path / "acme.pptx", rename={"Blank": "Acme blank"})
    res = _with_template(cx.analyze(shaped["stars"]), template)
    write_deck(res, tmp_path / "deck.pptx")
    prs = Presentation(str(tmp_path / "deck.pptx"))
    assert (prs.slide_width, prs.slide_height) == (Inches(10), Inches(7.5))  # the template's
    assert "Acme blank" in [layout.name for layout in prs.slide_layouts]
    assert prs.slides[0].shapes.title.text == res.study.title  # its sample slide left out
    assert "ACME sample slide" not in [t for s in slide_texts(tmp_path / "deck.pptx") for t in s]
    assert {s.slide_layout.name for s in prs.slides} == set(LAYOUTS)
    for slide in prs.slides:  # laid out for the template's narrower slide
        for shape in slide.shapes:
            assert shape.left + shape.width <= prs.slide_width, shape.name


def test_a_template_without_a_layout_is_named_with_the_layout(tmp_path):
    template = _template(tmp_path / "acme.pptx", rename={"Title Only": "Acme title"})
    with pytest.raises(StudyFileError) as caught:
        deck_module.open_template(template)
    message = str(caught.value)
    assert str(template) in message and "no slide layout named 'Title Only'" in message
    assert "'Acme title'" in message  # the layouts it has


def test_a_template_that_is_not_a_presentation(tmp_path):
    fake = tmp_path / "acme.pptx"
    fake.write_text("not a zip", encoding="utf-8")
    with pytest.raises(StudyFileError) as caught:
        deck_module.open_template(fake)
    assert str(fake) in str(caught.value) and "not a PowerPoint .pptx file" in str(caught.value)


def _project(tmp_path, deliverables) -> object:
    (tmp_path / "studies").mkdir()
    rows = "Q1\n" + "Agree\nDisagree\nStrongly agree\n" * 3
    (tmp_path / "leaders.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(rows, encoding="utf-8")
    from .conftest import minimal_study

    spec = minimal_study(deliverables=deliverables)
    for source in spec["sources"]:
        source["path"] = "../" + source["path"]
    path = tmp_path / "studies" / "study.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_validate_and_run_refuse_a_template_before_any_work(tmp_path):
    _template(tmp_path / "acme.pptx", rename={"Title Slide": "Cover"})
    study = _project(tmp_path, {"deck_template": "../acme.pptx"})
    from cxstudy.pipeline import validate

    found = validate(study)
    assert [str(p) for p in found.problems] and \
        "no slide layout named 'Title Slide'" in str(found.problems[0])
    assert str(tmp_path / "acme.pptx") in str(found.problems[0])
    with pytest.raises(StudyFileError, match="Title Slide"):
        cx.run(study, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_deck_that_fails_leaves_the_previous_report_and_data(tmp_path, monkeypatch):
    from cxstudy.exceptions import ReportError

    study = _project(tmp_path, {})
    previous = tmp_path / "out" / "reports" / "test"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("the previous report", encoding="utf-8")

    def broken(_res, _path):
        raise ValueError("a bug")

    monkeypatch.setattr(deck_module, "write_deck", broken)
    with pytest.raises(ReportError, match=r"test: deck\.pptx could not be written "
                                          r"\(ValueError: a bug\); the previous report"):
        cx.run(study, out=tmp_path / "out")
    assert [p.name for p in previous.iterdir()] == ["index.html"]
    assert not (tmp_path / "out" / "data" / "processed" / "test").exists()
    assert not [p for p in (tmp_path / "out" / "reports").iterdir() if p.is_dir()
                and p != previous]  # no staging folder left


def test_a_template_path_that_is_missing_or_not_pptx_is_a_study_file_problem(tmp_path):
    (tmp_path / "acme.potx").write_bytes(b"")
    from .conftest import problems_of

    problems = problems_of({**_spec(), "deliverables": {"deck_template": "missing.pptx"}})
    assert any("deliverables.deck_template: 'missing.pptx': no such file" in p
               for p in problems), problems
    with pytest.raises(StudyFileError, match=r"deliverables\.deck_template: 'acme\.potx' is "
                                             r"not a \.pptx file"):
        cx.load_study({**_spec(), "deliverables": {"deck_template": "acme.potx"}},
                      base_dir=tmp_path)


def _spec() -> dict:
    from .conftest import minimal_study

    return minimal_study()


def test_the_deck_says_what_the_built_pages_say(built):
    """cxstudy run writes tables.xlsx and deck.pptx beside index.html, and the deck's
    headline sentences are the summary page's, word for word."""
    import json

    _project, serial, _in_process, _raw = built
    for report in [p for p in (serial / "reports").iterdir() if p.is_dir()]:
        assert (report / "tables.xlsx").is_file() and (report / "deck.pptx").is_file()
        manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["deliverables"] == ["tables.xlsx", "deck.pptx"]
        page = html.unescape(re.sub(r"<[^>]+>", " ", (report / "index.html").read_text(
            encoding="utf-8")))
        page = re.sub(r"\s+", " ", page)
        texts = slide_texts(report / "deck.pptx")
        headline = [t for name, slide in zip(titles(report / "deck.pptx"), texts, strict=True)
                    if name == "The headline gap" for t in slide]
        for sentence in headline:
            if sentence.startswith("“"):
                assert re.sub(r"\s+", " ", sentence) in page, (report.name, sentence)


def test_every_audience_is_heard_on_a_slide_of_quotes(example):
    res, path, _deck = example
    for name, texts in zip(titles(path), slide_texts(path), strict=True):
        if name.startswith("In their own words: "):
            assert set(res.study.groups) <= set(texts), name

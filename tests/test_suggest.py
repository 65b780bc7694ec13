"""Theme suggestions: a draft codebook from the open answers (cxstudy themes suggest)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import cxstudy as cx
from cxstudy import suggest, voices
from cxstudy.cli import main

from .conftest import LABELS

BILLS = ["The bills are confusing", "Billing errors every month", "My bill is too high",
         "Bills arrive late and confusing", "Billing is a mess"]
STAFF = ["Friendly staff on the phone", "The staff are friendly and helpful",
         "Helpful staff in the shop", "Friendly helpful engineer", "Staff were friendly"]
APP = ["The app crashes", "The app is slow to load", "App login fails",
       "Online app is slow", "The app is great"]
ANSWERS = {
    "customers": BILLS + STAFF + APP + [
        "Write to jo@example.com about the billing",  # scrubbed before it is read
        "Bills bad\nthemes: []\n# a comment",          # a newline must not end a comment
        "Nothing really", "   ", None],
    "staff": ["Our billing system is slow", "Friendly team", "The app needs work",
              "Staff are friendly", "Bills confuse customers", "The app is slow"],
    # two answers: below min_group_size, with a word nobody else says
    "leadership": ["Zeppelinesque strategy", "Zeppelinesque vision"],
}
CODEBOOK = {"themes": [{"id": "billing", "label": "Bills", "patterns": ["bill*"]}]}


def study_files(tmp_path, codebook: dict | None = None):
    """A study file over one export of ANSWERS in tmp_path/studies: its path."""
    folder = tmp_path / "studies"
    folder.mkdir()
    rows = [{"segment": g, "Q1": "Agree", "OE": text} for g, texts in ANSWERS.items()
            for text in texts]
    pd.DataFrame(rows).to_csv(folder / "all.csv", index=False)
    spec = {"study": "v", "slug": "v", "groups": ["leadership", "staff", "customers"],
            "min_group_size": 5, "sources": [{"path": "all.csv", "group_column": "segment"}],
            "scales": {"a": {"labels": LABELS, "top_box": 2}},
            "items": [{"id": "q1", "text": "One", "scale": "a", "column": "Q1"}],
            "open_ended": [{"id": "improve", "question": "What could be improved?",
                            "column": "OE"}],
            "cleaning": {"duplicates": "none"}}
    if codebook is not None:
        (folder / "book.yml").write_text(yaml.safe_dump(codebook))
        spec["themes"] = "book.yml"
    path = folder / "v.yml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def loaded(path):
    study = cx.load_study(path)
    return study, cx.clean(cx.read_sources(study), study).responses


def test_draft_loads_with_the_real_loader_and_finds_the_topics(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    found = suggest.suggest_themes(responses, study, themes=3)
    out = suggest.write_draft(found, study, tmp_path / "draft.yml")
    book = voices.load_codebook(out, study)  # the validation real codebooks get
    assert [t.id for t in book.themes] == [t.id for t in found.themes]
    patterns = {p for t in book.themes for p in t.pattern_texts}
    assert {"bill*", "app"} <= patterns
    assert any(p in patterns for p in ("friendly", "staff", "helpful"))
    # the counts are the real coder's: bill* codes these customers' answers
    billing = next(t for t in found.themes if "bill*" in t.patterns)
    expected = voices.code_answers(responses, study, voices.load_codebook(
        {"themes": [{"id": "b", "patterns": list(billing.patterns)}]}, study))
    expected = expected[expected["theme"] == "b"].groupby("group", observed=True).size()
    assert billing.counts["customers"] == expected["customers"] >= 7
    assert billing.counts["staff"] == expected["staff"]
    assert len(billing.examples) == 3


def test_deterministic_file(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    first = suggest.write_draft(suggest.suggest_themes(responses, study), study,
                                tmp_path / "one.yml")
    second = suggest.write_draft(suggest.suggest_themes(responses, study), study,
                                 tmp_path / "two.yml")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8").startswith("# DRAFT theme codebook")


def test_small_audience_suppressed_and_never_read(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    found = suggest.suggest_themes(responses, study, themes=3)
    assert found.small == ("leadership",)
    assert all(t.counts["leadership"] is None for t in found.themes)
    text = suggest.draft_yaml(found, study)
    assert "zeppelin" not in text.casefold()  # its words, examples and counts stay out
    assert "leadership suppressed" in text and "fewer than 5 answers" in text


def test_text_scrubbed_and_kept_in_its_comment(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    found = suggest.suggest_themes(responses, study, themes=3)
    text = suggest.draft_yaml(found, study)
    assert "jo@example.com" not in text
    data = yaml.safe_load(text)  # the answer with line breaks did not end its comment
    assert len(data["themes"]) == len(found.themes)
    assert all(line.lstrip().startswith(("#", "-", "themes:", "id:", "label:", "patterns:"))
               for line in text.splitlines())
    examples = [e for t in found.themes for e in t.examples]
    assert any("[email]" in e for e in examples) or all("@" not in e for e in examples)
    assert all("\n" not in e for e in examples)


def test_never_overwrites_and_names_the_file(tmp_path, capsys):
    path = study_files(tmp_path)
    study, responses = loaded(path)
    target = tmp_path / "taken.yml"
    target.write_text("mine")
    with pytest.raises(suggest.SuggestError) as caught:
        suggest.write_draft(suggest.suggest_themes(responses, study), study, target)
    assert str(target) in str(caught.value) and "--out" in str(caught.value)
    assert target.read_text() == "mine"
    assert main(["themes", "suggest", str(path), "--out", str(target)]) == 1
    error = capsys.readouterr().err
    assert str(target) in error and "already exists" in error and "Traceback" not in error
    assert target.read_text() == "mine"


def test_unwritable_place_is_a_clear_error(tmp_path, capsys):
    path = study_files(tmp_path)
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "draft.yml"  # a file where a folder should be
    assert main(["themes", "suggest", str(path), "--out", str(target)]) == 1
    error = capsys.readouterr().err
    assert str(target) in error and "cannot be written" in error and "--out" in error
    assert "Traceback" not in error


def test_cli_writes_beside_the_study_then_refuses(tmp_path, capsys):
    path = study_files(tmp_path, CODEBOOK)
    assert main(["themes", "suggest", str(path), "--themes", "3"]) == 0
    draft = tmp_path / "studies" / "themes" / "v-suggested.yml"
    said = capsys.readouterr().out
    assert str(draft) in said and "uncoded" in said
    before = draft.read_bytes()
    assert main(["themes", "suggest", str(path)]) == 1
    assert draft.read_bytes() == before
    assert main(["validate", str(path)]) == 0  # the study's own codebook is untouched
    assert main(["themes", "suggest", str(path), "--out", str(tmp_path / "x.yml"),
                 "--themes", "0"]) == 2


def test_uncoded_words_and_phrases_of_an_existing_codebook(tmp_path):
    study, responses = loaded(study_files(tmp_path, CODEBOOK))
    codebook = voices.study_codebook(study)
    found = suggest.suggest_themes(responses, study, codebook=codebook, themes=3)
    answers = suggest.scrubbed_answers(responses, study)
    answers = answers[answers["group"] != "leadership"]  # too small: not read
    billed = answers["text"].astype(str).str.contains(r"(?i)\bbill")
    assert found.uncoded == int((~billed).sum()) == 15
    words = dict(found.words)
    assert words["app"] == 7 and words["friendly"] == 6 and words["staff"] == 5
    assert "zeppelinesque" not in words
    phrases = dict(found.phrases)
    assert phrases["staff are friendly"] == 2
    assert "friendly staff" not in phrases  # one answer only: under the minimum of two
    text = suggest.draft_yaml(found, study)
    assert "15 of 24 answers (62%) have no theme" in text
    # suggestions fitted to the uncoded answers only know nothing of bills
    only = suggest.suggest_themes(responses, study, codebook=codebook, themes=2,
                                  uncoded_only=True)
    assert not any(p.startswith("bill") for t in only.themes for p in t.patterns)


def test_frequent_words_and_phrases():
    texts = pd.Series(["Long wait on the phone", "long wait, again", "the phone menu",
                       "Phone menu is long"])
    assert suggest.frequent_words(texts, 3) == [("long", 3), ("phone", 3), ("menu", 2)]
    assert suggest.frequent_phrases(texts) == [("long wait", 2), ("phone menu", 2)]
    assert suggest.frequent_phrases(pd.Series(["to be or not to be"] * 2)) == []  # stop words


def test_stems_and_patterns():
    assert suggest.stem("engineers") == "engineer" and suggest.stem("neighbour's") == "neighbour"
    from collections import Counter
    assert suggest.stem_pattern(Counter({"bills": 3, "billing": 2})) == "bill*"
    assert suggest.stem_pattern(Counter({"app": 4})) == "app"
    for pattern in ("bill*", "app"):
        voices.compile_pattern(pattern)
    assert suggest.default_theme_count(4) == 3 and suggest.default_theme_count(100) == 10
    assert suggest.default_theme_count(10_000) == 15


def test_recovery_jaccard(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    reference = voices.load_codebook({"themes": [
        {"id": "bills", "patterns": ["bill*"]}, {"id": "app", "patterns": ["app"]}]}, study)
    suggested = voices.load_codebook({"themes": [
        {"id": "b", "patterns": ["bills"]}, {"id": "a", "patterns": ["app", "online"]}]}, study)
    table = suggest.recovery(responses, study, reference, suggested).set_index("theme")
    coded = voices.code_answers(responses, study, reference)
    n_bill = int((coded["theme"] == "bills").sum())
    n_bills_word = int(coded["text"].astype(str).str.contains(r"(?i)\bbills\b").sum())
    assert table.loc["bills", "best"] == "b"
    assert table.loc["bills", "jaccard"] == pytest.approx(n_bills_word / n_bill)
    assert table.loc["bills", "precision"] == 1.0
    assert table.loc["app", "jaccard"] == 1.0 and table.loc["app", "recovered"]
    same = suggest.recovery(responses, study, reference, reference)
    assert same["recovered"].all() and (same["jaccard"] == 1).all()


def test_example_codebook_recovered(example_responses):
    """The measurement the draft is judged by (benchmarks/suggest_recovery.py): at least
    5 of the example codebook's 11 themes matched with a Jaccard index of 0.5 or more."""
    study, responses = example_responses
    found = suggest.suggest_themes(responses, study)
    book = voices.load_codebook(found.codebook_dict(), study)
    table = suggest.recovery(responses, study, voices.study_codebook(study), book)
    assert len(table) == 11 and table["recovered"].sum() >= 5


def test_no_open_answers_is_a_clear_error(tmp_path):
    study, responses = loaded(study_files(tmp_path))
    with pytest.raises(suggest.SuggestError, match="no open answers"):
        suggest.suggest_themes(responses.assign(improve=pd.NA), study)

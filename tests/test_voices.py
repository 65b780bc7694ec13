"""Voices: coding the open-ended answers, comparing themes, words and quotes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

import cxstudy as cx
from cxstudy import report, voices
from cxstudy.exceptions import StudyFileError

from .conftest import LABELS, ROOT, copy_project

CODEBOOK = {"themes": [
    {"id": "billing", "label": "Bills", "patterns": ["bill*", "invoice"]},
    {"id": "staff", "label": "Staff", "patterns": ["friendly", "/went (the )?extra mile/"],
     "questions": ["do_well"]},
    {"id": "wait", "label": "Waiting", "patterns": ["long wait", "待ち"]},
]}
ANSWERS = {
    "customers": [
        "My bills are confusing <script>alert('x')</script>",
        "Billing errors; mail me at jo@example.com or 020 7946 0958",
        "Friendly staff 😀 who went the extra mile",
        "電話の待ち時間が長い",
        "   ",
        None,
        "Nothing to add",
        "A long   wait on the phone, long wait!",
        "billion-dollar company",  # 'bill*' matches billion: a plain word would not
        "The invoice came late",
    ],
    "staff": ["Our billing system", "Friendly team", "long wait times", "ok", "fine"],
    "leadership": ["Innovation", "Brand"],
}


def small_study(tmp_path, codebook=CODEBOOK, min_group_size=2):
    rows = [{"segment": g, "Q1": "Agree", "OE": text} for g, texts in ANSWERS.items()
            for text in texts]
    pd.DataFrame(rows).to_csv(tmp_path / "all.csv", index=False)
    spec = {"study": "v", "slug": "v", "groups": ["leadership", "staff", "customers"],
            "min_group_size": min_group_size,
            "sources": [{"path": "all.csv", "group_column": "segment"}],
            "scales": {"a": {"labels": LABELS, "top_box": 2}},
            "items": [{"id": "q1", "text": "One", "scale": "a", "column": "Q1"}],
            "open_ended": [{"id": "do_well", "question": "What do we do well?",
                            "column": "OE"}],
            "cleaning": {"duplicates": "none"}}
    study = cx.load_study(spec, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    return study, responses, voices.load_codebook(codebook, study)


def test_coding_word_boundaries_blanks_and_uncoded(tmp_path):
    study, responses, codebook = small_study(tmp_path)
    coded = voices.code_answers(responses, study, codebook)
    customers = coded[coded["group"] == "customers"]
    assert customers["row"].nunique() == 8  # the blank and the empty answer are not answers
    themes = customers.groupby("text")["theme"].apply(sorted).to_dict()
    assert themes["Friendly staff 😀 who went the extra mile"] == ["staff"]
    assert themes["電話の待ち時間が長い"] == ["wait"]
    assert themes["A long   wait on the phone, long wait!"] == ["wait"]
    assert themes["Nothing to add"] == ["uncoded"]
    assert themes["The invoice came late"] == ["billing"]
    assert "[email]" in next(t for t in themes if t.startswith("Billing errors"))


def test_pattern_semantics():
    assert voices.compile_pattern("bill").search("the bill") is not None
    assert voices.compile_pattern("bill").search("billing") is None  # whole words
    assert voices.compile_pattern("bill*").search("Billing") is not None
    assert voices.compile_pattern("long wait").search("LONG\n wait") is not None
    assert voices.compile_pattern("/went (the )?extra mile/").search("went extra mile")


def test_theme_table_matches_direct_computation(tmp_path):
    study, responses, codebook = small_study(tmp_path)
    table = voices.theme_table(responses, study, codebook)
    assert list(table.columns) == voices.THEME_COLUMNS
    billing = table[(table["theme"] == "billing")].set_index("group")
    customers, staff = billing.loc["customers"], billing.loc["staff"]
    assert (customers["n"], customers["mentions"]) == (8, 4)
    assert (staff["n"], staff["mentions"]) == (5, 1)
    assert (customers["share_low"], customers["share_high"]) == pytest.approx(
        proportion_confint(4, 8, method="wilson"))
    assert (staff["gap_low"], staff["gap_high"]) == pytest.approx(
        confint_proportions_2indep(1, 5, 4, 8, method="newcomb"))
    assert pd.isna(customers["gap"])  # no gap for the reference itself
    uncoded = table[(table["theme"] == "uncoded") & (table["group"] == "customers")].iloc[0]
    assert uncoded["mentions"] == 1
    leaders = table[table["group"] == "leadership"]  # 2 answers, min_group_size 2: shown
    assert not leaders["suppressed"].any() and (leaders["n"] == 2).all()


def test_suppression_below_min_group_size(tmp_path):
    study, responses, codebook = small_study(tmp_path, min_group_size=3)
    table = voices.theme_table(responses, study, codebook)
    leaders = table[table["group"] == "leadership"]
    assert leaders["suppressed"].all() and leaders["share"].isna().all()
    assert (leaders["n"] == 2).all()
    said = voices.quotes(responses, study, codebook)
    assert "leadership" not in set(said["group"])


def test_quotes_are_scrubbed_and_escaped_in_html(tmp_path):
    study, responses, codebook = small_study(tmp_path)
    said = voices.quotes(responses, study, codebook, per_theme=5)
    text = " ".join(said["quote"])
    assert "jo@example.com" not in text and "7946" not in text
    assert "<script>" in text  # stored as written ...
    page = report.table_html(said)
    assert "<script>" not in page and "&lt;script&gt;" in page  # ... shown escaped


def test_tokenizer_copes_with_punctuation_emoji_and_japanese():
    tokens = voices.tokenize("The team's GREAT!!! The staff were great 👍 — 対応が丁寧 "
                             "[email] 2024")
    assert "team's" in tokens and tokens.count("great") == 2 and "staff" in tokens
    assert "the" not in tokens and "2024" not in tokens and "email" not in tokens
    assert "👍" in tokens and "対応" in tokens and "丁寧" in tokens


def test_weighted_log_odds_by_hand():
    """Two groups; word counts a: {x: 3, y: 1}, b: {x: 1, y: 3}; prior alpha_w = y_w."""
    frame = pd.DataFrame({"respondent_id": list("12345678"),
                          "group": pd.Categorical(list("aaaabbbb"), categories=["a", "b"]),
                          "weight": 1.0,
                          "oe": ["xylo", "xylo", "xylo", "yarn", "xylo", "yarn", "yarn",
                                 "yarn"]})
    study = cx.load_study({"study": "w", "slug": "w", "groups": ["a", "b"], "min_group_size": 1,
                           "sources": [{"path": "x.csv", "group_column": "g"}],
                           "open_ended": [{"id": "oe", "question": "?", "column": "oe"}]},
                          base_dir=ROOT)
    words = voices.distinguishing_words(frame, study, "oe", min_count=1, min_z=0)
    a = words[words["group"] == "a"].set_index("word")
    # y_aw = 3, alpha_w = 4, n_a = 4, alpha_0 = 8, y_w = 4, n = 8
    delta = np.log((3 + 4) / (4 + 8 - 3 - 4)) - np.log((4 + 4) / (8 + 8 - 4 - 4))
    z = delta / np.sqrt(1 / (3 + 4) + 1 / (4 + 4))
    assert a.loc["xylo", "z"] == pytest.approx(z)
    assert "yarn" not in a.index  # negative z: typical of the other group


def test_broken_codebook_is_reported_with_its_theme(tmp_path):
    study, _responses, _codebook = small_study(tmp_path)
    broken = {"themes": [{"id": "billing", "label": "Bills", "patterns": ["/bill(/", ""]},
                         {"id": "billing", "label": "Again", "patterns": ["x"],
                          "questions": ["do_wel"]},
                         {"id": "other", "labl": "typo", "patterns": ["y"]}]}
    with pytest.raises(StudyFileError) as caught:
        voices.load_codebook(broken, study)
    message = str(caught.value)
    assert "themes[0] (billing).patterns[0]: bad regular expression '/bill(/'" in message
    assert "themes[0] (billing).patterns[1]" in message
    assert "themes[1] (billing): id used twice" in message
    assert "unknown question 'do_wel' (did you mean \"do_well\"?)" in message
    assert 'themes[2].labl: unknown key (did you mean "label"?)' in message


def test_validate_names_the_codebook(tmp_path):
    from cxstudy.pipeline import validate

    copy_project(tmp_path)
    book = tmp_path / "studies" / "themes" / "example.yml"
    book.write_text(book.read_text().replace("[wait*,", '["/wait(/",'))
    problems = validate(tmp_path / "studies" / "example.yml").problems
    assert any(p.where.startswith("example.yml: themes[") and "bad regular expression"
               in p.found for p in problems)


def test_example_voices(example_2026):
    study, responses = example_2026
    codebook = voices.load_codebook(study.themes, study)
    table = voices.theme_table(responses, study, codebook)
    improve = table[(table["question"] == "improve") & (table["group"] == "customers")]
    assert improve.set_index("theme").loc["billing", "share"] > 0.3  # the seeds' billing
    clash = voices.disagreements(table, study)
    # the only theme named on both questions is digital: leadership names it exactly as
    # often on "do well" as on "improve" (21%/21%), so no audience names it more as a
    # problem than as a strength, and no disagreement is claimed
    both = table[table["theme"] == "digital"].pivot_table(
        index="group", columns="question", values="share", observed=True)
    assert (both["improve"] <= both["do_well"]).all() and len(clash) == 0
    words = voices.distinguishing_words(responses, study, "improve")
    # the example's customers draw their phrases evenly from a pool: no word of theirs is
    # more typical of them than chance would make it
    assert set(words["group"]) == {"leadership", "staff"}
    assert (words["z"] >= 1.96).all() and (words["word"].str.len() >= 3).all()
    weak = voices.distinguishing_words(responses, study, "improve", min_z=0, top=200)
    assert (weak["z"] < 1.96).any()  # the filter drops what chance would explain


def test_coding_distinct_answers_once_equals_coding_every_answer(tmp_path):
    """Each distinct answer is matched once (issue 14); the result is what coding every
    answer on its own gives, row for row, in the same order."""
    study, responses, codebook = small_study(tmp_path)
    many = pd.concat([responses] * 7, ignore_index=True)  # every answer given seven times
    coded = voices.code_answers(many, study, codebook)
    expected = []
    for answer in voices._answers(many, study).itertuples(index=False):
        found = [t.id for t in codebook.themes
                 if (t.questions is None or answer.question in t.questions)
                 and any(p.search(answer.text) for p in t.patterns)] or [voices.UNCODED]
        expected += [(answer.row, answer.question, answer.group, answer.weight, theme,
                      answer.text, answer.point) for theme in found]
    assert list(coded.itertuples(index=False, name=None)) == expected
    assert len(coded) > 7 * 8  # several themes per answer were seen


def test_word_counts_tokenize_each_distinct_answer_once(tmp_path, monkeypatch):
    """Each audience's word counts are value_counts of every answer's words (most first,
    ties in the order first seen), each distinct answer tokenized once."""
    study, _responses, _codebook = small_study(tmp_path)
    texts = ["Bills bills confusing", "Long wait", "Bills bills confusing", "wait for bills",
             "Long wait"] * 3
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(len(texts))],
                          "group": pd.Categorical(["customers"] * len(texts),
                                                  categories=list(study.groups)),
                          "weight": 1.0, "do_well": pd.array(texts, dtype="string")})
    expected = pd.Series([t for text in texts for t in voices.tokenize(text)],
                         dtype=object).value_counts()
    seen = []
    tokenize = voices.tokenize
    monkeypatch.setattr(voices, "tokenize", lambda text: seen.append(text) or tokenize(text))
    answers, tokens = voices.voice_counts(frame, study, themes=False).words["do_well"]
    assert answers.tolist() == [0, 0, len(texts)]
    counts = tokens.sort_values("count", ascending=False, kind="stable")
    assert list(zip(counts["token"], counts["count"], strict=True)) == list(expected.items())
    assert sorted(seen) == sorted(set(texts))


# ---------------------------------------------------------------------------
# group sheets (split: points, sheet_size) and the similarity of the audiences' voices

SHEET_CODEBOOK = {"themes": [
    {"id": "people", "label": "People", "patterns": ["friendly", "helpful"]},
    {"id": "bills", "label": "Bills", "patterns": ["bill*"]},
    {"id": "waiting", "label": "Waiting", "patterns": ["wait*"]},
]}
SHEETS = [  # staff: one row per group sheet, several points per cell, the group's size
    ("S1", 8, "- Friendly team\n- Bills go out on time\n-"),
    ("S2", 6, "1. friendly office\n2. helpful engineers"),  # two points, one theme
    ("S3", 4, "Bills are slow; customers wait"),
    ("S4", 2, "• Nothing to add"),
]
SOLO = {"leadership": ["Friendly people", "Bills; waiting", "helpful staff"],
        "customers": ["friendly", "long waits", "the bill", "wait times", "ok"]}


def sheet_study(tmp_path, *, min_group_size=2, sized=True, split=True, codebook=True):
    """Leaders and customers answer alone; staff on group sheets (with their sizes)."""
    pd.DataFrame({"Sheet": [s[0] for s in SHEETS], "People": [s[1] for s in SHEETS],
                  "OE": [s[2] for s in SHEETS]}).to_csv(tmp_path / "staff.csv", index=False)
    for group, texts in SOLO.items():
        pd.DataFrame({"id": [f"{group[0]}{i}" for i in range(len(texts))], "OE": texts}
                     ).to_csv(tmp_path / f"{group}.csv", index=False)
    spec = {"study": "w", "slug": "w", "groups": ["leadership", "staff", "customers"],
            "min_group_size": min_group_size,
            "sources": [{"path": "leadership.csv", "group": "leadership"},
                        {"path": "staff.csv", "group": "staff", "id_column": "Sheet",
                         **({"sheet_size": "People"} if sized else {})},
                        {"path": "customers.csv", "group": "customers"}],
            "open_ended": [{"id": "well", "question": "What do we do well?", "column": "OE",
                            "role": "strength", **({"split": "points"} if split else {})}],
            "cleaning": {"require_finished": False}}
    if codebook:
        (tmp_path / "themes.yml").write_text(yaml.safe_dump(SHEET_CODEBOOK), encoding="utf-8")
        spec["themes"] = "themes.yml"
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses


def test_each_point_is_coded_and_a_sheet_names_a_theme_once(tmp_path):
    study, responses = sheet_study(tmp_path, sized=False)
    coded = voices.code_answers(responses, study, voices.study_codebook(study))
    staff = coded[coded["group"] == "staff"]
    assert sorted(set(staff["text"])) == sorted(["Friendly team", "Bills go out on time",
                                                 "friendly office", "helpful engineers",
                                                 "Bills are slow", "customers wait",
                                                 "Nothing to add"])
    table = cx.theme_table(responses, study).set_index(["group", "theme"])
    people = table.loc[("staff", "people")]
    assert (people["n"], people["n_points"]) == (4, 7)  # four sheets, seven points
    assert (people["mentions"], people["points"]) == (2, 3)  # S2 names it twice: once
    assert people["share"] == pytest.approx(2 / 4)
    assert table.loc[("staff", "uncoded"), "mentions"] == 1  # S4's only point
    leaders = table.loc[("leadership", "bills")]
    assert (leaders["n"], leaders["n_points"], leaders["mentions"]) == (3, 4, 1)
    # quotes are single points
    quotes = voices.quotes(responses, study, per_theme=3)
    assert set(quotes.loc[quotes["group"] == "staff", "quote"]) <= set(staff["text"])


def test_a_cell_that_is_not_split_is_one_answer(tmp_path):
    study, responses = sheet_study(tmp_path, sized=False, split=False)
    table = cx.theme_table(responses, study).set_index(["group", "theme"])
    people = table.loc[("staff", "people")]
    assert (people["n"], people["n_points"], people["mentions"], people["points"]) == (
        4, 4, 2, 2)


def test_sheet_size_weighs_a_sheet_by_its_people(tmp_path):
    study, responses = sheet_study(tmp_path)
    staff = responses[responses["group"] == "staff"]
    sizes = np.array([s[1] for s in SHEETS], dtype=float)
    assert staff["weight"].to_numpy() == pytest.approx(sizes / sizes.mean())
    assert responses.loc[responses["group"] != "staff", "weight"].eq(1).all()
    table = cx.theme_table(responses, study).set_index(["group", "theme"])
    # people: S1 (8) and S2 (6) of 20 people; bills: S1 and S3 (4)
    assert table.loc[("staff", "people"), "share"] == pytest.approx(14 / 20)
    assert table.loc[("staff", "bills"), "share"] == pytest.approx(12 / 20)


def test_similarity_index_is_one_minus_scipys_jensen_shannon_distance():
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(3)
    p, q = rng.random((50, 6)), rng.random((50, 6))
    p[:, 0] = 0  # a theme one profile never names
    expected = [1 - jensenshannon(a, b, base=2) for a, b in zip(p, q, strict=True)]
    assert voices.similarity_index(p, q) == pytest.approx(expected, abs=1e-12)
    assert voices.similarity_index([1, 2, 0], [2, 4, 0]) == pytest.approx(1.0)
    assert voices.similarity_index([1, 0], [0, 3]) == pytest.approx(0.0)
    assert np.isnan(voices.similarity_index([0, 0], [1, 1]))


def test_voice_similarity_from_the_theme_profiles(tmp_path):
    from scipy.spatial.distance import jensenshannon

    study, responses = sheet_study(tmp_path)
    table = voices.voice_similarity(responses, study)
    assert list(table.columns) == cx.tables.VOICE_SIMILARITY.all_columns
    assert list(zip(table["group"], table["other"], strict=True)) == [
        ("leadership", "staff"), ("leadership", "customers"), ("staff", "customers")]
    themes = cx.theme_table(responses, study)
    coded = themes[themes["theme"] != "uncoded"]
    for row in table.itertuples():
        # the profile: each theme's (weighted) share of the audience's answers
        a = coded[coded["group"] == row.group]["share"].to_numpy()
        b = coded[coded["group"] == row.other]["share"].to_numpy()
        assert row.similarity == pytest.approx(1 - jensenshannon(a, b, base=2))
        assert row.similarity_low <= row.similarity <= row.similarity_high
        assert row.named == int((a >= voices.NAMED_AT).sum())
    again = voices.voice_similarity(responses, study)
    pd.testing.assert_frame_equal(table, again)  # seeded: the same interval


def test_voice_similarity_bootstrap_matches_resampling_answers(tmp_path):
    """The multinomial draw over patterns is the bootstrap of answers: against a plain
    loop resampling answers (another generator), the intervals agree."""
    rng = np.random.default_rng(11)
    texts = {"leadership": ["friendly", "bills", "friendly bills", "wait", "ok"],
             "customers": ["bills", "wait", "wait bills", "friendly", "ok", "bills"]}
    rows = [(g, str(rng.choice(options))) for g, options in texts.items() for _ in range(60)]
    frame = pd.DataFrame(rows, columns=["segment", "OE"])
    frame.to_csv(tmp_path / "all.csv", index=False)
    (tmp_path / "themes.yml").write_text(yaml.safe_dump(SHEET_CODEBOOK), encoding="utf-8")
    study = cx.load_study({
        "study": "b", "slug": "b", "groups": ["leadership", "customers"],
        "sources": [{"path": "all.csv", "group_column": "segment"}],
        "open_ended": [{"id": "q", "question": "Q?", "column": "OE"}],
        "themes": "themes.yml", "cleaning": {"duplicates": "none"}}, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    table = voices.voice_similarity(responses, study, n_boot=4000).iloc[0]
    codebook = voices.study_codebook(study)
    ids = [t.id for t in codebook.themes]
    matrix = {g: np.array([[any(p.search(text) for p in t.patterns) for t in codebook.themes]
                           for text in responses.loc[responses["group"] == g, "q"]], float)
              for g in study.groups}
    other = np.random.default_rng(99)
    draws = []
    for _ in range(4000):
        a, b = (m[other.integers(0, len(m), len(m))].sum(axis=0) for m in matrix.values())
        draws.append(voices.similarity_index(a, b))
    low, high = voices._bias_corrected(np.array(draws), table["similarity"], 0.05)
    assert len(ids) == 3
    assert table["similarity_low"] == pytest.approx(low, abs=0.03)
    assert table["similarity_high"] == pytest.approx(high, abs=0.03)


def test_small_audiences_show_no_similarity_points_or_quotes(tmp_path):
    study, responses = sheet_study(tmp_path, min_group_size=4)  # leadership: 3
    table = voices.voice_similarity(responses, study).set_index(["group", "other"])
    for pair in [("leadership", "staff"), ("leadership", "customers")]:
        row = table.loc[pair]
        assert row["suppressed"] and row[["similarity", "similarity_low", "similarity_high",
                                          "named", "named_other", "named_both"]].isna().all()
    assert not table.loc[("staff", "customers"), "suppressed"]
    themes = cx.theme_table(responses, study)
    leaders = themes[themes["group"] == "leadership"]
    assert leaders["suppressed"].all() and leaders[["points", "n_points", "mentions"]
                                                    ].isna().all().all()
    assert "leadership" not in set(voices.quotes(responses, study)["group"])
    note = report.points_note(themes, study, "well")
    assert "leadership not shown" in note and "staff 4 answers (7 points)" in note


def test_without_a_codebook_quotes_are_typical_uncoded_answers(tmp_path):
    study, responses = sheet_study(tmp_path, codebook=False, min_group_size=4)
    res = cx.analyze(study, responses)
    assert res.codebook is None and res.themes.empty and res.voice_similarity.empty
    quotes = res.quotes
    assert set(quotes["theme"]) == {"uncoded"}
    assert set(quotes["group"]) == {"staff", "customers"}  # leadership: 3 answers, hidden
    assert quotes.groupby("group").size().max() <= 3
    assert "voice_similarity" not in res.available and "themes" not in res.available


WORKSHOP = ROOT / "tests" / "fixtures" / "workshop" / "studies" / "workshop.yml"


def test_the_workshop_study_runs_end_to_end(tmp_path):
    """Issue 24: the method the kit exists for. Leaders answered alone, staff on group
    sheets (several points a cell, in four styles, with the group's size), customers a
    short form; the four questions; a five-theme codebook; no items, no metrics. It
    validates, runs, and its pages lead with the open answers."""
    result = cx.run(WORKSHOP, out=tmp_path, notebook_jobs=2)
    report_dir = result.report_dir
    assert sorted(p.name for p in report_dir.glob("*.html")) == [
        "data_quality.html", "index.html", "voices.html"]  # no gaps page: no items
    assert sorted(p.name for p in (report_dir / "tables").glob("*.csv")) == [
        "themes.csv", "tone.csv", "voice_similarity.csv"]
    similarity = pd.read_csv(report_dir / "tables" / "voice_similarity.csv")
    assert len(similarity) == 4 * 3 and similarity["similarity"].between(0, 1).all()
    themes = pd.read_csv(report_dir / "tables" / "themes.csv")
    staff = themes[(themes["group"] == "staff") & (themes["question"] == "do_well")]
    assert staff["n"].unique().tolist() == [6] and staff["n_points"].unique().tolist() == [15]
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "What the audiences say" in index and "every audience names" in index
    # staff name billing and digital on "do well" (17%, 19%) but more on "improve" (67%,
    # 36%); every audience names the other themes on one side only: no theme is more a
    # strength to one audience and more a problem to another, and none is said to be
    assert "a strength to" not in index and "answer most alike" in index
    assert "No theme is named more often as a strength than as a problem by one audience" \
        in (report_dir / "voices.html").read_text(encoding="utf-8")
    assert "headline gap" not in index and "perception-gap index" not in index
    assert "Traceback" not in index and "ValueError" not in index
    voices_page = (report_dir / "voices.html").read_text(encoding="utf-8")
    assert "Similarity and disparity" in voices_page and "15 points" in voices_page
    assert voices_page.index("Themes by question") < voices_page.index(
        "Similarity and disparity") < voices_page.index("Where the audiences disagree")
    for page in (index, voices_page):  # respondent text scrubbed
        assert "mia.chen@" not in page and "07700 900123" not in page
        assert "Mia Chen" not in page  # a pii column: never shown
    assert "[email]" in voices_page


# ---------------------------------------------------------------------------
# counts: every table of the open answers from additive counts (issue 29)

def _in_blocks(responses: pd.DataFrame, study, cuts, **options) -> voices.VoiceCounts:
    """The counts of ``responses`` made block by block (rows cut at ``cuts``), added."""
    edges = [0, *cuts, len(responses)]
    blocks = [responses.iloc[a:b].reset_index(drop=True)
              for a, b in itertools.pairwise(edges)]
    total = None
    for block in blocks:
        counts = voices.voice_counts(block, study, **options)
        total = counts if total is None else total + counts
    return total


def _same_table(made: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(made.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cuts", [[1], [2, 5], [4, 7, 9], [3, 6, 8, 10]])
def test_counts_made_in_blocks_make_the_tables_of_all_the_answers(tmp_path, cuts):
    """Group sheets split into points, weighted by their sizes: every table made from the
    counts of blocks added (responses None) is the table of all the answers."""
    study, responses = sheet_study(tmp_path)
    counts = _in_blocks(responses, study, cuts)
    _same_table(cx.theme_table(None, study, counts=counts), cx.theme_table(responses, study))
    _same_table(voices.voice_similarity(None, study, counts=counts, n_boot=500),
                voices.voice_similarity(responses, study, n_boot=500))
    _same_table(voices.quotes(None, study, per_theme=3, counts=counts),
                voices.quotes(responses, study, per_theme=3))
    _same_table(voices.distinguishing_words(None, study, "well", counts=counts, min_z=0,
                                            min_count=1),
                voices.distinguishing_words(responses, study, "well", min_z=0, min_count=1))


def _typical(answers: pd.DataFrame, per_theme: int) -> list[tuple]:
    """Quotes chosen by the rule itself, written independently: per (theme, audience) in
    the order first given, the distinct answers closest to the median length of the
    distinct answers (ties: first given first)."""
    chosen, seen = [], {}
    for row in answers.itertuples(index=False):
        seen.setdefault((row.theme, row.group), {}).setdefault(row.text, len(seen.get(
            (row.theme, row.group), {})))
    for (theme, group), texts in seen.items():
        median = float(np.median([len(t) for t in texts]))
        ranked = sorted(texts, key=lambda t: (abs(len(t) - median), texts[t]))
        chosen += [(theme, group, text) for text in ranked[:per_theme]]
    return chosen


def test_the_bounded_pool_of_quotes_picks_what_all_the_answers_would(tmp_path):
    """Many answers, most repeated, of many lengths, in random order and cut into blocks
    whose pools keep a few answers per length: the quotes are those the rule picks among
    every answer (written here without cxstudy), and those of the responses."""
    rng = np.random.default_rng(5)
    words = ["bill", "wait", "friendly", "slow", "price", "ok", "staff", "phone", "app"]
    pool = [" ".join(rng.choice(words, size=rng.integers(1, 7))) for _ in range(60)]
    groups = rng.choice(["leadership", "staff", "customers"], size=900)
    texts = rng.choice(pool, size=900)
    pd.DataFrame({"segment": groups, "OE": texts}).to_csv(tmp_path / "all.csv", index=False)
    (tmp_path / "themes.yml").write_text(yaml.safe_dump(SHEET_CODEBOOK), encoding="utf-8")
    study = cx.load_study({
        "study": "p", "slug": "p", "groups": ["leadership", "staff", "customers"],
        "sources": [{"path": "all.csv", "group_column": "segment"}],
        "open_ended": [{"id": "q", "question": "Q?", "column": "OE"}],
        "themes": "themes.yml", "cleaning": {"duplicates": "none"}}, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    counts = _in_blocks(responses, study, [100, 101, 450, 800], pool=2)
    assert len(counts.pool["q"]) < len(counts.distinct["q"])  # the pool kept fewer
    made = voices.quotes(None, study, per_theme=2, counts=counts)
    _same_table(made, voices.quotes(responses, study, per_theme=2))
    coded = voices.code_answers(responses, study, voices.study_codebook(study))
    coded = coded[coded["theme"] != voices.UNCODED].astype({"theme": str, "group": str,
                                                             "text": str})
    assert list(made[["theme", "group", "quote"]].itertuples(index=False, name=None)) == \
        _typical(coded, 2)
    with pytest.raises(ValueError, match="pool=3"):
        voices.quotes(None, study, per_theme=3, counts=counts)


def _wave_study(tmp_path):
    for name, texts in {"l25": ["Friendly", "bills"], "c25": ["long wait", "the bill"],
                        "l26": ["helpful staff"], "c26": ["waiting", "bills", "ok"]}.items():
        pd.DataFrame({"id": [f"{name}{i}" for i in range(len(texts))], "OE": texts}
                     ).to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "themes.yml").write_text(yaml.safe_dump(SHEET_CODEBOOK), encoding="utf-8")
    study = cx.load_study({
        "study": "w", "slug": "w", "groups": ["leadership", "customers"], "min_group_size": 1,
        "waves": ["2025", "2026"], "themes": "themes.yml",
        "sources": [{"path": f"{g[0]}{w[2:]}.csv", "group": g, "wave": w}
                    for w in ("2025", "2026") for g in ("leadership", "customers")],
        "open_ended": [{"id": "q", "question": "Q?", "column": "OE"}],
        "cleaning": {"require_finished": False}}, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses


def test_tables_made_from_a_waves_counts_say_that_wave(tmp_path):
    study, responses = _wave_study(tmp_path)
    first = responses[(responses["wave"].astype(str) == "2025").to_numpy()].reset_index(
        drop=True)
    counts = voices.voice_counts(first, study)
    assert counts.wave == "2025"
    for table in (cx.theme_table(None, study, counts=counts),
                  voices.voice_similarity(None, study, counts=counts, n_boot=50),
                  voices.quotes(None, study, counts=counts),
                  voices.distinguishing_words(None, study, "q", counts=counts, min_z=0)):
        assert set(table["wave"]) <= {"2025"} and "wave" in table.columns
    _same_table(cx.theme_table(None, study, counts=counts),
                cx.theme_table(responses, study).query("wave == '2025'"))
    with pytest.raises(ValueError, match="one wave"):
        voices.voice_counts(responses, study)


def test_counts_that_cannot_make_a_table_are_refused_with_what_to_do(tmp_path):
    study, responses = sheet_study(tmp_path)
    (tmp_path / "other").mkdir()
    other_study, other = sheet_study(tmp_path / "other", codebook=False)
    with pytest.raises(ValueError, match="give the responses, or their counts"):
        cx.theme_table(None, study)
    words_only = voices.voice_counts(responses, study, themes=False)
    with pytest.raises(ValueError, match="hold no themes"):
        cx.theme_table(None, study, counts=words_only)
    uncoded = voices.voice_counts(other, other_study)
    with pytest.raises(ValueError, match="codebook"):
        cx.theme_table(None, study, counts=uncoded)
    with pytest.raises(ValueError, match="count them with"):
        voices.distinguishing_words(None, study, "well",
                                    counts=voices.voice_counts(responses, study, words=False))
    blocks = voices.voice_counts(responses, study)
    with pytest.raises(ValueError, match="same study"):
        blocks + uncoded


def test_counts_hold_what_was_said_not_who_said_it(tmp_path):
    """The counts of the same answers given by ten times the respondents are no bigger
    (bar the counts themselves): their size follows the distinct answers."""
    study, responses = sheet_study(tmp_path, sized=False)
    once = voices.voice_counts(responses, study)
    many = voices.voice_counts(pd.concat([responses] * 10, ignore_index=True), study)
    for q in study.open_ended:
        assert len(many.patterns[q.id]) == len(once.patterns[q.id])
        assert len(many.distinct[q.id]) == len(once.distinct[q.id])
        assert len(many.pool[q.id]) == len(once.pool[q.id])
        assert len(many.words[q.id][1]) == len(once.words[q.id][1])
        np.testing.assert_array_equal(many.answers[q.id], 10 * once.answers[q.id])


def test_results_from_counts_make_the_voices_but_not_every_coded_answer(tmp_path):
    """Results made from counts have the tables of the open answers and the words, not
    ``coded`` (every answer with its themes, which grows with the respondents)."""
    from cxstudy.analysis import Results

    study, responses = sheet_study(tmp_path)
    whole = Results(study, responses)
    made = Results.from_counts(study, whole.counted())
    assert {"voice_counts", "tone_counts"} <= set(whole.counted()[None])
    _same_table(made.themes, whole.themes)
    _same_table(made.words("well", top=3), whole.words("well", top=3))
    assert "coded" not in made.computed and "coded" not in whole.computed
    with pytest.raises(ValueError, match="made from counts"):
        made.coded  # noqa: B018


@pytest.mark.parametrize("rows", [0, 1, 9, 3_000])
def test_each_word_once_where_first_seen_as_pandas_groups_them(rows):
    """_first_tokens over codes gives what sorting by (first, index) and grouping by
    (audience, word) with pandas gives: counts summed, first position, the order."""
    from cxstudy.voices import _first_tokens

    rng = np.random.default_rng(rows)
    tokens = pd.DataFrame({
        "group": rng.integers(0, 3, rows), "token": pd.Series(
            rng.choice(["price", "wait", "über", "日本", "", "a b"], rows), dtype=object),
        "count": rng.integers(1, 9, rows), "first": rng.integers(0, 40, rows) << 20,
        "index": rng.integers(0, 5, rows)})
    expected = tokens.sort_values(["first", "index"], kind="stable").groupby(
        ["group", "token"], sort=False, as_index=False).agg(
        count=("count", "sum"), first=("first", "first"), index=("index", "first"))
    pd.testing.assert_frame_equal(_first_tokens(tokens), expected)


@pytest.mark.parametrize("at_once_from", [0, 10**9], ids=["arrow", "one by one"])
def test_themes_are_found_over_every_answer_at_once_as_text_by_text(example_responses,
                                                                    monkeypatch, at_once_from):
    """Arrow's RE2 over every distinct answer at once (many answers) and the compiled
    patterns over each answer (few) name the themes that searching each answer with the
    compiled codebook patterns names: the example's answers and text of other scripts,
    cases and word boundaries."""
    from cxstudy.voices import _themes_named

    monkeypatch.setattr(voices, "_SEARCHED_AT_ONCE", at_once_from)
    study, responses = example_responses
    codebook = voices.study_codebook(study)
    texts = [*pd.unique(pd.concat([responses[q.id] for q in study.open_ended]).dropna()),
             "ÜBER-billing!", "über billing", "BILLING", "billings", "rebilling", "bill",
             "料金が高い", "the app_crashes", "app crashed", "İstanbul staff", "STRASSE straße",
             "", " ", "price\nwait", "wait… price?", "𝒷𝒾𝓁𝓁", "ﬁx the ﬂow"]
    patterns = [compiled for theme in codebook.themes for compiled in theme.patterns]
    extra = [("cjk", (voices.compile_pattern("料金"),)),
             ("star", (voices.compile_pattern("bill*"),)),
             ("regex", (voices.compile_pattern("/st(r|ra)(ss|ß)e/"),))]
    themes = [(t.id, t.patterns) for t in codebook.themes] + extra
    array = np.array(texts, dtype=object)
    made = _themes_named(array, themes)
    wanted = np.array([[any(p.search(text) for p in found) for _, found in themes]
                       for text in texts], dtype=bool)
    assert patterns and made.any() and not made.all()
    np.testing.assert_array_equal(made, wanted)

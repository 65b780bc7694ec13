"""Tone of the answers: VADER scores per distinct answer, means, gaps, good vs bad."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

import cxstudy as cx
from cxstudy import registry, tone
from cxstudy.report import wording

WARM = ["Their staff are wonderful and kind", "Great service, really happy",
        "They are better and cheaper", "Love their app", "Good prices"]
COLD = ["Their bills are terrible", "Awful service and rude staff", "Worse, slower",
        "I hate their app", "Bad and expensive"]
FLAT = ["They have a shop in town", "Their app is blue", "They send letters"]


def study(min_group_size: int = 3, role: str = "competition", **extra) -> cx.Study:
    return cx.load_study({
        "study": "t", "slug": "t", "groups": ["leadership", "staff", "customers"],
        "reference": "customers", "min_group_size": min_group_size,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "open_ended": [{"id": "rivals", "question": "What does the competition do "
                        "differently? Good or bad?", "role": role, "column": "OE"},
                       {"id": "well", "question": "What do we do well?", "role": "strength",
                        "column": "OE2"}], **extra})


def responses(answers: dict[str, list], weights=None) -> pd.DataFrame:
    groups = [g for g, texts in answers.items() for _ in texts]
    texts = [t for ts in answers.values() for t in ts]
    return pd.DataFrame({
        "respondent_id": [str(i) for i in range(len(texts))],
        "group": pd.Categorical(groups, categories=list(answers)),
        "weight": 1.0 if weights is None else weights,
        "rivals": pd.array(texts, dtype="string"),
        "well": pd.array(["Friendly staff"] * len(texts), dtype="string")})


ANSWERS = {"leadership": WARM + WARM[:3], "staff": FLAT + COLD[:2] + WARM[:2],
           "customers": COLD + COLD[2:] + FLAT[:2] + ["La facture est trop chère",
                                                       "電話の待ち時間が長い", "   ", None]}


def vader(texts) -> np.ndarray:
    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def test_english_rule_and_scores():
    assert [tone.is_english(t) for t in ["Reliable supply", "The bills are confusing",
                                         "La facture est trop chère", "Sehr gut und schnell",
                                         "電話の待ち時間が長い", "👍 👍", "12345",
                                         "Café was nice"]] == [
        True, True, False, False, False, False, False, True]
    scores = tone.score_texts([*WARM, "Muy caro y no es claro"])
    np.testing.assert_allclose(scores[:-1], vader(WARM))
    assert np.isnan(scores[-1])


def test_answer_tone_scores_every_answer():
    frame = responses(ANSWERS)
    scored = tone.answer_tone(frame, study())
    rivals = scored[scored["question"] == "rivals"]
    assert len(rivals) == 8 + 7 + 12  # the blank and the missing answer are no answers
    expected = tone.score_texts(rivals["text"].astype(str))
    np.testing.assert_array_equal(rivals["score"].to_numpy(), expected)
    assert rivals["score"].isna().sum() == 2  # the French and the Japanese answers


def test_each_distinct_answer_scored_once(monkeypatch):
    calls = []
    real = tone._analyzer()

    class Counting:
        def polarity_scores(self, text):
            calls.append(text)
            return real.polarity_scores(text)

    tone.score_text.cache_clear()
    monkeypatch.setattr(tone, "_analyzer", lambda: Counting())
    frame = responses({"leadership": WARM * 40, "staff": WARM * 40, "customers": COLD * 40})
    tone.tone_table(frame, study())
    assert sorted(calls) == sorted(set(WARM + COLD + ["Friendly staff"]))
    tone.score_text.cache_clear()


def test_means_intervals_and_gaps_match_scipy():
    s = study()
    table = tone.tone_table(responses(ANSWERS), s).set_index(["question", "group"])
    ref = vader(COLD + COLD[2:] + FLAT[:2])
    for group, texts in (("leadership", WARM + WARM[:3]),
                         ("staff", FLAT + COLD[:2] + WARM[:2])):
        x = vader(texts)
        row = table.loc[("rivals", group)]
        assert row["n"] == row["n_scored"] == len(texts) and row["n_unscored"] == 0
        assert row["mean"] == pytest.approx(x.mean())
        low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert (row["mean_low"], row["mean_high"]) == pytest.approx((low, high))
        test = sps.ttest_ind(x, ref, equal_var=False)
        assert row["gap"] == pytest.approx(x.mean() - ref.mean())
        assert row["p_value"] == pytest.approx(test.pvalue)
        ci = test.confidence_interval(0.95)
        assert (row["gap_low"], row["gap_high"]) == pytest.approx((ci.low, ci.high))
        good, bad = int((x >= 0.05).sum()), int((x <= -0.05).sum())
        assert row["good"] == pytest.approx(good / len(x))
        assert row["bad"] == pytest.approx(bad / len(x))
        assert (row["good_low"], row["good_high"]) == pytest.approx(
            proportion_confint(good, len(x), 0.05, method="wilson"))
        assert (row["bad_low"], row["bad_high"]) == pytest.approx(
            proportion_confint(bad, len(x), 0.05, method="wilson"))
    customers = table.loc[("rivals", "customers")]
    # the French and the Japanese answers are unscored; the blank ones are no answers
    assert (customers["n"], customers["n_scored"], customers["n_unscored"]) == (12, 10, 2)
    assert np.isnan(customers["gap"]) and customers["mean"] == pytest.approx(ref.mean())
    # good and bad only where the question asks about the competition
    assert table.loc[("well", "staff"), ["good", "bad"]].isna().all()
    p = table["p_value"].dropna()
    np.testing.assert_allclose(table.loc[p.index, "p_adjusted"],
                               multipletests(p, method="holm")[1])


def test_confidence_level_is_the_studys():
    s = study(confidence=0.90)
    row = tone.tone_table(responses(ANSWERS), s).set_index(["question", "group"]).loc[
        ("rivals", "leadership")]
    x = vader(WARM + WARM[:3])
    low, high = sps.t.interval(0.90, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (row["mean_low"], row["mean_high"]) == pytest.approx((low, high))


def test_weighted_mean_and_kish_interval():
    s = study()
    answers = {"leadership": WARM + COLD, "staff": FLAT * 2, "customers": COLD + FLAT}
    w = np.r_[np.linspace(0.5, 2.0, 10), np.ones(6), np.linspace(1, 3, 8)]
    row = tone.tone_table(responses(answers, weights=w), s).set_index(
        ["question", "group"]).loc[("rivals", "leadership")]
    x, wl = vader(WARM + COLD), w[:10]
    mean = np.average(x, weights=wl)
    n_eff = wl.sum() ** 2 / (wl ** 2).sum()
    var = (wl * (x - mean) ** 2).sum() / wl.sum() * n_eff / (n_eff - 1)
    half = sps.t.isf(0.025, n_eff - 1) * np.sqrt(var / n_eff)
    assert row["mean"] == pytest.approx(mean)
    assert (row["mean_low"], row["mean_high"]) == pytest.approx((mean - half, mean + half))
    assert row["good"] == pytest.approx(wl[x >= 0.05].sum() / wl.sum())


def test_small_audiences_suppressed():
    s = study(min_group_size=6)
    answers = {"leadership": WARM[:4], "staff": FLAT + COLD, "customers": COLD + WARM}
    table = tone.tone_table(responses(answers), s).set_index(["question", "group"])
    small = table.loc[("rivals", "leadership")]
    assert small["suppressed"] and small["n"] == 4
    assert small[["mean", "mean_low", "gap", "p_value", "good", "bad"]].isna().all()
    assert not table.loc[("rivals", "staff"), "suppressed"]
    sentences = wording.tone_sentences(table.reset_index(), s)
    assert not any("leadership" in sentence for sentence in sentences)
    # every other audience too small: nobody to compare, and no audience named
    answers = {"leadership": WARM[:4], "staff": COLD[:3], "customers": COLD + WARM}
    said = wording.tone_sentences(tone.tone_table(responses(answers), s), s)
    assert said[0].split(" — ")[1].startswith("no other audience gave enough scored answers "
                                              "to compare with customers' (mean tone ")
    assert not any("leadership" in x or "staff" in x for x in said)
    # a reference too small: nobody is compared with it
    answers = {"leadership": WARM * 2, "staff": COLD * 2, "customers": FLAT}
    table = tone.tone_table(responses(answers), s)
    assert table["gap"].isna().all() and table.loc[table["group"] == "customers",
                                                   "suppressed"].all()
    said = wording.tone_sentences(table, s)
    assert said[0].endswith("customers gave too few scored answers to compare with (fewer "
                            "than 6).")


def test_sentences_say_who_is_warmer_and_good_vs_bad():
    s = study()
    table = tone.tone_table(responses(ANSWERS), s)
    said = wording.tone_sentences(table, s)
    lead = table[(table["question"] == "rivals") & (table["group"] == "leadership")].iloc[0]
    assert said[0].startswith("*What does the competition do differently? Good or bad?* — "
                              "leadership's answers are warmer than customers' (mean tone +")
    assert f"{s.interval_label} +{lead['gap_low']:.2f} to +{lead['gap_high']:.2f})" in said[0]
    assert said[1].startswith("Good or bad, the competition's difference? The tone of the "
                              "scored answers, which says how warmly an answer is worded, not "
                              "whether the difference favours us: leadership 100% positive, 0% "
                              "negative (n = 8); staff ")
    assert said[2] == ("*What do we do well?* — no audience's tone differs clearly from "
                       "customers' (mean tone +0.49 on VADER's −1 to +1 scale).")
    # another study's names, escaped: no Markdown or HTML from a study file
    other = study(groups=["top_team", "crew", "clients"], reference="clients")
    answers = {"top_team": ANSWERS["leadership"], "crew": ANSWERS["staff"],
               "clients": ANSWERS["customers"]}
    said = wording.tone_sentences(tone.tone_table(responses(answers), other), other)
    assert said[0].split(" — ")[1].startswith("top\\_team's answers are warmer than clients'")


def test_registered_and_computed_by_results():
    s = study()
    entry = registry.TABLES["tone"]
    assert entry.spec.name == "tone" and entry.needs == ("open_ended",)
    res = cx.analyze(s, responses(ANSWERS))
    assert "tone" in res.available
    pd.testing.assert_frame_equal(res.tone, tone.tone_table(responses(ANSWERS), s))


def test_no_answers_gives_empty_rows():
    s = study()
    frame = responses(ANSWERS).assign(rivals=pd.NA, well=pd.NA)
    table = tone.tone_table(frame, s)
    assert (table["n"] == 0).all() and table["suppressed"].all()
    assert wording.tone_sentences(table, s) == []


def test_tone_sums_of_blocks_make_the_table_of_all_the_answers():
    """The tone sums per distinct score add up block by block, weighted or not, and the
    table made from them (no responses) is the table of all the answers."""
    s = study(min_group_size=2)
    rng = np.random.default_rng(3)
    for weights in (None, rng.uniform(0.3, 2.5, size=sum(map(len, ANSWERS.values())))):
        frame = responses(ANSWERS, weights=weights).sample(frac=1.0, random_state=1)
        frame = frame.reset_index(drop=True)
        total = None
        for rows in np.array_split(np.arange(len(frame)), 4):
            counts = tone.tone_counts(frame.iloc[rows].reset_index(drop=True), s)
            total = counts if total is None else total + counts
        pd.testing.assert_frame_equal(tone.tone_table(None, s, counts=total),
                                      tone.tone_table(frame, s), check_exact=False,
                                      rtol=1e-12, atol=1e-12)
        # the sums: one entry per distinct score, however many gave it
        scores = tone.score_texts(frame["rivals"].dropna().str.strip())
        assert len(total.scores["rivals"]) == len(np.unique(scores[~np.isnan(scores)]))


def test_tone_table_without_responses_needs_its_counts():
    with pytest.raises(ValueError, match="counts"):
        tone.tone_table(None, study())
    other = cx.load_study({"study": "o", "slug": "o", "groups": ["a", "b"],
                           "sources": [{"path": "x.csv", "group_column": "g"}],
                           "open_ended": [{"id": "rivals", "question": "Q?",
                                           "column": "OE"}]})
    counts = tone.tone_counts(responses(ANSWERS), study())
    with pytest.raises(ValueError, match="count them with"):
        tone.tone_table(None, other, counts=counts)


def test_one_score_is_its_own_mean_however_the_weights_were_summed():
    """Every scored answer the same: the mean is exactly its score and the variance 0,
    also when weights summed block by block round differently (a 1e-33 variance made
    Welch's test of two such audiences say p = 0.003 instead of no difference)."""
    s = study(min_group_size=2)
    same = {"leadership": ["Friendly staff"] * 6, "staff": ["Friendly staff"] * 5,
            "customers": ["Friendly staff"] * 7}
    weights = np.random.default_rng(8).uniform(0.1, 3.0, size=18)
    frame = responses(same, weights=weights)
    total = None
    for rows in np.array_split(np.arange(len(frame)), 5):
        counts = tone.tone_counts(frame.iloc[rows].reset_index(drop=True), s)
        total = counts if total is None else total + counts
    score = tone.score_text("Friendly staff")
    for table in (tone.tone_table(frame, s), tone.tone_table(None, s, counts=total)):
        rivals = table[table["question"] == "rivals"]
        assert (rivals["mean"] == score).all()
        assert (rivals["mean_low"] == score).all() and (rivals["mean_high"] == score).all()
        assert (rivals.loc[rivals["group"] != "customers", "gap"] == 0).all()

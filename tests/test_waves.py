"""Waves: estimates within a wave, never pooled; the change of a gap between waves."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import cxstudy as cx
from cxstudy import stats
from cxstudy.exceptions import StudyFileError
from cxstudy.waves import change_z_test, mover_interval, one_wave, trend_table

from .conftest import ROOT, minimal_study, wave_sources

# ---------------------------------------------------------------------------
# a two-wave study: never pooled


def write_wave(folder, name, answers, ids=None):
    frame = pd.DataFrame({"Q1": answers})
    if ids is not None:
        frame.insert(0, "id", ids)
    frame.to_csv(folder / name, index=False)


def two_wave_study(tmp_path, **extra):
    """Leaders at 80% top-box in both waves; customers move from 20% to 60%: the gap is
    +60 then +20 points, and +40 when the waves are pooled."""
    agree, disagree = "Agree", "Disagree"
    write_wave(tmp_path, "l25.csv", [agree] * 40 + [disagree] * 10)
    write_wave(tmp_path, "l26.csv", [agree] * 40 + [disagree] * 10)
    write_wave(tmp_path, "c25.csv", [agree] * 40 + [disagree] * 160,
               ids=[f"C{i}" for i in range(200)])
    write_wave(tmp_path, "c26.csv", [agree] * 120 + [disagree] * 80,
               ids=[f"C{i}" for i in range(100, 300)])  # C100-C199 answered both waves
    spec = wave_sources(**extra)
    for source in spec["sources"]:
        if source["group"] == "customers":
            source["id_column"] = "id"
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study)


def test_gaps_are_made_within_each_wave_never_pooled(tmp_path):
    study, result = two_wave_study(tmp_path)
    responses = result.responses
    gaps = cx.gap_table(responses, study)
    assert list(gaps.columns[:2]) == ["wave", "item"]
    by_wave = gaps.set_index("wave")
    assert by_wave.loc["2025", "gap"] == pytest.approx(0.8 - 0.2)
    assert by_wave.loc["2026", "gap"] == pytest.approx(0.8 - 0.6)
    assert by_wave.loc["2025", "n_ref"] == 200 and by_wave.loc["2026", "n_ref"] == 200
    pooled = cx.gap_table(responses.drop(columns="wave"),
                          cx.load_study(minimal_study(), base_dir=ROOT))
    assert pooled.loc[0, "gap"] == pytest.approx(0.8 - 0.4)  # what pooling would have said
    assert pooled.loc[0, "n_ref"] == 400
    # every table of the study, the same way
    res = cx.analyze(study, responses)
    for name in ("shares", "dimensions", "kruskal", "gap_index", "blind_spots"):
        assert list(getattr(res, name)["wave"].unique()) == ["2025", "2026"], name


def test_returning_respondents_are_kept_duplicates_within_a_wave_dropped(tmp_path):
    study, result = two_wave_study(tmp_path)
    log = result.log
    assert not (log["reason"] == "duplicate").any()  # C100-C199 answered twice: a panel
    returning = cx.analyze(study, result.responses).returning.set_index("group")
    assert returning.loc["customers", "returning"] == 100
    # a repeat inside one wave is still a duplicate
    frame = pd.read_csv(tmp_path / "c26.csv")
    pd.concat([frame, frame.iloc[:3]]).to_csv(tmp_path / "c26.csv", index=False)
    result = cx.clean(cx.read_sources(study), study)
    assert (result.log["reason"] == "duplicate").sum() == 3


def test_returning_counts_people_per_audience_not_ids_or_rows():
    """A person is an (audience, id): the same id in two audiences is two people; an id
    twice in one wave returned nowhere; rows without an id or a wave count in no person."""
    from cxstudy.waves import returning_respondents

    study = cx.load_study(wave_sources(), base_dir=ROOT)
    rows = [("customers", "A", "2025"), ("customers", "A", "2026"),   # returned
            ("customers", "B", "2026"), ("customers", "B", "2026"),   # twice in one wave
            ("customers", None, "2025"), ("customers", None, "2026"),  # no id
            ("leadership", "B", "2025"),                               # another person B
            ("leadership", "C", "2025"), ("leadership", "C", None),   # no wave
            ("leadership", "D", "2026"), ("leadership", "D", "2025")]  # returned, order aside
    responses = pd.DataFrame(rows, columns=["group", "respondent_id", "wave"]).astype(
        {"group": pd.CategoricalDtype(["leadership", "customers"]), "respondent_id": "str",
         "wave": "str"})
    table = returning_respondents(responses, study).set_index("group")
    assert table.to_dict("index") == {
        "leadership": {"n 2025": 3, "n 2026": 1, "returning": 1},
        "customers": {"n 2025": 2, "n 2026": 4, "returning": 1}}

def test_returning_from_each_waves_ids_counted_in_blocks_equals_counting_people():
    """The ids of each wave hashed and counted in blocks (added in any order, as a
    streaming run adds them) give the returning respondents that sets of (audience, id)
    give; the runs of hashes stay few however many blocks were added."""
    from cxstudy.waves import respondent_ids, returning_respondents

    study = cx.load_study(wave_sources(), base_dir=ROOT)
    rng = np.random.default_rng(29)
    rows = 6000
    frame = pd.DataFrame({
        "group": pd.Categorical(rng.choice(["leadership", "customers"], rows),
                                categories=["leadership", "customers"]),
        "respondent_id": pd.array([None if i % 17 == 0 else f"P{i}" for i in
                                   rng.integers(0, 2500, rows)], dtype="string"),
        "wave": pd.array(rng.choice(["2025", "2026"], rows), dtype="string")})
    people = {w: {(g, i) for g, i, v in zip(frame["group"], frame["respondent_id"],
                                            frame["wave"], strict=True)
                  if v == w and i is not pd.NA} for w in ("2025", "2026")}
    both = people["2025"] & people["2026"]
    counts = []
    for wave in ("2025", "2026"):
        mine = frame[frame["wave"] == wave].reset_index(drop=True)
        blocks = [respondent_ids(mine.iloc[part].reset_index(drop=True), study, wave=wave)
                  for part in np.array_split(rng.permutation(len(mine)), 40)]
        total = blocks[0]
        for block in blocks[1:]:
            total = total + block
        assert max(len(runs) for runs in total.runs) <= 8  # merged as they grow alike
        counts.append(total)
    table = returning_respondents(None, study, counts=counts).set_index("group")
    assert table.to_dict("index") == returning_respondents(frame, study).set_index(
        "group").to_dict("index")
    for group in ("leadership", "customers"):
        assert table.loc[group, "returning"] == sum(g == group for g, _i in both)
        assert table.loc[group, "n 2025"] == ((frame["group"] == group)
                                              & (frame["wave"] == "2025")).sum()
    with pytest.raises(ValueError, match="same study and wave"):
        counts[0] + counts[1]


def test_no_ids_are_kept_in_a_study_of_one_wave():
    from cxstudy.waves import respondent_ids, returning_respondents

    study = cx.load_study(minimal_study(), base_dir=ROOT)
    responses = pd.DataFrame({"group": ["leadership", "customers"],
                              "respondent_id": ["a", "b"]})
    ids = respondent_ids(responses, study)
    assert ids.wave is None and ids.nbytes == ids.n.nbytes and ids.n.tolist() == [1, 1]
    assert returning_respondents(None, study, counts=[ids]).empty


@pytest.mark.parametrize("waves", [["2025"] * 3 + ["2026"] * 4,        # exports one by one
                                   ["2025", "2026", "2025", "2026", "2026", "2025", "2026"]])
def test_one_wave_is_its_rows_and_a_run_of_rows_is_not_copied(waves):
    from cxstudy.waves import one_wave

    responses = pd.DataFrame({"wave": pd.Series(waves, dtype="string"),
                              "q": pd.array(range(len(waves)), dtype="Int8"),
                              "text": pd.Series([f"t{i}" for i in range(len(waves))],
                                                dtype="string")})
    for wave in ("2025", "2026"):
        part = one_wave(responses, wave)
        expected = responses[responses["wave"] == wave].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
        one_run = waves == sorted(waves)
        # the rows of a wave read one export after another share the responses' memory
        assert np.shares_memory(part["q"].array._data, responses["q"].array._data) == one_run


def test_precomputed_counts_of_one_wave_are_refused_for_two(tmp_path):
    study, result = two_wave_study(tmp_path)
    with pytest.raises(ValueError, match=r"responses hold waves 2025, 2026: counts are made "
                                         r"within one wave, never pooled"):
        cx.level_counts(result.responses, study)
    counts = cx.level_counts(one_wave(result.responses, "2025"), study)
    with pytest.raises(ValueError, match=r"counts belong\(s\) to one wave"):
        cx.gap_table(result.responses, study, counts=counts)


def test_a_table_from_counts_alone_carries_the_counts_wave(tmp_path):
    """Issue 29: gap_table(None, study, counts=...) crashed; an empty frame as a stand-in
    labelled a 2025 table with the study's last wave."""
    study, result = two_wave_study(tmp_path)
    expected = cx.gap_table(result.responses, study)
    for wave in ("2025", "2026"):
        counts = cx.level_counts(one_wave(result.responses, wave), study)
        assert counts.wave == wave
        mine = expected[expected["wave"] == wave].reset_index(drop=True)
        for table in (cx.gap_table, cx.share_table, cx.dimension_gaps, cx.kruskal_table,
                      cx.perception_gap_index):
            made = table(None, study, counts=counts)
            assert set(made["wave"]) == {wave}, table.__name__
        pd.testing.assert_frame_equal(cx.gap_table(None, study, counts=counts), mine)
        stand_in = result.responses.iloc[:0]  # an empty frame: the counts' wave, not 2026
        pd.testing.assert_frame_equal(cx.gap_table(stand_in, study, counts=counts), mine)
    # the changes between waves from each wave's counts alone
    counts = {w: cx.level_counts(one_wave(result.responses, w), study) for w in ("2025",
                                                                                 "2026")}
    pd.testing.assert_frame_equal(trend_table(None, study, counts=counts),
                                  trend_table(result.responses, study))


def test_counts_that_do_not_say_or_contradict_their_wave_are_refused(tmp_path):
    study, result = two_wave_study(tmp_path)
    older = one_wave(result.responses, "2025")
    counts = cx.level_counts(older, study)
    with pytest.raises(ValueError, match=r"gap_table: counts of wave 2025 given with the "
                                         r"responses of wave 2026"):
        cx.gap_table(one_wave(result.responses, "2026"), study, counts=counts)
    unsaid = cx.level_counts(older.drop(columns="wave"), study)
    assert unsaid.wave is None
    with pytest.raises(ValueError, match=r"share_table: what was given \(counts=\) does not say "
                                         r"which wave"):
        cx.share_table(None, study, counts=unsaid)
    # with one wave's responses, counts without a wave take theirs (SQL counts)
    assert set(cx.share_table(older, study, counts=unsaid)["wave"]) == {"2025"}
    with pytest.raises(ValueError, match=r"kruskal_table: give the responses, or their "
                                         r"counts"):
        cx.kruskal_table(None, study)
    newer = cx.level_counts(one_wave(result.responses, "2026"), study)
    with pytest.raises(ValueError, match=r"counts given as wave 2025 are of wave 2026"):
        trend_table(None, study, counts={"2025": newer, "2026": newer})
    with pytest.raises(ValueError, match=r"counts of wave\(s\) \['1999'\] that the study "
                                         r"does not declare"):
        trend_table(None, study, counts={"1999": counts, "2025": counts, "2026": newer})
    with pytest.raises(ValueError, match=r"trend_table: give the responses"):
        trend_table(None, study)


def test_the_change_of_the_gap_between_waves(tmp_path):
    study, result = two_wave_study(tmp_path)
    trends = trend_table(result.responses, study)
    row = trends.iloc[0]
    assert (row["from_wave"], row["to_wave"]) == ("2025", "2026")
    assert row["gap_from"] == pytest.approx(0.6) and row["gap_to"] == pytest.approx(0.2)
    assert row["change"] == pytest.approx(-0.4)
    assert row["top_box_change"] == pytest.approx(0.0)       # leaders did not move
    assert row["top_box_ref_change"] == pytest.approx(0.4)   # customers did
    shares, sizes = [0.8, 0.6, 0.8, 0.2], [50, 200, 50, 200]
    low, high = stats.wilson_interval(np.array(shares) * sizes, np.array(sizes))
    expected = mover_interval(shares, low, high, [1, -1, -1, 1])
    assert (row["change_low"], row["change_high"]) == pytest.approx(expected[1:])
    se = np.sqrt(sum(p * (1 - p) / n for p, n in zip(shares, sizes, strict=True)))
    assert row["p_value"] == pytest.approx(2 * sps.norm.sf(0.4 / se))
    newcombe = stats.newcombe_interval(0.6 * 200, 200, 0.2 * 200, 200)
    assert (row["top_box_ref_change_low"], row["top_box_ref_change_high"]) == pytest.approx(
        newcombe)


def test_an_item_not_asked_in_a_wave_is_blank_with_a_note(tmp_path):
    two_wave_study(tmp_path)  # writes the exports
    spec = wave_sources(items=[
        minimal_study()["items"][0],
        {"id": "new", "text": "A question new in 2026", "scale": "agree5", "column": "Q1",
         "waves": ["2026"]}])
    for source in spec["sources"]:
        if source["group"] == "customers":
            source["id_column"] = "id"
    study = cx.load_study(spec, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    assert responses.loc[responses["wave"] == "2025", "new"].isna().all()  # never a zero
    assert responses.loc[responses["wave"] == "2026", "new"].notna().all()
    row = trend_table(responses, study).set_index("item").loc["new"]
    assert pd.isna(row["change"]) and pd.isna(row["gap_from"])
    assert row["note"] == "not asked in wave 2025" and not row["suppressed"]
    gap = cx.gap_table(responses, study).set_index(["wave", "item"]).loc[("2025", "new")]
    assert gap["n"] == 0 and pd.isna(gap["gap"]) and not gap["suppressed"]
    assert gap["note"] == "not asked in wave 2025"


# ---------------------------------------------------------------------------
# MOVER


def test_mover_by_hand():
    """Four shares, the limits written out: Zou & Donner (2008) eq. for Σ c_i θ_i."""
    p = [0.8, 0.6, 0.7, 0.2]
    low, high = [0.70, 0.52, 0.55, 0.15], [0.88, 0.67, 0.82, 0.27]
    value, lower, upper = mover_interval(p, low, high, [1, -1, -1, 1])
    assert value == pytest.approx(0.8 - 0.6 - 0.7 + 0.2)
    below = (0.8 - 0.70) ** 2 + (0.67 - 0.6) ** 2 + (0.82 - 0.7) ** 2 + (0.2 - 0.15) ** 2
    above = (0.88 - 0.8) ** 2 + (0.6 - 0.52) ** 2 + (0.7 - 0.55) ** 2 + (0.27 - 0.2) ** 2
    assert lower == pytest.approx(-0.3 - np.sqrt(below))
    assert upper == pytest.approx(-0.3 + np.sqrt(above))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.integers(0, 60), st.integers(1, 60), st.integers(0, 60))
def test_mover_of_two_shares_is_newcombes_interval(n1, x1, n2, x2):
    x1, x2 = min(x1, n1), min(x2, n2)
    l1, u1 = stats.wilson_interval(x1, n1)
    l2, u2 = stats.wilson_interval(x2, n2)
    _, low, high = mover_interval([x1 / n1, x2 / n2], [l1, l2], [u1, u2], [1, -1])
    expected = stats.newcombe_interval(x1, n1, x2, n2)
    assert (float(low), float(high)) == pytest.approx(tuple(map(float, expected)), abs=1e-12)


def test_change_interval_covers_at_its_level():
    """Simulated studies (fixed seed): the 95% MOVER interval of the change in a gap holds
    the true change in at least 94% of 4,000 draws."""
    rng = np.random.default_rng(20261124)
    draws = 4000
    truth = np.array([0.75, 0.30, 0.65, 0.15])   # audience/reference, later/earlier
    sizes = np.array([60, 400, 50, 350])
    x = rng.binomial(sizes, truth, size=(draws, 4)).T.astype(float)
    p = x / sizes[:, None]
    low, high = stats.wilson_interval(x, np.broadcast_to(sizes[:, None], x.shape))
    _, lower, upper = mover_interval(p, low, high, [1, -1, -1, 1])
    true_change = truth[0] - truth[1] - truth[2] + truth[3]
    coverage = np.mean((lower <= true_change) & (true_change <= upper))
    assert coverage >= 0.94, coverage
    # and the z test keeps its size when nothing changed
    null = np.array([0.6, 0.3, 0.6, 0.3])
    x0 = rng.binomial(sizes, null, size=(draws, 4)).T / sizes[:, None]
    rejected = np.mean(change_z_test(x0, np.broadcast_to(sizes[:, None], x0.shape),
                                     [1, -1, -1, 1]) < 0.05)
    assert rejected <= 0.065, rejected


def test_the_new_study_template_shows_waves_and_loads_with_them(tmp_path):
    from cxstudy.cli import main

    assert main(["init", "acme", "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "acme.yml").read_text(encoding="utf-8")
    assert '# waves: ["2025", "2026"]' in text and '# waves: ["2026"]' in text
    # the first wave of a study that will have more: one wave listed, every source in it
    uncommented = text.replace('# waves: ["2025", "2026"]', 'waves: ["2026"]')
    uncommented = re.sub(r"^(    group: \w+)(.*)$", r'\1\2\n    wave: "2026"', uncommented,
                         flags=re.M)
    (tmp_path / "acme.yml").write_text(uncommented, encoding="utf-8")
    study = cx.load_study(tmp_path / "acme.yml")
    assert study.waves == ("2026",) and {s.wave for s in study.sources} == {"2026"}



# ---------------------------------------------------------------------------
# questions asked in some waves only; a break in an item's series (issue 25)


TRACKER = ROOT / "tests" / "fixtures" / "tracker" / "studies" / "tracker.yml"


@pytest.fixture(scope="module")
def tracker():
    """The two-wave workplace tracker fixture, read and cleaned (no pages)."""
    return cx.analyze(TRACKER)


def one_wave_questions(tmp_path):
    """The two-wave study with an open question and an NPS asked in 2026 only: the 2025
    exports have no such columns."""
    two_wave_study(tmp_path)
    frame = pd.read_csv(tmp_path / "c26.csv")
    frame.assign(Better=["slow phone line"] * 120 + [""] * 80, NPS=[9] * 150 + [3] * 50
                 ).to_csv(tmp_path / "c26.csv", index=False)
    frame = pd.read_csv(tmp_path / "l26.csv")
    frame.assign(Better="the phone line", NPS=10).to_csv(tmp_path / "l26.csv", index=False)
    spec = wave_sources(open_ended=[{"id": "better", "question": "What could be better?",
                                     "column": "Better", "waves": ["2026"]}],
                        metrics={"nps": {"column": "NPS", "waves": ["2026"]}})
    for source in spec["sources"]:
        if source["group"] == "customers":
            source["id_column"] = "id"
    return spec


def test_a_question_asked_in_one_wave_needs_no_column_in_the_other(tmp_path):
    spec = one_wave_questions(tmp_path)
    study = cx.load_study(spec, base_dir=tmp_path)
    raw = cx.read_sources(study)
    assert "Better" not in raw.attrs["sources"]["c25"]["columns"]
    responses = cx.clean(raw, study).responses
    assert responses.loc[responses["wave"] == "2025", ["better", "nps"]].isna().all().all()
    assert responses.loc[responses["wave"] == "2026", "nps"].notna().all()
    metrics = cx.metric_table(responses, study)
    assert set(metrics["wave"]) == {"2026"}  # absent, not a blank row, in 2025
    assert cx.metric_gaps(responses, study)["wave"].eq("2026").all()
    res = cx.analyze(study)
    assert res.metric_trends.empty  # asked in one wave: no change to compute
    # without waves: on the 2025 export, the column is required
    spec["metrics"]["nps"].pop("waves")
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(StudyFileError, match=r'c25.csv \(customers\): no column "NPS"'):
        cx.clean(cx.read_sources(study), study)


def test_the_tables_of_a_wave_have_no_rows_of_what_it_did_not_ask(tmp_path):
    from cxstudy.waves import absent_in_wave

    study = cx.load_study(one_wave_questions(tmp_path), base_dir=tmp_path)
    table = pd.DataFrame({"question": ["better", "better"], "metric": ["nps", "x"]})
    assert absent_in_wave(table, study, "2026").equals(table)
    assert absent_in_wave(table, study, "2025").empty


def test_no_change_is_computed_across_a_break(tmp_path):
    two_wave_study(tmp_path)
    item = {**minimal_study()["items"][0], "break": {"wave": "2026",
                                                     "reason": "a neutral answer was added"}}
    spec = wave_sources(items=[item, {**item, "id": "same", "break": None}])
    for source in spec["sources"]:
        if source["group"] == "customers":
            source["id_column"] = "id"
    study = cx.load_study(spec, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    trends = trend_table(responses, study).set_index("item")
    broken, same = trends.loc["excellent"], trends.loc["same"]
    assert broken["note"] == "break in series at wave 2026: a neutral answer was added"
    assert not broken["suppressed"]
    assert broken[["gap_from", "gap_to", "change", "p_value", "p_adjusted"]].isna().all()
    assert same["change"] == pytest.approx(-0.4)  # the same data, no break: computed
    # Holm over the family of computed changes only: one p-value, unadjusted
    assert same["p_adjusted"] == pytest.approx(same["p_value"])
    gaps = cx.gap_table(responses, study).set_index(["wave", "item"])
    assert gaps.loc[("2025", "excellent"), "gap"] == pytest.approx(0.6)  # each wave stands


def test_the_trends_page_says_which_items_break_and_why(tmp_path):
    from cxstudy.report import break_sentences

    two_wave_study(tmp_path)
    item = {**minimal_study()["items"][0], "text": "Is leave *easy*?",
            "break": {"wave": "2026", "reason": "a neutral answer was added"}}
    study = cx.load_study(wave_sources(items=[item]), base_dir=tmp_path)
    assert break_sentences(study, ["2025", "2026"]) == [
        "No change is computed for “Is leave \\*easy\\*?” from 2025 to 2026: its series "
        "breaks at 2026 (a neutral answer was added), so the two waves do not measure the "
        "same thing."]
    assert break_sentences(study, ["2026"]) == []   # one wave held: nothing to say
    assert break_sentences(cx.load_study(wave_sources(), base_dir=tmp_path),
                           ["2025", "2026"]) == []


def test_the_tracker_two_waves_end_to_end(tracker):
    """The fixture of issue 25: a 4-point item that gained a neutral point, a question and
    a metric asked in 2016 only, exclusions, staff weighted with blank genders, headers
    renamed, a scale alias, and a SurveyMonkey export with RespondentID."""
    res = tracker
    log = res.log
    assert len(log) == 208 and log["kept"].sum() + (~log["kept"]).sum() == 208
    assert log.loc[~log["kept"], "reason"].eq("excluded").all()
    assert log["detail"].str.startswith("cleaning.exclude[0]: Employment").sum() == 16
    assert set(res.themes["wave"]) == {"2016"} and set(res.metrics["wave"]) == {"2016"}
    leave = res.trends.set_index("item").loc["leave"]
    assert leave["note"].startswith("break in series at wave 2016")
    assert pd.isna(leave["change"]) and pd.notna(res.trends.set_index("item").loc[
        "proud", "change"])
    assert res.dimension_trends.empty  # Overall holds the broken item
    staff = res.responses[res.responses["group"] == "staff"]
    shares = staff.groupby([staff["wave"], staff["Gender"].fillna("(missing)")])[
        "weight"].sum() / staff.groupby("wave")["weight"].sum()
    assert shares.loc["2016"].to_dict() == pytest.approx(
        {"Female": 0.50, "Male": 0.45, "(missing)": 0.05}, abs=1e-6)
    # 2016 staff: "Proud" spelt out as the header (rename:), half of its "Strongly agree"
    # worded "Agree strongly" (aliases:): every such answer is the scale's top point
    raw = pd.read_csv(TRACKER.parents[1] / "data" / "raw" / "tracker" / "staff_2016.csv",
                      dtype=str, keep_default_na=False)
    raw = raw[raw["Employment"].ne("Self-employed") & raw["Consent"].ne("")]
    answers = raw["I am proud to work here"]
    assert answers.eq("Agree strongly").sum() > 0
    assert staff.loc[staff["wave"] == "2016", "proud"].eq(5).sum() == \
        answers.isin(["Strongly agree", "Agree strongly"]).sum()
    # managers 2016: an older SurveyMonkey export (RespondentID), its questions renamed
    sources = res.sources.set_index("source")
    assert sources.loc["managers_2016", "format"] == "surveymonkey"
    assert sources.loc["managers_2016", ["rows", "kept"]].tolist() == [24, 22]


def test_the_tracker_report_says_what_it_did_with_the_exports(tmp_path):
    """The tracker run end to end (pages and all): the exports are only read; the Trends
    page names the break, data quality counts the excluded rows apart, the Voices page
    shows the question asked in 2016."""
    import hashlib
    import html

    exports = sorted((TRACKER.parents[1] / "data" / "raw" / "tracker").glob("*.csv"))

    def digests():
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in exports]

    before = digests()
    result = cx.run(TRACKER, out=tmp_path, notebook_jobs=1)
    assert digests() == before and len(exports) == 4
    log = result.cleaning.log
    assert result.rows_in == 208 == log["kept"].sum() + log["reason"].ne("").sum()
    pages = {name: html.unescape((result.report_dir / f"{name}.html").read_text())
             for name in ("trends", "data_quality", "voices", "index")}
    assert "its series breaks at 2016 (a neutral answer was added)" in pages["trends"]
    assert "break in series at wave 2016: a neutral answer was added" in pages["trends"]
    assert "180 kept (" in pages["data_quality"]
    assert ", 28 excluded as not part of the study" in pages["data_quality"]
    assert 'cleaning.exclude[0]: Employment = "Self-employed"' in pages["data_quality"]
    assert "What should we improve?" in pages["voices"]
    assert "NPS (points)" in pages["index"] and "enps" not in pages["index"]  # no ids


def test_the_voices_page_says_which_questions_the_wave_did_not_ask(tmp_path):
    from cxstudy.report import absent_questions_note

    spec = one_wave_questions(tmp_path)
    spec["open_ended"].append({"id": "why", "question": "Why *that*?", "column": "Q1"})
    study = cx.load_study(spec, base_dir=tmp_path)
    assert absent_questions_note(study, "2025") == (
        "Not asked in wave 2025, so not on this page: “What could be better?” (asked in "
        "2026).")
    assert absent_questions_note(study, "2026") == ""
    assert absent_questions_note(study, None) == ""


# ---------------------------------------------------------------------------
# the headline family: the study's primary question, corrected over itself alone


def _with_headlines(study, headline: set[str], **changes):
    import dataclasses

    items = tuple(dataclasses.replace(i, headline=i.id in headline) for i in study.items)
    return dataclasses.replace(study, items=items, **changes)


@pytest.mark.parametrize("correction, method", [("holm", "holm"), ("fdr_bh", "fdr_bh")])
def test_headline_changes_and_gaps_are_adjusted_over_the_headline_items_alone(
        example_responses, correction, method):
    """Two headline items x two audiences: a family of four changes (and four gaps per
    wave), adjusted as statsmodels adjusts those four p-values alone; the other items'
    rows have no headline p; p_adjusted stays over every change (32 rows)."""
    from statsmodels.stats.multitest import multipletests

    example, responses = example_responses
    study = _with_headlines(example, {"excellent", "billing_clear"}, correction=correction)
    trends = trend_table(responses, study)
    family = trends["item"].isin(["excellent", "billing_clear"]).to_numpy()
    assert family.sum() == 4 and len(trends) == 32
    expected = multipletests(trends.loc[family, "p_value"], method=method)[1]
    np.testing.assert_allclose(trends.loc[family, "p_adjusted_headline"], expected,
                               rtol=1e-12)
    assert trends.loc[~family, "p_adjusted_headline"].isna().all()
    everything = multipletests(trends["p_value"], method=method)[1]
    np.testing.assert_allclose(trends["p_adjusted"], everything, rtol=1e-12)
    gaps = cx.gap_table(responses, study)
    for _wave, part in gaps.groupby("wave"):  # within each wave
        rows = part["item"].isin(["excellent", "billing_clear"]).to_numpy()
        np.testing.assert_allclose(part.loc[rows, "p_adjusted_headline"],
                                   multipletests(part.loc[rows, "p_value"], method=method)[1],
                                   rtol=1e-12)
        assert part.loc[~rows, "p_adjusted_headline"].isna().all()


def test_the_example_headline_change_is_not_diluted_over_every_item(example_responses):
    """The example's headline change showed adjusted p = 1.000 over all 32 changes; over
    the headline family (its two audiences) it is Holm over two p-values."""
    study, responses = example_responses
    trends = trend_table(responses, study)
    headline = trends[trends["item"] == "excellent"]
    assert (headline["p_adjusted"] == 1).all()
    low, high = sorted(headline["p_value"])
    holm = {low: min(1, 2 * low), high: max(min(1, 2 * low), high)}
    assert headline["p_adjusted_headline"].tolist() == pytest.approx(
        [holm[p] for p in headline["p_value"]])


def test_the_headline_family_is_each_pair_of_waves(tmp_path):
    """Three waves: the headline item's change is adjusted within its own pair of waves
    (one test each here, so its adjusted p is its p), not over both pairs."""
    from .shapes import seasons

    study = cx.load_study(seasons(tmp_path, np.random.default_rng(7)))
    responses = cx.clean(cx.read_sources(study), study).responses
    trends = trend_table(responses, study)
    headline = trends[trends["item"] == "welcome"]
    assert list(zip(headline["from_wave"], headline["to_wave"], strict=True)) == [
        ("spring", "summer"), ("summer", "autumn")]
    assert headline["p_adjusted_headline"].tolist() == pytest.approx(
        headline["p_value"].tolist())
    assert trends.loc[trends["item"] != "welcome", "p_adjusted_headline"].isna().all()


def test_a_study_without_a_marked_headline_leads_with_its_first_item(tmp_path):
    from cxstudy.waves import adjust_headline, headline_items

    study = make_two_items_study()
    assert headline_items(study) == ["q"]
    table = pd.DataFrame({"item": ["q", "r", "q"], "p_value": [0.01, 0.02, np.nan]})
    adjusted = adjust_headline(table, study)
    assert adjusted[0] == pytest.approx(0.01) and np.isnan(adjusted[1:]).all()


def make_two_items_study():
    from .conftest import make_study

    return make_study(items=("q", "r"))


def test_results_from_counts_take_the_wave_they_are_given_as_and_refuse_another(tmp_path):
    import dataclasses

    from cxstudy.analysis import Results

    study, result = two_wave_study(tmp_path)
    counts = {w: cx.level_counts(one_wave(result.responses, w), study) for w in ("2025",
                                                                                 "2026")}
    wrong = Results.from_counts(study, {"2025": {"counts": counts["2026"]},
                                        "2026": {"counts": counts["2026"]}})
    with pytest.raises(ValueError, match="counts given for wave 2025 are of wave 2026"):
        wrong.gaps  # noqa: B018
    # counts that do not say their wave (as SQL made them) take the wave they are given as
    unsaid = Results.from_counts(study, {w: {"counts": dataclasses.replace(c, wave=None)}
                                         for w, c in counts.items()})
    pd.testing.assert_frame_equal(unsaid.gaps, cx.gap_table(result.responses, study))
    pd.testing.assert_frame_equal(unsaid.trends, trend_table(result.responses, study))

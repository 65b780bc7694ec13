"""The counts core: pattern tables, their margins, weights, and the wide-dimension path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import counts as counts_module

from .conftest import make_responses, make_study


def random_responses(seed=0, n=300, items=("q1", "q2", "q3", "q4"), weights=False):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b", "ref"], size=n)
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(n)],
                          "group": pd.Categorical(groups, categories=["a", "b", "ref"]),
                          "weight": rng.uniform(0.2, 3, n) if weights else 1.0})
    for item in items:
        codes = rng.integers(1, 6, n)
        frame[item] = pd.array(np.where(rng.random(n) < 0.2, None, codes), dtype="Int8")
    study = make_study(groups=("a", "b", "ref"), items=items)
    return frame, study


def test_margins_equal_a_crosstab():
    responses, study = random_responses()
    counts = cx.level_counts(responses, study)
    assert len(counts.blocks) == 1 and counts.blocks[0].items == ("q1", "q2", "q3", "q4")
    for row, item in enumerate(counts.items):
        table = pd.crosstab(responses["group"], responses[item]).reindex(
            index=["a", "b", "ref"], columns=[1, 2, 3, 4, 5], fill_value=0)
        assert (counts.counts[row] == table.to_numpy()).all()
        assert (counts.n[row] == table.sum(axis=1).to_numpy()).all()
    tidy = counts.frame()
    assert len(tidy) == 4 * 3 * 5 and tidy["count"].sum() == counts.n.sum()


def test_pattern_table_holds_every_respondent_once():
    responses, study = random_responses()
    block = cx.level_counts(responses, study).blocks[0]
    assert block.raw.sum() == len(responses)
    patterns = block.patterns
    assert patterns.shape == (6 ** 4, 4)
    # a respondent's pattern decodes back to their answers
    first = responses.iloc[0]
    codes = [0 if pd.isna(first[i]) else int(first[i]) for i in block.items]
    index = int(np.flatnonzero((patterns == codes).all(axis=1))[0])
    group = ["a", "b", "ref"].index(first["group"])
    assert block.raw[group, index] >= 1


def test_weighted_counts_and_kish_n():
    responses, study = random_responses(weights=True)
    counts = cx.level_counts(responses, study)
    assert counts.weighted
    in_a = (responses["group"] == "a") & responses["q2"].notna()
    w = responses.loc[in_a, "weight"]
    row = counts.items.index("q2")
    assert counts.counts[row, 0].sum() == pytest.approx(w.sum())
    assert counts.n_eff[row, 0] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert counts.effective()[row, 0].sum() == pytest.approx(counts.n_eff[row, 0])
    level_3 = in_a & (responses["q2"] == 3)
    assert counts.counts[row, 0, 2] == pytest.approx(responses.loc[level_3, "weight"].sum())


@pytest.mark.parametrize("weights", [False, True])
def test_a_wide_dimension_has_its_sparse_joint_table_with_the_same_result(monkeypatch, weights):
    responses, study = random_responses(seed=4, weights=weights)
    whole = cx.dimension_gaps(responses, study)
    monkeypatch.setattr(counts_module, "MAX_BINS", 100)  # forces one block per item
    split = cx.level_counts(responses, study)
    assert len(split.blocks) == 4 and len(split.wide) == 1
    joint = split.block_of(["q1", "q2"])
    assert joint is split.wide[0] and joint.items == ("q1", "q2", "q3", "q4")
    # the patterns given, each once, every respondent counted
    assert len(np.unique(joint.observed, axis=0)) == len(joint.observed)
    assert joint.raw.sum() == len(responses)
    # from the counts alone: no responses (the rows are never read)
    made = cx.dimension_gaps(None, study, counts=split)
    numeric = whole.select_dtypes("number").columns
    pd.testing.assert_frame_equal(whole[numeric], made[numeric], rtol=1e-12)
    pd.testing.assert_frame_equal(cx.gap_table(responses, study),
                                  cx.gap_table(None, study, counts=split))
    # counts of two halves added: the same joint table
    halves = cx.level_counts(responses.iloc[:120], study) + \
        cx.level_counts(responses.iloc[120:], study)
    np.testing.assert_array_equal(halves.wide[0].observed, joint.observed)
    np.testing.assert_allclose(halves.wide[0].counts, joint.counts, rtol=1e-12)
    # counts without the joint table (as SQL makes them): from the responses, or an error
    bare = dataclasses.replace(split, wide=())
    pd.testing.assert_frame_equal(cx.dimension_gaps(responses, study, counts=bare), made)
    with pytest.raises(ValueError, match=r"dimension 'D'.*split across.*LevelCounts.wide"):
        cx.dimension_gaps(None, study, counts=bare)


def test_sparse_pattern_tables_margins_and_sums():
    responses, study = random_responses(seed=2, weights=True)
    counts = cx.level_counts(responses, study)
    top = counts.top
    assert top.items == counts.items and top.k == (2, 2, 2, 2)
    dense = counts.blocks[0].sparse()
    for position in range(4):
        # top-box states: level 2 is the top-box count, level 0 the missing
        total, raw, _ = top.margin(position)
        successes = (counts.counts[position] * counts.top_box_mask()[position]).sum(axis=-1)
        np.testing.assert_allclose(total[:, 2], successes, rtol=1e-12)
        np.testing.assert_array_equal(raw[:, 1:].sum(axis=1), counts.n[position])
        # a dense block made sparse keeps its margins
        for mine, theirs in zip(dense.margin(position), counts.blocks[0].margin(position),
                                strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    # the same respondents in another order: the same table
    shuffled = cx.level_counts(responses.sample(frac=1, random_state=3), study).top
    np.testing.assert_array_equal(shuffled.observed, top.observed)
    np.testing.assert_allclose(shuffled.counts, top.counts, rtol=1e-12)
    np.testing.assert_array_equal(shuffled.raw, top.raw)


def test_counts_know_their_wave_and_are_never_pooled():
    responses, study = random_responses()
    assert cx.level_counts(responses, study).wave is None  # no wave column
    first = cx.level_counts(responses.assign(wave="2025"), study)
    second = cx.level_counts(responses.assign(wave="2026"), study)
    assert (first.wave, second.wave) == ("2025", "2026")
    assert (first + cx.level_counts(responses.assign(wave="2025"), study)).wave == "2025"
    with pytest.raises(ValueError, match=r"counts of wave 2026 to those of wave 2025.*never "
                                         r"pooled"):
        first + second
    with pytest.raises(ValueError, match=r"no wave \(responses without a wave column\)"):
        first + cx.level_counts(responses, study)


def test_plain_integer_and_float_columns_are_accepted():
    responses, study = random_responses()
    plain = responses.assign(q1=responses["q1"].astype("float64"),
                             q2=responses["q2"].fillna(0).astype("int64").replace(0, 1))
    expected = cx.level_counts(responses.assign(q2=responses["q2"].fillna(1)), study)
    got = cx.level_counts(plain, study)
    assert (got.counts == expected.counts).all()


def test_codes_outside_the_scale_are_refused():
    responses = make_responses({"a": [1, 2, 7], "ref": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"item 'q' holds codes outside 1..5"):
        cx.level_counts(responses, make_study())


def test_respondents_outside_the_groups_are_not_counted():
    responses = make_responses({"a": [1, 2], "ref": [3, 4]})
    responses["group"] = responses["group"].cat.add_categories("other")
    responses.loc[0, "group"] = "other"
    counts = cx.level_counts(responses, make_study())
    assert counts.n.sum() == 3


@pytest.mark.parametrize("rows, width", [(0, 1), (1, 1), (7, 3), (2_000, 40), (2_000, 3_900),
                                         (2_000, 6_000), (2_000, 10**12)],
                         ids=["none", "one", "few", "narrow", "dense", "wide", "sparse"])
def test_first_of_each_is_what_np_unique_gives(rows, width):
    """Keys told apart without sorting where they are narrow, sorted where wide: the
    distinct keys, each one's first row and each row's place, as ``np.unique``."""
    from cxstudy.counts import first_of_each

    key = np.random.default_rng(rows + width).integers(0, width, rows)
    for inverse in (False, True):
        wanted = np.unique(key, return_index=True, return_inverse=inverse)
        made = first_of_each(key, inverse=inverse)
        assert len(made) == len(wanted)
        for one, other in zip(made, wanted, strict=True):
            np.testing.assert_array_equal(one, np.asarray(other).reshape(-1))

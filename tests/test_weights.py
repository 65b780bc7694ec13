"""Weights (cxstudy.weights): raking to target margins, trimming, design weights from the
export, and a weighted study end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cxstudy as cx
import cxstudy.report
from cxstudy.exceptions import DataError, StudyFileError
from cxstudy.waves import one_wave
from cxstudy.weights import rake

from .conftest import EXAMPLE_STUDY, LABELS


def test_raking_hand_computed_case():
    """Two margins over 2 x 2 cells, solved by hand.

    Sample: (M,Y) 4, (M,O) 2, (F,Y) 1, (F,O) 3 respondents; targets sex M 0.5 / F 0.5,
    age Y 0.4 / O 0.6, so totals M 5, F 5, Y 4, O 6 of 10. Raking gives weights of the
    form a_sex * b_age; with b_Y = 1, a_M = x, a_F = y, b_O = t:
    x(4 + 2t) = 5, y(1 + 3t) = 5, 4x + y = 4  =>  10/(2 + t) + 5/(1 + 3t) = 4
    =>  12t^2 - 7t - 12 = 0  =>  t = 4/3, x = 3/4, y = 1.
    Weights: (M,Y) 3/4, (M,O) 1, (F,Y) 1, (F,O) 4/3 (M: 3 + 2 = 5, F: 1 + 4 = 5,
    Y: 3 + 1 = 4, O: 2 + 4 = 6).
    """
    frame = pd.DataFrame({"sex": list("MMMMMMFFFF"), "age": list("YYYYOOYOOO")})
    weights, report = rake(frame, {"sex": {"M": 0.5, "F": 0.5}, "age": {"Y": 0.4, "O": 0.6}},
                           trim=None, tolerance=1e-10)
    expected = [3 / 4] * 4 + [1.0] * 2 + [1.0] + [4 / 3] * 3
    assert weights == pytest.approx(expected, abs=1e-7)
    assert report.converged and report.max_deviation < 1e-9
    assert weights.mean() == pytest.approx(1.0)
    shares = pd.Series(weights).groupby(frame["age"]).sum() / weights.sum()
    assert shares.to_dict() == pytest.approx({"O": 0.6, "Y": 0.4})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=12, max_size=80),
       st.lists(st.sampled_from(["x", "y"]), min_size=80, max_size=80))
def test_raking_meets_every_margin(first, second):
    frame = pd.DataFrame({"one": first, "two": second[:len(first)]})
    if frame.groupby(["one", "two"]).ngroups < 6:
        return  # with an empty cell the targets may be impossible to meet together
    targets = {"one": {"a": 0.2, "b": 0.3, "c": 0.5}, "two": {"x": 0.45, "y": 0.55}}
    weights, report = rake(frame, targets, trim=None)
    for column, shares in targets.items():
        got = pd.Series(weights).groupby(frame[column]).sum() / weights.sum()
        assert got.to_dict() == pytest.approx(shares, abs=1e-5)
    assert report.design_effect >= 1 - 1e-9


def test_trimming_caps_weights():
    frame = pd.DataFrame({"g": ["rare"] + ["common"] * 99})
    weights, report = rake(frame, {"g": {"rare": 0.5, "common": 0.5}}, trim=5)
    assert weights.max() <= 5 * weights.mean() + 1e-9
    assert report.trimmed == 1 and not report.converged


def test_raking_errors_name_what_to_fix():
    frame = pd.DataFrame({"region": ["N", "S", "Mars", None]})
    with pytest.raises(DataError) as caught:
        rake(frame, {"region": {"N": 0.5, "S": 0.3, "E": 0.2}})
    message = str(caught.value)
    assert 'category "Mars" of 1 respondent(s) has no target share' in message
    assert "weights.margins.region.E: no respondent in this category" in message
    assert "1 respondent(s) have no value" in message
    with pytest.raises(DataError, match="zero, negative or missing"):
        rake(pd.DataFrame({"r": ["N", "S"]}), {"r": {"N": 0.5, "S": 0.5}},
             base=np.array([1.0, -2.0]))


def weighted_example(**weights):
    spec = yaml.safe_load(EXAMPLE_STUDY.read_text())
    spec["weights"] = {"group": "customers", **weights}
    study = cx.load_study(spec, base_dir=EXAMPLE_STUDY.parent)
    return study, cx.clean(cx.read_sources(study), study)


def test_weighted_study_end_to_end():
    targets = {"North": 0.35, "South": 0.30, "East": 0.20, "West": 0.15}
    study, result = weighted_example(margins={"Region": targets})
    for wave in ("2025", "2026"):  # raked within each wave, to the same targets
        customers = result.responses[(result.responses["group"] == "customers")
                                     & (result.responses["wave"] == wave)]
        shares = customers.groupby("Region")["weight"].sum() / customers["weight"].sum()
        assert shares.to_dict() == pytest.approx(targets), wave
        assert customers["weight"].mean() == pytest.approx(1.0)
        assert result.weighting_by_wave[wave].converged
    responses = one_wave(result.responses, "2026")
    customers = responses[responses["group"] == "customers"]
    assert (responses.loc[responses["group"] != "customers", "weight"] == 1).all()
    assert result.weighting is result.weighting_by_wave["2026"]
    assert result.weighting.converged and result.weighting.design_effect > 1
    gaps = cx.gap_table(responses, study)
    row = gaps[(gaps["item"] == "excellent") & (gaps["group"] == "leadership")].iloc[0]
    answered = customers["excellent"].notna()
    w = customers.loc[answered, "weight"]
    top = (customers.loc[answered, "excellent"] >= 4)
    assert row["top_box_ref"] == pytest.approx((w * top).sum() / w.sum())
    assert row["n_ref_eff"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    nps = cx.metric_table(responses, study).set_index("metric").loc["nps"]
    weights = customers["weight"]
    direct = (weights * (customers["nps"] >= 9)).sum() / weights.sum() - \
        (weights * (customers["nps"] <= 6)).sum() / weights.sum()
    assert nps["value"] == pytest.approx(direct)
    summary = cx.report.weights_display(responses, study)
    assert summary.loc[0, "Design effect"] == pytest.approx(result.weighting.design_effect,
                                                           abs=1e-3)


def test_weight_targets_must_sum_to_one_and_categories_must_exist():
    with pytest.raises(StudyFileError, match=r"shares sum to 0\.9"):
        weighted_example(margins={"Region": {"North": 0.4, "South": 0.5}})
    with pytest.raises(StudyFileError) as caught:  # found in the exports before cleaning
        weighted_example(margins={"Region": {"North": 0.4, "South": 0.3, "East": 0.2,
                                             "Mars": 0.1}})
    assert 'category "West"' in str(caught.value)
    assert "Mars: no respondent in this category" in str(caught.value)


def test_design_weight_column_from_the_export(tmp_path):
    frame = pd.DataFrame({"segment": ["customers"] * 4 + ["staff"] * 4,
                          "Q1": ["Agree", "Disagree", "Agree", "Agree"] * 2,
                          "w": [2.0, 1.0, 1.0, 0.0, 1, 1, 1, 1]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    spec = {"study": "w", "slug": "w", "groups": ["staff", "customers"], "min_group_size": 1,
            "sources": [{"path": "a.csv", "group_column": "segment"}],
            "scales": {"a": {"labels": LABELS, "top_box": 2}},
            "items": [{"id": "q1", "text": "One", "scale": "a", "column": "Q1"}],
            "weights": {"group": "customers", "column": "w", "trim": False}}
    study = cx.load_study(spec, base_dir=tmp_path)
    with pytest.raises(DataError, match=r"1 weight\(s\) are zero, negative or missing"):
        cx.clean(cx.read_sources(study), study)
    frame.loc[3, "w"] = 4.0
    frame.to_csv(tmp_path / "a.csv", index=False)
    responses = cx.clean(cx.read_sources(study), study).responses
    customers = responses[responses["group"] == "customers"]
    assert customers["weight"].tolist() == pytest.approx([1.0, 0.5, 0.5, 2.0])  # mean 1
    row = cx.gap_table(responses, study).iloc[0]
    assert row["top_box_ref"] == pytest.approx(3.5 / 4)


# ---------------------------------------------------------------------------
# blanks in a margin column (issue 25)


def test_blank_answers_are_the_missing_category_raked_like_any_other():
    """Raking with a "(missing)" target is raking with the blanks as a category of their
    own: checked against raking the filled-in frame, and against the hand-solved case."""
    frame = pd.DataFrame({"sex": ["M"] * 6 + [None] * 4, "age": list("YYYYOOYOOO")})
    filled = frame.assign(sex=frame["sex"].fillna("blank"))
    targets = {"sex": {"M": 0.5, "(missing)": 0.5}, "age": {"Y": 0.4, "O": 0.6}}
    weights, _ = rake(frame, targets, trim=None, tolerance=1e-10)
    same, _ = rake(filled, {"sex": {"M": 0.5, "blank": 0.5}, "age": targets["age"]},
                   trim=None, tolerance=1e-10)
    assert weights == pytest.approx(same)
    expected = [3 / 4] * 4 + [1.0] * 2 + [1.0] + [4 / 3] * 3   # the hand-computed case
    assert weights == pytest.approx(expected, abs=1e-7)
    # spaces only are blank too
    assert rake(frame.assign(sex=frame["sex"].fillna("  ")), targets, trim=None,
                tolerance=1e-10)[0] == pytest.approx(expected, abs=1e-7)


def test_blanks_without_a_missing_target_say_how_to_name_them():
    frame = pd.DataFrame({"sex": ["F", "M", None, "F"]})
    with pytest.raises(DataError) as caught:
        rake(frame, {"sex": {"F": 0.5, "M": 0.5}})
    assert ('1 respondent(s) have no value; give them a target share as a category of '
            'their own: "(missing)": SHARE') in str(caught.value)


def weights_with_blanks(tmp_path, margins):
    """Customers with a Gender column, two of them blank, weighted to ``margins``."""
    (tmp_path / "studies").mkdir(parents=True)
    pd.DataFrame({"Q1": ["Agree", "Disagree"] * 5}).to_csv(tmp_path / "l.csv", index=False)
    pd.DataFrame({"Q1": ["Agree", "Disagree", "Agree", "Agree"] * 5,
                  "Gender": ["Female", "Male", "", "Female", "Male"] * 4}
                 ).to_csv(tmp_path / "c.csv", index=False)
    spec = {"study": "w", "slug": "w", "groups": ["leadership", "customers"],
            "sources": [{"path": "../l.csv", "group": "leadership"},
                        {"path": "../c.csv", "group": "customers"}],
            "scales": {"a": {"labels": LABELS}},
            "items": [{"id": "q1", "text": "One", "scale": "a", "column": "Q1"}],
            "weights": {"group": "customers", "margins": margins, "trim": False}}
    path = tmp_path / "studies" / "w.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_validate_checks_the_margins_against_the_exports(tmp_path):
    from cxstudy.pipeline import validate

    path = weights_with_blanks(tmp_path, {"Gender": {"Female": 0.5, "Male": 0.3,
                                                     "Other": 0.2}})
    found = [f"{p.where}: {p.found}; {p.expected}" for p in validate(path).problems]
    assert any(p.startswith("weights.margins.Gender: 4 respondent(s) have no value; give "
                            'them a target share as a category of their own: "(missing)"')
               for p in found), found
    assert "weights.margins.Gender.Other: no respondent in this category" in "\n".join(found)
    path = weights_with_blanks(tmp_path / "ok", {"Gender": {"Female": 0.5, "Male": 0.3,
                                                            "(missing)": 0.2}})
    assert validate(path).problems == []
    study = cx.load_study(path)
    responses = cx.clean(cx.read_sources(study), study).responses
    customers = responses[responses["group"] == "customers"]
    shares = customers.groupby(customers["Gender"].fillna("(missing)"))["weight"].sum()
    assert (shares / shares.sum()).to_dict() == pytest.approx(
        {"Female": 0.5, "Male": 0.3, "(missing)": 0.2})
    assert customers["Gender"].isna().sum() == 4  # blank stays blank in the responses

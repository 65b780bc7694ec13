"""Answer scales (cxstudy.scales): answers compared as a person reads them, coded 1..k,
missing answers apart from unknown ones, and the top box in words."""

from __future__ import annotations

import pandas as pd
import pytest

from cxstudy.scales import Scale, code_answers, normalize, number_text, reverse_codes

from .conftest import LABELS

AGREE = Scale("agree5", labels=tuple(LABELS), top_box=2, missing=("Don't know",))
TEN = Scale("ten", values=tuple(range(0, 11)), top_box=2, missing=(-99,))


@pytest.mark.parametrize("one, other", [
    ("  Strongly   AGREE ", "strongly agree"),
    ("Don\u2019t know", "don't know"),
    ("Neither agree\u00a0nor disagree", "neither agree nor disagree"),
    (4, "4.0"),
    (" 4 ", 4.0),
    ("ｆｕｌｌ width", "full width"),  # NFKC
])
def test_answers_that_read_alike_compare_equal(one, other):
    assert normalize(one) == normalize(other) is not None


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan"), pd.NA])
def test_blanks_have_no_key(blank):
    assert normalize(blank) is None


def test_labels_are_coded_in_order_and_missing_answers_are_not_unknown():
    answers = pd.Series(["Agree", " strongly agree", "Don't know", None, "Agreee", "Agreee",
                         "Strongly disagree"], index=range(10, 17), name="Q1")
    coded = code_answers(answers, AGREE)
    assert coded.codes.tolist()[:2] == [4, 5] and coded.codes.tolist()[-1] == 1
    assert coded.codes.isna().tolist() == [False, False, True, True, True, True, False]
    assert str(coded.codes.dtype) == "Int8" and coded.codes.index.tolist() == list(range(10, 17))
    assert coded.unknown == {"Agreee": 2}
    assert coded.missing_count == 1


def test_numeric_scales_accept_numbers_and_labelled_numbers():
    answers = pd.Series(["10 - Extremely likely", "0", 7, "7.0", -99, "11"])
    coded = code_answers(answers, TEN)
    assert coded.codes.tolist()[:4] == [11, 1, 8, 8]  # codes 1..11 for the values 0..10
    assert pd.isna(coded.codes.tolist()[4]) and coded.missing_count == 1
    assert coded.unknown == {"11": 1}


def test_reverse_codes_keep_missing():
    codes = pd.Series(pd.array([1, 5, None, 3], dtype="Int8"))
    assert reverse_codes(codes, 5).tolist()[:2] == [5, 1]
    assert pd.isna(reverse_codes(codes, 5).tolist()[2]) and reverse_codes(codes, 5)[3] == 3


@pytest.mark.parametrize("scale, names, short, predicate", [
    (AGREE, ["Strongly agree", "Agree"], "Strongly agree or Agree",
     "answer “Strongly agree” or “Agree”"),
    (Scale("five", values=(1, 2, 3, 4, 5)), ["5", "4"], "4 or 5", "answer 4 or 5"),
    (Scale("ten", values=tuple(range(0, 11)), top_box=3), ["10", "9", "8"], "8–10",
     "answer 8–10"),
    (Scale("agree", labels=tuple(LABELS), top_box_label="agree"), ["Strongly agree", "Agree"],
     "agree", "agree"),
])
def test_the_top_box_in_words(scale, names, short, predicate):
    assert scale.top_box_names == names
    assert scale.top_box_short == short
    assert scale.top_box_predicate == predicate


def test_points_have_names_and_values():
    assert AGREE.k == 5 and AGREE.point_values == [1.0, 2.0, 3.0, 4.0, 5.0]
    half = Scale("half", values=(0.5, 1, 1.5))
    assert half.point_names == ["0.5", "1", "1.5"] and half.point_values == [0.5, 1.0, 1.5]
    assert number_text(4.0) == "4" and number_text(2.5) == "2.5"


# ---------------------------------------------------------------------------
# labels sharing a point; aliases

DISCUSS = Scale("discuss3", labels=("No", "Some of them", "Maybe", "Yes"),
                values=(1, 2, 2, 3), top_box=1)
AGREE_ALIASED = Scale("agree5", labels=tuple(LABELS), top_box=2, missing=("Don't know",),
                      aliases=(("Agree strongly", "Strongly agree"), ("Mostly agree", "Agree")))


def test_labels_sharing_a_value_are_one_point():
    assert DISCUSS.k == 3 and DISCUSS.codes == [1, 2, 2, 3]
    assert DISCUSS.point_names == ["No", "Some of them / Maybe", "Yes"]
    assert DISCUSS.point_values == [1.0, 2.0, 3.0]
    assert DISCUSS.top_box_names == ["Yes"]
    coded = code_answers(pd.Series(["maybe", "Some of them", "Yes", "no", "2", None]), DISCUSS)
    assert coded.codes.tolist() == [2, 2, 3, 1, 2, pd.NA]
    # reversal works on the distinct points: Maybe stays the middle
    assert reverse_codes(coded.codes, DISCUSS.k).tolist() == [2, 2, 1, 3, 2, pd.NA]


def test_uneven_shared_values_keep_their_numbers():
    scale = Scale("s", labels=("Low", "Lowish", "Mid", "High"), values=(0, 0, 5, 10))
    assert scale.k == 3 and scale.point_values == [0.0, 5.0, 10.0]
    assert scale.point_names == ["Low / Lowish", "Mid", "High"]


def test_an_alias_codes_a_variant_wording_as_its_label_and_is_counted():
    answers = pd.Series(["Agree strongly", " mostly AGREE", "Agree", "Mostly agree", "Nope"])
    coded = code_answers(answers, AGREE_ALIASED)
    assert coded.codes.tolist() == [5, 4, 4, 4, pd.NA]
    assert coded.aliased == {"Agree strongly": 1, " mostly AGREE": 1, "Mostly agree": 1}
    assert coded.unknown == {"Nope": 1}
    assert AGREE_ALIASED.k == 5  # no point added
    assert AGREE_ALIASED.alias_target("agree  STRONGLY") == "Strongly agree"
    assert code_answers(answers, AGREE).aliased == {}

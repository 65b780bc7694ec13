"""Collecting a study file's problems (cxstudy._validate): every problem at once, with its
key path, and "did you mean" for a near miss."""

from __future__ import annotations

import pytest

from cxstudy._validate import Collector, describe, did_you_mean

from .conftest import minimal_study, problems_of


def test_misspelt_key_gets_did_you_mean():
    found = problems_of(minimal_study(correcton="holm"))
    assert any('correcton: unknown key (did you mean "correction"?)' in p for p in found)


def test_all_problems_reported_together_with_key_paths():
    study = minimal_study(confidence=1.5, correction="bonferroni")
    study["items"][0]["scale"] = "agree7"
    study["items"].append({"id": "2bad", "text": "x", "scale": "agree5", "column": "Q2"})
    study["sources"][0]["grop"] = "leadership"
    found = problems_of(study)
    assert len(found) >= 5
    joined = "\n".join(found)
    assert "confidence: found 1.5" in joined
    assert "correction: found 'bonferroni' (a string)" in joined
    assert "holm, fdr_bh, none" in joined
    assert "items[0] (excellent).scale: unknown scale 'agree7' (did you mean \"agree5\"?)" in joined
    assert "items[1].id" in joined and "identifier" in joined
    assert 'sources[0].grop: unknown key (did you mean "group"?)' in joined


# ---------------------------------------------------------------------------
# the helpers on their own


@pytest.mark.parametrize("value, said", [
    (None, "nothing (empty value)"), ("abc", "'abc' (a string)"), (3, "3 (a whole number)"),
    (1.5, "1.5 (a number)"), (True, "True (true or false)"), ([1], "a list"),
    ({"a": 1}, "a mapping"), ("x" * 80, "'" + "x" * 56 + "... (a string)"),
])
def test_describe_says_what_a_value_is(value, said):
    assert describe(value) == said


def test_did_you_mean_offers_the_closest_choice_in_its_own_spelling():
    assert did_you_mean("Corection", ["confidence", "correction"]) == \
        ' (did you mean "correction"?)'
    assert did_you_mean("GROUPS", ["groups"]) == ' (did you mean "groups"?)'
    assert did_you_mean("zzz", ["groups", "items"]) == ""


def test_a_collector_checks_types_numbers_and_choices_and_keeps_going():
    c = Collector()
    spec = {"n": True, "share": 1.5, "size": 3, "method": "bonferroni", "rule": False,
            "extra": 1}
    assert c.typed(spec, "n", int, "x", default=7) == 7  # yes/no is not a number
    assert c.typed(spec, "share", float, "x") == 1.5 and c.typed(spec, "size", float, "x") == 3
    assert c.typed(spec, "missing", str, "x", required=True) is None
    assert c.number(spec, "share", "x", default=0.95, low=0, high=1, high_open=True,
                    expected="a share below 1") == 0.95
    assert c.number(spec, "rule", "x", default=5, off=0, expected="a number") == 0  # off
    assert c.choice(spec, "method", ["holm", "none"], "x", default="holm") == "holm"
    assert c.choice(spec, "rule", ["holm", "none"], "x", default="holm") == "none"
    c.keys(spec, ["n", "share", "size", "method", "rule"], "x")
    assert [str(p) for p in c.problems] == [
        "x.n: found True (true or false); expected a whole number",
        "x.missing: missing; this key is required",
        "x.share: found 1.5 (a number); expected a share below 1",
        "x.method: found 'bonferroni' (a string); expected one of: holm, none",
        "x.extra: unknown key; allowed keys here: n, share, size, method, rule"]

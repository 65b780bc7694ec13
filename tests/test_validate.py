"""Collecting a study file's problems (cxstudy._validate): every problem at once, with its
key path, and "did you mean" for a near miss."""

from __future__ import annotations

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

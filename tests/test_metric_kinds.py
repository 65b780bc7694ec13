"""Metric kinds are one registry (cxstudy.metrics.METRIC_KINDS): the study-file parser,
the metric table, the pages' tables and wording all read it, so a new kind is one entry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import metrics, report
from cxstudy.exceptions import StudyFileError


def one_metric_study(tmp_path, kind_spec: dict):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"segment": ["staff"] * 40 + ["customers"] * 40,
                          "M": rng.integers(1, 6, 80)})
    frame.to_csv(tmp_path / "all.csv", index=False)
    spec = {"study": "k", "slug": "k", "groups": ["staff", "customers"],
            "sources": [{"path": "all.csv", "group_column": "segment"}],
            "scales": {"five": {"values": [1, 2, 3, 4, 5], "top_box": 2}},
            "metrics": {"m": {"column": "M", **kind_spec}}, "cleaning": {"duplicates": "none"}}
    study = cx.load_study(spec, base_dir=tmp_path)
    return study, cx.clean(cx.read_sources(study), study).responses, frame


def test_a_new_kind_is_one_entry(tmp_path, monkeypatch):
    """Registering a kind (here: a scale's mean share of answers 4 or 5, shown as a share)
    makes the study file accept it, the metric table compute it and the pages name it."""
    kind = dataclasses.replace(metrics.METRIC_KINDS["csat"], name="favourable",
                               label="Favourable (top-box)", description="the favourable "
                               "share")
    monkeypatch.setitem(metrics.METRIC_KINDS, "favourable", kind)
    study, responses, frame = one_metric_study(tmp_path, {"kind": "favourable",
                                                          "scale": "five"})
    table = cx.metric_table(responses, study)
    staff = table.set_index("group").loc["staff"]
    assert staff["kind"] == "favourable"
    assert staff["value"] == pytest.approx((frame["M"][:40] >= 4).mean())
    shown = report.metric_display(table, study)
    assert set(shown["Metric"]) == {"Favourable (top-box): m"}
    assert shown.iloc[0, -1].endswith("%)")  # a share, shown in per cent
    assert report.metrics_blurb(table).startswith("The favourable share.")


def test_the_study_file_takes_the_kinds_of_the_registry(tmp_path):
    with pytest.raises(StudyFileError) as caught:
        one_metric_study(tmp_path, {"kind": "nsp"})
    message = str(caught.value)
    assert "metrics.m.kind" in message and "nps" in message  # did you mean
    assert "ces_low_effort" not in message  # comes with ces; no kind of its own
    with pytest.raises(StudyFileError, match=r"metrics\.m\.scale"):
        one_metric_study(tmp_path, {"kind": "csat"})  # csat needs_scale
    assert metrics.METRIC_KINDS["ces"].adds == ("ces_low_effort",)


@pytest.mark.parametrize(("kind", "points"), [("nps", True), ("csat", True),
                                              ("ces_low_effort", True), ("ces", False)])
def test_units_decide_how_changes_are_shown(kind, points):
    assert report.in_points(kind) is points

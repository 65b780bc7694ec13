"""The study file's sections (cxstudy._sections): what each parser refuses, with the key
path and a hint, and what it reads."""

from __future__ import annotations

import pytest
import yaml

import cxstudy as cx
from cxstudy.exceptions import StudyFileError

from .conftest import AGREE5, EXAMPLE_STUDY, LABELS, ROOT, minimal_study, problems_of, wave_sources


def test_unknown_audience_in_columns():
    study = minimal_study()
    study["items"][0] = {"id": "excellent", "text": "x", "scale": "agree5",
                         "columns": {"leadership": "Q1", "custmers": "Q3"}}
    found = problems_of(study)
    assert any("items[0] (excellent).columns.custmers: unknown audience (did you mean "
               '"customers"?)' in p for p in found)


def test_group_column_requires_groups_list():
    study = minimal_study(sources=[{"path": "all.csv", "group_column": "segment"}])
    del study["groups"]
    found = problems_of(study)
    assert any(p.startswith("groups: missing") for p in found)


@pytest.mark.parametrize("overrides, expected", [
    ({"sources": [{"path": "a.csv"}]}, ["sources[0]: no audience"]),
    ({"pii_columns": ["Q1"]}, ["'Q1' is listed in pii_columns"]),
    ({"weights": {"group": "customers", "margins": {"region": {"N": 0.5, "S": 0.6}}}},
     ["weights.margins.region: shares sum to 1.1"]),
    ({"scales": {"agree5": {"labels": ["No", "Yes"], "top_box": 2, "missing": ["yes"]}}},
     ["scales.agree5.top_box: found 2", "also a scale point"]),
    ({"open_ended": [{"id": "excellent", "question": "?", "column": "C"}]}, ["used twice"]),
], ids=["a source needs an audience", "a pii column cannot be an answer column",
        "weights margins must sum to one", "scale validation",
        "ids must be unique across items and questions"])
def test_a_section_refuses(overrides, expected):
    found = problems_of(minimal_study(**overrides))
    for message in expected:
        assert any(message in p for p in found), (message, found)


# ---------------------------------------------------------------------------
# waves


def test_waves_are_validated_together():
    spec = wave_sources()
    spec["sources"][0]["wave"] = "2024"          # not listed
    del spec["sources"][2]["wave"]               # waves given to some sources and not others
    spec["sources"][3]["wave"] = "2025"          # 2026 then has no reference source
    found = problems_of(spec)
    assert any("sources[0].wave: '2024' is not in waves" in p for p in found), found
    assert any("sources[2].wave: missing; the study has waves" in p for p in found), found
    assert any("waves (2026): no source for the reference audience 'customers'" in p
               for p in found), found


def test_sources_with_waves_need_the_order_of_waves():
    spec = wave_sources()
    del spec["waves"]
    assert any('waves: missing; sources name waves (2025, 2026): list them in order' in p
               for p in problems_of(spec))


def test_waves_keep_their_order_and_yaml_numbers_become_text():
    spec = wave_sources()
    spec["waves"] = [2026, 2025]  # a study file may list them in any order it means
    for source in spec["sources"]:
        source["wave"] = int(source["wave"])
    study = cx.load_study(spec, base_dir=ROOT)
    assert study.waves == ("2026", "2025")


def test_an_item_whose_scale_differs_between_waves_is_refused():
    spec = wave_sources(scales={"agree5": AGREE5, "agree4": {"labels": LABELS[:4]}})
    spec["items"][0]["scale"] = {"2025": "agree4", "2026": "agree5"}
    found = problems_of(spec)
    assert any("items[0] (excellent).scale: differs between waves (2025: agree4, 2026: "
               "agree5); a change between waves compares top-box shares on one scale" in p
               for p in found), found


# ---------------------------------------------------------------------------
# segments, importance, weights


def test_segment_study_file_problems(tmp_path):
    spec = minimal_study(pii_columns=["Email"], segments=[
        {"id": "region", "column": "Email"},
        {"id": "tenure", "columns": {"customers": "T"}, "bins": [3, 1], "map": {"a": "b"}},
        {"id": "excellent", "column": "Q9"}])
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(spec, base_dir=tmp_path)
    found = [str(p) for p in caught.value.problems]
    assert any("segments[0].columns.leadership: 'Email' is listed in pii_columns" in p
               for p in found), found
    assert any("segments[1].bins: found [3, 1]" in p for p in found), found
    assert any("segments[2].id: id 'excellent' used twice" in p for p in found), found


def test_importance_must_name_an_item():
    spec = yaml.safe_load(EXAMPLE_STUDY.read_text())
    spec["items"][1]["importance"] = "consistnt_importance"
    with pytest.raises(StudyFileError, match="importance: unknown item"):
        cx.load_study(spec, base_dir=EXAMPLE_STUDY.parent)


def test_weighting_on_a_pii_column_is_refused():
    spec = yaml.safe_load(EXAMPLE_STUDY.read_text())
    spec["weights"] = {"group": "customers", "margins": {"RecipientEmail": {"a": 1.0}}}
    with pytest.raises(StudyFileError, match="'RecipientEmail' is listed in pii_columns"):
        cx.load_study(spec, base_dir=EXAMPLE_STUDY.parent)

"""The study file (cxstudy.study): reading the YAML safely, paths, defaults, messages that
name the file; what each section refuses: test_sections.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import cxstudy as cx
from cxstudy.exceptions import StudyFileError

from .conftest import EXAMPLE_STUDY, ROOT, minimal_study


def test_example_study_loads_with_every_part():
    study = cx.load_study(EXAMPLE_STUDY)
    assert study.groups == ("leadership", "staff", "customers")
    assert study.reference == "customers"
    assert len(study.items) == 16
    assert [i.id for i in study.items if i.headline] == ["excellent"]
    assert study.item("frustrating").reverse
    assert {m.kind for m in study.metrics} == {"nps", "ces", "csat"}
    assert [e.id for e in study.estimates] == ["excellent_estimate"]
    assert len(study.open_ended) == 4
    assert study.project_root == ROOT
    assert study.processed_dir == ROOT / "data" / "processed" / "example"
    # relative source paths resolve from the study file's folder, not the working directory
    assert study.sources[0].path == ROOT / "data" / "raw" / "example" / "leadership.csv"


def test_relative_paths_do_not_depend_on_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = cx.load_study(EXAMPLE_STUDY)
    assert study.sources[2].path.is_file()


def test_defaults_are_conservative():
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    assert study.confidence == 0.95 and study.correction == "holm"
    assert study.min_group_size == 5
    assert study.reference == "customers"  # default: the last group
    rules = study.cleaning
    assert rules.require_finished and rules.drop_preview and rules.duplicates == "id"
    assert rules.min_duration_ratio == 0 and rules.straightline_min_items == 0
    assert rules.unknown_labels == "error"


def test_error_message_names_the_file(tmp_path):
    path = tmp_path / "studies" / "acme.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(minimal_study(slug="Not A Slug")))
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(path)
    message = str(caught.value)
    assert str(path) in message and "slug" in message and "lower-case" in message


@pytest.mark.parametrize("text, expected", [
    ("study: A\nslug: a\nslug: b\n", ["duplicate key 'slug'", "line 3"]),
    ("study: A\nsources:\n  - path: x.csv\n   group: a\n", ["line 4"]),
    ("study: !!python/object/apply:os.system ['echo hacked']\nslug: a\n", ["python/object"]),
], ids=["duplicate yaml keys are an error", "yaml syntax error names line",
        "yaml is loaded safely"])
def test_a_study_file_that_is_not_plain_yaml_is_refused(tmp_path, text, expected):
    path = tmp_path / "study.yml"
    path.write_text(text)
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(path)
    for words in expected:
        assert words in str(caught.value)


def test_missing_study_file():
    with pytest.raises(StudyFileError, match="file not found"):
        cx.load_study("studies/does-not-exist.yml")


def test_template_from_init_is_a_valid_study(tmp_path):
    from cxstudy.cli import main

    assert main(["init", "acme", "--dir", str(tmp_path / "studies")]) == 0
    study = cx.load_study(tmp_path / "studies" / "acme.yml")
    assert study.slug == "acme"
    assert study.sources[0].path == tmp_path / "data" / "raw" / "acme" / "leadership.csv"


def test_study_mapping_and_file_agree(tmp_path):
    mapping = minimal_study()
    path = tmp_path / "studies" / "t.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True))
    from_file = cx.load_study(path)
    from_mapping = cx.load_study(mapping, base_dir=path.parent)
    assert from_file.items == from_mapping.items
    assert Path(from_file.sources[0].path) == Path(from_mapping.sources[0].path)


def test_deliverables_default_to_workbook_and_deck_and_resolve_the_template(tmp_path):
    default = cx.load_study(minimal_study(), base_dir=tmp_path).deliverables
    assert (default.workbook, default.deck, default.deck_template) == (True, True, None)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "acme.pptx").write_bytes(b"checked when the deck is made")
    studies = tmp_path / "studies"
    studies.mkdir()
    chosen = cx.load_study(minimal_study(deliverables={
        "workbook": False, "deck_template": "../templates/acme.pptx"}),
        base_dir=studies).deliverables
    assert chosen.workbook is False and chosen.deck is True
    assert chosen.deck_template == (tmp_path / "templates" / "acme.pptx").resolve()


def test_deliverables_problems_name_the_key(tmp_path):
    from .conftest import problems_of

    problems = problems_of(minimal_study(deliverables={"deck": "yes please", "slides": 3,
                                                       "deck_template": "nowhere.pptx"}))
    assert any(p.startswith("deliverables.deck: found") and "true or false" in p
               for p in problems), problems
    assert any(p.startswith("deliverables.slides: unknown key") for p in problems), problems
    assert any(p.startswith("deliverables.deck_template: 'nowhere.pptx': no such file")
               for p in problems), problems

"""The study file (cxstudy.study): reading the YAML safely, paths, defaults, messages that
name the file; what each section refuses: test_sections.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import cxstudy as cx
from cxstudy.exceptions import StudyFileError

from .conftest import AGREE5, EXAMPLE_STUDY, ROOT, minimal_study, problems_of


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


# ---------------------------------------------------------------------------
# issue 25: aliases, labels sharing a point, rename


def test_aliases_and_shared_points_parse():
    study = cx.load_study(minimal_study(scales={
        "agree5": {**AGREE5, "aliases": {"Agree strongly": "Strongly agree",
                                         "Mostly agree": "agree"}},
        "discuss3": {"labels": ["No", "Some of them", "Maybe", "Yes"], "values": [1, 2, 2, 3],
                     "top_box": 1}}), base_dir=ROOT)
    assert study.scales["agree5"].aliases == (("Agree strongly", "Strongly agree"),
                                              ("Mostly agree", "agree"))
    assert study.scales["discuss3"].k == 3


@pytest.mark.parametrize(("scale", "said"), [
    ({"aliases": {"Mostly agree": "Agreed"}},
     "scales.agree5.aliases.Mostly agree: 'Agreed' (a string) is not a point of the scale "
     '(did you mean "Agree"?); map the variant wording to one of: Strongly '
     "disagree, Disagree, Neither agree nor disagree, Agree, Strongly agree"),
    ({"aliases": {"agree": "Strongly agree"}},
     "scales.agree5.aliases.agree: is already a point of the scale"),
    ({"aliases": {"Don't know": "Agree"}},
     "scales.agree5.aliases.Don't know: is also listed in missing"),
    ({"aliases": {"Mostly agree": "Agree", "mostly  agree": "Agree"}},
     "scales.agree5.aliases.mostly  agree: listed twice"),
    ({"aliases": {"Mostly agree": ["Agree"]}},
     "scales.agree5.aliases.Mostly agree: a list is not a point of the scale"),
    ({"aliases": ["Mostly agree"]}, "scales.agree5.aliases: found a list; expected a mapping"),
    ({"values": [1, 2, 2, 3, 4]}, None),  # five labels, four points: accepted
    ({"values": [1, 2, 2, 3]}, "scales.agree5: 5 labels but 4 values"),
    ({"values": [2, 1, 3, 4, 5]}, "scales.agree5.values: found [2, 1, 3, 4, 5]; list "
     "the numbers from lowest to highest"),
    ({"values": [1, 2, 2, 3, 4], "top_box": 4}, "scales.agree5.top_box: found 4; expected 1..3"),
])
def test_bad_aliases_and_values_name_the_key(scale, said):
    study = minimal_study(scales={"agree5": {**AGREE5, **scale}})
    if said is None:
        assert cx.load_study(study, base_dir=ROOT).scales["agree5"].k == 4
        return
    assert any(p.startswith(said) for p in problems_of(study)), problems_of(study)


def test_repeated_values_without_labels_are_refused_with_the_way_to_share_a_point():
    study = minimal_study(scales={"n": {"values": [1, 2, 2, 3]}})
    study["items"][0]["scale"] = "n"
    found = problems_of(study)
    assert any(p.startswith("scales.n.values: found [1, 2, 2, 3]; list distinct numbers"
                            "; to code several labels as one point") for p in found)


@pytest.mark.parametrize(("rename", "said"), [
    ({"Q1 old": "Q1"}, None),
    (["Q1"], "sources[0].rename: found a list; expected a mapping"),
    ({"A": "Q1", "B": "Q1"}, "sources[0].rename.B: 'Q1' is the new name of another header"),
    ({"A": None}, "sources[0].rename.A: found nothing (empty value); expected the column's "
     "new name"),
    ({"A": ["x"]}, "sources[0].rename.A: found a list"),
])
def test_rename_is_checked(rename, said):
    study = minimal_study()
    study["sources"][0]["rename"] = rename
    if said is None:
        source = cx.load_study(study, base_dir=ROOT).sources[0]
        assert source.rename == {"Q1 old": "Q1"}
        return
    assert any(p.startswith(said) for p in problems_of(study)), problems_of(study)


# ---------------------------------------------------------------------------
# choices


def _with_choice(**choice):
    spec = {"id": "contact", "text": "How?", "options": ["Phone", "E-mail", "Chat"],
            **({} if "columns" in choice else {"column": "Q20"}), **choice}
    return minimal_study(choices=[spec])


def test_choices_are_parsed():
    study = cx.load_study(_with_choice(
        multiple=True, options=["Phone", {"label": "E-mail", "aliases": ["Email"]}, "None"],
        columns={"leadership": ["S1", "S2", "S3"], "customers": "Q20_*"}, none="None",
        other="Q20_TEXT"), base_dir=ROOT)
    (choice,) = study.choices
    assert choice.multiple and choice.labels == ["Phone", "E-mail", "None"]
    assert choice.options[1].aliases == ("Email",)
    assert choice.columns == {"leadership": ("S1", "S2", "S3"), "customers": "Q20_*"}
    assert choice.other == {"leadership": "Q20_TEXT", "customers": "Q20_TEXT"}
    assert choice.none == "None" and choice.unmatched is None
    assert choice.indicator_columns[0] == "contact::Phone"  # "::" is never part of an id
    other = study.open_ended[-1]  # the "other (please specify)" text: an open answer
    assert (other.id, other.columns["customers"]) == ("contact_other", "Q20_TEXT")
    assert other.question == "How? — other (please specify)"


def test_an_other_question_id_taken_is_named():
    spec = _with_choice(other="Q20_TEXT")
    spec["open_ended"] = [{"id": "contact_other", "question": "?", "column": "X"}]
    problems = problems_of(spec)
    assert any("choices[0] (contact).other (makes the open-ended question contact_other)"
               in p and "used twice" in p for p in problems), problems


def test_a_study_of_choices_alone_is_a_study():
    spec = minimal_study(choices=[{"id": "contact", "text": "How?", "options": ["A", "B"],
                                   "column": "Q"}])
    del spec["items"]
    assert cx.load_study(spec, base_dir=ROOT).choices[0].id == "contact"


@pytest.mark.parametrize("choice, found", [
    ({"options": ["Phone"]}, "contact).options: 1 option(s)"),
    ({"options": ["Phone", "phone "]}, "'phone' also names option 'Phone'"),
    ({"unmatched": "Othr"}, "unmatched: 'Othr' is not an option"),
    ({"none": "Phone"}, "none: given on a pick-one question"),
    ({"multiple": "yes please"}, "multiple: found"),
    ({"column": ["A", "B"]}, "column: found a list"),
    ({"columns": {"staf": "Q"}}, "unknown audience"),
    ({"id": "contact::x"}, "expected an identifier"),
    ({"waves": ["2026"]}, "given, but the study has no waves"),
    ({"options": ["Phone", {"label": "Chat", "alias": ["x"]}]}, "alias: unknown key"),
])
def test_bad_choices_are_named(choice, found):
    problems = problems_of(_with_choice(**choice))
    assert any(found in p for p in problems), problems


def test_a_choice_id_cannot_reuse_an_item_id():
    problems = problems_of(_with_choice(id="excellent"))
    assert any("id 'excellent' used twice" in p for p in problems), problems

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


# issue 25: waves: on every question, break:, cleaning.exclude, a margin's (missing)


def _two_waves(**extra) -> dict:
    from .conftest import wave_sources

    return wave_sources(**extra)


def test_waves_has_the_same_meaning_on_every_kind_of_question(tmp_path):
    spec = _two_waves(
        metrics={"nps": {"column": "NPS", "waves": ["2026"]}},
        estimates=[{"item": "excellent", "column": "Est", "waves": "2026"}],
        open_ended=[{"id": "better", "question": "What could we do better?",
                     "column": "Better", "waves": ["2026"]}],
        segments=[{"id": "region", "column": "Region", "waves": ["2025"]}])
    study = cx.load_study(spec, base_dir=tmp_path)
    asked = {"nps": study.metrics[0], "estimate": study.estimates[0],
             "better": study.open_ended[0], "region": study.segments[0]}
    assert {k: (q.asked_in("2025"), q.asked_in("2026")) for k, q in asked.items()} == {
        "nps": (False, True), "estimate": (False, True), "better": (False, True),
        "region": (True, False)}
    assert all(q.asked_in(None) for q in asked.values())  # a study without waves
    by_id = {(m.id, m.group): m.waves for m in study.mappings()}
    assert by_id[("better", "customers")] == ("2026",) and by_id[("excellent", "leadership")] \
        is None


def test_waves_of_a_question_are_checked_like_items(tmp_path):
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(_two_waves(open_ended=[
            {"id": "better", "question": "Q", "column": "B", "waves": ["2027"]},
            {"id": "worse", "question": "Q", "column": "W", "waves": []}]), base_dir=tmp_path)
    text = str(caught.value)
    assert "open_ended[0].waves: '2027' is not in waves" in text
    assert "open_ended[1].waves: empty list" in text
    with pytest.raises(StudyFileError, match=r"metrics.nps.waves: given, but the study has "
                       "no waves"):
        cx.load_study(minimal_study(metrics={"nps": {"column": "N", "waves": ["2026"]}}),
                      base_dir=tmp_path)


def test_a_break_in_an_items_series(tmp_path):
    item = {**minimal_study()["items"][0],
            "break": {"wave": 2026, "reason": "a neutral answer was added"}}
    study = cx.load_study(_two_waves(items=[item]), base_dir=tmp_path)
    brk = study.items[0].series_break
    assert (brk.wave, brk.reason) == ("2026", "a neutral answer was added")
    assert study.items[0].breaks_between("2025", "2026", study.waves)
    assert not study.items[0].breaks_between("2026", "2026", study.waves)


@pytest.mark.parametrize("brk, found", [
    ({"wave": "2027", "reason": "x"}, "break.wave: '2027' is not in waves"),
    ({"wave": "2025", "reason": "x"}, "break.wave: '2025' is the first wave"),
    ({"wave": "2026"}, "break.reason: missing"),
    ({"wave": "2026", "reason": "  "}, "break.reason: empty"),
    ({"reason": "x"}, "break.wave: found nothing"),
    ({"wave": "2026", "reason": "x", "when": 1}, "break.when: unknown key"),
    ("2026", "break: found '2026' (a string); expected a mapping"),
])
def test_a_break_names_a_later_wave_and_a_reason(tmp_path, brk, found):
    item = {**minimal_study()["items"][0], "break": brk}
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(_two_waves(items=[item]), base_dir=tmp_path)
    assert f"items[0] (excellent).{found}" in str(caught.value)


def test_a_break_in_a_wave_the_item_was_not_asked_in_is_refused(tmp_path):
    item = {**minimal_study()["items"][0], "waves": ["2025"],
            "break": {"wave": "2026", "reason": "x"}}
    with pytest.raises(StudyFileError, match=r"break.wave: the item was not asked in wave "
                       "'2026'"):
        cx.load_study(_two_waves(items=[item]), base_dir=tmp_path)


def test_exclusion_rules(tmp_path):
    study = cx.load_study(minimal_study(cleaning={"exclude": [
        {"column": "Employment", "values": ["Self-employed"], "groups": ["leadership"]},
        {"column": "SeenFilm", "blank": True, "sources": ["customers.csv"]},
        {"column": 2016, "values": "No"}]}), base_dir=tmp_path)
    first, second, third = study.cleaning.exclude
    assert (first.column, first.values, first.blank, first.groups, first.sources) == (
        "Employment", ("Self-employed",), False, ("leadership",), None)
    assert second.blank and second.sources == ("customers",)  # a path names its source
    assert (third.column, third.values, third.key_path) == ("2016", ("No",),
                                                             "cleaning.exclude[2]")


@pytest.mark.parametrize("rule, found", [
    ({"values": ["x"]}, "cleaning.exclude[0].column: missing"),
    ({"column": "E"}, "cleaning.exclude[0]: neither values nor blank"),
    ({"column": "E", "blank": "yes"}, "cleaning.exclude[0].blank: found 'yes'"),
    ({"column": "E", "blank": True, "groups": ["staf"]},
     "cleaning.exclude[0].groups: 'staf' is not an audience"),
    ({"column": "E", "blank": True, "sources": ["leader"]},
     "cleaning.exclude[0].sources: 'leader' is not a source (did you mean \"leaders\"?)"),
    ({"column": "E", "values": [["a"]]}, "cleaning.exclude[0].values: found a list"),
    ({"column": "E", "values": []}, "cleaning.exclude[0].values: empty list"),
    ({"column": "E", "blank": True, "sources": []}, "cleaning.exclude[0].sources: empty list"),
    ({"column": "E", "blank": True, "where": 1}, "cleaning.exclude[0].where: unknown key"),
])
def test_an_exclusion_rule_says_what_it_cannot_use(tmp_path, rule, found):
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(minimal_study(cleaning={"exclude": [rule]}), base_dir=tmp_path)
    assert found in str(caught.value)


def test_a_margin_names_blank_answers_missing_and_never_the_empty_string(tmp_path):
    weights = {"group": "customers", "margins": {"Gender": {"Female": 0.5, "Male": 0.45,
                                                            "(missing)": 0.05}}}
    study = cx.load_study(minimal_study(weights=weights), base_dir=tmp_path)
    assert study.weights.margins["Gender"]["(missing)"] == 0.05
    weights["margins"]["Gender"] = {"Female": 0.5, "Male": 0.45, "": 0.05}
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(minimal_study(weights=weights), base_dir=tmp_path)
    assert ("weights.margins.Gender: a category named '' (a string); name the respondents "
            'who left Gender blank "(missing)"') in str(caught.value)


def test_the_workshop_study_parses_split_and_sheet_size():
    study = cx.load_study(ROOT / "tests" / "fixtures" / "workshop" / "studies" / "workshop.yml")
    assert not study.items and not study.metrics
    assert [q.split for q in study.open_ended] == ["points"] * 4
    assert [q.role for q in study.open_ended] == ["strength", "problem", "competition", "next"]
    assert [s.sheet_size for s in study.sources] == [None, "People", None]
    plain = cx.load_study(ROOT / "studies" / "example.yml")
    assert {q.split for q in plain.open_ended} == {None}


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


# --- words a reader sees: audience labels, subject, bottom box ----------------------------


def test_groups_may_carry_labels_that_pages_show_while_ids_stay_in_data():
    study = cx.load_study(minimal_study(
        groups=[{"id": "leadership", "label": "Board members"}, "customers"],
        subject="our hospital care"), base_dir=ROOT)
    assert study.groups == ("leadership", "customers")
    assert study.label("leadership") == "Board members"
    assert study.label("customers") == "customers"
    assert study.labels() == ["Board members", "customers"]
    assert study.subject == "our hospital care"


def test_subject_defaults_to_the_customer_experience():
    assert cx.load_study(minimal_study(), base_dir=ROOT).subject == "the customer experience"


@pytest.mark.parametrize("overrides, key", [
    ({"subject": 7}, "subject"),
    ({"subject": "  "}, "subject"),
    ({"groups": [{"id": "leadership", "label": ["x"]}, "customers"]}, "groups[0].label"),
    ({"groups": [{"id": "leadership", "label": 3}, "customers"]}, "groups[0].label"),
    ({"groups": [{"label": "Leaders"}, "customers"]}, "groups[0].id"),
    ({"groups": [{"id": "leadership", "name": "L"}, "customers"]}, "groups[0].name"),
    ({"groups": [{"id": "leadership", "label": "customers"}, "customers"]}, "groups"),
])
def test_a_label_or_subject_that_is_not_text_names_the_key(overrides, key):
    problems = problems_of(minimal_study(**overrides))
    assert any(p.startswith(key + ":") or p.startswith(key + " ") for p in problems), problems


def test_a_reversed_item_counts_and_is_worded_as_the_bottom_box():
    scales = {"agree5": {**AGREE5}, "sat": {**AGREE5, "bottom_box_label": "disagree"}}
    study = cx.load_study(minimal_study(scales=scales, items=[
        {"id": "plain", "text": "Easy", "scale": "agree5", "column": "Q1"},
        {"id": "hard", "text": "Hard", "scale": "agree5", "column": "Q2", "reverse": True},
        {"id": "hard2", "text": "Hard too", "scale": "sat", "column": "Q3", "reverse": True},
    ]), base_dir=ROOT)
    assert study.top_box_short("plain") == "Strongly agree or Agree"
    assert study.top_box_short("hard") == "Strongly disagree or Disagree"
    assert study.top_box_predicate("hard") == "answer “Strongly disagree” or “Disagree”"
    assert study.top_box_predicate("hard2") == "disagree"
    problems = problems_of(minimal_study(scales={"agree5": {**AGREE5, "bottom_box_label": 1}}))
    assert any(p.startswith("scales.agree5.bottom_box_label") for p in problems), problems

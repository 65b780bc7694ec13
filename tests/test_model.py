"""What a study is (cxstudy.model): where its outputs go, its items and dimensions, which
audiences a source holds, and every column mapping with the key path that made it."""

from __future__ import annotations

import pytest

import cxstudy as cx
from cxstudy.model import Item, Segment, Source, groups_of_source

from .conftest import ROOT, minimal_study, wave_sources


def test_outputs_go_under_the_project_folder(tmp_path):
    study = cx.load_study(minimal_study(slug="acme"), base_dir=tmp_path / "studies")
    assert study.project_root == tmp_path
    assert study.processed_dir == tmp_path / "data" / "processed" / "acme"
    assert study.report_dir == tmp_path / "reports" / "acme"


def test_items_by_id_and_dimensions_in_order_of_first_item():
    items = [{"id": i, "text": i, "scale": "agree5", "column": f"Q{n}", "dimension": d}
             for n, (i, d) in enumerate([("a", "Trust"), ("b", "Ease"), ("c", "Trust")])]
    study = cx.load_study(minimal_study(items=items), base_dir=ROOT)
    assert study.dimensions == ["Trust", "Ease"]
    assert study.item("b").columns == {"leadership": "Q1", "customers": "Q1"}
    with pytest.raises(KeyError) as caught:
        study.item("bb")
    assert caught.value.args[0] == "no item 'bb' in study 'test' (did you mean \"b\"?)"


@pytest.mark.parametrize("source, expected", [
    (Source("a", ROOT, group="staff"), ["staff"]),
    (Source("a", ROOT, group_column="seg", group_map={"1": "customers", "2": "leadership"}),
     ["leadership", "customers"]),
    (Source("a", ROOT, group_column="seg"), ["leadership", "staff", "customers"]),
], ids=["one audience", "a map names some", "a column may hold any"])
def test_the_audiences_a_source_can_hold(source, expected):
    assert groups_of_source(source, ("leadership", "staff", "customers")) == expected


def test_every_mapping_names_its_key_path_and_attention_checks_are_no_answers():
    study = cx.load_study(minimal_study(
        metrics={"nps": {"columns": {"customers": "NPS"}}},
        open_ended=[{"id": "why", "question": "Why?", "column": "C"}],
        cleaning={"attention_checks": [{"column": "AC", "expect": ["Agree"]}]}), base_dir=ROOT)
    found = {(m.kind, m.group, m.column, m.key_path) for m in study.mappings()}
    assert ("item", "customers", "Q1", "items[0] (excellent).columns.customers") in found
    assert ("metric", "customers", "NPS", "metrics.nps.columns.customers") in found
    assert ("open_ended", "leadership", "C", "open_ended[0] (why).columns.leadership") in found
    assert ("attention_check", "customers", "AC",
            "cleaning.attention_checks[0].columns.customers") in found


def test_sources_know_their_wave_and_items_where_they_were_asked():
    study = cx.load_study(wave_sources(), base_dir=ROOT)
    assert [s.wave for s in study.sources] == ["2025", "2025", "2026", "2026"]
    once = Item("q", "Q", "agree5", {}, waves=("2026",))
    assert once.asked_in("2026") and not once.asked_in("2025")
    assert once.asked_in(None)  # a study without waves asks every item
    assert Item("q", "Q", "agree5", {}).asked_in("2025")


def test_bins_name_their_bands_with_the_last_closed():
    segment = Segment("tenure", "Tenure", {}, bins=(0, 1, 3, 10.5))
    assert segment.band_names() == ["0 to <1", "1 to <3", "3 to 10.5"]
    assert Segment("region", "Region", {}).band_names() == []


@pytest.mark.parametrize(("confidence", "level", "equivalence"), [
    (0.95, "95%", "90% interval"), (0.90, "90%", "80% interval"),
    (0.975, "97.5%", "95% interval"), (0.99, "99%", "98% interval")])
def test_the_interval_levels_come_from_the_study(confidence, level, equivalence):
    study = cx.load_study(minimal_study(confidence=confidence), base_dir=ROOT)
    assert study.level == level and study.interval_label == f"{level} CI"
    assert study.equivalence_label == equivalence
    assert study.equivalence_level == pytest.approx(1 - 2 * (1 - confidence))


def test_the_other_audiences_and_the_suppression_note_are_the_studys():
    study = cx.load_study(minimal_study(groups=["staff", "leadership", "customers"],
                                        reference="leadership", min_group_size=7,
                                        sources=[{"path": "a.csv", "group_column": "G"}]),
                          base_dir=ROOT)
    assert study.others == ["staff", "customers"]
    assert (study.reference_index, study.other_indices) == (1, [0, 2])
    assert study.suppression_note(3) == "suppressed: fewer than 7 respondents (n = 3)"
    assert study.suppression_note(where="in a wave") == (
        "suppressed: fewer than 7 respondents in a wave")


def test_one_meaning_of_asked_in_a_wave_and_of_a_break():
    from cxstudy.model import Metric, OpenEnded, SeriesBreak, asked_in

    assert asked_in(None, "2025") and asked_in(("2026",), None)
    assert not asked_in(("2026",), "2025") and asked_in(("2026",), "2026")
    metric = Metric("nps", "nps", {"c": "Q"}, waves=("2026",))
    question = OpenEnded("why", "Why?", {"c": "W"}, waves=("2025",))
    assert (metric.asked_in("2025"), question.asked_in("2025")) == (False, True)
    item = Item("leave", "Leave?", "s", {"c": "L"}, series_break=SeriesBreak("2026", "x"))
    waves = ("2025", "2026", "2027")
    assert item.breaks_between("2025", "2026", waves)
    assert item.breaks_between("2025", "2027", waves)  # 2026 held no responses: it spans it
    assert not item.breaks_between("2026", "2027", waves)
    assert not Item("same", "S", "s", {"c": "L"}).breaks_between("2025", "2026", waves)

"""The registry of tables and pages: one answer to "which tables and pages does this study
have", read by Results, write_tables, the pages and the documentation."""

from __future__ import annotations

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import registry
from cxstudy.analysis import Results
from cxstudy.tables import SPECS

from .conftest import ROOT, minimal_study, wave_sources


def results_of(spec: dict, waves: list[str] | None = None) -> Results:
    """Results of a study whose responses hold ``waves`` (none read: nothing computed)."""
    study = cx.load_study(spec, base_dir=ROOT)
    return Results(study, None, waves=list(study.waves) if waves is None else waves)


@pytest.mark.parametrize("extra, expected", [
    ({}, ["00_summary.ipynb", "01_data_quality.ipynb", "02_gaps.ipynb"]),
    ({"open_ended": [{"id": "why", "question": "Why?", "column": "C"}]},
     ["00_summary.ipynb", "01_data_quality.ipynb", "02_gaps.ipynb", "03_voices.ipynb"]),
    ({"waves": ["2025", "2026"]},
     ["00_summary.ipynb", "01_data_quality.ipynb", "02_gaps.ipynb", "04_trends.ipynb"]),
    ({"segments": [{"id": "region", "column": "Region"}]},
     ["00_summary.ipynb", "01_data_quality.ipynb", "02_gaps.ipynb", "05_segments.ipynb"]),
])
def test_pages_for_picks_the_pages_by_what_the_study_has(extra, expected):
    spec = wave_sources() if "waves" in extra else minimal_study(**extra)
    chosen = registry.pages_for(results_of(spec))
    assert [page.notebook for page in chosen] == expected
    assert (chosen[0].file, chosen[0].title) == ("index.html", "Executive summary")


def test_pages_and_tables_follow_the_waves_the_responses_hold():
    """A study that declares two waves but whose responses hold one has no Trends page and
    no trend tables: the pages and Results.available give the same answer."""
    one = results_of(wave_sources(), waves=["2026"])
    assert "04_trends.ipynb" not in [page.notebook for page in one.pages]
    assert not {"trends", "dimension_trends"} & set(one.available)
    both = results_of(wave_sources())
    assert "04_trends.ipynb" in [page.notebook for page in both.pages]
    assert {"trends", "dimension_trends"} <= set(both.available)


def test_every_written_table_has_its_contract_and_a_page_that_exists():
    notebooks = {page.notebook for page in registry.PAGES}
    assert {entry.spec.name for entry in registry.WRITTEN.values()} == set(SPECS)
    for name, entry in registry.TABLES.items():
        assert entry.page is None or entry.page in notebooks, name
        assert entry.doc and entry.scope in registry.SCOPES, name
        assert getattr(Results, name).__doc__ == entry.doc  # the attribute documents it


def test_a_new_table_is_one_entry(monkeypatch, tmp_path):
    """An entry is all a table needs: Results computes it once per wave and stacks it,
    write_tables writes it, and a study without what it needs has none."""
    from cxstudy.tables import _spec

    spec = _spec("answer_counts", "one per audience", "group n")
    entry = registry.Table(
        "answer_counts", lambda r: pd.DataFrame({"group": list(r.study.groups),
                                                 "n": [int((r.responses["group"] == g).sum())
                                                       for g in r.study.groups]}),
        "Respondents per audience.", needs=("items",), spec=spec)
    monkeypatch.setitem(registry.TABLES, "answer_counts", entry)
    monkeypatch.setattr(registry, "WRITTEN", {"answer_counts": entry})  # written: it alone
    study = cx.load_study(ROOT / "studies" / "example.yml")
    responses = pd.DataFrame({"group": ["leadership", "customers", "customers"] * 2,
                              "wave": ["2025"] * 3 + ["2026"] * 3})
    res = Results(study, responses)
    table = res.table("answer_counts")
    assert list(table["wave"]) == ["2025"] * 3 + ["2026"] * 3  # within each wave, stacked
    assert list(table["n"]) == [1, 0, 2, 1, 0, 2]
    assert sorted(res.computed) == ["2025/answer_counts", "2026/answer_counts",
                                    "answer_counts"]  # each once
    assert res.table("answer_counts") is table
    written = res.write_tables(tmp_path)
    pd.testing.assert_frame_equal(pd.read_csv(written["answer_counts"], dtype={"wave": str}),
                                  table, check_dtype=False)
    assert res.available == ["answer_counts"]
    no_items = Results(cx.load_study(minimal_study(items=[], open_ended=[
        {"id": "why", "question": "Why?", "column": "C"}]), base_dir=ROOT), responses)
    assert no_items.available == []  # what it needs, the study has not


def test_an_entry_names_only_known_needs_and_scopes():
    with pytest.raises(ValueError, match="unknown need"):
        registry.Table("x", lambda r: None, "x", needs=("weather",))
    with pytest.raises(ValueError, match="scope"):
        registry.Table("x", lambda r: None, "x", scope="sometimes")


WORKSHOP = ROOT / "tests" / "fixtures" / "workshop" / "studies" / "workshop.yml"


def test_a_study_of_open_questions_alone_has_no_item_tables_or_gaps_page():
    """The workshop study (the four questions, no items, no metrics): the Perception gaps
    page and every table that needs items are absent; asking for one gives an empty table
    saying why, never a computation from nothing (issue 24: the gap index crashed)."""
    res = cx.analyze(WORKSHOP)
    assert [page.notebook for page in res.pages] == [
        "00_summary.ipynb", "01_data_quality.ipynb", "03_voices.ipynb"]
    assert res.available == ["themes", "voice_similarity", "tone"]
    for name in ("gaps", "gap_index", "shares", "dimensions", "metrics", "trends"):
        table = getattr(res, name)
        assert table.empty and table.attrs["absent"].startswith("this study has no"), name
        assert list(table.columns) == registry.TABLES[name].spec.all_columns
    assert res.gap_index.attrs["absent"] == "this study has no items"
    with pytest.raises(ValueError, match="counts: this study has no items"):
        res.counts  # noqa: B018 - no contract: an error saying what is missing
    assert "gaps" not in res.computed and "gap_index" not in res.computed


@pytest.mark.parametrize("extra, has_gaps", [
    ({"items": []}, False),
    ({"items": [], "scales": {"nps": {"values": list(range(11))}},
      "metrics": {"nps": {"column": "NPS"}}}, True),
])
def test_the_gaps_page_needs_items_or_metrics(extra, has_gaps):
    spec = minimal_study(**extra, open_ended=[{"id": "why", "question": "Why?", "column": "C"}])
    spec.pop("scales") if "scales" not in extra else None
    chosen = [page.notebook for page in registry.pages_for(results_of(spec))]
    assert ("02_gaps.ipynb" in chosen) is has_gaps

"""Every table made from counts equals the table made from the responses.

A run counts a study block by block (issue 29: memory that does not grow with the
respondents), a user may count it with SQL anywhere: the counts tables of
:data:`cxstudy.registry.COUNTS` are additive, and every other table is made from them.
Here each study (the example and every shaped study) is cleaned, its responses cut into
three blocks of rows, each block counted on its own, the counts added, and every table
of :meth:`Results.from_counts` compared with the same table of the responses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import registry
from cxstudy.analysis import Results

from .conftest import EXAMPLE_STUDY, copy_project
from .shapes import write_all


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict[str, tuple]:
    """Each study with its cleaned responses and cleaning log."""
    project = copy_project(tmp_path_factory.mktemp("counts"))
    paths = {"example": project / "studies" / EXAMPLE_STUDY.name, **write_all(project)}
    cleaned = {}
    for name, path in paths.items():
        study = cx.load_study(path)
        raw = cx.read_sources(study)
        result = cx.clean(raw, study)
        cleaned[name] = (study, result.responses, result.log)
    return cleaned


def _counted_in_blocks(study, responses: pd.DataFrame, blocks: int = 3) -> dict:
    """The counts of ``responses`` made block by block and added."""
    total: dict = {}
    for rows in np.array_split(np.arange(len(responses)), blocks):
        block = responses.iloc[rows].reset_index(drop=True)
        total = cx.add_counts(total, Results(study, block).counted())
    return total


def _same(made: object, expected: object, what: str) -> None:
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(made.reset_index(drop=True),
                                      expected.reset_index(drop=True), check_exact=False,
                                      rtol=1e-12, atol=1e-12, obj=what)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(made, expected, check_exact=False, rtol=1e-12,
                                       obj=what)
    else:
        assert made == expected, what


def _tables(results: Results) -> list[str]:
    # "coded" (every open answer with its themes) grows with the respondents: it is a table
    # of results that hold the responses, never made from counts, and no table uses it
    return [name for name, entry in registry.TABLES.items()
            if not entry.counts and entry.scope != "one wave" and entry.present(results)
            and name != "coded"]


@pytest.mark.parametrize("shape", ["example", "stars", "five", "mixed", "seasons", "tiny",
                                   "flipped"])
def test_every_table_from_counts_made_in_blocks_equals_the_table_of_the_responses(
        studies, shape):
    study, responses, log = studies[shape]
    expected = Results(study, responses, log=log)
    made = Results.from_counts(study, _counted_in_blocks(study, responses), log=log)
    assert made.waves == expected.waves
    for name in _tables(expected):
        _same(made.table(name), expected.table(name), f"{shape}: {name}")
    for question in study.open_ended:
        _same(made.words(question.id), expected.words(question.id),
              f"{shape}: words of {question.id}")


def test_counts_add_up_to_the_counts_of_all_the_responses(studies):
    """The additive counts: three blocks added are the counts of the whole."""
    study, responses, _log = studies["five"]  # weights on the reference
    whole = Results(study, responses).counted()
    added = _counted_in_blocks(study, responses)
    assert whole.keys() == added.keys()
    for wave, tables in whole.items():
        assert tables.keys() == added[wave].keys()
        one, three = tables["counts"], added[wave]["counts"]
        np.testing.assert_allclose(three.counts, one.counts, rtol=1e-12)
        np.testing.assert_array_equal(three.n, one.n)
        np.testing.assert_allclose(three.n_eff, one.n_eff, rtol=1e-12)
        assert three.weighted == one.weighted


def test_counts_of_another_study_are_not_added(studies):
    stars, five = studies["stars"], studies["five"]
    with pytest.raises(ValueError, match="same study"):
        cx.add_counts(Results(stars[0], stars[1]).counted(),
                      {None: {"counts": Results(five[0], five[1]).counted()[None]["counts"]}})


def test_results_from_counts_hold_no_responses_and_say_how_to_give_them(studies):
    study, responses, _log = studies["stars"]
    made = Results.from_counts(study, Results(study, responses).counted())
    with pytest.raises(ValueError, match="made from counts"):
        made.responses  # noqa: B018


def test_counts_of_an_undeclared_wave_are_refused(studies):
    study, responses, _log = studies["seasons"]
    counts = Results(study, responses).counted()
    counts["winter"] = counts["summer"]
    with pytest.raises(ValueError, match="winter"):
        Results.from_counts(study, counts)

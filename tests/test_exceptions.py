"""The errors a user meets (cxstudy.exceptions): one kind to catch, messages that say where
and what to do, and the fields tests and the command line read."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxstudy.exceptions import (
    CxStudyError,
    DataError,
    Problem,
    ReadError,
    ReportError,
    StudyFileError,
)


def test_every_error_is_a_cxstudy_error():
    """One ``except CxStudyError`` catches whatever a user can meet (the command line's)."""
    errors = [StudyFileError("s.yml", []), ReadError("a.csv", "bad"), DataError("bad"),
              ReportError("bad")]
    assert all(isinstance(error, CxStudyError) for error in errors)


@pytest.mark.parametrize("problem, text", [
    (Problem("items[2].scale", "unknown scale 'agree7'", "use one of: agree5"),
     "items[2].scale: unknown scale 'agree7'; use one of: agree5"),
    (Problem("customers.csv, column Q3", "blank", ""), "customers.csv, column Q3: blank"),
])
def test_a_problem_reads_where_found_expected(problem, text):
    assert str(problem) == text


def test_a_study_file_error_lists_every_problem_under_its_file():
    problems = [Problem("slug", "found 'A B'", "lower-case letters"),
                Problem("groups", "missing", "list the audiences")]
    error = StudyFileError(Path("studies/acme.yml"), problems)
    assert error.path == Path("studies/acme.yml") and error.problems == problems
    assert str(error).splitlines() == [
        f"{Path('studies/acme.yml')}: 2 problems",
        "  - slug: found 'A B'; lower-case letters",
        "  - groups: missing; list the audiences"]
    one = StudyFileError(None, problems[:1])
    assert str(one).splitlines()[0] == "study: 1 problem" and one.path is None


def test_read_and_data_errors_name_the_place():
    error = ReadError("raw/leaders.csv", "ragged line", row=12)
    assert str(error) == f"{Path('raw/leaders.csv')}, row 12: ragged line"
    assert error.reason == "ragged line" and error.row == 12
    assert str(ReadError("a.csv", "empty")) == "a.csv: empty"
    data = DataError("2 unknown answers", [Problem("Q1", "'Agre'", "add it to the scale")])
    assert str(data) == "2 unknown answers\n  - Q1: 'Agre'; add it to the scale"
    assert DataError("x").problems == []


def test_a_report_error_carries_the_notebook_and_cell():
    error = ReportError("notebook 02_gaps.ipynb failed in cell 4", notebook="02_gaps.ipynb",
                        cell=4, error="ValueError: x")
    assert (error.notebook, error.cell, error.error) == ("02_gaps.ipynb", 4, "ValueError: x")
    assert str(error) == "notebook 02_gaps.ipynb failed in cell 4"

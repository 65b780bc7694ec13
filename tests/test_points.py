"""Splitting a group's sheet into its points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxstudy.points import split_points


@pytest.mark.parametrize("cell, points", [
    # one point per line, with or without bullets, in every line-break convention
    ("Friendly team\nWe know our customers", ["Friendly team", "We know our customers"]),
    ("- Friendly team\r\n- Bills\r\n-", ["Friendly team", "Bills"]),
    ("• a bullet\r• another", ["a bullet", "another"]),
    ("* We care\n* Helpful\n\n* Quick repairs", ["We care", "Helpful", "Quick repairs"]),
    ("– en dash\n— em dash\n· middle dot", ["en dash", "em dash", "middle dot"]),
    # numbered, on lines or on one line when the numbers run from 1
    ("1. Keep the tone\n2. Start an app", ["Keep the tone", "Start an app"]),
    ("1) Parts are late; 2) customers wait", ["Parts are late", "customers wait"]),
    ("(1) first\n(2) second", ["first", "second"]),
    ("a) first\nb) second", ["first", "second"]),
    ("1. one 2. two 3. three", ["one", "two", "three"]),
    # semicolons
    ("Our app is improving; engineers are reliable; staff are friendly",
     ["Our app is improving", "engineers are reliable", "staff are friendly"]),
    # what does not split
    ("Better online, e.g. 1. meter readings 2. payment plans",
     ["Better online, e.g. 1. meter readings 2. payment plans"]),
    ("1. one 3. not a list", ["one 3. not a list"]),
    ("* customers wait 3.5 minutes on hold", ["customers wait 3.5 minutes on hold"]),
    ("3.5 is the average", ["3.5 is the average"]),
    ("2026. A good year", ["2026. A good year"]),
    ("Cheaper - a good difference for us", ["Cheaper - a good difference for us"]),
    ("-5 degrees in the depot", ["-5 degrees in the depot"]),
    ("Fast, friendly, fair", ["Fast, friendly, fair"]),
    # nothing
    ("", []), ("   ", []), (";;", []), ("-\n•\n1.", []), ("- \n  *  ", []),
])
def test_split_points(cell, points):
    assert split_points(cell) == points


@given(st.text(max_size=200))
def test_points_are_stripped_nonempty_and_come_from_the_cell(cell):
    for point in split_points(cell):
        assert point == point.strip() and point
        assert ";" not in point and "\n" not in point and "\r" not in point
        assert any(ch.isalnum() for ch in point)
        assert point in cell.replace("\r\n", "\n").replace("\r", "\n") or \
            any(point in part for part in cell.replace("\r", "\n").split("\n"))

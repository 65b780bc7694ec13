"""Points of a group's sheet: one cell that holds several answers, split into them.

In a workshop, staff answer the open questions in groups, one sheet per group, and the
export holds a sheet's answers to a question in one cell: a point per line, bulleted
(``- ``, ``• ``, ``* ``), numbered (``1.``, ``2)``) or separated by semicolons. An
open-ended question with ``split: points`` has each cell split by :func:`split_points`;
each point is then coded on its own, a sheet names a theme when at least one of its
points does, and quotes are single points.

What splits a cell, and what does not:

- a line break (``\\n``, ``\\r\\n``, ``\\r``) always ends a point;
- a semicolon ends a point (``"slow bills; long waits"`` is two);
- a bullet (``-``, ``–``, ``—``, ``•``, ``*``, ``·``, ``▪``, ``‣``, ``o``) or a number
  (``1.``, ``2)``, ``(3)``, ``a)``) at the start of a point is removed, when followed by
  a space;
- a line that starts with ``1.`` (or ``1)``) and holds ``2.``, ``3.``… after it, in order,
  each after a space, is a numbered list written on one line and is split at each number;
- nothing else: a number inside a sentence (``"e.g. 1. meter readings 2. payment
  plans"``), a decimal (``3.5 minutes``), a hyphen between words (``"cheaper - a good
  difference"``) and commas stay within their point;
- points with no letter or digit (a lone ``-``, an empty bullet) are not points.
"""

from __future__ import annotations

import re

SPLIT_KINDS = ("points",)
"""What ``split:`` of an open-ended question may say."""

_LINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_MARKER = re.compile(r"^\s*(?:[-–—•*·▪‣o]|\(?\d{1,2}[.)]|\(?[a-zA-Z][)])(?=\s)\s*")
_LONE_MARKER = re.compile(r"^\s*(?:[-–—•*·▪‣]|\(?\d{1,2}[.)])\s*$")
_FIRST = re.compile(r"^\s*\(?1[.)]\s")
_NUMBER = re.compile(r"(?<=\s)\(?(\d{1,2})[.)]\s")
_SOMETHING = re.compile(r"[^\W_]", re.UNICODE)


def _numbered_line(line: str) -> list[str]:
    """A line ``"1. a 2. b 3. c"`` as its items, or the line itself when its numbers do
    not run 1, 2, 3… from its start."""
    if not _FIRST.match(line):
        return [line]
    cuts, expected = [], 2
    for found in _NUMBER.finditer(line):
        if int(found.group(1)) == expected:
            cuts.append(found.start())
            expected += 1
    if not cuts:
        return [line]
    starts = [0, *cuts]
    return [line[a:b] for a, b in zip(starts, [*cuts, len(line)], strict=True)]


def split_points(text: str) -> list[str]:
    """The points of one cell, in order, each stripped of its bullet or number.

    Parameters
    ----------
    text : str
        A cell of a group's sheet.

    Returns
    -------
    list of str
        Its points (none for a blank cell, or one of bullets alone).

    Examples
    --------
    >>> split_points("- Friendly team\\n- Bills\\n-")
    ['Friendly team', 'Bills']
    >>> split_points("1) Parts are late; 2) customers wait 3.5 minutes")
    ['Parts are late', 'customers wait 3.5 minutes']
    >>> split_points("Better online, e.g. 1. readings 2. payments")
    ['Better online, e.g. 1. readings 2. payments']
    """
    points = []
    for line in _LINES.split(str(text)):
        for part in line.split(";"):
            for item in _numbered_line(part):
                if _LONE_MARKER.match(item):
                    continue
                point = _MARKER.sub("", item, count=1).strip()
                if _SOMETHING.search(point):
                    points.append(point)
    return points

"""Answer scales: matching answers to scale points, case- and spacing-insensitively.

Answers arrive as text (``" strongly AGREE"``), numbers (``4``, ``4.0``, ``"4"``) or
numbered labels (``"10 - Extremely likely"``). :func:`normalize` turns each into one
comparable key; :func:`code_answers` maps a whole column to the codes 1..k of a
:class:`~cxstudy.study.Scale` in one pass over its distinct values.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scale:
    """An answer scale. Answers are coded 1..k in the order given.

    Either ``labels`` (text answers) or ``values`` (numeric answers) define the
    points; when both are given, both spellings are accepted for each point, and labels
    that share a value share a point (``values: [1, 2, 2, 3]``: the second and third
    labels are one middle answer, worded differently in two waves), so that ``k`` is the
    number of distinct values. ``aliases`` maps variant wordings to a label (or, on a
    numeric scale, a value) of the scale: ``Agree strongly`` is coded as
    ``Strongly agree``. ``missing`` lists answers that mean "no answer"
    (``Don't know``, ``0``).
    """

    id: str
    labels: tuple[str, ...] | None = None
    values: tuple[float, ...] | None = None
    top_box: int = 2
    missing: tuple[Any, ...] = ()
    top_box_label: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # (variant wording, label of the scale)
    bottom_box_label: str | None = None

    @property
    def codes(self) -> list[int]:
        """The code 1..k of each label (or value) as listed: its position, or, where
        values repeat, the rank of its value among the distinct values."""
        if self.values is None:
            return list(range(1, len(self.labels) + 1))
        distinct = sorted(set(self.values))
        return [distinct.index(v) + 1 for v in self.values]

    @property
    def k(self) -> int:
        """Number of scale points (distinct codes)."""
        return len(set(self.values)) if self.values is not None else len(self.labels)

    @property
    def point_names(self) -> list[str]:
        """A display name for each point 1..k (labels sharing a point: "Some of them /
        Maybe")."""
        if self.labels is not None:
            names: list[list[str]] = [[] for _ in range(self.k)]
            for code, label in zip(self.codes, self.labels, strict=True):
                names[code - 1].append(label)
            return [" / ".join(group) for group in names]
        return [number_text(v) for v in sorted(set(self.values))]

    @property
    def point_values(self) -> list[float]:
        """The numeric value of each point 1..k (its value, or its code for labels)."""
        if self.values is not None:
            return [float(v) for v in sorted(set(self.values))]
        return [float(code) for code in range(1, self.k + 1)]

    def alias_target(self, alias: str) -> str | None:
        """The label an alias stands for (None when ``alias`` is none of the scale's)."""
        key = normalize(alias)
        return next((target for variant, target in self.aliases if normalize(variant) == key),
                    None)

    @property
    def top_box_names(self) -> list[str]:
        """The top-box points, highest first."""
        return self.point_names[::-1][:self.top_box]

    @property
    def top_box_short(self) -> str:
        """The top box in a few words, for axes and table headers: ``top_box_label``, else
        "Strongly agree or Agree", "4–5"."""
        if self.top_box_label:
            return self.top_box_label
        names = self.top_box_names
        if self.labels is None:  # numbers read lowest first: "4 or 5", "8–10"
            return f"{names[-1]}–{names[0]}" if len(names) > 2 else " or ".join(names[::-1])
        return " or ".join(names)

    @property
    def top_box_predicate(self) -> str:
        """How a sentence says a respondent chose the top box: ``top_box_label`` ("agree"),
        else 'answer “Strongly agree” or “Agree”' or "answer 4 or 5"."""
        if self.top_box_label:
            return self.top_box_label
        names = self.top_box_names
        if self.labels is None:
            return "answer " + self.top_box_short
        return "answer " + " or ".join(f"“{name}”" for name in names)

    @property
    def bottom_box_names(self) -> list[str]:
        """The bottom box: as many of the lowest points as the top box has, lowest first.
        A reversed item's share counts these answers (its codes are k + 1 − code)."""
        return self.point_names[:self.top_box]

    @property
    def bottom_box_short(self) -> str:
        """The bottom box in a few words: ``bottom_box_label``, else "Strongly disagree or
        Disagree", "1 or 2"."""
        if self.bottom_box_label:
            return self.bottom_box_label
        names = self.bottom_box_names
        if self.labels is None:
            return f"{names[0]}–{names[-1]}" if len(names) > 2 else " or ".join(names)
        return " or ".join(names)

    @property
    def bottom_box_predicate(self) -> str:
        """How a sentence says a respondent chose the bottom box: ``bottom_box_label``
        ("disagree"), else 'answer “Strongly disagree” or “Disagree”'."""
        if self.bottom_box_label:
            return self.bottom_box_label
        if self.labels is None:
            return "answer " + self.bottom_box_short
        return "answer " + " or ".join(f"“{name}”" for name in self.bottom_box_names)


def number_text(value: float) -> str:
    """A number as a person writes it: ``4`` not ``4.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u201c": '"',
                         "\u201d": '"', "\u00a0": " ", "\u2013": "-", "\u2014": "-"})
_LEADING_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:[-:=.)]|$)")
MISSING = 0  # code given to answers listed as missing (before becoming <NA>)


def normalize(value: Any) -> str | None:
    """Return a comparison key for an answer, or ``None`` for a blank.

    Text is Unicode-normalised (NFKC), curly quotes and dashes straightened,
    case-folded and its white space collapsed; numbers (and text that is a
    number) become their shortest form, so ``4``, ``4.0`` and ``" 4 "`` agree.

    Examples
    --------
    >>> normalize("  Strongly   AGREE ")
    'strongly agree'
    >>> normalize("Don\u2019t know") == normalize("don't know")
    True
    >>> normalize(4.0), normalize("4")
    ('4', '4')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, Number):
        number = float(value)
        if math.isnan(number):
            return None
        return _number_key(number)
    text = unicodedata.normalize("NFKC", str(value)).translate(_QUOTES)
    text = _SPACES.sub(" ", text).strip().casefold()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return text if math.isnan(number) or math.isinf(number) else _number_key(number)


def _number_key(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


@dataclass
class CodedAnswers:
    """Result of coding one column against a scale.

    Attributes
    ----------
    codes : pandas.Series
        Nullable ``Int8`` codes 1..k; ``<NA>`` for blanks, missing codes and
        (when allowed) unknown answers.
    unknown : dict
        Each answer the scale does not know -> how many rows hold it.
    missing_count : int
        Rows whose answer is one of the scale's missing codes.
    aliased : dict
        Each answer coded through one of the scale's ``aliases`` -> how many rows hold it.
    """

    codes: pd.Series
    unknown: dict[str, int]
    missing_count: int
    aliased: dict[str, int] = field(default_factory=dict)


def scale_lookup(scale: Scale) -> dict[str, int]:
    """Map each accepted answer key to its code 1..k (missing answers map to 0): the
    labels and values, and the aliases (to the code of the label they stand for)."""
    lookup: dict[str, int] = {}
    for spelling in (scale.labels, scale.values):
        if spelling is None:
            continue
        for code, point in zip(scale.codes, spelling, strict=True):
            lookup[normalize(point)] = code
    for answer in scale.missing:
        lookup[normalize(answer)] = MISSING
    for variant, target in scale.aliases:
        code = lookup.get(normalize(target))
        if code is not None:  # the parser refuses an alias to no label of the scale
            lookup.setdefault(normalize(variant), code)
    return lookup


def _alias_keys(scale: Scale) -> set[str]:
    return {normalize(variant) for variant, _target in scale.aliases}


def code_answers(values: pd.Series, scale: Scale) -> CodedAnswers:
    """Code a column of answers to 1..k of ``scale``.

    Only the column's distinct values are matched, so the cost is one
    factorisation of the column plus work proportional to its distinct answers.
    """
    lookup = scale_lookup(scale)
    numeric_scale = scale.values is not None
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    unique_codes = np.full(len(uniques) + 1, -1, dtype=np.int16)  # last slot: NaN sentinel
    unknown_positions, alias_positions = [], []
    aliases = _alias_keys(scale)
    for index, raw in enumerate(uniques):
        key = normalize(raw)
        if key is None:
            continue
        if key in aliases:
            alias_positions.append(index)
        code = lookup.get(key)
        if code is None and numeric_scale:
            match = _LEADING_NUMBER.match(key)
            if match:
                code = lookup.get(_number_key(float(match.group(1))))
        if code is None:
            unknown_positions.append(index)
            continue
        unique_codes[index] = code
    coded = unique_codes[positions]  # positions == -1 picks the NaN slot (-1)
    counts = np.bincount(positions[positions >= 0], minlength=len(uniques))
    unknown = {str(uniques[i]): int(counts[i]) for i in unknown_positions}
    aliased: dict[str, int] = {}
    for i in alias_positions:
        aliased[str(uniques[i])] = aliased.get(str(uniques[i]), 0) + int(counts[i])
    missing_count = int(counts[unique_codes[:-1] == MISSING].sum()) if len(uniques) else 0
    codes = pd.array(np.where(coded > 0, coded, 0).astype(np.int8), dtype="Int8")
    codes[coded <= 0] = pd.NA
    return CodedAnswers(pd.Series(codes, index=values.index, name=values.name), unknown,
                        missing_count, aliased)


def reverse_codes(codes: pd.Series, k: int) -> pd.Series:
    """Reverse-code 1..k as k+1-code, keeping ``<NA>``."""
    return (k + 1 - codes).astype("Int8")

"""Small helpers that collect problems while walking a parsed YAML document."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .exceptions import Problem

_TYPE_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping (key: value)",
}


def describe(value: Any) -> str:
    """Say what a YAML value is, for error messages: ``'abc' (a string)``."""
    if value is None:
        return "nothing (empty value)"
    kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else None
    if kind:
        return kind
    type_name = _TYPE_NAMES.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type_name})"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest choice, or ``''``."""
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return f' (did you mean "{lowered[close[0]]}"?)' if close else ""


class Collector:
    """Collects :class:`Problem` objects while a document is checked."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, found: str, expected: str) -> None:
        self.problems.append(Problem(where, found, expected))

    def keys(self, mapping: Mapping, allowed: Iterable[str], where: str) -> None:
        """Report keys of ``mapping`` that are not in ``allowed``."""
        allowed = list(allowed)
        for key in mapping:
            if key not in allowed:
                path = f"{where}.{key}" if where else str(key)
                self.add(
                    path,
                    "unknown key" + did_you_mean(str(key), allowed),
                    "allowed keys here: " + ", ".join(allowed),
                )

    def mapping(self, value: Any, where: str) -> dict:
        if isinstance(value, dict):
            return value
        self.add(where, f"found {describe(value)}", "expected a mapping of keys to values")
        return {}

    def entries(self, mapping: Mapping, key: str, allowed: list[str], where: str = ""):
        """Yield ``(path, entry)`` for each mapping in the list ``mapping[key]``, with its
        keys checked; entries that are not mappings are reported and skipped."""
        path = f"{where}.{key}" if where else key
        for index, spec in enumerate(self.typed(mapping, key, list, where, default=[])):
            entry_path = f"{path}[{index}]"
            spec = self.mapping(spec, entry_path)
            if spec:
                self.keys(spec, allowed, entry_path)
                yield entry_path, spec

    def typed(
        self,
        mapping: Mapping,
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        *,
        default: Any = None,
        required: bool = False,
        hint: str = "",
    ) -> Any:
        """Fetch ``mapping[key]`` and check its type; record a problem otherwise."""
        path = f"{where}.{key}" if where else key
        if key not in mapping or mapping[key] is None:
            if required:
                self.add(path, "missing", f"this key is required{hint and '; ' + hint}")
            return default
        value = mapping[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds)
        if bool not in kinds and isinstance(value, bool):
            ok = False  # YAML `yes` is a bool, never a number or a string here
        if not ok and float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.add(path, f"found {describe(value)}", f"expected {names}{hint and '; ' + hint}")
            return default
        return value

    def choice(
        self, mapping: Mapping, key: str, choices: list[str], where: str, *, default: str
    ) -> str:
        path = f"{where}.{key}" if where else key
        value = mapping.get(key, default)
        if value is None:
            return default
        if value is False and "none" in choices:
            return "none"
        if not isinstance(value, str) or value not in choices:
            self.add(
                path,
                f"found {describe(value)}" + did_you_mean(str(value), choices),
                "expected one of: " + ", ".join(choices),
            )
            return default
        return value

    def number(
        self,
        mapping: Mapping,
        key: str,
        where: str,
        *,
        default: float,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        whole: bool = False,
        off: float | None = None,
        expected: str,
    ) -> float:
        """Fetch a number in ``[low, high]`` (an end excluded with ``low_open``/``high_open``).

        ``off`` is what ``false``/``0``/empty mean for a rule that can be switched off
        (the value returned then); ``whole`` asks for an integer. Out of range or of the
        wrong type: a problem saying ``expected``, and ``default`` is returned.
        """
        path = f"{where}.{key}" if where else key
        value = mapping.get(key)
        if value is None or (off is not None and (value is False or value == 0)):
            return off if off is not None and value is not None else default
        kind_ok = isinstance(value, int if whole else (int, float)) \
            and not isinstance(value, bool)
        in_range = kind_ok and (low is None or (value > low if low_open else value >= low)) and (
            high is None or (value < high if high_open else value <= high))
        if not in_range:
            self.add(path, f"found {describe(value)}", f"expected {expected}")
            return default
        return value

"""Exceptions raised by cxstudy.

Every error a user can meet is a :class:`CxStudyError`. Each carries structured
fields (the file, the key path, the column, the row) so that the CLI can print one
clear message and tests can assert on what went wrong, and each message ends with
what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CxStudyError(Exception):
    """Base class of every error cxstudy raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a study file or in the data a study points at.

    Attributes
    ----------
    where : str
        Key path in the study file (``items[2].scale``) or a place in the data
        (``customers.csv, column Q3``).
    found : str
        What was there.
    expected : str
        What was expected, phrased so that it says what to do.
    """

    where: str
    found: str
    expected: str

    def __str__(self) -> str:
        return f"{self.where}: {self.found}" + (f"; {self.expected}" if self.expected else "")


class StudyFileError(CxStudyError):
    """The study file (or the data it points at) has one or more problems.

    All problems are collected and reported together.
    """

    def __init__(self, path: Path | str | None, problems: list[Problem]):
        self.path = Path(path) if path is not None else None
        self.problems = list(problems)
        where = str(self.path) if self.path else "study"
        count = len(self.problems)
        lines = [f"{where}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ReadError(CxStudyError):
    """An export could not be read: unknown format, bad encoding, broken layout."""

    def __init__(self, path: Path | str, message: str, *, row: int | None = None):
        self.path = Path(path)
        self.row = row
        self.reason = message
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")


class DataError(CxStudyError):
    """Values in the data that the study file does not allow (unknown labels, ...)."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = list(problems or [])
        lines = [message] + [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ReportError(CxStudyError):
    """A report notebook failed; names the notebook, the cell and the error."""

    def __init__(self, message: str, *, notebook: str | None = None, cell: int | None = None,
                 error: str | None = None):
        self.notebook, self.cell, self.error = notebook, cell, error
        super().__init__(message)

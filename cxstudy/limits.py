"""What cxstudy agrees to read: regular files only, of sizes its readers handle.

The readers refuse, before any parser sees a file, what would otherwise hang a run, take
the machine's memory or crash inside pandas, pyarrow, zipfile or PyYAML:

* a path that is not a regular file (a named pipe, ``/dev/zero``, a socket, a folder);
* a text export whose first line (its header) is longer than :attr:`Limits.header_bytes`
  or has more than :attr:`Limits.columns` columns;
* an ``.xlsx`` workbook whose parts inflate to more than :attr:`Limits.workbook_bytes`,
  or holding a large part that inflates more than :attr:`Limits.compression_ratio`
  times (a "zip bomb");
* a study file or codebook over :data:`STUDY_FILE_BYTES`, nested deeper than
  :data:`STUDY_FILE_DEPTH`, or whose aliases expand to more than
  :data:`STUDY_FILE_VALUES` values.

A real export can exceed the export limits (a survey of 30,000 columns); each of them is
adjustable by an environment variable, read when a file is read (see :func:`limits`).
The study-file limits are fixed: a study file is a few kilobytes, a few levels deep.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields
from pathlib import Path

from .exceptions import CxStudyError

STUDY_FILE_BYTES = 2_000_000  # a study file or codebook is a few kilobytes
STUDY_FILE_VALUES = 200_000   # values once aliases are expanded: an "alias bomb" stops here
STUDY_FILE_DEPTH = 100        # lists and mappings inside each other (a study file: about 6)
RATIO_FROM_BYTES = 10_000_000  # the compression ratio is checked for parts larger than this


@dataclass(frozen=True)
class Limits:
    """The sizes of export the readers accept; each is set by the environment variable
    named in its field's metadata (``CXSTUDY_MAX_...``), or has its default.

    Attributes
    ----------
    header_bytes : int
        Longest first line (header record) of a text export, in bytes
        (``CXSTUDY_MAX_HEADER_BYTES``, default 1,000,000).
    columns : int
        Most columns of a text export (``CXSTUDY_MAX_COLUMNS``, default 20,000).
    workbook_bytes : int
        Most bytes an ``.xlsx`` file's parts inflate to, together
        (``CXSTUDY_MAX_WORKBOOK_BYTES``, default 1,000,000,000).
    compression_ratio : int
        Most times a part of an ``.xlsx`` larger than 10 MB inflates
        (``CXSTUDY_MAX_COMPRESSION_RATIO``, default 100; real sheets inflate 5 to 20 times).
    """

    header_bytes: int = 1_000_000
    columns: int = 20_000
    workbook_bytes: int = 1_000_000_000
    compression_ratio: int = 100

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable that sets the limit ``name``."""
        return "CXSTUDY_MAX_" + name.upper()


def limits() -> Limits:
    """The limits in force: the defaults of :class:`Limits`, each replaced by its
    environment variable where that is set (a whole number above 0).

    Raises
    ------
    CxStudyError
        An environment variable that is not a whole number above 0.
    """
    given = {}
    for spec in fields(Limits):
        variable = Limits.variable(spec.name)
        text = os.environ.get(variable, "").strip()
        if not text:
            continue
        try:
            value = int(text.replace(",", ""))
        except ValueError:
            value = 0
        if value < 1:
            raise CxStudyError(f"{variable}={text!r}: not a whole number above 0; set it to "
                               f"one (the default is {spec.default:,}), or unset it")
        given[spec.name] = value
    return Limits(**given)


_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket")]


def not_a_file(path: str | Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (``"a named pipe
    (FIFO)"``, ``"a character device"``, ``"a folder"``, ...); None for a regular file
    (or a link to one) and for a path that cannot be looked at (missing, no permission),
    which the reader reports itself. Looks with ``stat`` only: opening a named pipe
    would wait for a writer for ever, and reading ``/dev/zero`` never ends."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")

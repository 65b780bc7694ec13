"""What cxstudy agrees to read: regular files only, of sizes its readers handle.

The readers refuse, before any parser sees a file, what would otherwise hang a run or take
the machine's memory:

* a path that is not a regular file (a named pipe, ``/dev/zero``, a socket, a folder);
* a study file or codebook over :data:`STUDY_FILE_BYTES`, or whose aliases expand to more
  than :data:`STUDY_FILE_VALUES` values.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

STUDY_FILE_BYTES = 2_000_000  # a study file or codebook is a few kilobytes
STUDY_FILE_VALUES = 200_000   # values once aliases are expanded: an "alias bomb" stops here


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

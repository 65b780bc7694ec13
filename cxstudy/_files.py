"""Writing folders whole: built beside their target, swapped in only when complete."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path


def staging_folder(target: Path, purpose: str = "building") -> Path:
    """A new, empty hidden folder beside ``target`` to build its replacement in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.with_name(f".{target.name}.{purpose}-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    return folder


def remove_staged(folder: Path, tries: int = 5) -> None:
    """Remove a staged folder of a run that failed or was stopped, whatever is still
    writing into it: a file that appears while the tree is being removed (a page or a
    deliverable finishing as the run stops) makes one pass leave the folder behind, so the
    removal is tried again, a little later each time, until the folder is gone."""
    for attempt in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1 * (attempt + 1))


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, with the old folder gone only afterwards."""
    replace_folders([(new, target)])


def replace_folders(pairs: list[tuple[Path, Path]]) -> None:
    """Put each ``new`` where its ``target`` is, all or none: the old folders are moved
    aside first, the new ones moved in, and only then are the old ones removed; if a move
    fails, the moves already made are undone, so every target is as it was. Each move is a
    rename within one folder (nothing is copied), so this takes no time and no space.
    """
    moved: list[tuple[Path, Path]] = []  # (from, to), to undo in reverse order
    try:
        for new, target in pairs:
            if (problem := linked_target(target)) is not None:
                raise OSError(problem)
            if target.exists():
                old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
                os.replace(target, old)
                moved.append((target, old))
            os.replace(new, target)
            moved.append((new, target))
    except BaseException:
        for source, destination in reversed(moved):
            os.replace(destination, source)
        raise
    for source, destination in moved:
        if destination.name.startswith(f".{source.name}.old-"):
            shutil.rmtree(destination, ignore_errors=True)


def linked_target(target: Path) -> str | None:
    """What is wrong with replacing ``target`` whole when it is a symbolic link (the link
    would be swapped for a folder, and the folder it points to left as it was); None
    otherwise."""
    if not target.is_symlink():
        return None
    return (f"{target} is a symbolic link: cxstudy replaces this folder whole on every run; "
            "remove the link, or give --out the folder that should hold data/processed/ and "
            "reports/")


def portable(path: str | os.PathLike, root: Path, *, outside: str | None = None) -> str:
    """How a report names a file or folder: its path from the project folder ``root``
    (``data/raw/acme/leaders.csv``), or, outside it, ``outside`` if given, else its name
    alone: a report travels to a client and names no folder of the machine that built it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return resolved.name if outside is None else outside


def display_names(paths: dict[str, Path]) -> dict[str, str]:
    """Key -> how messages and pages name a file: its name, or, where two files share a
    name (the same export of two waves), its path from the folder they share."""
    names = {key: path.name for key, path in paths.items()}
    if len(set(names.values())) < len(names):
        common = Path(os.path.commonpath([str(path.parent) for path in paths.values()]))
        names = {key: str(path.relative_to(common)) for key, path in paths.items()}
    return names


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame):
    """A copy of a table whose text cells cannot run as spreadsheet formulas: a text cell
    that begins with =, +, -, @, tab or carriage return gets a leading ' (OWASP, CSV
    injection). Numbers stay numbers."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            safe[column] = values.astype(object)
            safe.loc[risky, column] = "'" + text[risky].astype(str)
    return safe


def write_csv(frame, path) -> None:
    """Write a table as CSV that is safe to open in a spreadsheet."""
    with open(path, "wb") as handle:
        append_csv(frame, handle, header=True)


def append_csv(frame, handle, *, header: bool) -> None:
    """Write a table's rows (and its header line with ``header``) as spreadsheet-safe CSV
    to a binary file: the bytes ``spreadsheet_safe(frame).to_csv(path, index=False)``
    writes (UTF-8, ``\\n`` line ends, a field quoted only when it holds a comma, a quote
    or a line end, its quotes doubled, missing values empty), made column by column in
    Arrow (:func:`csv_rows`): a million rows of the cleaning log in a fraction of pandas'
    time. A table with a column of another kind (floats, dates, mixed objects) is
    written by pandas itself."""
    rows = csv_rows(frame)
    if rows is None:
        import io

        text = io.StringIO()
        spreadsheet_safe(frame).to_csv(text, header=header, index=False, lineterminator="\n")
        handle.write(text.getvalue().encode("utf-8"))  # \n on every system, as above
        return
    if header:
        handle.write(_header_line(frame).encode("utf-8"))
    handle.write(rows)


def _header_line(frame) -> str:
    import csv
    import io

    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow([str(c) for c in frame.columns])
    return text.getvalue()


def _quoted_by_csv() -> str:
    """The characters that make Python's csv writer (which pandas writes with) quote a
    field, with pandas' line end ``\\n``: a comma, a quote, a line feed, and a carriage
    return from Python 3.12 on (asked of the csv module itself, not assumed)."""
    import csv
    import io

    quoted = ""
    for char in ",\"\n\r":
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(["a" + char, "b"])
        if text.getvalue().startswith('"'):
            quoted += char
    return quoted


_QUOTED: str | None = None
_CSV_SLICE = 1_000_000  # rows joined at once: the text of one slice stays small


def _csv_field(text, big):
    """One text column (an Arrow large string array without nulls) as CSV fields: the
    formula guard of :func:`spreadsheet_safe`, then quotes where Python's csv writer puts
    them. Which rows need either is found from the bytes themselves (a formula's first
    byte is ASCII, which no other UTF-8 character's bytes contain), so a column needing
    neither, the usual case, costs one scan of its bytes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[
        text.offset: text.offset + len(text) + 1]
    data = text.buffers()[2]
    data = b"" if data is None else data.slice(offsets[0], offsets[-1] - offsets[0]).to_pybytes()
    if data:
        first = np.frombuffer(data, dtype=np.uint8)[
            np.minimum(offsets[:-1] - offsets[0], len(data) - 1)]
        risky = (offsets[1:] > offsets[:-1]) & np.isin(
            first, np.frombuffer("".join(FORMULA_STARTS).encode(), dtype=np.uint8))
        if risky.any():
            text = pc.if_else(pa.array(risky), pc.binary_join_element_wise(
                big("'"), text, big("")), text)
    if any(char.encode() in data for char in _QUOTED):
        quote = pc.match_substring_regex(text, "[" + "".join(
            {"\n": "\\n", "\r": "\\r"}.get(c, c) for c in _QUOTED) + "]")
        text = pc.if_else(quote, pc.binary_join_element_wise(
            big('"'), pc.replace_substring(text, '"', '""'), big('"'), big("")), text)
    return text


def csv_rows(frame) -> bytes | None:
    """The rows of a table as spreadsheet-safe CSV (no header): the bytes pandas'
    ``spreadsheet_safe(frame).to_csv(index=False, header=False)`` gives, encoded as
    UTF-8, or None when a column is not text, whole numbers or booleans (or the table
    has fewer than two columns: pandas quotes a lone empty field).

    Each column is made text once, vectorised (Arrow): a formula's first character
    guarded by a leading ``'`` (:func:`spreadsheet_safe`), a field that needs quotes
    quoted with its quotes doubled (RFC 4180, as Python's csv ``QUOTE_MINIMAL``), then
    the columns joined with commas and each row ended with a line feed.
    """
    global _QUOTED
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(frame.columns) < 2 or not frame.columns.is_unique or isinstance(
            frame.columns, pd.MultiIndex):
        return None
    if _QUOTED is None:
        _QUOTED = _quoted_by_csv()

    def big(text: str):
        return pa.scalar(text, pa.large_string())

    columns = []
    for name in frame.columns:
        values = frame[name]
        dtype = values.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "b":
            text = pc.if_else(pa.array(values.to_numpy()), big("True"), big("False"))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            text = pc.cast(pa.array(values.to_numpy()), pa.large_string())
        elif isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype)
                                                   and dtype.kind == "O"):
            if dtype.kind == "O" and pd.api.types.infer_dtype(values, skipna=True) not in (
                    "string", "empty"):
                return None  # bytes, numbers, mixed: pandas writes each as str() does
            try:
                text = pa.array(values, type=pa.large_string(), from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                return None  # not text alone: pandas writes it
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            text = _csv_field(pc.fill_null(text, ""), big)
        else:
            return None
        columns.append(text)
    if not len(frame):
        return b""
    out = []
    for start in range(0, len(frame), _CSV_SLICE):
        part = [c.slice(start, _CSV_SLICE) for c in columns]
        part[-1] = pc.binary_join_element_wise(part[-1], big("\n"), big(""))
        rows = pc.binary_join_element_wise(*part, big(","))
        if isinstance(rows, pa.ChunkedArray):
            rows = rows.combine_chunks()
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[
            rows.offset: rows.offset + len(rows) + 1]
        out.append(rows.buffers()[2].slice(offsets[0], offsets[-1] - offsets[0]).to_pybytes())
    return b"".join(out)


class RunLock:
    """One run of a study at a time: an exclusive lock on ``<reports>/.<slug>.lock``.

    Taking it also clears what a killed run of the study left behind (half-built report
    and cleaned-data folders): no run holds them, since the lock is ours.
    """

    def __init__(self, root: Path, slug: str):
        self.root, self.slug = root, slug
        self.path = root / "reports" / f".{slug}.lock"
        self.handle = None

    def __enter__(self) -> RunLock:
        from .exceptions import CxStudyError

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("w")
        try:
            _lock(self.handle)
        except (BlockingIOError, PermissionError):
            self.handle.close()
            raise CxStudyError(f"{self.slug}: another run of this study is in progress "
                               f"(it holds {self.path}); wait for it to finish") from None
        for folder in (self.root / "reports", self.root / "data" / "processed"):
            for stale in folder.glob(f".{self.slug}.*-*"):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
        return self

    def __exit__(self, *exc) -> None:
        _unlock(self.handle)
        self.handle.close()


def _lock(handle) -> None:
    """An exclusive, non-blocking lock on an open file (POSIX flock; Windows locking)."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(handle, fcntl.LOCK_UN)

"""What a run reads kept on disk between its passes, so that each export is parsed once.

A study larger than one block is read three times (:mod:`cxstudy.pipeline`): the survey
of each export (what its columns are), the first pass (what needs every row) and the
second (cleaning). Parsing the text is the costly part of a read; these files hold what
was parsed, in Arrow's IPC stream format, read back at the speed of the disk's cache:

- :class:`BatchWriter` and :func:`batches`: an export's record batches as the survey
  parsed them (each batch's distinct texts once and a 4-byte code a cell: about a third
  of the example's export), which the first pass reads instead of the text;
- :class:`KeptBlocks`: the blocks of rows as the first pass made them (columns, dtypes
  and categories decided), which the second pass reads instead of making them again.

Both live in a folder the run removes when it ends (:func:`cxstudy.pipeline.run`), beside
the processed data, on the disk the user chose for the run's outputs. :func:`read_ahead`
reads them, or the text, ahead of the work on what was read.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"

BLOCKS_COMPRESSION = "zstd"
"""How :class:`KeptBlocks` compresses its file (each buffer of a batch, in Arrow's
threads). The example's blocks at a million rows: 543 MB as they are, 89 MB with LZ4 and
31 MB with Zstandard, written in 0.23, 0.30 and 0.43 s of processor time and read back in
0.69, 0.23 and 0.24 s (from the disk's cache); at ten million rows LZ4 and Zstandard
read and cleaned in the same time (72.3 and 70.2 s, ``--no-report``). The cells a survey
keeps (:class:`Spill`) are not compressed: their many small batches cost 0.74 s (LZ4)
and 0.89 s (Zstandard) of processor time a million rows to compress, against 0.17 s to
write as they are, and they are removed once the first pass is done."""


def read_ahead(items: Iterator, ahead: int) -> Iterator:
    """The items of ``items``, pulled by a thread of their own up to ``ahead`` items
    before they are asked for: Arrow parses the next batches of an export, or makes the
    next block (it lets go of the interpreter's lock while it does), while the caller
    works on the one it has, so the two processors share a pass where one waited on the
    other.

    At most ``ahead`` items (at least one) are made or waiting beyond the one the caller
    was last given: the thread starts the next item only once one is taken, so memory
    holds ``ahead + 1`` blocks, not one more made while the others wait. The order is
    kept, and an error is raised where its item would have come. Closing this iterator
    (``contextlib.closing``) stops the thread, after the item it is reading.
    """
    waiting: queue.Queue = queue.Queue()
    slots = threading.Semaphore(max(ahead, 1))  # items that may be made before taken
    stop = threading.Event()

    def slot() -> bool:
        """Wait until one more item may be made: fewer than ``ahead`` are made and not
        yet taken (False: closed meanwhile)."""
        while not stop.is_set():
            if slots.acquire(timeout=0.1):
                return True
        return False

    def pull() -> None:
        try:
            pulled = iter(items)
            while slot():
                try:
                    waiting.put((True, next(pulled)))
                except StopIteration:
                    waiting.put((False, None))
                    return
        except BaseException as exc:  # raised where its item would have come
            waiting.put((False, exc))

    thread = threading.Thread(target=pull, daemon=True, name="cxstudy-read-ahead")
    thread.start()
    try:
        while True:
            more, item = waiting.get()
            if more:
                slots.release()  # the next item may be made while this one is worked on
                given = [item]
                del item  # held by the caller only: let go when the caller lets go of it
                yield given.pop()
            elif item is None:
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join()


def arrow_os_error(exc: OSError, path: Path) -> OSError:
    """Arrow's error writing ``path`` as an :class:`OSError` that holds its errno and the
    file (Arrow's names neither outside its message: ``[errno 28] No space left...``), so
    that a full disk is told as one (:func:`cxstudy.pipeline.run`)."""
    code = exc.errno
    if code is None:
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        code = int(found.group(1)) if found else errno.EIO
    return OSError(code, os.strerror(code), str(path))


class BatchWriter:
    """Record batches written to ``path`` one after another (Arrow's IPC stream format,
    each batch's dictionaries written with it: a dictionary may differ from batch to
    batch), until :meth:`close`."""

    def __init__(self, path: Path, schema: Any, compression: str | None = None):
        import pyarrow as pa

        self.path = path
        try:
            self.file = pa.OSFile(str(path), "wb")
            self.writer = pa.ipc.new_stream(self.file, schema, options=pa.ipc.IpcWriteOptions(
                compression=compression))
        except OSError as exc:
            raise arrow_os_error(exc, path) from None

    def write(self, batch: Any) -> None:
        """Append one record batch (of the schema given)."""
        try:
            self.writer.write_batch(batch)
        except OSError as exc:
            raise arrow_os_error(exc, self.path) from None

    def close(self) -> None:
        try:
            self.writer.close()
            self.file.close()
        except OSError as exc:
            raise arrow_os_error(exc, self.path) from None


def batches(path: Path) -> Iterator[Any]:
    """The record batches :class:`BatchWriter` wrote to ``path``, one at a time (each read
    when asked for: memory holds one)."""
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as file:
        yield from pa.ipc.open_stream(file)


class Spill:
    """Record batches kept in ``path`` while the disk takes them, written by a thread of
    its own while the caller reads on (at most ``ahead`` batches waiting). A write that
    fails (a full disk) removes the file and keeps nothing more, and the reading goes on
    (the later passes then read the export again); the caller learns it at its next
    :meth:`write` or at :meth:`close`."""

    def __init__(self, path: Path, compression: str | None = None, ahead: int = 4):
        self.path: Path | None = path
        self.compression = compression
        self.ahead = ahead
        self._waiting: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._failed = False

    def write(self, batch: Any) -> None:
        """Keep one more batch (every batch of the schema of the first)."""
        if self._failed:
            self.abandon()
        if self.path is None:
            return
        if self._thread is None:
            self._waiting = queue.Queue(maxsize=self.ahead)
            self._thread = threading.Thread(target=self._write_all, args=(self.path,),
                                            daemon=True, name="cxstudy-spill")
            self._thread.start()
        self._waiting.put(batch)

    def close(self) -> Path | None:
        """The file, every batch in it, or None where it could not be kept."""
        self._stop()
        if self._failed:
            self.abandon()
        return self.path

    def abandon(self) -> None:
        """Keep nothing: the file closed and removed."""
        self._failed = True
        self._stop()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def _stop(self) -> None:
        if self._thread is not None:
            self._waiting.put(None)
            self._thread.join()
            self._thread = None

    def _write_all(self, path: Path) -> None:
        """The writing thread: every batch given until None, in order; after an error,
        the rest are taken and let go, so that the caller never waits on a full queue."""
        writer = None
        while (batch := self._waiting.get()) is not None:
            if self._failed:
                continue
            try:
                if writer is None:
                    writer = BatchWriter(path, batch.schema, self.compression)
                writer.write(batch)
            except Exception:  # a full disk, or a batch Arrow will not write: keep none
                self._failed = True
        if writer is not None:
            try:
                writer.close()
            except Exception:
                self._failed = True


class KeptBlocks:
    """Blocks of rows kept in ``path`` as they are given, to be given again as they were.

    Every block must have the columns and dtypes of the first (the blocks of
    :func:`~cxstudy.readers.iter_sources` do: categorical columns on the same categories).
    A block Arrow cannot hold as it is, one whose round trip would change a dtype, or a
    write that fails (a full disk) makes the file unusable (:attr:`usable` false, the
    file removed): the blocks are then to be made again from the exports, as without this
    file. The ``attrs`` of the first block are given to every block read back.
    """

    def __init__(self, path: Path):
        self.path = path
        self.complete = False
        self.count = 0
        self._spill = Spill(path, BLOCKS_COMPRESSION)
        self._schema = None
        self._dtypes: pd.Series | None = None
        self._attrs: dict = {}

    @property
    def usable(self) -> bool:
        """Whether every block given so far is kept (the file not given up)."""
        return self._spill.path is not None

    def keeping(self, blocks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Each block of ``blocks``, written to the file as it is given; the file is
        complete once the last is given."""
        for block in blocks:
            self._add(block)
            yield block
        self._finish()

    def blocks(self) -> Iterator[pd.DataFrame]:
        """The blocks kept, in their order, each read when asked for."""
        if not (self.usable and self.complete):
            raise ValueError(f"{self.path}: the blocks were not all kept")
        for batch in batches(self.path):
            block = batch.to_pandas(types_mapper=_text_as_str)
            block.attrs = self._attrs
            yield block

    def drop(self) -> None:
        """Stop keeping blocks, and remove what was kept."""
        self._spill.abandon()

    def _add(self, block: pd.DataFrame) -> None:
        import pyarrow as pa

        if not self.usable:
            return
        if self._dtypes is not None and not (
                block.columns.equals(self._dtypes.index) and block.dtypes.equals(self._dtypes)):
            self.drop()  # not the first block's columns and dtypes
            return
        try:
            batch = pa.RecordBatch.from_pandas(block, schema=self._schema,
                                               preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            self.drop()  # a column Arrow cannot hold as it is
            return
        if self._schema is None:
            back = batch.slice(0, 0).to_pandas(types_mapper=_text_as_str).dtypes
            if not (back.index.equals(block.columns) and back.equals(block.dtypes)):
                self.drop()  # a dtype the round trip would change
                return
            self._schema, self._dtypes, self._attrs = batch.schema, block.dtypes, block.attrs
        self._spill.write(batch)  # a full disk gives the file up: the blocks are then
        self.count += 1           # made again from the exports

    def _finish(self) -> None:
        self._spill.close()
        self.complete = self.usable and self.count > 0


def _text_as_str(arrow_type: Any) -> pd.api.extensions.ExtensionDtype | None:
    """Arrow text as pandas' ``str`` (the dtype of the blocks' text columns)."""
    import pyarrow as pa

    return STR if arrow_type in (pa.string(), pa.large_string()) else None

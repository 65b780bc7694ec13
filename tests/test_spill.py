"""What a run keeps on disk between its passes (cxstudy._spill): read back exactly as
written, dropped (never wrong) where a block would not come back as it was, and a full
disk told as one."""

from __future__ import annotations

import contextlib
import errno
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import cxstudy as cx
from cxstudy._spill import BatchWriter, KeptBlocks, Spill, arrow_os_error, batches, read_ahead

from .conftest import copy_project


def test_read_ahead_keeps_the_order_raises_where_the_error_came_and_stops_when_closed():
    """Items read ahead by a thread come in their order, at most ``ahead`` of them
    made beyond the one taken (memory holds ``ahead + 1`` blocks); an error comes after
    the items before it; closing stops the thread."""
    assert list(read_ahead(iter(range(100)), ahead=3)) == list(range(100))

    def failing():
        yield from range(5)
        raise ValueError("malformed row 6")

    got = []
    with pytest.raises(ValueError, match="malformed row 6"):
        for item in read_ahead(failing(), ahead=2):
            got.append(item)
    assert got == list(range(5))

    pulled = []

    def counted():
        for item in range(1000):
            pulled.append(item)
            yield item

    with contextlib.closing(read_ahead(counted(), ahead=4)) as items:
        for taken in (1, 2):
            assert next(items) == taken - 1
            deadline = time.monotonic() + 10
            while len(pulled) < taken + 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
            assert len(pulled) == taken + 4  # those taken and four made: no fifth in hand
    assert not any(thread.name == "cxstudy-read-ahead" for thread in threading.enumerate())


def test_batches_come_back_as_written_with_a_dictionary_of_their_own_each(tmp_path):
    """Each batch of an export has its own dictionary of texts (Arrow's CSV reader builds
    one a batch): they are written and read back one batch at a time, unchanged."""
    kind = pa.dictionary(pa.int32(), pa.string())
    written = [pa.record_batch([pa.array(texts).dictionary_encode()], names=["f0"])
               for texts in (["Agree", "Agree", "No"], ["Yes", "Agree"], ["b\nc"] * 4)]
    writer = BatchWriter(tmp_path / "cells.arrows", pa.schema([("f0", kind)]))
    for batch in written:
        writer.write(batch)
    writer.close()
    back = list(batches(tmp_path / "cells.arrows"))
    assert [batch.column(0).to_pylist() for batch in back] == \
        [batch.column(0).to_pylist() for batch in written]
    assert back[1].column(0).dictionary.to_pylist() == ["Yes", "Agree"]


def test_arrows_error_becomes_one_with_its_errno_and_file(tmp_path):
    """Arrow says "[errno 28] No space left on device" in its message only: the run needs
    the errno to say the disk is full, and the file to name."""
    told = arrow_os_error(OSError("Error writing bytes to file. Detail: [errno 28] No "
                                  "space left on device"), tmp_path / "0.arrows")
    assert told.errno == errno.ENOSPC and told.filename == str(tmp_path / "0.arrows")
    assert arrow_os_error(OSError("something else"), tmp_path).errno == errno.EIO


@pytest.fixture(scope="module")
def example_blocks(tmp_path_factory) -> list[pd.DataFrame]:
    """The example's exports in blocks of 200 rows, several to an export."""
    study = cx.load_study(copy_project(tmp_path_factory.mktemp("spill")) / "studies"
                          / "example.yml")
    return list(cx.iter_sources(study, block_rows=200))


def test_kept_blocks_come_back_exactly_as_given(tmp_path, example_blocks):
    """Every column, dtype (categories and their order, pandas' text, numbers with and
    without blanks), index and ``attrs`` of every block, read back from the file."""
    given = example_blocks
    kept = KeptBlocks(tmp_path / "blocks.arrows")
    assert [len(block) for block in kept.keeping(given)] == [len(block) for block in given]
    assert kept.complete and kept.count == len(given)
    back = list(kept.blocks())
    assert len(back) == len(given)
    for block, again in zip(given, back, strict=True):
        pd.testing.assert_frame_equal(again, block, check_exact=True)
        assert again.attrs == block.attrs
    kinds = {str(dtype) for dtype in given[0].dtypes}
    assert {"category", "str", "float64", "int64"} <= kinds
    kept.drop()
    assert not (tmp_path / "blocks.arrows").exists()


@pytest.mark.parametrize("change", ["dtype", "object", "column"])
def test_blocks_that_would_not_come_back_as_given_are_not_kept(tmp_path, example_blocks,
                                                              change):
    """A later block of other dtypes or columns than the first, or a column Arrow cannot
    hold (numbers and texts mixed in one object column): nothing is kept, the file is
    removed, and asking for the blocks says so (the run then makes them again)."""
    given = example_blocks[:3]
    if change == "dtype":
        given[1] = given[1].assign(source_row=given[1]["source_row"].astype(float))
    elif change == "object":
        given[0] = given[0].assign(mixed=pd.Series([1, "a"] * (len(given[0]) // 2),
                                                   dtype=object))
    else:
        given[2] = given[2].drop(columns=["source_row"])
    kept = KeptBlocks(tmp_path / "blocks.arrows")
    assert len(list(kept.keeping(given))) == 3  # every block still given on
    assert not kept.usable and not kept.complete
    assert not (tmp_path / "blocks.arrows").exists()
    with pytest.raises(ValueError, match="were not all kept"):
        next(kept.blocks())


def test_a_dtype_the_round_trip_would_change_is_not_kept(tmp_path):
    """pandas' text held in Python (not Arrow) would come back as Arrow text: not kept."""
    block = pd.DataFrame({"answer": pd.array(["a", None, "b"], dtype="string[python]"),
                          "n": np.arange(3)})
    kept = KeptBlocks(tmp_path / "blocks.arrows")
    list(kept.keeping([block]))
    assert not kept.usable and not (tmp_path / "blocks.arrows").exists()


def _filling(monkeypatch, after: int) -> None:
    """Writes of batches fail, as on a full disk, after ``after`` of them."""
    real, written = BatchWriter.write, []

    def write(self, batch):
        if len(written) >= after:
            raise arrow_os_error(OSError("[errno 28] No space left on device"), self.path)
        written.append(1)
        real(self, batch)

    monkeypatch.setattr(BatchWriter, "write", write)


def test_a_spill_the_disk_refuses_keeps_nothing_and_lets_the_reading_go_on(
        tmp_path, monkeypatch):
    _filling(monkeypatch, after=1)
    batch = pa.record_batch([pa.array(["a", "b"]).dictionary_encode()], names=["f0"])
    spill = Spill(tmp_path / "cells.arrows")
    for _ in range(5):  # the second cannot be written: no error, nothing kept
        spill.write(batch)
    assert spill.close() is None and not (tmp_path / "cells.arrows").exists()
    monkeypatch.undo()  # room on the disk again
    whole = Spill(tmp_path / "whole.arrows")
    whole.write(batch)
    assert whole.close() == tmp_path / "whole.arrows"
    assert [b.num_rows for b in batches(tmp_path / "whole.arrows")] == [2]


def test_blocks_the_disk_refuses_are_not_kept(tmp_path, monkeypatch, example_blocks):
    given = example_blocks[:3]
    _filling(monkeypatch, after=2)
    kept = KeptBlocks(tmp_path / "blocks.arrows")
    assert len(list(kept.keeping(given))) == 3
    assert not kept.complete and not (tmp_path / "blocks.arrows").exists()

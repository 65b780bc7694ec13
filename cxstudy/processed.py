"""Cleaned data on disk: ``data/processed/<slug>/``.

``responses.parquet`` (one row per kept respondent), ``cleaning_log.csv`` (one row per
input row) and ``sources.csv`` (rows read and kept per export) are written together into
a new folder that replaces the old one only when all three are complete, so a failed run
leaves the previous cleaned data as it was.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ._files import append_csv, remove_staged, replace_folder, staging_folder, write_csv
from .clean import CleaningResult, clean, source_table
from .model import Study
from .readers import read_sources

PROCESSED_FILES = ("responses.parquet", "cleaning_log.csv", "sources.csv")


def write_processed(raw: pd.DataFrame | None, result: CleaningResult, study: Study,
                    folder: str | Path | None = None, *,
                    sources: pd.DataFrame | None = None) -> Path:
    """Write the cleaned data of a study into ``folder`` (default: the study's
    ``data/processed/<slug>/``) as a whole: the previous folder is replaced only once
    every file is written, so a failure leaves it as it was. ``sources``: the
    :func:`~cxstudy.clean.source_table` when already made (then ``raw``, the rows read,
    is not needed). Returns the folder."""
    if sources is None:
        if raw is None:
            raise ValueError("write_processed needs the rows read (raw) or the sources table")
        sources = source_table(raw, result.log, study)
    target = Path(folder) if folder is not None else study.processed_dir
    staging = staging_folder(target, "writing")
    try:
        write_into(staging, result, sources)
        replace_folder(staging, target)
    except BaseException:
        remove_staged(staging)
        raise
    return target


def write_into(folder: Path, result: CleaningResult, sources: pd.DataFrame) -> Path:
    """Write the files of :data:`PROCESSED_FILES` into an existing (staging) folder;
    ``cxstudy run`` moves it into place with the report, only when the whole run
    succeeded."""
    result.responses.to_parquet(folder / "responses.parquet", index=False)
    write_csv(result.log, folder / "cleaning_log.csv")
    write_csv(sources, folder / "sources.csv")
    return folder


class BlockWriter:
    """The files of :data:`PROCESSED_FILES` written block by block into an existing
    (staging) folder: each block's responses appended to ``responses.parquet`` (one
    schema, that of the first block; the study fixes every column's type) and its log
    rows to ``cleaning_log.csv``; :meth:`finish` writes ``sources.csv``. Used as a
    context manager, the files are closed however the run ends; the folder is moved
    into place by the run only when everything succeeded.

    A block is written by a thread of the writer's own while the run cleans the next
    (Arrow writes without the interpreter's lock); one block at a time, in order. An
    error writing a block (a full disk) is raised by the next :meth:`append` or by
    :meth:`finish`.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._writer = None
        self._schema = None
        self._log = None
        self._empty: pd.DataFrame | None = None
        self._beside: ThreadPoolExecutor | None = None
        self._writing: Future | None = None

    def __enter__(self) -> BlockWriter:
        self._log = (self.folder / "cleaning_log.csv").open("wb")
        self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxstudy-write")
        return self

    def append(self, responses: pd.DataFrame, log: pd.DataFrame) -> None:
        """Append one block's kept responses and its log rows (once the block before is
        written; the frames must not change until then)."""
        self._written()
        if self._beside is None:  # not entered: written now
            self._append(responses, log)
        else:
            self._writing = self._beside.submit(self._append, responses, log)

    def _written(self) -> None:
        """Wait for the block being written; raise what writing it raised."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def _append(self, responses: pd.DataFrame, log: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        append_csv(log, self._log, header=self._log.tell() == 0)
        if not len(responses):
            if self._empty is None:
                self._empty = responses
            return
        if self._writer is None:
            table = pa.Table.from_pandas(responses, preserve_index=False)
            schema = table.schema
            for number, column in enumerate(schema):
                if pa.types.is_null(column.type):  # blank here: text in another block
                    schema = schema.set(number, column.with_type(pa.string()))
            table = table.cast(schema)
            self._schema = schema
            self._writer = pq.ParquetWriter(self.folder / "responses.parquet", self._schema)
        else:
            table = pa.Table.from_pandas(responses, schema=self._schema, preserve_index=False)
        self._writer.write_table(table)

    def finish(self, sources: pd.DataFrame) -> None:
        """Close the responses (an empty table when no block kept a row) and write
        ``sources.csv``."""
        self._written()
        if self._writer is None and self._empty is not None:
            self._empty.to_parquet(self.folder / "responses.parquet", index=False)
        self.close()
        write_csv(sources, self.folder / "sources.csv")

    def close(self) -> None:
        """Close the files, once the block being written is done (or failed: the run
        is failing already, and says why)."""
        beside, self._beside = self._beside, None
        if beside is not None:
            beside.shutdown(wait=True)
        self._writing = None
        writer, self._writer = self._writer, None
        log, self._log = self._log, None
        try:
            if writer is not None:
                writer.close()
        finally:
            if log is not None:
                log.close()

    def __exit__(self, *exc) -> None:
        self.close()


def load_processed(study: Study, processed: str | Path = ""
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(responses, cleaning log, sources) of a study.

    From ``processed`` (a folder ``cxstudy run`` wrote) when given; with ``""`` from
    the study's own ``data/processed/<slug>/`` when it is newer than the study file and
    every export, otherwise the exports are read and cleaned now (nothing is written).
    """
    folder = Path(processed) if processed else study.processed_dir
    files = [folder / name for name in PROCESSED_FILES]
    inputs = [p for p in (study.path, *(s.path for s in study.sources)) if p and p.exists()]
    fresh = all(f.exists() for f in files) and (bool(processed) or min(
        f.stat().st_mtime for f in files) >= max((p.stat().st_mtime for p in inputs),
                                                  default=0))
    if fresh:
        responses = pd.read_parquet(files[0])
        log = pd.read_csv(files[1], keep_default_na=False,
                          dtype={"respondent_id": str, "group": str})
        sources = pd.read_csv(files[2])
    else:
        raw = read_sources(study)
        result = clean(raw, study)
        responses, log = result.responses, result.log
        sources = source_table(raw, result.log, study)
    responses["group"] = pd.Categorical(responses["group"], categories=list(study.groups))
    return responses, log, sources

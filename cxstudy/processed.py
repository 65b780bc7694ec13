"""Cleaned data on disk: ``data/processed/<slug>/``.

``responses.parquet`` (one row per kept respondent), ``cleaning_log.csv`` (one row per
input row) and ``sources.csv`` (rows read and kept per export) are written together into
a new folder that replaces the old one only when all three are complete, so a failed run
leaves the previous cleaned data as it was.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._files import remove_staged, replace_folder, staging_folder, write_csv
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

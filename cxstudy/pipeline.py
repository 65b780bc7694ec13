"""Running a whole study: validate, read, clean, keep the processed data, report.

Cleaned data is kept by :mod:`cxstudy.processed`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import importlib
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._files import RunLock, linked_target, remove_staged, replace_folders, staging_folder
from ._spill import KeptBlocks, read_ahead
from .clean import (
    CleaningResult,
    Whole,
    clean,
    column_problems,
    first_pass,
    source_counts,
    source_table,
    sources_counted,
)
from .exceptions import CxStudyError, DataError, Problem, ReadError, StudyFileError
from .processed import BlockWriter
from .readers import BLOCK_ROWS, PlannedSources, plan_sources
from .study import Study, load_study

if TYPE_CHECKING:
    from .render import FileDigests


@dataclass
class RunResult:
    """What :func:`run` did for one study. ``cleaning`` (the responses and the log) is
    read back from ``processed_dir`` when first asked for: a run holds no respondents."""

    study: Study
    processed_dir: Path
    report_dir: Path | None = None
    rows_in: int = 0
    kept: int = 0
    skipped: pd.DataFrame | None = None
    weighting_by_wave: dict = field(default_factory=dict)
    _cleaning: CleaningResult | None = field(default=None, repr=False)

    @property
    def cleaning(self) -> CleaningResult:
        """The cleaned data as :func:`~cxstudy.clean` returns it, read from
        ``processed_dir``."""
        if self._cleaning is None:
            from .processed import load_processed

            responses, log, _sources = load_processed(self.study, self.processed_dir)
            by_wave = self.weighting_by_wave
            self._cleaning = CleaningResult(
                responses=responses, log=log,
                skipped=self.skipped if self.skipped is not None else CleaningResult(
                    responses, log).skipped,
                weighting=list(by_wave.values())[-1] if by_wave else None,
                weighting_by_wave=by_wave)
        return self._cleaning


def output_root(study: Study, out: str | Path | None) -> Path:
    """Where outputs go: ``--out`` if given, else the study's project folder."""
    root = Path(out).resolve() if out is not None else study.project_root
    if root.exists() and not root.is_dir():
        raise CxStudyError(f"--out {out}: is a file, not a folder; give a folder to write "
                           "data/processed/ and reports/ under")
    for folder in (root / "reports", root / "data" / "processed"):
        if folder.is_symlink() and not folder.exists():
            raise CxStudyError(f"{folder} is a symbolic link to {os.readlink(folder)}, which "
                               "does not exist; create that folder, or remove the link")
    for folder in (root / "reports" / study.slug, root / "data" / "processed" / study.slug):
        if (problem := linked_target(folder)) is not None:  # said before any work is done
            raise CxStudyError(problem)
    return root


@dataclass
class Validation:
    """What ``cxstudy validate`` found: the study (None when its file has problems), every
    problem, warnings that do not stop a run, the rows read, and notes on what the study
    file changes as the exports are read (headers renamed, answers coded through
    aliases)."""

    study: Study | None
    problems: list[Problem]
    warnings: list[str]
    rows: int = 0
    notes: list[str] = field(default_factory=list)  # renames applied, aliased answers


def validate(study_path: str | Path) -> Validation:
    """Check a study file and the data it points at, collecting every problem in one pass.

    Where the study file parses as YAML but has problems, the exports it names are still
    opened, so that a missing or unreadable file is reported with them. Raises
    :class:`StudyFileError` only when the file is not YAML at all.
    """
    from .clean import data_check, data_warnings
    from .readers import read_readable
    from .study import read_yaml

    data = read_yaml(Path(study_path))
    try:
        study = load_study(study_path)
    except StudyFileError as exc:
        return Validation(None, exc.problems + _export_problems(data, Path(study_path)), [])
    problems: list[Problem] = []
    warnings = codebook_warnings(study)
    if study.themes:
        from .voices import load_codebook

        try:
            load_codebook(study.themes, study)
        except StudyFileError as exc:  # listed with the exports' problems, not instead
            problems += [Problem(f"{study.themes.name}: {p.where}", p.found, p.expected)
                         for p in exc.problems]
    from .deck import check_template

    try:
        check_template(study)
    except StudyFileError as exc:  # listed with the exports' problems, not instead
        problems += [Problem(f"{p.where} ({exc.path})", p.found, p.expected)
                     for p in exc.problems]
    raw, failures = read_readable(study)
    problems += [Problem(str(exc.path), exc.reason, "") for _name, exc in failures]
    if len(failures) == len(study.sources):
        return Validation(study, problems, warnings)
    found, notes = data_check(raw, study, unread={name for name, _exc in failures})
    return Validation(study, problems + found, warnings + data_warnings(raw, study),
                      len(raw), notes)


def codebook_warnings(study: Study) -> list[str]:
    """Open-ended questions with no codebook (``themes:``): what that means, how to add one."""
    if not study.open_ended or study.themes is not None:
        return []
    ids = ", ".join(q.id for q in study.open_ended)
    return [f"open-ended questions ({ids}) have no theme codebook (themes: is not set): "
            "their answers are shown uncoded, as quotes, with no theme counts, themes table "
            "or theme gaps between audiences. To code them, write a codebook (a YAML file: "
            "themes: a list of {id, label, patterns}; see docs/study-file.md, 'Theme "
            "codebook') and add themes: PATH to the study file"]


def _export_problems(data, path: Path) -> list[Problem]:
    """Exports a study file names that are missing or unreadable (read while the rest of
    the file has problems)."""
    from .limits import not_a_file
    from .readers import read_export

    sources = data.get("sources") if isinstance(data, dict) else None
    problems = []
    for i, spec in enumerate(sources if isinstance(sources, list) else []):
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            continue
        export = (path.resolve().parent / spec["path"]).resolve()
        if not_a_file(export):  # named by the study file's problems (sources[i].path)
            continue
        fmt = spec.get("format") if isinstance(spec.get("format"), str) else None
        try:
            read_export(export, fmt)
        except ReadError as exc:
            problems.append(Problem(f"sources[{i}] ({spec['path']})", exc.reason,
                                    "check the path and the file"))
        except Exception:  # the format named is itself one of the problems reported
            continue
    return problems


def run(
    study: str | Path | Study,
    *,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    report: bool = True,
    notebook_jobs: int | None = None,
    block_rows: int = BLOCK_ROWS,
) -> RunResult:
    """Run a whole study: read every source, clean, write processed data, build the report.

    Parameters
    ----------
    study : str, Path or Study
        The study file (or a loaded study).
    out : str or Path, optional
        Folder to write ``data/processed/<slug>/`` and ``reports/<slug>/`` under
        instead of the study's project folder.
    progress : callable, optional
        Called with one line of text per step.
    report : bool
        Build ``reports/<slug>/`` (notebooks -> HTML); ``False`` stops after cleaning.
    notebook_jobs : int, optional
        Notebooks executed at once (default: one per CPU).
    block_rows : int
        The most rows read, cleaned and counted at once: the exports are read twice,
        block by block (what needs every row first: :func:`~cxstudy.clean.first_pass`;
        then each block is cleaned, appended to the processed data and counted), so
        that memory depends on this, not on the respondents.

    Returns
    -------
    RunResult
        ``.study``, ``.cleaning`` (the :class:`CleaningResult`, read back when asked
        for), ``.processed_dir``
        (where the cleaned data were written), ``.report_dir`` (the report; ``None``
        with ``report=False``), and ``.rows_in`` (rows read; those kept: the log's ``kept``).

    Raises
    ------
    CxStudyError
        StudyFileError, ReadError, DataError or ReportError: one clear message.
        The previous report is left untouched.

    Examples
    --------
    >>> import cxstudy as cx
    >>> result = cx.run("studies/example.yml", report=False, progress=print)  # doctest: +SKIP
    >>> result.rows_in, result.processed_dir  # doctest: +SKIP
    """
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    if not isinstance(study, Study):
        study = load_study(study)
    if study.themes:  # a broken codebook fails before any work is done
        from .voices import load_codebook

        load_codebook(study.themes, study)
    if report:  # and a deck template that cannot be used
        from .deck import check_template

        check_template(study)
    root = output_root(study, out)
    if report:  # the notebooks and a kernel are there before the exports are read
        from .render import check_pages, check_report

        check_report(study)
    with ThreadPoolExecutor(max_workers=1) as beside:  # while the exports are read:
        pages_checked = beside.submit(check_pages, study) if report else None
        if report:  # and the tables' statistics, 0.5-0.9 s to import (48 MB)
            beside.submit(importlib.import_module, "scipy.stats")
        try:
            with RunLock(root, study.slug):
                return _run_locked(study, root, say, started, report, notebook_jobs,
                                   block_rows,
                                   pages_checked.result if pages_checked else None)
        except OSError as exc:
            raise CxStudyError(_os_error_message(study, root, exc)) from None


def _os_error_message(study: Study, root: Path, exc: OSError) -> str:
    """What to say when the disk refuses: the folder, why, and what to do."""
    where = exc.filename or root
    advice = {
        errno.ENOSPC: "the disk is full; free space there, or give --out a folder on "
                      "another disk",
        errno.EDQUOT: "the disk quota is used up; free space, or give --out another folder",
        errno.EROFS: "the file system is read-only; give --out a folder you can write to",
        errno.EACCES: "permission denied; make the folder writable, or give --out a folder "
                      "you can write to",
        errno.EPERM: "permission denied; make the folder writable, or give --out a folder "
                     "you can write to",
        errno.ENAMETOOLONG: "the path is too long for the file system; use a shorter --out "
                            "or study slug",
    }.get(exc.errno, f"{exc.strerror or exc}; check the folder, or give --out another one")
    return (f"{study.slug}: cannot write {where}: {advice} (the previous report and cleaned "
            "data are untouched)")


_BLOCKS_AHEAD = 1
"""Blocks made ahead while one is worked on, in each pass over them: at a million rows
(``--no-report``, two runs each, one after the other) 10.8 and 10.2 s against 11.0 and
11.5 s with none, and 40 MB more held."""


def _first_pass(study: Study, planned: PlannedSources, block_rows: int, kept: KeptBlocks
                ) -> tuple[CleaningResult | None, Whole | None, pd.DataFrame | None]:
    """What needs every row, before anything is written: a study whose rows fit in one
    block is read once and cleaned at once (its cleaning result and exports' table); a
    larger one is read block by block for the decisions that need every row (repeats,
    speeders' medians, weights) and every problem of the data (:func:`first_pass`), its
    blocks kept in ``kept`` for the second pass."""
    # each block made, and kept, by a thread of its own while the one before is decided on
    with contextlib.closing(read_ahead(kept.keeping(planned.blocks(block_rows, again=True)),
                                       _BLOCKS_AHEAD)) as blocks:
        held, rows_held = [], 0
        for block in blocks:  # the first blocks, up to one block's rows
            held.append(block)
            rows_held += len(block)
            if rows_held > block_rows:
                break
        block = None  # the blocks held are in ``held`` only, let go as they are handed on
        if rows_held > block_rows:
            return None, first_pass(itertools.chain(_emptied(held), blocks), study), None
    raw = _stacked(held, study)  # every row fits in one block: cleaned at once, read once
    del held
    problems = column_problems(raw, study)
    if problems:
        raise StudyFileError(study.path, problems)
    at_once = clean(raw, study)
    return at_once, None, source_table(raw, at_once.log, study)


def _run_locked(study: Study, root: Path, say: Callable[[str], None], started: float,
                report: bool, notebook_jobs: int | None, block_rows: int,
                checked: Callable[[], object] | None = None) -> RunResult:
    """The run itself, once the study's lock is held. ``checked``: waits for what is
    checked beside the first read, and raises what it found."""
    say(f"{study.slug}: reading {len(study.sources)} source(s)")
    began = time.perf_counter()
    folder = root / "data" / "processed" / study.slug
    with _spill_folder(folder) as spill:
        return _read_and_write(study, root, folder, spill, say, started, began, report,
                               notebook_jobs, block_rows, checked)


@contextlib.contextmanager
def _spill_folder(folder: Path) -> Iterator[Path]:
    """A hidden folder beside ``folder`` for the exports' cells as the first read parsed
    them (:func:`~cxstudy.readers.plan_sources`' ``spill``), removed when the run ends,
    with the folders made for it that hold nothing else."""
    made = [parent for parent in (folder.parent, folder.parent.parent)
            if not parent.exists()]
    spill = staging_folder(folder, "reading")
    try:
        yield spill
    finally:
        remove_staged(spill)
        for parent in made:
            with contextlib.suppress(OSError):  # not empty: the run wrote there
                parent.rmdir()


def _read_and_write(study: Study, root: Path, folder: Path, spill: Path,
                    say: Callable[[str], None], started: float, began: float, report: bool,
                    notebook_jobs: int | None, block_rows: int,
                    checked: Callable[[], object] | None) -> RunResult:
    """:func:`_run_locked` once the spill folder is made."""
    planned = plan_sources(study, spill=spill)  # each export's columns; every read error
    if checked is not None:
        checked()
    say(f"{study.slug}: read {sum(plan.info['rows'] for plan in planned.plans):,} rows in "
        f"{time.perf_counter() - began:.1f} s; cleaning")
    digests = None
    if report:  # the manifest's hashes of the exports, while the rows are cleaned
        from .render import FileDigests

        digests = FileDigests([source.path for source in study.sources])
    try:
        return _clean_and_write(study, root, folder, spill, planned, say, started, report,
                                notebook_jobs, block_rows, digests)
    finally:
        if digests is not None:  # a failed run: no more reading of the exports
            digests.stop()


def _clean_and_write(study: Study, root: Path, folder: Path, spill: Path,
                     planned: PlannedSources, say: Callable[[str], None], started: float,
                     report: bool, notebook_jobs: int | None, block_rows: int,
                     digests: FileDigests | None) -> RunResult:
    """:func:`_read_and_write` once the exports are surveyed: the two passes of cleaning,
    the cleaned data written, the report staged, both moved into place."""
    began = time.perf_counter()
    # cleaning: first what needs every row, then each block (or every row at once)
    kept_blocks = KeptBlocks(spill / "blocks.arrows")
    at_once, whole, sources = _first_pass(study, planned, block_rows, kept_blocks)
    if kept_blocks.complete:
        planned.close()  # the second pass reads the blocks kept, not the exports
    if at_once is not None:
        rows, kept = len(at_once.log), int(at_once.log["kept"].sum())
        weighting = at_once.weighting_by_wave
    else:
        rows, kept, weighting = whole.rows, whole.kept, whole.weighting_by_wave
    _give_memory_back()
    # Both outputs are staged beside their targets and moved into place together, only
    # when the whole run succeeded: a run that fails, or is stopped, at any stage leaves
    # the previous report and cleaned data as they were.
    staged: list[tuple[Path, Path]] = []
    try:
        writing_into = staging_folder(folder, "writing")
        staged.append((writing_into, folder))
        if at_once is not None:
            cleaned = _write_at_once(study, at_once, sources, writing_into, report)
        else:
            blocks = (kept_blocks.blocks() if kept_blocks.complete else
                      planned.blocks(block_rows))  # each read for the last time
            cleaned = _clean_blocks(study, whole, blocks, writing_into, report)
        kept_blocks.drop()
        planned.close()
        if not kept:
            raise DataError(
                f"{study.path}: cleaning kept no respondent of the {rows:,} rows read, so "
                "there is nothing to report; the previous report and cleaned data are "
                "untouched", [Problem(f"rule {reason}", f"dropped {count:,} row(s)",
                                      "check this rule's setting in cleaning: (0 or false "
                                      "switches it off) and the exports")
                              for reason, count in cleaned.reasons.items()])
        excluded = int(cleaned.reasons.get("excluded", 0))
        _give_memory_back()
        say(f"{study.slug}: kept {kept:,} of {rows:,} rows ("
            + (f"{excluded:,} excluded as not part of the study, " if excluded else "")
            + f"{rows - kept - excluded:,} dropped; reasons in "
            f"{folder / 'cleaning_log.csv'}) in {time.perf_counter() - began:.1f} s")
        if report:
            from .render import stage_report

            results = _results(study, cleaned)
            staged.append((stage_report(
                results, writing_into, root, processed_final=folder, say=say,
                started=started, notebook_jobs=notebook_jobs,
                before_pages=_give_memory_back, digests=digests),
                root / "reports" / study.slug))
        replace_folders(staged)
    except BaseException:
        for staging, _target in staged:
            remove_staged(staging)
        raise
    report_dir = None
    if report:
        from .render import clear_failed

        report_dir = root / "reports" / study.slug
        clear_failed(report_dir)
    return RunResult(study=study, processed_dir=folder, report_dir=report_dir,
                     rows_in=rows, kept=kept, skipped=cleaned.skipped,
                     weighting_by_wave=weighting, _cleaning=at_once)


def _stacked(blocks: list[pd.DataFrame], study: Study) -> pd.DataFrame:
    """Blocks of rows as one frame, as :func:`~cxstudy.readers.read_sources` gives it."""
    if not blocks:  # exports without rows
        from .readers import read_sources

        return read_sources(study)
    raw = pd.concat(blocks, ignore_index=True, sort=False) if len(blocks) > 1 \
        else blocks[0]
    raw.attrs = blocks[0].attrs
    return raw


def _emptied(held: list[pd.DataFrame]):
    """The blocks held, each let go once handed on."""
    while held:
        yield held.pop(0)


def _write_at_once(study: Study, result: CleaningResult, sources: pd.DataFrame,
                   folder: Path, count: bool) -> _Cleaned:
    """The processed files of a study cleaned at once (it fits in one block)."""
    from .analysis import Results

    with BlockWriter(folder) as writer:
        writer.append(result.responses, result.log)
        writer.finish(sources)
    counts = Results(study, result.responses).counted() \
        if count and len(result.responses) else {}
    reasons = result.log["reason"][~result.log["kept"]].value_counts()
    return _Cleaned(counts, sources, result.skipped, reasons,
                    loaded=(result.responses, result.log))


@dataclass
class _Cleaned:
    """What cleaning the blocks gave beside the files: every counts table, the exports'
    table, rules not checked, and the rows each rule dropped."""

    counts: dict[str | None, dict[str, Any]]
    sources: pd.DataFrame
    skipped: pd.DataFrame
    reasons: pd.Series
    loaded: tuple[pd.DataFrame, pd.DataFrame] | None = None  # responses and log in memory
    log_counts: Any = None  # quality.log_counts of the blocks' logs, added


def _clean_blocks(study: Study, whole: Whole, blocks: Iterator[pd.DataFrame], folder: Path,
                  count: bool) -> _Cleaned:
    """Second pass: each block of ``blocks`` cleaned with the first pass's decisions,
    appended to the processed files in ``folder`` and counted (``count``: the counts
    tables of :data:`cxstudy.registry.COUNTS`, added block by block)."""
    from .analysis import Results, add_counts
    from .quality import log_counts

    counts: dict = {}
    logs = None
    by_source = None
    skipped: dict[tuple, dict] = {}
    reasons = pd.Series(dtype=np.int64)
    offset, attrs = 0, {}
    with (BlockWriter(folder) as writer,
          contextlib.closing(read_ahead(blocks, _BLOCKS_AHEAD)) as blocks):
        for block in blocks:
            result = clean(block, study, whole=whole, offset=offset)
            offset += len(block)
            attrs = block.attrs
            del block  # the rows read: not held while the block's responses are counted
            writer.append(result.responses, result.log)
            mine = source_counts(result.log)
            by_source = mine if by_source is None else by_source.add(mine, fill_value=0)
            for entry in result.skipped.to_dict("records"):
                skipped.setdefault(tuple(entry.values()), entry)
            dropped = result.log["reason"][~result.log["kept"]].value_counts()
            reasons = reasons.add(dropped, fill_value=0).astype(np.int64)
            if count and len(result.responses):
                counts = add_counts(counts, Results(study, result.responses).counted())
            if count:
                mine = log_counts(result.log, study)
                logs = mine if logs is None else logs + mine
            del result
        if offset != whole.rows:
            raise DataError(f"{study.path}: the exports changed while the run read them "
                            f"({whole.rows:,} rows, then {offset:,}); run again once they "
                            "are written", [])
        sources = sources_counted(attrs, by_source, study)
        writer.finish(sources)
    return _Cleaned(counts, sources, pd.DataFrame(list(skipped.values()),
                                                  columns=["source", "rule", "why"]),
                    reasons.sort_values(ascending=False, kind="stable"), log_counts=logs)


def _results(study: Study, cleaned: _Cleaned):
    """The report's :class:`~cxstudy.analysis.Results`: every table made from the counts
    of every block (and from the log itself where a study was cleaned at once)."""
    from .analysis import Results

    log = cleaned.loaded[1] if cleaned.loaded is not None else None
    return Results.from_counts(study, cleaned.counts, log=log, sources=cleaned.sources,
                               log_counts=None if log is not None else cleaned.log_counts)


def _give_memory_back() -> None:
    """Return the memory of frames let go to the system, so that the report's kernels
    start beside a run of the size of what it still holds (at a million rows 0.9 GB, not
    the 1.7 GB it held before). Arrow's allocator keeps freed memory for
    reuse, and glibc's keeps freed pages inside its heap; neither gives it back by itself.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # musl has no malloc_trim
            ctypes.CDLL(None).malloc_trim(0)

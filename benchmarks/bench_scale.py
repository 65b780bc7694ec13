"""The example study scaled to millions of respondents: `cxstudy run`'s every stage
beside its floor, measured in the same invocation on the same files; peak memory.

Data. ``scaled_project`` copies the example project and writes its two customer
exports (Qualtrics, one per wave) again with ``respondents // 2`` rows each: the 3
header rows as they are, then the data rows repeated byte for byte, each later copy
with fresh ResponseIds of the same shape (see ``scaled_project``), so every rule,
table and page has the work it has on the example. Written at disk speed with a few MB
of memory; each size is built once into the cache folder (``--cache``, outside the
project; a ``.complete`` file marks a finished copy).

Stages: ONE ``cxstudy run STUDY --out SCRATCH`` in a fresh process, its progress lines
time-stamped as they arrive (nothing private of the package is called, so the stages
follow the run as the run says them):

start-up   process start to the line "reading N source(s)" (imports, the study file,
           the report's checks)
read       to "read N rows in ...": the survey of each export (every row parsed once,
           what each column is, every read error; the cells kept for the passes after)
clean      to "kept N of M rows ...": the first pass (the blocks made from the cells
           kept, and decided on for what needs every row: repeats, speeders' medians,
           raking, every problem of the data), then the second (the blocks cleaned,
           coded, scrubbed, appended to the processed files and counted, the counts
           tables added block by block). Before 2026-12-04 the first pass was counted
           in "read"; the clean floor below has always held its work (the repeated ids'
           sort and the speeders' medians)
tables     to "tables in ...": every table of every wave from the counts, written
pages      to "done in ...": the notebooks executed and rendered, the workbook and deck
run        the whole process, wall time

Floors, measured in this process on the same files just before the run (the files
read once first, so both find them in the page cache where they fit):

read       Arrow's streaming CSV reader (``pyarrow.csv.open_csv``, every column as
           text, 4 MB blocks, header rows skipped) over every text export, plus
           ``pandas.read_excel`` of every workbook: the bytes parsed once, alone (the
           other floors work on the blocks of a second pass, its reading not counted)
clean      on each Arrow block of each text export, the rules' vectorised core: every
           column the study maps for the export's audience dictionary-encoded and its
           labels looked up in a table of the distinct labels (coding); finished and
           preview compared; durations cast to numbers; the straightlining count (the
           most frequent answer of each row over each scale's items, one bincount);
           attention checks compared; each id hashed (``pandas.util.hash_array``,
           64 bits); and over every block, the repeated ids (one sort of the hashes of
           each audience and wave) and the speeders' medians. Plus the PII patterns
           (``cxstudy.privacy.scrub_patterns``) over each distinct open answer once,
           and the theme codebook's patterns (one regular expression per theme, as the
           codebook words them) searched in each distinct open answer once
counts     on each block: one ``numpy.bincount`` of each item's codes, and one of each
           (segment, item) pair: the answer counts the tables are made from
write      on each block: its coded columns and open answers appended to a parquet file
           (``pyarrow.parquet.ParquetWriter``) and one log row per respondent (row,
           source, kept, reason) to a CSV (``pyarrow.csv.CSVWriter``)
pages      ``bench_report.floor``: as many notebooks as the report has pages, importing
           the stack only, executed and converted, two at a time

The stages' floors: read: read; clean: read + clean + counts + write (the run reads the
blocks again there; the floor reads once); tables: counts; pages: pages; start-up:
``python -m cxstudy --version`` in a fresh process. "read + clean" sets the two first
stages together beside read + clean + counts + write: how far the data's way from the
exports to the counts is from one pass over them, however the run splits it.

Peak memory: the process and its kernels (proportional set size summed, sampled every
20 ms: pages two processes share count once), in a second run, so that watching does
not slow the timed one.

reading alone (``--read-only``): each way in a fresh process, its seconds and peak PSS:
           whole  ``read_sources`` (every row in memory)
           blocks ``iter_sources`` (each block let go)
           floor  Arrow's streaming CSV reader of every text export, ``read_excel`` of
                  every workbook

Usage:  .venv/bin/python benchmarks/bench_scale.py [--sizes 100000 1000000]
                 [--cache /tmp/cxstudy-scale] [--no-peak] [--generate-only]
                 [--read-only | --run-only]
"""

from __future__ import annotations

import argparse
import collections
import compileall
import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_report import floor as pages_floor  # noqa: E402

import cxstudy as cx  # noqa: E402
from cxstudy.privacy import scrub_patterns  # noqa: E402

CUSTOMERS = ("data/raw/example/customers_qualtrics.csv",
             "data/raw/example/2025/customers_qualtrics.csv")
# A Qualtrics response id: "R_" and 15 characters of [0-9A-Za-z]
_ID = re.compile(rb'"?R_[0-9A-Za-z]{15}"?')
_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                        dtype=np.uint8)
_CHUNK = 8 << 20  # bytes written at once
_SYNC = 256 << 20  # bytes written between flushes to disk (then dropped from the page cache)


@dataclass
class _Export:
    """One customer export as bytes: its header rows, its data rows (one copy's bytes),
    where each data row ends and where the 15 characters of its id start, and the
    id's number among every id of the exports (the same id in both waves, the same
    number: a returning respondent stays one in each copy)."""

    header: bytes
    body: np.ndarray
    ends: np.ndarray
    id_at: np.ndarray
    ids: list[bytes]


def _read_export(path: Path) -> _Export:
    """The export's records found in its bytes: a record ends at a line feed outside
    quotes (quotes counted: a doubled quote inside a value keeps the count even), its
    fields at commas outside quotes."""
    data = path.read_bytes()
    quoted = np.cumsum(np.frombuffer(data, dtype=np.uint8) == ord('"')) % 2 == 1
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero((raw == ord("\n")) & ~quoted) + 1
    if len(data) and (not len(ends) or ends[-1] != len(data)):  # a last row unended
        terminator = b"\r\n" if ends.size and data[ends[0] - 2:ends[0]] == b"\r\n" else b"\n"
        data += terminator
        raw = np.frombuffer(data, dtype=np.uint8)
        quoted = np.append(quoted, [quoted[-1]] * len(terminator))
        ends = np.append(ends, len(data))
    if len(ends) < 4:
        raise SystemExit(f"{path}: fewer than 3 header rows and one data row")
    names = next(csv.reader([data[:ends[0]].decode("utf-8-sig")]))
    if "ResponseId" not in names:
        raise SystemExit(f"{path}: no ResponseId column in its first row")
    field = names.index("ResponseId")
    # the commas outside quotes, and one past the end: a row's last field ends at its
    # line ending, before the next row's first comma (or the end)
    commas = np.append(np.flatnonzero((raw == ord(",")) & ~quoted), len(data))
    starts = np.concatenate([[0], ends[:-1]])[3:]
    first = np.searchsorted(commas, starts)  # the first comma of each data row
    begin = commas[first + field - 1] + 1 if field else starts
    stop = commas[np.minimum(first + field, len(commas) - 1)]  # the field's end
    stop = np.where(stop < ends[3:], stop, ends[3:] - (1 + (raw[ends[3:] - 2] == 13)))
    ids, id_at = [], []
    for row, (a, b) in enumerate(zip(begin.tolist(), stop.tolist(), strict=True)):
        if not _ID.fullmatch(data[a:b]):
            raise SystemExit(f"{path}: data row {row + 1} (line {row + 4}): ResponseId "
                             f"{data[a:b][:40]!r} is not a Qualtrics id (R_ and 15 letters "
                             "or digits); the scaled copy keeps each id's length")
        quote = data[a] == ord('"')
        ids.append(data[a + quote:b - quote])
        id_at.append(a + quote + 2 - ends[2])
    return _Export(data[:ends[2]], raw[ends[2]:].copy(), ends[3:] - ends[2],
                   np.asarray(id_at, dtype=np.int64), ids)


def _mixed(numbers: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit integers,
    so distinct numbers give distinct values."""
    z = numbers.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _base62(values: np.ndarray, digits: int) -> np.ndarray:
    """``digits`` base-62 characters of each value (most significant first)."""
    out = np.empty((len(values), digits), dtype=np.uint8)
    values = values.copy()
    for at in range(digits - 1, -1, -1):
        out[:, at] = _BASE62[(values % np.uint64(62)).astype(np.intp)]
        values //= np.uint64(62)
    return out


def _decoded(ident: bytes) -> int:
    """The number the first 11 of an id's 15 characters spell in base 62."""
    digit = {char: at for at, char in enumerate(_BASE62.tobytes())}
    value = 0
    for char in ident[2:13]:
        value = value * 62 + digit[char]
    return value


def fresh_ids(numbers: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Qualtrics-shaped ids (15 characters after ``R_``; the leading ``R_`` is not
    returned) for distinct non-negative ``numbers``: the first 11 characters are the
    number mixed by a bijection (:func:`_mixed`), in base 62 (62**11 > 2**64), so
    distinct numbers give distinct ids; the last 4 characters from a second mixing,
    for looks. ``taken``: the mixed values the example's own ids spell (an id equal to
    one of them is refused, not written)."""
    mixed = _mixed(numbers)
    if taken.size and np.isin(mixed, taken).any():
        raise SystemExit("a fresh id spells one of the example's own ids; change the "
                         "generator's salt")
    tail = _mixed(mixed ^ np.uint64(0x5DEECE66D)) % np.uint64(62 ** 4)
    return np.hstack([_base62(mixed, 11), _base62(tail, 4)])


def scaled_project(respondents: int, cache: Path) -> Path:
    """A copy of the example project whose customer exports hold ``respondents`` rows in
    all (half per wave), built once (a ``.complete`` file marks a finished copy).

    Each customer export is written as its bytes: its 3 header rows as they are (BOM and
    line endings too), then its data rows again and again, byte for byte, until it holds
    ``respondents // 2`` rows; the first copy keeps the example's ids, every later copy
    has fresh ones (:func:`fresh_ids`) of the same length and shape. An id is renamed
    the same way wherever it occurs in one copy (both waves, and the example's own
    repeated ids, which stay repeats), and differently in every copy: distinct
    respondents of the example are distinct respondents in every copy of the file.
    A last row without a line ending is given the file's. The bytes are made a copy
    at a time with numpy (a row's id overwritten in place)
    and written ~8 MB at a time, so memory stays at a few MB and the speed is the
    disk's: a 50M copy is 34 GB.
    """
    project = cache / f"example-{respondents}"
    if (project / ".complete").exists():
        stale = [path.name for path in (ROOT / "studies").rglob("*.yml")
                 if not (project / "studies" / path.relative_to(ROOT / "studies")).exists()
                 or (project / "studies" / path.relative_to(ROOT / "studies")).read_bytes()
                 != path.read_bytes()]
        if stale:
            print(f"note: {project} was built with other study files than the repository's "
                  f"({', '.join(stale)}); delete the folder to build it again",
                  file=sys.stderr, flush=True)
        return project
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "studies", project / "studies")
    shutil.copytree(ROOT / "data" / "raw", project / "data" / "raw")
    exports = [_read_export(ROOT / name) for name in CUSTOMERS]
    numbered: dict[bytes, int] = {}
    for export in exports:
        for ident in export.ids:
            numbered.setdefault(ident, len(numbered))
    own = [_decoded(ident) for ident in numbered]
    taken = np.array([v for v in own if v < 2 ** 64], dtype=np.uint64)
    wanted = respondents // len(CUSTOMERS)
    for name, export in zip(CUSTOMERS, exports, strict=True):
        _write_copies(project / name, export, wanted, numbered, taken)
    (project / ".complete").touch()
    return project


def _write_copies(path: Path, export: _Export, wanted: int, numbered: dict[bytes, int],
                  taken: np.ndarray) -> None:
    rows, size = len(export.ends), len(export.body)
    number = np.array([numbered[ident] for ident in export.ids], dtype=np.uint64)
    known = np.uint64(len(numbered))
    per_chunk = max(1, _CHUNK // size)
    chars = np.arange(15)
    written_since_sync = 0
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        out.write(export.header)
        done = 0
        while done < wanted:
            copy = done // rows  # the copies this chunk starts at
            copies = min(per_chunk, -(-(wanted - done) // rows))
            chunk = np.tile(export.body, copies)
            length = copies * size
            count = min(copies * rows, wanted - done)
            if count < copies * rows:  # the last copy, cut after its last row wanted
                length = (copies - 1) * size + int(export.ends[count - (copies - 1) * rows - 1])
            which = np.arange(copies, dtype=np.uint64) + np.uint64(copy)
            fresh = which > 0  # the first copy keeps the example's ids
            if fresh.any():
                # copy c (1, 2, ...) renames id k to number (c - 1) * known + k
                numbers = ((which[fresh] - np.uint64(1))[:, None] * known
                           + number[None, :]).ravel()
                ids = fresh_ids(numbers, taken)
                at = (np.flatnonzero(fresh)[:, None] * size + export.id_at[None, :]).ravel()
                chunk[(at[:, None] + chars[None, :]).ravel()] = ids.ravel()
            out.write(memoryview(chunk)[:length])
            done += count
            written_since_sync += length
            if written_since_sync >= _SYNC:  # the copy's pages are not kept in memory
                out.flush()
                os.fdatasync(out.fileno())
                os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                written_since_sync = 0
        out.flush()
        os.fdatasync(out.fileno())
        os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    partial.replace(path)


READ_CODE = {
    "whole": "raw = cx.read_sources(study); rows = len(raw)",
    "blocks": "rows = sum(len(block) for block in cx.iter_sources(study))",
    "floor": ("import pyarrow.csv as arrow_csv\n"
              "rows = 0\n"
              "for source in study.sources:\n"
              "    if source.path.suffix == '.xlsx':\n"
              "        rows += len(pd.read_excel(source.path, header=None))\n"
              "        continue\n"
              "    reader = arrow_csv.open_csv(source.path, read_options=arrow_csv.ReadOptions("
              "autogenerate_column_names=True, block_size=4 << 20), parse_options="
              "arrow_csv.ParseOptions(newlines_in_values=True))\n"
              "    rows += sum(batch.num_rows for batch in reader)"),
}


def read_alone(project: Path) -> dict[str, tuple[float, float]]:
    """Reading alone, each way in a fresh process: (seconds, peak GB of the process's
    proportional set size, sampled every 20 ms) of ``read_sources`` (the whole study in
    memory), ``iter_sources`` (blocks, each let go) and the floor (Arrow's streaming CSV
    reader of every text export, ``read_excel`` of the workbooks)."""
    found = {}
    for way, code in READ_CODE.items():
        script = ("import sys, time\nimport pandas as pd\nimport cxstudy as cx\n"
                  f"study = cx.load_study({str(project / 'studies' / 'example.yml')!r})\n"
                  "started = time.perf_counter()\n" + code +
                  "\nprint(time.perf_counter() - started, rows)\n")
        process = psutil.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=ROOT, text=True)
        peak = 0
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, process.memory_full_info().pss)
            time.sleep(0.02)
        out, errors = process.communicate()
        if process.returncode:
            raise SystemExit(f"reading ({way}) failed: {errors[-2000:]}")
        found[way] = (float(out.split()[0]), peak / 1e9)
    return found


# --- the run's stages, from its progress lines ------------------------------------------

STAGES = ("start-up", "read", "clean", "tables", "pages")
# the line that ends each stage (the slug and ": " before it)
_ENDS = {"start-up": re.compile(r": reading \d+ source"),
         "read": re.compile(r": read [\d,]+ rows in"),
         "clean": re.compile(r": kept [\d,]+ of [\d,]+ rows"),
         "tables": re.compile(r": tables in [\d.]+ s"),
         "pages": re.compile(r": done in [\d.]+ s")}


def run_stages(project: Path, out: Path) -> tuple[dict[str, float | None], float, list]:
    """One ``cxstudy run`` in a fresh process: each stage's seconds (from the time its
    progress lines arrived; None where the line that ends a stage was not said), the
    whole run's wall seconds, and the lines with their times."""
    command = [sys.executable, "-m", "cxstudy", "run", str(project / "studies" / "example.yml"),
               "--out", str(out)]
    lines: list[tuple[float, str]] = []
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=project, text=True, bufsize=1)
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    reader.start()
    for line in process.stdout:
        lines.append((time.perf_counter() - started, line.rstrip("\n")))
    process.wait()
    seconds = time.perf_counter() - started
    reader.join()
    if process.returncode:
        raise SystemExit(f"cxstudy run failed: {''.join(errors)[-2000:]}")
    at: dict[str, float] = {}
    for when, line in lines:
        for stage, pattern in _ENDS.items():
            if stage not in at and pattern.search(line):
                at[stage] = when
    found: dict[str, float | None] = {}
    before = 0.0
    for stage in STAGES:
        if stage in at:
            found[stage] = at[stage] - before
            before = at[stage]
        else:
            found[stage] = None  # said no more; the next stage counts from the last said
    return found, seconds, lines


def whole_run(project: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (GB: the run and its kernels, proportional set size
    summed, sampled every 20 ms) of one ``cxstudy run`` in a fresh process."""
    command = [sys.executable, "-m", "cxstudy", "run", str(project / "studies" / "example.yml"),
               "--quiet", "--out", str(out)]
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           cwd=project)
    peak = 0
    while process.poll() is None:
        total = 0
        for member in [process, *process.children(recursive=True)]:
            try:
                total += member.memory_full_info().pss
            except psutil.Error:
                continue
        peak = max(peak, total)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"cxstudy run failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, peak / 1e9


# --- the floors ---------------------------------------------------------------------------

def _theme_patterns(study) -> list[re.Pattern]:
    """One regular expression per theme of the study's codebook, as the codebook words it
    (a word or phrase: whole words, any case; a trailing * any ending; /.../ as is)."""
    if study.themes is None:
        return []
    themes = yaml.safe_load(Path(study.themes).read_text(encoding="utf-8"))["themes"]
    compiled = []
    for theme in themes:
        parts = []
        for pattern in theme["patterns"]:
            pattern = str(pattern)
            if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
                parts.append(pattern[1:-1])
            elif pattern.endswith("*"):
                parts.append(r"\b" + re.escape(pattern[:-1]) + r"\w*")
            else:
                parts.append(r"\b" + re.escape(pattern) + r"\b")
        compiled.append(re.compile("|".join(parts), re.IGNORECASE))
    return compiled


@dataclass
class _Mapped:
    """What the study maps in one export's audience: the coded columns (column -> the
    scale's labels, or None: coded by its distinct values), the open answers, the
    scales' item columns (for straightlining), the attention checks (column, expected)."""

    coded: dict[str, tuple[str, ...] | None]
    open: list[str]
    scales: dict[str, list[str]]
    checks: list[tuple[str, tuple[str, ...]]]


def _mapped(study, group: str) -> _Mapped:
    coded: dict[str, tuple[str, ...] | None] = {}
    scales: dict[str, list[str]] = collections.defaultdict(list)
    for item in study.items:
        if group in item.columns:
            coded[item.columns[group]] = study.scales[item.scale].labels
            scales[item.scale].append(item.columns[group])
    for metric in study.metrics:
        if group in metric.columns:
            scale = study.scales.get(metric.scale) if metric.scale else None
            coded[metric.columns[group]] = scale.labels if scale else None
    for part in (*study.segments, *study.estimates):
        if group in part.columns:
            coded[part.columns[group]] = None
    for choice in study.choices:
        columns = choice.columns.get(group)
        for column in ([columns] if isinstance(columns, str) else columns or ()):
            coded[column] = None
    checks = [(check.columns[group], check.expect)
              for check in study.cleaning.attention_checks if group in check.columns]
    return _Mapped(coded, [q.columns[group] for q in study.open_ended if group in q.columns],
                   dict(scales), checks)


def _codes(column: pa.Array, labels: tuple[str, ...] | None) -> np.ndarray:
    """A column's codes: dictionary-encoded, each distinct label looked up once (0: not a
    label of the scale, or blank)."""
    encoded = pc.dictionary_encode(column).combine_chunks() \
        if isinstance(column, pa.ChunkedArray) else pc.dictionary_encode(column)
    distinct = encoded.dictionary.to_pylist()
    if labels is None:
        table = np.arange(1, len(distinct) + 1, dtype=np.int16)
    else:
        position = {label: code for code, label in enumerate(labels, start=1)}
        table = np.array([position.get(value, 0) for value in distinct], dtype=np.int16)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return table[indices] if len(table) else np.zeros(len(indices), dtype=np.int16)


def _arrow_reader(source) -> arrow_csv.CSVStreamingReader:
    """Arrow's streaming reader of a text export: its names from the first row, its
    header rows skipped, every column as text, 4 MB blocks (of 1, 2, 4, 8 and 16 MB,
    2 and 4 read a 1M copy's export fastest here, 16 twice as slow)."""
    with source.path.open(encoding="utf-8-sig", newline="") as handle:
        names = next(csv.reader(handle))
    return arrow_csv.open_csv(
        source.path,
        read_options=arrow_csv.ReadOptions(
            column_names=names, skip_rows=3 if source.format == "qualtrics" else 1,
            block_size=4 << 20),
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False))


def read_floor(study) -> float:
    """Seconds to read every export once: Arrow's streaming reader of each text export
    (every block read and let go), ``pandas.read_excel`` of each workbook."""
    started = time.perf_counter()
    for source in study.sources:
        if source.path.suffix.lower() in (".xlsx", ".xls"):
            pd.read_excel(source.path, header=None)
            continue
        for _batch in _arrow_reader(source):
            pass
    return time.perf_counter() - started


def floors(study, scratch: Path) -> dict[str, float]:
    """Seconds of each floor (read, clean, counts, write) over the study's exports, in
    this process (see the module's docstring): reading alone in a first pass
    (:func:`read_floor`), then the other floors on each block of a second pass, its
    reading not counted."""
    spent: collections.Counter[str] = collections.Counter()
    themes = _theme_patterns(study)
    seen_answers: set[str] = set()
    hashes: dict[tuple, list[np.ndarray]] = collections.defaultdict(list)
    durations: dict[tuple, list[np.ndarray]] = collections.defaultdict(list)
    scratch.mkdir(parents=True, exist_ok=True)
    parquet_writer = log_writer = None
    log_schema = pa.schema([("row", pa.int64()), ("source", pa.string()),
                            ("kept", pa.bool_()), ("reason", pa.string())])
    rows_done = 0
    spent["read"] = read_floor(study)
    for source in study.sources:  # again, the work on each block timed, not its reading
        if source.path.suffix.lower() in (".xlsx", ".xls"):
            continue
        reader = _arrow_reader(source)
        mapped = _mapped(study, source.group) if source.group else None
        key = (source.group, source.wave)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            if mapped is None:
                continue
            began = time.perf_counter()
            rows = batch.num_rows
            columns = {name: batch.column(name) for name in batch.schema.names}
            codes = {name: _codes(columns[name], labels)
                     for name, labels in mapped.coded.items() if name in columns}
            keep = np.ones(rows, dtype=bool)
            finished = source.finished_column or ("Finished" if "Finished" in columns else None)
            if finished in columns:
                keep &= np.isin(columns[finished].to_numpy(zero_copy_only=False),
                                ["True", "1", "true", "Yes"])
            if "Status" in columns:
                keep &= ~pc.equal(columns["Status"], "Survey Preview").to_numpy(
                    zero_copy_only=False)
            duration = source.duration_column or ("Duration (in seconds)"
                                                 if "Duration (in seconds)" in columns else None)
            if duration in columns:
                durations[key].append(pd.to_numeric(
                    columns[duration].to_numpy(zero_copy_only=False), errors="coerce"))
            for scale, items in mapped.scales.items():
                matrix = np.column_stack([codes[c] for c in items if c in codes])
                width = len(study.scales[scale].labels or ()) + 1
                at = np.arange(rows)[:, None] * width + matrix
                most = np.bincount(at.ravel(), minlength=rows * width).reshape(rows, width)
                keep &= ~(most[:, 1:].max(axis=1) >= max(1, study.cleaning.straightline_min_items))
            for column, expect in mapped.checks:
                if column in columns:
                    keep &= np.isin(columns[column].to_numpy(zero_copy_only=False), expect)
            if source.id_column in columns:
                hashes[key].append(pd.util.hash_array(
                    columns[source.id_column].to_numpy(zero_copy_only=False),
                    categorize=False))
            for column in mapped.open:
                if column not in columns:
                    continue
                for answer in pc.unique(columns[column]).to_pylist():
                    if answer in seen_answers:
                        continue
                    seen_answers.add(answer)
                    scrub_patterns(answer)
                    for theme in themes:
                        theme.search(answer)
            spent["clean"] += time.perf_counter() - began

            began = time.perf_counter()
            segments = [codes[c] for c in codes if mapped.coded[c] is None]
            for column, labels in mapped.coded.items():
                if labels is None or column not in codes:
                    continue
                width = len(labels) + 1
                np.bincount(codes[column], minlength=width)
                for segment in segments:
                    np.bincount(segment.astype(np.int64) * width + codes[column])
            spent["counts"] += time.perf_counter() - began

            began = time.perf_counter()
            table = pa.table({**{name: pa.array(value) for name, value in codes.items()},
                              **{name: columns[name] for name in mapped.open
                                 if name in columns}})
            if parquet_writer is None or parquet_writer.schema != table.schema:
                if parquet_writer is not None:
                    parquet_writer.close()
                parquet_writer = pq.ParquetWriter(scratch / f"floor-{source.name}.parquet",
                                                  table.schema)
            parquet_writer.write_table(table)
            log = pa.table({"row": pa.array(np.arange(rows_done, rows_done + rows)),
                            "source": pa.array([source.name] * rows).dictionary_encode(),
                            "kept": pa.array(keep),
                            "reason": pa.array(np.where(keep, "", "rule"))}, )
            log = log.cast(log_schema)
            if log_writer is None:
                log_writer = arrow_csv.CSVWriter(scratch / "floor-log.csv", log_schema)
            log_writer.write_table(log)
            rows_done += rows
            spent["write"] += time.perf_counter() - began
        began = time.perf_counter()
        if parquet_writer is not None:
            parquet_writer.close()
            parquet_writer = None
        spent["write"] += time.perf_counter() - began
    began = time.perf_counter()
    for parts in hashes.values():  # repeated ids within each audience and wave
        ordered = np.sort(np.concatenate(parts))
        int((ordered[1:] == ordered[:-1]).sum())
    for parts in durations.values():  # the speeders' medians
        np.nanmedian(np.concatenate(parts))
    spent["clean"] += time.perf_counter() - began
    if log_writer is not None:
        log_writer.close()
    return dict(spent)


def startup_floor() -> float:
    """A fresh ``python -m cxstudy --version``: the interpreter and the package's import."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cxstudy", "--version"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def read_through(study) -> float | None:
    """Every export's bytes read once, to put them in the page cache (seconds); None,
    and nothing read, where they would not fit in half the memory available."""
    size = sum(source.path.stat().st_size for source in study.sources)
    if size > psutil.virtual_memory().available / 2:
        return None
    started = time.perf_counter()
    for source in study.sources:
        with source.path.open("rb") as handle:
            while handle.read(16 << 20):
                pass
    return time.perf_counter() - started


def measure(size: int, cache: Path, peak: bool) -> dict:
    """Every stage of one run of the example scaled to ``size`` respondents beside its
    floor, and (``peak``) the peak memory of a second run."""
    project = scaled_project(size, cache)
    study = cx.load_study(project / "studies" / "example.yml")
    warm = read_through(study)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        floor = floors(study, Path(scratch) / "floor")
        shutil.rmtree(Path(scratch) / "floor")  # its files gone before the run writes (50M: GBs)
        floor["pages"] = pages_floor(Path(scratch), workers=2)
        floor["start-up"] = startup_floor()
        stages, seconds, lines = run_stages(project, Path(scratch) / "run")
    warmed = ("not read through first: larger than half the memory available, the floors "
              "and the run read them from disk" if warm is None
              else f"read through first in {warm:.1f} s")
    size_gb = sum(s.path.stat().st_size for s in study.sources) / 1e9
    print(f"... {size:,} respondents ({size_gb:.2f} GB of exports, {warmed}); the run "
          f"took {seconds:.1f} s and said:", file=sys.stderr, flush=True)
    for when, line in lines:
        print(f"    {when:8.1f} s  {line}", file=sys.stderr, flush=True)
    print("    floors (s): " + ", ".join(f"{k} {v:.2f}" for k, v in floor.items()),
          file=sys.stderr, flush=True)
    peak_gb = None
    if peak:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
            _, peak_gb = whole_run(project, Path(scratch))
        print(f"    peak memory of a second run: {peak_gb:.2f} GB", file=sys.stderr,
              flush=True)
    return {"size": size, "stages": stages, "run": seconds, "floor": floor, "peak": peak_gb}


TABLE_HEAD = ("| respondents | stage | seconds | floor (s) | ratio | s per 1M | peak GB |\n"
              "|---:|---|---:|---:|---:|---:|---:|")


def table(measured: list[dict]) -> str:
    """The markdown table's rows (no head, :data:`TABLE_HEAD`): size, stage, seconds,
    floor, ratio, seconds per million respondents, peak GB."""
    out = []
    for m in measured:
        floor, stages, million = m["floor"], m["stages"], m["size"] / 1e6
        floors_of = {"start-up": floor["start-up"], "read": floor["read"],
                     "clean": floor["read"] + floor["clean"] + floor["counts"] + floor["write"],
                     "tables": floor["counts"], "pages": floor["pages"]}
        rows = [(stage, stages[stage], floors_of[stage]) for stage in STAGES]
        if stages["read"] is not None and stages["clean"] is not None:
            rows.append(("read + clean", stages["read"] + stages["clean"], floors_of["clean"]))
        rows.append(("run", m["run"], floor["start-up"] + floors_of["clean"] + floor["pages"]))
        for stage, seconds, floor_seconds in rows:
            cells = ["—" if seconds is None else f"{seconds:.1f}", f"{floor_seconds:.2f}",
                     "—" if seconds is None else f"{seconds / floor_seconds:.1f}x",
                     "—" if seconds is None else f"{seconds / million:.1f}",
                     f"{m['peak']:.2f}" if stage == "run" and m["peak"] is not None else ""]
            out.append(f"| {m['size']:,} | {stage} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "cxstudy-scale")
    parser.add_argument("--no-peak", action="store_true",
                        help="no second run for the peak memory")
    parser.add_argument("--generate-only", action="store_true",
                        help="only write the scaled copies (seconds and GB written)")
    parser.add_argument("--read-only", action="store_true",
                        help="only reading, whole and in blocks, beside its floor")
    parser.add_argument("--run-only", action="store_true",
                        help="only `cxstudy run` end to end: wall seconds and peak memory")
    args = parser.parse_args()
    # the package's bytecode as a user's second run finds it: where Python may not write
    # it (PYTHONDONTWRITEBYTECODE, as on the machine these were measured on) every process
    # and kernel would compile the package's source again, about 0.15 s each
    compileall.compile_dir(ROOT / "cxstudy", quiet=1)
    if args.generate_only:
        for size in args.sizes:
            started = time.perf_counter()
            project = scaled_project(size, args.cache)
            seconds = time.perf_counter() - started
            written = sum(p.stat().st_size for p in project.rglob("*.csv"))
            print(f"{size:>12,} respondents: {written / 1e9:.2f} GB of CSV in {seconds:.1f} s "
                  f"({project})", flush=True)
        return 0
    if args.run_only:
        print(f"{'respondents':>12} {'cxstudy run':>12} {'peak memory':>12}")
        for size in args.sizes:
            with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
                run_seconds, peak = whole_run(scaled_project(size, args.cache), Path(scratch))
            print(f"{size:>12,} {run_seconds:>10.1f} s {peak:>9.2f} GB", flush=True)
        return 0
    if args.read_only:
        print(f"{'respondents':>12} {'way':>8} {'seconds':>8} {'x floor':>8} {'peak GB':>8}")
        for size in args.sizes:
            found = read_alone(scaled_project(size, args.cache))
            for way, (seconds, peak) in found.items():
                print(f"{size:>12,} {way:>8} {seconds:8.2f} "
                      f"{seconds / found['floor'][0]:8.2f} {peak:8.2f}")
        return 0
    measured = []
    print(TABLE_HEAD, flush=True)
    for size in args.sizes:  # each size's rows as soon as it is measured
        measured.append(measure(size, args.cache, peak=not args.no_peak))
        print(table(measured[-1:]), flush=True)
    if len(measured) > 1:
        first = measured[0]
        for m in measured[1:]:
            print(f"\n{first['size']:,} -> {m['size']:,} ({m['size'] / first['size']:.0f}x the "
                  f"respondents): run {m['run'] / first['run']:.2f}x"
                  + (f", peak {m['peak'] / first['peak']:.2f}x"
                     if m["peak"] and first["peak"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

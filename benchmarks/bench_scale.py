"""A whole study at 10k, 100k, 1M (and 3M) respondents: every stage of `cxstudy run`
timed beside its floor, measured in the same run on the same data.

The example study is scaled by repeating its customer exports (both waves) with
fresh ResponseIds, so every rule, table and page has the work it has on the example.
Each size is built once into the cache folder (``--cache``, outside the project).

Stages and their floors:

read       every export read by cxstudy (Arrow-backed, header rows, numbers)
           floor: ``pandas.read_csv(engine="pyarrow")`` of each text export,
           ``pandas.read_excel`` of each workbook
clean      the cleaning rules, coding, PII scrubbing
           floor: ``pandas.factorize`` of every column the study maps, plus one
           ``duplicated`` over (audience, id): a bare vectorised pass over the same cells
write      processed data (parquet + cleaning log)
           floor: ``DataFrame.to_parquet`` of the responses and ``to_csv`` of the log
tables     every table of every wave (counts, gaps, bootstrap, segments, themes, words)
           floor: one ``numpy.bincount`` per item over (audience, answer), per wave, plus
           the open answers factorized (the text each table needs, read once)
tables, by table: where the tables stage's time goes, each table's own time (not that of
           the tables it asked for first: the counts once, not in every table made from
           them), summed over the waves; the ten largest at each size
pages      the six notebooks executed and rendered, two at a time
           floor: six notebooks that only import the stack, executed and converted
run        ``cxstudy run`` end to end in a fresh process: wall time, and (in a second
           run, so that watching does not slow the timed one) peak memory
           of the process and its kernels (proportional set size summed, sampled every
           20 ms: pages two processes share count once, so a kernel forked from the run
           does not count the run's memory twice, as summed RSS would)

reading alone (``--read-only``): each way in a fresh process, its seconds and peak PSS:
           whole  ``read_sources`` (every row in memory)
           blocks ``iter_sources`` (each export read twice, in blocks; each block let go)
           floor  Arrow's streaming CSV reader (``pyarrow.csv.open_csv``) of every text
                  export, ``read_excel`` of every workbook

Usage:  .venv/bin/python benchmarks/bench_scale.py [--sizes 10000 100000 1000000]
                                                    [--cache /tmp/cxstudy-scale]
                                                    [--read-only | --run-only] [--read-only]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

# cxstudy imports scipy.stats when first used: its half second is start-up (in the whole
# run), not the tables stage
import scipy.stats  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_report import floor as pages_floor  # noqa: E402

import cxstudy as cx  # noqa: E402
from cxstudy.analysis import Results  # noqa: E402
from cxstudy.clean import source_table  # noqa: E402
from cxstudy.processed import write_processed  # noqa: E402
from cxstudy.render import build_report  # noqa: E402

CUSTOMERS = ("data/raw/example/customers_qualtrics.csv",
             "data/raw/example/2025/customers_qualtrics.csv")


def scaled_project(respondents: int, cache: Path) -> Path:
    """A copy of the example project whose customer exports hold ``respondents`` rows in
    all (half per wave), built once."""
    project = cache / f"example-{respondents}"
    if (project / ".complete").exists():
        return project
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "studies", project / "studies")
    shutil.copytree(ROOT / "data" / "raw", project / "data" / "raw")
    for name in CUSTOMERS:
        path = project / name
        rows = list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))
        header, body = rows[:3], rows[3:]
        id_at = header[0].index("ResponseId")
        wanted = respondents // len(CUSTOMERS)
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerows(header)
            for number in range(wanted):
                row = body[number % len(body)]
                copy = number // len(body)
                if copy:  # a new respondent; repeats within a copy stay repeats
                    row = [*row[:id_at], f"{row[id_at]}x{copy}", *row[id_at + 1:]]
                writer.writerow(row)
    (project / ".complete").touch()
    return project


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


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def floor_read(study) -> float:
    started = time.perf_counter()
    for source in study.sources:
        if source.path.suffix == ".xlsx":
            pd.read_excel(source.path, header=None)
        else:
            pd.read_csv(source.path, engine="pyarrow", header=None)
    return time.perf_counter() - started


def floor_clean(raw: pd.DataFrame, study) -> float:
    started = time.perf_counter()
    columns = {m.column for m in study.mappings()} | {"ResponseId", "Status", "Finished"}
    for column in columns & set(raw.columns):
        pd.factorize(raw[column])
    raw[["group", "ResponseId"]].duplicated()
    return time.perf_counter() - started


def floor_write(result, folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result.responses.to_parquet(folder / "floor.parquet")
    result.log.to_csv(folder / "floor.csv", index=False)
    return time.perf_counter() - started


def floor_tables(responses: pd.DataFrame, study) -> float:
    started = time.perf_counter()
    for _wave, part in responses.groupby("wave", sort=False, observed=True):
        group = part["group"].cat.codes.to_numpy()
        for item in study.items:
            codes = part[item.id].to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(codes)
            np.bincount(group[ok] * 16 + codes[ok].astype(np.int64),
                        minlength=16 * len(study.groups))
        for question in study.open_ended:
            pd.factorize(part[question.id])
    return time.perf_counter() - started


@contextlib.contextmanager
def seconds_per_table():
    """Each table's own seconds (name -> seconds) while the block computes tables: what a
    table took less the tables it asked for first (a table stacked over waves counts its
    waves' own tables under the same name)."""
    own: collections.Counter[str] = collections.Counter()
    asked: list[float] = []  # per table being computed: seconds of the tables it asked for
    compute_once = Results.table

    def timed_table(self, name):
        if name in self._tables:
            return compute_once(self, name)
        started = time.perf_counter()
        asked.append(0.0)
        value = compute_once(self, name)
        seconds = time.perf_counter() - started
        own[name] += seconds - asked.pop()
        if asked:
            asked[-1] += seconds
        return value

    Results.table = timed_table
    try:
        yield own
    finally:
        Results.table = compute_once


def stage_times(project: Path, scratch: Path
                ) -> tuple[dict[str, tuple[float, float]], collections.Counter[str]]:
    """(seconds, floor seconds) of each stage, in this process; and each table's own
    seconds."""
    study = cx.load_study(project / "studies" / "example.yml")
    raw, read = timed(cx.read_sources, study)
    read_floor = floor_read(study)
    result, clean = timed(cx.clean, raw, study)
    clean_floor = floor_clean(raw, study)
    sources = source_table(raw, result.log, study)
    folder, write = timed(write_processed, raw, result, study, scratch / "processed",
                          sources=sources)
    write_floor = floor_write(result, scratch / "floor")
    del raw
    results = Results(study, result.responses, log=result.log, sources=sources)
    with seconds_per_table() as by_table:
        _, tables = timed(lambda: results.write_tables(scratch / "tables")
                          and results.for_pages())
    tables_floor = floor_tables(result.responses, study)
    _, pages = timed(build_report, results, folder, scratch, notebook_jobs=2)
    pages_floor_seconds = pages_floor(scratch, workers=2)
    return {"read": (read, read_floor), "clean": (clean, clean_floor),
            "write": (write, write_floor), "tables": (tables, tables_floor),
            "pages": (pages, pages_floor_seconds)}, by_table


def whole_run(project: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (GB, the run and its kernels) of `cxstudy run`: two
    runs, one timed alone, one watched, so that watching does not slow the timed one."""
    command = [sys.executable, "-m", "cxstudy", "run", str(project / "studies" / "example.yml"),
               "--quiet"]
    started = time.perf_counter()
    timed_run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=project, check=False)
    seconds = time.perf_counter() - started
    if timed_run.returncode:
        raise SystemExit(f"cxstudy run failed: {timed_run.stderr.decode()[-2000:]}")
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
    return seconds, peak / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "cxstudy-scale")
    parser.add_argument("--read-only", action="store_true",
                        help="only reading, whole and in blocks, beside its floor")
    parser.add_argument("--run-only", action="store_true",
                        help="only `cxstudy run` end to end: wall seconds and peak memory")
    args = parser.parse_args()
    if args.run_only:
        print(f"{'respondents':>12} {'cxstudy run':>12} {'peak memory':>12}")
        for size in args.sizes:
            run_seconds, peak = whole_run(scaled_project(size, args.cache))
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
    rows, parts = [], []
    for size in args.sizes:
        project = scaled_project(size, args.cache)
        with tempfile.TemporaryDirectory() as scratch:
            stages, by_table = stage_times(project, Path(scratch))
        run_seconds, peak = whole_run(project)
        rows.append((size, stages, run_seconds, peak))
        parts.append((size, by_table))
        print(f"... {size:,} respondents done", file=sys.stderr, flush=True)
    stages_names = list(rows[0][1])
    print(f"{'respondents':>12} " + " ".join(f"{name:>19}" for name in stages_names)
          + f" {'cxstudy run':>12} {'peak memory':>12}")
    print(f"{'':>12} " + " ".join(f"{'s (floor, ratio)':>19}" for _ in stages_names))
    for size, stages, run_seconds, peak in rows:
        cells = [f"{ours:6.2f} ({floor:5.2f}, {ours / floor:4.1f}x)"
                 for ours, floor in stages.values()]
        print(f"{size:>12,} " + " ".join(f"{c:>19}" for c in cells)
              + f" {run_seconds:>10.1f} s {peak:>9.2f} GB")
    first = rows[0]
    for size, stages, run_seconds, peak in rows[1:]:
        factor = size / first[0]
        growth = " ".join(f"{name} {stages[name][0] / first[1][name][0]:.1f}x"
                          for name in stages_names)
        print(f"growth {first[0]:,} -> {size:,} ({factor:.0f}x the rows): {growth}; run "
              f"{run_seconds / first[2]:.1f}x, memory {peak / first[3]:.1f}x")
    for size, by_table in parts:
        largest = ", ".join(f"{name} {seconds:.2f}" for name, seconds in by_table.most_common(10))
        print(f"tables at {size:,} (s, {sum(by_table.values()):.2f} in all): {largest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the tone table adds to a run at 10k and 1M respondents (theme suggestions are a
separate command and add nothing to a run).

The example project scaled as in bench_scale.py (its cache is shared), read and cleaned
once; then, each on fresh results:

before   the tables stage of `cxstudy run` without the tone table (every table written,
         everything the pages show computed), as before the tone table existed
after    the same with it
tone     the tone table alone (each distinct answer scored once; the score cache emptied)

Before and after alternate ``--repeat`` times and the fastest of each is kept (on a shared
machine the stage's time varies more than the tone table costs; the tone table alone is
the steadier figure). The ratio after / before is what the tone table costs the tables
stage; its seconds are also put beside the whole run's time (docs/scale.md).

Usage:  .venv/bin/python benchmarks/bench_tone.py [--sizes 10000 1000000] [--repeat 3]
                                                   [--cache /tmp/cxstudy-scale]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import scipy.stats  # noqa: F401 - imported at start-up, not inside a timed stage

import cxstudy as cx
from cxstudy import registry, tone
from cxstudy.analysis import Results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scale import scaled_project  # noqa: E402 - the same scaled example, the same cache


def tables_stage(study, responses, log, folder: Path, *, with_tone: bool) -> float:
    saved = dict(registry.TABLES), dict(registry.WRITTEN)
    if not with_tone:
        registry.TABLES.pop("tone")
        registry.WRITTEN.pop("tone")
    tone.score_text.cache_clear()
    try:
        results = Results(study, responses, log=log)
        started = time.perf_counter()
        results.write_tables(folder)
        results.for_pages()
        return time.perf_counter() - started
    finally:
        registry.TABLES.clear()
        registry.TABLES.update(saved[0])
        registry.WRITTEN.clear()
        registry.WRITTEN.update(saved[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternations of before and after (the fastest of each is kept)")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "cxstudy-scale")
    args = parser.parse_args()
    for size in args.sizes:
        project = scaled_project(size, args.cache)
        study = cx.load_study(project / "studies" / "example.yml")
        result = cx.clean(cx.read_sources(study), study)
        responses, log = result.responses, result.log
        tone.tone_table(responses, study)  # the lexicon read once, as a run does at start
        before, after, alone = [], [], []
        with tempfile.TemporaryDirectory() as scratch:
            for k in range(args.repeat):  # alternated; the fastest of each kept
                before.append(tables_stage(study, responses, log, Path(scratch) / f"a{k}",
                                           with_tone=False))
                after.append(tables_stage(study, responses, log, Path(scratch) / f"b{k}",
                                          with_tone=True))
                tone.score_text.cache_clear()
                started = time.perf_counter()
                table = tone.tone_table(responses, study)
                alone.append(time.perf_counter() - started)
        before, after, alone = min(before), min(after), min(alone)
        answers = int(table["n"].sum())
        print(f"{size:>10,} respondents, {answers:,} open answers: tables stage "
              f"{before:.2f} s without tone, {after:.2f} s with it ({after / before:.3f}x); "
              f"tone table alone {alone:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

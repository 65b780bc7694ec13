"""The tables stage of the example study scaled to many respondents: what the open answers
(theme coding, theme table, quotes, words, voice similarity) and every other table cost.

Builds the scaled project as ``bench_scale.py`` does, reads and cleans
it once (not timed), then times ``Results.write_tables`` and ``Results.for_pages``: every
table the run writes and the pages show, per wave. Run it on two checkouts (before and
after a change) with the same ``--cache`` and compare the seconds.

Measured for issue 24 (1M respondents, before -> after voice_similarity, CPU seconds of
the tables stage on the same cleaned responses, a machine shared with other jobs): 6.45 ->
7.14 and 5.81 -> 6.01; voice_similarity itself 0.12 s per wave.

Usage:  .venv/bin/python benchmarks/bench_voices.py [--respondents 1000000]
                                                     [--cache /tmp/cxstudy-scale]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import scipy.stats  # noqa: E402, F401 - start-up, not the tables stage
from bench_scale import scaled_project  # noqa: E402 - the same scaled example, the same cache

import cxstudy as cx  # noqa: E402
from cxstudy.analysis import Results  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "cxstudy-scale")
    args = parser.parse_args()
    project = scaled_project(args.respondents, args.cache)
    study = cx.load_study(project / "studies" / "example.yml")
    result = cx.clean(cx.read_sources(study), study)
    results = Results(study, result.responses, log=result.log)
    with tempfile.TemporaryDirectory() as scratch:
        started, cpu = time.perf_counter(), time.process_time()
        results.write_tables(Path(scratch) / "tables")
        results.for_pages()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds too: on a shared machine the wall time says more about the neighbours
    print(f"{args.respondents:,} respondents: tables stage {seconds:.2f} s wall, {cpu:.2f} s "
          f"CPU ({len(results.computed)} tables computed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

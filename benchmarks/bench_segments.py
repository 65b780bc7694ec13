"""Speed and size of the segment counts: the example's latest wave copied to N respondents.

Cleans the example, takes its 2026 wave (2 segments, 16 items, 3 audiences) and repeats
its rows up to ``--respondents`` (nothing is written to disk). Prints, best of three:
  (a) the floor: a factorize of each segment's column and one bare ``np.bincount`` per
      (segment, item) of (level, audience, code) on plain integer arrays;
  (b) ``cx.segment_counts`` (the counts every segment table is made from) and b/a;
  (c) ``cx.segment_table`` from those counts alone (no respondents read);
  (d) ``cx.segment_table`` from the responses, given the item counts, as the report
      computed it before the counts (for comparison across versions);
and the pickled size of the counts, which does not depend on the respondents.

Usage:  .venv/bin/python benchmarks/bench_segments.py [--respondents N]
"""

from __future__ import annotations

import argparse
import gc
import pickle
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import cxstudy as cx
from cxstudy.counts import group_codes, item_codes
from cxstudy.waves import one_wave

ROOT = Path(__file__).resolve().parents[1]


def best(step, *args, repeat: int = 3, **kwargs) -> float:
    seconds = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        step(*args, **kwargs)
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def floor(responses: pd.DataFrame, study, codes: list[np.ndarray], group: np.ndarray):
    for segment in study.segments:
        level = pd.factorize(responses[segment.id])[0].astype(np.int64) + 1
        key = (level * (len(study.groups) + 1) + group + 1) * 6
        for answers in codes:
            np.bincount(key + answers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    study = cx.load_study(ROOT / "studies" / "example.yml")
    wave = one_wave(cx.clean(cx.read_sources(study), study).responses, study.waves[-1])
    copies = args.respondents // len(wave) + 1
    responses = pd.concat([wave] * copies, ignore_index=True).iloc[:args.respondents]
    responses = responses.reset_index(drop=True)
    print(f"{len(responses):,} respondents of wave {study.waves[-1]}: "
          f"{len(study.segments)} segments, {len(study.items)} items, "
          f"{len(study.groups)} audiences", flush=True)
    codes = [item_codes(responses, i.id).astype(np.int64) for i in study.items]
    group = group_codes(responses, study.groups)
    floor_seconds = best(floor, responses, study, codes, group)
    del codes
    counts_seconds = best(cx.segment_counts, responses, study)
    counts = cx.segment_counts(responses, study)
    table_seconds = best(cx.segment_table, None, study, counts=counts)
    item_counts = cx.level_counts(responses, study)
    before_seconds = best(cx.segment_table, responses, study, counts=item_counts)
    print(f"(a) floor, factorize + one bare bincount per segment and item: "
          f"{floor_seconds:7.3f} s")
    print(f"(b) cx.segment_counts: {counts_seconds:7.3f} s   b/a = "
          f"{counts_seconds / floor_seconds:.2f}")
    print(f"(c) cx.segment_table from the counts alone: {table_seconds:7.3f} s")
    print(f"(d) cx.segment_table from the responses (given the item counts): "
          f"{before_seconds:7.3f} s")
    print(f"counts pickled: {len(pickle.dumps(counts)):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

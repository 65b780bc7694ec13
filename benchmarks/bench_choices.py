"""Speed of choice questions on 1,000,000 respondents x 5 questions x 3 groups.

Three pick-one questions of 5 options and two check-all-that-apply questions of 6 options
(27 option indicators, nullable Int8 0/1 columns as in responses.parquet). Prints wall
time for
  (a) the floor: the fastest bare counting pass (per option, np.bincount of
      group_code * 3 + indicator_code on plain integer arrays);
  (b) every choice table as the report computes them: one cx.choice_counts (the counts
      core, one pattern table per question) shared by choice_table, choice_shares and
      choice_tests; and (b0) choice_counts alone;
  (c) coding: the raw cells of the two check-all questions (one cell per respondent,
      "A, B" joined) into indicators by cxstudy.choices.code_choices, against
      (c0) its floor: pd.factorize of those columns (the least any reading of a text
      column per distinct value must do);
and the ratios b/a, b0/a and c/c0.

Usage:  .venv/bin/python benchmarks/bench_choices.py [--respondents N]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings

import numpy as np
import pandas as pd

import cxstudy as cx
from cxstudy.choices import (
    choice_counts,
    choice_shares,
    choice_table,
    choice_tests,
    code_choices,
)

GROUPS = ("leadership", "staff", "customers")
PICK_ONE, CHECK_ALL = 3, 2
OPTIONS_ONE, OPTIONS_ALL = 5, 6


def build(respondents: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    group = rng.choice(3, size=respondents, p=[0.05, 0.15, 0.80])
    frame = {"respondent_id": pd.array(np.arange(respondents).astype(str), dtype="string"),
             "group": pd.Categorical.from_codes(group, categories=list(GROUPS)),
             "weight": np.ones(respondents)}
    choices, cells = [], {}
    for q in range(PICK_ONE):
        labels = [f"Option {o}" for o in range(OPTIONS_ONE)]
        picked = rng.integers(0, OPTIONS_ONE, respondents)
        missing = rng.random(respondents) < 0.05
        for o, label in enumerate(labels):
            frame[f"one{q}::{label}"] = pd.arrays.IntegerArray(
                (picked == o).astype(np.int8), missing)
        choices.append({"id": f"one{q}", "text": f"Pick one {q}", "options": labels,
                        "column": f"one{q}"})
    for q in range(CHECK_ALL):
        labels = [f"Reason {o}, and more" if o == 2 else f"Reason {o}"
                  for o in range(OPTIONS_ALL)]
        ticked = rng.random((respondents, OPTIONS_ALL)) < np.linspace(0.1, 0.6, OPTIONS_ALL)
        nothing = ~ticked.any(axis=1)
        for o, label in enumerate(labels):
            frame[f"all{q}::{label}"] = pd.arrays.IntegerArray(
                ticked[:, o].astype(np.int8), nothing)
        # the same answers as one cell "A, B" per respondent (Google Forms), for coding
        patterns = ticked @ (1 << np.arange(OPTIONS_ALL))
        texts = np.array([", ".join(label for o, label in enumerate(labels) if p >> o & 1)
                          or None for p in range(1 << OPTIONS_ALL)], dtype=object)
        cells[f"all{q}"] = pd.Series(texts[patterns], dtype="str")
        choices.append({"id": f"all{q}", "text": f"Check all {q}", "multiple": True,
                        "options": labels, "column": f"all{q}"})
    study = cx.load_study({
        "study": "benchmark", "slug": "bench", "groups": list(GROUPS),
        "sources": [{"path": "none.csv", "group_column": "g"}], "choices": choices})
    raw = pd.DataFrame({"source": "none", "source_row": np.arange(1, respondents + 1),
                        "group": pd.Categorical.from_codes(group, categories=list(GROUPS)),
                        **cells})
    raw.attrs["sources"] = {"none": {"columns": ["g", *cells], "questions": {}}}
    return pd.DataFrame(frame), study, raw


def best(step, *args, repeat: int = 3) -> float:
    seconds = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        step(*args)
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def floor(columns: list[np.ndarray], group_bins: np.ndarray):
    return [np.bincount(group_bins + codes, minlength=4 * 3) for codes in columns]


def every_table(responses, study):
    counts = choice_counts(responses, study)
    return (choice_table(responses, study, counts=counts),
            choice_shares(responses, study, counts=counts),
            choice_tests(responses, study, counts=counts))


def factorize(raw, columns):
    return [pd.factorize(raw[c]) for c in columns]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"building {args.respondents:,} respondents x {PICK_ONE + CHECK_ALL} choice "
          "questions x 3 groups ...", flush=True)
    responses, study, raw = build(args.respondents)
    indicators = [c for q in study.choices for c in q.indicator_columns]
    codes = [np.ascontiguousarray(responses[c].to_numpy(dtype=np.int64, na_value=-1) + 1)
             for c in indicators]
    group_bins = responses["group"].cat.codes.to_numpy(np.int64) * 3

    floor_seconds = best(floor, codes, group_bins)
    del codes
    counts_seconds = best(choice_counts, responses, study)
    tables_seconds = best(every_table, responses, study)
    cell_study = study.__class__(**{**study.__dict__, "choices": tuple(
        q for q in study.choices if q.multiple)})
    coding_seconds = best(code_choices, raw, cell_study, repeat=1)
    factorize_seconds = best(factorize, raw, [q.id for q in cell_study.choices])
    print(f"option indicators: {len(indicators)} nullable Int8 columns")
    print(f"(a)  floor, bare bincount pass over the indicators: {floor_seconds:7.3f} s")
    print(f"(b0) choice_counts (the counts core, one block per question): "
          f"{counts_seconds:7.3f} s   b0/a = {counts_seconds / floor_seconds:.2f}")
    print(f"(b)  choice_counts + choice_table + choice_shares + choice_tests: "
          f"{tables_seconds:7.3f} s   b/a = {tables_seconds / floor_seconds:.2f}")
    print(f"(c)  code_choices, two check-all questions from joined cells: "
          f"{coding_seconds:7.3f} s")
    print(f"(c0) floor, pd.factorize of those cells: {factorize_seconds:7.3f} s   "
          f"c/c0 = {coding_seconds / factorize_seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

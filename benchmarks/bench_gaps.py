"""Speed and memory of the gap statistics on 1,000,000 respondents x 40 items x 3 groups.

Prints wall time and peak memory for
  (a) the floor: the fastest bare counting pass (per item, np.bincount of
      group_code * (k + 1) + answer_code on plain integer arrays);
  (b) cx.gap_table + cx.dimension_gaps on the responses frame (the counts core),
      sharing one cx.level_counts as the report notebooks do, and (b') each
      counting for itself;
  (c) the same statistics the usual way: scipy / statsmodels / pingouin per item and
      pair on the raw answers (Cliff's delta from scipy's U, without an interval:
      pingouin.mwu needs an n1 x n2 matrix and effsize-style intervals do not run at
      this size, so (c) is flattered);
and the ratios b/a and c/b. Memory: tracemalloc peak of each step above what
existed before it, against the size of the coded data (nullable Int8 columns).

Usage:  .venv/bin/python benchmarks/bench_gaps.py [--respondents N] [--skip-usual]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import cxstudy as cx

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("leadership", "staff", "customers")
ITEMS, DIMENSIONS, K = 40, 8, 5


def build(respondents: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    group = rng.choice(3, size=respondents, p=[0.05, 0.15, 0.80])
    frame = {"respondent_id": pd.array(np.arange(respondents).astype(str), dtype="string"),
             "group": pd.Categorical.from_codes(group, categories=list(GROUPS)),
             "weight": np.ones(respondents)}
    latent = rng.normal(size=respondents) + np.array([0.8, 0.4, 0.0])[group]
    for j in range(ITEMS):
        codes = np.clip(np.round(3 + latent + rng.normal(0, 1, respondents)), 1, K).astype(
            np.int8)
        missing = rng.random(respondents) < 0.05
        frame[f"i{j:02d}"] = pd.arrays.IntegerArray(codes, missing)
    responses = pd.DataFrame(frame)
    study = cx.load_study({
        "study": "benchmark", "slug": "bench", "groups": list(GROUPS),
        "sources": [{"path": "none.csv", "group_column": "g"}],
        "scales": {"agree5": {"labels": ["1", "2", "3", "4", "5"], "top_box": 2}},
        "items": [{"id": f"i{j:02d}", "text": f"item {j}", "scale": "agree5",
                   "column": f"i{j:02d}", "dimension": f"dim{j % DIMENSIONS}"}
                  for j in range(ITEMS)]})
    return responses, study


def measure(step, *args, repeat: int = 3):
    """Best wall time of ``repeat`` runs, then one more run under tracemalloc for the
    peak memory it allocates (tracemalloc slows allocation, so it is not timed)."""
    seconds = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = step(*args)
        seconds.append(time.perf_counter() - started)
    del result
    gc.collect()
    tracemalloc.start()
    step(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(seconds), peak


def floor(columns: list[np.ndarray], group_bins: np.ndarray):
    size = 4 * (K + 1)
    return [np.bincount(group_bins + codes, minlength=size) for codes in columns]


def tables(responses, study):
    """As a user calls them: each table counts for itself."""
    return cx.gap_table(responses, study), cx.dimension_gaps(responses, study)


def tables_sharing_counts(responses, study):
    """As the report notebooks call them: one counting pass shared by both tables."""
    counts = cx.level_counts(responses, study)
    return (cx.gap_table(responses, study, counts=counts),
            cx.dimension_gaps(responses, study, counts=counts))


def usual_way(responses, study):
    import pingouin
    from scipy import stats as sps
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        proportion_effectsize,
    )

    rows = []
    group = responses["group"].to_numpy()
    reference = responses["group"] == study.reference
    for item in study.items:
        answers = responses[item.id]
        y = answers[reference].dropna().to_numpy(float)
        for name in ("leadership", "staff"):
            x = answers[group == name].dropna().to_numpy(float)
            s1, s2 = int((x >= 4).sum()), int((y >= 4).sum())
            row = {"wilson": proportion_confint(s1, len(x), method="wilson"),
                   "wilson_ref": proportion_confint(s2, len(y), method="wilson"),
                   "newcombe": confint_proportions_2indep(s1, len(x), s2, len(y),
                                                          method="newcomb"),
                   "chi2": sps.chi2_contingency([[s1, len(x) - s1], [s2, len(y) - s2]],
                                                correction=False).pvalue,
                   "h": proportion_effectsize(s1 / len(x), s2 / len(y)),
                   "welch": sps.ttest_ind(x, y, equal_var=False).confidence_interval()}
            # pingouin.mwu would also give Cliff's delta (its RBC) but builds an
            # n1 x n2 matrix for CLES (270 GiB here), so: scipy's U, and delta from U
            mwu = sps.mannwhitneyu(x, y, method="asymptotic")
            row["mw_p"] = mwu.pvalue
            row["delta"] = 2 * mwu.statistic / (len(x) * len(y)) - 1
            rows.append(row)
    for dimension in study.dimensions:
        members = [i.id for i in study.items if i.dimension == dimension]
        block = responses[members].astype(float)
        score = block.mean(axis=1).where(block.notna().sum(axis=1) * 2 >= len(members))
        y = score[reference].dropna()
        for name in ("leadership", "staff", "customers"):
            pingouin.cronbach_alpha(block[group == name])
            if name != "customers":
                sps.ttest_ind(score[group == name].dropna(), y, equal_var=False)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--skip-usual", action="store_true", help="skip (c), the slow one")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    print(f"building {args.respondents:,} respondents x {ITEMS} items x 3 groups ...",
          flush=True)
    responses, study = build(args.respondents)
    coded_bytes = sum(responses[i.id].array.nbytes for i in study.items)
    codes = [np.ascontiguousarray(responses[i.id].to_numpy(dtype=np.int64, na_value=0))
             for i in study.items]
    group_bins = responses["group"].cat.codes.to_numpy(np.int64) * (K + 1)

    floor_seconds, floor_peak = measure(floor, codes, group_bins)
    del codes
    separate_seconds, separate_peak = measure(tables, responses, study)
    shared_seconds, shared_peak = measure(tables_sharing_counts, responses, study)
    mib = 2 ** 20
    print(f"coded data (40 nullable Int8 columns): {coded_bytes / mib:.0f} MiB")
    print(f"(a)  floor, bare bincount pass:              {floor_seconds:7.3f} s   "
          f"peak +{floor_peak / mib:.0f} MiB")
    print(f"(b)  gap_table + dimension_gaps, one shared level_counts (as the notebooks): "
          f"{shared_seconds:7.3f} s   peak +{shared_peak / mib:.0f} MiB "
          f"({shared_peak / coded_bytes:.2f}x the coded data)")
    print(f"     b/a  = {shared_seconds / floor_seconds:.2f}   (aim <= 2)")
    print(f"(b') gap_table + dimension_gaps, each counting for itself: "
          f"{separate_seconds:7.3f} s   peak +{separate_peak / mib:.0f} MiB")
    print(f"     b'/a = {separate_seconds / floor_seconds:.2f}")
    if not args.skip_usual:
        usual_seconds, usual_peak = measure(usual_way, responses, study, repeat=1)
        print(f"(c)  the usual way (scipy/statsmodels/pingouin per item and pair): "
              f"{usual_seconds:7.1f} s   peak +{usual_peak / mib:.0f} MiB")
        print(f"     c/b  = {usual_seconds / shared_seconds:.0f}   (aim >= 20);  c/b' = "
              f"{usual_seconds / separate_seconds:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

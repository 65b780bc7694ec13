"""What writing tables.xlsx and deck.pptx adds to a run of the example study.

Runs ``cxstudy run studies/example.yml`` several times with the deliverables (the
default) and without (``deliverables: {deck: false, workbook: false}``), alternating so
that both see the same load, each in its own process with its own ``--out``. Prints, per
run and as medians, the wall time and the CPU time of the run and everything it started
(the notebooks' kernels included), and the added share. On a shared machine the CPU time
is the steadier measure; on an idle one, the wall time is what a user waits.

Usage:  .venv/bin/python benchmarks/bench_deliverables.py [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def project(folder: Path) -> dict[str, Path]:
    """The example's study file twice, beside links to its data and codebook: with and
    without the deliverables."""
    studies = folder / "studies"
    studies.mkdir(parents=True)
    (folder / "data").symlink_to(ROOT / "data")
    (studies / "themes").symlink_to(ROOT / "studies" / "themes")
    text = (ROOT / "studies" / "example.yml").read_text(encoding="utf-8")
    paths = {"with": studies / "with.yml", "without": studies / "without.yml"}
    paths["with"].write_text(text, encoding="utf-8")
    paths["without"].write_text(text + "\ndeliverables: {deck: false, workbook: false}\n",
                                encoding="utf-8")
    return paths


def one_run(study: Path, out: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one cxstudy run."""
    before = os.times()
    began = time.perf_counter()
    command = [sys.executable, "-m", "cxstudy", "run", str(study), "--out", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - began
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system
                                                          - before.children_system)
    shutil.rmtree(out, ignore_errors=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxstudy-bench-deliverables-") as tmp:
        studies = project(Path(tmp) / "project")
        found: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
        for run in range(args.runs):
            for kind in ("without", "with"):
                wall, cpu = one_run(studies[kind], Path(tmp) / f"out-{kind}-{run}", args.jobs)
                found[kind].append((wall, cpu))
                print(f"run {run + 1} {kind:>7} deliverables: wall {wall:6.1f} s, "
                      f"cpu {cpu:6.1f} s", flush=True)
    medians = {kind: (statistics.median(w for w, _ in runs),
                      statistics.median(c for _, c in runs)) for kind, runs in found.items()}
    for kind, (wall, cpu) in medians.items():
        print(f"median {kind:>7}: wall {wall:6.1f} s, cpu {cpu:6.1f} s")
    (wall_a, cpu_a), (wall_b, cpu_b) = medians["without"], medians["with"]
    print(f"added by tables.xlsx and deck.pptx: wall {wall_b - wall_a:+.1f} s "
          f"({(wall_b / wall_a - 1):+.0%}), cpu {cpu_b - cpu_a:+.1f} s "
          f"({(cpu_b / cpu_a - 1):+.0%})")


if __name__ == "__main__":
    main()

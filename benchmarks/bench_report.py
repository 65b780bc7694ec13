"""Wall time of `cxstudy run` on the example study against a floor measured in the
same run: executing the same number of notebooks that only import the stack
(pandas, numpy, scipy, statsmodels, seaborn, matplotlib, cxstudy) with papermill,
plus their nbconvert to HTML.

Usage:  .venv/bin/python benchmarks/bench_report.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

import cxstudy as cx
from cxstudy.registry import PAGES

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = """import numpy, pandas, scipy.stats, statsmodels.api, seaborn
import matplotlib.pyplot as plt
import cxstudy"""


def floor(folder: Path, workers: int = 1) -> float:
    """The floor: import-only notebooks executed and converted, ``workers`` at a time
    (no ``cwd``: papermill would change this process's directory from several threads)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda number: _floor_notebook(folder, number), range(len(PAGES))))
    return time.perf_counter() - started


def _floor_notebook(folder: Path, number: int) -> None:
    source, target = folder / f"floor_{number}.ipynb", folder / f"floor_{number}.out.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(IMPORTS)]
    nbformat.write(nb, source)
    pm.execute_notebook(str(source), str(target), kernel_name="python3",
                        progress_bar=False, log_output=False,
                        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(
        nbformat.read(target, as_version=4))
    (folder / f"floor_{number}.html").write_text(body)


def full_run(folder: Path, workers: int) -> float:
    project = folder / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "studies", project / "studies")
    shutil.copytree(ROOT / "data" / "raw", project / "data" / "raw")
    started = time.perf_counter()
    cx.run(project / "studies" / "example.yml", notebook_jobs=workers)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    args = parser.parse_args()
    workers = min(len(PAGES), os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {"serial": ([], []), "parallel": ([], [])}
        for _ in range(args.repeat):  # interleaved, so all see the same machine state
            for mode, jobs in (("serial", 1), ("parallel", workers)):
                results[mode][0].append(floor(folder, jobs))
                results[mode][1].append(full_run(folder, jobs))
    for mode, (floors, runs) in results.items():
        jobs = 1 if mode == "serial" else workers
        print(f"{mode} ({jobs} notebook(s) at a time):")
        print(f"  floor, {len(PAGES)} notebooks importing the stack + nbconvert: "
              f"{min(floors):5.1f} s   (runs: {', '.join(f'{t:.1f}' for t in floors)})")
        print(f"  cxstudy run on the example (read, clean, tables, notebooks, HTML, manifest): "
              f"{min(runs):5.1f} s   (runs: {', '.join(f'{t:.1f}' for t in runs)})")
        print(f"  ratio: {min(runs) / min(floors):.2f}   (aim <= 1.5)")
    serial_floor = min(results["serial"][0])
    print(f"default cxstudy run ({workers} at a time) against the serial floor: "
          f"{min(results['parallel'][1]) / serial_floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

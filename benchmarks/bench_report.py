"""Wall time of `cxstudy run` on the example study against a floor measured in the
same run: executing the same number of notebooks that only import the stack
(pandas, numpy, scipy, statsmodels, seaborn, matplotlib, cxstudy) with papermill,
plus their nbconvert to HTML.

Usage:  .venv/bin/python benchmarks/bench_report.py [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

import cxstudy as cx
from cxstudy.render import PAGES

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = """import numpy, pandas, scipy.stats, statsmodels.api, seaborn
import matplotlib.pyplot as plt
import cxstudy"""


def floor(folder: Path) -> float:
    started = time.perf_counter()
    for number in range(len(PAGES)):
        source, target = folder / f"floor_{number}.ipynb", folder / f"floor_{number}.out.ipynb"
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell(IMPORTS)]
        nbformat.write(nb, source)
        pm.execute_notebook(str(source), str(target), kernel_name="python3", cwd=str(folder),
                            progress_bar=False, log_output=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
        body, _ = HTMLExporter(exclude_input=True).from_notebook_node(
            nbformat.read(target, as_version=4))
        (folder / f"floor_{number}.html").write_text(body)
    return time.perf_counter() - started


def full_run(folder: Path) -> float:
    project = folder / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "studies", project / "studies")
    shutil.copytree(ROOT / "data" / "raw", project / "data" / "raw")
    started = time.perf_counter()
    cx.run(project / "studies" / "example.yml")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floors, runs = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine state
            floors.append(floor(folder))
            runs.append(full_run(folder))
    best_floor, best_run = min(floors), min(runs)
    print(f"floor: {len(PAGES)} notebooks importing the stack + nbconvert: {best_floor:6.1f} s "
          f"(runs: {', '.join(f'{t:.1f}' for t in floors)})")
    print(f"cxstudy run studies/example.yml (read, clean, tables, {len(PAGES)} notebooks, "
          f"HTML, manifest): {best_run:6.1f} s (runs: {', '.join(f'{t:.1f}' for t in runs)})")
    print(f"ratio: {best_run / best_floor:.2f}   (aim <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Kernels started ahead for the report's pages and used again (cxstudy._kernels): a
page gets a kernel ready for it, a kernel reset between two pages gives the second what
a fresh kernel would, a kernel that cannot be reset is replaced, none outlives the
report, and a kernel that cannot start leaves the page to start its own."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import psutil

from cxstudy import render
from cxstudy._kernels import WarmKernels

# a page that leaves behind everything a page can leave in its kernel
UNTIDY = """\
left_by_the_page = 1
import os, sys, warnings
import matplotlib, matplotlib.pyplot as plt, pandas as pd
os.chdir(os.path.dirname(os.getcwd()))
sys.path.append("/left/by/the/page")
os.environ["CXSTUDY_LEFT_BY_THE_PAGE"] = "1"
warnings.simplefilter("error")
matplotlib.rcParams["font.size"] = 33
matplotlib.rcParams["axes.titleweight"] = "bold"
pd.set_option("display.max_rows", 3)
figure = plt.figure()
"""

# a page that says what it finds in its kernel, once it imported what the pages import
LOOK = """\
import importlib, json, os, sys, warnings
from cxstudy._kernels import STACK
for name in STACK:
    importlib.import_module(name)
import matplotlib, matplotlib.pyplot as plt, pandas as pd
print(json.dumps({
    "left": "left_by_the_page" in globals(), "cwd": os.getcwd(), "path": sys.path,
    "environ": os.environ.get("CXSTUDY_LEFT_BY_THE_PAGE"),
    "filters": [repr(f) for f in warnings.filters],
    "rc": {k: repr(v) for k, v in matplotlib.rcParams.items()},
    "pandas": {k: repr(pd.get_option(k)) for k in ("display.max_rows", "display.width")},
    "figures": plt.get_fignums(), "count": get_ipython().execution_count}))
"""


def _notebook(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    kernelspec = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)],
                                            metadata={"kernelspec": kernelspec}), path)
    return path


def _run(source: Path, target: Path, cwd: Path, kernel=None) -> dict | None:
    render.execute(source, target, {}, cwd, kernel=kernel)
    said = [output["text"] for output in nbformat.read(target, as_version=4).cells[-1].outputs
            if output.get("name") == "stdout"]
    return json.loads(said[0]) if said else None


def _kernel_process(manager) -> psutil.Process:
    return psutil.Process(manager.provisioner.pid)


def test_a_kernel_reset_between_pages_gives_the_next_page_what_a_fresh_kernel_would(
        tmp_path):
    """The next page finds no name, figure, setting, folder, path, variable or warning
    filter the page before it left, and the execution count a new kernel has: what it finds equals
    what the same page finds in a kernel started for it alone. The kernel is the same
    process (the point: its imports stay)."""
    untidy = _notebook(tmp_path, "untidy.ipynb", UNTIDY)
    look = _notebook(tmp_path, "look.ipynb", LOOK)
    fresh = _run(look, tmp_path / "fresh.ipynb", tmp_path)
    with WarmKernels(1, tmp_path, render._kernel_manager_class()) as kernels:
        kernels.expect(2)
        kernel = kernels.take()
        process = _kernel_process(kernel)
        _run(untidy, tmp_path / "untidy-run.ipynb", tmp_path, kernel)
        kernels.release(kernel)
        again = kernels.take()
        assert again is kernel and _kernel_process(again).pid == process.pid
        after = _run(look, tmp_path / "look-run.ipynb", tmp_path, again)
        kernels.release(again)
    assert after == fresh
    assert after["left"] is False and after["figures"] == [] and after["environ"] is None
    assert Path(after["cwd"]) == tmp_path and "/left/by/the/page" not in after["path"]
    assert not psutil.wait_procs([process], timeout=30)[1]


def test_kernels_serve_every_page_and_none_outlives_the_report(tmp_path):
    """Two kernels for three pages: each page gets a started kernel, never one another
    page holds; the third page's is one of the two, reset; once no page is left to take
    one, a kernel handed back is shut down, and closing twice is harmless."""
    kernels = WarmKernels(2, tmp_path, render._kernel_manager_class())
    processes = set()
    try:
        kernels.expect(3)
        first, second = kernels.take(), kernels.take()
        assert first is not second and first.has_kernel and second.has_kernel
        assert Path(_kernel_process(first).cwd()) == tmp_path
        processes |= {_kernel_process(first), _kernel_process(second)}
        kernels.release(first)
        third = kernels.take()
        assert third is first  # reset, not a third process
        kernels.release(second)  # no page left to take it: shut down
        kernels.release(third)
        assert kernels.take() is None  # no page is left to take one
    finally:
        kernels.close()
    kernels.close()
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive and len(gone) == 2


def test_a_kernel_that_cannot_be_reset_is_replaced_and_a_failed_pages_is_not_used_again(
        tmp_path):
    """A kernel that died in its page (its reset gets no answer) is replaced by a new
    one for the next page; the kernel of a page that failed is shut down, not reset."""
    look = _notebook(tmp_path, "look.ipynb", LOOK)
    with WarmKernels(1, tmp_path, render._kernel_manager_class()) as kernels:
        kernels.expect(3)
        kernel = kernels.take()
        dead = _kernel_process(kernel)
        dead.kill()
        dead.wait(timeout=30)
        kernels.release(kernel)
        replaced = kernels.take()
        assert replaced is not None and _kernel_process(replaced).pid != dead.pid
        assert _run(look, tmp_path / "look-run.ipynb", tmp_path, replaced)["left"] is False
        failed = _kernel_process(replaced)
        kernels.release(replaced, again=False)
        assert kernels.take() is None  # nothing handed back: the page starts its own
        assert not psutil.wait_procs([failed], timeout=30)[1]


def test_kernels_started_beyond_the_pages_are_shut_down(tmp_path):
    """Two kernels ahead for a study of one page: the one no page takes is shut down as
    soon as the pages are known, before the report ends."""
    with WarmKernels(2, tmp_path, render._kernel_manager_class()) as kernels:
        waiting = list(kernels._ahead)
        kernels.expect(1)
        managers = [future.result(timeout=60) for future in waiting]
        taken = kernels.take()
        assert taken is managers[0]
        try:
            spare = _kernel_process(managers[1])
        except (psutil.NoSuchProcess, AttributeError):  # shut down already (its provisioner gone)
            spare = None
        if spare is not None:
            psutil.wait_procs([spare], timeout=30)
            assert not spare.is_running() or spare.status() == psutil.STATUS_ZOMBIE
        kernels.release(taken)


def test_a_kernel_that_cannot_start_ahead_leaves_the_page_to_start_its_own(tmp_path):
    """A kernel that fails to start ahead is no kernel for the page (None): papermill
    then starts one itself and says what fails, as without kernels started ahead."""
    class Refusing(render._kernel_manager_class()):
        async def start_kernel(self, **kwargs):
            raise OSError("no processes left")

    with WarmKernels(1, tmp_path, Refusing) as kernels:
        kernels.expect(1)
        assert kernels.take() is None

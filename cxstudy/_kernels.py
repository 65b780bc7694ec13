"""Kernels for the report's pages, started before the pages need them and used again.

A page's notebook runs in a kernel, and a kernel takes most of a second to start and
another to import the stack (pandas, matplotlib, cxstudy) the page needs.
:class:`WarmKernels` starts ``jobs`` kernels while the run still makes the tables, and
each imports the stack the pages import (:data:`STACK`); each page takes one, runs in
it and hands it back, and the kernel is *reset* for the next page instead of shut down:
the stack stays imported, what the page left does not.

The reset (:data:`RESET`) gives the next page what the kernel gave its first page:
IPython's own reset with a new session (every name the page defined, its outputs and
history gone, the execution count a new kernel's), every figure closed, and
matplotlib's settings, pandas' options (their defaults), the working folder, module
search path, environment variables and warning filters (with the record of warnings
already shown) as they were once the stack was imported (:data:`SNAPSHOT`, taken
before the first page). ``tests/test_kernels.py`` checks that a page finds all of
these as it finds them in a kernel started for it alone. Modules stay imported; a
module's own state a page changed by other means (a registered display formatter, a
cache of a third-party library) is not put back, and a warning filter that a module
outside the stack added when a page imported it goes with the reset (the module is
not imported again). A kernel whose reset fails is shut down and another started
in its place.

Measured on the example (six pages, two at a time, 2026-12-04, the 2-core machine):
the run took 16.3 s with a fresh kernel for each page, 12.3-12.7 s with kernels reset
between pages, and 11.5-12.4 s once the kernels also import the stack before their
first page (while the tables are made); a million respondents' run 26.7 s, then 23.7 s.
Every page and executed notebook came out the same, byte for byte (the build time
and papermill's cell ids aside). At most ``jobs`` kernels run, where a kernel for each
page kept one more started ahead.

Importing the stack in kernels ahead was tried before, when each page had a kernel of
its own: the example's run took 20.9 s with it against 18.0 s without, and 5-8 s more
processor time, since six kernels imported it, not two.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 60  # seconds for a kernel to start
RESET_TIMEOUT = 30  # seconds for a kernel to take its snapshot or reset

KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
"""The kernel's start-up warnings are noise in a report run."""

STACK = ("matplotlib.pyplot", "IPython.display", "cxstudy.plots", "cxstudy.report",
         "cxstudy.voices")
"""What the report's pages import first, imported in a kernel before its first page."""

SNAPSHOT = f"""\
def _cxstudy_snapshot():
    import importlib, os, sys, warnings
    for name in {STACK!r}:
        importlib.import_module(name)
    import matplotlib
    get_ipython()._cxstudy_fresh = {{
        "cwd": os.getcwd(), "path": list(sys.path), "environ": dict(os.environ),
        "warnings": list(warnings.filters), "rc": dict(matplotlib.rcParams.copy())}}
_cxstudy_snapshot()
del _cxstudy_snapshot
"""
"""Run silently in a kernel before its first page: the stack imported (:data:`STACK`),
then what :data:`RESET` puts back noted, on the shell (which a reset keeps)."""

RESET = """\
def _cxstudy_reset():
    import gc, os, sys, warnings
    import matplotlib, matplotlib.pyplot as plt, pandas as pd
    shell = get_ipython()
    fresh = shell._cxstudy_fresh
    shell.reset(new_session=True)
    os.chdir(fresh["cwd"])
    sys.path[:] = fresh["path"]
    os.environ.clear()
    os.environ.update(fresh["environ"])
    warnings.resetwarnings()  # also forgets which warnings were shown once already
    warnings.filters[:] = fresh["warnings"]
    plt.close("all")
    dict.update(matplotlib.rcParams, fresh["rc"])  # as matplotlib's rc_context restores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.reset_option("all")
    gc.collect()
_cxstudy_reset()
"""
"""Run silently in a kernel between two pages (see the module's docstring)."""


class KernelNotReusable(RuntimeError):
    """A kernel's snapshot or reset did not succeed."""


async def run_silently(manager: Any, code: str, timeout: float = RESET_TIMEOUT) -> None:
    """Run ``code`` in the kernel of ``manager`` without output or history (IPython's
    ``silent``: the execution count does not move); raises
    :class:`KernelNotReusable` when the kernel does not answer in time or the code
    fails."""
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=timeout)
        msg_id = client.execute(code, silent=True, store_history=False,
                                allow_stdin=False)
        while True:
            reply = await client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    except Exception as exc:  # no answer in time, a dead kernel
        raise KernelNotReusable(f"the kernel did not answer ({type(exc).__name__})") from exc
    finally:
        client.stop_channels()
    content = reply["content"]
    if content.get("status") != "ok":
        raise KernelNotReusable(f"{content.get('ename')}: {content.get('evalue')}")


class WarmKernels:
    """``jobs`` kernels started ahead for the report's pages and used page after page.

    The kernels are started, reset and shut down by one thread of their own (one event
    loop), so that the run goes on meanwhile. :meth:`take` hands a page a kernel ready
    for it, or None when none could start (the page then starts its own, as papermill
    does, and says why if that fails too). :meth:`release` takes it back once its page
    ran: reset for a page still to come, else shut down. :meth:`close` shuts down every
    kernel no page holds.

    Parameters
    ----------
    jobs : int
        Kernels started ahead: the pages run at a time.
    cwd : Path
        The kernels' working folder (the project root, as the pages expect).
    manager_class : type
        The kernel manager (an ``AsyncKernelManager``) papermill would use.
    """

    def __init__(self, jobs: int, cwd: Path, manager_class: type) -> None:
        self._cwd, self._manager_class = str(cwd), manager_class
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="cxstudy-kernels")
        self._thread.start()
        self._lock = threading.Lock()
        self._ahead: deque[Future] = deque(self._submit(self._start()) for _ in range(jobs))
        self._stopping: list[Future] = []
        self._left: int | None = None  # pages still to take a kernel, once told
        self._closed = False

    def _submit(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _start(self) -> Any:
        """A kernel's process started, answering, its fresh state noted (:data:`SNAPSHOT`)."""
        manager = self._manager_class(kernel_name="python3")
        await manager.start_kernel(cwd=self._cwd, extra_arguments=KERNEL_ARGUMENTS)
        try:
            await run_silently(manager, SNAPSHOT, timeout=STARTUP_TIMEOUT)
        except BaseException:
            await manager.shutdown_kernel(now=True)
            raise
        return manager

    async def _reset(self, manager: Any) -> Any:
        """The kernel a page ran in, reset for the next; or, when it cannot be, a new one."""
        try:
            await run_silently(manager, RESET)
            return manager
        except KernelNotReusable:
            await manager.shutdown_kernel(now=True)
        return await self._start()

    def expect(self, pages: int) -> None:
        """``pages`` pages will take a kernel: start no more than they need, and shut
        down those started beyond it."""
        with self._lock:
            self._left = pages
            while len(self._ahead) > pages:
                self._let_go(self._ahead.pop())

    def take(self) -> Any | None:
        """A kernel's manager ready for the next page (waits until it has started or been
        reset), or None when none could start."""
        with self._lock:
            if self._closed or not self._ahead:
                return None
            future = self._ahead.popleft()
            if self._left is not None:
                self._left -= 1
        try:
            return future.result(timeout=2 * STARTUP_TIMEOUT + RESET_TIMEOUT)
        except Exception:  # the page starts its own kernel and says what fails
            self._let_go(future)
            return None

    def release(self, manager: Any, *, again: bool = True) -> None:
        """Take back the kernel a page ran in: reset for a page still to come that no
        kernel waits for (``again``; False after a page failed), else shut down."""
        with self._lock:
            wanted = self._left is None or self._left > len(self._ahead)
            if again and wanted and not self._closed:
                self._ahead.append(self._submit(self._reset(manager)))
            else:
                self._stopping.append(self._submit(manager.shutdown_kernel(now=False)))

    def _let_go(self, future: Future) -> None:
        """Shut down a kernel once it has started (or cancel its start)."""
        async def stop() -> None:
            try:
                manager = await asyncio.wrap_future(future)
            except BaseException:
                return
            await manager.shutdown_kernel(now=True)

        self._stopping.append(self._submit(stop()))

    def close(self) -> None:
        """Shut down every kernel not taken, wait for every shutdown, stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while self._ahead:
                self._let_go(self._ahead.pop())
            stopping = list(self._stopping)
        for future in stopping:
            try:
                future.result(timeout=2 * STARTUP_TIMEOUT)
            except Exception:  # a kernel that did not stop in time: the others still do
                continue
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> WarmKernels:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

"""Kernels for the report's pages, started before the pages need them.

A page's notebook runs in a kernel of its own, and a kernel takes most of a second to
start. :class:`WarmKernels` starts them while the run still makes the tables, and the
next page's while the pages run; each page takes one, runs in it and shuts it down, so
every page still runs in a fresh kernel of its own.

Importing the stack in the kernels ahead as well (silently, before the page) was tried:
the example's run took 20.9 s with it against 18.0 s with kernels that import nothing
ahead (four runs each; 20.9 s without kernels ahead), and 5-8 s more processor time.
The imports compete with the tables and the pages for the two processors, where a
kernel's start alone is cheap (0.4 s of processor time).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 60  # seconds for a kernel to start

KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
"""The kernel's start-up warnings are noise in a report run."""


class WarmKernels:
    """``jobs`` kernels started ahead for the report's pages, then one at a time: a
    page that takes the last one waiting starts the next, so that at most ``jobs``
    kernels run pages and one more waits (a just-started kernel holds about 50 MB).

    The kernels are started and shut down by one thread of their own (one event loop),
    so that the run goes on while they start. :meth:`take` hands a page a started
    kernel, or None when none could start (the page then starts its own, as papermill
    does, and says why if that fails too). :meth:`close` shuts down every kernel not
    taken; a taken kernel is shut down by :meth:`release` once its page ran.

    Parameters
    ----------
    jobs : int
        Kernels kept started ahead: the pages run at a time.
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
        self._left: int | None = None  # kernels the pages will still take, once told
        self._closed = False

    def _submit(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _start(self) -> Any:
        """A kernel's process started (nbclient waits until it answers, as for its own)."""
        manager = self._manager_class(kernel_name="python3")
        await manager.start_kernel(cwd=self._cwd, extra_arguments=KERNEL_ARGUMENTS)
        return manager

    def expect(self, pages: int) -> None:
        """``pages`` pages will take a kernel: start no more than they need, and shut
        down those started beyond it."""
        with self._lock:
            self._left = pages
            while len(self._ahead) > pages:
                self._let_go(self._ahead.pop())

    def take(self) -> Any | None:
        """A started kernel's manager for the next page (waits until it has started), or
        None when it could not start; another starts ahead if pages are still to come."""
        with self._lock:
            if self._closed or not self._ahead:
                return None
            future = self._ahead.popleft()
            if self._left is not None:
                self._left -= 1
                if not self._ahead and self._left > 0:  # one kernel ahead of the pages
                    self._ahead.append(self._submit(self._start()))
        try:
            return future.result(timeout=2 * STARTUP_TIMEOUT)
        except Exception:  # the page starts its own kernel and says what fails
            self._let_go(future)
            return None

    def release(self, manager: Any) -> None:
        """Shut down the kernel a page ran in (its page has run)."""
        with self._lock:
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

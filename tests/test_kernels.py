"""Kernels started ahead for the report's pages (cxstudy._kernels): each page gets one
of its own, none outlives the report, and a kernel that cannot start leaves the page to
start its own."""

from __future__ import annotations

from pathlib import Path

from cxstudy import render


def _kernel_process(manager):
    import psutil

    return psutil.Process(manager.provisioner.pid)


def test_kernels_started_ahead_serve_each_page_once_and_none_outlives_the_report(tmp_path):
    """Each page takes a kernel started ahead in the project folder, a kernel no other
    page had; those started beyond the pages, and every kernel taken once released, are
    shut down, and closing twice is harmless."""
    import psutil

    from cxstudy._kernels import WarmKernels

    kernels = WarmKernels(2, tmp_path, render._kernel_manager_class())
    started = []
    try:
        kernels.expect(3)
        for _ in range(3):
            manager = kernels.take()
            assert manager is not None and manager.has_kernel
            assert all(manager is not other for other in started)
            process = _kernel_process(manager)
            assert Path(process.cwd()) == tmp_path
            started.append(process)
            kernels.release(manager)
        assert kernels.take() is None  # no page is left to take one
    finally:
        kernels.close()
    kernels.close()
    gone, alive = psutil.wait_procs(started, timeout=30)
    assert not alive and len(gone) == 3


def test_kernels_started_beyond_the_pages_are_shut_down(tmp_path):
    """Two kernels ahead for a study of one page: the one no page takes is shut down as
    soon as the pages are known, before the report ends."""
    import psutil

    from cxstudy._kernels import WarmKernels

    with WarmKernels(2, tmp_path, render._kernel_manager_class()) as kernels:
        waiting = list(kernels._ahead)
        kernels.expect(1)
        managers = [future.result(timeout=60) for future in waiting]
        taken = kernels.take()
        assert taken is managers[0]
        spare = _kernel_process(managers[1])
        psutil.wait_procs([spare], timeout=30)
        assert not spare.is_running() or spare.status() == psutil.STATUS_ZOMBIE
        kernels.release(taken)


def test_a_kernel_that_cannot_start_ahead_leaves_the_page_to_start_its_own(tmp_path):
    """A kernel that fails to start ahead is no kernel for the page (None): papermill
    then starts one itself and says what fails, as without kernels started ahead."""
    from cxstudy._kernels import WarmKernels

    class Refusing(render._kernel_manager_class()):
        async def start_kernel(self, **kwargs):
            raise OSError("no processes left")

    with WarmKernels(1, tmp_path, Refusing) as kernels:
        kernels.expect(1)
        assert kernels.take() is None

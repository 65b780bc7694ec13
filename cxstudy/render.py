"""Building a study's report: tables, notebooks (papermill), HTML (nbconvert), manifest.

The report is assembled in a temporary folder beside ``reports/<slug>/`` and moved
into place only when every notebook succeeded, so a failed run leaves the previous
report untouched; the failed notebook is kept in ``reports/.failed-<slug>/`` for
inspection and the error names the notebook and the cell.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import platform
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ._files import display_names, portable, remove_staged, replace_folder, staging_folder
from ._kernels import KERNEL_ARGUMENTS, WarmKernels
from ._version import __version__
from .analysis import Results
from .exceptions import CxStudyError, ReportError
from .model import Study
from .project import packaged
from .registry import Page

EXECUTION_TIMEOUT = 600  # seconds per cell
PACKAGES = ["cxstudy", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
            "pyarrow", "openpyxl", "python-pptx", "pyreadstat", "pyyaml", "papermill", "nbconvert",
            "ipykernel"]


def notebook_sources(study: Study, pages: list[Page], *, validate: bool = True
                     ) -> dict[str, Path]:
    """Where each page's notebook comes from: the project folder's own ``notebooks/``
    when it holds a notebook of that name (a consultant's customised copy wins), else the
    notebooks the package carries (:func:`cxstudy.project.packaged`). Each is read and
    checked against the notebook format's schema (nbformat); ``validate=False``: read
    as JSON of a notebook's shape only (importing nbformat takes about a second).

    Raises
    ------
    ReportError
        A notebook is in neither place, or is not a notebook that can be read.
    """
    own = study.project_root / "notebooks"
    found, problems = {}, []
    for page in pages:
        path = own / page.notebook
        if not path.is_file():
            try:
                path = packaged("notebooks") / page.notebook
            except CxStudyError as exc:
                raise ReportError(f"{study.slug}: cannot build the report: {exc}") from None
        try:
            _read_notebook(path, validate)
        except FileNotFoundError:
            problems.append(f"{page.notebook} is neither in {own} nor among the notebooks "
                            f"cxstudy carries ({path.parent})")
            continue
        except Exception as exc:  # not JSON, not a notebook, unreadable
            problems.append(f"{path} cannot be read as a notebook ({type(exc).__name__}: "
                            f"{str(exc)[:200]})")
            continue
        found[page.notebook] = path
    if problems:
        raise ReportError(f"{study.slug}: cannot build the report, so nothing was "
                          f"{'written' if validate else 'done'}: " + "; ".join(problems)
                          + ". Fix or remove the project's copy (cxstudy uses the notebooks "
                          "it carries for any the project's notebooks/ does not hold), or "
                          "reinstall cxstudy")
    return found


def _read_notebook(path: Path, validate: bool) -> None:
    """Read a notebook (raising what is wrong with it): with nbformat, checked against
    its schema; or as JSON of a notebook's shape (nbformat 4 or later, a list of cells)."""
    if validate:
        import nbformat

        nbformat.read(path, as_version=4)
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) \
            or not isinstance(data.get("nbformat"), int) or data["nbformat"] < 4:
        raise ValueError("not a notebook of nbformat 4 or later: no list of cells")


def notebook_origin(path: Path, study: Study) -> str:
    """How the manifest names where a notebook came from: its path in the project folder,
    or ``packaged`` (the notebooks of the cxstudy that built the report)."""
    own = study.project_root / "notebooks"
    return portable(path, study.project_root) if path.parent == own else "packaged"


def check_report(study: Study) -> dict[str, Path]:
    """Before any work, what is quick to check: can this Python build the study's
    report? Every page's notebook is found and is JSON of a notebook's shape
    (:func:`notebook_sources`, for every page a report may have), and this interpreter
    can start the Jupyter kernel that runs them (ipykernel, papermill, nbconvert
    installed). What needs nbformat and nbconvert imported is :func:`check_pages`, which
    ``cxstudy run`` calls beside reading the exports. Returns the notebooks. Whether the
    output folder can be written is found when the run takes its lock, also before any
    work.

    Raises
    ------
    ReportError
        Naming what is missing and what to do.
    """
    from importlib.util import find_spec

    from .registry import PAGES

    missing = [name for name in ("ipykernel", "papermill", "nbconvert", "nbformat")
               if find_spec(name) is None]
    if missing:
        raise ReportError(f"{study.slug}: cannot build the report, so nothing was done: "
                          f"{', '.join(missing)} not installed for {sys.executable}; install "
                          "cxstudy with its dependencies (pip install cxstudy), or run "
                          "with --no-report to clean the data only")
    return notebook_sources(study, list(PAGES), validate=False)  # which: known later


def check_pages(study: Study) -> None:
    """Can the pages be made: is every page's notebook valid against the notebook
    format's schema (nbformat), and can nbconvert load the report's page template (and
    the template it extends)? Importing nbformat and nbconvert takes about 3 s, which
    ``cxstudy run`` spends beside reading the exports, before anything is written.

    Raises
    ------
    ReportError
        A notebook that is not valid, or a broken nbconvert installation, and what to do.
    """
    from .registry import PAGES

    notebook_sources(study, list(PAGES))
    try:
        _exporter().template  # noqa: B018 - loads the page template and the one it extends
    except Exception as exc:  # nbconvert's "lab" template missing: a broken installation
        raise ReportError(f"{study.slug}: cannot build the report, so nothing was written: "
                          f"nbconvert cannot load the report's page template ({exc}); "
                          "reinstall nbconvert (pip install --force-reinstall nbconvert), "
                          "or run with --no-report to clean the data only") from None


def sha256(path: Path, stop: threading.Event | None = None) -> str | None:
    """The file's SHA-256, hex; None once ``stop`` is set (checked every megabyte)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                return None
            digest.update(block)  # hashlib lets go of the interpreter's lock meanwhile
    return digest.hexdigest()


class FileDigests:
    """The SHA-256 of files, made by a thread of their own while the run goes on.

    The manifest names each export with its SHA-256: hashing a study's exports reads
    them through once more, 35 s for the 34 GB of fifty million respondents when it
    was done after the pages, the last thing of the run. ``cxstudy run`` starts this
    once the exports are read, and the cleaning hides it. :meth:`get` waits for a
    file's digest (a file the thread could not read is hashed there, and its error
    raised there); :meth:`stop` ends the thread at its next megabyte (a failed run).
    """

    def __init__(self, paths: list[Path]) -> None:
        self._found: dict[Path, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hash, args=(list(paths),), daemon=True,
                                        name="cxstudy-digests")
        self._thread.start()

    def _hash(self, paths: list[Path]) -> None:
        for path in paths:
            try:
                digest = sha256(path, self._stop)
            except OSError:  # said by get(), which hashes the file again
                continue
            if digest is None:
                return
            self._found[path] = digest

    def get(self, path: Path) -> str:
        """``path``'s SHA-256, once the thread has come to it."""
        self._thread.join()
        return self._found.get(path) or sha256(path)

    def stop(self) -> None:
        self._stop.set()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["cxstudy"] = __version__
    return found


def _toc(nb) -> list[dict[str, str]]:
    """Second-level headings of the page, with nbconvert's anchor ids: of markdown cells,
    and of the Markdown that code cells show (sections a study may not have)."""
    entries = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts = [cell.source]
        else:
            texts = [output.get("data", {}).get("text/markdown", "")
                     for output in cell.get("outputs", [])]
        for text in texts:
            for line in str(text).splitlines():
                match = re.match(r"^##\s+(.+?)\s*#*\s*$", line)
                if match:
                    heading = html.unescape(re.sub(r"\\(.)", r"\1", re.sub(
                        r"(?<!\\)[*_`]", "", match.group(1))))
                    entries.append({"text": heading, "anchor": heading.replace(" ", "-")})
    return entries


def _insert_toc(nb, entries) -> None:
    import nbformat

    if not entries:
        return
    items = "".join(f'<li><a href="#{html.escape(e["anchor"])}">{html.escape(e["text"])}</a>'
                    "</li>" for e in entries)
    cell = nbformat.v4.new_markdown_cell(
        f'<div class="cx-toc" role="navigation" aria-label="Contents"><strong>Contents'
        f"</strong><ol>{items}</ol></div>")
    position = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(position, cell)


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _exporter():
    """nbconvert's HTML exporter with the report's template: no code, no prompts."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="cxstudy",
        extra_template_basedirs=[str(Path(__file__).parent / "templates" / "nbconvert")],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def to_html(notebook: Path, page: Page, pages: list[Page], study: Study, footer: str) -> str:
    """Render an executed notebook as a report page (one of ``pages``, the report's): no
    code, no prompts, no CDN."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = f"{study.title} — {page.title}"
    _insert_toc(nb, _toc(nb))
    for number, cell in enumerate(nb.cells):  # stable ids: identical runs, identical pages
        cell.id = f"cell-{number}"
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = _exporter()
    # cells tagged cx-check print numbers for nbval's output check, not for readers
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"cx-check"},
                                                         enabled=True), enabled=True)
    resources = {
        "cx_pages": [{"file": other.file, "title": other.title, "current": other == page}
                     for other in pages],
        "cx_study_title": study.title,
        "cx_footer": footer,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    # The bundled JupyterLab CSS cites its sources in comments; a report names no URL.
    return re.sub(r"<style[^>]*>.*?</style>", lambda m: _CSS_COMMENT.sub("", m.group(0)),
                  body, flags=re.DOTALL)


@functools.cache
def _kernel_manager_class() -> type:
    """The kernel manager of the report's notebooks: its kernels run in this interpreter,
    and listen on socket files (ZeroMQ's IPC transport) where ZeroMQ has it.

    This interpreter, because papermill's ``python3`` is looked up among the kernel specs
    installed for the user and the system first: ``python -m ipykernel install --user``
    points it at another Python, and an installed cxstudy run from its virtual
    environment (not activated) would start the notebooks in a Python without cxstudy.

    Socket files, because over TCP jupyter_client picks a kernel's ports by binding port
    0 and letting the port go before the kernel binds it, so another process starting a
    kernel at the same moment (a second ``cxstudy run``, JupyterLab, a test suite) can
    take the same port and the kernel dies on "Address already in use". A socket file
    named by a random id in the temporary folder cannot be taken twice; jupyter_client
    removes it at shutdown.
    """
    import tempfile
    import uuid

    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str):
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())

    ipc = zmq.has("ipc")

    class ReportKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> KernelSpecManager:
            return ThisPython(data_dir=self.data_dir)

        @default("transport")
        def _transport_default(self) -> str:
            return "ipc" if ipc else "tcp"

        def _ip_default(self) -> str:  # the socket files' prefix: absolute, one per kernel
            if not ipc:
                return super()._ip_default()
            return os.path.join(tempfile.gettempdir(), f"cxstudy-kernel-{uuid.uuid4().hex}")

    return ReportKernelManager


def execute(source: Path, target: Path, parameters: dict, cwd: Path,
            kernel: Any | None = None) -> None:
    """Run one notebook with papermill; a failing cell becomes a :class:`ReportError`.
    ``kernel``: the manager of a kernel started for it (:class:`~cxstudy._kernels.WarmKernels`;
    None: papermill starts one)."""
    import papermill as pm

    try:
        # papermill's own cwd= changes the whole process's directory, which races when
        # notebooks run in threads; nbclient starts the kernel in resources' path instead
        pm.execute_notebook(str(source), str(target), parameters=parameters,
                            kernel_name="python3", progress_bar=False,
                            resources={"metadata": {"path": str(cwd)}},
                            log_output=False, execution_timeout=EXECUTION_TIMEOUT,
                            request_save_on_cell_execute=False,
                            kernel_manager_class=_kernel_manager_class(),
                            extra_arguments=KERNEL_ARGUMENTS,
                            **({"km": kernel} if kernel is not None else {}))
    except pm.PapermillExecutionError as exc:
        number, first_line = _source_cell(target, exc.cell_index)
        raise ReportError(
            f"notebook {source.name} failed in cell {number} ({first_line}): "
            f"{exc.ename}: {exc.evalue}", notebook=source.name, cell=number,
            error=f"{exc.ename}: {exc.evalue}") from None
    except Exception as exc:  # kernel died, timed out, could not start
        raise ReportError(f"notebook {source.name} could not run: {type(exc).__name__}: "
                          f"{exc}", notebook=source.name) from None


def _source_cell(executed: Path, index: int) -> tuple[int, str]:
    """1-based number of a cell in the source notebook (papermill inserts a cell of
    injected parameters) and its first line, for error messages."""
    import nbformat

    try:
        cells = [cell for cell in nbformat.read(executed, as_version=4).cells  # papermill
                 if "papermill-error-cell-tag" not in cell.metadata.get("tags", [])]
    except Exception:  # the executed copy may not exist if the kernel never started
        return index + 1, "?"
    injected = [i for i, cell in enumerate(cells)
                if "injected-parameters" in cell.metadata.get("tags", [])]
    first = next((line for line in cells[index].source.splitlines() if line.strip()), "")
    shift = 1 if injected and injected[0] < index else 0
    return index + 1 - shift, first.strip()[:80]


def build_report(results: Results, processed: Path, out_root: Path,
                 *, say: Callable[[str], None] = lambda _line: None,
                 started: float | None = None, notebook_jobs: int | None = None,
                 before_pages: Callable[[], object] = lambda: None) -> Path:
    """Tables, executed notebooks, HTML pages and manifest into ``reports/<slug>/``.

    :func:`stage_report`, then the staged report replaces the previous one. Returns the
    report folder. On failure raises :class:`ReportError` (or what ``before_pages``
    raised) and leaves the previous report as it was.
    """
    target = out_root / "reports" / results.study.slug
    building = stage_report(results, processed, out_root, say=say, started=started,
                            notebook_jobs=notebook_jobs, before_pages=before_pages)
    try:
        replace_folder(building, target)
    except BaseException:
        remove_staged(building)
        raise
    clear_failed(target)
    return target


def clear_failed(target: Path) -> None:
    """Remove the failed notebook an earlier run kept beside the report ``target``."""
    shutil.rmtree(target.parent / f".failed-{target.name}", ignore_errors=True)


def stage_report(results: Results, processed: Path, out_root: Path,
                 *, processed_final: Path | None = None,
                 say: Callable[[str], None] = lambda _line: None,
                 started: float | None = None, notebook_jobs: int | None = None,
                 before_pages: Callable[[], object] = lambda: None,
                 digests: FileDigests | None = None) -> Path:
    """Build a study's report in a staging folder beside ``reports/<slug>/`` and return
    that folder, for the caller to move into place (``cxstudy run`` moves it together
    with the cleaned data, only when the whole run succeeded).

    The tables are computed once (``results``), written to ``tables/`` and handed to
    the notebooks, which run concurrently, ``notebook_jobs`` at a time (default: one
    per CPU, at most one per notebook). ``before_pages`` is called once the tables are
    made and before any notebook starts (``cxstudy run``: waits until the cleaned data a
    notebook may read is written). ``processed`` is where the notebooks find the cleaned
    data now; ``processed_final`` where it will be (default: the same), as the report
    names it. The pages' kernels start while the tables are made
    (:class:`~cxstudy._kernels.WarmKernels`). ``digests``: the exports' SHA-256, being
    made (:class:`FileDigests`; None: made for the manifest). On failure the staging
    folder is removed and the error raised.
    """
    study, pages = results.study, results.pages
    if notebook_jobs is None:
        notebook_jobs = min(len(pages), os.cpu_count() or 1)
    started_at = datetime.now(UTC)
    started = started if started is not None else time.perf_counter()
    building = staging_folder(out_root / "reports" / study.slug)
    root = study.project_root
    final = processed_final if processed_final is not None else processed
    _resolve_traits()  # before any thread makes a kernel manager or client
    kernels = WarmKernels(notebook_jobs, study.project_root, _kernel_manager_class())
    try:
        began = time.perf_counter()
        tables = results.write_tables(building / "tables")
        handed = results.for_pages().save(building / ".results.pickle")
        say(f"{study.slug}: tables in {time.perf_counter() - began:.1f} s; "
            f"{len(pages)} pages, {notebook_jobs} at a time")
        before_pages()
        parameters = {"study": str(study.path), "processed": str(processed),
                      "results": str(handed)}
        # what the report says it was run with: paths from the project folder, nothing of
        # the machine's (the staging folders and the handed tables are gone by then)
        shown = {"study": portable(study.path, root),
                 "processed": portable(final, root, outside=""),  # outside: the own
                 "results": ""}
        footer = (f"{study.title} · cxstudy {__version__} · built "
                  f"{started_at:%Y-%m-%d %H:%M} UTC · data: " + ", ".join(
                      display_names({s.name: s.path for s in study.sources}).values()))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cxstudy-deliverables-"
                                f"{building.name}") as beside:  # while the kernels run the pages
            delivering = beside.submit(write_deliverables, results, building, say)
            made = _make_pages(study, pages, building, parameters, shown, footer,
                               notebook_jobs, say, kernels)
            delivered = delivering.result()
        handed.unlink()
        manifest = _manifest(results, {k: v for k, v in shown.items() if v}, made, tables,
                             started_at, started, digests)
        manifest["deliverables"] = delivered
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                encoding="utf-8")
    except BaseException:
        _threads_done(building.name)  # nothing of this report writes into it any more
        remove_staged(building)
        raise
    finally:
        kernels.close()
    return building


def _threads_done(marker: str) -> None:
    """Wait for every thread whose name holds ``marker`` (the threads of one report's
    pools). A pool's shutdown waits only for the threads it knows of, and a signal that
    stops the run inside ``Thread.start`` (which waits for the new thread to run) leaves
    a running thread out of its pool: it would write a page or a deliverable into the
    staged report after the report was removed."""
    for thread in threading.enumerate():
        if marker in thread.name and thread is not threading.current_thread():
            thread.join()


def write_deliverables(results: Results, folder: Path,
                       say: Callable[[str], None] = lambda _line: None) -> list[str]:
    """Write ``tables.xlsx`` and ``deck.pptx`` into the (staged) report ``folder``, those
    the study's ``deliverables:`` asks for; returns the names of the files written."""
    from .deck import write_deck
    from .workbook import write_workbook

    study, wanted = results.study, results.study.deliverables
    written = []
    for name, on, write in (
            ("tables.xlsx", wanted.workbook,
             lambda path: write_workbook(results.written_tables(), study, path)),
            ("deck.pptx", wanted.deck, lambda path: write_deck(results, path))):
        if not on:
            continue
        began = time.perf_counter()
        try:
            write(folder / name)
        except (CxStudyError, OSError):  # said as they are (a template, a full disk)
            raise
        except Exception as exc:  # no traceback for the user: what failed, and where
            raise ReportError(f"{study.slug}: {name} could not be written "
                              f"({type(exc).__name__}: {exc}); the previous report is "
                              "untouched") from exc
        written.append(name)
        say(f"{study.slug}: {name} ({time.perf_counter() - began:.1f} s)")
    return written


def portable_notebook(executed: Path, source: Path, shown: dict[str, str],
                      root: Path) -> None:
    """Rewrite what papermill recorded in an executed notebook (the injected parameters
    and its input and output paths) as the report names them, so the notebook sent with
    the report holds no folder of the machine that ran it."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.setdefault("papermill", {})
    meta["input_path"] = portable(source, root)
    meta["output_path"] = executed.name
    meta["parameters"] = dict(shown)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = "# Parameters\n" + "".join(f"{key} = {value!r}\n"
                                                      for key, value in shown.items())
    nbformat.write(nb, executed)


def _resolve_traits() -> int:
    """Resolve, once and in this thread, every class that the notebooks' machinery
    (papermill, nbclient, jupyter_client, nbconvert) names by its dotted path; returns how
    many were resolved.

    traitlets resolves such a name the first time an object with the trait is made
    (``if isinstance(self.klass, str): self.klass = import(self.klass)``), and two pages
    run in two threads make their first kernel managers, clients and exporters at the
    same moment: one thread can find the name still a string, the other replace it with
    the class, and the first then import the class itself. The page fails with
    ``TypeError: import_item accepts strings, not '<class 'traitlets.traitlets.MetaHasTraits'>'``
    (seen building the example's report, one run in a few). Resolved here first, every
    check finds a class and nothing is imported in the threads.
    """
    import importlib

    from traitlets import HasTraits, TraitType, Type

    for module in ("jupyter_client.asynchronous", "jupyter_client.provisioning", "nbclient",
                   "nbconvert", "papermill.clientwrap"):  # the classes the threads make,
        importlib.import_module(module)  # loaded so that their traits are resolved here

    _kernel_manager_class()
    resolved, seen, todo = 0, set(), [HasTraits]
    while todo:
        cls = todo.pop()
        todo.extend(sub for sub in cls.__subclasses__() if sub not in seen)
        seen.update(cls.__subclasses__())
        for value in list(vars(cls).values()):
            traits = [value] if isinstance(value, TraitType) else []
            while traits:
                trait = traits.pop()
                traits.extend(inner for inner in (
                    getattr(trait, "_trait", None), getattr(trait, "_key_trait", None),
                    getattr(trait, "_value_trait", None), *getattr(trait, "trait_types", ()))
                    if isinstance(inner, TraitType))
                if hasattr(trait, "_resolve_classes") and (
                        isinstance(getattr(trait, "klass", None), str)
                        or (isinstance(trait, Type) and isinstance(trait.default_value, str))):
                    try:
                        trait._resolve_classes()
                    except Exception:  # a class of a package not installed:
                        continue  # no thread of ours makes it either
                    resolved += 1
    return resolved


def _make_pages(study: Study, pages: list[Page], building: Path, parameters: dict,
                shown: dict[str, str], footer: str, jobs: int, say: Callable[[str], None],
                kernels: WarmKernels) -> list[dict]:
    """Execute every page's notebook and render the page; a failure keeps the failed
    notebook in ``reports/.failed-<slug>/`` and names it."""
    sources = notebook_sources(study, pages)
    own = [name for name, path in sources.items() if notebook_origin(path, study) != "packaged"]
    if own:
        say(f"{study.slug}: the project's own notebooks/ for {', '.join(own)} (the manifest "
            "names them)")
    failed_already = threading.Event()  # a worker may take the next page before the pool stops

    def make_page(page: Page) -> dict | None:
        if failed_already.is_set():
            return None
        began = time.perf_counter()
        executed = building / page.notebook
        kernel = kernels.take()
        ran = False
        try:
            execute(sources[page.notebook], executed, parameters, study.project_root,
                    kernel=kernel)
            ran = True
        except ReportError:
            failed_already.set()
            raise
        finally:
            if kernel is not None:
                kernels.release(kernel, again=ran)
        portable_notebook(executed, sources[page.notebook], shown, study.project_root)
        (building / page.file).write_text(to_html(executed, page, pages, study, footer),
                                          encoding="utf-8")
        seconds = round(time.perf_counter() - began, 2)
        say(f"{study.slug}: page {page.file} ({seconds:.1f} s)")
        return {"notebook": page.notebook,
                "notebook_from": notebook_origin(sources[page.notebook], study),
                "notebook_sha256": sha256(sources[page.notebook]), "page": page.file,
                "title": page.title, "seconds": seconds}

    kernels.expect(len(pages))  # the threads' classes are resolved (stage_report)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs),
                              thread_name_prefix=f"cxstudy-pages-{building.name}")
    try:
        futures = [pool.submit(make_page, page) for page in pages]
        return [future.result() for future in futures]
    except ReportError as exc:
        pool.shutdown(wait=True, cancel_futures=True)  # the report fails: start no more
        failed = building.parent / f".failed-{study.slug}"
        shutil.rmtree(failed, ignore_errors=True)
        executed = building / (exc.notebook or "")
        if exc.notebook and executed.exists():
            failed.mkdir()
            shutil.copy2(executed, failed / exc.notebook)
            exc.args = (f"{exc.args[0]} (executed notebook kept in "
                        f"{failed / exc.notebook}; the previous report is untouched)",)
        raise
    finally:
        pool.shutdown(wait=True)


def _origins(pages: list[dict]) -> str:
    """Where the report's notebooks came from, in a word: ``packaged`` (those of the
    cxstudy named under ``versions``), ``notebooks/`` (the project's own), or both (each
    page's ``notebook_from`` says which)."""
    origins = {page["notebook_from"] != "packaged" for page in pages}
    return {frozenset({False}): "packaged", frozenset({True}): "notebooks/"}.get(
        frozenset(origins), "notebooks/ and packaged")


def _manifest(results: Results, parameters: dict, pages: list[dict], tables: dict,
              started_at: datetime, started: float,
              digests: FileDigests | None = None) -> dict:
    """What was built from what: files with sha256, parameters, versions, times. Paths
    are relative to the project folder, and a file outside it is named by its name alone
    (its sha256 says which file it was): the manifest travels with the report to a client
    and names no folder of the machine that built it."""
    study, respondents = results.study, results.respondents  # every wave's, per audience
    root = study.project_root

    def named(path) -> str:
        return portable(path, root)

    return {
        "study": study.title, "slug": study.slug,
        "study_file": {"path": named(study.path), "sha256": sha256(study.path)},
        "raw_files": [{"source": s.name, "path": named(s.path),
                       "sha256": digests.get(s.path) if digests else sha256(s.path),
                       "bytes": s.path.stat().st_size} for s in study.sources],
        "themes": ({"path": named(study.themes), "sha256": sha256(study.themes)}
                   if study.themes else None),
        "parameters": parameters,
        "notebooks": _origins(pages),
        "pages": pages,
        "tables": sorted(p.name for p in tables.values()),
        "respondents": {"kept": int(respondents.sum()),
                        **{g: int(respondents.get(g, 0)) for g in study.groups}},
        "versions": versions(),
        "command": " ".join([Path(sys.argv[0]).name, *(
            named(arg) if os.path.isabs(arg) or os.sep in arg else arg
            for arg in sys.argv[1:])]),
        "started": started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }

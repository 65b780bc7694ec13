"""Command line: ``cxstudy run | validate | init | themes suggest``.

Errors exit non-zero with one clear message, never a bare traceback (set
``CXSTUDY_DEBUG=1`` to see one for an unexpected internal error).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ._version import __version__
from .exceptions import CxStudyError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


_PRINT = threading.Lock()


def _print(line: str) -> None:
    with _PRINT:  # notebooks report from several threads
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


_NOT_IMPORTED = ("rfc3987_syntax",)
"""Modules a run's process does without: jsonschema (which nbformat validates notebooks
with) imports ``rfc3987_syntax`` when it is installed (jupyterlab's dependencies install
it) only to check the ``iri`` formats, which a notebook's schema never asks for, and
building its grammar takes 0.8 s of the interpreter beside the first read of the
exports (at a million rows, reading took 3.8-3.9 s instead of 4.8-5.0 s). Only in the
command's own processes: imported as a library, cxstudy leaves other packages' imports
alone."""


def _without_unused_imports() -> None:
    """Keep :data:`_NOT_IMPORTED` out of this process (``import`` of a name that
    ``sys.modules`` holds as None raises ImportError, which jsonschema expects), unless
    something imported one already."""
    for name in _NOT_IMPORTED:
        sys.modules.setdefault(name, None)


def _run_one(study_path: str, out: str | None, report: bool = True,
             notebook_jobs: int | None = None, quiet: bool = False) -> tuple[str, bool, str]:
    """Run one study; return (path, ok, message). Safe to call in a worker process."""
    from .pipeline import run

    _without_unused_imports()

    started = time.perf_counter()
    try:
        result = run(study_path, out=out, progress=None if quiet else _print, report=report,
                     notebook_jobs=notebook_jobs)
    except CxStudyError as exc:
        return study_path, False, str(exc)
    except Exception as exc:  # an internal error: say so plainly
        if os.environ.get("CXSTUDY_DEBUG"):
            traceback.print_exc()
        return study_path, False, (f"{study_path}: internal error ({type(exc).__name__}: "
                                   f"{exc}). Rerun with CXSTUDY_DEBUG=1 for details and "
                                   "report it.")
    seconds = time.perf_counter() - started
    where = (f"report: {result.report_dir / 'index.html'}" if result.report_dir
             else f"cleaned data: {result.processed_dir}")
    return study_path, True, f"{result.study.slug}: done in {seconds:.1f} s; {where}"


def cmd_run(args: argparse.Namespace) -> int:
    jobs = max(1, args.jobs)
    failures = 0
    if jobs == 1 or len(args.study) == 1:
        outcomes = (_run_one(path, args.out, not args.no_report, quiet=args.quiet)
                    for path in args.study)
        for _path, ok, message in outcomes:
            failures += not ok
            print(message, file=sys.stdout if ok else sys.stderr, flush=True)
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_stop_with,
                                   initargs=(os.getpid(),))
        try:
            # studies share the CPUs: their notebooks run one at a time
            futures = [pool.submit(_run_one, path, args.out, not args.no_report, 1, args.quiet)
                       for path in args.study]
            for future in futures:
                _path, ok, message = future.result()
                failures += not ok
                print(message, file=sys.stdout if ok else sys.stderr, flush=True)
        except KeyboardInterrupt:  # stop the workers' runs (they clean up), not wait for them
            for worker in multiprocessing.active_children():
                worker.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    if failures:
        print(f"{failures} of {len(args.study)} stud{'y' if len(args.study) == 1 else 'ies'} "
              "failed", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _stop_with(command: int) -> None:
    """In a worker running studies in parallel: clean up on SIGTERM as the command does,
    and stop when the command that started it is gone (killed, or stopped by a time
    limit), instead of waiting for work for good."""
    _on_sigterm()

    def watch() -> None:
        while os.getppid() == command:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)  # clean up what this worker staged
        time.sleep(5)  # and go, cleaned up or not (the next run clears what is left)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import validate
    from .project import missing_exports

    status = EXIT_OK
    for path in args.study:
        try:
            found = validate(path)
        except CxStudyError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_PROBLEMS
            continue
        study, problems, rows = found.study, found.problems, found.rows
        for warning in found.warnings:
            print(f"{path}: warning: {warning}", file=sys.stderr)
        if problems:
            count = len(problems)
            print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            hint = missing_exports(study, len(problems)) if study is not None else None
            if hint:
                print(hint, file=sys.stderr)
            status = EXIT_PROBLEMS
        else:
            print(f"{path}: OK — {len(study.sources)} source(s), {rows:,} rows, "
                  f"{len(study.items)} items, {len(study.metrics)} metrics, "
                  f"{len(study.open_ended)} open-ended questions"
                  + (f", {len(study.choices)} choice questions" if study.choices else "")
                  + "; groups "
                  + ", ".join(study.groups) + f" (reference: {study.reference})")
        for note in found.notes:  # what the study file changes as the exports are read
            print(f"{path}: note: {note}")
    return status


def cmd_init(args: argparse.Namespace) -> int:
    from ._sections import SLUG
    from .project import copy_notebooks, init_example, init_study, project_of

    names = args.names
    if args.example or args.notebooks:
        flag = "--example" if args.example else "--notebooks"
        if len(names) > 1 or args.dir is not None:
            print(f"cxstudy init {flag} [FOLDER]: give at most the project folder to write "
                  "into (default: this folder)", file=sys.stderr)
            return EXIT_USAGE
        folder = Path(names[0] if names else ".")
        try:
            lines = (init_example(folder) if args.example else []) + (
                copy_notebooks(folder) if args.notebooks else [])
        except OSError as exc:
            return _cannot_write(exc, folder)
        for line in lines:
            print(line[0].upper() + line[1:] + ".")
        if args.example:
            go = "" if folder == Path(".") else f"cd {folder} && "
            print(f"Next: {go}cxstudy run studies/example.yml   (the report: "
                  "reports/example/index.html)")
        return EXIT_OK
    if not names or len(names) > 2:
        print("cxstudy init SLUG [FOLDER]: give the study's short name, e.g. cxstudy init "
              "acme (or cxstudy init --example for the example study)", file=sys.stderr)
        return EXIT_USAGE
    slug = names[0]
    if not SLUG.match(slug):
        print(f"cxstudy init: {slug!r} is not a valid slug; use up to 64 lower-case letters, "
              "digits, "
              "- and _ (it names folders), e.g. cxstudy init acme", file=sys.stderr)
        return EXIT_USAGE
    if args.dir is not None and len(names) == 2:
        print("cxstudy init: give the project FOLDER or --dir (the study file's folder), "
              "not both", file=sys.stderr)
        return EXIT_USAGE
    studies = Path(args.dir) if args.dir is not None else Path(
        names[1] if len(names) == 2 else ".") / "studies"
    try:
        lines = init_study(slug, studies, force=args.force)
    except OSError as exc:
        return _cannot_write(exc, project_of(studies))
    for line in lines:
        print(line[0].upper() + line[1:] + ".")
    target = studies / f"{slug}.yml"
    raw_dir = project_of(studies) / "data" / "raw" / slug
    print(f"Next:\n"
          f"  1. put the client's exports in {raw_dir}/\n"
          f"  2. edit {target}: sources, scales, items (the comments say how)\n"
          f"  3. cxstudy validate {target}\n"
          f"  4. cxstudy run {target}")
    return EXIT_OK


def _cannot_write(exc: OSError, folder: Path) -> int:
    """What init says when the file system refuses (files written before it stay)."""
    where = Path(exc.filename or folder)
    file = next((p for p in [where, *where.parents] if p.exists() and not p.is_dir()), None)
    reason = f"{file} is a file, not a folder" if file else exc.strerror or str(exc)
    print(f"cxstudy init: cannot write {where}: {reason}; give a project folder you can write "
          "to", file=sys.stderr)
    return EXIT_PROBLEMS


def cmd_themes_suggest(args: argparse.Namespace) -> int:
    from . import suggest
    from .processed import load_processed
    from .study import load_study
    from .voices import study_codebook

    study = load_study(args.study)
    out = Path(args.out) if args.out else suggest.default_path(study)
    if out.exists() or out.is_symlink():  # before reading anything: say so at once
        raise suggest.SuggestError(out, "already exists; a draft is never written over a "
                                   "file. Choose another with --out FILE, or move that "
                                   "file away")
    if args.themes is not None and args.themes < 1:
        print("cxstudy themes suggest: --themes must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    codebook = study_codebook(study)
    if args.uncoded and codebook is None:
        print(f"cxstudy themes suggest: {args.study} has no codebook (themes:), so no answer "
              "is uncoded by one; leave out --uncoded", file=sys.stderr)
        return EXIT_USAGE
    responses, _log, _sources = load_processed(study)
    found = suggest.suggest_themes(responses, study, codebook=codebook, themes=args.themes,
                                   seed=args.seed, uncoded_only=args.uncoded)
    path = suggest.write_draft(found, study, out)
    print(f"Wrote a draft codebook to {path}: {len(found.themes)} suggested themes from "
          f"{found.answers:,} answers.")
    if found.codebook is not None:
        print(f"The study's codebook leaves {found.uncoded:,} of them uncoded; their frequent "
              "words and phrases are listed at the top of the draft.")
    print("Read, merge, rename and prune its themes before pointing the study's themes: at "
          "it (cxstudy validate checks it).")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxstudy",
        description="Perception-gap studies: what leaders and staff believe about the "
                    "customer experience vs what customers experience.")
    parser.add_argument("--version", action="version", version=f"cxstudy {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run_parser = commands.add_parser("run", help="run one or more studies end to end")
    run_parser.add_argument("study", nargs="+", help="study file(s), e.g. studies/acme.yml")
    run_parser.add_argument("--jobs", "-j", type=int, default=1,
                            help="studies to run in parallel (default 1)")
    run_parser.add_argument("--out", default=None,
                            help="write data/processed and reports under this folder instead "
                                 "of the study's project folder")
    run_parser.add_argument("--no-report", action="store_true",
                            help="stop after cleaning (write data/processed only)")
    run_parser.add_argument("--quiet", "-q", action="store_true",
                            help="no line per stage, only each study's result")
    run_parser.set_defaults(handler=cmd_run)

    validate_parser = commands.add_parser(
        "validate", help="check a study file and the exports it points at")
    validate_parser.add_argument("study", nargs="+", help="study file(s)")
    validate_parser.set_defaults(handler=cmd_validate)

    init_parser = commands.add_parser(
        "init", help="start a study in a project folder (or write the example study)",
        usage="cxstudy init SLUG [FOLDER] | cxstudy init --example [FOLDER] | "
              "cxstudy init --notebooks [FOLDER]",
        description="cxstudy init acme [FOLDER]: FOLDER/studies/acme.yml (every key, "
                    "commented), studies/themes/acme.yml (a commented codebook), "
                    "data/raw/acme/ for the exports and a .gitignore keeping exports and "
                    "outputs out of version control. cxstudy init --example [FOLDER]: the "
                    "example study with its exports, ready for cxstudy run "
                    "studies/example.yml. cxstudy init --notebooks [FOLDER]: a copy of the "
                    "report notebooks in FOLDER/notebooks/ to customise (a run uses them "
                    "instead of cxstudy's own). FOLDER defaults to this folder; nothing is "
                    "overwritten.")
    init_parser.add_argument("names", nargs="*", metavar="SLUG [FOLDER]",
                             help="short name of the study, e.g. acme, and the project "
                                  "folder (default: this folder)")
    init_parser.add_argument("--example", action="store_true",
                             help="write the example study and its exports instead")
    init_parser.add_argument("--notebooks", action="store_true",
                             help="copy the report notebooks into FOLDER/notebooks/ to "
                                  "customise them")
    init_parser.add_argument("--dir", default=None,
                             help="the study file's folder instead of FOLDER/studies (the "
                                  "project folder is its parent)")
    init_parser.add_argument("--force", action="store_true",
                             help="overwrite an existing study file and codebook")
    init_parser.set_defaults(handler=cmd_init)

    themes_parser = commands.add_parser("themes", help="theme codebooks of open answers")
    themes_commands = themes_parser.add_subparsers(dest="themes_command", metavar="ACTION")
    themes_commands.required = True
    suggest_parser = themes_commands.add_parser(
        "suggest", help="write a draft codebook suggested by the open answers (never over "
                        "an existing file)")
    suggest_parser.add_argument("study", help="study file, e.g. studies/acme.yml")
    suggest_parser.add_argument("--out", default=None,
                                help="the draft's file (default: themes/<slug>-suggested.yml "
                                     "beside the study file); must not exist")
    suggest_parser.add_argument("--themes", type=int, default=None,
                                help="how many themes to suggest (default: the square root "
                                     "of the distinct answers, 3 to 15)")
    suggest_parser.add_argument("--seed", type=int, default=0,
                                help="the topic model's random_state (default 0)")
    suggest_parser.add_argument("--uncoded", action="store_true",
                                help="suggest themes for the answers the study's codebook "
                                     "leaves uncoded")
    suggest_parser.set_defaults(handler=cmd_themes_suggest)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that a terminated run cleans up exactly as
    an interrupted one (Ctrl-C) does: staged folders removed, previous outputs intact."""


def _terminate(_signum, _frame) -> None:
    # the clean-up that Terminated starts must not be cut short by another SIGTERM (a
    # kernel's shutdown, or a second kill, while the staged folders are being removed):
    # from here on SIGTERM is ignored; SIGKILL and Ctrl-C still stop the program
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def _on_sigterm() -> None:
    """SIGTERM raises :class:`Terminated` in this process (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _on_sigterm()
    try:
        return args.handler(args)
    except CxStudyError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt as exc:
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"{stopped}: the previous report and cleaned data are untouched",
              file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())

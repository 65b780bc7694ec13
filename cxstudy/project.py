"""A project folder, and what the package carries to make one.

A *project folder* holds ``studies/<slug>.yml`` (the study file), ``studies/themes/`` (its
codebook), ``data/raw/<slug>/`` (the client's exports, never modified, kept out of version
control) and, once run, ``data/processed/<slug>/`` and ``reports/<slug>/``. It may be
anywhere: the repository is one (the example study), and so is a folder that
``cxstudy init`` made for a client with an installed ``cxstudy``.

The package carries the report notebooks and the example study with its exports. The
repository keeps one copy of each, where a reader of the repository looks for them
(``notebooks/``, ``studies/example.yml``, ``data/raw/example/``); the wheel maps them into
the package (``cxstudy/notebooks/``, ``cxstudy/example/``: ``pyproject.toml``'s
``[tool.hatch.build.targets.wheel.force-include]``). :func:`packaged` finds them in
either.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .exceptions import CxStudyError

PACKAGE = Path(__file__).resolve().parent
# the example study, as paths from a project folder (and from cxstudy/example/ in a wheel)
EXAMPLE = ("studies/example.yml", "studies/themes/example.yml", "data/raw/example")
# what a project's .gitignore keeps out of version control, and why
IGNORED = {
    "data/raw/": "client exports hold personal data: never commit them",
    "data/processed/": "written by cxstudy run from the exports (personal data removed, "
                       "but respondent-level)",
    "reports/": "written by cxstudy run; share a report as files, not through git",
}


def packaged(name: str) -> Path:
    """A folder the package carries: ``"notebooks"`` (the report notebooks) or
    ``"example"`` (a project folder holding the paths of :data:`EXAMPLE`).

    In an installed wheel they are inside the package; in a checkout (an editable
    install, or ``PYTHONPATH`` pointing at the repository) where the repository keeps
    them.

    Raises
    ------
    CxStudyError
        Neither is there: an installation that lost its data files.
    """
    if name not in ("notebooks", "example"):
        raise ValueError(f"no packaged folder {name!r}; 'notebooks' or 'example'")
    inside = PACKAGE / name
    if inside.is_dir():
        return inside
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file():
        found = checkout / "notebooks" if name == "notebooks" else checkout
        if all((found / part).exists() for part in
               (("",) if name == "notebooks" else EXAMPLE)):
            return found
    raise CxStudyError(f"this installation of cxstudy has no {name} (looked in {inside}); "
                       "reinstall it: pip install --force-reinstall cxstudy")


def _template(name: str, slug: str) -> str:
    return (resources.files("cxstudy").joinpath(f"templates/{name}").read_text("utf-8")
            .replace("{slug}", slug))


def _refuse_existing(paths: list[Path]) -> None:
    there = [str(path) for path in paths if path.exists() or path.is_symlink()]
    if there:
        named = ", ".join(there[:3]) + (f" and {len(there) - 3} more" if len(there) > 3
                                        else "")
        raise CxStudyError(f"cxstudy init: {named} already exist"
                           f"{'s' if len(there) == 1 else ''}; nothing was written (choose "
                           "another slug or folder, or move the files away)")


def ignore_outputs(folder: Path) -> str | None:
    """Make ``folder/.gitignore`` keep the raw exports and the outputs out of version
    control: written when absent, the missing lines added (never removing any) when
    present. Returns what was done (``None``: every line was already there)."""
    path = folder / ".gitignore"
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    have = {_pattern(line) for line in (existing or "").splitlines()}
    missing = [pattern for pattern in IGNORED if _pattern(pattern) not in have]
    lines = [f"# {IGNORED[pattern]}\n{pattern}\n" for pattern in missing]
    if not lines:
        return None
    if existing is None:
        path.write_text("# cxstudy project folder\n" + "".join(lines), encoding="utf-8")
        return f"wrote {path}"
    separator = "" if existing.endswith("\n") or not existing else "\n"
    path.write_text(existing + separator + "# cxstudy\n" + "".join(lines), encoding="utf-8")
    return f"added {', '.join(missing)} to {path}"


def _pattern(line: str) -> str:
    """A .gitignore line as the folder it ignores: ``/data/raw/*`` and ``data/raw/`` alike
    (the repository's own lists ``data/raw/*`` and tracks the example beside it)."""
    return line.strip().lstrip("/").removesuffix("*").rstrip("/")


def init_study(slug: str, studies: Path, *, force: bool = False) -> list[str]:
    """Start a study: ``<studies>/<slug>.yml`` (the commented template, every key),
    ``<studies>/themes/<slug>.yml`` (a commented codebook in the format
    :func:`~cxstudy.voices.load_codebook` reads), an empty ``data/raw/<slug>/`` in the
    project folder (the parent of ``studies``, made when absent) and a ``.gitignore`` there
    keeping exports and outputs out of version control.

    Parameters
    ----------
    slug : str
        The study's short name (checked by the caller).
    studies : Path
        The folder of the study file, usually ``<project>/studies``.
    force : bool
        Overwrite the study file and codebook; without it an existing one is an error.

    Returns
    -------
    list of str
        What was written, one line each.

    Raises
    ------
    CxStudyError
        The study file or codebook exists already (nothing is written).
    """
    study = studies / f"{slug}.yml"
    codebook = studies / "themes" / f"{slug}.yml"
    if not force:
        _refuse_existing([study, codebook])
    codebook.parent.mkdir(parents=True, exist_ok=True)
    study.write_text(_template("study.yml", slug), encoding="utf-8")
    codebook.write_text(_template("themes.yml", slug), encoding="utf-8")
    project = project_of(studies)
    raw = project / "data" / "raw" / slug
    raw.mkdir(parents=True, exist_ok=True)
    done = [f"wrote {study}", f"wrote {codebook}", f"made {raw}/ (empty: the exports go here)"]
    ignored = ignore_outputs(project)
    return done + ([ignored] if ignored else [])


def project_of(studies: Path) -> Path:
    """The project folder of a folder of study files (its parent), as given when it can
    be: ``studies`` -> ``.``, ``acme/studies`` -> ``acme``."""
    if studies.name in ("", ".", ".."):
        return studies.resolve().parent
    return studies.parent


def init_example(folder: Path) -> list[str]:
    """Copy the example study (its study file, codebook and six exports) into a project
    folder (made when absent), with the ``.gitignore`` of :func:`init_study`; ``cxstudy
    run studies/example.yml`` there builds its report. Never overwrites a file.

    Raises
    ------
    CxStudyError
        A file of the example is there already (nothing is written).
    """
    source = packaged("example")
    files = [path for part in EXAMPLE for path in
             ([source / part] if (source / part).is_file()
              else sorted(p for p in (source / part).rglob("*") if p.is_file()))]
    targets = [folder / path.relative_to(source) for path in files]
    _refuse_existing(targets)
    for path, target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    done = [f"wrote {folder / EXAMPLE[0]}, {folder / EXAMPLE[1]} and "
            f"{len(files) - 2} exports in {folder / EXAMPLE[2]}/"]
    ignored = ignore_outputs(folder)
    return done + ([ignored] if ignored else [])


def _absent(path: Path) -> bool:
    """Whether nothing is at ``path`` (a name the file system refuses, say too long, is
    there or not as far as anyone can tell: validate reports it as a read error)."""
    try:
        path.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def missing_exports(study, problems: int) -> str | None:
    """What ``cxstudy validate`` adds when exports a study names are not there (a study
    just made by ``cxstudy init`` names three): which folder they go in, what that folder
    holds, and that the rest of the study file is fine when these are its only
    ``problems``. ``None`` when every export is there."""
    missing = [source for source in study.sources if _absent(source.path)]
    if not missing:
        return None
    lines = []
    if problems == len(missing):
        count = len(study.sources)
        lines.append("The study file itself is fine; " + (
            f"none of its {count} exports is there yet." if len(missing) == count else
            f"{len(missing)} of its {count} exports {'is' if len(missing) == 1 else 'are'} "
            "not there yet."))
    for folder in dict.fromkeys(source.path.parent for source in missing):
        names = [source.path.name for source in missing if source.path.parent == folder]
        held = sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) \
            if folder.is_dir() else None
        if held is None:
            state = "does not exist yet"
        elif not held:
            state = "is empty"
        else:
            state = "holds " + ", ".join(held[:5]) + (f" and {len(held) - 5} more"
                                                      if len(held) > 5 else "")
        lines.append(f"{folder}/ {state}: put {', '.join(names)} there, or change the "
                     "sources: paths to the files the client sent.")
    return "\n".join(lines)


def copy_notebooks(folder: Path) -> list[str]:
    """Copy the report notebooks the package carries into ``folder/notebooks/`` (made when
    absent), for a consultant to change: ``cxstudy run`` uses a project's own notebook
    instead of the packaged one of the same name, and the report's ``manifest.json`` says
    which it used. Never overwrites a file.

    Raises
    ------
    CxStudyError
        A notebook of that name is there already (nothing is written).
    """
    source = packaged("notebooks")
    files = sorted(source.glob("*.ipynb"))
    targets = [folder / "notebooks" / path.name for path in files]
    _refuse_existing(targets)
    for path, target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return [f"wrote {len(files)} report notebooks in {folder / 'notebooks'}/ (a run uses "
            "these instead of cxstudy's own; delete one to go back to cxstudy's)"]

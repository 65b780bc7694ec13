"""Shared fixtures: paths, the real data in ../shared/data, small study and export builders,
the example study cleaned once, and the reports built once in the background."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    import pandas as pd

    import cxstudy as cx

# CI explores the same examples every run (no flaky reds); locally hypothesis roams.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
REAL_DATA = FIXTURES / "real"  # the openly licensed real exports, carried by the suite
EXAMPLE_STUDY = ROOT / "studies" / "example.yml"

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"GPL-3 or unlicensed real survey, not carried in tests/fixtures: {SHARED_DATA} "
           "is absent (clone with ../shared beside)")


def real_file(relative: str) -> Path:
    """A real export by its path under ``shared/data``: the suite's own copy when its
    licence let us carry it (tests/fixtures/real), else ../shared/data (skipped when
    absent)."""
    for folder in (REAL_DATA, SHARED_DATA):
        if (folder / relative).exists():
            return folder / relative
    pytest.skip(f"{relative}: GPL-3 or unlicensed real data, only in ../shared/data, which is "
                "absent")


def copy_project(folder: Path) -> Path:
    """A copy of the example project (study files and raw exports) that tests may change."""
    shutil.copytree(ROOT / "studies", folder / "studies")
    shutil.copytree(ROOT / "data" / "raw", folder / "data" / "raw")
    return folder


def sha256_tree(folder: Path) -> dict[str, str]:
    """File name -> sha256 of every file below a folder."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# the example report's pages and the notebooks they are made from, in the same order
PAGES = ["index.html", "data_quality.html", "gaps.html", "voices.html", "trends.html",
         "segments.html"]
NOTEBOOKS = ["00_summary.ipynb", "01_data_quality.ipynb", "02_gaps.ipynb", "03_voices.ipynb",
             "04_trends.ipynb", "05_segments.ipynb"]


def pages(report: Path) -> dict[str, str]:
    """The text of each page of a report folder (one with every page)."""
    return {name: (report / name).read_text(encoding="utf-8") for name in PAGES}


AGREE5 = {"labels": ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                     "Strongly agree"], "top_box": 2, "missing": ["Don't know"]}
LABELS = AGREE5["labels"]


def minimal_study(**overrides) -> dict:
    """A valid study mapping with two audiences; override any top-level key."""
    study = {
        "study": "Test study",
        "slug": "test",
        "sources": [{"path": "leaders.csv", "group": "leadership"},
                    {"path": "customers.csv", "group": "customers"}],
        "groups": ["leadership", "customers"],
        "scales": {"agree5": AGREE5},
        "items": [{"id": "excellent", "text": "We are excellent", "scale": "agree5",
                   "column": "Q1", "headline": True}],
    }
    study.update(overrides)
    return study


def write(path, rows):
    """A CSV file of ``rows`` (lists of cells, the header first)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def build(tmp_path, leaders, customers, **overrides):
    """The minimal study over leaders.csv and customers.csv of these rows: (study, raw rows)."""
    import cxstudy as cx

    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", customers)
    study = cx.load_study(minimal_study(**overrides), base_dir=tmp_path)
    return study, cx.read_sources(study)


# exports of the minimal study, for build(): a little dirt (case, spaces, don't know, blanks)
LEADERS = [["id", "Q1", "Q2"], ["L1", "Agree", "Agree"], ["L2", " STRONGLY agree", "Disagree"],
           ["L3", "don\u2019t know", "Agree"], ["L4", "Disagree", ""]]
CUSTOMERS = [["id", "Q1", "Q2"], ["C1", "Disagree", "Agree"], ["C2", "Strongly disagree", "x"]]


def problems_of(mapping: dict) -> list[str]:
    """The problems a study mapping is refused with (it must be refused)."""
    import cxstudy as cx
    from cxstudy.exceptions import StudyFileError

    with pytest.raises(StudyFileError) as caught:
        cx.load_study(mapping, base_dir=ROOT)
    return [str(p) for p in caught.value.problems]


def wave_sources(**extra) -> dict:
    """The minimal study in two waves, 2025 and 2026: a source per audience and wave."""
    return minimal_study(waves=["2025", "2026"], sources=[
        {"path": "l25.csv", "group": "leadership", "wave": "2025"},
        {"path": "c25.csv", "group": "customers", "wave": "2025"},
        {"path": "l26.csv", "group": "leadership", "wave": "2026"},
        {"path": "c26.csv", "group": "customers", "wave": "2026"}], **extra)


def make_study(k: int = 5, top_box: int = 2, groups=("a", "ref"), items=("q",),
               values=None, min_group_size: int = 1, correction: str = "holm",
               dimension: str = "D") -> cx.Study:
    """A one-scale study of ``items`` (columns of the same names) over ``groups``, the last
    the reference; a scale of ``k`` labels, or of numeric ``values``."""
    import cxstudy as cx

    scale = {"values": list(values)} if values is not None else {
        "labels": [f"L{i}" for i in range(1, k + 1)]}
    return cx.load_study({
        "study": "t", "slug": "t", "groups": list(groups), "min_group_size": min_group_size,
        "correction": correction,
        "sources": [{"path": "x.csv", "group_column": "g"}],
        "scales": {"s": {**scale, "top_box": top_box}},
        "items": [{"id": i, "text": i, "scale": "s", "column": i, "dimension": dimension}
                  for i in items]})


def make_responses(answers: dict[str, list], weights=None, **columns) -> pd.DataFrame:
    """answers: group -> list of codes (None = missing) for item 'q' (or dict item -> list)."""
    import pandas as pd

    groups, rows = [], {}
    for group, values in answers.items():
        per_item = values if isinstance(values, dict) else {"q": values}
        length = len(next(iter(per_item.values())))
        groups += [group] * length
        for item, codes in per_item.items():
            rows.setdefault(item, []).extend(codes)
    frame = pd.DataFrame({"respondent_id": [str(i) for i in range(len(groups))],
                          "group": pd.Categorical(groups, categories=list(answers)),
                          "weight": 1.0 if weights is None else weights})
    for item, codes in rows.items():
        frame[item] = pd.array(codes, dtype="Int8")
    return frame


_BACKGROUND: dict = {}


def pytest_configure(config):
    """Start building the reports before the tests are even collected (a few seconds
    sooner) when the run may need them: the whole suite, or the tests that read them."""
    if config.option.collectonly or "process" in _BACKGROUND:
        return
    wanted = {ROOT, ROOT / "tests", *_files_reading_the_reports()}
    if any(Path(str(arg).split("::")[0]).resolve() in wanted for arg in config.args):
        _start_background_build()


def pytest_collection_modifyitems(session, config, items):
    """When tests need the built reports, start building them at once, in the background:
    the build keeps the second core busy while the single-threaded tests run. The tests that
    read the reports run last, so that the others fill the time the build takes. (The
    build's kernels listen on socket files, so nbval's kernels, started beside them over
    TCP, cannot collide with them on a port: see ``render._kernel_manager_class``.)"""
    if any(_needs_reports(item) for item in items):
        if "process" not in _BACKGROUND:
            _start_background_build()
        items.sort(key=_needs_reports)  # stable: files and tests keep their order otherwise
    else:  # started for nothing (a -k or -m that leaves those tests out)
        _stop_background_build()


def _files_reading_the_reports() -> list[Path]:
    """The test files with a test that takes the ``built`` fixture."""
    import re

    takes_built = re.compile(r"^def test_\w+\([^)]*\bbuilt\b", re.MULTILINE)
    return [path for path in (ROOT / "tests").glob("test_*.py")
            if takes_built.search(path.read_text(encoding="utf-8"))]


def _needs_reports(item) -> bool:
    return "built" in getattr(item, "fixturenames", ())


def _start_background_build() -> None:
    import subprocess
    import sys
    import tempfile

    from .shapes import write_all

    folder = Path(tempfile.mkdtemp(prefix="cxstudy-built-"))
    project = copy_project(folder / "project")
    shaped = write_all(project)
    raw_before = sha256_tree(project / "data" / "raw")
    studies = [str(project / "studies" / "example.yml"), *map(str, shaped.values())]
    process = subprocess.Popen(
        [sys.executable, "-m", "cxstudy.cli", "run", *studies, "--out", str(folder / "out"),
         "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)  # its own process group: stopped with its workers
    _BACKGROUND.update(folder=folder, project=project, shaped=shaped, process=process,
                       raw_before=raw_before)


def pytest_sessionfinish(session, exitstatus):
    _stop_background_build()


def _stop_background_build() -> None:
    import signal

    process = _BACKGROUND.pop("process", None)
    if process is not None and process.poll() is None:
        # the whole group: --jobs 2 runs studies in worker processes, which a kill of the
        # command alone would leave behind, waiting for work, for good
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if "folder" in _BACKGROUND:
        shutil.rmtree(_BACKGROUND.pop("folder"), ignore_errors=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Reports built once for the whole session and shared by the tests that read them:
    the example and the differently shaped studies of ``tests/shapes.py``, through the
    command line with ``--jobs 2`` (started in the
    background as soon as the tests are collected); and the small ``stars`` study again in
    this process (notebooks in threads), to compare the two ways.

    Returns (project, the command line's output folder, this process's output folder,
    raw hashes before).
    """
    from cxstudy.cli import main

    if "process" not in _BACKGROUND:  # a run that collected no test using it first
        _start_background_build()
    project, shaped = _BACKGROUND["project"], _BACKGROUND["shaped"]
    here = tmp_path_factory.mktemp("in_process")
    before = os.getcwd()
    assert main(["run", str(shaped["stars"]), "--out", str(here)]) == 0
    assert os.getcwd() == before  # notebooks run in threads: nobody may chdir the process
    _out, errors = _BACKGROUND["process"].communicate()
    assert _BACKGROUND["process"].returncode == 0, errors
    return project, _BACKGROUND["folder"] / "out", here, _BACKGROUND["raw_before"]


@pytest.fixture(scope="session")
def example_cleaned():
    """The example study read and cleaned once: (study, raw rows, CleaningResult)."""
    import cxstudy as cx

    study = cx.load_study(EXAMPLE_STUDY)
    raw = cx.read_sources(study)
    return study, raw, cx.clean(raw, study)


@pytest.fixture(scope="session")
def example_responses(example_cleaned):
    """The example's cleaned responses, every wave: (study, responses)."""
    study, _raw, result = example_cleaned
    return study, result.responses


@pytest.fixture(scope="session")
def example_2026(example_cleaned):
    """The example's latest wave: (study, its responses). Its exports are the ones the
    single-wave example had, so the numbers tests check are the published story."""
    from cxstudy.waves import one_wave

    study, _raw, result = example_cleaned
    return study, one_wave(result.responses, "2026")

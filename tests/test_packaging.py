"""Packaging: environment.yml and pyproject.toml in step; the README's two commands."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from cxstudy.registry import PAGES

from .conftest import ROOT, sha256_tree


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_and_spec(r) for r in project["dependencies"]
                  + project["optional-dependencies"]["test"])
    wanted["python"] = project["requires-python"].replace(" ", "")
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in environment["channels"]
    listed = dict(_name_and_spec(d) for d in environment["dependencies"] if isinstance(d, str))
    assert listed == wanted


def test_design_card_stack_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name_and_spec(r)[0] for r in project["dependencies"]}
    assert {"jupyterlab", "pandas", "scipy", "seaborn", "statsmodels", "papermill", "nbval",
            "pyarrow", "openpyxl", "pyreadstat", "pyyaml"} <= names
    assert project["scripts"]["cxstudy"] == "cxstudy.cli:main"


def test_readme_commands_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    assert "make example" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line and not line.startswith(("#", "set ",
                                                                                 "cd "))]
    start = commands.index("make test")  # the README's command, then the installed wheel
    before = "\n".join(commands[:start])  # only Java for the Spark tests, where missing
    assert before.startswith("if ! command -v java") and "default-jre-headless" in before
    assert not re.search(r"\b(make|pytest|pip|python)\b", before)
    after = "\n".join(commands[start + 1:])
    assert "python -m build --outdir" in after  # the wheel and the sdist
    assert re.search(r'-m venv "\$work/venv"', after) and 'work="$(mktemp -d)"' in after
    assert re.search(r'pip install --quiet --no-compile "\$work"/dist/cxstudy-\*\.whl', after)
    assert "cxstudy\" init --example demo" in after and "cxstudy\" run studies/example.yml" in after
    readme = (ROOT / "README.md").read_text()
    assert "cxstudy init --example demo && cd demo" in readme  # what CI runs, the README says


def test_the_license_is_the_one_the_package_declares_and_changes_are_logged():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert project["license"] == "MIT" and license_text.startswith("MIT License\n")
    assert "Copyright (c) 2026 cxstudy contributors" in license_text
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and "keepachangelog.com" in changelog
    assert f"## {project['version']}" in changelog


def test_generated_folders_are_ignored_but_kept():
    ignore = (ROOT / ".gitignore").read_text()
    for folder in ("data/processed", "reports"):
        assert f"{folder}/*" in ignore and (ROOT / folder / ".gitkeep").is_file()


# ---------------------------------------------------------------------------
# the wheel: what `pip install cxstudy` gives, run outside the repository

def test_the_wheel_maps_what_the_package_looks_for():
    """pyproject's force-include (what the wheel carries from the repository) and
    cxstudy.project (where the installed package looks) name the same files."""
    from cxstudy.project import EXAMPLE

    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    mapped = build["targets"]["wheel"]["force-include"]
    assert mapped == {"notebooks": "cxstudy/notebooks",
                      **{part: f"cxstudy/example/{part}" for part in EXAMPLE}}
    for part in mapped:
        assert (ROOT / part).exists(), part


def _fresh_venv(folder: Path) -> Path:
    """A virtual environment without cxstudy that sees this interpreter's packages (the
    dependencies) after its own, as a .pth file listing their folders: .pth files there
    (an editable install of the checkout) are not read."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / ("Scripts" if os.name == "nt" else "bin") / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                          "['purelib'])"], capture_output=True, text=True, check=True)
    paths = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(own.stdout.strip()) / "zz_dependencies.pth").write_text("\n".join(paths) + "\n")
    return python


def _exports_for_the_template(folder: Path) -> dict[str, int]:
    """Exports for the study ``cxstudy init acme`` writes, as its comments say: one CSV per
    audience in data/raw/acme/ with a respondent id, the personal-data columns it names, a
    Finished flag and Q1 on its agree scale (two of the answers unfinished or unknown).
    Returns the rows written per audience."""
    import csv

    rng = np.random.default_rng(28)
    labels = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
              "Strongly agree"]
    sizes = {"leadership": 12, "staff": 30, "customers": 80}
    for group, n in sizes.items():
        top = {"leadership": 0.8, "staff": 0.6, "customers": 0.3}[group]
        with (folder / "data" / "raw" / "acme" / f"{group}.csv").open(
                "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["ResponseId", "Finished", "Email", "Name", "IPAddress", "Q1"])
            for i in range(n):
                answer = labels[rng.integers(3, 5) if rng.random() < top else rng.integers(0, 3)]
                writer.writerow([f"{group[0]}{i}", "False" if i == 1 else "True",
                                 f"person{i}@example.com", f"Person {i}", "192.0.2.1",
                                 "Don't know" if i == 2 else answer])
    return sizes


def test_the_built_wheel_runs_a_study_in_an_empty_folder(tmp_path):
    """Build the wheel, install it into a fresh virtual environment outside the checkout,
    and in an empty folder: write the example (cxstudy init --example), start a study
    (cxstudy init acme), put exports where it says, validate and run it to its report —
    with the notebooks the wheel carries and the cxstudy of the wheel, not the checkout's."""
    import json

    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("cannot build the wheel: hatchling (the build backend) is not installed; "
                    "pip install -e '.[test]'")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--wheel-dir", str(tmp_path / "dist"),
                            str(ROOT)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel, = (tmp_path / "dist").glob("cxstudy-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"cxstudy/notebooks/{page.notebook}" for page in PAGES} <= names
    assert {"cxstudy/example/studies/example.yml", "cxstudy/templates/themes.yml",
            "cxstudy/example/data/raw/example/staff.xlsx"} <= names
    assert [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    python = _fresh_venv(tmp_path / "venv")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python),
                                "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                               capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stderr[-2000:]
    empty = tmp_path / "client"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the dependencies' data files (nbconvert's templates) are where they were installed
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*args], cwd=empty, env=env, capture_output=True, text=True,
                              check=False, timeout=600)

    where = command(str(python), "-c", "import cxstudy; print(cxstudy.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where
    cli = str(python.parent / "cxstudy")
    example = command(cli, "init", "--example")
    assert example.returncode == 0, example.stderr
    assert sha256_tree(empty / "data" / "raw" / "example") == \
        sha256_tree(ROOT / "data" / "raw" / "example")
    assert (empty / "studies" / "example.yml").read_bytes() == \
        (ROOT / "studies" / "example.yml").read_bytes()
    started = command(cli, "init", "acme")
    assert started.returncode == 0, started.stderr
    assert (empty / "studies" / "themes" / "acme.yml").is_file()
    sizes = _exports_for_the_template(empty)
    checked = command(cli, "validate", "studies/acme.yml")
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert "OK — 3 source(s), 122 rows, 1 items" in checked.stdout
    ran = command(cli, "run", "studies/acme.yml")  # three pages: summary, quality, gaps
    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = empty / "reports" / "acme"
    assert "acme — perception gap" in (report / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notebooks"] == "packaged"
    assert [page["page"] for page in manifest["pages"]] == ["index.html", "data_quality.html",
                                                            "gaps.html"]
    assert {page["notebook_from"] for page in manifest["pages"]} == {"packaged"}
    assert manifest["respondents"] == {"kept": sum(sizes.values()) - 3,  # one unfinished each
                                       **{g: n - 1 for g, n in sizes.items()}}
    assert not (ROOT / "reports" / "acme").exists()

"""Packaging: environment.yml and pyproject.toml in step; the README's two commands."""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import ROOT


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
    assert commands == ["make test"]


def test_generated_folders_are_ignored_but_kept():
    ignore = (ROOT / ".gitignore").read_text()
    for folder in ("data/processed", "reports"):
        assert f"{folder}/*" in ignore and (ROOT / folder / ".gitkeep").is_file()

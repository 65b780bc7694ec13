"""A project folder (cxstudy.project): what cxstudy init writes, the .gitignore it keeps,
the example it copies, what validate says of exports not there yet, and where the
packaged notebooks and example are found."""

from __future__ import annotations

import re
import subprocess

import pytest

import cxstudy as cx
from cxstudy import project
from cxstudy.exceptions import CxStudyError
from cxstudy.voices import load_codebook

from .conftest import ROOT, sha256_tree


def test_packaged_folders_of_a_checkout_are_the_repository_s():
    assert project.packaged("notebooks") == ROOT / "notebooks"
    assert project.packaged("example") == ROOT
    with pytest.raises(ValueError, match="'notebooks' or 'example'"):
        project.packaged("templates")


def test_packaged_folders_inside_the_package_come_first(tmp_path, monkeypatch):
    """An installed wheel: the package holds notebooks/ and example/; a package that lost
    them (and is no checkout) says to reinstall."""
    package = tmp_path / "site-packages" / "cxstudy"
    (package / "notebooks").mkdir(parents=True)
    monkeypatch.setattr(project, "PACKAGE", package)
    assert project.packaged("notebooks") == package / "notebooks"
    with pytest.raises(CxStudyError, match=r"no example .*pip install --force-reinstall"):
        project.packaged("example")


def test_init_study_writes_a_project_folder(tmp_path):
    done = project.init_study("acme", tmp_path / "acme" / "studies")
    folder = tmp_path / "acme"
    assert (folder / "studies" / "acme.yml").is_file()
    assert (folder / "studies" / "themes" / "acme.yml").is_file()
    assert (folder / "data" / "raw" / "acme").is_dir()
    assert not list((folder / "data" / "raw" / "acme").iterdir())
    ignore = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"data/raw/", "data/processed/", "reports/"} <= set(ignore)
    assert len(done) == 4 and done[-1] == f"wrote {folder / '.gitignore'}"
    study = cx.load_study(folder / "studies" / "acme.yml")  # valid as written
    assert study.project_root == folder.resolve()
    assert study.sources[0].path == folder.resolve() / "data" / "raw" / "acme" / "leadership.csv"


def test_init_study_never_overwrites(tmp_path):
    project.init_study("acme", tmp_path / "studies")
    (tmp_path / "studies" / "acme.yml").write_text("mine", encoding="utf-8")
    with pytest.raises(CxStudyError, match=r"acme.yml.* already exist; nothing was written"):
        project.init_study("acme", tmp_path / "studies")
    assert (tmp_path / "studies" / "acme.yml").read_text(encoding="utf-8") == "mine"
    project.init_study("acme", tmp_path / "studies", force=True)  # said in so many words
    assert (tmp_path / "studies" / "acme.yml").read_text(encoding="utf-8") != "mine"


def test_the_codebook_init_writes_is_read_once_the_study_uses_it(tmp_path):
    """The template's open-ended questions and themes: line, uncommented, use the codebook
    init wrote: it loads, with the study, and codes answers."""
    project.init_study("acme", tmp_path / "studies")
    codebook = load_codebook(tmp_path / "studies" / "themes" / "acme.yml")
    assert [theme.id for theme in codebook.themes] == ["friendly_staff", "waiting"]
    path = tmp_path / "studies" / "acme.yml"
    text = path.read_text(encoding="utf-8")
    block = re.search(r"^# open_ended:.*?^# themes: themes/acme.yml", text, re.M | re.S)
    text = text.replace(block.group(0), re.sub(r"^# ?", "", block.group(0), flags=re.M))
    path.write_text(text, encoding="utf-8")
    study = cx.load_study(path)
    assert study.themes == tmp_path / "studies" / "themes" / "acme.yml"
    assert [q.id for q in study.open_ended] == ["do_well", "improve"]
    load_codebook(study.themes, study)  # the themes' questions are the study's


def test_gitignore_lines_are_added_never_removed(tmp_path):
    (tmp_path / ".gitignore").write_text("*.pyc\n/reports/*", encoding="utf-8")
    said = project.ignore_outputs(tmp_path)
    assert said == f"added data/raw/, data/processed/ to {tmp_path / '.gitignore'}"
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["*.pyc", "/reports/*"] and "reports/" not in lines
    assert project.ignore_outputs(tmp_path) is None  # all there: nothing touched


def test_init_in_the_repository_keeps_its_gitignore(tmp_path):
    """The repository ignores data/raw/* and tracks the example beside it: a study started
    there must not add data/raw/ (which would hide the example from git)."""
    (tmp_path / ".gitignore").write_bytes((ROOT / ".gitignore").read_bytes())
    assert project.ignore_outputs(tmp_path) is None


def test_gitignore_keeps_the_exports_out_of_git(tmp_path):
    git = subprocess.run(["git", "init", "-q", str(tmp_path)], capture_output=True, check=False)
    if git.returncode != 0:
        pytest.skip("git is not installed")
    project.init_study("acme", tmp_path / "studies")
    for name in ("data/raw/acme/customers.csv", "data/processed/acme/responses.parquet",
                 "reports/acme/index.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain", "-uall"],
                            capture_output=True, text=True, check=True).stdout
    assert sorted(line[3:] for line in status.splitlines()) == [
        ".gitignore", "studies/acme.yml", "studies/themes/acme.yml"]


def test_init_example_copies_the_example_and_refuses_to_overwrite(tmp_path):
    done = project.init_example(tmp_path / "demo")
    assert done[0].endswith("6 exports in " + str(tmp_path / "demo" / "data" / "raw" /
                                                   "example") + "/")
    assert sha256_tree(tmp_path / "demo" / "data" / "raw" / "example") == \
        sha256_tree(ROOT / "data" / "raw" / "example")
    for part in project.EXAMPLE[:2]:
        assert (tmp_path / "demo" / part).read_bytes() == (ROOT / part).read_bytes()
    assert cx.load_study(tmp_path / "demo" / "studies" / "example.yml").project_root == \
        (tmp_path / "demo").resolve()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data" / "raw" / "example").mkdir(parents=True)
    (tmp_path / "other" / "data" / "raw" / "example" / "staff.xlsx").write_text("mine")
    with pytest.raises(CxStudyError, match=r"staff.xlsx already exists; nothing was written"):
        project.init_example(tmp_path / "other")
    assert not (tmp_path / "other" / "studies").exists()


def test_missing_exports_say_where_they_go(tmp_path):
    project.init_study("acme", tmp_path / "studies")
    study = cx.load_study(tmp_path / "studies" / "acme.yml")
    raw = tmp_path / "data" / "raw" / "acme"
    said = project.missing_exports(study, problems=3)
    assert said == ("The study file itself is fine; none of its 3 exports is there yet.\n"
                    f"{raw.resolve()}/ is empty: put leadership.csv, staff.csv, customers.csv "
                    "there, or change the sources: paths to the files the client sent.")
    (raw / "Staff export.csv").write_text("x")
    (raw / "leadership.csv").write_text("x")
    said = project.missing_exports(study, problems=4)  # other problems too: no "fine"
    assert said == (f"{raw.resolve()}/ holds Staff export.csv, leadership.csv: put staff.csv, "
                    "customers.csv there, or change the sources: paths to the files the "
                    "client sent.")
    for name in ("staff.csv", "customers.csv"):
        (raw / name).write_text("x")
    assert project.missing_exports(study, problems=0) is None


def test_copy_notebooks_gives_the_project_its_own_and_never_overwrites(tmp_path):
    from cxstudy.registry import PAGES

    said = project.copy_notebooks(tmp_path)
    assert said == [f"wrote 6 report notebooks in {tmp_path / 'notebooks'}/ (a run uses these "
                    "instead of cxstudy's own; delete one to go back to cxstudy's)"]
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == sorted(
        page.notebook for page in PAGES)
    assert sha256_tree(tmp_path / "notebooks") == {
        page.notebook: sha256_tree(ROOT / "notebooks")[page.notebook] for page in PAGES}
    (tmp_path / "notebooks" / "02_gaps.ipynb").write_text("changed")
    with pytest.raises(CxStudyError, match="already exist; nothing was written"):
        project.copy_notebooks(tmp_path)
    assert (tmp_path / "notebooks" / "02_gaps.ipynb").read_text() == "changed"

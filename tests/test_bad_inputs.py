"""The bad-input suite: broken studies, exports and situations, each answered by a cxstudy
error naming the file, row or key, or by a correct result — never a traceback, a hang or a
leak. Every bug fixed gets a case here so that it stays fixed."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import threading
import time
import zipfile

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import cxstudy as cx
from cxstudy._files import RunLock, spreadsheet_safe
from cxstudy.cli import main
from cxstudy.exceptions import CxStudyError, DataError, ReadError, StudyFileError
from cxstudy.limits import STUDY_FILE_DEPTH, Limits
from cxstudy.privacy import scrub_text

from .conftest import AGREE5, ROOT, minimal_study


def small_project(tmp_path, leaders="Q1\nAgree\nStrongly agree\nDisagree\nAgree\nAgree\n",
                  customers="Q1\nDisagree\nAgree\nDisagree\nDisagree\nAgree\n", **spec):
    (tmp_path / "studies").mkdir(parents=True, exist_ok=True)
    (tmp_path / "leaders.csv").write_text(leaders, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(customers, encoding="utf-8")
    study = minimal_study(**spec)
    for source in study["sources"]:
        source["path"] = "../" + source["path"]
    path = tmp_path / "studies" / "study.yml"
    path.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    return path


def finishes(function, *args, seconds: float = 120):
    """Run ``function`` and say whether it finished: a hang fails the test instead of
    stalling the suite."""
    outcome = {}

    def work():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{function.__name__} did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ---------------------------------------------------------------------------
# the study file


@pytest.mark.parametrize("slug, found", [
    ("acme\n", "'acme\\n'"), ("a" * 300, "aaaa"), ("Acme", "'Acme'"), ("", "''")])
def test_slugs_that_would_name_bad_folders_are_refused(slug, found):
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(minimal_study(slug=slug), base_dir=ROOT)
    assert any(p.where == "slug" and found in p.found for p in caught.value.problems)


def test_an_empty_path_is_a_problem_of_the_study_file():
    spec = minimal_study()
    spec["sources"][0]["path"] = "  "
    with pytest.raises(StudyFileError, match=r"sources\[0\]\.path: empty"):
        cx.load_study(spec, base_dir=ROOT)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in range(8):
        alias = chr(97 + level)
        lines.append(f"{chr(98 + level)}: &{chr(98 + level)} [" + ",".join([f"*{alias}"] * 9)
                     + "]")
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\nstudy: [*i]\n")  # 9^9 values if expanded
    with pytest.raises(StudyFileError, match="aliases expand to more than"):
        finishes(cx.load_study, path)


def test_an_oversized_study_file_is_refused(tmp_path):
    path = tmp_path / "big.yml"
    path.write_text("# " + "x" * 2_100_000 + "\nstudy: x\n")
    with pytest.raises(StudyFileError, match="a study file is at most"):
        cx.load_study(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["study", "slug", "sources", "groups", "scales", "items", "path",
                         "group", "labels", "values", "id", "text", "scale", "column",
                         "waves", "segments", "bins", "map", "weights", "cleaning"]),
        children, max_size=5), max_leaves=20))
def test_any_parsed_yaml_gives_a_study_or_a_study_file_error(document):
    try:
        study = cx.load_study(document if isinstance(document, dict) else
                              {"study": document}, base_dir=ROOT)
    except StudyFileError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
    else:
        assert study.groups


# ---------------------------------------------------------------------------
# exports


def test_a_zip_renamed_xlsx_is_a_read_error(tmp_path):
    path = tmp_path / "staff.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    with pytest.raises(ReadError, match=r"staff\.xlsx: not a readable \.xlsx workbook"):
        cx.read_export(path)


@pytest.mark.parametrize("content, message", [
    (b"id,Q1\n" + b"1,Agree\n" * 1000 + b"2,Agr\x00ee\n",
     r"export\.csv, row 1002: a NUL byte in the text"),  # past the first 4 KB
    (b"\xef\xbb\xbfid,Q1\n" + b"1,Agree\n" * 1000 + b"2,Agr\x00ee\n",  # with a BOM too
     r"export\.csv, row 1002: a NUL byte in the text"),
    ("id,Q1\n1,Très bien\n".encode() + "2,Très bien\n".encode("cp1252"),
     r"export\.csv, row 3: the file mixes text encodings"),
    (b"id,Q1,Q2\n1,Agree,Agree\n2,Agree\n",
     r"export\.csv, row 3: 1 line\(s\) have fewer fields than the header \(the first: 2 of 3\)"),
    # cut off inside a quoted answer: the Arrow reader would take it as one long answer
    (b'id,Q1\n1,Agree\n2,"Agree\n', r"export\.csv, row 3: a quoted answer is never closed"),
    (b"id,Q1\n1,Agree\n2,Agree,Agree\n", r"export\.csv: the table is ragged: line 3 has 3 "
     r"fields, more than the header"),
    # an answer over two lines above it: the line an editor shows (pandas counted records)
    (b'id,Q1\n1,"two\nlines"\n2,Agree,Agree\n', r"export\.csv: the table is ragged: line 4 "
     r"has 3 fields"),
    (b'id,Q1,Q2\n1,"two\nlines",x\n2,Agree\n', r"export\.csv, row 4: 1 line\(s\) have fewer "
     r"fields than the header"),
])
def test_readers_never_guess_silently(tmp_path, content, message):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        cx.read_export(path, "csv")


def test_a_malformed_row_deep_in_a_large_export_stops_the_run_before_anything_is_written(
        tmp_path):
    """Issue 29: a row with a field too many near the end of a large export (read in
    blocks) is named by its line, and the run writes nothing: the first pass over every
    export finds it before any block is cleaned."""
    rows = ["Q1"] + ["Agree", "Disagree"] * 3000
    rows[5000] = "Agree,Agree"
    study = small_project(tmp_path, customers="\n".join(rows) + "\n")
    with pytest.raises(ReadError, match=r"customers\.csv: the table is ragged: line 5001 has "
                                        r"2 fields, more than the header"):
        cx.run(study, report=False)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == ["customers.csv", "leaders.csv", "reports/.test.lock", "studies/study.yml"]


def test_a_carriage_return_inside_an_answer_makes_no_respondent(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,Q1\r\n1,Agree\r\n2,Ag\rree\r\n3,Agree\r\n")
    frame = cx.read_export(path)
    assert frame["id"].tolist() == [1, 2, 3] and frame["Q1"].tolist()[1] == "Ag\rree"


def test_old_mac_line_breaks_are_lines(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,Q1\r1,Agree\r2,Disagree\r")
    assert cx.read_export(path)["Q1"].tolist() == ["Agree", "Disagree"]


def test_a_repeated_header_a_study_maps_is_refused(tmp_path):
    study = small_project(tmp_path, leaders="Q1,Q1_2,Q1\nAgree,Agree,Disagree\n")
    with pytest.raises(StudyFileError, match=r'column "Q1" appears 2 times'):
        cx.run(study, report=False)


def test_a_header_only_export_is_refused(tmp_path):
    study = small_project(tmp_path, customers="Q1\n")
    with pytest.raises(ReadError, match=r"customers\.csv: no responses: the export has its "
                                        r"header but no rows"):
        cx.run(study, report=False)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_a_frame_or_a_read_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "export.csv"
    path.write_bytes(data)
    try:
        frame = cx.read_export(path)
    except ReadError as exc:
        assert "export.csv" in str(exc)
    else:
        assert isinstance(frame, pd.DataFrame)


# ---------------------------------------------------------------------------
# runs


def test_a_run_that_keeps_nobody_is_an_error(tmp_path):
    study = small_project(tmp_path, cleaning={"attention_checks": [
        {"column": "Q1", "expect": "Neither agree nor disagree"}]})
    with pytest.raises(DataError, match="cleaning kept no respondent") as caught:
        cx.run(study, report=False)
    assert "rule attention_check: dropped 10 row(s)" in str(caught.value)
    assert not (tmp_path / "data" / "processed" / "test").exists()


@pytest.mark.parametrize("other_id", ["a-respondent-id-a-word-longer", "x" * 300])
def test_a_repeated_id_is_found_in_another_block_whatever_ids_that_block_holds(
        tmp_path, other_id):
    """C1 answers twice, in the first and the last block of a run in blocks of two rows;
    the last block also holds a longer id (one word, 8 bytes, longer than any other, or
    longer than 256 bytes). The repeat is dropped as in a run of one block. (It was kept:
    a block's longest id changed the keys of every id in it.)"""
    customers = ("id,Q1\nC1,Agree\nC2,Disagree\nC3,Agree\nC4,Agree\n"
                 f"C1,Disagree\n{other_id},Agree\n")
    study = small_project(tmp_path, leaders="id,Q1\nL1,Agree\nL2,Disagree\n",
                          customers=customers)
    kept = {}
    for block_rows in (2, 1_000):
        result = cx.run(study, out=tmp_path / f"blocks-{block_rows}", report=False,
                        block_rows=block_rows)
        log = pd.read_csv(result.processed_dir / "cleaning_log.csv")
        kept[block_rows] = log.loc[log["source"] == "customers", "kept"].tolist()
    assert kept[2] == kept[1_000] == [True, True, True, True, False, True]


def test_out_pointing_at_a_file_is_an_error(tmp_path):
    study = small_project(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CxStudyError, match="is a file, not a folder"):
        cx.run(study, out=tmp_path / "afile", report=False)


def test_an_unwritable_folder_is_named(tmp_path, monkeypatch):
    study = small_project(tmp_path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "data" / "processed"))

    monkeypatch.setattr("cxstudy.pipeline.BlockWriter.append", refuse)
    with pytest.raises(CxStudyError, match=r"cannot write .*data/processed: permission "
                                           r"denied; make the folder writable, or give --out"):
        cx.run(study, report=False)


# ---- a run that does not finish changes nothing (hardening, third round) -------------

def outputs_of(root, slug: str = "test") -> dict:
    """Every file of the report and of the cleaned data, with its sha256."""
    from .conftest import sha256_tree

    return {name: sha256_tree(root / folder / slug)
            for name, folder in (("report", "reports"), ("processed", "data/processed"))}


def staged_leftovers(root, slug: str = "test") -> list[str]:
    return sorted(p.name for folder in ("reports", "data/processed")
                  for p in (root / folder).glob(f".{slug}.*-*"))


def previous_state(tmp_path):
    """A study whose cleaned data a run wrote and whose report folder holds a page."""
    study = small_project(tmp_path)
    cx.run(study, report=False)
    report = tmp_path / "reports" / "test"
    report.mkdir(parents=True)
    (report / "index.html").write_text("<p>the previous report</p>", encoding="utf-8")
    before = outputs_of(tmp_path)
    assert before["report"] and before["processed"]
    return study, before


def _refuse(error: BaseException):
    def refuse(*args, **kwargs):
        raise error
    return refuse


@pytest.mark.parametrize(("stage", "target", "error"), [
    ("reading", "cxstudy.pipeline.plan_sources", ReadError("x.csv", "unreadable")),
    ("cleaning", "cxstudy.pipeline.clean", RuntimeError("cleaning broke")),
    ("writing the cleaned data", "cxstudy.pipeline.BlockWriter.append",
     OSError(28, "No space left on device")),
    ("the tables", "cxstudy.analysis.Results.write_tables", RuntimeError("a table broke")),
    ("a page", "cxstudy.render.execute", cx.ReportError("notebook 02_gaps.ipynb failed in "
                                                        "cell 3", notebook="02_gaps.ipynb")),
    ("interrupted after the pages", "cxstudy.render._manifest", KeyboardInterrupt()),
    ("the workbook", "cxstudy.workbook.write_workbook", OSError(28, "No space left on device")),
    ("the deck", "cxstudy.deck.write_deck", RuntimeError("a slide broke")),
])
def test_a_run_failing_at_any_stage_leaves_report_and_cleaned_data_as_they_were(
        tmp_path, monkeypatch, stage, target, error):
    study, before = previous_state(tmp_path)
    if stage == "interrupted after the pages":  # the pages as made, without their kernels
        monkeypatch.setattr("cxstudy.render._make_pages", lambda *a, **k: [])
    monkeypatch.setattr(target, _refuse(error))
    with pytest.raises((CxStudyError, RuntimeError, KeyboardInterrupt)):
        cx.run(study)
    assert outputs_of(tmp_path) == before, stage
    assert staged_leftovers(tmp_path) == [], stage


def test_a_move_into_place_that_fails_is_undone(tmp_path, monkeypatch):
    """The cleaned data and the report are moved in together: when the second move fails,
    the first is undone, so the report never sits beside cleaned data of another run."""
    import os

    from cxstudy import _files

    study, before = previous_state(tmp_path)
    monkeypatch.setattr("cxstudy.render._make_pages", lambda *a, **k: [])
    moves = []

    def replace(source, destination):
        moves.append(destination)
        if len(moves) == 4:  # old data aside, new data in, old report aside: the new report
            raise OSError(30, "Read-only file system", str(destination))
        os.rename(source, destination)

    monkeypatch.setattr(_files.os, "replace", replace)
    with pytest.raises(CxStudyError, match="read-only; give --out a folder you can write"):
        cx.run(study)
    assert outputs_of(tmp_path) == before
    assert staged_leftovers(tmp_path) == []


@pytest.mark.parametrize(("errno", "advice"), [
    (28, "the disk is full; free space there, or give --out a folder on another disk"),
    (30, "the file system is read-only; give --out a folder you can write to"),
    (5, "Input/output error; check the folder, or give --out another one"),
])
def test_any_os_error_while_writing_names_the_folder_and_what_to_do(tmp_path, monkeypatch,
                                                                     errno, advice):
    import os

    study, before = previous_state(tmp_path)
    monkeypatch.setattr("cxstudy.pipeline.BlockWriter.append", _refuse(
        OSError(errno, os.strerror(errno), str(tmp_path / "data" / "processed"))))
    with pytest.raises(CxStudyError) as caught:
        cx.run(study, report=False)
    message = str(caught.value)
    assert f"cannot write {tmp_path / 'data' / 'processed'}: {advice}" in message
    assert "previous report and cleaned data are untouched" in message
    assert outputs_of(tmp_path) == before and staged_leftovers(tmp_path) == []


def test_odd_output_folders_are_clear_errors_with_no_leftovers(tmp_path):
    study = small_project(tmp_path)
    (tmp_path / "reports").symlink_to(tmp_path / "nowhere")  # a dangling link
    with pytest.raises(CxStudyError, match=r"symbolic link to .*nowhere, which does not exist"):
        cx.run(study, report=False)
    (tmp_path / "reports").unlink()
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "data" / "processed").mkdir(parents=True)
    (tmp_path / "data" / "processed" / "test").symlink_to(real)
    with pytest.raises(CxStudyError, match="processed/test is a symbolic link: cxstudy "
                                           "replaces this folder whole"):
        cx.run(study, report=False)
    assert list(real.iterdir()) == [] and staged_leftovers(tmp_path) == []
    with pytest.raises(CxStudyError, match="cannot write"):
        cx.run(study, out="/proc/cxstudy-out", report=False)


def test_an_export_name_too_long_for_the_file_system_is_a_read_error(tmp_path, capsys):
    """A 300-character file name: validate and run say what to do, no OSError traceback."""
    from cxstudy.cli import main

    study = small_project(tmp_path)
    spec = yaml.safe_load(study.read_text())
    spec["sources"][0]["path"] = "../" + "x" * 300 + ".csv"
    study.write_text(yaml.safe_dump(spec))
    assert main(["validate", str(study)]) == 1
    assert "cannot be looked at (File name too long); rename or move the export" in \
        capsys.readouterr().err
    with pytest.raises(ReadError, match="File name too long"):
        cx.run(study, report=False)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_run_killed_or_terminated_during_the_pages_changes_nothing(tmp_path, how):
    """kill -9 leaves its staged folders (the next run clears them); SIGTERM cleans up as
    Ctrl-C does. Either way the previous report and cleaned data stay as they were."""
    import os
    import signal
    import subprocess
    import sys

    study, before = previous_state(tmp_path)
    command = subprocess.Popen(
        [sys.executable, "-m", "cxstudy.cli", "run", str(study)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in command.stdout:  # the tables are made: the notebooks start now
            if "pages," in line:
                break
        if how == "SIGKILL":
            os.killpg(command.pid, signal.SIGKILL)  # the command and its kernels
            command.wait(timeout=30)
            assert outputs_of(tmp_path) == before
            assert staged_leftovers(tmp_path)  # half-built, as a killed run leaves them
            cx.run(study, report=False)  # the next run clears them
            assert staged_leftovers(tmp_path) == []
        else:
            command.send_signal(signal.SIGTERM)
            _out, errors = command.communicate(timeout=120)
            assert command.returncode == 143, errors
            assert "terminated: the previous report and cleaned data are untouched" in errors
            assert outputs_of(tmp_path) == before
            assert staged_leftovers(tmp_path) == []
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)


def test_a_run_stopped_while_a_deliverables_thread_starts_leaves_no_staged_report(
        tmp_path, monkeypatch):
    """A signal that stops the run inside ``Thread.start`` (which waits for the new
    thread to run: under load, long enough for a SIGTERM to land there) leaves that thread
    out of its pool, so the pool's shutdown does not wait for it: the run must still wait
    for it before removing the staged report, or the deck it writes afterwards leaves a
    half-built report folder behind."""
    import threading
    import time

    from cxstudy import render

    study, before = previous_state(tmp_path)
    real_start, real_write = threading.Thread.start, render.write_deliverables
    tables_made = threading.Event()

    def start(thread):
        real_start(thread)
        if tables_made.is_set():  # the first thread after the tables: the deliverables'
            tables_made.clear()
            raise KeyboardInterrupt  # as Terminated is raised by the SIGTERM handler

    def slow_write(*args, **kwargs):
        time.sleep(2)  # longer than the removal's retries (1.5 s)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(render, "write_deliverables", slow_write)
    with pytest.raises(KeyboardInterrupt):
        cx.run(study, progress=lambda line: "tables in" in line and tables_made.set())
    time.sleep(2.5)  # a thread left running would have written the deck by now
    assert staged_leftovers(tmp_path) == []
    assert outputs_of(tmp_path) == before


# ---- nothing of the machine in what is sent to the client ----------------------------

def test_a_built_report_names_no_folder_of_the_machine(built):
    """Executed notebooks (papermill's parameters, input and output paths), pages,
    manifests and tables: paths from the project folder, and nothing that spells a folder
    of the machine (the project's, the output's, the checkout's, the temporary folder)."""
    import sys
    import tempfile

    project, out, _here, _raw = built
    machine = {str(project), str(out), str(ROOT), sys.prefix, tempfile.gettempdir() + "/"}
    checked = 0
    for path in (out / "reports").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".json", ".csv"}:
            text = path.read_text(encoding="utf-8")
            assert not [m for m in machine if m in text], (path, machine)
            checked += 1
    assert checked > 30
    manifest = yaml.safe_load((out / "reports" / "example" / "manifest.json").read_text())
    assert manifest["study_file"]["path"] == "studies/example.yml"
    assert manifest["parameters"] == {"study": "studies/example.yml"}  # cleaned data: --out


def test_files_outside_the_project_are_named_by_their_name_alone(tmp_path):
    from cxstudy._files import portable

    project = tmp_path / "acme"
    (project / "data").mkdir(parents=True)
    secret = tmp_path / "clients" / "acme-confidential" / "leaders.csv"
    assert portable(project / "data" / "x.csv", project) == "data/x.csv"
    assert portable(secret, project) == "leaders.csv"
    assert portable(project / ".." / "clients" / "leaders.csv", project) == "leaders.csv"


def test_two_runs_of_one_study_do_not_overlap_and_leftovers_are_cleared(tmp_path):
    study = small_project(tmp_path)
    leftover = tmp_path / "reports" / ".test.building-deadbeef"
    leftover.mkdir(parents=True)
    half = tmp_path / "data" / "processed" / ".test.writing-deadbeef"
    half.mkdir(parents=True)
    with RunLock(tmp_path, "test"), pytest.raises(CxStudyError,
                                                  match="another run of this study"):
        cx.run(study, report=False)
    assert not leftover.exists() and not half.exists()  # a killed run's folders go
    cx.run(study, report=False)  # the lock is free again


# ---------------------------------------------------------------------------
# text is text, privacy, linear time


def test_csv_cells_cannot_run_as_formulas(tmp_path):
    frame = pd.DataFrame({"text": ["=HYPERLINK(\"x\")", "+1", "-2 points", "@cmd", "\tx",
                                   "fine", None], "n": [1, -2, 3, 4, 5, 6, 7]})
    safe = spreadsheet_safe(frame)
    assert safe["text"].tolist()[:6] == ["'=HYPERLINK(\"x\")", "'+1", "'-2 points", "'@cmd",
                                         "'\tx", "fine"]
    assert safe["n"].tolist() == [1, -2, 3, 4, 5, 6, 7]  # numbers stay numbers
    study = small_project(tmp_path, items=[{"id": "excellent", "text": "=1+1 is excellent",
                                            "scale": "agree5", "column": "Q1",
                                            "headline": True}])
    result = cx.run(study, report=False)
    res = cx.analyze(result.study, result.cleaning.responses)
    res.write_tables(tmp_path / "tables")
    assert "'=1+1 is excellent" in (tmp_path / "tables" / "gaps.csv").read_text()


def test_an_audience_called_total_keeps_its_own_column():
    from cxstudy import report

    log = pd.DataFrame({"source": ["a", "a", "b"], "source_row": [1, 2, 1], "detail": "",
                        "respondent_id": ["r1", "r1", "r2"],
                        "group": ["total", "total", "others"],
                        "kept": [True, False, True], "reason": ["", "duplicate", ""]})
    study = cx.load_study(minimal_study(groups=["total", "others"], sources=[
        {"path": "x.csv", "group_column": "g"}]), base_dir=ROOT)
    table = report.rows_by_rule(log, study)
    assert list(table.columns) == ["total", "others", "all rows"]
    assert table.loc["kept", "total"] == 1 and table.loc["all rows", "all rows"] == 3


def test_a_small_audience_shows_no_missingness():
    from cxstudy import plots
    from cxstudy.quality import missing_shares

    study = cx.load_study(minimal_study(min_group_size=5), base_dir=ROOT)
    responses = pd.DataFrame({"group": ["leadership"] * 3 + ["customers"] * 10,
                              "excellent": [None, 4, 5] + [1] * 10})
    figure = plots.missingness_heatmap(missing_shares(responses, study), study)
    assert "leadership" not in figure.cx_alt
    assert "leadership" not in [t.get_text() for t in figure.axes[0].get_xticklabels()]


def test_a_multi_megabyte_answer_is_scrubbed_and_coded_in_linear_time():
    answer = ("a" * 1_000_000 + " write to anna@mail.example or call +44 7700 900123 "
              + "b." * 1_000_000 + " the bills are confusing")
    scrubbed = finishes(scrub_text, pd.Series([answer])).iloc[0]
    assert "[email]" in scrubbed and "[phone]" in scrubbed and "anna@" not in scrubbed
    from cxstudy.voices import compile_pattern

    for pattern in ("bill*", "/(a+)+$b/", "confusing"):  # (a+)+ backtracks in Python's re
        compiled = compile_pattern(pattern)
        found = finishes(compiled.search, answer)
        assert bool(found) == (pattern != "/(a+)+$b/")


def test_a_multi_megabyte_answer_in_an_export_is_read_cleaned_and_coded(tmp_path):
    big = "a" * 2_000_000 + " anna@mail.example " + "b." * 1_000_000 + " the bills"
    customers = "Q1,OE\n" + "".join(f"Disagree,fine {i}\n" for i in range(5)) + \
        f'Agree,"{big}"\n'
    study = small_project(tmp_path, customers=customers, open_ended=[
        {"id": "oe", "question": "Anything?", "columns": {"customers": "OE"}}])
    loaded = cx.load_study(study)
    responses = finishes(lambda: cx.clean(cx.read_sources(loaded), loaded).responses)
    kept = responses.loc[responses["oe"].str.len() > 1_000_000, "oe"].iloc[0]
    assert "[email]" in kept and "anna@" not in kept



def test_a_codebook_of_hundreds_of_themes_costs_a_page_only_the_themes_it_shows(tmp_path):
    """Slow but correct (hardening, third round): a page is handed the codebook without
    compiling its patterns, charts the 15 themes most mentioned (saying so), and pairs
    strengths with problems without a loop over every theme."""
    import pickle

    import numpy as np

    from cxstudy import plots, voices

    defined = 300
    codebook = voices.load_codebook({"themes": [
        {"id": f"t{i}", "label": f"Theme {i}", "patterns": [f"word{i}"]}
        for i in range(defined)]})
    voices.compile_pattern.cache_clear()
    handed = pickle.loads(pickle.dumps(codebook))
    assert voices.compile_pattern.cache_info().misses == 0  # loaded, nothing compiled
    assert handed.themes[7].patterns[0].search("a word7 here")  # compiled when used
    study = cx.load_study(small_project(tmp_path, open_ended=[
        {"id": "q", "question": "Q?", "column": "Q1", "role": "strength"},
        {"id": "p", "question": "P?", "column": "Q1", "role": "problem"}]))
    rng = np.random.default_rng(1)
    rows = [{"question": q, "theme": f"t{i}", "label": f"Theme {i}", "group": g, "n": 50,
             "share": share, "share_low": 0.0, "share_high": min(1.0, share + 0.1),
             "suppressed": False}
            for q in ("q", "p") for i in range(defined) for g in study.groups
            for share in [float(rng.random() ** 8)]]
    themes = pd.DataFrame(rows)
    figure = plots.theme_dots(themes, study, "q", title="Q?")
    drawn = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(drawn) == 15 and "The 15 themes most mentioned of the codebook's 300" in \
        figure.cx_alt
    largest = themes[themes["question"] == "q"].groupby("theme")["share"].max().nlargest(15)
    assert {f"Theme {t[1:]}" for t in largest.index} == set(drawn)
    few = pd.DataFrame({"theme": [f"t{i}" for i in range(20)], "share": [0.0] * 17
                        + [0.2, 0.1, 0.3]})
    assert voices.most_mentioned(few, 15) == ["t17", "t18", "t19"]  # none never mentioned
    pairs = voices.disagreements(themes, study)
    shares = themes.pivot_table(index="theme", columns=["question", "group"],
                                values="share")
    good, bad = shares["q"].to_numpy(), shares["p"].to_numpy()
    strength = (good >= 0.10) & (good > bad)  # names it more as a strength
    problem = (bad >= 0.10) & (bad > good)
    expected = (strength.sum(1) * problem.sum(1)).sum()  # the two never overlap
    assert len(pairs) == expected > 0  # every pair leaning opposite ways

def test_themes_mentions_are_blank_when_suppressed(tmp_path):
    study = small_project(tmp_path, min_group_size=6, open_ended=[
        {"id": "oe", "question": "Anything?", "column": "Q1"}])
    (tmp_path / "studies" / "themes.yml").write_text(yaml.safe_dump({"themes": [
        {"id": "agree", "label": "Agreement", "patterns": ["agree"]}]}))
    spec = yaml.safe_load(study.read_text())
    spec["themes"] = "themes.yml"
    study.write_text(yaml.safe_dump(spec))
    loaded = cx.load_study(study)
    table = cx.theme_table(cx.clean(cx.read_sources(loaded), loaded).responses, loaded)
    hidden = table[table["suppressed"]]
    assert len(hidden) and hidden[["mentions", "share"]].isna().all().all()


assert AGREE5  # the scale the small studies use


# ---------------------------------------------------------------------------
# personal data in open answers (hardening, third round): the respondent's name without
# its accents or apostrophe, phone numbers with a slash or an extension, links without a
# scheme; and the ordinary text a scrubber must leave (scripts/scrub_report.py measures
# both on the example study and the real fixtures)


def _scrubbed(text: str, name: str | None = None) -> str:
    personal = None if name is None else pd.DataFrame({"Name": [name]}, dtype="string")
    return scrub_text(pd.Series([text]), personal).iloc[0]


@pytest.mark.parametrize("text, name, expected", [
    ("jose muller here", "José Müller", "[name] here"),
    ("Ask for JOSE MULLER.", "José Müller", "Ask for [name]."),
    ("josé  müller sorted it", "José Müller", "[name] sorted it"),
    ("Jose\u0301 called", "José Müller", "[name] called"),  # a combining accent
    ("Müller called, then jose", "José Müller", "[name] called, then [name]"),
    ("muller", "JOSÉ MÜLLER", "[name]"),
    ("O'Sullivan helped", "Aoife O’Sullivan", "[name] helped"),
    ("OSullivan helped", "Aoife O’Sullivan", "[name] helped"),
    ("o‘sullivan’s team", "Aoife O'Sullivan", "[name]’s team"),
    ("Oʼsullivan and aoife", "Aoife OSullivan", "[name] and [name]"),
    ("thanks Zoe Li", "Zoë\u3000Li", "thanks [name]"),
    ("ask for strasse", "Straße", "ask for [name]"),
])
def test_the_respondents_name_is_masked_without_accents_and_apostrophes(text, name, expected):
    assert _scrubbed(text, name) == expected


@pytest.mark.parametrize("text, name", [
    ("the Müllers next door", "José Müller"), ("ask Joséphine", "José Müller"),
    ("mullerton branch", "José Müller"), ("Sullivan Street", "Aoife O’Sullivan"),
    ("Anna and Annette", "Ann Lee"),
])
def test_a_word_that_only_contains_the_name_stays(text, name):
    assert _scrubbed(text, name) == text


@pytest.mark.parametrize("number", [
    "030/12345678", "030 / 1234567", "0221/1234567", "+49 30/1234567", "(030) 12345678",
    "07700900123x45", "07700 900123 x45", "020 7946 0958 ext. 45", "020 7946 0958 ext 45",
    "020 7946 0958 Ext.45", "+44 20 7946 0958 extension 123", "+44 7700 900123",
    "٠٣٠١٢٣٤٥٦٧", "０３０１２３４５６７",
])
def test_phone_numbers_with_a_slash_or_an_extension_are_masked(number):
    assert _scrubbed(f"call {number} today") == "call [phone] today"
    assert _scrubbed(f"({number})") == "([phone])"


@pytest.mark.parametrize("link", [
    "larkfield.example/account?id=99812", "larkfield.co.uk", "Larkfield.com",
    "shop.larkfield.de/basket", "keya4anc.com", "farnan4dc.com/safety",
    "portal.larkfield.example:8080/login", "my.larkfield.energy/bills/2026",
    "https://larkfield.example/x", "www.larkfield.example",
])
def test_links_without_a_scheme_are_masked(link):
    assert _scrubbed(f"see {link} now") == "see [link] now"
    assert _scrubbed(f"({link}).") in {"([link]).", "([link]"}  # a path takes what follows


@pytest.mark.parametrize("text", [
    "support 24/7 would help", "it took 2-3 days", "on 12/03/2026", "on 2026-03-12",
    "12.03.2026 at 14:30", "logged 2016-05-13 12:22:41", "prices in 2019-2023",
    "from 2011 - 2017", "in 2025 and 2026", "it cost £1,234.56", "€1.234.567 a year",
    "$ 1234567 raised", "1.234.567 customers", "up 12.5% (99% sure)", "rated 8/10",
    "4 out of 5", "page 3/4", "12/2026 and 05/2026", "hours 8-20, Mon-Fri",
    "ref 12345 was lost", "invoice 1234567/2026", "order 0301234567abc",
    "e.g. the app, etc.", "i.e. billing", "version 3.5", "v2.0 and v2.0.1",
    "it was fine.Then it broke", "the app.App crashed", "Mr. Smith at the desk",
    "U.S./Canada", "p.m./a.m.", "node.js and report.pdf", "and/or", "1920x1080",
    "5.5/10 overall", "N.B. the bill",
])
def test_ordinary_numbers_and_abbreviations_are_not_masked(text):
    assert _scrubbed(text) == text


@pytest.mark.parametrize("answer, name, ending", [
    ("030/" * 400_000 + " 030/12345678", None, "/ [phone]"),
    ("0" * 1_000_000 + "/", None, "0/"), ("ab." * 400_000 + "com", None, "[link]"),
    ("a.b/" * 300_000, None, "a.b/"), ("1 " * 500_000, None, "[phone] "),
    ("x45 ext. " * 200_000, None, "ext. "), ("O'" * 500_000 + "Sullivan", "O’Sullivan", "O'[name]"),
    ("é" * 1_000_000 + " jose muller", "José Müller", "é [name]"),
])
def test_the_wider_patterns_stay_linear_in_time(answer, name, ending):
    """Answers of a megabyte built to make the new patterns work hard: each finishes (RE2
    and literal name patterns), and the end of the answer is as expected."""
    scrubbed = finishes(_scrubbed, answer, name)
    assert scrubbed.endswith(ending) and len(scrubbed) <= len(answer)


def test_a_study_masks_its_respondents_name_phone_and_link(tmp_path):
    leaders = ("id,Name,Q1,OE\n"
               "L1,José Müller,Agree,\"jose muller here, call 030/12345678 or see "
               "larkfield.example/account?id=99812\"\n"
               + "".join(f"L{i},Person {i},Agree,open 24/7 for 2-3 days\n" for i in range(2, 6)))
    customers = "id,Q1,OE\n" + "".join(f"C{i},Disagree,fine on 12/03/2026\n" for i in range(5))
    study = small_project(tmp_path, leaders=leaders, customers=customers,
                          pii_columns=["Name"], open_ended=[
                              {"id": "oe", "question": "Anything?",
                               "columns": {"leadership": "OE", "customers": "OE"}}])
    result = cx.run(study, report=False)
    responses = result.cleaning.responses
    assert responses["oe"].iloc[0] == "[name] here, call [phone] or see [link]"
    assert set(responses["oe"].iloc[1:]) == {"open 24/7 for 2-3 days", "fine on 12/03/2026"}
    written = pd.read_parquet(result.processed_dir / "responses.parquet")
    assert written["oe"].iloc[0] == "[name] here, call [phone] or see [link]"
    logs = "".join(path.read_text(encoding="utf-8")
                   for path in result.processed_dir.rglob("*.csv"))
    everything = (responses.astype(str).to_string() + written.astype(str).to_string()
                  + result.cleaning.log.to_string() + logs).casefold()
    for secret in ["josé", "jose", "müller", "muller", "12345678", "larkfield", "99812"]:
        assert secret not in everything, secret


# files that are not files, inputs sized to break the readers, formulas without values
# (each refused before a parser sees the file, in well under a second; `finishes` fails
# a hang instead of stalling the suite)

def refused(error, function, *args, seconds: float = 60):
    """The error ``function`` raises, within ``seconds``: a guard against a hang (a named
    pipe or a device read for ever), generous so that a loaded machine never fails it;
    speed is measured in benchmarks/, never asserted here."""
    started = time.perf_counter()
    with pytest.raises(error) as caught:
        finishes(function, *args, seconds=seconds)
    assert time.perf_counter() - started < seconds
    return caught.value


def not_a_file(tmp_path, kind: str):
    """A path in tmp_path that is ``kind`` (fifo, socket, folder) or /dev/zero."""
    if kind == "device":
        return "/dev/zero"
    path = tmp_path / f"export_{kind}.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        if len(str(path)) > 100:
            pytest.skip("tmp_path too long for a socket's name")
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()  # the socket file stays
    return str(path)


KINDS = {"fifo": "a named pipe (FIFO)", "device": "a character device", "socket": "a socket",
         "folder": "a folder"}


def cli_output(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_export_that_is_not_a_file_is_refused_naming_the_key(tmp_path, kind):
    study = small_project(tmp_path)
    spec = yaml.safe_load(study.read_text())
    spec["sources"][1]["path"] = not_a_file(tmp_path, kind)
    study.write_text(yaml.safe_dump(spec))
    for attempt in (cx.load_study, lambda path: cx.run(path, report=False)):
        error = refused(StudyFileError, attempt, study)
        assert [p.where for p in error.problems] == ["sources[1].path"]
        assert f"is {KINDS[kind]}, not an export file" in str(error)
        assert "cxstudy reads only regular files" in str(error)
    code, said = finishes(cli_output, "validate", study)
    assert code == 1 and "sources[1].path" in said and KINDS[kind] in said
    assert "Traceback" not in said and said.count(KINDS[kind]) == 1  # named once


@pytest.mark.parametrize("kind", ["fifo", "device", "socket"])
def test_read_export_refuses_what_is_not_a_file_without_opening_it(tmp_path, kind):
    path = not_a_file(tmp_path, kind)
    for named in (None, "csv", "xlsx", "spss"):
        error = refused(ReadError, cx.read_export, path, named)
        assert str(error).startswith(f"{path}: is {KINDS[kind]}, not an export file")


def test_a_study_that_has_other_problems_names_a_named_pipe_once(tmp_path):
    study = small_project(tmp_path, min_grup_size=5)
    (tmp_path / "customers.csv").unlink()
    os.mkfifo(tmp_path / "customers.csv")
    code, said = finishes(cli_output, "validate", study)
    assert code == 1 and "min_grup_size" in said
    assert said.count("named pipe") == 1 and "sources[1].path" in said


@pytest.mark.parametrize("kind", ["fifo", "device", "socket"])
def test_a_study_file_that_is_not_a_file_is_refused(tmp_path, kind):
    path = not_a_file(tmp_path, kind)
    error = refused(StudyFileError, cx.load_study, path)
    assert f"{path}: is {KINDS[kind]}, not a file" in str(error)
    for command in ("validate", "run"):
        code, said = finishes(cli_output, command, path)
        assert code == 1 and KINDS[kind] in said and "Traceback" not in said


def test_a_codebook_that_is_a_named_pipe_is_refused_naming_themes(tmp_path):
    study = small_project(tmp_path, themes="themes.yml", open_ended=[
        {"id": "oe", "question": "Anything?", "column": "Q1"}])
    os.mkfifo(tmp_path / "studies" / "themes.yml")
    error = refused(StudyFileError, cx.load_study, study)
    assert [p.where for p in error.problems] == ["themes"]
    assert "is a named pipe (FIFO), not a file" in str(error)


def wide_header(columns: int) -> str:
    return ",".join(f"Q{i}" for i in range(columns)) + "\n"


@pytest.mark.parametrize("header, found", [
    (wide_header(30_000), r"the header has 30,000 columns \(split at ','\), more than the "
                          r"20,000 cxstudy reads; .*CXSTUDY_MAX_COLUMNS=30000"),
    (";".join(["x"] * 25_000) + "\n", r"25,000 columns \(split at ';'\)"),
    ("id,Q" + "x" * 2_000_000 + "\n", r"the header \(the first line\) is longer than "
                                      r"1,000,000 bytes.*CXSTUDY_MAX_HEADER_BYTES"),
    ("a," * 1_000_000 + "\n", r"longer than 1,000,000 bytes"),  # a million columns
    ("id," + '"' + "x\n" * 600_000 + '"\n', r"longer than 1,000,000 bytes"),  # quoted lines
])
def test_a_header_sized_to_break_the_parsers_is_refused_from_its_first_line(
        tmp_path, header, found):
    path = tmp_path / "export.csv"
    path.write_text(header + "1,2\n" * 3)
    for named in (None, "csv", "qualtrics"):
        error = refused(ReadError, cx.read_export, path, named)
        assert re.search(r"export\.csv, row 1: .*" + found, str(error)), str(error)


def test_the_column_and_header_limits_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "export.csv"
    path.write_text('id,"How was it,\nreally?",Q2\n1,Agree,Agree\n')  # a quoted line end
    monkeypatch.setenv(Limits.variable("columns"), "2")
    assert "3 columns" in str(refused(ReadError, cx.read_export, path))
    monkeypatch.setenv(Limits.variable("columns"), "3")
    assert list(cx.read_export(path).columns) == ["id", "How was it, really?", "Q2"]
    monkeypatch.setenv(Limits.variable("header_bytes"), "20")
    assert "longer than 20 bytes" in str(refused(ReadError, cx.read_export, path))
    monkeypatch.setenv(Limits.variable("header_bytes"), "30")
    assert len(cx.read_export(path)) == 1
    monkeypatch.setenv(Limits.variable("columns"), "lots")
    with pytest.raises(CxStudyError, match=r"CXSTUDY_MAX_COLUMNS='lots': not a whole number "
                                           r"above 0; set it to one \(the default is 20,000\)"):
        cx.read_export(path)


def workbook(path, formulas: dict[str, str] | None = None, sheets=("Answers",)):
    """A small .xlsx: id and q1 for 20 respondents; ``formulas``: cell -> formula, stored as
    openpyxl stores them, without a value."""
    book = Workbook()
    for position, title in enumerate(sheets):
        sheet = book.active if position == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(["id", "q1"])
        for respondent in range(1, 21):
            sheet.append([respondent, respondent % 5 + 1])
        for cell, formula in (formulas or {}).items():
            sheet[cell] = formula
    book.save(path)
    return path


def rewrite_part(path, part: str, change) -> None:
    """Rewrite one member of a zip (the raw file is the test's own, in tmp_path)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info.filename, change(data) if info.filename == part else data)


def test_a_workbook_that_inflates_like_a_zip_bomb_is_refused_from_its_directory(tmp_path):
    path = workbook(tmp_path / "staff.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/sharedStrings.xml", "w") as part:  # 48 MB of one byte
        for _ in range(48):
            part.write(b" " * (1 << 20))
    assert path.stat().st_size < 200_000
    error = refused(ReadError, cx.read_export, path)
    assert re.search(r"staff\.xlsx: part xl/sharedStrings\.xml inflates 1,0\d\d times "
                     r"\([\d,]+ bytes to 50,331,648\).*zip bomb.*"
                     r"CXSTUDY_MAX_COMPRESSION_RATIO", str(error)), str(error)


def test_a_workbook_larger_than_the_limit_is_refused_and_the_limit_can_be_raised(
        tmp_path, monkeypatch):
    path = workbook(tmp_path / "staff.xlsx")
    monkeypatch.setenv(Limits.variable("workbook_bytes"), "10000")
    error = refused(ReadError, cx.read_export, path)
    assert re.search(r"staff\.xlsx: the workbook's parts inflate to [\d,]+ bytes, more than "
                     r"the 10,000 cxstudy reads \(the largest, .*\);.*"
                     r"CXSTUDY_MAX_WORKBOOK_BYTES", str(error)), str(error)
    monkeypatch.delenv(Limits.variable("workbook_bytes"))
    assert len(cx.read_export(path)) == 20


@pytest.mark.parametrize("text", [
    "study: " + "[" * 5_000 + "]" * 5_000 + "\n",  # the 5,000 levels
    "study: " + "{a: " * 3_000 + "x" + "}" * 3_000 + "\n",
    "study:\n" + "".join(" " * level + "- \n" for level in range(1, 400)),
    "study: " + "[" * 400_000 + "\n",  # never closed: refused before the YAML error
])
def test_a_study_file_nested_thousands_deep_is_refused(tmp_path, text):
    path = tmp_path / "deep.yml"
    path.write_text(text)
    error = refused(StudyFileError, cx.load_study, path)
    assert re.search(rf"line \d+, column \d+: lists and mappings nested more than "
                     rf"{STUDY_FILE_DEPTH} levels deep", str(error)), str(error)
    code, said = finishes(cli_output, "validate", path)
    assert code == 1 and "nested more than" in said and "Traceback" not in said


def test_a_study_file_nested_as_deep_as_the_limit_is_read(tmp_path):
    path = small_project(tmp_path)
    spec = yaml.safe_load(path.read_text())
    for levels, deep in ((STUDY_FILE_DEPTH, False), (STUDY_FILE_DEPTH + 1, True)):
        nested = "x"
        for _ in range(levels - 1):  # inside the document's mapping
            nested = [nested]
        spec["description"] = nested
        path.write_text(yaml.safe_dump(spec))
        error = refused(StudyFileError, cx.load_study, path)
        assert ("levels deep" in str(error)) is deep
        assert deep or "description: unknown key" in str(error)


def test_formulas_without_saved_values_are_named_not_read_as_missing(tmp_path):
    formulas = {f"B{row}": f"=A{row}*2" for row in range(12, 22)}  # q1 of 10 of 20
    path = workbook(tmp_path / "staff.xlsx", formulas)
    error = refused(ReadError, cx.read_export, path)
    assert str(error) == (
        f"{path}: sheet 'Answers': 10 cell(s) hold a formula with no saved value (B12, B13, "
        "B14, B15, B16, …), so they would read as missing answers: the program that wrote "
        "the file did not calculate them. Open the file in a spreadsheet program (Excel, "
        "LibreOffice) and save it, so that it stores the formulas' values, then run again")
    study = small_project(tmp_path)
    spec = yaml.safe_load(study.read_text())
    spec["sources"][1]["path"] = "../staff.xlsx"
    spec["items"][0]["column"] = "q1"
    study.write_text(yaml.safe_dump(spec))
    with pytest.raises(ReadError, match=r"staff\.xlsx: sheet 'Answers': 10 cell\(s\)"):
        cx.run(study, report=False)


def test_formulas_with_saved_values_read_as_their_values(tmp_path):
    formulas = {f"B{row}": f"=A{row}*2" for row in range(12, 22)}
    path = workbook(tmp_path / "staff.xlsx", formulas)
    # openpyxl writes an empty value as <v/> with its own XML writer, <v></v> with lxml's
    rewrite_part(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
        rb"<f>A(\d+)\*2</f>(?:<v ?/>|<v></v>)", lambda m: b"<f>A%s*2</f><v>%d</v>" % (
            m.group(1), (int(m.group(1)) - 1) * 2), xml))
    frame = finishes(cx.read_export, path)
    assert frame["q1"].tolist()[10:] == [22, 24, 26, 28, 30, 32, 34, 36, 38, 40]
    assert frame["q1"].notna().all()


def test_only_the_sheet_read_is_checked_for_formulas_and_empty_text_is_a_value(tmp_path):
    path = workbook(tmp_path / "staff.xlsx", {"B3": '=IF(A3>0,"","x")'},
                    sheets=("Answers", "Notes"))
    with pytest.raises(ReadError, match=r"sheet 'Notes': 1 cell\(s\) .* \(B3\)"):
        cx.read_export(path, sheet="Notes")
    rewrite_part(path, "xl/worksheets/sheet1.xml",  # Answers: B3 holds its value, ""
                 lambda xml: xml.replace(b'<c r="B3"><f>', b'<c r="B3" t="str"><f>'))
    frame = cx.read_export(path, sheet=0)
    assert frame["q1"].isna().sum() == 1 and len(frame) == 20


# ---------------------------------------------------------------------------
# issue 25: export variants said in the study file


def test_an_older_surveymonkey_header_is_no_plain_csv():
    """'RespondentID' (no space) fell back to plain CSV: its "Response" sub-header became a
    respondent, and format: surveymonkey was refused."""
    from .conftest import FIXTURES

    for forced in (None, "surveymonkey"):
        frame = cx.read_export(FIXTURES / "surveymonkey_respondentid.csv", forced)
        assert frame.attrs["format"] == "surveymonkey" and len(frame) == 2


def test_a_rename_of_a_header_the_export_lacks_stops_a_run_naming_the_key(tmp_path):
    study = small_project(tmp_path, leaders="Question 1\nAgree\nAgree\nDisagree\nAgree\nAgree\n")
    spec = yaml.safe_load(study.read_text())
    spec["sources"][0]["rename"] = {"Question one": "Q1"}
    study.write_text(yaml.safe_dump(spec))
    with pytest.raises(StudyFileError) as caught:
        cx.run(study, report=False)
    said = [str(p) for p in caught.value.problems]
    assert any(p.startswith('sources[0].rename.Question one: leaders.csv has no header '
                            '"Question one"') and 'nearest: "Question 1"' in p
               for p in said), said


def test_an_alias_to_a_label_the_scale_lacks_is_refused():
    study = minimal_study(scales={"agree5": {**AGREE5, "aliases": {"Agree strongly":
                                                                     "Strongly agreed"}}})
    with pytest.raises(StudyFileError) as caught:
        cx.load_study(study, base_dir=ROOT)
    assert [p.where for p in caught.value.problems] == ["scales.agree5.aliases.Agree strongly"]
    assert 'did you mean "Strongly agree"?' in caught.value.problems[0].found


def test_aliased_answers_are_kept_and_every_row_is_accounted_for(tmp_path):
    study = small_project(
        tmp_path, leaders="Q1\nAgree strongly\nMostly agree\nDisagree\nAgree\nAgree\n",
        scales={"agree5": {**AGREE5, "aliases": {"Agree strongly": "Strongly agree",
                                                  "Mostly agree": "Agree"}}})
    result = cx.run(study, report=False)
    log = result.cleaning.log
    assert len(log) == 10 == log["kept"].sum() + (~log["kept"]).sum()
    leaders = result.cleaning.responses.query("group == 'leadership'")
    assert leaders["excellent"].tolist() == [5, 4, 2, 4, 4]
    assert log["detail"].str.contains("aliases").sum() == 2


# issue 25: what a study file says about exports it must not change


@pytest.mark.parametrize("spec, said", [
    ({"cleaning": {"exclude": [{"column": "Employment", "values": ["Self-employed"]}]}},
     'leaders.csv (cleaning.exclude[0]): no column "Employment"'),
    ({"cleaning": {"exclude": [{"column": "Q1", "blank": True, "groups": ["staff"]}]}},
     "cleaning.exclude[0].groups: 'staff' is not an audience"),
    ({"waves": ["2025", "2026"],
      "items": [{"id": "excellent", "text": "x", "scale": "agree5", "column": "Q1",
                 "break": {"wave": "2017", "reason": "a neutral answer was added"}}]},
     "items[0] (excellent).break.wave: '2017' is not in waves"),
    ({"open_ended": [{"id": "why", "question": "Why?", "column": "Why", "waves": ["2026"]}]},
     "open_ended[0].waves: given, but the study has no waves"),
    ({"weights": {"group": "customers", "margins": {"Q1": {"Agree": 0.5, "Disagree": 0.45,
                                                           "": 0.05}}}},
     'weights.margins.Q1: a category named \'\' (a string); name the respondents who left '
     'Q1 blank "(missing)"'),
    ({"weights": {"group": "customers", "margins": {"Q1": {"Agree": 0.5, "Disagree": 0.4,
                                                           "Neither": 0.1}}}},
     "weights.margins.Q1.Neither: no respondent in this category"),
])
def test_validate_finds_what_the_study_file_says_of_the_exports_before_a_run(
        tmp_path, capsys, spec, said):
    path = small_project(tmp_path, **spec)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    raw_before = {p.name: p.read_bytes() for p in tmp_path.glob("*.csv")}
    with pytest.raises(CxStudyError):  # and run refuses with the same problem, first
        cx.run(path, report=False)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.csv")} == raw_before
    assert not (tmp_path / "data" / "processed").exists()


def test_a_blank_audience_that_is_not_part_of_the_study_is_excluded_not_an_audience(tmp_path):
    """350 non-viewers with no answers appeared in every table: excluded, they are in the
    log and on no page."""
    rows = "Seen,Q1\n" + "Yes,Agree\nYes,Disagree\n" * 5 + ",\n" * 350
    (tmp_path / "studies").mkdir()
    (tmp_path / "all.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "leaders.csv").write_text("Q1\n" + "Agree\n" * 6, encoding="utf-8")
    spec = minimal_study(sources=[{"path": "../leaders.csv", "group": "leadership"},
                                  {"path": "../all.csv", "group": "customers"}],
                         cleaning={"exclude": [{"column": "Seen", "blank": True,
                                                "sources": ["../all.csv"]}]})
    path = tmp_path / "studies" / "study.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    study = cx.load_study(path)
    result = cx.clean(cx.read_sources(study), study)
    assert result.log["reason"].eq("excluded").sum() == 350
    assert result.log["kept"].sum() == 16 and len(result.log) == 366
    assert cx.gap_table(result.responses, study)["n_ref"].tolist() == [10]


# group sheets: split and sheet_size (issue 24)

def test_split_on_an_item_or_with_an_unknown_kind_names_the_key():
    from .conftest import problems_of

    item = minimal_study()
    item["items"][0]["split"] = "points"
    problems = problems_of(item)
    assert any("items[0] (excellent).split" in p and "no text to split" in p
               for p in problems), problems
    wrong = minimal_study(open_ended=[{"id": "why", "question": "Why?", "column": "C",
                                       "split": "lines"}])
    problems = problems_of(wrong)
    assert any("open_ended[0].split" in p and "points" in p for p in problems), problems


def _sheet_study(tmp_path, staff_csv: str, **question):
    """Leaders' answers and the staff's group sheets (``staff_csv``), weighed by their
    ``People`` column (``sheet_size``), with one open question ``OE``."""
    (tmp_path / "staff.csv").write_text(staff_csv, encoding="utf-8")
    (tmp_path / "leaders.csv").write_text("id,OE\nL1,fine\n", encoding="utf-8")
    return cx.load_study({
        "study": "s", "slug": "s", "groups": ["leaders", "staff"],
        "sources": [{"path": "leaders.csv", "group": "leaders"},
                    {"path": "staff.csv", "group": "staff", "id_column": "Sheet",
                     "sheet_size": "People"}],
        "open_ended": [{"id": "q", "question": "Q?", "column": "OE", **question}],
        "cleaning": {"require_finished": False}}, base_dir=tmp_path)


@pytest.mark.parametrize("sizes, found", [
    (["8", "six", "7"], "'six'"),
    (["8", "", "7"], "blank"),
    (["8", "0", "-2"], "'0'"),
])
def test_a_sheet_size_that_is_not_a_number_names_the_export_and_rows(tmp_path, sizes, found):
    study = _sheet_study(tmp_path, "Sheet,People,OE\n" + "".join(
        f"S{i},{n},- a point\n" for i, n in enumerate(sizes)), split="points")
    with pytest.raises(DataError) as caught:
        cx.clean(cx.read_sources(study), study)
    text = str(caught.value)
    assert "staff.csv" in text and "sheet_size: People" in text and found in text
    assert "row" in text and "Traceback" not in text


def test_a_missing_sheet_size_column_is_found_by_validate(tmp_path):
    study = _sheet_study(tmp_path, "Sheet,people,OE\nS1,8,x\n")
    with pytest.raises(StudyFileError) as caught:
        cx.clean(cx.read_sources(study), study)
    assert any('no column "People"' in str(p) and "sheet_size" in str(p) and "people" in str(p)
               for p in caught.value.problems)


# ---------------------------------------------------------------------------
# choice questions: answers and columns the study does not allow, said by validate too


def _choice_project(tmp_path, leaders: str, customers: str, **choice):
    spec = {"id": "contact", "text": "How?", "options": ["Phone", "E-mail", "Chat"],
            **({} if "columns" in choice else {"column": "Q5"}), **choice}
    return small_project(tmp_path, leaders=leaders, customers=customers, choices=[spec])


@pytest.mark.parametrize(("leaders", "customers", "choice", "said"), [
    ("Q1,Q5\nAgree,Phone\nAgree,Fax\n", "Q1,Q5\nAgree,Chat\n", {},
     ['answer "Fax"', "1 row(s)", 'column "Q5" (contact, leadership): 1']),
    ("Q1,Q5\nAgree,Phone\nAgree,Emial\n", "Q1,Q5\nAgree,Chat\n", {},
     ['did you mean "E-mail"']),
    ("Q1,Q5\nAgree,\"Phone, Chat\"\n", "Q1,Q5\nAgree,Chat\n", {},
     ["two or more options in one cell", "responses 1", "multiple: true"]),
    ("Q1,Q5\nAgree,\"Phone, Fax\"\n", "Q1,Q5\nAgree,Chat\n", {"multiple": True},
     ['answer "Fax"']),
    ("Q1,Q5_1,Q5_2\nAgree,1,\n", "Q1,Q5\nAgree,Chat\n", {"multiple": True},
     ["leaders.csv (leadership)", "which option it holds cannot be told"]),
    ("Q1,Q6\nAgree,Phone\n", "Q1,Q5\nAgree,Chat\n", {},
     ['no column "Q5"', '"Q6"']),
    ("Q1,Q5_1,Q5_2\nAgree,1,\n", "Q1,Q5\nAgree,Chat\n",
     {"multiple": True, "columns": {"leadership": ["Q5_1", "Q5_3"], "customers": "Q5"},
      }, ['no column "Q5_3"', '"Q5_1"']),
])
def test_bad_choice_answers_and_columns_are_named_by_validate(tmp_path, leaders, customers,
                                                              choice, said):
    path = _choice_project(tmp_path, leaders, customers, **choice)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    text = err.getvalue() + out.getvalue()
    assert code == 1 and "Traceback" not in text
    for part in said:
        assert part in text, (part, text)


def test_unknown_choice_answers_counted_as_other_are_a_note(tmp_path):
    path = _choice_project(tmp_path, "Q1,Q5\nAgree,Phone\nAgree,Fax\n",
                           "Q1,Q5\nAgree,Chat\n", unmatched="Chat")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    text = err.getvalue() + out.getvalue()
    assert code == 0, text
    assert 'answers matching no option counted as "Chat": "Fax" (1)' in text


@pytest.mark.parametrize("spec, key", [
    ({"groups": [{"id": "leadership", "label": 2026}, "customers"]}, "groups[0].label"),
    ({"groups": [{"id": "leadership", "label": ["Board"]}, "customers"]}, "groups[0].label"),
    ({"subject": {"what": "care"}}, "subject"),
    ({"subject": ""}, "subject"),
    ({"scales": {"agree5": {**AGREE5, "bottom_box_label": True}}},
     "scales.agree5.bottom_box_label"),
])
def test_words_for_readers_that_are_not_text_are_study_file_problems(tmp_path, capsys, spec,
                                                                     key):
    """A label, subject or bottom-box wording that is not text: validate and run name the
    key, no traceback, nothing written."""
    study = small_project(tmp_path, **spec)
    assert main(["validate", str(study)]) == 1
    assert f"{key}:" in capsys.readouterr().err
    with pytest.raises(StudyFileError, match=re.escape(key)):
        cx.run(study, report=False)
    assert not (tmp_path / "data" / "processed").exists()


# a run in blocks (issue 29)

def test_an_unknown_answer_in_the_last_block_stops_the_run_before_anything_is_written(
        tmp_path):
    """Cleaned block by block, an answer no scale knows in the last row is found by the
    first pass, said as cleaning every row at once says it, and nothing is written."""
    from .conftest import AGREE5, write

    (tmp_path / "studies").mkdir()
    write(tmp_path / "studies" / "leaders.csv",
          [["id", "Q1"], *[[f"L{i}", "Agree"] for i in range(6)]])
    write(tmp_path / "studies" / "customers.csv",
          [["id", "Q1"], *[[f"C{i}", "Disagree"] for i in range(6)], ["C9", "Agreee"]])
    path = tmp_path / "studies" / "test.yml"
    path.write_text(yaml.safe_dump({
        "study": "Test study", "slug": "test", "groups": ["leadership", "customers"],
        "sources": [{"path": "leaders.csv", "group": "leadership"},
                    {"path": "customers.csv", "group": "customers"}],
        "scales": {"agree5": AGREE5},
        "items": [{"id": "excellent", "text": "We are excellent", "scale": "agree5",
                   "column": "Q1", "headline": True}]}), encoding="utf-8")
    study = cx.load_study(path)
    with pytest.raises(DataError) as at_once:
        cx.clean(cx.read_sources(study), study)
    with pytest.raises(DataError) as in_blocks:
        cx.run(path, report=False, block_rows=2)
    assert str(in_blocks.value) == str(at_once.value)
    assert '"Agreee"' in str(in_blocks.value) and "customers.csv" in str(in_blocks.value)
    assert not (tmp_path / "data" / "processed" / "test").exists()

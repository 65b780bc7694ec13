"""The command line: clear messages, no tracebacks, non-zero exits on problems."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from cxstudy.cli import main

from .conftest import ROOT, copy_project, sha256_tree


@pytest.fixture()
def project(tmp_path):
    """A copy of the example project that tests may break."""
    return copy_project(tmp_path)


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def cli_process(*args):
    """Run the installed entry point as a user would; return (code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "cxstudy.cli", *map(str, args)],
                          capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def cli(*args):
    """The command line's main() in this process (no interpreter to start): (code,
    stdout, stderr) as a user sees them."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse: --help, --version, usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def test_validate_example_ok():
    code, out, err = cli("validate", ROOT / "studies" / "example.yml")
    assert code == 0, err
    assert "OK" in out and "2,436 rows" in out and "16 items" in out


@pytest.mark.parametrize("old, new, expected", [
    ("min_group_size: 5", "min_grup_size: 5",
     ['min_grup_size: unknown key (did you mean "min_group_size"?)']),
    ("customers: Q1_1}", "customers: Q1_01}",
     ['customers_qualtrics.csv (customers): no column "Q1_01"',
      "items[0] (excellent).columns.customers", 'nearest: "Q1_1"']),
], ids=["misspelt key", "missing column lists the nearest"])
def test_validate_names_the_problem_and_the_fix(project, old, new, expected):
    study = project / "studies" / "example.yml"
    edit(study, old, new)
    code, out, err = cli("validate", study)
    assert code == 1
    for message in expected:
        assert message in err
    assert "Traceback" not in err + out


def test_validate_unknown_label_lists_column_value_count(project):
    study = project / "studies" / "example.yml"
    edit(study, 'missing: ["Don\'t know"]', "missing: []")
    code, out, err = cli("validate", study)
    assert code == 1
    assert re.search(r"answer \"Don't know\" \(also spelt [^)]*\"don't know\"[^)]*\): not on "
                     r"scale agree5: \d+ row\(s\) in \d+ column\(s\) \(customers_qualtrics.csv, "
                     r"2025/customers_qualtrics.csv, column \"Q1_\d+\" \(\w+, customers\): \d+;",
                     err)  # the same export name in two waves: each named by its folder
    assert "add it to scales.agree5.aliases" in err and "else add it to .labels or .missing" in err
    assert "Traceback" not in err + out


def test_validate_reports_every_problem_at_once(project):
    study = project / "studies" / "example.yml"
    edit(study, "min_group_size: 5", "min_grup_size: 5")
    edit(study, "correction: holm", "correction: bonferoni")
    code, _out, err = cli("validate", study)
    assert code == 1 and "2 problems" in err


def test_validate_missing_export(project):
    study = project / "studies" / "example.yml"
    (project / "data" / "raw" / "example" / "staff.xlsx").unlink()
    code, out, err = cli("validate", study)
    assert code == 1
    assert "staff.xlsx: file not found" in err
    assert "Traceback" not in err + out


def test_run_example_copy(project):
    # the report itself is built (once) by the session fixture; here: the command's words
    code, out, err = cli_process("run", project / "studies" / "example.yml", "--no-report")
    assert code == 0, err
    assert "kept 2,250 of 2,436 rows" in out
    assert (project / "data" / "processed" / "example" / "responses.parquet").is_file()


def test_run_with_broken_source_fails_cleanly_and_keeps_previous_output(project):
    study = project / "studies" / "example.yml"
    assert main(["run", str(study), "--no-report"]) == 0
    processed = project / "data" / "processed" / "example"
    before = {p.name: p.read_bytes() for p in processed.iterdir()}
    (project / "data" / "raw" / "example" / "leadership.csv").write_text("a,b\n1,2\n3,4,5\n")
    code, out, err = cli("run", study)
    assert code == 1
    assert "leadership.csv" in err and "ragged" in err
    assert "Traceback" not in err + out
    assert {p.name: p.read_bytes() for p in processed.iterdir()} == before


def test_init_refuses_to_overwrite(tmp_path):
    assert main(["init", "acme", "--dir", str(tmp_path)]) == 0
    assert main(["init", "acme", "--dir", str(tmp_path)]) == 1
    assert main(["init", "Bad Slug", "--dir", str(tmp_path)]) == 2


def test_cli_help_and_version():
    code, out, _err = cli_process("--version")
    assert code == 0 and out.startswith("cxstudy ")
    code, out, _err = cli("run", "--help")
    assert code == 0 and "--jobs" in out and "--out" in out


def test_the_template_shows_every_key_and_loads(tmp_path):
    import cxstudy as cx
    from cxstudy._sections import SECTIONS

    assert main(["init", "acme", "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "acme.yml").read_text(encoding="utf-8")
    missing = [f"{section}.{key.name}" for section, keys in SECTIONS.items() for key in keys
               if not re.search(rf"(^|[\s{{,#]){key.name}:", text, re.M)]
    assert not missing, missing
    study = cx.load_study(tmp_path / "acme.yml")  # valid as written
    assert study.slug == "acme" and study.scales["agree5"].top_box_label == "agree"


def test_validate_reports_study_file_and_export_problems_in_one_pass(project):
    study = project / "studies" / "example.yml"
    edit(study, "min_group_size: 5", "min_grup_size: 5")
    (project / "data" / "raw" / "example" / "staff.xlsx").unlink()
    code, out, err = cli("validate", study)
    assert code == 1
    assert 'min_grup_size: unknown key (did you mean "min_group_size"?)' in err
    assert "sources[1] (../data/raw/example/staff.xlsx): file not found" in err
    assert "Traceback" not in err + out


def test_validate_warns_of_a_rule_it_cannot_apply_and_refuses_unmatched_pii(project):
    study = project / "studies" / "example.yml"
    edit(study, "    finished_column: Completed\n", "")  # staff.xlsx has no Finished column
    code, _out, err = cli("validate", study)
    assert code == 0, err
    assert "warning: staff.xlsx has no finished column (Finished): unfinished responses " \
           "cannot be dropped" in err
    edit(study, "pii_columns: [Name, Email,", "pii_columns: [Name, Emial,")
    code, _out, err = cli("validate", study)
    assert code == 1
    assert "pii_columns (Emial): no export has this column" in err and '"Email"' in err


def test_validate_a_folder_says_so(project):
    code, out, err = cli("validate", project / "studies")
    assert code == 1 and "is a folder" in err and "Traceback" not in err + out


def test_workers_of_a_killed_parallel_run_stop_too(project):
    """`cxstudy run --jobs 2` runs studies in worker processes; when the command is killed
    (a time limit, kill -9), its workers stop as well instead of waiting for work for good
    (each held a few hundred MB)."""
    import signal
    import time

    import psutil

    study = str(project / "studies" / "example.yml")
    command = psutil.Popen([sys.executable, "-m", "cxstudy.cli", "run", study, study,
                            "--jobs", "2", "--no-report", "--quiet"], cwd=project,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(command.children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = command.children(recursive=True)
    assert len(workers) >= 2, "the workers never started"
    command.send_signal(signal.SIGKILL)
    command.wait()
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    for worker in alive:
        worker.kill()
    assert not alive, [w.pid for w in alive]


def test_parallel_run_is_identical_to_serial(built):
    project, serial, parallel, raw_before = built
    assert sha256_tree(project / "data" / "raw") == raw_before  # raw data only ever read
    for slug in ("stars",):  # --jobs 2 through the command line, and in this process
        a, b = serial / "reports" / slug, parallel / "reports" / slug
        assert sha256_tree(a / "tables") == sha256_tree(b / "tables")
        processed_a = serial / "data" / "processed" / slug
        processed_b = parallel / "data" / "processed" / slug
        pd.testing.assert_frame_equal(pd.read_parquet(processed_a / "responses.parquet"),
                                      pd.read_parquet(processed_b / "responses.parquet"))
        assert sha256_tree(processed_a) == sha256_tree(processed_b)
        names = sorted(p.name for p in a.glob("*.html"))
        assert names == sorted(p.name for p in b.glob("*.html")) and len(names) == 4
        for name in names:
            strip = re.compile(r"built \d{4}-\d\d-\d\d \d\d:\d\d UTC")
            assert strip.sub("", (a / name).read_text()) == strip.sub("", (b / name).read_text())


def test_init_makes_a_project_folder_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("init", "acme", "clients/acme")
    assert code == 0, err
    folder = tmp_path / "clients" / "acme"
    for path in ("studies/acme.yml", "studies/themes/acme.yml", ".gitignore"):
        assert (folder / path).is_file(), path
    assert (folder / "data" / "raw" / "acme").is_dir()
    assert "1. put the client's exports in clients/acme/data/raw/acme/" in out
    assert "4. cxstudy run clients/acme/studies/acme.yml" in out
    code, out, err = cli("init", "acme")  # this folder
    assert code == 0 and (tmp_path / "studies" / "acme.yml").is_file()
    assert "3. cxstudy validate studies/acme.yml" in out


def test_init_usage_errors_say_what_to_give(tmp_path):
    assert cli("init")[:2] == (2, "")
    assert "cxstudy init SLUG [FOLDER]: give the study's short name" in cli("init")[2]
    code, _out, err = cli("init", "acme", str(tmp_path), "--dir", str(tmp_path))
    assert code == 2 and "not both" in err
    code, _out, err = cli("init", "--example", "a", "b")
    assert code == 2 and "cxstudy init --example [FOLDER]" in err
    assert not list(tmp_path.iterdir())


def test_init_example_then_validate_and_refuse_a_second_time(tmp_path):
    code, out, err = cli("init", "--example", tmp_path / "demo")
    assert code == 0, err
    assert f"Next: cd {tmp_path / 'demo'} && cxstudy run studies/example.yml" in out
    code, out, err = cli("validate", tmp_path / "demo" / "studies" / "example.yml")
    assert code == 0 and "OK — 6 source(s), 2,436 rows" in out, err
    code, out, err = cli("init", "--example", tmp_path / "demo")
    assert code == 1 and "already exist; nothing was written" in err
    assert "Traceback" not in out + err


def test_validate_of_a_study_just_started_says_where_the_exports_go(tmp_path):
    """The template is a valid study: validate's only problems are the three exports it
    names, and it says so, and where they go."""
    assert cli("init", "acme", tmp_path)[0] == 0
    code, out, err = cli("validate", tmp_path / "studies" / "acme.yml")
    raw = (tmp_path / "data" / "raw" / "acme").resolve()
    assert code == 1 and out == ""
    assert err.splitlines()[0].endswith("acme.yml: 3 problems")
    assert err.count("file not found") == 3
    assert err.splitlines()[-2:] == [
        "The study file itself is fine; none of its 3 exports is there yet.",
        f"{raw}/ is empty: put leadership.csv, staff.csv, customers.csv there, or change "
        "the sources: paths to the files the client sent."]


def test_init_notebooks_copies_them_into_the_project(tmp_path):
    code, out, err = cli("init", "--notebooks", tmp_path)
    assert code == 0, err
    assert out.startswith(f"Wrote 6 report notebooks in {tmp_path / 'notebooks'}/")
    assert (tmp_path / "notebooks" / "00_summary.ipynb").is_file()
    code, _out, err = cli("init", "--example", "--notebooks", tmp_path / "both")
    assert code == 0, err
    assert (tmp_path / "both" / "notebooks" / "02_gaps.ipynb").is_file()
    assert (tmp_path / "both" / "studies" / "example.yml").is_file()


def test_init_into_a_folder_it_cannot_make_says_so(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    for args in (("init", "acme", tmp_path / "taken" / "acme"),
                 ("init", "--example", tmp_path / "taken"),
                 ("init", "--notebooks", tmp_path / "taken")):
        code, out, err = cli(*args)
        assert code == 1 and out == "", args
        assert err.startswith(f"cxstudy init: cannot write {tmp_path / 'taken'}"), err
        assert err.rstrip().endswith(f"{tmp_path / 'taken'} is a file, not a folder; give a "
                                     "project folder you can write to")
        assert "Traceback" not in err


def test_a_terminated_run_is_not_cut_short_by_a_second_sigterm():
    """The first SIGTERM raises Terminated (clean-up as Ctrl-C); from then on SIGTERM is
    ignored, so the clean-up that removes the staged folders runs to its end."""
    import signal

    from cxstudy import cli

    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, cli._terminate)
        with pytest.raises(cli.Terminated):
            cli._terminate(signal.SIGTERM, None)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_run_does_without_the_iri_grammar_and_still_validates_notebooks(tmp_path):
    """``cxstudy run``'s process does not import ``rfc3987_syntax`` (0.8 s of building a
    grammar jsonschema only needs for ``iri`` formats); nbformat still validates a
    notebook against its schema, and still refuses one that breaks it."""
    code = (
        "import json, sys\n"
        "from cxstudy import cli\n"
        "from cxstudy.project import packaged\n"
        "cli._run_one(sys.argv[1], None, report=False, quiet=True)\n"
        "import nbformat\n"
        "nbformat.read(packaged('notebooks') / '00_summary.ipynb', as_version=4)\n"
        "broken = json.loads((packaged('notebooks') / '00_summary.ipynb').read_text())\n"
        "broken['cells'][0]['cell_type'] = 'nonsense'\n"
        "try:\n"
        "    nbformat.validate(broken)\n"
        "except nbformat.ValidationError:\n"
        "    print('refused')\n"
        "print(sys.modules.get('rfc3987_syntax', 'not imported'))\n")
    found = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none.yml")],
                           capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.split() == ["refused", "None"]

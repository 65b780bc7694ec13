"""Building a report (cxstudy.render): the folder, pages without code or external links,
the contents, the manifest, a failing notebook named, printing."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import zmq

import cxstudy as cx
from cxstudy import render
from cxstudy.exceptions import ReportError
from cxstudy.registry import GAPS, QUALITY, SUMMARY

from .conftest import NOTEBOOKS, PAGES, ROOT, minimal_study, pages, sha256_tree


def test_report_folder_contents(built):
    _project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    names = {p.name for p in report.iterdir()}
    assert set(PAGES) <= names
    assert set(NOTEBOOKS) <= names
    assert {"gaps.csv", "dimension_gaps.csv", "metrics.csv", "metric_gaps.csv",
            "calibration.csv", "themes.csv"} <= {p.name for p in (report / "tables").iterdir()}
    assert (report / "manifest.json").is_file()
    # no temporary or failed folders left (the run lock, .example.lock, stays by design)
    assert not [p for p in (serial / "reports").glob(".*") if p.is_dir()]


def test_pages_have_no_code_prompts_or_external_urls(built):
    _project, serial, _parallel, _raw = built
    code = {page: [line for cell in nbformat.read(ROOT / "notebooks" / notebook, 4).cells
                   if cell.cell_type == "code" for line in cell.source.splitlines()
                   if len(line.strip()) > 12]
            for page, notebook in zip(PAGES, NOTEBOOKS, strict=True)}
    for name, text in pages(serial / "reports" / "example").items():
        assert not re.search(r'class="[^"]*(jp-InputPrompt|jp-OutputPrompt|CodeMirror)', text)
        for line in code[name]:  # not one line of code reaches the page
            assert html.escape(line.strip()) not in text, (name, line)
        assert "In&nbsp;[" not in text and "Out[" not in text, name
        assert "NBVAL_CHECK_OUTPUT" not in text, name
        assert not re.search(r"https?://", text), f"{name} names an external URL"
        assert "<script src" not in text and "require.js" not in text, name
        assert "MathJax" not in text and "mermaid" not in text.lower(), name
        assert "<title>Larkfield Home Energy — perception gap 2026 — " in text, name
        assert 'class="cx-toc"' in text, name


def test_every_contents_link_has_its_section(built):
    _project, serial, _in_process, _raw = built
    reports = [p for p in (serial / "reports").iterdir() if p.is_dir()]
    for report in reports:
        for page in report.glob("*.html"):
            text = page.read_text(encoding="utf-8")
            toc = re.search(r'<div[^>]*class="cx-toc"[^>]*>.*?</div>', text, re.DOTALL)
            links = re.findall(r'href="#([^"]+)"', toc.group(0)) if toc else []
            assert links, (report.name, page.name)
            ids = set(re.findall(r'id="([^"]+)"', text))
            assert not [link for link in links if html.unescape(link) not in
                        {html.unescape(i) for i in ids}], (report.name, page.name)


def test_manifest_hashes_parameters_and_versions(built):
    project, serial, _parallel, _raw = built
    manifest = json.loads((serial / "reports" / "example" / "manifest.json").read_text())
    study_file = project / "studies" / "example.yml"
    assert manifest["study_file"]["sha256"] == hashlib.sha256(study_file.read_bytes()).hexdigest()
    assert manifest["study_file"]["path"] == "studies/example.yml"  # from the project
    assert len(manifest["raw_files"]) == 6
    for entry in manifest["raw_files"]:
        assert not Path(entry["path"]).is_absolute()
        digest = hashlib.sha256((project / entry["path"]).read_bytes()).hexdigest()
        assert entry["sha256"] == digest
    assert manifest["parameters"]["study"] == "studies/example.yml"
    assert str(project) not in json.dumps(manifest)  # no folder of the building machine
    assert {"python", "pandas", "numpy", "scipy", "statsmodels", "papermill",
            "nbconvert", "cxstudy"} <= set(manifest["versions"])
    assert manifest["started"] <= manifest["finished"]
    assert manifest["respondents"] == {"kept": 2250, "leadership": 50, "staff": 300,
                                       "customers": 1900}
    assert manifest["notebooks"] == "packaged"  # the project has no notebooks/ of its own
    for page in manifest["pages"]:
        assert page["notebook_from"] == "packaged"
        assert page["notebook_sha256"] == hashlib.sha256(
            (ROOT / "notebooks" / page["notebook"]).read_bytes()).hexdigest()


def test_failing_notebook_names_notebook_and_cell_and_keeps_the_old_report(built, tmp_path):
    project, serial, _parallel, _raw = built
    project_copy = tmp_path / "project"  # the small "tiny" study: a failure needs no more
    shutil.copytree(project / "studies", project_copy / "studies")
    shutil.copytree(project / "data" / "raw" / "tiny", project_copy / "data" / "raw" / "tiny")
    shutil.copytree(ROOT / "notebooks", project_copy / "notebooks")
    notebook = project_copy / "notebooks" / "00_summary.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("raise ValueError('the chart broke')"))
    if zmq.has("ipc"):  # and on the way, the kernels take no TCP port that could collide
        nb.cells.insert(4, nbformat.v4.new_code_cell(
            "from ipykernel.kernelapp import IPKernelApp\n"
            "assert IPKernelApp.instance().transport == 'ipc'"))
    nbformat.write(nb, notebook)
    out = tmp_path / "out"
    shutil.copytree(serial / "reports", out / "reports")
    before = sha256_tree(out / "reports" / "tiny")
    lines: list[str] = []
    with pytest.raises(ReportError) as caught:  # one page at a time: the first one fails
        cx.run(project_copy / "studies" / "tiny.yml", out=out, notebook_jobs=1,
               progress=lines.append)
    assert not [line for line in lines if ": page " in line]  # no page started after it
    message = str(caught.value)
    cell = 6 if zmq.has("ipc") else 5
    assert f"notebook 00_summary.ipynb failed in cell {cell} (raise ValueError('the chart " \
        "broke'))" in message
    assert "ValueError: the chart broke" in message
    assert "the previous report is untouched" in message
    assert sha256_tree(out / "reports" / "tiny") == before
    assert (out / "reports" / ".failed-tiny" / "00_summary.ipynb").is_file()
    assert not list((out / "reports").glob(".tiny.building-*"))


# ---------------------------------------------------------------------------
# which notebooks, and whether a report can be built, before any work

def _project_with(tmp_path, notebooks: dict[str, str]) -> cx.Study:
    """The minimal study in a project folder whose notebooks/ holds these files."""
    import yaml

    (tmp_path / "studies").mkdir()
    (tmp_path / "notebooks").mkdir()
    for name, text in notebooks.items():
        (tmp_path / "notebooks" / name).write_text(text, encoding="utf-8")
    path = tmp_path / "studies" / "test.yml"
    path.write_text(yaml.safe_dump(minimal_study()), encoding="utf-8")
    return cx.load_study(path)


def test_a_project_s_own_notebook_wins_and_the_manifest_says_so(tmp_path):
    own = (ROOT / "notebooks" / "02_gaps.ipynb").read_text(encoding="utf-8")
    study = _project_with(tmp_path, {"02_gaps.ipynb": own, "notes.txt": "not a page"})
    found = render.notebook_sources(study, [SUMMARY, GAPS])
    assert found == {"00_summary.ipynb": ROOT / "notebooks" / "00_summary.ipynb",
                     "02_gaps.ipynb": tmp_path / "notebooks" / "02_gaps.ipynb"}
    assert [render.notebook_origin(path, study) for path in found.values()] == [
        "packaged", "notebooks/02_gaps.ipynb"]
    said = [{"notebook_from": render.notebook_origin(path, study)} for path in found.values()]
    assert render._origins(said) == "notebooks/ and packaged"
    assert render._origins(said[:1]) == "packaged"
    assert render._origins(said[1:]) == "notebooks/"


def test_a_broken_project_notebook_stops_the_run_before_any_work(tmp_path):
    study = _project_with(tmp_path, {"01_data_quality.ipynb": "{not json"})
    with pytest.raises(ReportError) as caught:  # the exports do not even exist
        cx.run(study, out=tmp_path / "out")
    message = str(caught.value)
    assert message.startswith("test: cannot build the report, so nothing was done: ")
    assert f"{tmp_path / 'notebooks' / '01_data_quality.ipynb'} cannot be read as a " \
        "notebook" in message
    assert "Fix or remove the project's copy" in message
    assert not (tmp_path / "out").exists()


def test_missing_jupyter_packages_stop_the_run_before_any_work(tmp_path, monkeypatch):
    import importlib.util
    import sys

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipykernel" else found(name, *a))
    study = _project_with(tmp_path, {})
    with pytest.raises(ReportError, match=re.escape(
            f"test: cannot build the report, so nothing was done: ipykernel not installed "
            f"for {sys.executable}; install cxstudy with its dependencies (pip install "
            "cxstudy), or run with --no-report")):
        cx.run(study, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _run_stopped_after_reading(tmp_path, notebooks: dict[str, str]) -> str:
    """Run the minimal study (its exports written) over the previous run's outputs; the
    run must fail with a ReportError and leave those outputs as they were: its message."""
    from .conftest import CUSTOMERS, LEADERS, write

    study = _project_with(tmp_path, notebooks)
    write(tmp_path / "studies" / "leaders.csv", LEADERS)
    write(tmp_path / "studies" / "customers.csv", CUSTOMERS)
    out = tmp_path / "out"
    for folder in ("data/processed/test", "reports/test"):
        (out / folder).mkdir(parents=True)
        (out / folder / "before.txt").write_text("the previous run's", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        cx.run(study, out=out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "data/processed/test/before.txt", "reports/.test.lock",  # the run's lock: empty
        "reports/test/before.txt"]
    return str(caught.value)


def test_a_page_template_that_cannot_load_stops_the_run_after_reading_with_nothing_written(
        tmp_path, monkeypatch):
    """The pages' template is loaded beside the first read (importing nbconvert takes
    about 2 s): when it cannot load, the run stops once that read is done, says so, and
    the previous cleaned data and report stay as they were."""
    def broken():
        raise OSError("template 'lab' not found")

    monkeypatch.setattr(render, "_exporter", broken)
    assert _run_stopped_after_reading(tmp_path, {}).startswith(
        "test: cannot build the report, so nothing was written: nbconvert cannot load "
        "the report's page template (template 'lab' not found); reinstall nbconvert")


def test_a_notebook_of_the_right_shape_but_not_valid_stops_the_run_after_reading(tmp_path):
    """A project's notebook that is JSON of a notebook's shape passes the quick check
    before any work; checked against the schema beside the first read, it stops the run
    then, named, with nothing written."""
    invalid = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                          "cells": [{"cell_type": "code", "source": "1"}]})
    message = _run_stopped_after_reading(tmp_path, {"02_gaps.ipynb": invalid})
    assert message.startswith("test: cannot build the report, so nothing was written: "
                              f"{tmp_path / 'notebooks' / '02_gaps.ipynb'} cannot be read "
                              "as a notebook (")
    assert "Fix or remove the project's copy" in message


def test_the_kernel_is_this_python_whatever_python3_kernel_spec_is_installed(tmp_path,
                                                                             monkeypatch):
    """``python -m ipykernel install --user`` names its kernel python3 and points it at
    that Python; the report's notebooks run in the interpreter running cxstudy."""
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/opt/other/bin/python", "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"], "display_name": "Other", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == "/opt/other/bin/python"
    manager = render._kernel_manager_class()(kernel_name="python3")
    assert manager.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert manager.transport == ("ipc" if zmq.has("ipc") else "tcp")


def _print(page: Path, pdf: Path) -> bytes:
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=180, check=False)
    return pdf.read_bytes()


def _page_texts(pdf: Path) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext)."""
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _last_lines(pdf: Path) -> list[tuple[str, float]]:
    """Each page's lowest line of text and how far down the page it ends (0 top, 1
    foot), from poppler's word boxes."""
    import subprocess

    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    found = []
    for height, words in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>',
                                    boxes, re.DOTALL):
        placed = [(float(y0), float(y1), html.unescape(w)) for y0, y1, w in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>',
            words)]
        if not placed:
            found.append(("", 0.0))
            continue
        lowest = max(y0 for y0, _, _ in placed)
        line = [(y1, w) for y0, y1, w in placed if abs(y0 - lowest) < 2]
        found.append((" ".join(w for _, w in line), max(y1 for y1, _ in line) / float(height)))
    return found


needs_chromium = pytest.mark.skipif(
    (shutil.which("chromium") is None and shutil.which("chromium-browser") is None)
    or shutil.which("pdftotext") is None,
    reason="headless Chromium or poppler's pdftotext not installed (apt-get install chromium "
           "poppler-utils)")


@needs_chromium
def test_print_to_pdf_flows_with_no_heading_alone_at_the_foot_of_a_page(built, tmp_path):
    """Printed, a page is not a section: sections follow one another (the summary took
    13 mostly blank pages, one a section); no page ends with a heading (it stays with
    what follows it); A4 landscape."""
    _project, serial, _parallel, _raw = built
    folder = serial / "reports" / "example"
    for name in ("index.html", "gaps.html"):
        pdf = tmp_path / name.replace(".html", ".pdf")
        data = _print(folder / name, pdf)
        assert data.startswith(b"%PDF")
        pages = _page_texts(pdf)
        html_text = (folder / name).read_text()
        headings = [re.sub(r"<[^>]+>", "", h).replace("¶", "").strip() for h in
                    re.findall(r"<h[234][^>]*>(.*?)</h[234]>", html_text, re.DOTALL)]
        headings = [html.unescape(h) for h in headings if h]
        assert len(headings) >= 8, name
        if name == "index.html":  # prose and tables: sections share pages
            assert len(pages) < len(headings), (name, len(pages), len(headings))
        for number, (line, depth) in enumerate(_last_lines(pdf), start=1):
            assert not (line in headings and depth > 0.7), (name, number, line, depth)
        boxes = [tuple(map(float, box)) for box in
                 re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)]
        assert boxes and all(width > height for width, height in boxes)  # A4 landscape


# ---------------------------------------------------------------------------
# the pages of a study, and one page made from a small executed notebook


def small_executed_notebook(folder: Path) -> Path:
    """An executed summary notebook: a title, a section in Markdown, a code cell whose
    output shows a section of its own, and a cell tagged for nbval's check only."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Summary\n\nWhat the study found."),
        nbformat.v4.new_markdown_cell("## The *largest* gaps\n\nText."),
        nbformat.v4.new_code_cell(
            "hidden_variable_name = 41 + 1\nprint(hidden_variable_name)",
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="forty-two\n"),
                     nbformat.v4.new_output("display_data", data={
                         "text/markdown": "## Where the audiences disagree\n\nMore."})]),
        nbformat.v4.new_code_cell("print('checked by nbval')", metadata={"tags": ["cx-check"]},
                                  outputs=[nbformat.v4.new_output(
                                      "stream", name="stdout", text="numbers for nbval\n")]),
    ]
    path = folder / "00_summary.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_contents_list_every_section_of_markdown_and_of_outputs(tmp_path):
    nb = nbformat.read(small_executed_notebook(tmp_path), as_version=4)
    assert render._toc(nb) == [
        {"text": "The largest gaps", "anchor": "The-largest-gaps"},
        {"text": "Where the audiences disagree", "anchor": "Where-the-audiences-disagree"}]


def test_to_html_shows_outputs_without_code_scripts_or_links(tmp_path):
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    page = render.to_html(small_executed_notebook(tmp_path), SUMMARY,
                          [SUMMARY, QUALITY, GAPS], study, "the footer line")
    assert "forty-two" in page and "the footer line" in page
    assert "hidden_variable_name" not in page  # no input cell
    assert "numbers for nbval" not in page  # cells tagged cx-check are left out
    assert "<script src" not in page and not re.search(r"https?://", page)
    assert "<title>Test study — Executive summary</title>" in page
    toc = re.search(r'<div[^>]*class="cx-toc"[^>]*>.*?</div>', page, re.DOTALL).group(0)
    ids = set(re.findall(r'id="([^"]+)"', page))
    links = re.findall(r'href="#([^"]+)"', toc)
    assert links == ["The-largest-gaps", "Where-the-audiences-disagree"]
    assert set(links) <= ids
    nav = re.search(r'<nav[^>]*class="cx-nav".*?</nav>', page, re.DOTALL).group(0)
    assert re.findall(r'href="([^"#]+)"', nav) == ["index.html", "data_quality.html",
                                                   "gaps.html"]
    assert 'aria-current="page"' in nav.split('href="data_quality.html"')[0]


# ---------------------------------------------------------------------------
# the page's CSS: figures whole in tables, headings with what follows, a long title


def _style(page: str) -> str:
    """The report's own style block (the first), comments out."""
    css = re.search(r"<style[^>]*>(.*?)</style>", page, re.DOTALL).group(1)
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)


def _rules(css: str, selector_part: str) -> list[str]:
    """The declarations of every rule whose selector holds ``selector_part``."""
    return [body for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
            if selector_part in selector]


def test_page_css_keeps_figures_whole_lets_prose_wrap_and_flows_in_print(tmp_path):
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    page = render.to_html(small_executed_notebook(tmp_path), SUMMARY, [SUMMARY], study, "")
    css = _style(page)
    assert any("white-space: nowrap" in body for body in _rules(css, "td.cx-fig"))
    assert any("white-space: nowrap" in body for body in _rules(css, "td.cx-num"))
    assert any("white-space: normal" in body for body in _rules(css, ".cx-prose"))
    printed = css[css.index("@media print"):]
    assert "break-before: page" not in printed  # no section forced onto a page of its own
    heading_rules = _rules(printed, ".jp-RenderedHTMLCommon h4")
    assert any("break-after: avoid" in body for body in heading_rules)
    assert any("break-inside: auto" in body for body in _rules(printed, ".jp-OutputArea-child"))
    assert any("max-height" in body for body in _rules(printed, ".jp-RenderedImage img"))


def test_a_long_study_title_is_cut_in_the_navigation_bar_and_whole_in_its_tooltip(tmp_path):
    title = ("A very long study title <b>bold</b> & more: " * 5)[:150]
    study = cx.load_study(minimal_study(study=title), base_dir=ROOT)
    page = render.to_html(small_executed_notebook(tmp_path), SUMMARY, [SUMMARY, QUALITY],
                          study, "")
    nav = re.search(r'<nav[^>]*class="cx-nav".*?</nav>', page, re.DOTALL).group(0)
    span = re.search(r'<span class="cx-study" title="([^"]*)">([^<]*)</span>', nav)
    assert html.unescape(span.group(1)) == title == html.unescape(span.group(2))
    assert "<b>bold</b>" not in nav  # escaped
    css = _style(page)
    study_rules = " ".join(_rules(css, "span.cx-study"))
    assert "text-overflow: ellipsis" in study_rules and "white-space: nowrap" in study_rules
    assert "overflow: hidden" in study_rules and "float" not in study_rules
    assert any("flex-wrap: wrap" in body for body in _rules(css, "nav.cx-nav"))


@needs_chromium
def test_printed_a_share_with_its_interval_stays_on_one_line_beside_wide_prose(tmp_path):
    """A table whose prose columns are long and many: "76% (57–89%)" is not broken over
    lines (the figure columns keep their width, the prose wraps)."""
    import pandas as pd

    from cxstudy import report

    words = "the engineer was friendly and fixed the boiler in an hour thank you " * 3
    frame = pd.DataFrame({f"Answer {i}": [words, words] for i in range(5)}
                         | {"Top box (CI)": ["76% (57–89%)", "12% (10–14%)"],
                            "Gap, points (CI)": ["+64 (+45 to +77)", "+48 (+40 to +56)"]})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Summary"), nbformat.v4.new_code_cell(
        "table", outputs=[nbformat.v4.new_output("display_data", data={
            "text/html": report.table_html(frame)})])]
    source = tmp_path / "00_summary.ipynb"
    nbformat.write(nb, source)
    study = cx.load_study(minimal_study(), base_dir=ROOT)
    (tmp_path / "index.html").write_text(
        render.to_html(source, SUMMARY, [SUMMARY], study, ""), encoding="utf-8")
    pdf = tmp_path / "index.pdf"
    _print(tmp_path / "index.html", pdf)
    text = "\n".join(_page_texts(pdf))
    assert "engineer" in text  # the prose is there, wrapped
    for figure in ("76% (57–89%)", "12% (10–14%)", "+64 (+45 to +77)"):
        assert figure in text, figure


def test_classes_named_by_path_are_resolved_before_pages_run_in_threads():
    """traitlets resolves a trait's class named by its dotted path the first time an
    object is made, unguarded: two pages making their first kernel managers at once
    could import the class itself and fail (``import_item accepts strings, not
    MetaHasTraits``). Every such class among the notebooks' machinery, and any class
    loaded later still, is resolved in the calling thread before the pages start."""
    from traitlets import HasTraits, Instance, List, TraitType, Type

    class Probe(HasTraits):  # made after the machinery was loaded: still found
        manager = Type("jupyter_client.manager.KernelManager",
                       klass="jupyter_client.manager.KernelManager")
        managers = List(Instance("jupyter_client.manager.KernelManager"))

    assert render._resolve_traits() >= 2
    from jupyter_client.manager import KernelManager

    assert Probe.class_traits()["manager"].klass is KernelManager
    assert Probe.class_traits()["manager"].default_value is KernelManager
    assert Probe.class_traits()["managers"]._trait.klass is KernelManager
    named = []
    todo, seen = [HasTraits], set()
    while todo:
        cls = todo.pop()
        fresh = [sub for sub in cls.__subclasses__() if sub not in seen]
        seen.update(fresh)
        todo.extend(fresh)
        named += [f"{cls.__module__}.{cls.__name__}.{name}" for name, trait in vars(cls).items()
                  if isinstance(trait, TraitType) and isinstance(getattr(trait, "klass", None),
                                                                 str)]
    assert not [n for n in named if n.split(".")[0] in (
        "jupyter_client", "nbclient", "papermill", "nbconvert", "cxstudy")], named
    assert render._resolve_traits() == 0  # once is enough



def test_file_digests_made_beside_the_run_are_the_files_sha256(tmp_path):
    """The exports' SHA-256 for the manifest, made by a thread while the run cleans: the
    same digests as hashlib's of the bytes (a file of several megabytes, an empty one);
    a file the thread could not read is hashed again when asked for, and its error said
    then; a stopped thread reads no further."""
    from cxstudy.render import FileDigests

    big, empty, gone = tmp_path / "big.csv", tmp_path / "empty.csv", tmp_path / "gone.csv"
    big.write_bytes(bytes(range(256)) * 20_000)  # 5 MB
    empty.write_bytes(b"")
    digests = FileDigests([big, empty, gone])
    for path in (big, empty):
        assert digests.get(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(FileNotFoundError):
        digests.get(gone)
    links = []
    for number in range(200):  # 1 GB to read
        links.append(tmp_path / f"link-{number}.csv")
        os.link(big, links[-1])
    stopped = FileDigests(links)
    stopped.stop()
    stopped._thread.join(timeout=30)
    assert not stopped._thread.is_alive() and len(stopped._found) < len(links)

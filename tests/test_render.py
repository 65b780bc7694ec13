"""Building a report (cxstudy.render): the folder, pages without code or external links,
the contents, the manifest, a failing notebook named, printing."""

from __future__ import annotations

import hashlib
import html
import json
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


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium not installed (apt-get install chromium)")
def test_print_to_pdf_gives_one_section_a_landscape_page(built, tmp_path):
    import subprocess

    _project, serial, _parallel, _raw = built
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    pdf = tmp_path / "gaps.pdf"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    (serial / "reports" / "example" / "gaps.html").as_uri()],
                   capture_output=True, timeout=180, check=False)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    sections = len(re.findall(r"<h2 ", (serial / "reports" / "example" / "gaps.html").read_text()))
    assert len(pages) >= sections  # every section starts a page
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

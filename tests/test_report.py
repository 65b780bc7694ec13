"""The study report end to end: cxstudy run -> reports/<slug>/, as a reviewer gets it."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import zmq

import cxstudy as cx
import cxstudy.voices
from cxstudy.exceptions import ReadError, ReportError

from .conftest import NOTEBOOKS, PAGES, ROOT, copy_project, pages, sha256_tree


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


def test_every_image_has_meaningful_alt_text(built):
    _project, serial, _parallel, _raw = built
    for name, text in pages(serial / "reports" / "example").items():
        images = re.findall(r"<img [^>]*>", text)
        assert images, name
        for image in images:
            alt = re.search(r'alt="([^"]*)"', image)
            assert alt and len(alt.group(1)) > 40 and alt.group(1) != "Figure", name
    headline = re.search(r'<img [^>]*alt="([^"]*)"', pages(serial / "reports" / "example")[
        "index.html"]).group(1)
    assert "leadership: 76%" in headline and "n = 25" in headline and "95% CI" in headline


def test_headline_sentence_with_interval(built):
    _project, serial, _parallel, _raw = built
    text = pages(serial / "reports" / "example")["index.html"]
    assert ("“We deliver an excellent customer experience”: 76% of leadership (57–89%, "
            "n = 25) agree; ") in text  # the scale's top_box_label says "agree"
    assert "12% of customers do (10–14%, n = 968)" in text
    assert "a gap of +64 points (95% CI +45 to +77" in text


def test_metrics_calibration_and_importance_are_reported(built):
    project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    index = (report / "index.html").read_text()
    assert ("On “We deliver an excellent customer experience”, leadership estimate on average "
            "that 67% of customers would agree (62–72%, n = 25); 12% do") in index
    assert "an overestimate of 55 points" in index
    assert "NPS (points)" in index and "-31 (-36 to -26)" in index
    assert "Importance and performance" in (report / "gaps.html").read_text()
    study = cx.load_study(project / "studies" / "example.yml")
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    written = pd.read_csv(report / "tables" / "calibration.csv")
    expected = cx.calibration_table(responses, study)
    pd.testing.assert_series_equal(written["error"], expected["error"], rtol=1e-12)
    metrics = pd.read_csv(report / "tables" / "metrics.csv")
    assert list(metrics.columns[:8]) == ["wave", "metric", "group", "n", "value", "se", "low",
                                        "high"]
    assert "No weights: every respondent counts once." in (report / "data_quality.html"
                                                           ).read_text()


def test_voices_page_escapes_respondent_text_and_names_no_one(built):
    project, serial, _parallel, _raw = built
    page = (serial / "reports" / "example" / "voices.html").read_text()
    assert "In their own words" in page and "Where the audiences disagree" in page
    assert "<b>Bills</b>" not in page  # a respondent's markup is shown as text, if at all
    raw = pd.concat([pd.read_csv(p, skiprows=[1, 2]) for p in
                     (project / "data" / "raw" / "example").glob("*qualtrics.csv")])
    for email in raw["RecipientEmail"].dropna().head(200):
        assert email not in page
    themes = pd.read_csv(serial / "reports" / "example" / "tables" / "themes.csv")
    assert list(themes.columns) == ["wave", *cx.voices.THEME_COLUMNS]


def test_weighted_study_report_shows_weights(built):
    _project, parallel, _in_process, _raw = built
    page = (parallel / "reports" / "five" / "data_quality.html").read_text()
    assert "Design effect" in page and "Effective n (Kish)" in page and "Area" in page
    responses = pd.read_parquet(parallel / "data" / "processed" / "five" / "responses.parquet")
    clients = responses[responses["group"] == "clients"]
    shares = clients.groupby("Area")["weight"].sum() / clients["weight"].sum()
    assert shares.round(6).to_dict() == {"Rural": 0.5, "Urban": 0.5}
    weighted = pd.read_csv(parallel / "reports" / "five" / "tables" / "gaps.csv")
    assert (weighted["n_ref_eff"] < weighted["n_ref"]).all()  # Kish n below n


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


def test_tables_match_the_public_functions(built):
    project, serial, _parallel, _raw = built
    study = cx.load_study(project / "studies" / "example.yml")
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    expected = cx.gap_table(responses, study)
    written = pd.read_csv(serial / "reports" / "example" / "tables" / "gaps.csv",
                          keep_default_na=False, na_values=[""])
    assert list(written.columns) == list(expected.columns)
    numeric = expected.select_dtypes("number").columns
    pd.testing.assert_frame_equal(written[numeric].astype(float),
                                  expected[numeric].astype(float), rtol=1e-12)
    assert (written["item"] == expected["item"]).all()
    dimensions = pd.read_csv(serial / "reports" / "example" / "tables" / "dimension_gaps.csv")
    expected_dims = cx.dimension_gaps(responses, study)
    pd.testing.assert_series_equal(dimensions["mean_diff"], expected_dims["mean_diff"],
                                   rtol=1e-12)


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


def test_broken_source_fails_cleanly_and_keeps_the_old_report(built, tmp_path):
    _project, serial, _parallel, _raw = built
    broken = copy_project(tmp_path / "broken")
    out = tmp_path / "out"
    shutil.copytree(serial / "reports", out / "reports")
    before = sha256_tree(out / "reports")
    (broken / "data" / "raw" / "example" / "staff.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(ReadError, match=r"staff\.xlsx: not a readable \.xlsx workbook"):
        cx.run(broken / "studies" / "example.yml", out=out)
    assert sha256_tree(out / "reports") == before


def test_cleaned_data_that_cannot_be_written_starts_no_page_and_keeps_both(
        built, tmp_path, monkeypatch):
    """The cleaned data is written while the tables are computed; when writing fails, no
    page starts, and the previous report and cleaned data are as they were."""
    from cxstudy import processed

    project, serial, _parallel, _raw = built
    out = tmp_path / "out"
    shutil.copytree(serial / "reports" / "tiny", out / "reports" / "tiny")
    cx.run(project / "studies" / "tiny.yml", out=out, report=False)  # cleaned data, once
    before = sha256_tree(out)

    def full_disk(staging, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(processed, "replace_folder", full_disk)
    lines: list[str] = []
    with pytest.raises(OSError, match="No space left"):
        cx.run(project / "studies" / "tiny.yml", out=out, progress=lines.append)
    assert not [line for line in lines if ": page " in line]
    assert sha256_tree(out) == before


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


def test_plain_papermill_runs_a_notebook(tmp_path):
    import papermill as pm

    output = tmp_path / "out.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "01_data_quality.ipynb"), str(output),
                        parameters={"study": "studies/example.yml"}, kernel_name="python3",
                        cwd=str(ROOT), progress_bar=False)
    text = output.read_text()
    assert "rows in 2436, kept 2250, dropped 186" in text


def test_notebooks_are_thin_and_documented():
    import papermill as pm

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(parameters) == 1
        documented = pm.inspect_notebook(str(path))
        assert set(documented) == {"study", "processed", "results"}
        assert documented["study"]["inferred_type_name"] == "str"
        assert documented["study"]["help"]
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert all(len(source.splitlines()) <= 25 for source in code), path.name
        assert not any(re.search(r"^\s*def ", source, re.M) for source in code), path.name


def test_a_study_with_waves_shows_the_latest_and_leads_with_the_change(built):
    _project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    text = pages(report)
    for name in ("index.html", "gaps.html", "voices.html"):
        assert "wave 2026 (the latest of 2025, 2026)" in text[name], name
    index = text["index.html"]
    change = index.index("The leadership–customers gap on “We deliver an excellent customer "
                         "experience” did not change clearly: +76 points in 2025, +64 in 2026")
    assert change < index.index("76% of leadership (57–89%, n = 25) agree")  # leads
    trends = text["trends.html"]
    assert ("The staff–customers gap on “Our bills are clear and easy to understand” narrowed: "
            "+60 points in 2025, +27 in 2026 (change -33, 95% CI -44 to -22; adjusted p "
            "&lt; 0.001): staff moved -20 points, customers +13.") in trends
    assert "Slope chart of the gap on “We deliver an excellent customer experience” across " \
           "waves: leadership 2025: +76 points" in trends
    assert "the intervals are conservative" in trends
    quality = text["data_quality.html"]
    assert "Returning" in quality and "customers 175" in quality
    table = pd.read_csv(report / "tables" / "trends.csv")
    assert list(table.columns[:7]) == ["item", "text", "dimension", "group", "reference",
                                       "from_wave", "to_wave"]
    assert len(table) == 32 and set(table["from_wave"].astype(str)) == {"2025"}
    gaps = pd.read_csv(report / "tables" / "gaps.csv")
    assert list(gaps["wave"].astype(str).unique()) == ["2025", "2026"]  # never pooled
    assert {"dimension_trends.csv", "metric_trends.csv"} <= {
        p.name for p in (report / "tables").iterdir()}


def test_a_segmented_study_has_a_segments_page(built):
    _project, serial, _parallel, _raw = built
    report = serial / "reports" / "example"
    page = pages(report)["segments.html"]
    assert "Heatmap of the gap to customers by Region level" in page
    assert "Heatmap of the gap to customers by Customer for (years) level" in page
    assert ("Where Customer for (years) is “0 to &lt;1”, on “We respond quickly when customers "
            "get in touch”: 80% of all leadership (n = 25) agree; 3% of customers (n = 174) do"
            ) in page
    assert "Do the levels differ?" in page
    index = pages(report)["index.html"]
    assert ("The leadership–customers gap on “We deliver an excellent customer experience” is "
            "widest where Customer for (years) is “0 to &lt;1”: +74 points (95% CI +54 to "
            "+86), against +64 overall.") in index
    table = pd.read_csv(report / "tables" / "segments.csv")
    assert list(table.columns[:3]) == ["wave", "segment", "level"]
    responses = pd.read_parquet(serial / "data" / "processed" / "example" / "responses.parquet")
    assert {"region", "tenure"} <= set(responses.columns)
    assert "Tenure" not in responses.columns and "Region" not in responses.columns


def test_tables_wrap_prose_and_keep_figures_whole():
    """Quotes and item wording wrap (text columns are "str" under pandas 3, not object);
    figures with their intervals are not prose."""
    frame = pd.DataFrame({
        "Answer": ["The engineer was friendly and fixed the boiler in an hour, thank you",
                   "Fine"],
        "Share (CI)": ["76% (57–89%)", "12% (10–14%)"],
        "p (adjusted)": ["< 0.001 (score)", "0.012 (fisher)"],
        "n": [25, 968]})
    from cxstudy import report

    page = report.table_html(frame)
    kinds = {name: kind for kind, name in re.findall(r'<th class="([\w-]+)">([^<]+)</th>',
                                                     page)}
    assert kinds == {"Answer": "cx-prose", "Share (CI)": "cx-fig", "p (adjusted)": "cx-fig",
                     "n": "cx-num"}


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


def test_numbers_never_read_minus_zero():
    from cxstudy.report import interval, points

    assert points(-0.004) == "+0" and points(-0.031) == "-3" and points(0.645) == "+64"
    assert interval(-0.004, 0.2, as_points=True) == "+0 to +20"


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


def test_the_figure_style_is_seaborns_whitegrid_without_importing_seaborn():
    """plots.style() writes out what seaborn's set_theme sets (so pages need not import
    seaborn and scipy); it must stay what seaborn would set, and blend() seaborn's
    blend_palette."""
    import matplotlib as mpl
    import seaborn as sns

    from cxstudy import plots

    with mpl.rc_context():
        sns.set_theme(context="notebook", style="whitegrid", font_scale=1.0)
        seaborns = dict(mpl.rcParams)
    with mpl.rc_context():
        plots.style()
        ours = dict(mpl.rcParams)
    left_out = {"image.cmap"}  # seaborn's own "rocket"; every image here names its map
    ours_overrides = set(plots.REPORT_STYLE)
    differ = {key for key in seaborns if seaborns[key] != ours[key]}
    assert differ <= left_out | ours_overrides, sorted(differ - left_out - ours_overrides)
    for n in (3, 4, 5, 7, 11):
        assert plots.blend([plots.NEGATIVE, plots.NEUTRAL, plots.POSITIVE], n) == [
            tuple(c) for c in sns.blend_palette([plots.NEGATIVE, plots.NEUTRAL,
                                                 plots.POSITIVE], n_colors=n)]

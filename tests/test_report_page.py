"""What a report notebook starts with (cxstudy.report.page): its parameters, checked, the
study file found from below the project, figures with alt text, notebooks plain papermill
can run."""

from __future__ import annotations

import re

import nbformat
import pytest

import cxstudy as cx
from cxstudy import report
from cxstudy.analysis import Results
from cxstudy.report.page import locate

from .conftest import ROOT, wave_sources


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


def test_setup_checks_the_notebook_parameters():
    with pytest.raises(ValueError, match=r"must be the path of a \.yml study file"):
        report.setup("studies/example.txt")
    with pytest.raises(ValueError, match="parameter processed must be a path given as text"):
        report.setup("studies/example.yml", processed=3)


def test_locate_finds_the_study_file_from_below_the_project(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "acme.yml").write_text("study: A\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # where JupyterLab runs a notebook
    assert locate("studies/acme.yml") == tmp_path / "studies" / "acme.yml"
    assert locate(tmp_path / "studies" / "acme.yml") == tmp_path / "studies" / "acme.yml"
    with pytest.raises(FileNotFoundError, match=r"study file studies/gone\.yml not found"):
        locate("studies/gone.yml")


def test_a_copied_notebook_opened_in_a_client_folder_says_which_study_to_name(tmp_path,
                                                                              monkeypatch):
    """The notebooks' default study is the example's; a client's project folder (cxstudy
    init --notebooks) has its own study: the error names it and the cell to change."""
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "acme.yml").write_text("study: A\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(FileNotFoundError) as caught:
        locate("studies/example.yml")
    assert str(caught.value) == (
        f"study file studies/example.yml not found from {tmp_path / 'notebooks'} or its "
        f"parents; {tmp_path / 'studies'} holds acme.yml. Set study in the notebook's "
        "parameters cell (its first code cell) to your study file as a path from the project "
        'folder, e.g. study: str = "studies/acme.yml"')


def test_page_links_name_the_pages_the_study_has():
    study = cx.load_study(wave_sources(), base_dir=ROOT)
    results = Results(study, None, waves=list(study.waves))
    assert report.page.page_links(results) == {
        "index.html": "Executive summary", "data_quality.html": "Data quality",
        "gaps.html": "Perception gaps", "trends.html": "Trends"}


def test_a_figure_is_published_with_its_alt_text():
    import matplotlib.pyplot as plt

    from cxstudy.report.page import _png_with_alt

    fig, ax = plt.subplots()
    ax.set_title("Shares")
    try:
        png, metadata = _png_with_alt(fig)
        assert png.startswith(b"\x89PNG") and metadata == {"alt": "Figure: Shares"}
        fig.cx_alt = "Dot plot of top-box shares: leadership 76% (n = 25)"
        assert _png_with_alt(fig)[1] == {"alt": fig.cx_alt}
    finally:
        plt.close(fig)

"""What a report notebook starts with (cxstudy.report.page): its parameters, checked, and
notebooks that plain papermill can run."""

from __future__ import annotations

import re

import nbformat
import pytest

from cxstudy import report

from .conftest import ROOT


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

"""The documentation: docstring examples run, docs/ says what the code does."""

from __future__ import annotations

import doctest
import importlib.util
import re

import pandas as pd
import pytest
import yaml

import cxstudy as cx
from cxstudy import metrics, scales, stats, voices, weights

from .conftest import ROOT


@pytest.mark.parametrize("module", [stats, scales, metrics, weights, voices],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["study-file.md", "outputs.md"])
def test_generated_docs_are_current(name):
    """docs/study-file.md and docs/outputs.md are made from the parser's keys and the
    table contracts; rerun `python scripts/make_docs.py` when this fails."""
    make = load_script("make_docs").DOCS[name]
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == make()


def test_every_key_the_parser_takes_is_documented_and_no_other():
    from cxstudy._sections import SECTIONS

    text = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    for section, keys in SECTIONS.items():
        part = text.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \|", part, re.M)
        assert documented == [key.name for key in keys], section


def test_the_documented_example_study_is_valid(tmp_path):
    text = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    study = cx.load_study(yaml.safe_load(example), base_dir=tmp_path)
    assert study.groups == ("leadership", "customers") and study.items[0].headline


def test_methods_cite_published_values_that_exist():
    text = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"\b((?:WI|NC|CD|CH|BH|CA|NPS)-[0-9A-Za-z]+)\b", text))
    known = set(pd.read_csv(ROOT / "tests" / "fixtures" / "real" / "reference" /
                            "reference_values.csv")["id"])
    assert cited and cited <= known, cited - known
    for test_name in re.findall(r"`(test_[a-z_]+)`", text):
        assert any(test_name in path.read_text(encoding="utf-8")
                   for path in (ROOT / "tests").glob("test_*.py")), test_name


def test_the_documented_codebook_loads():
    """docs/study-file.md shows the codebook format; its example is a codebook that loads."""
    text = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    section = text[text.index("## Theme codebook"):]
    start = section.index("```yaml") + len("```yaml")
    example = section[start:section.index("```", start)]
    codebook = voices.load_codebook(yaml.safe_load(example))
    assert [t.id for t in codebook.themes] == ["billing", "friendly_staff"]
    assert codebook.themes[1].questions == ("praise",)

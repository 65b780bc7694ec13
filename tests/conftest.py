"""Shared fixtures: paths, the real data in ../shared/data, small study builders."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run (no flaky reds); locally hypothesis roams.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLE_STUDY = ROOT / "studies" / "example.yml"

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"real exports not available: {SHARED_DATA} is absent (clone with ../shared beside)")


def sha256_tree(folder: Path) -> dict[str, str]:
    """File name -> sha256 of every file below a folder."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


AGREE5 = {"labels": ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                     "Strongly agree"], "top_box": 2, "missing": ["Don't know"]}


def minimal_study(**overrides) -> dict:
    """A valid study mapping with two audiences; override any top-level key."""
    study = {
        "study": "Test study",
        "slug": "test",
        "sources": [{"path": "leaders.csv", "group": "leadership"},
                    {"path": "customers.csv", "group": "customers"}],
        "groups": ["leadership", "customers"],
        "scales": {"agree5": AGREE5},
        "items": [{"id": "excellent", "text": "We are excellent", "scale": "agree5",
                   "column": "Q1", "headline": True}],
    }
    study.update(overrides)
    return study

"""The examples in the docstrings run and give what they say."""

from __future__ import annotations

import doctest

import pytest

from cxstudy import metrics, scales, stats, voices, weights


@pytest.mark.parametrize("module", [stats, scales, metrics, weights, voices],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

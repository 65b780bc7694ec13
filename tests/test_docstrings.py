"""The public API's docstrings: numpydoc sections that agree with the signatures.

Every function of ``cxstudy.__all__`` and every public function of :mod:`cxstudy.stats`
documents each of its parameters (in signature order, with a type and a meaning) and what
it returns; the statistics also give their formula (``Notes``) and where it comes from
(``References``). The table functions are wrapped by ``cxstudy.waves.per_wave``
(``functools.wraps``): ``inspect.signature`` follows ``__wrapped__`` to the real signature.
"""

from __future__ import annotations

import inspect
import re
import types
import warnings

import pytest
from numpydoc.docscrape import FunctionDoc

import cxstudy as cx
from cxstudy import stats

# stats functions that compute a statistic: formula and references required
STATISTICS = {
    "adjust_pvalues", "cliffs_delta", "cohens_h", "cronbach_alpha", "cronbach_alpha_from_cov",
    "effective_n", "kruskal_wallis", "mann_whitney", "newcombe_interval", "score_test",
    "weighted_moments", "welch", "wilson_interval",
}
# stats helpers: a normal quantile, ranks, moments of counts, a covariance matrix
HELPERS = {"midranks", "moments", "pairwise_cov", "z_value"}


def _stats_functions() -> dict[str, types.FunctionType]:
    return {name: obj for name, obj in vars(stats).items()
            if inspect.isfunction(obj) and not name.startswith("_")
            and obj.__module__ == stats.__name__}


def _api_functions() -> list[types.FunctionType]:
    """The functions of ``cxstudy.__all__``, then those of cxstudy.stats, each once."""
    found = [getattr(cx, name) for name in cx.__all__ if inspect.isfunction(getattr(cx, name))]
    found += list(_stats_functions().values())
    return list({id(function): function for function in found}.values())


def _name(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


FUNCTIONS = _api_functions()


def _doc(function) -> FunctionDoc:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown or misspelt section fails the test
        return FunctionDoc(function)


def _signature_names(function) -> list[str]:
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return [prefix.get(p.kind, "") + p.name
            for p in inspect.signature(function).parameters.values() if p.name != "self"]


def _documented_names(doc: FunctionDoc) -> list[str]:
    # "s1, n1 : array_like" documents two parameters at once (numpydoc's convention)
    return [name.strip() for entry in doc["Parameters"] for name in entry.name.split(",")]


def test_every_function_of_the_api_is_checked():
    """Nothing in ``__all__`` escapes: it is a class, a module, the version or checked here;
    every public stats function is classed as a statistic or a helper."""
    checked = {id(function) for function in FUNCTIONS}
    for name in cx.__all__:
        obj = getattr(cx, name)
        assert (inspect.isclass(obj) or inspect.ismodule(obj) or isinstance(obj, str)
                or id(obj) in checked), name
    assert set(_stats_functions()) == STATISTICS | HELPERS
    assert len(FUNCTIONS) >= 38


@pytest.mark.parametrize("function", FUNCTIONS, ids=_name)
def test_parameters_match_the_signature(function):
    doc = _doc(function)
    assert _documented_names(doc) == _signature_names(function)
    for entry in doc["Parameters"]:
        assert entry.type.strip(), f"{entry.name}: no type"
        assert " ".join(entry.desc).strip(), f"{entry.name}: no description"


@pytest.mark.parametrize("function", FUNCTIONS, ids=_name)
def test_returns_say_what_comes_back(function):
    returns = _doc(function)["Returns"]
    assert returns, "no Returns section"
    for entry in returns:
        assert (entry.type or entry.name).strip(), "a return value without a type"
        assert " ".join(entry.desc).strip(), f"{entry.name or entry.type}: no description"


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if f.__module__ == stats.__name__
                                      and f.__name__ in STATISTICS], ids=_name)
def test_statistics_give_formula_and_references(function):
    doc = _doc(function)
    notes, references = "\n".join(doc["Notes"]), "\n".join(doc["References"])
    assert re.search(r":math:|\.\. math::", notes), "Notes without a formula (reST math)"
    assert re.search(r"\(\d{4}[a-z]?\)", references), "References without a dated citation"

"""The example study: its data tell the seeds' story, and a run never touches raw data."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy.waves import returning_respondents, trend_table

from .conftest import ROOT, copy_project, sha256_tree


@pytest.fixture(scope="module")
def example(example_cleaned):
    return example_cleaned


def test_generator_reproduces_the_committed_exports(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example_data",
                                                  ROOT / "scripts" / "make_example_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    made, committed = sha256_tree(tmp_path), sha256_tree(ROOT / "data" / "raw" / "example")
    assert made.keys() == committed.keys()
    for name in made:
        if name.endswith(".xlsx"):  # openpyxl's XML differs with and without lxml: the cells
            assert _cells(tmp_path / name) == _cells(ROOT / "data" / "raw" / "example" / name)
        else:
            assert made[name] == committed[name], name


def _cells(path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_three_formats_with_real_dirt(example):
    _study, raw, _result = example
    formats = {name: info["format"] for name, info in raw.attrs["sources"].items()}
    assert formats == {"leadership": "csv", "staff": "xlsx", "customers_qualtrics": "qualtrics",
                       "leadership_2025": "csv", "staff_2025": "xlsx",
                       "customers_2025": "qualtrics"}
    assert (ROOT / "data/raw/example/leadership.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    leaders = raw[raw["source"] == "leadership"]
    assert leaders["Q2"].str.isupper().any() and leaders["Q2"].str.islower().any()


def test_audience_sizes_after_cleaning(example):
    _study, raw, result = example
    latest = result.responses[result.responses["wave"] == "2026"]
    assert latest["group"].value_counts().to_dict() == {"leadership": 25, "staff": 150,
                                                        "customers": 1000}
    earlier = result.responses[result.responses["wave"] == "2025"]
    assert earlier["group"].value_counts().to_dict() == {"leadership": 25, "staff": 150,
                                                         "customers": 900}
    assert len(result.log) == len(raw) == 1268 + 1168
    reasons = set(result.log["reason"]) - {""}
    assert reasons == {"preview", "unfinished", "duplicate", "speeder", "straightliner",
                       "attention_check"}


def test_earlier_wave_has_returning_respondents_and_wider_gaps(example):
    study, _raw, result = example
    returning = returning_respondents(result.responses, study).set_index("group")["returning"]
    assert returning.to_dict() == {"leadership": 25, "staff": 150, "customers": 175}
    # returning respondents are not duplicates: only repeats within a wave were dropped
    duplicates = result.log[result.log["reason"] == "duplicate"]
    assert duplicates["source"].value_counts().to_dict() == {
        "customers_qualtrics": 10, "customers_2025": 10, "leadership": 2, "leadership_2025": 2,
        "staff": 2, "staff_2025": 2}
    trends = trend_table(result.responses, study).set_index(["item", "group"])
    billing = trends.loc[("billing_clear", "staff")]
    assert billing["change"] < -0.2 and billing["change_high"] < 0  # the gap narrowed


def test_story_headline_gap_and_reversal(example):
    """Leaders near 80% top-box on the headline, customers far lower; one item the other way."""
    _study, _raw, result = example
    responses = result.responses[result.responses["wave"] == "2026"]
    top_box = (responses.set_index("group")[["excellent", "value", "friendly"]] >= 4) \
        .where(responses.set_index("group")[["excellent", "value", "friendly"]].notna())
    shares = top_box.groupby(level=0, observed=True).mean()
    assert 0.65 <= shares.loc["leadership", "excellent"] <= 0.95
    assert shares.loc["customers", "excellent"] <= 0.2
    assert shares.loc["customers", "value"] > shares.loc["leadership", "value"]
    assert abs(shares.loc["customers", "friendly"] - shares.loc["leadership", "friendly"]) < 0.15


def test_dont_know_is_missing_and_reverse_coding(example):
    study, raw, result = example
    customers = raw[raw["source"] == "customers_qualtrics"]
    dont_know = customers["Q1_1"].eq("Don't know")
    assert dont_know.sum() > 0
    kept = result.log.loc[result.log["source"] == "customers_qualtrics", "kept"].to_numpy()
    coded = result.responses[result.responses["source"] == "customers_qualtrics"]["excellent"]
    assert coded.isna().sum() == int((dont_know.to_numpy() & kept).sum())
    raw_frustrating = customers.loc[kept, "Q1_13"].map(
        {label: code for code, label in enumerate(study.scales["agree5"].labels, 1)})
    coded_frustrating = result.responses.loc[
        result.responses["source"] == "customers_qualtrics", "frustrating"]
    both = raw_frustrating.notna().to_numpy()
    assert (coded_frustrating.to_numpy()[both] == 6 - raw_frustrating.to_numpy()[both]).all()


def test_no_pii_in_processed_data(example):
    _study, raw, result = example
    text = result.responses.astype(str).to_csv() + result.log.astype(str).to_csv()
    emails = raw["RecipientEmail"].dropna().tolist() + raw["Email"].dropna().tolist()
    assert "@" not in text
    for secret in emails[:50] + raw["IPAddress"].dropna().tolist()[:50]:
        assert secret not in text
    assert "[phone]" in text and "[email]" in text and "[name]" in text


def test_metrics_and_estimates_coded(example):
    _study, _raw, result = example
    customers = result.responses[result.responses["group"] == "customers"]
    assert customers["nps"].between(0, 10).all() and customers["nps"].notna().all()
    assert customers["ces"].between(1, 7).all()
    leaders = result.responses[result.responses["group"] == "leadership"]
    assert leaders["excellent_estimate"].between(0, 100).all()
    assert leaders["excellent_estimate"].mean() > 55


def test_run_writes_processed_data_and_leaves_raw_untouched(tmp_path):
    project = copy_project(tmp_path / "project")
    before = sha256_tree(project / "data" / "raw")
    mtimes = {p: p.stat().st_mtime_ns for p in (project / "data" / "raw").rglob("*")}
    result = cx.run(project / "studies" / "example.yml", report=False)
    assert sha256_tree(project / "data" / "raw") == before
    assert {p: p.stat().st_mtime_ns for p in (project / "data" / "raw").rglob("*")} == mtimes
    processed = project / "data" / "processed" / "example"
    assert result.processed_dir == processed
    responses = pd.read_parquet(processed / "responses.parquet")
    log = pd.read_csv(processed / "cleaning_log.csv", keep_default_na=False)
    assert len(responses) == 1175 + 1075 and len(log) == 1268 + 1168
    assert int(log["kept"].sum()) == len(responses)
    assert list(responses.columns[:5]) == ["respondent_id", "group", "weight", "source",
                                           "source_row"]

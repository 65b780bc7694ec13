"""The data-quality tables (cxstudy.quality): rows by rule, what was not checked, missing
answers, the weights."""

from __future__ import annotations

import pandas as pd


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

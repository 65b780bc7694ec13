"""The report's tables (cxstudy.report.display): what each helper shows, prose that wraps,
figures that stay whole."""

from __future__ import annotations

import re

import pandas as pd

import cxstudy as cx
from cxstudy import report, voices

from .conftest import minimal_study


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


def test_display_helpers_read_right(example_responses):
    study, responses = example_responses
    res = cx.analyze(study, responses).latest
    index = report.gap_index_display(res.gap_index, study)
    assert list(index.columns) == ["Audience", "Reference", "Items", "Index", "95% CI"]
    assert index["Index"].str.fullmatch(r"\d+ points").all()
    assert index["95% CI"].str.fullmatch(r"\d+–\d+ points").all()

    spots = report.blind_spot_display(res.gaps, res.blind_spots, study)
    assert len(spots) == len(res.blind_spots)
    leaders = spots[spots["Audience"] == "leadership"]["Gap, points (unadjusted 95% CI)"]
    gaps_shown = [int(text.split()[0]) for text in leaders]
    assert gaps_shown == sorted(gaps_shown, reverse=True)  # largest first

    ipa = report.importance_display(res.importance, study)
    assert "Importance (95% CI)" in ipa.columns
    assert len(ipa) == len(res.importance) and set(ipa["Quadrant"]) <= {
        "concentrate here", "keep up the good work", "low priority", "possible overkill", "–"}

    kruskal = report.kruskal_display(res.kruskal, study)
    assert {"n leadership", "n staff", "n customers"} <= set(kruskal.columns)

    clash = voices.disagreements(res.themes, study)
    shown = report.disagreement_display(clash)
    assert list(shown.columns) == ["Theme", "A strength for", "share", "n", "A problem for",
                                   "share ", "n "]
    assert shown["share"].str.endswith("%").all()


def test_metric_gaps_read_like_the_other_tables(tmp_path):
    (tmp_path / "leaders.csv").write_text("Q1,NPS,CES\n" + "Agree,10,5\n" * 40 + "Agree,9,4\n")
    (tmp_path / "customers.csv").write_text("Q1,NPS,CES\n" + "Disagree,3,2\n" * 30
                                            + "Agree,9,3\n" * 9)
    study = cx.load_study(minimal_study(
        scales={"agree5": minimal_study()["scales"]["agree5"],
                "effort5": {"values": [1, 2, 3, 4, 5], "top_box": 2}},
        metrics={"nps": {"column": "NPS"}, "ces": {"column": "CES", "scale": "effort5"}}),
        base_dir=tmp_path)
    res = cx.analyze(study)
    shown = report.metric_gap_display(res.metric_gaps, res.metrics, study)
    assert list(shown["Metric"]) == ["NPS (points)", "CES (mean effort score)",
                                     "CES: low effort (top-box)"]
    assert list(shown["p"][:2]) == ["< 0.001", "< 0.001"]  # never "0.0"
    nps = shown.iloc[0]["Gap (unadjusted 95% CI)"]
    assert re.fullmatch(r"\+\d+ \(\+\d+ to \+\d+\)", nps), nps
    ces = shown.iloc[1]["Gap (unadjusted 95% CI)"]
    assert re.fullmatch(r"\+\d\.\d\d \(\+\d\.\d\d to \+\d\.\d\d\)", ces), ces
    assert shown.iloc[0]["Compared"] == "leadership − customers"

"""Every real export and survey read and cleaned through a study (the openly licensed
exports from tests/fixtures/real, the GPL/unlicensed surveys from ../shared/data).

The invariant checked everywhere: the cleaning log has one row per input row and
rows in = rows kept + rows dropped, and the kept rows are exactly the responses.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cxstudy as cx
from cxstudy.clean import clean

from .conftest import real_file


def numeric_scale(low: int, high: int, step: int = 1, missing=()) -> dict:
    return {"values": list(range(low, high + 1, step)), "top_box": 2, "missing": list(missing)}


def items(columns, scale: str) -> list[dict]:
    return [{"id": f"i_{c}".replace(" ", "_").replace("/", "_").replace("-", "_").lower(),
             "text": c, "scale": scale, "column": c} for c in columns]


AIRLINE_ITEMS = ["Inflight wifi service", "Departure/Arrival time convenient",
                 "Ease of Online booking", "Gate location", "Food and drink", "Online boarding",
                 "Seat comfort", "Inflight entertainment", "On-board service",
                 "Leg room service", "Baggage handling", "Checkin service", "Inflight service",
                 "Cleanliness"]

STUDIES = {
    "airline": {
        "sources": [{"path": "airline_passenger_satisfaction_test.csv",
                     "group_column": "Customer Type", "id_column": "id",
                     "group_map": {"Loyal Customer": "loyal", "disloyal Customer": "disloyal"}}],
        "groups": ["loyal", "disloyal"],
        "scales": {"rating": numeric_scale(1, 5, missing=[0])},  # 0 = not applicable
        "items": items(AIRLINE_ITEMS, "rating"),
    },
    "bank": {
        "sources": [{"path": "ecsi_bank_satisfaction.csv", "group_column": "gender"}],
        "groups": ["female", "male"],
        "scales": {"ten": numeric_scale(0, 10)},
        "items": items([f"sat{k}" for k in range(1, 5)] + [f"qual{k}" for k in range(1, 6)],
                       "ten"),
    },
    "mobi": {
        "sources": [{"path": "ecsi_mobi_mobile_phone.csv", "group": "customers"}],
        "scales": {"ten": numeric_scale(1, 10)},
        "items": items([f"CUSA{k}" for k in range(1, 4)], "ten"),
    },
    "corp_rep": {
        "sources": [{"path": "corp_rep_mobile_provider.csv", "group_column": "serviceprovider",
                     "group_map": {"1": "p1", "2": "p2", "3": "p3", "4": "p4"}}],
        "groups": ["p1", "p2", "p3", "p4"],
        "scales": {"seven": numeric_scale(1, 7, missing=[-99])},
        "items": items(["cusa", "cusl_1", "cusl_2", "cusl_3"]
                       + [f"qual_{k}" for k in range(1, 9)], "seven"),
    },
    "employee": {
        "sources": [{"path": "employee_org_identification_bergami_bagozzi2000.csv",
                     "group_column": "gender", "group_map": {"1": "men", "2": "women"}}],
        "groups": ["men", "women"],
        "scales": {"five": numeric_scale(1, 5)},
        "items": items([f"cei{k}" for k in range(1, 9)], "five"),
        "cleaning": {"straightline_min_items": 8},
    },
    "service_quality": {
        "sources": [{"path": "service_quality_SQ.csv", "group": "customers"}],
        "scales": {"six": numeric_scale(0, 100, 20)},
        "items": items([f"a{k:02d}" for k in range(1, 23)], "six"),
    },
    "gss": {
        "sources": [{"path": "spss/gss_studentware_subset.sav", "group_column": "sex",
                     "group_map": {"Female": "women", "Male": "men"}, "id_column": "id"}],
        "groups": ["women", "men"],
        "scales": {"satjob": {"labels": ["Very dissatisfied", "A little dissatisfied",
                                         "Moderately satisfied", "Very satisfied"],
                              "top_box": 2}},
        "items": [{"id": "satjob", "text": "Job satisfaction", "scale": "satjob",
                   "column": "satjob"}],
    },
    "spss_sample": {
        "sources": [{"path": "spss/pyreadstat_sample.sav", "group_column": "mylabl",
                     "group_map": {"Male": "men", "Female": "women"}}],
        "groups": ["men", "women"],
        "scales": {"level": {"labels": ["low", "medium", "high"], "top_box": 1}},
        "items": [{"id": "level", "text": "Level", "scale": "level", "column": "myord"}],
    },
    "surveymonkey": {
        "sources": [{"path": "surveymonkey/ggwash_2022_anc_questionnaire_surveymonkey_"
                             "redacted.csv", "group_column": "Endorsed",
                     # "Endorsed" is blank for 38 candidates: an audience of its own
                     "group_map": {"Yes": "endorsed", "": "not_endorsed"}}],
        "groups": ["endorsed", "not_endorsed"],
        "pii_columns": ["Contact information - Name", "Contact information - Email"],
        "open_ended": [{"id": "biggest_issue", "question": "Biggest issue?",
                        "column": "What do you feel is the biggest issue in your "
                                  "neighborhood?"}],
    },
    "qualtrics_matrix": {
        "sources": [{"path": "qualtrics/QualtricsTools_Single_Answer_Matrix_Insights.csv",
                     "group": "customers"}],
        "scales": {"five": numeric_scale(1, 5)},
        "items": items(["Q2_1", "Q2_2", "Q2_3"], "five"),
    },
    "qualtrics_text": {
        "sources": [{"path": "qualtrics/QualtricsTools_Text_Entry_Components.csv",
                     "group": "customers"}],
        "open_ended": [{"id": "other", "question": "Other", "column": "MCSA_single_text_TEXT"}],
    },
    "qualtrics_sample": {
        "sources": [{"path": "qualtrics/qualtRics_sample.csv", "group": "customers"},
                    {"path": "qualtrics/qualtRics_sample_legacy.csv", "group": "customers"}],
        "open_ended": [{"id": "free", "question": "Free text", "column": "Q2"}],
    },
    "qualtrics_sample_survey": {
        "sources": [{"path": "qualtrics/QualtricsTools_Sample_Survey_Insights.csv",
                     "group": "customers"},
                    {"path": "qualtrics/QualtricsTools_Sample_Survey_Legacy.csv",
                     "group": "customers"}],
        "open_ended": [{"id": "q18", "question": "Q18", "column": "Q18"}],
    },
}

# What each study's cleaning must show: kept rows, and dropped rows by reason.
EXPECTED = {
    "airline": (25976, {}),
    "bank": (250, {}),
    "mobi": (250, {}),
    "corp_rep": (344, {}),
    "service_quality": (411, {}),
    "gss": (1473, {}),
    "spss_sample": (5, {}),
    "surveymonkey": (180, {}),   # blank "Endorsed" mapped explicitly to not_endorsed
    "qualtrics_matrix": (0, {"preview": 5}),   # Status 2 = generated test responses
    "qualtrics_text": (0, {"preview": 15}),
    "qualtrics_sample": (1, {"duplicate": 1}),  # the same response in both exports
    "qualtrics_sample_survey": (0, {"preview": 10}),
}


def run_study(name: str):
    spec = {"study": name, "slug": name.replace("_", "-"), **STUDIES[name]}
    paths = [real_file(source["path"]) for source in STUDIES[name]["sources"]]
    base = paths[0].parents[len(Path(STUDIES[name]["sources"][0]["path"]).parts) - 1]
    study = cx.load_study(spec, base_dir=base)
    raw = cx.read_sources(study)
    return raw, clean(raw, study)


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_log_accounts_for_every_input_row(name):
    raw, result = run_study(name)
    log = result.log
    assert len(log) == len(raw)
    rows_in = sum(info["rows"] for info in raw.attrs["sources"].values())
    assert rows_in == len(raw) == int(log["kept"].sum()) + int((~log["kept"]).sum())
    assert int(log["kept"].sum()) == len(result.responses)
    for source, info in raw.attrs["sources"].items():
        assert sorted(log.loc[log["source"] == source, "source_row"]) == \
            list(range(1, info["rows"] + 1))
    if name in EXPECTED:
        kept, dropped = EXPECTED[name]
        assert len(result.responses) == kept
        counts = log.loc[~log["kept"], "reason"].value_counts().to_dict()
        assert counts == dropped


def test_airline_zero_means_not_applicable():
    raw, result = run_study("airline")
    wifi = raw["Inflight wifi service"]
    coded = result.responses["i_inflight_wifi_service"]
    assert coded.isna().sum() == int((wifi == 0).sum()) > 0
    assert coded.dropna().between(1, 5).all()
    pd.testing.assert_series_equal(
        coded.dropna().astype(int).reset_index(drop=True),
        wifi[wifi > 0].astype(int).reset_index(drop=True), check_names=False)


def test_corp_rep_minus_99_is_missing():
    raw, result = run_study("corp_rep")
    columns = ["cusa", "cusl_1", "cusl_2", "cusl_3"]
    minus = int((raw[columns] == -99).sum().sum())
    assert minus == 11  # SOURCES.md: 11 cells coded -99
    coded = result.responses[[f"i_{c}" for c in columns]]
    assert int(coded.isna().sum().sum()) == minus


def test_gss_labels_code_in_scale_order():
    _raw, result = run_study("gss")
    counts = result.responses["satjob"].value_counts()
    assert counts[4] == 555 and counts[1] == 84  # Very satisfied = 4, Very dissatisfied = 1
    assert result.responses["satjob"].isna().sum() == 265


def test_surveymonkey_pii_not_in_responses():
    raw, result = run_study("surveymonkey")
    assert not any(c.startswith("Contact information") for c in result.responses.columns)
    question = "What do you feel is the biggest issue in your neighborhood?"
    answered = raw[question].notna().sum()  # every candidate is in an audience now
    assert result.responses["biggest_issue"].notna().sum() == answered > 100

"""Privacy (cxstudy.privacy): personal columns never reach the cleaned data, open answers
are scrubbed of e-mails, phone numbers, links and the respondents' names, ids are hashed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxstudy as cx
import cxstudy.voices
from cxstudy.clean import clean
from cxstudy.privacy import hash_id, scrub_text

from .conftest import CUSTOMERS, build, minimal_study, write


def test_pii_never_reaches_responses_and_text_is_scrubbed(tmp_path):
    leaders = [["id", "Name", "Email", "Q1", "Comment"],
               ["L1", "Priya Natarajan", "priya@corp.example", "Agree",
                "Ask Priya or mail priya@corp.example, tel +44 20 7946 0958"],
               ["L2", "Tom Li", "t@corp.example", "Agree", "see https://corp.example/x"]]
    study_map = minimal_study(pii_columns=["Name", "Email"],
                              open_ended=[{"id": "do_well", "question": "?",
                                           "column": "Comment"}])
    write(tmp_path / "leaders.csv", leaders)
    write(tmp_path / "customers.csv", [["id", "Q1", "Comment"], ["C1", "Agree", "fine"]])
    study = cx.load_study(study_map, base_dir=tmp_path)
    result = clean(cx.read_sources(study), study)
    text = result.responses["do_well"].tolist()
    assert text[0] == "Ask [name] or mail [email], tel [phone]"
    assert text[1] == "see [link]"
    assert "Name" not in result.responses.columns and "Email" not in result.responses.columns
    flat = result.responses.astype(str).to_string() + result.log.astype(str).to_string()
    for secret in ["Priya", "priya@corp.example", "Natarajan", "7946"]:
        assert secret not in flat


def test_pii_id_column_is_hashed(tmp_path):
    leaders = [["Email", "Q1"], ["a@corp.example", "Agree"], ["a@corp.example", "Agree"]]
    study, raw = build(tmp_path, leaders, CUSTOMERS[:2],
                       sources=[{"path": "leaders.csv", "group": "leadership",
                                 "id_column": "Email"},
                                {"path": "customers.csv", "group": "customers"}],
                       pii_columns=["Email"])
    result = clean(raw, study)
    ids = result.log["respondent_id"].tolist()
    assert ids[0] == ids[1] and ids[0].startswith("h") and "@" not in ids[0]
    assert result.log["reason"].tolist()[1] == "duplicate"  # still de-duplicated


def _scrub_row_by_row(text: pd.Series, personal: pd.DataFrame) -> pd.Series:
    """The scrubbing one row at a time, every row's own values looked for in its answer:
    the reference for the per-distinct-answer, numpy-prefiltered version (issue 14)."""
    from cxstudy.privacy import _mask_personal, scrub_patterns

    out = []
    for answer, values in zip(text, personal.to_numpy(dtype=object), strict=True):
        if not isinstance(answer, str):
            out.append(pd.NA)
            continue
        out.append(_mask_personal(scrub_patterns(answer), values))
    return pd.Series(out, index=text.index, dtype="string")


NAMES = ["Ann", "Ann Marie", " Jo ", "STRASSE", "Ωmega", "Zoë\u3000Li", "x", "", None, 4.5,
         "José Müller", "O’Sullivan"]


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(
    st.sampled_from(["Ann said hi", "ann marie called", "Jo and Jon", "strasse 5",
                     "ωmega thanks", "Zoë Li here", "mail a@b.co now", "nothing", None,
                     "call 020 7946 0958, Ann", "jose muller here", "OSullivan's bill",
                     "Straße 5, zoe li"]),
    st.sampled_from(NAMES), st.sampled_from(NAMES)), min_size=1, max_size=12),
    text_columns=st.booleans())
def test_scrubbing_equals_the_row_by_row_reference(rows, text_columns):
    from cxstudy.privacy import PersonalValues, scrub_text

    text = pd.Series([r[0] for r in rows], dtype="str", index=range(10, 10 + len(rows)))
    personal = pd.DataFrame({"First": [r[1] for r in rows], "Last": [r[2] for r in rows]},
                            dtype=object)
    if text_columns:  # an export's text columns, as the readers give them
        personal = personal.map(lambda v: v if isinstance(v, str) else None).astype("str")
    expected = _scrub_row_by_row(text, personal)
    pd.testing.assert_series_equal(scrub_text(text, personal), expected)
    pd.testing.assert_series_equal(scrub_text(text, PersonalValues(personal)), expected)
    # the same rows among others (all rows read, the kept ones scrubbed), in reverse order
    others = personal.iloc[::-1].reset_index(drop=True)
    read = pd.concat([others, personal, others], ignore_index=True)
    kept = np.arange(len(personal), 2 * len(personal))
    pd.testing.assert_series_equal(scrub_text(text, PersonalValues(read, rows=kept)), expected)


def test_a_pii_column_named_in_other_case_still_protects(tmp_path):
    import cxstudy as cx

    (tmp_path / "leaders.csv").write_text("Name,Q1,OE\nZoe Quill,Agree,Great\n"
                                          "Bob Marsh,Agree,Fine\n", encoding="utf-8")
    (tmp_path / "customers.csv").write_text(
        "name,Q1,OE\nAnna Berg,Agree,Anna Berg here: the bills are wrong\n"
        "Carl Dunn,Disagree,slow\n", encoding="utf-8")
    from .conftest import minimal_study

    spec = minimal_study(pii_columns=["NAME"], open_ended=[
        {"id": "oe", "question": "Anything else?", "column": "OE"}])
    study = cx.load_study(spec, base_dir=tmp_path)
    responses = cx.clean(cx.read_sources(study), study).responses
    assert "Anna Berg" not in " ".join(responses["oe"].dropna())


def test_voices_page_escapes_respondent_text_and_names_no_one(built):
    project, serial, _parallel, _raw = built
    page = (serial / "reports" / "example" / "voices.html").read_text()
    assert "In their own words" in page and "Where the audiences disagree" in page
    assert "<b>Bills</b>" not in page  # a respondent's markup is shown as text, if at all
    raw = pd.concat([pd.read_csv(p, skiprows=[1, 2]) for p in
                     (project / "data" / "raw" / "example").glob("*qualtrics.csv")])
    for email in raw["RecipientEmail"].dropna().head(200):
        assert email not in page
    themes = pd.read_csv(serial / "reports" / "example" / "tables" / "themes.csv")
    assert list(themes.columns) == ["wave", *cx.voices.THEME_COLUMNS]


# ---------------------------------------------------------------------------
# scrub_text and hash_id on their own


@pytest.mark.parametrize("answer, scrubbed", [
    ("write to jo.smith+cx@mail.example.co.uk please", "write to [email] please"),
    ("call +44 (20) 7946-0958 today", "call [phone] today"),
    ("ring 020 7946 0958", "ring [phone]"),
    ("see www.example.com/a?b=1 now", "see [link] now"),
    ("https://x.example/p", "[link]"),
], ids=["email", "phone with country and area", "phone with spaces", "www link", "http link"])
def test_emails_phones_and_links_are_masked(answer, scrubbed):
    assert scrub_text(pd.Series([answer])).tolist() == [scrubbed]


@pytest.mark.parametrize("answer", [
    "open 24/7, rated 9/10",
    "we paid 1,250.50 in 2026",
    "order 12345 on 03/12/2026",
    "3 times in 6 weeks",
])
def test_ordinary_numbers_stay(answer):
    assert scrub_text(pd.Series([answer])).tolist() == [answer]


def test_a_respondents_own_name_is_masked_in_their_answer_only():
    text = pd.Series(["Ann Lee was great; annual fee too high", "ask ann", "LEE said no", None,
                      "Jo helped"], dtype="str")
    personal = pd.DataFrame({"Name": ["Ann Lee", "Bob Ray", "ann lee", "Ann Lee", "Jo"]})
    scrubbed = scrub_text(text, personal).tolist()
    # the full name and its parts are masked ("[name]" once or per part, as they are met)
    assert re.fullmatch(r"(\[name\] )+was great; annual fee too high", scrubbed[0])
    assert scrubbed[1:] == [
        "ask ann",                 # another respondent's name is no name of this one
        "[name] said no",          # any case
        pd.NA,                     # missing stays missing
        "Jo helped"]               # parts under 3 letters are not looked for


def test_hashed_ids_are_stable_salted_and_not_the_id():
    ids = pd.Series(["a@corp.example", None, "a@corp.example", "b@corp.example"])
    hashed = hash_id(ids, "acme")
    assert hashed[0] == hashed[2] != hashed[3] and pd.isna(hashed[1])
    assert hashed[0].startswith("h") and len(hashed[0]) == 17 and "corp" not in hashed[0]
    assert hash_id(ids, "other")[0] != hashed[0]  # another study's salt, another id

"""Privacy: scrubbing personal data from respondent text, hashing PII ids.

Processed data and reports never hold PII columns (only mapped answer columns are
copied); open-ended answers are scrubbed of e-mail addresses, phone numbers and the
respondent's own values in the study's ``pii_columns`` (a name typed into a comment).
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

# Linear time on any text: a match may start only where a run of address characters starts
# (the look-behind), and every part is bounded (RFC 5321: 64 before the @, labels of 63),
# so a long run without an @ is read once, not once from every position in it.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])",
                   re.UNICODE)
# Phone numbers: 7+ digits with optional +country, spaces, dots, dashes, parentheses.
PHONE = re.compile(r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d(?:[\s.-]?\d){6,14}"
                   r"(?![\w/])")
URL = re.compile(r"\bhttps?://\S{1,2000}|\bwww\.\S{1,2000}", re.IGNORECASE)

EMAIL_MASK, PHONE_MASK, URL_MASK, NAME_MASK = "[email]", "[phone]", "[link]", "[name]"


def scrub_text(text: pd.Series, personal: pd.DataFrame | None = None) -> pd.Series:
    """Replace e-mail addresses, phone numbers, links and the row's own PII values.

    Parameters
    ----------
    text : pandas.Series
        Answers (missing stays missing).
    personal : pandas.DataFrame, optional
        The same rows' PII columns (names, e-mails); any of those values of 3 or more
        characters found in the row's answer is replaced by ``[name]``.

    Returns
    -------
    pandas.Series
        Scrubbed answers (string dtype).
    """
    text = text.astype("string")
    scrubbed = (text.str.replace(EMAIL, EMAIL_MASK, regex=True)
                .str.replace(URL, URL_MASK, regex=True)
                .str.replace(PHONE, PHONE_MASK, regex=True))
    if personal is not None and not personal.empty:
        answers = scrubbed.to_numpy(dtype=object, na_value=None)
        for row, (answer, values) in enumerate(zip(answers, personal.to_numpy(dtype=object),
                                                   strict=True)):
            if answer is not None:
                answers[row] = _mask_personal(answer, values)
        scrubbed = pd.Series(answers, index=scrubbed.index, dtype="string")
    return scrubbed


def _mask_personal(answer: str, values) -> str:
    lowered = answer.casefold()
    for value in values:
        if not isinstance(value, str):
            continue
        for part in {value.strip(), *value.split()}:
            if len(part) >= 3 and part.casefold() in lowered:
                answer = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", NAME_MASK, answer,
                                flags=re.IGNORECASE)
    return answer


def hash_id(values: pd.Series, salt: str) -> pd.Series:
    """Replace identifying ids (e-mails as ids) by a salted SHA-256 prefix."""
    return values.map(lambda v: v if pd.isna(v) else
                      "h" + hashlib.sha256(f"{salt}:{v}".encode()).hexdigest()[:16])

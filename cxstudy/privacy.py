"""Privacy: scrubbing personal data from respondent text, hashing PII ids.

Processed data and reports never hold PII columns (only mapped answer columns are
copied); open-ended answers are scrubbed of e-mail addresses, phone numbers and the
respondent's own values in the study's ``pii_columns`` (a name typed into a comment).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
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


def scrub_text(text: pd.Series, personal: pd.DataFrame | PersonalValues | None = None
               ) -> pd.Series:
    """Replace e-mail addresses, phone numbers, links and the row's own PII values.

    Parameters
    ----------
    text : pandas.Series
        Answers (missing stays missing).
    personal : pandas.DataFrame or PersonalValues, optional
        The same rows' PII columns (names, e-mails); any of those values of 3 or more
        characters found in the row's answer is replaced by ``[name]``. Give a
        :class:`PersonalValues` to scrub several answer columns of the same rows.

    Returns
    -------
    pandas.Series
        Scrubbed answers (string dtype).

    Notes
    -----
    The patterns run once per distinct answer. A row's own values are looked for in
    numpy, element by element, and only the rows where one occurs (ignoring case) go
    through the masking, so the cost does not grow with the number of PII columns
    times rows in Python.
    """
    text = text.astype("string")
    which, distinct = pd.factorize(text)
    cleaned = (pd.Series(distinct, dtype="string").str.replace(EMAIL, EMAIL_MASK, regex=True)
               .str.replace(URL, URL_MASK, regex=True)
               .str.replace(PHONE, PHONE_MASK, regex=True))
    scrubbed = pd.Series(cleaned.array.take(which, allow_fill=True), index=text.index,
                         dtype="string")
    if personal is None or (isinstance(personal, pd.DataFrame) and personal.empty):
        return scrubbed
    if not isinstance(personal, PersonalValues):
        personal = PersonalValues(personal)
    rows = personal.rows_holding(scrubbed)
    if len(rows):
        answers = scrubbed.to_numpy(dtype=object, na_value=None)
        values = personal.values_of(rows)
        scrubbed.iloc[rows] = [_mask_personal(answers[row], values[k])
                               for k, row in enumerate(rows)]
    return scrubbed


# Python's whitespace (str.split, str.strip) as a class of literal characters, which
# Arrow's regular expressions (RE2) and Python's read alike
_WHITESPACE = "[" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "]"


class PersonalValues:
    """The PII values of some rows, prepared once for scrubbing their answers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The PII columns.
    rows : numpy.ndarray, optional
        Positions of the frame's rows that the answers to scrub belong to, in their
        order (default: every row). The frame itself is not copied: give all rows read
        and the positions of those kept.

    Notes
    -----
    ``parts`` are what :func:`_mask_personal` looks for: each text value stripped and
    each of its words, of 3 or more characters, case-folded, with the answer they belong
    to (``part_rows``, positions among the answers).
    """

    def __init__(self, frame: pd.DataFrame, rows: np.ndarray | None = None):
        self.frame = frame
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        rows, pieces = [], []  # pieces stay Arrow text: no Python string per value
        for column in frame.columns:
            values = frame[column] if self.rows is None else frame[column].iloc[self.rows]
            values = values.reset_index(drop=True)
            if values.dtype == object:  # mixed cells (Excel): the text ones
                values = values.map(lambda v: v if isinstance(v, str) else None)
            elif not isinstance(values.dtype, pd.StringDtype):
                continue  # numbers and dates are never text in an answer
            values = values.astype("str")
            spaced = values.str.contains(_WHITESPACE, regex=True).fillna(False)
            plain = values[values.notna() & ~spaced]  # no space: the value is its own part
            rows.append(plain.index.to_numpy())
            pieces.append(plain)
            split = [(row, part) for row, value in values[spaced.to_numpy(dtype=bool)].items()
                     for part in {value.strip(), *value.split()}]
            if split:
                rows.append(np.array([row for row, _ in split]))
                pieces.append(pd.Series([part for _, part in split], dtype="str"))
        rows = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
        parts = pd.concat(pieces, ignore_index=True) if pieces else pd.Series([], dtype="str")
        usable = (parts.str.len() >= 3).to_numpy(dtype=bool)
        self.part_rows = rows[usable].astype(np.int64)
        # each distinct part once (a name many respondents share is folded once)
        self.part_codes, distinct = pd.factorize(parts[usable])
        self.parts = np.asarray([part.casefold() for part in distinct],
                                dtype=np.dtypes.StringDType())

    def values_of(self, positions: np.ndarray) -> np.ndarray:
        """The PII values (objects, one row per position) of the answers at ``positions``."""
        at = positions if self.rows is None else self.rows[positions]
        return self.frame.iloc[at].to_numpy(dtype=object)

    def rows_holding(self, answers: pd.Series) -> np.ndarray:
        """Positions of the answers in which one of their row's parts occurs, ignoring
        case: the only rows :func:`_mask_personal` can change.

        Each distinct (answer, part) pair is looked at once: a part of a row is sought
        in that row's answer, and the pairs repeat wherever answers and names do."""
        present = answers.notna().to_numpy()[self.part_rows]
        rows = self.part_rows[present]
        if not len(rows):
            return np.array([], dtype=np.int64)
        answer_codes, distinct_answers = pd.factorize(answers)
        pair_keys = answer_codes[rows].astype(np.int64) * len(self.parts) + \
            self.part_codes[present]
        pair_of_row, pairs = pd.factorize(pair_keys)
        answer_of_pair, part_of_pair = np.divmod(pairs, len(self.parts))
        used, answer_of_pair = np.unique(answer_of_pair, return_inverse=True)
        folded = np.asarray([str(distinct_answers[code]).casefold() for code in used],
                            dtype=np.dtypes.StringDType())
        found = np.strings.find(folded[answer_of_pair], self.parts[part_of_pair]) >= 0
        return np.unique(rows[found[pair_of_row]])


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

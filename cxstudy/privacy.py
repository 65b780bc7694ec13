"""Privacy: scrubbing personal data from respondent text, hashing PII ids.

Processed data and reports never hold PII columns (only mapped answer columns are
copied); open-ended answers are scrubbed of e-mail addresses, phone numbers, links and
the respondent's own values in the study's ``pii_columns`` (a name typed into a comment).
What is and is not caught: ``docs/methods.md``, "Personal data in open answers".
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import numpy as np
import pandas as pd

# The patterns are RE2 (google-re2): matching takes time linear in the text whatever it
# holds, so no answer can make scrubbing hang. RE2 has no look-behind or look-ahead: a
# match starts after a character that cannot precede it (or at the start), the one group
# is what is masked, and an ending is a word boundary (\b: not followed by an ASCII letter,
# digit or _). The text is matched with its Unicode digits read as ASCII ones (one
# character for one). What a pattern finds may then be let go by a check of the found
# text alone (_not_a_phone, _not_a_link: bounded patterns on a few characters).
_WORD = r"\pL\pN_"
# e-mail addresses: a run of address characters, an @ and dotted labels (the leftmost,
# greedy match: a run is never entered in its middle, so no look-behind is needed)
EMAIL = rf"([{_WORD}.+-]+@[{_WORD}-]+(?:\.[{_WORD}-]+)+)"
# links with a scheme or www.
URL = rf"(?i)(?:^|[^{_WORD}])((?:https?://|www\.)\S+)"
# links without either: a host ending in a common top-level domain (optionally a port and a
# path), or any host whose last label is letters followed by a path. Top-level domains that
# are English words (it, in, me, no, be, at, us, so, to, ...) are left out: "fine.It" is a
# missing space, not a link.
TOP_LEVEL_DOMAINS = ("com", "org", "net", "edu", "gov", "mil", "info", "biz", "io", "co",
                     "app", "dev", "tv", "eu", "uk", "de", "fr", "nl", "ch", "es", "se",
                     "dk", "fi", "ie", "pl", "pt", "cz", "ca", "au", "nz", "jp", "cn", "ru",
                     "br", "mx", "za", "sg", "hk", "example")
_LABEL = r"[\pL\pN][\pL\pN-]*"
HOST = (rf"(?i)(?:^|[^{_WORD}.@/-])({_LABEL}(?:\.{_LABEL})*\.(?:"
        + "|".join(TOP_LEVEL_DOMAINS) + r")\b(?::[0-9]{1,5}\b)?(?:[/?#]\S*)?"
        rf"|{_LABEL}(?:\.{_LABEL})*\.\pL{{2,24}}/\S*)")
# phone numbers: 7+ digits with an optional +country code and (area code), spaces, dots or
# dashes between digits; or an area code starting with 0 (or after a +country code) and a
# slash (030/12345678); either with an extension (x45, ext. 45, extension 45)
_NUMBER = (r"(?:\+[0-9]{1,3}[\s.-]?)?(?:\([0-9]{1,5}\)[\s.-]?)?[0-9](?:[\s.-]?[0-9]){6,}"
           r"|(?:\+[0-9]{1,3}[\s.-]?[0-9]{1,4}|\(0[0-9]{1,4}\)|0[0-9]{1,4})\s?/\s?[0-9]"
           r"(?:[\s.-]?[0-9]){4,}")
PHONE = (rf"(?:^|[^{_WORD}/])((?:{_NUMBER})"
         r"(?:\s?(?i:x|ext\.?\s?|extension\s?)[0-9]{1,5})?\b)")

EMAIL_MASK, PHONE_MASK, URL_MASK, NAME_MASK = "[email]", "[phone]", "[link]", "[name]"

# what looks like a phone number but is not one: a date (with an hour), a range of years,
# a number with dots between thousands
_DATE = re.compile(r"(?:[0-9]{1,2}([./-])[0-9]{1,2}\1(?:19|20)?[0-9]{2}"
                   r"|(?:19|20)[0-9]{2}([./-])[0-9]{1,2}\2[0-9]{1,2})(?:\s[0-9]{1,2})?")
_YEARS = re.compile(r"((?:19|20)[0-9]{2})\s?[-–]\s?((?:19|20)[0-9]{2})")
_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3}){2,}")
_CURRENCY = "$€£¥₹"


def _not_a_phone(text: str, start: int, end: int) -> bool:
    """Whether the digits at ``text[start:end]`` are a date, years, an amount or part of a
    word or a path rather than a phone number."""
    hit = text[start:end]
    years = _YEARS.fullmatch(hit)
    return bool(_DATE.fullmatch(hit) or _THOUSANDS.fullmatch(hit)
                or (years and 0 <= int(years[2]) - int(years[1]) <= 100)
                or (text[max(0, start - 2):start].strip()[-1:] or " ") in _CURRENCY
                or (end < len(text) and (text[end].isalnum() or text[end] == "/")))


def _not_a_link(text: str, start: int, end: int) -> bool:
    """Whether a host without a scheme is a missing space after a full stop ("great.App")."""
    host = re.split(r"[/?#:]", text[start:end], maxsplit=1)[0]
    last = host.rsplit(".", 1)[-1]
    return last[:1].isupper() and last[1:].islower()


@functools.cache
def _rules() -> tuple:
    """The compiled patterns in the order they run, each with a character every match holds
    (an answer without one is not searched), its mask and its exceptions (compiled once, on
    first use: RE2's Unicode classes take a moment)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return tuple((re2.compile(pattern, options), re.compile(clue), mask, exception)
                 for pattern, clue, mask, exception
                 in [(EMAIL, "@", EMAIL_MASK, None), (URL, "[.:]", URL_MASK, None),
                     (HOST, r"\.", URL_MASK, _not_a_link),
                     (PHONE, "[0-9]", PHONE_MASK, _not_a_phone)])


@functools.cache
def _ascii_digits() -> dict[int, str]:
    """Every Unicode decimal digit that is not ASCII, as its ASCII digit (one character for
    one: positions in the text stay where they were)."""
    return {c: str(unicodedata.decimal(chr(c))) for c in range(128, 0x20000)  # none above
            if unicodedata.category(chr(c)) == "Nd"}


def scrub_patterns(text: str) -> str:
    """One answer with its e-mail addresses, links and phone numbers masked.

    Parameters
    ----------
    text : str
        The answer.

    Returns
    -------
    str
        The answer with ``[email]``, ``[link]`` and ``[phone]`` in their place.

    Examples
    --------
    >>> scrub_patterns("call 030/12345678 or see larkfield.example/account?id=99812")
    'call [phone] or see [link]'
    >>> scrub_patterns("open 24/7, fixed in 2-3 days on 12/03/2026, e.g. v2.0")
    'open 24/7, fixed in 2-3 days on 12/03/2026, e.g. v2.0'
    """
    probe = text if text.isascii() else text.translate(_ascii_digits())
    for pattern, clue, mask, exception in _rules():
        if not clue.search(probe):
            continue
        pieces, last = [], 0
        for match in pattern.finditer(probe):
            start, end = match.span(1)
            if exception is None or not exception(probe, start, end):
                pieces += [text[last:start], mask]
                last = end
        if pieces:
            text = "".join([*pieces, text[last:]])
            probe = text if text.isascii() else text.translate(_ascii_digits())
    return text


def scrub_text(text: pd.Series, personal: pd.DataFrame | PersonalValues | None = None
               ) -> pd.Series:
    """Replace e-mail addresses, phone numbers, links and the row's own PII values.

    Parameters
    ----------
    text : pandas.Series
        Answers (missing stays missing); categories are scrubbed once per category
        their rows use, and made text only once scrubbed.
    personal : pandas.DataFrame or PersonalValues, optional
        The same rows' PII columns (names, e-mails); any of those values, or of their
        words, of 3 or more characters found in the row's answer as a whole word
        (accents, apostrophes and case ignored: :func:`fold_name`) is replaced by
        ``[name]``. Give a :class:`PersonalValues` to scrub several answer columns of the
        same rows.

    Returns
    -------
    pandas.Series
        Scrubbed answers (string dtype).

    Notes
    -----
    The patterns (:func:`scrub_patterns`) run once per distinct answer. A row's own
    values are looked for in numpy, element by element, both folded, and only the rows
    where one occurs go through the masking, so the cost does not grow with the number
    of PII columns times rows in Python. What is and is not caught: ``docs/methods.md``.
    """
    if isinstance(text.dtype, pd.CategoricalDtype):
        from .counts import first_of_each  # the categories the rows use, without a sort

        shifted, _first, which = first_of_each(text.cat.codes.to_numpy().astype(np.int64) + 1,
                                                inverse=True)
        used = shifted - 1
        which = which.reshape(-1) - int(len(used) and used[0] < 0)  # missing: -1
        distinct = text.cat.categories[used[used >= 0]].astype("string")
    else:
        text = text.astype("string")
        which, distinct = pd.factorize(text)
    cleaned = pd.Series([scrub_patterns(answer) for answer in distinct], dtype="string")
    scrubbed = pd.Series(cleaned.array.take(which, allow_fill=True), index=text.index,
                         dtype="string")
    if personal is None or (isinstance(personal, pd.DataFrame) and personal.empty):
        return scrubbed
    if not isinstance(personal, PersonalValues):
        personal = PersonalValues(personal)
    rows = personal.rows_holding(scrubbed, (which, cleaned))
    if len(rows):
        answers = scrubbed.iloc[rows].to_numpy(dtype=object, na_value=None)
        values = personal.values_of(rows)
        scrubbed.iloc[rows] = [_mask_personal(answer, values[k])
                               for k, answer in enumerate(answers)]
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
    each of its words, of 3 or more characters, folded (:func:`fold_name`: no accents,
    apostrophes or case), with the answer they belong to (``part_rows``, positions among
    the answers).
    """

    def __init__(self, frame: pd.DataFrame, rows: np.ndarray | None = None):
        self.frame = frame
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        part_rows, part_refs, texts = [], [], []
        for column in frame.columns:
            values = frame[column] if self.rows is None else frame[column].iloc[self.rows]
            values = values.reset_index(drop=True)
            if values.dtype == object:  # mixed cells (Excel): the text ones
                values = values.map(lambda v: v if isinstance(v, str) else None)
            elif not isinstance(values.dtype, pd.StringDtype):
                continue  # numbers and dates are never text in an answer
            # each distinct value's parts once; the rows refer to them by number
            codes, distinct = pd.factorize(values.astype("str"))
            owner, parts = _parts_of(pd.Series(distinct, dtype="str"))
            rows, which = _rows_to_parts(codes, owner)
            part_rows.append(rows.astype(np.int32))  # a few per row: half the memory
            part_refs.append(which + sum(len(t) for t in texts))
            texts.append(parts)
        self.part_rows = np.concatenate(part_rows) if part_rows else np.array([], np.int32)
        # each distinct part once (a name many respondents share is folded once)
        codes, distinct = pd.factorize(pd.concat(texts, ignore_index=True) if texts
                                       else pd.Series([], dtype="str"))
        self.part_codes = (codes[np.concatenate(part_refs)] if part_refs else codes
                           ).astype(np.int32)
        self.parts = np.asarray([fold_name(part) for part in distinct],
                                dtype=np.dtypes.StringDType())

    def values_of(self, positions: np.ndarray) -> np.ndarray:
        """The PII values (objects, one row per position) of the answers at ``positions``."""
        at = positions if self.rows is None else self.rows[positions]
        return self.frame.iloc[at].to_numpy(dtype=object)

    def rows_holding(self, answers: pd.Series,
                     factorized: tuple[np.ndarray, pd.Series] | None = None) -> np.ndarray:
        """Positions of the answers in which one of their row's parts occurs, both folded
        (:func:`fold_name`): the only rows :func:`_mask_personal` can change.

        Each distinct (answer, part) pair is looked at once: a part of a row is sought
        in that row's answer, and the pairs repeat wherever answers and names do.
        ``factorized``: the answers as (code of each, -1 missing; the texts coded), when
        known (texts may repeat)."""
        if factorized is None:
            factorized = pd.factorize(answers)
        answer_codes, distinct_answers = factorized
        present = (answer_codes >= 0)[self.part_rows]
        rows = self.part_rows[present]
        if not len(rows):
            return np.array([], dtype=np.int64)
        pair_keys = answer_codes[rows].astype(np.int64) * len(self.parts) + \
            self.part_codes[present]
        pair_of_row, pairs = pd.factorize(pair_keys)
        answer_of_pair, part_of_pair = np.divmod(pairs, len(self.parts))
        used, answer_of_pair = np.unique(answer_of_pair, return_inverse=True)
        texts = distinct_answers.to_numpy(dtype=object)[used]
        folded = np.asarray([fold_name(str(text)) for text in texts],
                            dtype=np.dtypes.StringDType())
        found = np.strings.find(folded[answer_of_pair], self.parts[part_of_pair]) >= 0
        return np.unique(rows[found[pair_of_row]])


def _parts_of(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The parts of distinct text values, and the value each belongs to: a value without
    whitespace is its own part (no Python string made); one with whitespace, itself
    stripped and each of its words. Parts of fewer than 3 characters are left out."""
    spaced = values.str.contains(_WHITESPACE, regex=True).fillna(False).to_numpy(dtype=bool)
    owners, parts = [np.flatnonzero(~spaced)], [values[~spaced]]
    split = [(owner, part) for owner, value in zip(np.flatnonzero(spaced), values[spaced],
                                                   strict=True)
             for part in {value.strip(), *value.split()}]
    if split:
        owners.append(np.array([owner for owner, _ in split], dtype=np.int64))
        parts.append(pd.Series([part for _, part in split], dtype="str"))
    owner = np.concatenate(owners).astype(np.int64)
    part = pd.concat(parts, ignore_index=True)
    usable = (part.str.len() >= 3).to_numpy(dtype=bool)
    return owner[usable], part[usable].reset_index(drop=True)


def _rows_to_parts(codes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, part) pairs: each row (``codes``: its distinct value, -1 missing) with every
    part of its value (``owner``: the value of each part)."""
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=int(codes.max(initial=-1)) + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rows = np.flatnonzero(codes >= 0)
    values = codes[rows]
    per_row = counts[values]
    first_pair = np.cumsum(per_row) - per_row
    step = np.arange(per_row.sum()) - np.repeat(first_pair, per_row)
    return np.repeat(rows, per_row), order[np.repeat(starts[values], per_row) + step]


# apostrophes a name may be written with, or without: O’Sullivan, O'Sullivan, OSullivan
APOSTROPHES = "'’‘ʼ`´"
_APOSTROPHE = re.compile("[" + APOSTROPHES + "]")


@functools.cache
def _marks() -> dict[int, None]:
    """Every combining mark (accents once decomposed), to be deleted by ``str.translate``."""
    return dict.fromkeys(c for c in range(0x300, 0x20000) if unicodedata.combining(chr(c)))


def fold_name(text: str) -> str:
    """A text as names are compared: without apostrophes, accents and case, its runs of
    whitespace one space.

    Parameters
    ----------
    text : str
        A name, or an answer to look for one in.

    Returns
    -------
    str
        The text decomposed (Unicode NFKD), its combining marks and apostrophes
        (``APOSTROPHES``) removed, case-folded.

    Examples
    --------
    >>> fold_name("José  Müller"), fold_name("O’Sullivan"), fold_name("Straße")
    ('jose muller', 'osullivan', 'strasse')
    """
    text = _APOSTROPHE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
        text = text.translate(_marks())
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    """One character folded as :func:`fold_name` folds it, apostrophes kept as '."""
    if char in APOSTROPHES:
        return "'"
    return " " if char.isspace() else fold_name(char)  # a combining mark: nothing


def _folded_with_positions(answer: str) -> tuple[str, list[int] | None]:
    """The answer folded character by character (apostrophes kept as ') and, for each
    folded character, the position of the character it comes from (None: the same)."""
    if answer.isascii():
        return answer.lower().replace("`", "'"), None
    folded, where = [], []
    for position, char in enumerate(answer):
        piece = _fold_char(char)
        folded.append(piece)
        where += [position] * len(piece)
    return "".join(folded), where


@functools.lru_cache(maxsize=4096)
def _name_pattern(folded: str) -> re.Pattern:
    """A folded name as a whole-word pattern for folded answers: an apostrophe may stand
    between any two of its letters (OSullivan finds O'Sullivan), any whitespace between its
    words. Literal characters only: matching is linear in the answer."""
    words = ["'?".join(re.escape(char) for char in word) for word in folded.split(" ")]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _mask_personal(answer: str, values) -> str:
    """The answer with the respondent's own values (and each of their words, of 3 or more
    characters) replaced by ``[name]``, accents, apostrophes and case ignored; the longest
    first, so a full name found is one mask."""
    loose = fold_name(answer)
    parts = {part for value in values if isinstance(value, str)
             for part in {value.strip(), *value.split()} if len(part) >= 3}
    found = sorted({f for f in map(fold_name, parts) if f and f in loose},
                   key=lambda f: (-len(f), f))
    if not found:
        return answer
    folded, where = _folded_with_positions(answer)
    spans: list[tuple[int, int]] = []
    for name in found:
        for match in _name_pattern(name).finditer(folded):
            start, end = match.span()
            if where is not None:  # back to the answer's characters, and any accents after
                start, end = where[start], where[end - 1] + 1
                while end < len(answer) and _fold_char(answer[end]) == "":
                    end += 1
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
    pieces, last = [], 0
    for start, end in sorted(spans):
        pieces += [answer[last:start], NAME_MASK]
        last = end
    return "".join([*pieces, answer[last:]])


def hash_id(values: pd.Series, salt: str) -> pd.Series:
    """Replace identifying ids (e-mails as ids) by a salted SHA-256 prefix."""
    return values.map(lambda v: v if pd.isna(v) else
                      "h" + hashlib.sha256(f"{salt}:{v}".encode()).hexdigest()[:16])

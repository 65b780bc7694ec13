"""Voices: the open-ended questions coded into themes and compared across audiences.

A theme codebook (YAML) names themes and the words, phrases or ``/regex/`` patterns
that signal them. Each answer gets zero or more themes; answers with none are
counted as ``uncoded`` (never dropped); blank answers are not answers. Theme
prevalence per audience is compared with the reference audience with the same
machinery as the item gaps (Wilson, Newcombe, score/Fisher test, correction).
Distinguishing words per audience use the weighted log-odds ratio with an
informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), with z-scores.

Patterns: a word or phrase matches whole words, case-insensitively, with any white
space between words; a trailing ``*`` matches any ending (``bill*`` finds "bills",
"billing"); ``/…/`` is a regular expression (case-insensitive).

References
----------
Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: lexical feature
selection and evaluation for identifying the content of political conflict.
Political Analysis 16(4), 372-403.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from ._validate import Collector, describe, did_you_mean
from .counts import first_of_each, respondent_weights, wave_of
from .exceptions import StudyFileError
from .model import OpenEnded, Study
from .points import split_points
from .privacy import scrub_text
from .study import read_yaml
from .tables import THEMES, VOICE_SIMILARITY, suppress, too_small
from .waves import per_wave, per_wave_table

UNCODED = "uncoded"
_THEME_KEYS = ["id", "label", "patterns", "questions"]
CODEBOOK_FORMAT = ("expected a list of themes, one '- ' entry each: id (letters, digits, _), "
                   "label (shown in reports), patterns (a list of words, phrases, word* or "
                   "/regular expressions/), optionally questions (open_ended ids); e.g. "
                   "themes: [{id: billing, label: Bills, patterns: [bill*, invoice]}] "
                   "(docs/study-file.md, 'Theme codebook')")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Theme:
    """One theme of a codebook: its patterns as written, compiled when first used (and
    once per process), so a codebook handed to a report page that shows its tables, not
    codes answers, costs nothing to load however many themes it defines."""

    id: str
    label: str
    pattern_texts: tuple[str, ...]  # as the codebook writes them
    questions: tuple[str, ...] | None  # None: every open-ended question

    @property
    def patterns(self) -> tuple:
        """The compiled RE2 expressions (:func:`compile_pattern`)."""
        return tuple(compile_pattern(text) for text in self.pattern_texts)


@dataclass(frozen=True)
class Codebook:
    themes: tuple[Theme, ...]
    path: Path | None = None

    def label(self, theme_id: str) -> str:
        if theme_id == UNCODED:
            return "(no theme)"
        return next(t.label for t in self.themes if t.id == theme_id)


_WORD_CHAR = r"[\pL\pN_]"
_NOT_WORD = r"(?:^|[^\pL\pN_])"


def _re2_options():
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a bad pattern is reported with the codebook's problems
    return options


@functools.cache
def compile_pattern(pattern: str):
    """A codebook pattern as a compiled, case-insensitive RE2 expression.

    RE2 matches in time linear in the text, whatever the pattern (no backtracking), so
    a codebook cannot make coding hang on a long answer. Words match whole: the word
    boundaries are written with Unicode letter and digit classes (RE2 has no
    look-behind). Raises :class:`re2.error` for an expression RE2 cannot compile
    (look-behind and back-references are not supported).
    """
    import re2

    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re2.compile(pattern[1:-1], _re2_options())
    words = pattern.strip().split()
    parts = [re2.escape(w[:-1]) + _WORD_CHAR + "*" if w.endswith("*") else re2.escape(w)
             for w in words]
    if _CJK.search(pattern):  # no spaces between words: no word boundaries either
        return re2.compile(r"\s*".join(parts), _re2_options())
    ending = "" if words[-1].endswith("*") else r"(?:[^\pL\pN_]|$)"
    return re2.compile(_NOT_WORD + r"\s+".join(parts) + ending, _re2_options())


def load_codebook(source: str | Path | dict, study: Study | None = None) -> Codebook:
    """Load and validate a theme codebook; every problem is reported together.

    Raises
    ------
    StudyFileError
        Naming the codebook, the key path (``themes[2] (billing).patterns[0]``) and
        what to fix, e.g. a regular expression that does not compile.
    """
    path = None
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        data = read_yaml(path)
    c = Collector()
    data = c.mapping(data, "(top level)")
    c.keys(data, ["themes"], "")
    questions = [q.id for q in study.open_ended] if study else None
    themes, seen = [], set()
    if data.get("themes") is not None and not isinstance(data["themes"], list):
        c.add("themes", f"found {describe(data['themes'])}", CODEBOOK_FORMAT)
        data = {**data, "themes": []}
    for where, spec in c.entries(data, "themes", _THEME_KEYS):
        theme_id = spec.get("id")
        if not isinstance(theme_id, str) or not _IDENT.match(theme_id) or theme_id == UNCODED:
            c.add(f"{where}.id", f"found {theme_id!r}", "an identifier (letters, digits, _), "
                  f"not {UNCODED!r}")
            continue
        label = f"{where} ({theme_id})"
        if theme_id in seen:
            c.add(label, "id used twice", "give each theme its own id")
        seen.add(theme_id)
        patterns = spec.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            c.add(f"{label}.patterns", f"found {patterns!r}", "a list of words, phrases or "
                  "/regular expressions/")
            continue
        texts = []
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str) or not pattern.strip() or pattern.strip() == "//":
                c.add(f"{label}.patterns[{index}]", f"found {pattern!r}", "a non-empty word, "
                      "phrase or /regex/")
                continue
            try:
                compile_pattern(pattern)  # checked now, kept compiled for the coding
                texts.append(pattern)
            except Exception as exc:  # re2.error: the message says what RE2 cannot read
                reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) \
                    else str(exc)
                c.add(f"{label}.patterns[{index}]", f"bad regular expression {pattern!r} "
                      f"({reason})", "fix the expression (matched in linear time by RE2: "
                      "no look-behind or back-references), or drop the slashes to match it "
                      "as plain words")
        asked = spec.get("questions")
        if asked is not None:
            if not isinstance(asked, list):
                c.add(f"{label}.questions", f"found {asked!r}", "a list of open-ended ids")
                asked = None
            elif questions is not None:
                for question in asked:
                    if question not in questions:
                        c.add(f"{label}.questions", f"unknown question {question!r}"
                              + did_you_mean(str(question), questions),
                              "use the ids of the study's open_ended questions: "
                              + ", ".join(questions))
        themes.append(Theme(theme_id, str(spec.get("label") or theme_id), tuple(texts),
                            tuple(asked) if asked else None))
    if not themes and not c.problems:
        c.add("themes", "no themes", "list at least one theme")
    if c.problems:
        raise StudyFileError(path, c.problems)
    return Codebook(tuple(themes), path)


def _answers(responses: pd.DataFrame, study: Study, question_id: str | None = None, *,
             points: bool = True) -> pd.DataFrame:
    """One row per non-blank answer (to one question, or to every open question):
    row, question, group, weight, text, point.

    A question with ``split: points`` gives one row per point of each answer
    (:func:`~cxstudy.points.split_points`, each distinct answer split once), ``point``
    numbering them within it (0 for a question that is not split); ``points=False``
    keeps its answers whole. ``question``, ``group`` and ``text`` are categorical:
    answers are stripped and told apart once per distinct answer, and the rows hold
    their answer's number, so a million answers never become a million Python strings,
    and taking, comparing and grouping rows works on small numbers.
    """
    weights, _ = respondent_weights(responses)
    group_codes, groups = pd.factorize(responses["group"])  # audiences: a few names
    groups = pd.Index(np.asarray(groups, dtype=object), dtype="str")
    parts, texts = [], []  # texts: each question's distinct answers, one after the other
    for question in study.open_ended:
        if question.id not in responses or question_id not in (None, question.id):
            continue
        which, distinct = pd.factorize(responses[question.id])  # unanswered: -1
        stripped, distinct_texts = pd.factorize(pd.Index(distinct, dtype="string").str.strip())
        blank = np.asarray(distinct_texts == "", dtype=bool)
        offset = sum(map(len, texts))
        if question.split and points:  # each distinct answer's points, split once
            pieces = [[] if gone else split_points(text)
                      for text, gone in zip(distinct_texts, blank, strict=True)]
            per_text = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
            first = np.concatenate([[0], np.cumsum(per_text)[:-1]]) + offset
            answer = np.append(stripped, -1)[which]  # the distinct stripped text, or -1
            answer = np.where(answer >= 0, np.append(per_text, 0)[answer], 0)
            counts = answer  # points of each row's answer
            rows = np.repeat(np.arange(len(which)), counts)
            within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
            text_of = np.append(stripped, -1)[which][rows]
            parts.append((question.id, rows, first[text_of] + within, within))
            texts.append(np.array([p for piece in pieces for p in piece], dtype=object))
            continue
        kept = np.where(blank, -1, np.cumsum(~blank) - 1 + offset)
        answer = np.append(kept[stripped], -1)[which]  # which = -1 picks the -1 appended
        rows = np.flatnonzero(answer >= 0)
        parts.append((question.id, rows, answer[rows], np.zeros(len(rows), dtype=np.int64)))
        texts.append(np.asarray(distinct_texts[~blank], dtype=object))
    if not parts:
        return pd.DataFrame(columns=["row", "question", "group", "weight", "text", "point"])
    same, categories = pd.factorize(pd.Index(np.concatenate(texts), dtype="str"))
    rows = np.concatenate([row for _q, row, _a, _p in parts])
    questions = pd.Categorical.from_codes(
        np.repeat(np.arange(len(parts)), [len(row) for _q, row, _a, _p in parts]),
        categories=pd.Index([q for q, _r, _a, _p in parts], dtype="str"))
    return pd.DataFrame({
        "row": rows, "question": questions,
        "group": pd.Categorical.from_codes(group_codes[rows], categories=groups),
        "weight": weights[rows],
        "text": pd.Categorical.from_codes(same[np.concatenate([a for _q, _r, a, _p in parts])],
                                          categories=categories),
        "point": np.concatenate([p for _q, _r, _a, p in parts])})


def code_answers(responses: pd.DataFrame, study: Study, codebook: Codebook) -> pd.DataFrame:
    """Themes of every answer: one row per (answer, theme), ``uncoded`` for none.

    Columns: ``row`` (position in responses), ``question, group, weight, theme, text``
    (all but ``row``, ``weight`` and ``point`` categorical), ``point`` (the point of the
    answer, for a question with ``split: points``: one row per (point, theme) then,
    ``text`` the point; 0 otherwise). Each distinct answer (point) to a question is
    matched against the codebook once, however many respondents gave it; rows are in
    question order, then row order, then point order, then the codebook's order of
    themes.
    """
    return _code(_answers(responses, study), study, codebook)


_SEARCHED_AT_ONCE = 500
"""Distinct answers from which :func:`_themes_named` searches them all at once in Arrow:
Arrow compiles a pattern anew for each search (about 1.3 ms), and searching one answer
from Python costs about 2 µs, so fewer answers are searched one by one (the run in blocks
codes each block's few distinct answers of a study whose answers repeat)."""


def _themes_named(texts: np.ndarray, themes: list[tuple[str, tuple]]) -> np.ndarray:
    """Which themes each distinct answer names: a (texts, themes) array of booleans, a
    theme named when any of its patterns is found in the text. With many texts each
    pattern is searched over every text at once by Arrow's RE2 (the expression
    :func:`compile_pattern` made, case-insensitive as it compiles it), not text by text
    from Python: a million distinct answers of free text take seconds, not minutes. With
    fewer than :data:`_SEARCHED_AT_ONCE` texts the compiled patterns (RE2 too) search
    each text: the same engine and expression, so the same themes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    named = np.zeros((len(texts), len(themes)), dtype=bool)
    if not len(texts):
        return named
    if len(texts) < _SEARCHED_AT_ONCE:
        for column, (_theme, patterns) in enumerate(themes):
            named[:, column] = [any(pattern.search(text) for pattern in patterns)
                                for text in texts]
        return named
    array = pa.array(texts, type=pa.large_string())
    for column, (_theme, patterns) in enumerate(themes):
        for pattern in patterns:
            named[:, column] |= pc.match_substring_regex(
                array, pattern.pattern, ignore_case=True).to_numpy(zero_copy_only=False)
    return named


def _code(answers: pd.DataFrame, study: Study, codebook: Codebook) -> pd.DataFrame:
    """:func:`code_answers` of the answers :func:`_answers` read."""
    theme_ids = pd.Index([*dict.fromkeys(t.id for t in codebook.themes), UNCODED], dtype="str")
    parts = []
    for question in study.open_ended:
        asked = answers[answers["question"] == question.id]
        if asked.empty:
            continue
        which, distinct = pd.factorize(asked["text"])
        themes = [(t.id, t.patterns) for t in codebook.themes
                  if t.questions is None or question.id in t.questions]
        named = _themes_named(np.asarray(distinct, dtype=object), themes)
        # each distinct answer's themes in the codebook's order, or uncoded alone
        named = np.column_stack([named, ~named.any(axis=1)])
        text_of, theme_of = np.nonzero(named)
        per_text = np.bincount(text_of, minlength=len(distinct))
        first = np.concatenate([[0], np.cumsum(per_text)[:-1]])
        labels = theme_ids.get_indexer([*(theme for theme, _ in themes), UNCODED])[theme_of]
        repeat = per_text[which]  # how many theme rows each answer makes
        answer_of_row = np.repeat(np.arange(len(asked)), repeat)
        within = np.arange(len(answer_of_row)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        rows = asked.iloc[answer_of_row]
        parts.append(pd.DataFrame({
            "row": rows["row"].to_numpy(), "question": rows["question"].array,
            "group": rows["group"].array, "weight": rows["weight"].to_numpy(),
            "theme": pd.Categorical.from_codes(labels[first[which][answer_of_row] + within],
                                               categories=theme_ids),
            "text": rows["text"].array, "point": rows["point"].to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=CODED_COLUMNS)
    return pd.concat(parts, ignore_index=True)


THEME_COLUMNS = THEMES.all_columns
CODED_COLUMNS = ["row", "question", "group", "weight", "theme", "text", "point"]


# ---------------------------------------------------------------------------
# counts: what every table of the open answers is made from

QUOTE_POOL = 3
"""Quotes kept per (question, theme, audience, answer length) in :class:`VoiceCounts`:
the most :func:`quotes` can show per theme from counts."""

_POINT = 1 << 20  # a position: row * _POINT + point (a sheet holds fewer points)


@dataclass(frozen=True)
class VoiceCounts:
    """The additive counts of one wave's open answers that :func:`theme_table`,
    :func:`voice_similarity`, :func:`quotes` and :func:`distinguishing_words` are made
    from (:func:`voice_counts`; the tone's are :class:`~cxstudy.tone.ToneCounts`).

    Their size depends on the study (questions, audiences, themes), on the vocabulary and
    on the distinct answers, not on how many respondents gave them: a block of
    respondents is counted on its own, and ``a + b`` (``b`` the respondents after
    ``a``'s) are the counts of both. Positions count rows from the first respondent of
    the wave, so that what was seen first (a quote, a word, a pattern of themes) is told
    as the respondents would tell it.

    Attributes
    ----------
    questions, groups : tuple of str
        The study's open-ended questions and audiences, in its order.
    themes : tuple of str
        The codebook's theme ids and ``uncoded`` (the axis of ``hits``).
    wave : str or None
        The wave counted (None in a study without waves).
    rows : int
        Respondents counted.
    respondents : numpy.ndarray, shape (groups,)
        Respondents counted per audience.
    answers : dict
        question -> array (groups, 4): answers (sheets), their sum of weights and of
        squared weights, and their points (answers where a question is not split).
    hits : dict
        question -> array (themes, groups, 3): answers naming the theme, their weight,
        the points naming it.
    patterns : dict
        question -> frame ``group, set, weight, count, first``: the answers told apart
        by the set of the question's themes they name (``set``: the bits, packed) and
        their weight, with the row of the first.
    distinct : dict
        question -> frame ``theme, group, hash, length``: each distinct answer (point)
        naming a theme once, by a 64-bit hash of its text, with its length.
    pool : dict
        question -> frame ``theme, group, length, text, first``: per (theme, audience,
        length) the first :data:`QUOTE_POOL` distinct answers (scrubbed text, as
        cleaning left it) with their first position.
    words : dict
        question -> (array (groups,) of answers (points), frame ``group, token, count,
        first, index``): every word's count per audience and where it was first seen
        (the position of the first answer holding it, its place in that answer).
    pool_size : int
        Quotes kept per length (:data:`QUOTE_POOL` or more).
    """

    questions: tuple[str, ...]
    groups: tuple[str, ...]
    themes: tuple[str, ...]
    wave: str | None
    rows: int
    respondents: np.ndarray
    answers: dict
    hits: dict
    patterns: dict
    distinct: dict
    pool: dict
    words: dict
    pool_size: int = QUOTE_POOL

    def __add__(self, other: VoiceCounts) -> VoiceCounts:
        """The counts of these respondents and of ``other``'s, who come after them."""
        if (self.questions, self.groups, self.themes, self.wave) != \
                (other.questions, other.groups, other.themes, other.wave):
            raise ValueError(f"cannot add the counts of the open answers {other.questions} of "
                             f"audiences {other.groups} (wave {other.wave}) to those of "
                             f"{self.questions} of {self.groups} (wave {self.wave}): count "
                             "both with the same study and codebook, within one wave")
        shift = self.rows
        pool_size = min(self.pool_size, other.pool_size)
        patterns, distinct, pool, words = {}, {}, {}, {}
        for q in self.questions:
            if q in self.words and q in other.words:
                (n_a, tokens_a), (n_b, tokens_b) = self.words[q], other.words[q]
                tokens_b = tokens_b.assign(first=tokens_b["first"] + shift * _POINT)
                both = pd.concat([tokens_a, tokens_b], ignore_index=True)
                words[q] = (n_a + n_b, _first_tokens(both))
            if q not in self.patterns or q not in other.patterns:
                continue
            later = other.patterns[q].assign(first=other.patterns[q]["first"] + shift)
            patterns[q] = (pd.concat([self.patterns[q], later], ignore_index=True)
                           .groupby(["group", "set", "weight"], sort=False, as_index=False)
                           .agg(count=("count", "sum"), first=("first", "min")))
            distinct[q] = pd.concat([self.distinct[q], other.distinct[q]], ignore_index=True
                                    ).drop_duplicates(["theme", "group", "hash"],
                                                      ignore_index=True)
            later = other.pool[q].assign(first=other.pool[q]["first"] + shift * _POINT)
            pool[q] = _first_of_length(pd.concat([self.pool[q], later], ignore_index=True),
                                       pool_size)
        return VoiceCounts(
            questions=self.questions, groups=self.groups, themes=self.themes, wave=self.wave,
            rows=self.rows + other.rows, respondents=self.respondents + other.respondents,
            answers={q: self.answers[q] + other.answers[q] for q in patterns},
            hits={q: self.hits[q] + other.hits[q] for q in patterns},
            patterns=patterns, distinct=distinct, pool=pool, words=words,
            pool_size=pool_size)


def _first_of_length(pool: pd.DataFrame, size: int) -> pd.DataFrame:
    """Each distinct text of a (theme, audience) once, where first given, and of each
    length the first ``size``."""
    pool = pool.sort_values("first", kind="stable").drop_duplicates(
        ["theme", "group", "text"])
    keep = pool.groupby(["theme", "group", "length"], sort=False).cumcount() < size
    return pool[keep.to_numpy()].reset_index(drop=True)


def _first_tokens(tokens: pd.DataFrame) -> pd.DataFrame:
    """Each (audience, word) once: its count summed, where it was first seen (the rows
    in the order each was first seen: by ``first``, then ``index``). Vectorised over
    codes: the words told apart once (hashed), the pairs by :func:`first_of_each`."""
    first = tokens["first"].to_numpy(dtype=np.int64)
    order = np.lexsort((tokens["index"].to_numpy(dtype=np.int64), first))  # stable
    word, words = pd.factorize(tokens["token"].to_numpy(dtype=object)[order])
    group = tokens["group"].to_numpy(dtype=np.int64)[order]
    _, once, pair = first_of_each(group * max(len(words), 1) + word, inverse=True)
    seen = np.argsort(once, kind="stable")  # the pairs in the order first seen
    where = order[once[seen]]
    total = np.zeros(len(once), dtype=np.int64)
    np.add.at(total, pair, tokens["count"].to_numpy(dtype=np.int64)[order])
    return pd.DataFrame({"group": group[once[seen]],
                         "token": pd.Index(  # typed as a group's key is
                             np.asarray(words, dtype=object)[word[once[seen]]]),
                         "count": total[seen], "first": first[where],
                         "index": tokens["index"].to_numpy(dtype=np.int64)[where]})


def voice_counts(responses: pd.DataFrame, study: Study, codebook: Codebook | None = None,
                 *, coded: pd.DataFrame | None = None, pool: int = QUOTE_POOL,
                 themes: bool = True, words: bool = True) -> VoiceCounts:
    """Count one wave's open answers (or a block of its respondents): what every table
    of the open answers is made from.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses of one wave, or a block of them.
    study : Study
        The study: its open-ended questions and audiences.
    codebook : Codebook, optional
        Default: the study's; without one every answer is ``uncoded``.
    coded : pandas.DataFrame, optional
        A :func:`code_answers` of these responses with this codebook, already made.
    pool : int, default :data:`QUOTE_POOL`
        Quotes kept per (question, theme, audience, answer length).
    themes, words : bool, default True
        Which parts to count (a table made from the responses counts what it needs: the
        words need no theme coding); a part not counted is empty.

    Returns
    -------
    VoiceCounts
        Additive: the counts of two blocks added are those of both.

    Notes
    -----
    Each distinct answer is coded (RE2) and tokenized once per block;
    the answers are counted with ``np.bincount`` and ``counts.first_of_each`` over codes, with no
    loop over respondents.
    """
    codebook = codebook if codebook is not None else (study_codebook(study) or NO_CODEBOOK)
    groups = tuple(study.groups)
    group_of = _codes_in(responses["group"], groups)
    theme_ids = pd.Index([*dict.fromkeys(t.id for t in codebook.themes), UNCODED], dtype="str")
    parts = {"answers": {}, "hits": {}, "patterns": {}, "distinct": {}, "pool": {}}
    answers = _answers(responses, study) if words or (themes and coded is None) else None
    if themes:
        coded = coded if coded is not None else _code(answers, study, codebook)
        parts = _count_themes(coded, study, codebook, theme_ids, len(groups), pool)
    return VoiceCounts(
        questions=tuple(q.id for q in study.open_ended), groups=groups,
        themes=tuple(theme_ids), wave=wave_of(responses, study), rows=len(responses),
        respondents=np.bincount(group_of[group_of >= 0], minlength=len(groups)),
        **parts, words=_count_words(answers, study) if words else {}, pool_size=pool)


def _codes_in(values: pd.Series, names) -> np.ndarray:
    """Each value's position in ``names`` (-1: none), read once per category."""
    values = values.array
    if not isinstance(values, pd.Categorical):
        values = pd.Categorical(values)
    where = pd.Index(names).get_indexer(pd.Index(values.categories).astype(str))
    return np.append(where, -1)[np.asarray(values.codes)].astype(np.int64)


def _count_themes(coded: pd.DataFrame, study: Study, codebook: Codebook,
                  theme_ids: pd.Index, groups: int, pool: int) -> dict:
    """The theme parts of :class:`VoiceCounts` from a :func:`code_answers` (rows in
    question, row, point, theme order)."""
    question = _codes_in(coded["question"], [q.id for q in study.open_ended])
    group = _codes_in(coded["group"], study.groups)
    theme = _codes_in(coded["theme"], theme_ids)
    row = coded["row"].to_numpy(dtype=np.int64)
    point = coded["point"].to_numpy(dtype=np.int64)
    weight = coded["weight"].to_numpy(dtype=float)
    text = coded["text"].array
    if not isinstance(text, pd.Categorical):
        text = pd.Categorical(text)
    texts = pd.Index(text.categories, dtype="str")
    text_code = np.asarray(text.codes, dtype=np.int64)
    lengths = np.asarray(texts.str.len(), dtype=np.int64)
    hashes = pd.util.hash_array(np.asarray(texts, dtype=object)) if len(texts) \
        else np.zeros(0, dtype=np.uint64)
    out = {"answers": {}, "hits": {}, "patterns": {}, "distinct": {}, "pool": {}}
    n_themes = len(theme_ids)
    for index, q in enumerate(study.open_ended):
        take = np.flatnonzero(question == index)
        r, p, g, t, w = row[take], point[take], group[take], theme[take], weight[take]
        first = np.ones(len(r), dtype=bool)  # each answer's first row
        first[1:] = r[1:] != r[:-1]
        ag, aw = g[first], w[first]
        n = np.bincount(ag, minlength=groups)
        if q.split:
            first_point = first.copy()
            first_point[1:] |= p[1:] != p[:-1]
            points = np.bincount(g[first_point], minlength=groups)
        else:
            points = n
        out["answers"][q.id] = np.column_stack([
            n, np.bincount(ag, weights=aw, minlength=groups),
            np.bincount(ag, weights=aw * aw, minlength=groups), points]).astype(float)
        cell = t * groups + g
        named_points = np.bincount(cell, minlength=n_themes * groups)
        if q.split:  # a sheet names a theme once, however many of its points do
            _, once = first_of_each(r * n_themes + t)
        else:
            once = np.arange(len(r))
        out["hits"][q.id] = np.stack([
            np.bincount(cell[once], minlength=n_themes * groups),
            np.bincount(cell[once], weights=w[once], minlength=n_themes * groups),
            named_points], axis=-1).reshape(n_themes, groups, 3).astype(float)
        out["patterns"][q.id] = _count_patterns(q, codebook, theme_ids, r, t, first, ag, aw)
        # each distinct text of a (theme, audience) once: the first row giving it
        tc = text_code[take]
        key = (t * groups + g) * max(len(texts), 1) + tc
        _, once = first_of_each(key)
        once = np.sort(once)  # in the order given
        out["distinct"][q.id] = pd.DataFrame({  # 20 bytes per distinct answer
            "theme": t[once].astype(np.int32), "group": g[once].astype(np.int32),
            "hash": hashes[tc[once]], "length": lengths[tc[once]].astype(np.int32)})
        out["pool"][q.id] = _first_of_length(pd.DataFrame({
            "theme": t[once], "group": g[once], "length": lengths[tc[once]],
            "text": np.asarray(texts, dtype=object)[tc[once]],
            "first": r[once] * _POINT + p[once]}), pool)
    return out


def _count_patterns(question: OpenEnded, codebook: Codebook, theme_ids: pd.Index,
                    row: np.ndarray, theme: np.ndarray, first: np.ndarray,
                    group: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """A question's answers told apart by their audience, the set of the question's
    themes they name (packed bits) and their weight: ``group, set, weight, count,
    first`` (the row of the first)."""
    themes = [t.id for t in codebook.themes
              if t.questions is None or question.id in t.questions]
    columns = ["group", "set", "weight", "count", "first"]
    if not len(row):
        return pd.DataFrame({c: pd.Series(dtype=object if c == "set" else float
                                          if c == "weight" else np.int64) for c in columns})
    answer = np.cumsum(first) - 1
    column = np.append(pd.Index(themes, dtype="str").get_indexer(theme_ids), -1)[theme]
    named = column >= 0
    matrix = np.zeros((int(answer[-1]) + 1, len(themes)), dtype=bool)
    matrix[answer[named], column[named]] = True
    packed = np.packbits(matrix, axis=1) if themes else np.zeros((len(matrix), 0), np.uint8)
    if packed.shape[1] <= 8:  # up to 64 themes: each set one number, told apart by hashing
        padded = np.zeros((len(packed), 8), dtype=np.uint8)
        padded[:, :packed.shape[1]] = packed
        set_code, numbers = pd.factorize(padded.view(np.uint64).ravel())
        sets = np.ascontiguousarray(numbers, dtype=np.uint64).view(np.uint8).reshape(
            -1, 8)[:, :packed.shape[1]]
    else:
        sets, set_code = np.unique(packed, axis=0, return_inverse=True)
        set_code = np.asarray(set_code).reshape(-1)
    weight_code, weights = pd.factorize(weight)
    key = (group * len(sets) + set_code) * len(weights) + weight_code
    keys, once, inverse = first_of_each(key, inverse=True)
    return pd.DataFrame({
        "group": keys // (len(sets) * len(weights)),
        "set": [bytes(s) for s in sets[(keys // len(weights)) % len(sets)]],
        "weight": np.asarray(weights, dtype=float)[keys % len(weights)],
        "count": np.bincount(np.asarray(inverse).reshape(-1)),
        "first": row[first][once]})


def _count_words(answers: pd.DataFrame, study: Study) -> dict:
    """Per question: the answers (points) of each audience, and every word's count per
    audience with where it was first seen; each distinct answer tokenized once."""
    groups = len(study.groups)
    question = _codes_in(answers["question"], [q.id for q in study.open_ended])
    group = _codes_in(answers["group"], study.groups)
    text = answers["text"].array
    if not isinstance(text, pd.Categorical):
        text = pd.Categorical(text)
    texts = np.asarray(text.categories, dtype=object)
    text_code = np.asarray(text.codes, dtype=np.int64)
    position = answers["row"].to_numpy(dtype=np.int64) * _POINT + \
        answers["point"].to_numpy(dtype=np.int64)
    tokens_of: dict[int, list[str]] = {}
    out = {}
    for index, q in enumerate(study.open_ended):
        take = np.flatnonzero((question == index) & (group >= 0))
        g, tc, pos = group[take], text_code[take], position[take]
        n = np.bincount(g, minlength=groups)
        key = g * max(len(texts), 1) + tc
        keys, once, inverse = first_of_each(key, inverse=True)
        times = np.bincount(np.asarray(inverse).reshape(-1), minlength=len(keys))
        pair_text = keys % max(len(texts), 1)
        for code in np.unique(pair_text):  # each distinct answer tokenized once
            if int(code) not in tokens_of:
                tokens_of[int(code)] = tokenize(texts[code])
        per_pair = np.array([len(tokens_of[int(c)]) for c in pair_text], dtype=np.int64)
        pair = np.repeat(np.arange(len(keys)), per_pair)
        within = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        words = [w for c in pair_text for w in tokens_of[int(c)]]
        tokens = pd.DataFrame({"group": keys[pair] // max(len(texts), 1),
                               "token": pd.Series(words, dtype=object),
                               "count": times[pair], "first": pos[once][pair],
                               "index": within})
        out[q.id] = (n, _first_tokens(tokens))
    return out


NO_CODEBOOK = Codebook(())
"""A codebook without themes: every answer is ``uncoded`` (a study without ``themes:``)."""


def study_codebook(study: Study) -> Codebook | None:
    """The study's codebook (``themes:``), or None when it has none."""
    return load_codebook(study.themes, study) if study.themes else None


def _check_counts(counts: VoiceCounts, study: Study, codebook: Codebook | None,
                  part: str) -> None:
    """The counts are of this study (and codebook) and hold ``part``."""
    if counts.questions != tuple(q.id for q in study.open_ended) or \
            counts.groups != tuple(study.groups):
        raise ValueError(f"counts of the open answers {counts.questions} of audiences "
                         f"{counts.groups} do not belong to study {study.slug!r}: count its "
                         "own responses (cx.voice_counts)")
    if codebook is not None:
        ids = (*dict.fromkeys(t.id for t in codebook.themes), UNCODED)
        if counts.themes != ids:
            raise ValueError(f"counts coded with themes {counts.themes[:-1]} cannot make a "
                             f"table of the codebook of themes {ids[:-1]}: count with it")
    held = {"themes": counts.patterns, "words": counts.words}[part]
    if not held and counts.questions:
        raise ValueError(f"these counts of the open answers hold no {part}: count them with "
                         f"cx.voice_counts(responses, study, {part}=True)")


@per_wave
def theme_table(responses: pd.DataFrame | None, study: Study,
                codebook: Codebook | None = None, *, coded: pd.DataFrame | None = None,
                counts: VoiceCounts | None = None) -> pd.DataFrame:
    """Theme prevalence per question and audience, and its gap to the reference.

    One row per (question, theme, group): ``n`` answers to the question, ``mentions``
    (answers with the theme), ``share`` with Wilson interval (of a question with
    ``split: points``, an answer is a group's sheet: ``n`` counts sheets, ``mentions``
    the sheets with at least one point naming the theme, ``n_points`` and ``points``
    the points in all and those naming it; elsewhere an answer is one point), and for
    audiences other than the reference the gap with Newcombe's interval, the score test (Fisher's
    exact under 5 expected), and the study's correction over the table. Weighted
    responses give weighted shares with Kish's effective n. Below ``min_group_size``
    answers: every estimate blank (mentions included), ``suppressed`` true; gaps are
    blank where either audience is suppressed.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`), one text column per
        open-ended question.
    study : Study
        The study (:func:`~cxstudy.load_study`): its ``open_ended`` questions,
        audiences, reference, ``confidence``, ``correction``, ``min_group_size``.
    codebook : Codebook, optional
        The theme codebook (:func:`load_codebook`); default: the study's
        (``themes:``).
    coded : pandas.DataFrame, optional
        A :func:`code_answers` already computed (of these responses).
    counts : VoiceCounts, optional
        One wave's counts (:func:`voice_counts`, with this codebook): the table is made
        from them, ``responses`` may be None. Made from the responses otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (question, theme, group), the pseudo-theme ``uncoded`` included:
        ``question, theme, label, group, n, mentions, share, share_low, share_high,
        gap, gap_low, gap_high, p_value, p_adjusted, suppressed`` (``themes.csv`` in
        docs/outputs.md). Empty (those columns) without a codebook. With a ``wave``
        column first in a study with waves.

    Notes
    -----
    The share of the answers to a question that name theme t is
    :math:`\\hat p = \\sum_{a \\ni t} w_a / \\sum_a w_a`, with the Wilson interval at Kish's
    :math:`n_{eff} = (\\sum w)^2 / \\sum w^2`; the gap :math:`\\hat p_g - \\hat p_{ref}`
    has Newcombe's hybrid score interval (:func:`~cxstudy.stats.newcombe_interval`).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> responses = cx.clean(cx.read_sources(study), study).responses  # doctest: +SKIP
    >>> cx.theme_table(responses, study).query("theme == 'uncoded'")  # doctest: +SKIP
    """
    codebook = codebook if codebook is not None else study_codebook(study)
    if codebook is None:
        return pd.DataFrame(columns=THEME_COLUMNS)
    counts = counts if counts is not None else voice_counts(
        responses, study, codebook, coded=coded, words=False)
    _check_counts(counts, study, codebook, "themes")
    rows = []
    reference = study.reference
    for question in study.open_ended:
        themes = [t.id for t in codebook.themes
                  if t.questions is None or question.id in t.questions] + [UNCODED]
        answers, hits = counts.answers[question.id], counts.hits[question.id]
        for theme in themes:
            held = hits[counts.themes.index(theme)]
            for code, group in enumerate(study.groups):
                n, sum_w, sum_w2, n_points = answers[code]
                mentions, weight, points = held[code]
                rows.append({"question": question.id, "theme": theme,
                             "label": codebook.label(theme), "group": group, "n": int(n),
                             "n_points": int(n_points), "mentions": int(mentions),
                             "points": int(points),
                             "share": float(weight) / sum_w if sum_w else np.nan,
                             "_eff": stats.effective_n(float(sum_w), float(sum_w2))})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=THEME_COLUMNS)
    successes = table["share"].fillna(0) * table["_eff"]
    low, high = stats.wilson_interval(successes, table["_eff"], study.confidence)
    table["share_low"], table["share_high"] = low, high
    ref = table[table["group"] == reference].set_index(["question", "theme"])
    keys = list(zip(table["question"], table["theme"], strict=True))
    s2 = ref["share"].reindex(keys).fillna(0).to_numpy() * ref["_eff"].reindex(keys).to_numpy()
    e2 = ref["_eff"].reindex(keys).to_numpy()
    gap_low, gap_high = stats.newcombe_interval(successes, table["_eff"], s2, e2,
                                                study.confidence)
    p_value, _test = stats.score_test(successes, table["_eff"], s2, e2)
    n_ref = ref["n"].reindex(keys).to_numpy()
    table["gap"] = table["share"] - ref["share"].reindex(keys).to_numpy()
    table["gap_low"], table["gap_high"], table["p_value"] = gap_low, gap_high, p_value
    not_compared = (table["group"] == reference) | too_small(n_ref, study)
    table.loc[not_compared, ["gap", "gap_low", "gap_high", "p_value"]] = np.nan
    suppress(table, THEMES, too_small(table["n"], study))
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return table[THEME_COLUMNS].reset_index(drop=True)


@per_wave_table
def disagreements(themes: pd.DataFrame, study: Study, *, minimum: float = 0.10
                  ) -> pd.DataFrame:
    """Themes one audience names more as a strength while another names them more as a
    problem.

    From a :func:`theme_table`: pairs of audiences X and Y where the theme's share among
    X's answers to a question whose ``role`` is ``strength`` is at least ``minimum`` and
    larger than its share among X's answers to every ``problem`` question
    (``strength_share > strength_problem_share``), and the theme's share among Y's
    answers to a problem question is at least ``minimum`` and larger than its share among
    Y's answers to every strength question (``problem_share > problem_strength_share``).
    An audience not asked, or too small to be shown on, the other question is left out:
    its lean cannot be told. ``lead`` is the sum of the two margins,
    ``(strength_share - strength_problem_share) + (problem_share -
    problem_strength_share)``; rows come largest lead first. Empty when the study has no
    strength or no problem question.
    """
    columns = ["theme", "label", "says_strength", "strength_share", "strength_n",
               "says_problem", "problem_share", "problem_n", "strength_problem_share",
               "problem_strength_share", "lead"]
    strengths = [q.id for q in study.open_ended if q.role == "strength"]
    problems = [q.id for q in study.open_ended if q.role == "problem"]
    shown = themes[~themes["suppressed"].astype(bool) & (themes["theme"] != UNCODED)
                   & themes["share"].notna()]
    key = ["theme", "group"]
    # each audience's largest share of the theme on the other kind of question
    most_good = shown[shown["question"].isin(strengths)].groupby(
        key, observed=True, sort=False)["share"].max().rename("other")
    most_bad = shown[shown["question"].isin(problems)].groupby(
        key, observed=True, sort=False)["share"].max().rename("other")
    usable = shown[shown["share"] >= minimum]  # a handful of rows, however many themes
    said = ["theme", "label", "group", "share", "n"]
    good = usable.loc[usable["question"].isin(strengths), said].join(most_bad, on=key)
    good = good[good["share"] > good["other"]].rename(columns={
        "group": "says_strength", "share": "strength_share", "n": "strength_n",
        "other": "strength_problem_share"})
    bad = usable.loc[usable["question"].isin(problems), said[:1] + said[2:]].join(
        most_good, on=key)
    bad = bad[bad["share"] > bad["other"]].rename(columns={
        "group": "says_problem", "share": "problem_share", "n": "problem_n",
        "other": "problem_strength_share"})
    pairs = good.merge(bad, on="theme", how="inner", sort=False)
    pairs = pairs[pairs["says_strength"].astype(str) != pairs["says_problem"].astype(str)]
    pairs["lead"] = (pairs["strength_share"] - pairs["strength_problem_share"]
                     + pairs["problem_share"] - pairs["problem_strength_share"])
    return pairs[columns].sort_values("lead", ascending=False,
                                      kind="stable").reset_index(drop=True)


def most_mentioned(themes: pd.DataFrame, top: int) -> list[str]:
    """The ``top`` themes of one question (a part of :func:`theme_table`) with the
    largest share in any audience (ties: the codebook's order), leaving out themes no
    audience mentions, in the codebook's order; every theme where there are no more
    than ``top``."""
    order = list(dict.fromkeys(themes["theme"]))
    if len(order) <= top:
        return order
    largest = themes.groupby("theme", sort=False, observed=True)["share"].max()
    mentioned = largest.reindex(order).fillna(0)
    chosen = set(mentioned[mentioned > 0].sort_values(ascending=False, kind="stable")
                 .index[:top])
    return [theme for theme in order if theme in chosen]


# ---------------------------------------------------------------------------
# words

STOP_WORDS = frozenset("""
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from
    further get got had has have having he her here hers him his how i if in into is it its
    itself just let me more most my no nor not now of off on once only or other our ours out
    over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself im ive dont cant isnt wont didnt doesnt thats
    theres one us much many really
""".split())  # noqa: SIM905 - a word list reads best as text
_MASKS = re.compile(r"\[(?:email|phone|link|name)\]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Words of an answer for counting: Unicode-normalised, case-folded, without stop
    words, numbers or the privacy masks. Chinese/Japanese/Korean runs (no spaces between
    words) become character pairs; each emoji is a token.

    Examples
    --------
    >>> tokenize("The BILLS are confusing!! 😡 請求書です")
    ['bills', 'confusing', '😡', '請求', '求書', '書で', 'です']
    """
    text = unicodedata.normalize("NFKC", _MASKS.sub(" ", str(text))).casefold()
    tokens = [e for e in _EMOJI.findall(text)]
    text = _EMOJI.sub(" ", text)
    for run in _CJK.findall(text):
        tokens += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    text = _CJK.sub(" ", text)
    words = [w.replace("’", "'") for w in _WORD.findall(text)]
    words = [w for w in words if len(w) > 1 and w.replace("'", "") not in STOP_WORDS]
    return words + tokens


@per_wave
def distinguishing_words(responses: pd.DataFrame | None, study: Study, question: str, *,
                         top: int = 10, min_count: int = 2, min_z: float = 1.96,
                         counts: VoiceCounts | None = None) -> pd.DataFrame:
    """Words that set each audience's answers to a question apart from everyone's.

    Weighted log-odds ratio with an informative Dirichlet prior (the counts of the
    whole corpus of answers to the question), as in Monroe et al. (2008), section 3.5,
    in the form of R's tidylo:

    .. math:: \\delta_{kw} = \\log\\frac{y_{kw} + \\alpha_w}{n_k + \\alpha_0 - y_{kw}
              - \\alpha_w} - \\log\\frac{y_w + \\alpha_w}{n + \\alpha_0 - y_w - \\alpha_w},
              \\quad z_{kw} = \\delta_{kw} / \\sqrt{1/(y_{kw} + \\alpha_w)
              + 1/(y_w + \\alpha_w)}

    with :math:`\\alpha_w = y_w` (the word's count in all answers). The prior shrinks
    rare words, so small corpora do not throw up one-off words. Returns the ``top``
    words per audience with ``z >= min_z`` (1.96: more typical of the audience than
    chance would make them) and at least three letters (fragments such as "th" or "re"
    say nothing; Chinese, Japanese and Korean pairs and emoji are kept): ``group, word,
    count, z``. Audiences below ``min_group_size`` answers are left out.

    The counts are those of :func:`voice_counts` (``counts``, one wave's: ``responses``
    may then be None; made from the responses otherwise): each audience's count of every
    word of :func:`tokenize`, most frequent first, ties in the order first seen.
    """
    counts = counts if counts is not None else voice_counts(responses, study, themes=False)
    _check_counts(counts, study, None, "words")
    n, tokens = counts.words.get(question, (np.zeros(len(study.groups), dtype=np.int64),
                                            pd.DataFrame(columns=["group", "token", "count"])))
    counts = {}
    for code, group in enumerate(study.groups):
        if too_small(int(n[code]), study):
            continue
        mine = tokens[tokens["group"].to_numpy() == code]  # in the order first seen
        counts[group] = pd.Series(mine["count"].to_numpy(dtype=np.int64),
                                  index=pd.Index(mine["token"].to_numpy(), dtype=object),
                                  name="count").sort_values(ascending=False, kind="stable")
    if not counts:
        return pd.DataFrame(columns=["group", "word", "count", "z"])
    table = pd.DataFrame(counts).fillna(0)
    total_w = table.sum(axis=1)
    table = table[total_w >= min_count]
    total_w = table.sum(axis=1)
    alpha = total_w
    alpha_0, n_all = alpha.sum(), total_w.sum()
    readable = pd.Series([len(w) >= 3 or bool(_CJK.search(w) or _EMOJI.search(w))
                          for w in table.index], index=table.index, dtype=bool)
    omega_all = np.log((total_w + alpha) / (n_all + alpha_0 - total_w - alpha))
    rows = []
    for group in table.columns:
        y = table[group]
        n_k = y.sum()
        delta = np.log((y + alpha) / (n_k + alpha_0 - y - alpha)) - omega_all
        z = delta / np.sqrt(1 / (y + alpha) + 1 / (total_w + alpha))
        best = z[(y > 0) & (z >= min_z) & (z > 0) & readable].sort_values(
            ascending=False).head(top)
        rows += [{"group": group, "word": word, "count": int(y[word]), "z": float(value)}
                 for word, value in best.items()]
    return pd.DataFrame(rows, columns=["group", "word", "count", "z"])


@per_wave
def quotes(responses: pd.DataFrame | None, study: Study, codebook: Codebook | None = None,
           *, per_theme: int = 2, max_length: int = 240, coded: pd.DataFrame | None = None,
           counts: VoiceCounts | None = None) -> pd.DataFrame:
    """Representative answers per (question, theme, audience) for the report.

    Among the answers with the theme, those closest to the median length (ties by
    text) are chosen: typical rather than extreme. Text is scrubbed of e-mail
    addresses, phone numbers and links (again: responses are scrubbed when cleaned)
    and must be HTML-escaped when shown. No quotes for audiences with fewer than
    ``min_group_size`` answers to the question. The codebook is the study's unless
    given; ``coded`` is a :func:`code_answers` already computed. Of a question with
    ``split: points`` a quote is one point. Without a codebook every answer is
    uncoded, and the quotes are typical answers per (question, audience), theme
    ``uncoded``.

    Made from one wave's :func:`voice_counts` (``counts``; ``responses`` may then be
    None), which keep every distinct answer's length (to find the median) and, per
    length, the first :data:`QUOTE_POOL` distinct answers: the same choice as among all
    the answers. Made from the responses otherwise.
    """
    codebook = codebook if codebook is not None else study_codebook(study)
    uncoded = codebook is None or not codebook.themes
    codebook = codebook if codebook is not None else NO_CODEBOOK
    counts = counts if counts is not None else voice_counts(
        responses, study, codebook, coded=coded if coded is not None and len(coded) else None,
        pool=max(QUOTE_POOL, per_theme), words=False)
    _check_counts(counts, study, codebook, "themes")
    if per_theme > counts.pool_size:
        raise ValueError(f"quotes: {per_theme} per theme asked, the counts keep "
                         f"{counts.pool_size}: count with voice_counts(..., pool={per_theme})")
    never = -1 if uncoded else counts.themes.index(UNCODED)
    rows = []
    for question in study.open_ended:
        pool, lengths = counts.pool[question.id], counts.distinct[question.id]
        pool = pool[pool["theme"].to_numpy() != never].sort_values("first", kind="stable")
        medians = lengths.groupby(["theme", "group"])["length"].median()
        # the (theme, audience) pairs in the order first given (a row's themes in the
        # codebook's order)
        keys = pool.groupby(["theme", "group"], sort=False)["first"].min().reset_index()
        keys = keys.sort_values(["first", "theme"], kind="stable")
        parts = dict(iter(pool.groupby(["theme", "group"], sort=False)))
        for theme, group in zip(keys["theme"], keys["group"], strict=True):
            if too_small(int(counts.answers[question.id][group, 0]), study):
                continue
            part = parts[(theme, group)]
            distance = (part["length"] - medians[(theme, group)]).abs()
            for text in part.loc[distance.sort_values(kind="stable").index, "text"].head(
                    per_theme):
                clean = scrub_text(pd.Series([text])).iloc[0]
                if len(clean) > max_length:
                    clean = clean[: max_length - 1].rsplit(" ", 1)[0] + "…"
                theme_id = counts.themes[theme]
                rows.append({"question": question.id, "theme": theme_id,
                             "label": codebook.label(theme_id),
                             "group": study.groups[group], "quote": clean})
    return pd.DataFrame(rows, columns=["question", "theme", "label", "group", "quote"])


# ---------------------------------------------------------------------------
# similarity and disparity of the audiences' voices

NAMED_AT = 0.10
"""An audience *names* a theme when at least this share of its answers (sheets) do: the
threshold of "every audience names", "only one names" and of :func:`disagreements`."""


def similarity_index(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The similarity of two theme profiles: one minus their Jensen–Shannon distance.

    Parameters
    ----------
    p, q : numpy.ndarray
        Mentions (or shares) of each theme, the last axis over themes; each is made a
        distribution (divided by its sum). Rows summing to zero give NaN.

    Returns
    -------
    numpy.ndarray
        :math:`S = 1 - \\sqrt{JS(P, Q)}`, between 0 (no theme in common) and 1 (the same
        profile), over the last axis.

    Notes
    -----
    With :math:`M = (P + Q) / 2` and base-2 logarithms,

    .. math:: JS(P, Q) = \\tfrac12 \\sum_t P_t \\log_2 \\frac{P_t}{M_t}
              + \\tfrac12 \\sum_t Q_t \\log_2 \\frac{Q_t}{M_t} \\in [0, 1],

    and :math:`\\sqrt{JS}` is a metric (Endres & Schindelin 2003), the distance
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)`` computes.

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Transactions
    on Information Theory 37(1), 145-151.

    Endres, D. M. & Schindelin, J. E. (2003). A new metric for probability
    distributions. IEEE Transactions on Information Theory 49(7), 1858-1860.

    Examples
    --------
    >>> float(similarity_index(np.array([1, 1, 0]), np.array([1, 1, 0])))
    1.0
    >>> float(similarity_index(np.array([1, 0]), np.array([0, 1])))
    0.0
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / p.sum(axis=-1, keepdims=True)
        q = q / q.sum(axis=-1, keepdims=True)
        m = (p + q) / 2

        def part(a: np.ndarray) -> np.ndarray:
            return np.where(a > 0, a * np.log2(np.where(a > 0, a, 1) / np.where(m > 0, m, 1)),
                            0.0).sum(axis=-1)

        js = (part(p) + part(q)) / 2
        js = np.where(np.isnan(p).any(axis=-1) | np.isnan(q).any(axis=-1), np.nan, js)
    return 1 - np.sqrt(np.clip(js, 0.0, 1.0))


def _bias_corrected(values: np.ndarray, estimate: float, alpha: float) -> tuple[float, float]:
    """The bias-corrected percentile interval (Efron & Tibshirani 1993, section 14.3):
    the quantiles :math:`\\Phi(2 z_0 \\pm z_{1-\alpha/2})` of the resamples, with
    :math:`z_0 = \\Phi^{-1}` (share of resamples below the estimate, ties counting half).
    A similarity of resampled profiles sits below that of the profiles (resampling adds
    noise, and noise makes two profiles less alike); the plain percentile interval
    would then miss the estimate."""
    from scipy import stats as sp_stats  # imported when first used, as in stats.py

    below = (np.mean(values < estimate) + 0.5 * np.mean(values == estimate))
    z0 = sp_stats.norm.ppf(np.clip(below, 0.5 / len(values), 1 - 0.5 / len(values)))
    z = sp_stats.norm.ppf(1 - alpha / 2)
    low, high = sp_stats.norm.cdf([2 * z0 - z, 2 * z0 + z])
    return tuple(float(v) for v in np.quantile(values, [low, high]))


def _theme_patterns(counts: VoiceCounts, question: OpenEnded, themes: list[str]
                    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per audience, its answers to a question told apart by the themes they name and
    their weight: (answers of each pattern, the pattern's weight, patterns x themes 0/1),
    from the counts' patterns.

    A million answers hold a handful of patterns (sets of themes, times the few weights
    of a weighted audience), so a bootstrap draws counts of patterns, not answers. An
    answer of several points names a theme once. The patterns come in a fixed order (the
    bootstrap's draws follow it): by the first answer of each set of themes, then of each
    weight, where the table of every (audience, set, weight) is small beside the answers,
    else by the first answer of each pattern."""
    groups = list(counts.groups)
    empty = {g: (np.zeros(0), np.zeros(0), np.zeros((0, len(themes)))) for g in groups}
    frame = counts.patterns.get(question.id)
    if frame is None or not len(frame) or not themes:
        return empty
    first = frame["first"].to_numpy(dtype=np.int64)
    set_first = frame.groupby("set", sort=False)["first"].transform("min").to_numpy()
    weights = frame["weight"].nunique()
    weight_first = np.zeros(len(frame), dtype=np.int64) if weights == 1 else \
        frame.groupby("weight", sort=False)["first"].transform("min").to_numpy()
    present = int((counts.respondents > 0).sum())  # audiences with respondents
    space = present * frame["set"].nunique() * weights
    group = frame["group"].to_numpy(dtype=np.int64)
    if space <= 4 * int(frame["count"].sum()) + 1024:
        order = np.lexsort((weight_first, set_first, group))
    else:
        order = np.argsort(first, kind="stable")
    frame = frame.iloc[order]
    bits = np.frombuffer(b"".join(frame["set"]), dtype=np.uint8).reshape(len(frame), -1)
    matrix = np.unpackbits(bits, axis=1, count=len(themes)).astype(float)
    counts_of = frame["count"].to_numpy(dtype=float)
    weight = frame["weight"].to_numpy(dtype=float)
    group = frame["group"].to_numpy(dtype=np.int64)
    out = dict(empty)
    for code, name in enumerate(groups):
        mine = group == code
        if mine.any():
            out[name] = (counts_of[mine], weight[mine], matrix[mine])
    return out


@per_wave
def voice_similarity(responses: pd.DataFrame | None, study: Study,
                     codebook: Codebook | None = None, *, coded: pd.DataFrame | None = None,
                     n_boot: int = 2000, seed: int = 20261203,
                     counts: VoiceCounts | None = None) -> pd.DataFrame:
    """How alike each pair of audiences answer each open question: the similarity of
    their theme profiles, with a bootstrap interval.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses, one text column per open-ended question.
    study : Study
        The study: its open-ended questions, audiences, ``confidence``,
        ``min_group_size``.
    codebook : Codebook, optional
        Default: the study's. Empty table without one.
    coded : pandas.DataFrame, optional
        A :func:`code_answers` already computed (of these responses).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap: the same seed, the same interval.
    counts : VoiceCounts, optional
        One wave's counts (:func:`voice_counts`, with this codebook): the table is made
        from them, ``responses`` may be None. Made from the responses otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (question, pair of audiences, in the study's order):
        ``question, group, other, n, n_other`` (answers; sheets of a question with
        ``split: points``), ``similarity, similarity_low, similarity_high`` (the
        study's confidence), ``suppressed``, and ``named, named_other, named_both``
        (themes each audience names, and both: at least :data:`NAMED_AT` of its
        answers), ``n_boot``. Blank, and ``suppressed`` true, where either audience
        has fewer than ``min_group_size`` answers.

    Notes
    -----
    An audience's theme profile is the weighted count of its answers naming each theme
    of the question (an answer may name several; answers naming none add nothing),
    made a distribution. The similarity is :func:`similarity_index`,
    :math:`1 - \\sqrt{JS}`: 1 when two audiences name the same themes in the same
    proportions, 0 when they share no theme. Its interval is the percentile bootstrap
    of answers resampled with replacement within each audience (sheets as a whole,
    with their weights), drawn as multinomial counts of the answers' distinct patterns
    of themes and weights, which is the same resampling; bias-corrected, since the
    similarity of resampled profiles is biased downwards (:func:`_bias_corrected`).

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Transactions
    on Information Theory 37(1), 145-151.

    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman &
    Hall, chapters 13-14 (percentile and bias-corrected intervals).
    """
    columns = VOICE_SIMILARITY.all_columns
    codebook = codebook if codebook is not None else study_codebook(study)
    if codebook is None or not codebook.themes:
        return pd.DataFrame(columns=columns)
    counts = counts if counts is not None else voice_counts(
        responses, study, codebook, coded=coded, words=False)
    _check_counts(counts, study, codebook, "themes")
    rng = np.random.default_rng(seed)
    alpha = 1 - study.confidence
    rows = []
    groups = list(study.groups)
    for question in study.open_ended:
        themes = [t.id for t in codebook.themes
                  if t.questions is None or question.id in t.questions]
        patterns = _theme_patterns(counts, question, themes)
        profile, boot, n, share = {}, {}, {}, {}
        for group in groups:
            held, weight, matrix = patterns[group]
            n[group] = int(held.sum())
            total = float(held @ weight)
            profile[group] = (held * weight) @ matrix
            share[group] = profile[group] / total if total else np.full(len(themes), np.nan)
            if n[group] and not too_small(n[group], study):
                drawn = rng.multinomial(n[group], held / n[group], size=n_boot)
                boot[group] = (drawn * weight) @ matrix
        for a, b in itertools.combinations(groups, 2):
            named_a, named_b = share[a] >= NAMED_AT, share[b] >= NAMED_AT
            row = {"question": question.id, "group": a, "other": b, "n": n[a],
                   "n_other": n[b], "similarity": float(similarity_index(profile[a],
                                                                         profile[b])),
                   "similarity_low": np.nan, "similarity_high": np.nan,
                   "named": int(named_a.sum()), "named_other": int(named_b.sum()),
                   "named_both": int((named_a & named_b).sum()), "n_boot": n_boot}
            if a in boot and b in boot and np.isfinite(row["similarity"]):
                values = similarity_index(boot[a], boot[b])
                values = values[np.isfinite(values)]
                if len(values):
                    row["similarity_low"], row["similarity_high"] = _bias_corrected(
                        values, row["similarity"], alpha)
            rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "suppressed"])
    if table.empty:
        return pd.DataFrame(columns=columns)
    suppress(table, VOICE_SIMILARITY, too_small(table["n"], study)
             | too_small(table["n_other"], study))
    return table[columns].reset_index(drop=True)

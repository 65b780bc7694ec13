"""Tone of the answers: how warmly or coldly each audience answers each open question.

Each distinct answer is scored once with VADER (Hutto & Gilbert 2014), a lexicon and
rules for English that ship inside the ``vaderSentiment`` package (nothing is
downloaded): its *compound* score runs from −1 (most negative) to +1 (most positive).
Answers that are not English are counted as unscored, never guessed
(:func:`is_english`). Per question and audience: the mean score with its t interval,
and the gap to the reference audience with Welch's interval and test; for a question
whose ``role`` is ``competition`` ("what does our competition do differently, and are
those differences good or bad?") the share of scored answers calling the difference good
(compound ≥ 0.05) and bad (≤ −0.05), VADER's own thresholds, with Wilson intervals.

Limits (``docs/methods.md``, "Tone of the answers"): a lexicon reads words, not intent,
so sarcasm and irony are misread; domain words carry no tone in its general lexicon
("outage", "cut off", "overcharged" score neutral) or the wrong one; short answers give
it little to read; English only.

References
----------
Hutto, C. J. & Gilbert, E. (2014). VADER: a parsimonious rule-based model for sentiment
analysis of social media text. Proceedings of the Eighth International AAAI Conference
on Weblogs and Social Media (ICWSM-14), 216-225.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats, voices
from .counts import respondent_weights, wave_of
from .model import Study
from .tables import TONE, suppress, too_small
from .waves import per_wave

POSITIVE, NEGATIVE = 0.05, -0.05
"""VADER's thresholds of a positive and a negative compound score (Hutto & Gilbert 2014)."""

# Function words of other languages written in Latin letters, none of them an English word
# (or one of cxstudy's English stop words): evidence that an answer is not English.
OTHER_FUNCTION_WORDS = frozenset("""
    le les des du et est une pour pas que qui dans sur avec très mais nous vous ils elle
    sont être cette ces leur aux au ne où aussi bien
    der das und ist nicht ein eine einen dem den ich sie wir ihr mit auf für sehr aber
    auch noch wie oder wird sind haben zu bei
    el los las es una por para con muy pero como más está están del al lo sus nos hay
    también porque cuando
    il della che sono gli non anche più molto questo perché
    os um uma não com muito mas também isso está são pelo pela
    het een ook niet zijn maar wel dat voor naar bij zeer erg
    och att inte som för med är jag det
""".split())  # noqa: SIM905 - a word list reads best as text
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


@functools.cache
def _english_function_words() -> frozenset[str]:
    return frozenset(voices.STOP_WORDS) - OTHER_FUNCTION_WORDS


@functools.cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # reads the lexicon shipped in the package


_NOT_LATIN = re.compile(r"[^A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
                        r"\u1e00-\u1eff]")


def _latin(word: str) -> bool:
    """Whether a word (a run of letters) is written in Latin letters only."""
    return _NOT_LATIN.search(word) is None


def is_english(text: str) -> bool:
    """Whether an answer is read as English (and so scored).

    The rule, deterministic and without a model: the answer's words (runs of letters)
    must be mostly in Latin script, and hold no more function words of other languages
    (:data:`OTHER_FUNCTION_WORDS`: French, German, Spanish, Italian, Portuguese, Dutch,
    Swedish) than English ones (:data:`cxstudy.voices.STOP_WORDS`). An answer without
    any letter (digits, emoji only) is not scored. Short answers with no function word
    at all ("Reliable supply") count as English: the lexicon reads what it knows of
    them. A one-word answer in another language ("Gut") is then scored, mostly as
    neutral; a longer one is caught by its function words.

    Examples
    --------
    >>> [is_english(t) for t in ["The bills are confusing", "Reliable supply",
    ...                          "La facture est trop chère", "電話の待ち時間が長い", "👍"]]
    [True, True, False, False, False]
    """
    words = [w.casefold() for w in _LETTERS.findall(str(text))]
    if not words:
        return False
    latin = sum(_latin(w) for w in words)
    if latin * 2 <= len(words):
        return False
    english = sum(w in _english_function_words() for w in words)
    other = sum(w in OTHER_FUNCTION_WORDS for w in words)
    return other <= english


def score_texts(texts) -> np.ndarray:
    """VADER's compound score of each text, NaN where it is not English
    (:func:`is_english`). Each text is scored once per process (a wave's table and the
    next wave's share their answers' scores).

    Examples
    --------
    >>> score_texts(["Friendly, helpful staff", "The bills are confusing and wrong",
    ...              "Muy caro y no es claro"]).round(3).tolist()
    [0.718, -0.612, nan]
    """
    return np.array([score_text(str(t)) for t in texts], dtype=float)


@functools.lru_cache(maxsize=200_000)
def score_text(text: str) -> float:
    """VADER's compound score of one answer; NaN where it is not English."""
    return _analyzer().polarity_scores(text)["compound"] if is_english(text) else np.nan


def answer_tone(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Every non-blank open answer with its score: ``row, question, group, weight, text,
    score`` (NaN: unscored), each distinct answer scored once."""
    answers = voices._answers(responses, study)
    categories = answers["text"].cat.categories if len(answers) else []
    scores = score_texts(categories)
    answers["score"] = scores[answers["text"].cat.codes.to_numpy()] if len(answers) \
        else np.array([], dtype=float)
    return answers


def _summary(score: np.ndarray, n: np.ndarray, sum_w: np.ndarray, sum_w2: np.ndarray,
             unscored: int, confidence: float) -> dict:
    """One audience's answers to one question, held per distinct score (how many gave it,
    the sum of their weights and of their squared weights) and the answers not scored:
    n scored and not, Kish's n, the weighted mean and variance with its t interval,
    shares good/bad."""
    given = n > 0
    x, w = score[given], sum_w[given]
    moments = stats.weighted_moments(x, w, counts=n[given], squares=sum_w2[given])
    n_eff, mean, var = moments["n_eff"], moments["mean"], moments["var"]
    if len(x) == 1 and np.isfinite(var):  # one score: exactly it, however the weights
        mean, var = float(x[0]), 0.0      # were summed (block by block or at once)
    low = high = np.nan
    if n_eff > 1 and np.isfinite(var):
        from scipy import stats as sps

        half = sps.t.isf((1 - confidence) / 2, n_eff - 1) * np.sqrt(var / n_eff)
        low, high = mean - half, mean + half
    total = w.sum()
    good = float(w[x >= POSITIVE].sum() / total) if total else np.nan
    bad = float(w[x <= NEGATIVE].sum() / total) if total else np.nan
    scored = int(n.sum())
    return {"n": scored + int(unscored), "n_scored": scored, "n_unscored": int(unscored),
            "_eff": n_eff, "_var": var, "mean": mean, "mean_low": low, "mean_high": high,
            "good": good, "bad": bad}


@dataclass(frozen=True)
class ToneCounts:
    """The additive tone sums of one wave's open answers (:func:`tone_counts`), what
    :func:`tone_table` is made from: per question, audience and distinct VADER score
    (rounded to four decimals by VADER: at most 20,001 values), the answers with that
    score, the sum of their weights and of their squared weights; and the answers not
    scored. Their size depends on the study, not on the respondents; ``a + b`` are the
    sums of both sets of respondents.

    Attributes
    ----------
    questions, groups : tuple of str
        The study's open-ended questions and audiences.
    wave : str or None
        The wave counted.
    scores : dict
        question -> the distinct scores, ascending.
    sums : dict
        question -> array (3, groups, scores): answers, :math:`\\sum w`,
        :math:`\\sum w^2` (the answers' counts where unweighted).
    unscored : dict
        question -> answers not scored per audience (not English).
    """

    questions: tuple[str, ...]
    groups: tuple[str, ...]
    wave: str | None
    scores: dict
    sums: dict
    unscored: dict

    def __add__(self, other: ToneCounts) -> ToneCounts:
        """The sums of two disjoint sets of a wave's respondents together."""
        if (self.questions, self.groups, self.wave) != \
                (other.questions, other.groups, other.wave):
            raise ValueError(f"cannot add the tone of {other.questions} of {other.groups} "
                             f"(wave {other.wave}) to that of {self.questions} of "
                             f"{self.groups} (wave {self.wave}): count both with one study, "
                             "within one wave")
        scores, sums = {}, {}
        for q in self.questions:
            scores[q] = np.union1d(self.scores[q], other.scores[q])
            total = np.zeros((3, len(self.groups), len(scores[q])))
            total[:, :, np.searchsorted(scores[q], self.scores[q])] += self.sums[q]
            total[:, :, np.searchsorted(scores[q], other.scores[q])] += other.sums[q]
            sums[q] = total
        return ToneCounts(self.questions, self.groups, self.wave, scores, sums,
                          {q: self.unscored[q] + other.unscored[q] for q in self.questions})


def tone_counts(responses: pd.DataFrame, study: Study) -> ToneCounts:
    """The tone sums of one wave's responses (or of a block of them).

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses of one wave, open answers scrubbed.
    study : Study
        The study: its open-ended questions and audiences.

    Returns
    -------
    ToneCounts
        Per question: the distinct scores, and per audience and score the answers, the
        sum of their weights and of their squared weights; the answers not scored. Each
        distinct answer is scored once; the sums are bincounts.
    """
    groups = _codes(responses["group"], list(study.groups))
    weights, weighted = respondent_weights(responses)
    weights = weights if weighted else None
    audiences = len(study.groups)
    scores, sums, unscored = {}, {}, {}
    for question in study.open_ended:
        if question.id not in responses:
            scores[question.id] = np.zeros(0)
            sums[question.id] = np.zeros((3, audiences, 0))
            unscored[question.id] = np.zeros(audiences, dtype=np.int64)
            continue
        score, count, sum_w, sum_w2 = _per_answer(responses, question.id, groups, weights,
                                                  audiences)
        ok = ~np.isnan(score)
        values, inverse = np.unique(score[ok], return_inverse=True)
        cell = (np.arange(audiences)[:, None] * len(values) + inverse[None, :]).ravel()
        sums[question.id] = np.stack([
            np.bincount(cell, weights=held[:, ok].ravel(),
                        minlength=audiences * len(values)).reshape(audiences, -1)
            for held in (count, sum_w, sum_w2)])
        scores[question.id] = values
        unscored[question.id] = count[:, ~ok].sum(axis=1).astype(np.int64)
    return ToneCounts(tuple(q.id for q in study.open_ended), tuple(study.groups),
                      wave_of(responses, study), scores, sums, unscored)


def _per_answer(responses: pd.DataFrame, question: str, groups: np.ndarray,
                weights: np.ndarray | None, audiences: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A question's answers held per distinct answer: the scores of the distinct answers
    (stripped; each scored once) and, per audience and distinct answer, how many gave it
    and the sums of their weights and squared weights (audiences x distinct answers).
    Blank answers are no answers; ``weights`` None: every weight is 1."""
    which, distinct = pd.factorize(responses[question])  # unanswered: -1
    texts = pd.Index(distinct, dtype="string").str.strip()
    blank = np.asarray(texts == "", dtype=bool)
    scores = np.where(blank, np.nan, score_texts(["" if b else t for t, b in
                                                  zip(texts, blank, strict=True)]))
    size = len(distinct)
    kept = (which >= 0) & (groups >= 0)
    kept[kept] = ~blank[which[kept]]
    key = groups[kept] * size + which[kept]
    shape = (audiences, size)
    count = np.bincount(key, minlength=audiences * size).reshape(shape)
    if weights is None:  # unweighted: the sums are the counts
        return scores, count, count.astype(float), count.astype(float)
    w = weights[kept]
    sum_w = np.bincount(key, weights=w, minlength=audiences * size).reshape(shape)
    sum_w2 = np.bincount(key, weights=w * w, minlength=audiences * size).reshape(shape)
    return scores, count, sum_w, sum_w2


def _codes(column: pd.Series, names: list[str]) -> np.ndarray:
    """Each row's position in ``names`` (-1 for none), read from a categorical's codes:
    a million answers are compared as small numbers, not strings."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    where = pd.Index(names).get_indexer(column.cat.categories.astype(str))
    return np.append(where, -1)[column.cat.codes.to_numpy()]


@per_wave
def tone_table(responses: pd.DataFrame | None, study: Study, *,
               counts: ToneCounts | None = None) -> pd.DataFrame:
    """Tone of each audience's answers to each open question, and its gap to the
    reference.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (open answers scrubbed).
    study : Study
        The study: its open-ended questions (and their ``role``), audiences, reference,
        ``confidence``, ``correction``, ``min_group_size``.
    counts : ToneCounts, optional
        One wave's tone sums (:func:`tone_counts`): the table is made from them,
        ``responses`` may be None. Made from the responses otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (question, audience), the reference included: ``question, role,
        group, reference, n, n_scored, n_unscored, mean, mean_low, mean_high, gap,
        gap_low, gap_high, p_value, p_adjusted, good, good_low, good_high, bad, bad_low,
        bad_high, suppressed`` (``tone.csv`` in docs/outputs.md). Gap columns are blank
        for the reference; ``good``/``bad`` only for questions of role ``competition``.
        Below ``min_group_size`` scored answers every estimate is blank. With a
        ``wave`` column first in a study with waves.

    Notes
    -----
    With compound scores :math:`x_a` and weights :math:`w_a` of an audience's scored
    answers, :math:`\\bar x = \\sum w x / \\sum w`, the interval
    :math:`\\bar x \\pm t_{1-\\alpha/2, n_{eff}-1} \\, s / \\sqrt{n_{eff}}` with Kish's
    :math:`n_{eff}` (:func:`~cxstudy.stats.weighted_moments`; n without weights). The gap
    :math:`\\bar x_g - \\bar x_{ref}` has Welch's interval and test
    (:func:`~cxstudy.stats.welch`); the study's correction runs over the table. Good and
    bad: weighted shares of scored answers with compound ≥ 0.05 and ≤ −0.05, Wilson
    intervals at :math:`n_{eff}`. Each distinct answer is scored once, and the answers are
    held per distinct score (how many gave it, :math:`\\sum w`, :math:`\\sum w^2`:
    :class:`ToneCounts`), sums that add up block by block; every statistic here is a
    function of them.

    References
    ----------
    Hutto, C. J. & Gilbert, E. (2014). VADER: a parsimonious rule-based model for
    sentiment analysis of social media text. ICWSM-14, 216-225.

    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> import cxstudy as cx
    >>> res = cx.analyze("studies/example.yml")  # doctest: +SKIP
    >>> res.tone.query("question == 'competition'")  # doctest: +SKIP
    """
    counts = counts if counts is not None else tone_counts(responses, study)
    if counts.questions != tuple(q.id for q in study.open_ended) or \
            counts.groups != tuple(study.groups):
        raise ValueError(f"tone_table: these counts hold no tone of study {study.slug!r}'s "
                         "open answers: count them with cx.tone_counts(responses, study)")
    rows = []
    for question in study.open_ended:
        scores, sums = counts.scores[question.id], counts.sums[question.id]
        for g, audience in enumerate(study.groups):
            rows.append({"question": question.id, "role": question.role, "group": audience,
                         "reference": study.reference,
                         **_summary(scores, sums[0][g], sums[1][g], sums[2][g],
                                    counts.unscored[question.id][g], study.confidence)})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=TONE.all_columns)
    return _compare(table, study)


def _compare(table: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Gaps to the reference (Welch), good/bad intervals, suppression, correction."""
    ref = table[table["group"] == study.reference].set_index("question")
    keys = table["question"]
    gap, low, high, p_value, _df = stats.welch(
        table["mean"], table["_var"], table["_eff"], ref["mean"].reindex(keys).to_numpy(),
        ref["_var"].reindex(keys).to_numpy(), ref["_eff"].reindex(keys).to_numpy(),
        study.confidence)
    table["gap"], table["gap_low"], table["gap_high"], table["p_value"] = (
        gap, low, high, p_value)
    for share in ("good", "bad"):
        lo, hi = stats.wilson_interval(table[share] * table["_eff"], table["_eff"],
                                       study.confidence)
        table[f"{share}_low"], table[f"{share}_high"] = lo, hi
    competition = (table["role"] == "competition").to_numpy()
    shares = ["good", "good_low", "good_high", "bad", "bad_low", "bad_high"]
    table.loc[~competition, shares] = np.nan
    n_ref = ref["n_scored"].reindex(keys).to_numpy()
    not_compared = (table["group"] == study.reference).to_numpy() | too_small(n_ref, study)
    table.loc[not_compared, ["gap", "gap_low", "gap_high", "p_value"]] = np.nan
    suppress(table, TONE, too_small(table["n_scored"], study))
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return table[TONE.all_columns].reset_index(drop=True)

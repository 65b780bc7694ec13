"""Theme suggestions: a draft codebook read from the open answers themselves.

``cxstudy themes suggest STUDY`` fits a topic model to the study's open answers and
writes each topic as a codebook theme (an id, a label and the words that signal it),
with, in comments, how many answers of each audience its patterns would code and three
example answers. It is a draft for an analyst to read, merge, rename and prune, never
the study's codebook: it is written to a new file and never over an existing one. For a
study that has a codebook it also lists the frequent words and phrases of the answers
that codebook leaves uncoded (what the codebook misses).

The topic model is non-negative matrix factorisation (NMF) of the TF-IDF matrix of the
distinct answers (scikit-learn), with the deterministic NNDSVDa start: the same answers
give the same file. Words are :func:`cxstudy.voices.tokenize`'s (case-folded, without
stop words, numbers or privacy masks). Each word belongs to the topic where it weighs
most; a theme's patterns are its own heaviest words (a word stem shared by several of
them as ``stem*``), so a theme's coding is what the codebook's patterns would code, and
the counts are those of the real coder (:func:`cxstudy.voices.code_answers`).

Privacy: the answers are those of the cleaned responses (scrubbed of the study's PII
values when cleaned) scrubbed again of e-mail addresses, phone numbers and links before
any is read; audiences with fewer than ``min_group_size`` answers take no part (their
answers fit no topic, give no example and no word, their counts are suppressed); a word
becomes a pattern only when at least two distinct answers hold it.

References
----------
Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by non-negative matrix
factorization. Nature 401, 788-791.

Boutsidis, C. & Gallopoulos, E. (2008). SVD based initialization: a head start for
nonnegative matrix factorization. Pattern Recognition 41(4), 1350-1362.

Pedregosa, F. et al. (2011). Scikit-learn: machine learning in Python. Journal of
Machine Learning Research 12, 2825-2830.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import voices
from ._version import __version__
from .exceptions import CxStudyError
from .model import Study
from .privacy import scrub_text
from .tables import too_small


class SuggestError(CxStudyError):
    """A draft codebook cannot be written (its file exists, or no answers to read)."""

    def __init__(self, path: Path | str | None, message: str):
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


@dataclass(frozen=True)
class SuggestedTheme:
    """One suggested theme: its codebook entry and what it would code.

    ``counts`` maps each audience to the answers the patterns code (None: suppressed,
    fewer than ``min_group_size`` answers in all); ``examples`` are up to three scrubbed,
    shortened answers it codes; ``terms`` the topic's heaviest words with their weights.
    """

    id: str
    label: str
    patterns: tuple[str, ...]
    counts: dict[str, int | None]
    examples: tuple[str, ...]
    terms: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Suggestions:
    """The draft: themes, and what an existing codebook leaves uncoded.

    ``answers`` and ``distinct`` count the answers read (of audiences of the minimum
    size) and their distinct texts; ``uncoded`` (with a codebook) is the number of those
    answers no theme codes, with their most frequent ``words`` and ``phrases`` as
    (text, answers holding it).
    """

    themes: tuple[SuggestedTheme, ...]
    answers: int
    distinct: int
    groups: dict[str, int]
    small: tuple[str, ...]
    codebook: Path | None = None
    uncoded: int | None = None
    words: tuple[tuple[str, int], ...] = ()
    phrases: tuple[tuple[str, int], ...] = ()
    questions: tuple[str, ...] = field(default_factory=tuple)

    def codebook_dict(self) -> dict:
        """The themes as a codebook mapping (what :func:`~cxstudy.voices.load_codebook`
        reads)."""
        return {"themes": [{"id": t.id, "label": t.label, "patterns": list(t.patterns)}
                           for t in self.themes]}


# ---------------------------------------------------------------------------
# reading the answers

def scrubbed_answers(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Every non-blank open answer (``row, question, group, weight, text``), its text
    scrubbed of e-mail addresses, phone numbers and links once per distinct answer (the
    study's PII values were masked when the responses were cleaned)."""
    answers = voices._answers(responses, study)
    if answers.empty:
        return answers
    categories = answers["text"].cat.categories
    clean = scrub_text(pd.Series(categories, dtype="string")).astype(str)
    answers["text"] = pd.Categorical.from_codes(
        pd.factorize(clean)[0][answers["text"].cat.codes.to_numpy()],
        categories=pd.Index(pd.unique(clean.to_numpy()), dtype="str"))
    return answers


def _usable(answers: pd.DataFrame, study: Study) -> tuple[pd.DataFrame, dict[str, int],
                                                          list[str]]:
    """The answers of audiences with at least ``min_group_size`` answers; answers per
    audience; the audiences left out."""
    sizes = answers["group"].astype(str).value_counts()
    sizes = {g: int(sizes.get(g, 0)) for g in study.groups}
    small = [g for g, n in sizes.items() if n and too_small(n, study)]
    kept = answers[~answers["group"].astype(str).isin(small)]
    return kept, sizes, small


# ---------------------------------------------------------------------------
# the topic model

def default_theme_count(distinct: int) -> int:
    """How many themes to suggest for ``distinct`` distinct answers: the square root,
    rounded, between 3 and 15 (a draft to prune, not a final number)."""
    return int(min(15, max(3, round(math.sqrt(distinct)))))


def _ascii_id(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_]", "", folded.lower())


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())  # one line: no newline can end a YAML comment
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def stem(word: str) -> str:
    """A light English stem, so that a theme's word forms count as one: a possessive
    ``'s``, a plural ``-s``/``-ies``, ``-ing`` and ``-ed`` come off words of five letters
    or more (bills, billing -> bill; waiting -> wait); other words, and words of other
    scripts, are kept as they are. Deliberately light (no Porter rules): a stem must
    still read as the start of the words it stands for, since it becomes a ``stem*``
    pattern.

    Examples
    --------
    >>> [stem(w) for w in ["bills", "billing", "replies", "waited", "stopping", "bus", "class"]]
    ['bill', 'bill', 'reply', 'wait', 'stop', 'bus', 'class']
    """
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) < 5 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            root = word[: -len(ending)]
            if len(root) > 3 and root[-1] == root[-2] and root[-1] not in "aeiouls":
                root = root[:-1]  # stopping -> stop, but not calling -> cal
            return root
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _stems(text: str) -> list[str]:
    return [stem(token) for token in voices.tokenize(text)]


def fit_topics(texts: list[str], themes: int, *, seed: int = 0, terms: int = 6,
               exclude: frozenset[str] = frozenset(), keep: float = 1 / 3
               ) -> tuple[list[list[tuple[str, float]]], np.ndarray]:
    """NMF topics of distinct answers: per topic its own heaviest stems (:func:`stem`,
    with their weights), and the answers' topic weights (answers x topics).

    Each stem is given to the topic where it weighs most, and a topic keeps its stems
    of at least a third of its heaviest one's weight, at most ``terms``; so one word
    signals one theme. Stems must occur in two distinct answers at least and in no more
    than half of them; stems in ``exclude`` (the questions' own words, which answers
    echo: "the biggest issue in my neighborhood is ...") are no theme's.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    def analyzer(text: str) -> list[str]:
        return [s for s in _stems(text) if s not in exclude]

    vectorizer = TfidfVectorizer(analyzer=analyzer, min_df=2, max_df=0.5, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    vocabulary = vectorizer.get_feature_names_out()
    themes = max(1, min(themes, matrix.shape[1], matrix.shape[0]))
    model = NMF(n_components=themes, init="nndsvda", random_state=seed, max_iter=1000,
                tol=1e-6)
    weights = model.fit_transform(matrix)
    loadings = model.components_
    owner = loadings.argmax(axis=0)
    topics = []
    for t in range(themes):
        mine = np.flatnonzero((owner == t) & (loadings[t] > 0))
        order = mine[np.lexsort((vocabulary[mine], -np.round(loadings[t, mine], 12)))]
        top = loadings[t, order[0]] if len(order) else 0.0
        topics.append([(str(vocabulary[j]), float(loadings[t, j])) for j in order[:terms]
                       if loadings[t, j] >= top * keep])
    return topics, weights


def surface_forms(texts: list[str]) -> dict[str, Counter]:
    """Per stem, how often each word form of it occurs in ``texts``."""
    forms: dict[str, Counter] = {}
    for text in texts:
        for token in voices.tokenize(text):
            forms.setdefault(stem(token), Counter())[token] += 1
    return forms


def stem_pattern(forms: Counter) -> str:
    """A codebook pattern for a stem's word forms: the word itself where there is one
    form, otherwise the forms' common start with ``*`` (bill, bills, billing ->
    ``bill*``), or the most frequent form where the common start is under three letters."""
    words = sorted(forms)
    if len(words) == 1:
        return words[0]
    common = words[0]
    for word in words[1:]:
        while not word.startswith(common):
            common = common[:-1]
    if len(common) >= 3 and common.isalpha():
        return common + "*"
    return max(words, key=lambda w: (forms[w], w))


def suggest_themes(responses: pd.DataFrame, study: Study, *, codebook=None,
                   themes: int | None = None, seed: int = 0, uncoded_only: bool = False,
                   top_words: int = 15) -> Suggestions:
    """A draft codebook from the open answers of a study.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (scrubbed of the study's PII values).
    study : Study
        The study: its open-ended questions, audiences and ``min_group_size``.
    codebook : Codebook, optional
        An existing codebook: the answers it leaves uncoded are counted and their
        frequent words and phrases listed.
    themes : int, optional
        How many themes to suggest (default :func:`default_theme_count` of the distinct
        answers).
    seed : int
        The topic model's ``random_state`` (the NNDSVDa start is deterministic; the seed
        is kept for the record).
    uncoded_only : bool
        Fit the themes to the answers ``codebook`` leaves uncoded (themes to add).
    top_words : int
        How many frequent words and phrases of the uncoded answers to list.

    Returns
    -------
    Suggestions
        The suggested themes, each with its patterns, its counts per audience (by the
        real coder) and three example answers.

    Notes
    -----
    TF-IDF of each distinct answer :math:`d` and word :math:`w` (sublinear,
    :math:`1 + \\log tf`, with smoothed :math:`idf = 1 + \\log\\frac{1 + N}{1 + df_w}`,
    rows L2-normalised), factorised :math:`X \\approx WH` with :math:`W, H \\ge 0` by
    NMF (coordinate descent, Frobenius loss; Lee & Seung 1999) from the NNDSVDa start
    (Boutsidis & Gallopoulos 2008). Examples are the coded answers weighing most on the
    theme's topic.

    References
    ----------
    Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by non-negative
    matrix factorization. Nature 401, 788-791.

    Boutsidis, C. & Gallopoulos, E. (2008). SVD based initialization: a head start for
    nonnegative matrix factorization. Pattern Recognition 41(4), 1350-1362.
    """
    answers = scrubbed_answers(responses, study)
    if answers.empty:
        raise SuggestError(study.path, "no open answers to read: the study has no "
                           "open_ended questions, or nobody answered them")
    answers, sizes, small = _usable(answers, study)
    if answers.empty:
        raise SuggestError(study.path, f"every audience gave fewer than "
                           f"{study.min_group_size} open answers (min_group_size): nothing "
                           "can be shown")
    uncoded_count, words, phrases, uncoded_texts = None, (), (), None
    if codebook is not None:
        coded = voices.code_answers(responses, study, codebook)
        none = coded[(coded["theme"] == voices.UNCODED).to_numpy(dtype=bool)]
        keys = pd.MultiIndex.from_arrays([answers["row"], answers["question"].astype(str)])
        mask = keys.isin(pd.MultiIndex.from_arrays([none["row"],
                                                    none["question"].astype(str)]))
        uncoded_texts = answers.loc[mask, "text"]
        uncoded_count = int(mask.sum())
        words = tuple(frequent_words(uncoded_texts, top_words))
        phrases = tuple(frequent_phrases(uncoded_texts, top_words))
    fitted = uncoded_texts if uncoded_only and uncoded_texts is not None else answers["text"]
    distinct = sorted(set(fitted.astype(str)))
    chosen: list[SuggestedTheme] = []
    if len(distinct) >= 2:
        count = themes or default_theme_count(len(distinct))
        try:
            topics, weights = fit_topics(distinct, count, seed=seed, exclude=frozenset(
                stem for q in study.open_ended for stem in _stems(q.question)))
        except ValueError:  # no word in two answers: nothing to suggest
            topics, weights = [], np.zeros((len(distinct), 0))
        chosen = _themes(topics, weights, distinct, answers, responses, study)
    return Suggestions(tuple(chosen), len(answers), answers["text"].nunique(), sizes,
                       tuple(small), codebook.path if codebook is not None else None,
                       uncoded_count, words, phrases,
                       tuple(q.id for q in study.open_ended))


def _themes(topics, weights, distinct, answers, responses, study) -> list[SuggestedTheme]:
    """Topics as codebook themes: ids unique, counts from the real coder, examples."""
    forms = surface_forms(distinct)
    drafts, used = [], set()
    for t, topic in enumerate(topics):
        if not topic:
            continue
        patterns = list(dict.fromkeys(stem_pattern(forms[s]) for s, _ in topic))
        words = [max(forms[s], key=lambda w: (forms[s][w], w)) for s, _ in topic]
        base = _ascii_id(words[0]) or "theme"
        base = base if re.match(r"[a-z_]", base) else f"t_{base}"
        theme_id, k = base, 2
        while theme_id in used or theme_id == voices.UNCODED:
            theme_id, k = f"{base}_{k}", k + 1
        used.add(theme_id)
        label = ", ".join(words[:3])
        drafts.append((t, theme_id, label[:1].upper() + label[1:], patterns, topic))
    if not drafts:
        return []
    book = voices.load_codebook({"themes": [{"id": i, "label": lab, "patterns": p}
                                            for _t, i, lab, p, _ in drafts]}, study)
    coded = voices.code_answers(responses, study, book)
    shown = set(answers["group"].astype(str))
    coded = coded[(coded["theme"] != voices.UNCODED).to_numpy(dtype=bool)]
    per = coded.groupby(["theme", "group"], observed=True).size()
    position = {text: i for i, text in enumerate(distinct)}
    given = pd.Series(coded["text"].cat.categories, dtype="string")
    scrubbed = dict(zip(given.astype(str), scrub_text(given).astype(str), strict=True))
    found = []
    for t, theme_id, label, patterns, topic in drafts:
        counts = {g: (None if g not in shown else int(per.get((theme_id, g), 0)))
                  for g in study.groups}
        mine = coded.loc[(coded["theme"] == theme_id).to_numpy(dtype=bool)
                         & coded["group"].astype(str).isin(shown).to_numpy(), "text"]
        texts = sorted({scrubbed.get(str(x), str(x)) for x in mine.unique()},
                       key=lambda x: (-round(float(weights[position[x], t]), 12)
                                      if x in position else 0.0, len(x), x))
        examples: list[str] = []
        said: set[str] = set()
        for text in texts:  # typical, and different: no sentence given twice
            sentences = {p.strip(" .!?;").casefold() for p in _SENTENCE.split(text)} - {""}
            if not sentences & said:
                examples.append(text)
                said |= sentences
            if len(examples) == 3:
                break
        found.append(SuggestedTheme(theme_id, label, tuple(patterns), counts,
                                    tuple(_short(x) for x in examples), tuple(topic)))
    return found


# ---------------------------------------------------------------------------
# what a codebook leaves uncoded

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_PHRASE_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def frequent_words(texts: pd.Series, top: int = 15, *, min_count: int = 2
                   ) -> list[tuple[str, int]]:
    """The ``top`` words (:func:`~cxstudy.voices.tokenize`) held by the most answers, with
    how many answers hold each (at least ``min_count``); ties alphabetical."""
    held: Counter[str] = Counter()
    for text, n in texts.astype(str).value_counts(sort=False).items():
        for token in set(voices.tokenize(text)):
            held[token] += int(n)
    ranked = sorted((item for item in held.items() if item[1] >= min_count),
                    key=lambda item: (-item[1], item[0]))
    return ranked[:top]


def frequent_phrases(texts: pd.Series, top: int = 15, *, sizes=(2, 3), min_count: int = 2
                     ) -> list[tuple[str, int]]:
    """The ``top`` phrases of two or three words held by the most answers (at least
    ``min_count``), as the answers spell them case-folded, neither starting nor ending
    with a stop word; a phrase inside a longer one held by as many answers is left out."""
    held: Counter[str] = Counter()
    for text, n in texts.astype(str).value_counts(sort=False).items():
        folded = unicodedata.normalize("NFKC", voices._MASKS.sub(" | ", text)).casefold()
        seen = set()
        for piece in re.split(r"[.,;:!?()\[\]|\n]+", folded):
            words = [w.replace("’", "'") for w in _PHRASE_WORD.findall(piece)]
            for size in sizes:
                for i in range(len(words) - size + 1):
                    gram = words[i:i + size]
                    if gram[0] in voices.STOP_WORDS or gram[-1] in voices.STOP_WORDS:
                        continue
                    seen.add(" ".join(gram))
        for phrase in seen:
            held[phrase] += int(n)
    kept = {p: n for p, n in held.items() if n >= min_count}
    inside = {p for p in kept for q in kept
              if p != q and f" {p} " in f" {q} " and kept[q] >= kept[p]}
    ranked = sorted(((p, n) for p, n in kept.items() if p not in inside),
                    key=lambda item: (-item[1], item[0]))
    return ranked[:top]


# ---------------------------------------------------------------------------
# the draft file

def _quoted(text: str) -> str:
    """Respondent text for a YAML comment: one line, quoted and escaped as JSON."""
    return json.dumps(_short(text), ensure_ascii=False)


def _count_text(counts: dict[str, int | None], study: Study) -> str:
    return "; ".join(f"{g} {'suppressed' if n is None else n}" for g, n in counts.items())


def draft_yaml(suggestions: Suggestions, study: Study) -> str:
    """The draft codebook as YAML text, its counts and examples in comments."""
    import yaml

    lines = [
        "# DRAFT theme codebook suggested by `cxstudy themes suggest` "
        f"(cxstudy {__version__}). Not the study's codebook:",
        "# read it, merge, rename and prune the themes, then point the study's `themes:` at "
        "the result.",
        f"# Study: {study.slug}. Read {suggestions.answers} open answers "
        f"({suggestions.distinct} distinct) to "
        + ", ".join(suggestions.questions) + ", all waves together.",
        "# Answers per audience: " + "; ".join(
            f"{g} {'suppressed' if g in suggestions.small else n}"
            for g, n in suggestions.groups.items()) + ".",
    ]
    if suggestions.small:
        lines.append(f"# {', '.join(suggestions.small)}: fewer than {study.min_group_size} "
                     "answers (min_group_size); their answers were not read and their counts "
                     "are not shown.")
    lines += [
        "# Each theme: NMF topic of the answers' TF-IDF (scikit-learn, deterministic start); "
        "patterns are its own",
        "# heaviest words. `would code` counts the answers its patterns code, per audience "
        "(the real coder).",
        "# Examples are scrubbed answers it codes. Patterns: whole words, any case; a "
        "trailing * matches any ending.",
    ]
    if suggestions.codebook is not None:
        share = suggestions.uncoded / suggestions.answers if suggestions.answers else 0
        lines += [
            "#",
            f"# Existing codebook {suggestions.codebook.name}: {suggestions.uncoded} of "
            f"{suggestions.answers} answers ({share:.0%}) have no theme.",
            "# Their most frequent words (answers holding each): "
            + (", ".join(f"{w} ({n})" for w, n in suggestions.words) or "none"),
            "# and phrases: " + (", ".join(f"{json.dumps(p, ensure_ascii=False)} ({n})"
                                           for p, n in suggestions.phrases) or "none"),
        ]
    lines.append("themes:" if suggestions.themes else "themes: []  # no word is held by two "
                 "answers: nothing to suggest")
    for theme in suggestions.themes:
        entry = yaml.safe_dump([{"id": theme.id, "label": theme.label,
                                 "patterns": list(theme.patterns)}], allow_unicode=True,
                               default_flow_style=None, sort_keys=False, width=1000)
        lines.append(f"  # would code: {_count_text(theme.counts, study)}")
        for example in theme.examples:
            lines.append(f"  #   e.g. {_quoted(example)}")
        lines += ["  " + line for line in entry.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def default_path(study: Study) -> Path:
    """Where a draft goes unless ``--out`` says: ``<study folder>/themes/<slug>-suggested.yml``."""
    return study.base_dir / "themes" / f"{study.slug}-suggested.yml"


def write_draft(suggestions: Suggestions, study: Study, out: str | Path | None = None
                ) -> Path:
    """Write the draft to a new file; never over an existing one.

    Raises
    ------
    SuggestError
        Naming the file when it exists (choose another with ``--out``).
    """
    path = Path(out) if out is not None else default_path(study)
    if path.exists() or path.is_symlink():
        raise SuggestError(path, "already exists; a draft is never written over a file. "
                           "Choose another with --out FILE, or move that file away")
    text = draft_yaml(suggestions, study)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise SuggestError(path, f"cannot be written ({exc.strerror or exc}: "
                           f"{path.parent}); choose another place with --out FILE") from None
    try:
        with path.open("x", encoding="utf-8") as handle:  # exclusive: no race either
            handle.write(text)
    except FileExistsError:
        raise SuggestError(path, "already exists; a draft is never written over a file. "
                           "Choose another with --out FILE") from None
    except OSError as exc:  # a folder in the way, no permission, a name too long
        raise SuggestError(path, f"cannot be written ({exc.strerror or exc}); choose "
                           "another place with --out FILE") from None
    return path


# ---------------------------------------------------------------------------
# how well suggestions recover a codebook

def recovery(responses: pd.DataFrame, study: Study, reference, suggested, *,
             threshold: float = 0.5) -> pd.DataFrame:
    """How well the themes of ``suggested`` recover those of ``reference`` (codebooks).

    For each reference theme, the suggested theme whose coded answers overlap its own
    most (Jaccard index of the two sets of answers, an answer being one respondent's
    answer to one question), that overlap, the suggestion's precision (share of its
    answers the reference theme codes) and recall (share of the reference theme's answers
    it codes); ``recovered`` where the Jaccard index is at least ``threshold``.

    Returns
    -------
    pandas.DataFrame
        ``theme, answers, best, jaccard, precision, recall, recovered``, one row per
        reference theme, in the codebook's order.

    Notes
    -----
    .. math:: J(A, B) = \\frac{|A \\cap B|}{|A \\cup B|}

    Examples
    --------
    >>> sorted({1, 2, 3} & {2, 3, 4}), round(2 / 4, 2)  # J = 2 / 4
    ([2, 3], 0.5)
    """
    def answer_sets(codebook) -> dict[str, set]:
        coded = voices.code_answers(responses, study, codebook)
        coded = coded[(coded["theme"] != voices.UNCODED).to_numpy(dtype=bool)]
        keys = coded["row"].astype(np.int64).to_numpy() * len(study.open_ended) + \
            coded["question"].cat.codes.to_numpy()
        frame = pd.DataFrame({"theme": coded["theme"].astype(str).to_numpy(), "key": keys})
        return {t: set(k) for t, k in frame.groupby("theme", sort=False)["key"]}

    ours, theirs = answer_sets(reference), answer_sets(suggested)
    rows = []
    for theme in reference.themes:
        mine = ours.get(theme.id, set())
        best, best_j, best_p, best_r = "", 0.0, np.nan, np.nan
        for other in suggested.themes:
            found = theirs.get(other.id, set())
            union = len(mine | found)
            j = len(mine & found) / union if union else 0.0
            if j > best_j:
                best, best_j = other.id, j
                best_p = len(mine & found) / len(found) if found else np.nan
                best_r = len(mine & found) / len(mine) if mine else np.nan
        rows.append({"theme": theme.id, "answers": len(mine), "best": best,
                     "jaccard": best_j, "precision": best_p, "recall": best_r,
                     "recovered": bool(best_j >= threshold)})
    return pd.DataFrame(rows, columns=["theme", "answers", "best", "jaccard", "precision",
                                       "recall", "recovered"])

"""Numbers and sentences for the report pages.

Sentences are returned as HTML-safe text: wording from a study file or a respondent
is escaped before it is put into a sentence.
"""

from __future__ import annotations

import html

import pandas as pd

from ..metrics import METRIC_KINDS
from ..model import Study
from ..waves import headline_items


def pct(value: float, digits: int = 0) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.{digits}f}%"


def points(value: float) -> str:
    """A share difference in points, signed: "+64", "-3", and "+0" (never "-0")."""
    return "–" if pd.isna(value) else f"{round(100 * value) + 0:+d}"


def interval(low: float, high: float, as_points: bool = False) -> str:
    if pd.isna(low) or pd.isna(high):
        return "–"
    if as_points:
        return f"{points(low)} to {points(high)}"
    return f"{100 * low:.0f}–{100 * high:.0f}%"


def unadjusted(study: Study) -> str:
    """How a table header or a sentence names an interval shown next to an adjusted p:
    ``"unadjusted 95% CI"``. The intervals are each at the study's ``confidence`` on their
    own; only the p-values are adjusted for multiple comparisons, so a gap can have an
    interval clear of zero and an adjusted p above α."""
    return f"unadjusted {study.interval_label}"


def p_text(p: float) -> str:
    if pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def md(text) -> str:
    """Text from a study file or a respondent, safe inside Markdown: shown as written,
    never a link, an image, emphasis or HTML."""
    escaped = html.escape(str(text), quote=False)
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in escaped)


_MARKDOWN = set("\\`*_{}[]()#+-.!|~<>:@")  # ":" and "@": no autolinked URL or e-mail


def names(values) -> str:
    """ "a", "a and b", "a, b and c" (plain text: escape it where it goes)."""
    values = [str(v) for v in values]
    if not values:
        return ""
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def metric_name(metric: str, kind: str, *, alone: bool = True) -> str:
    """A metric as a reader sees it: its kind's label ("NPS (points)", "CES: low effort
    (top-box)", from :data:`cxstudy.metrics.METRIC_KINDS`), never its id. A study with
    several metrics of one kind (``alone=False``) tells them apart by their id in words:
    "NPS (points): brand nps" (plain text: escape it where it goes).

    Examples
    --------
    >>> metric_name("ces_low_effort", "ces_low_effort")
    'CES: low effort (top-box)'
    >>> metric_name("nps_brand", "nps", alone=False)
    'NPS (points): nps brand'
    """
    if kind not in METRIC_KINDS:
        return str(metric).replace("_", " ")
    label = METRIC_KINDS[kind].label
    if alone or metric == kind:
        return label
    return f"{label}: {str(metric).replace('_', ' ')}"


def scale_name(scale) -> str:
    """An answer scale as a reader sees it, from its first to its last point (never its
    id): "Strongly disagree to Strongly agree" (plain text: escape it where it goes)."""
    names = scale.point_names
    return f"{names[0]} to {names[-1]}" if len(names) > 1 else str(names[0]) if names \
        else "scale"


def predicate(study: Study, item_id: str) -> str:
    """How a sentence says an audience chose what an item's share counts (HTML-escaped):
    the top box ("agree", 'answer “Strongly agree” or “Agree”'), or for an item with
    ``reverse: true`` the bottom box of its statement as asked ("disagree", 'answer
    “Strongly disagree” or “Disagree”'; :meth:`cxstudy.model.Study.top_box_predicate`).

    Sentences quote the statement first and the predicate after it (“Dealing with us can
    be frustrating”: 60% of leadership disagree), so that a labelled predicate and one
    built from the scale's labels both read right."""
    return html.escape(study.top_box_predicate(item_id), quote=False)


REVERSE_MARK = "reverse-scored"
"""The words that mark an item asked negatively (``reverse: true``) wherever its text is
shown."""


def item_label(study: Study, item_id: str, text: str | None = None, *,
               counted: bool = False) -> str:
    """An item's text as pages, workbook and deck show it (plain text: escape it where it
    goes): its statement, marked "(reverse-scored)" for an item with ``reverse: true``;
    with ``counted``, for tables and charts of shares, the mark also says which answers
    the share counts: "Dealing with us can be frustrating (reverse-scored: share who
    disagree)". ``text`` is the text to mark (default the item's; a table's ``text``
    column); an id that is no item of the study (a metric, a theme) is shown as
    ``text``."""
    item = next((i for i in study.items if i.id == item_id), None)
    text = (item.text if item is not None else str(item_id)) if text is None else str(text)
    if item is None or not item.reverse:
        return text
    if counted:
        return f"{text} ({REVERSE_MARK}: share who {study.top_box_predicate(item_id)})"
    return f"{text} ({REVERSE_MARK})"


def reversed_items(study: Study, items=None) -> list:
    """The items with ``reverse: true`` (of ``items``, ids, when given), in study order."""
    wanted = None if items is None else set(items)
    return [i for i in study.items if i.reverse and (wanted is None or i.id in wanted)]


def headline_sentences(gaps: pd.DataFrame, shares: pd.DataFrame, study: Study, *,
                       trends: pd.DataFrame | None = None) -> list[str]:
    """The summary's headline: per headline item and audience, the current gap (the seeds'
    "80% vs 8%" with intervals), then, given the ``trends`` of a study with waves, its
    change since the previous wave. The page states the family the headline p-values are
    adjusted over with :func:`headline_family_note`.

    “…”: 76% of leadership (57–89%, n = 25) agree; 12% of customers do (…): a gap of
    +64 points (95% CI +45 to +77; adjusted p < 0.001). Since 2025 this gap has not
    changed clearly: it was +70 points (change −6, 95% CI −20 to +9; adjusted p 0.430);
    who agree: leadership 80% → 76%, customers 10% → 12%.

    The adjusted p of a headline gap (and change) is over the headline items alone
    (``p_adjusted_headline``), the study's primary question, not over every item.
    Returned as HTML-safe text (item wording is escaped).
    """
    sentences = []
    p_column = "p_adjusted_headline" if "p_adjusted_headline" in gaps else "p_adjusted"
    for item_id in headline_items(study):
        item = study.item(item_id)
        ref = shares[(shares["item"] == item.id) & (shares["group"] == study.reference)]
        if ref.empty or ref["suppressed"].iloc[0]:
            continue
        ref = ref.iloc[0]
        for _, row in gaps[(gaps["item"] == item.id) & ~gaps["suppressed"]].iterrows():
            sentences.append(
                f"“{html.escape(item.text)}”: {pct(row['top_box'])} of "
                f"{html.escape(study.label(row['group']))} "
                f"({interval(row['top_box_low'], row['top_box_high'])}"
                f", n = {row['n']:,}) {predicate(study, item.id)}; {pct(ref['top_box'])} of "
                f"{html.escape(study.label(study.reference))} do "
                f"({interval(ref['top_box_low'], ref['top_box_high'])}, n = {ref['n']:,}): "
                f"a gap of {points(row['gap'])} points "
                f"({unadjusted(study)} {interval(row['gap_low'], row['gap_high'], True)}; "
                f"adjusted p {p_text(row[p_column])}).")
            if trends is not None and len(trends):
                since = change_since_sentence(trends, study, item.id, row["group"])
                if since:
                    sentences.append(since)
    return sentences


def _latest_change(trends: pd.DataFrame, item: str, group: str) -> pd.Series | None:
    """The trends row of an item and audience between the last two waves it has."""
    rows = trends[(trends["item"] == item) & (trends["group"] == group)]
    return rows.iloc[-1] if len(rows) else None


def change_since_sentence(trends: pd.DataFrame, study: Study, item: str, group: str) -> str:
    """The change of one headline gap since the previous wave, the sentence after the
    current gap's (HTML-safe): "Since 2025 this gap has narrowed from +60 points (change
    −33, 95% CI −44 to −22; adjusted p < 0.001); who agree: staff 70% → 60%, customers
    10% → 33%." A gap has narrowed, widened or reversed only when the adjusted p is under
    1 − ``confidence`` ("has not changed clearly: it was +60 points …"). A change not
    computed (a break, a wave that did not ask the item, a group too small) says so; ""
    when the trends hold no row for the pair.

    The p is adjusted over the headline family (``p_adjusted_headline``) when the table
    has it."""
    row = _latest_change(trends, item, group)
    if row is None:
        return ""
    before = html.escape(str(row["from_wave"]))
    note = html.escape(str(row["note"])) if isinstance(row["note"], str) else ""
    if pd.isna(row["change"]):
        why = f": {note}" if note else ""
        return f"No change since {before} is shown{why}."
    p_column = "p_adjusted_headline" if pd.notna(row.get("p_adjusted_headline")) \
        else "p_adjusted"
    said = (f"(change {points(row['change'])}, {unadjusted(study)} "
            f"{interval(row['change_low'], row['change_high'], as_points=True)}; adjusted p "
            f"{p_text(row[p_column])}); {_who_moved(row, study)}.")
    if _clearly(row[p_column], study):
        return (f"Since {before} this gap has {_gap_verb(row['gap_from'], row['gap_to'])} "
                f"from {points(row['gap_from'])} points {said}")
    return (f"Since {before} this gap has not changed clearly: it was "
            f"{points(row['gap_from'])} points {said}")


def _clearly(p_adjusted: float, study: Study) -> bool:
    """Whether a change holds: its adjusted p (the one a sentence shows) under
    1 − ``confidence``; a sentence never calls a change clear that its p does not."""
    return bool(pd.notna(p_adjusted) and p_adjusted < 1 - study.confidence)


def _who_moved(row, study: Study) -> str:
    """Each audience's share, before and after, as shares: "who agree: staff 70% → 60%,
    customers 10% → 33%"."""
    get = row.get if isinstance(row, pd.Series) else lambda key: getattr(row, key)
    return (f"who {predicate(study, get('item'))}: "
            f"{html.escape(study.label(get('group')))} {pct(get('top_box_from'))} → "
            f"{pct(get('top_box_to'))}, {html.escape(study.label(get('reference')))} "
            f"{pct(get('top_box_ref_from'))} → {pct(get('top_box_ref_to'))}")


_CORRECTIONS = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}


def interval_note(study: Study, adjusted: bool) -> str:
    """Whether the intervals beside adjusted p-values are adjusted too (one wording for
    every page): "The 95% intervals are not adjusted for multiple comparisons; the
    p-values are." or "The 95% intervals are adjusted for multiple comparisons, as the
    p-values are." The level comes from ``confidence``."""
    if adjusted:
        return (f"The {study.level} intervals are adjusted for multiple comparisons, as "
                "the p-values are.")
    return (f"The {study.level} intervals are not adjusted for multiple comparisons; the "
            "p-values are.")


def _why_uncompared(table: pd.DataFrame | None, study: Study) -> str:
    """Why a gap table holds no computed gap, as the end of a sentence (HTML-safe)."""
    rows = (table[table["group"].astype(str) != str(study.reference)]
            if table is not None and len(table) else None)
    if rows is None or rows.empty:
        return "no other audience answered."
    least = study.min_group_size
    if (pd.to_numeric(rows["n"], errors="coerce").fillna(0) < least).all():
        return f"every audience compared is under {least} respondents."
    if (pd.to_numeric(rows["n_ref"], errors="coerce").fillna(0) < least).all():
        return f"{_h(study, study.reference)} are under {least} respondents."
    return "no audience compared had answers to set against the reference's."


def uncompared_sentence(table: pd.DataFrame | None, study: Study, what: str) -> str:
    """Why no gap of a table could be computed, or "" when one was (HTML-safe): "No item
    could be compared with clients: every audience compared is under 5 respondents." For
    a gap table (items, choices) whose every ``gap`` is blank, so that a page says
    nothing could be compared where it would otherwise say nothing is significant.
    ``what`` names the things compared ("item", "option of the choice questions")."""
    if table is not None and len(table) and table["gap"].notna().any():
        return ""
    return (f"No {what} could be compared with {_h(study, study.reference)}: "
            + _why_uncompared(table, study))


def headline_unshown_sentence(gaps: pd.DataFrame, study: Study) -> str:
    """Why the headline gap cannot be shown, or "" when a headline gap was computed
    (HTML-safe): "The headline gap cannot be shown: every audience compared is under 5
    respondents (execs: n = 3), and nothing is shown for a group under the study's
    min_group_size." The summary says this instead of the headline and its family note
    (:func:`headline_family_note`), which would count 0 tests."""
    rows = gaps[gaps["item"].isin(headline_items(study))]
    if rows["gap"].notna().any():
        return ""
    why = _why_uncompared(rows, study).rstrip(".")
    sizes = rows.drop_duplicates("group")
    least = study.min_group_size
    small = sizes[pd.to_numeric(sizes["n"], errors="coerce").fillna(0) < least]
    named = ("; ".join(f"{_h(study, r.group)}: n = {int(r.n)}" for r in small.itertuples()
                       if pd.notna(r.n)) if why.startswith("every audience") else "")
    return (f"The headline gap cannot be shown: {why}" + (f" ({named})" if named else "")
            + (", and nothing is shown for a group under the study's min_group_size."
               if "under" in why else "."))


def gap_index_note(gap_index: pd.DataFrame, gaps: pd.DataFrame, study: Study) -> str:
    """Why an audience has no perception-gap index (no item compared), or "" when every
    audience has one (HTML-safe): "execs has no index: no item could be compared with
    clients, execs being under 5 respondents (n = 3)." The page leaves such rows out of
    the index table and says this instead of a row of dashes."""
    least = study.min_group_size
    said = []
    for group in gap_index.loc[gap_index["items"].fillna(0) == 0, "group"]:
        rows = gaps[gaps["group"].astype(str) == str(group)]
        n = pd.to_numeric(rows["n"], errors="coerce").max() if len(rows) else float("nan")
        why = (f", {_h(study, group)} being under {least} respondents (n = {int(n)})"
               if pd.notna(n) and n < least else "")
        said.append(f"{_h(study, group)} has no index: no item could be compared with "
                    f"{_h(study, study.reference)}{why}.")
    return " ".join(said)


def headline_family_note(study: Study, gaps: pd.DataFrame | None = None,
                         trends: pd.DataFrame | None = None) -> str:
    """The family the headline p-values are adjusted over, stated on the page (HTML-safe):
    "The headline p-values are adjusted over the headline item alone, the study's primary
    question (Holm), in two families: its 2 gaps in 2026, and its 2 changes from 2025 to
    2026; the rest of the report adjusts over every item. The 95% intervals are not
    adjusted for multiple comparisons; the p-values are." ``gaps`` (one wave's gap table)
    and ``trends`` name the tests of each; the changes named are those of the last pair of
    waves."""
    from ..waves import headline_family_size

    method = _CORRECTIONS.get(study.correction)
    if method is None:
        return ("The headline p-values are not adjusted for multiple comparisons (the "
                "study's correction is none). " + interval_note(study, adjusted=False)
                .replace("; the p-values are.", "."))
    count = len(headline_items(study))
    which = "the headline item alone" if count == 1 else f"the {count} headline items alone"
    whose = "its" if count == 1 else "their"
    parts = []
    if gaps is not None and len(gaps):
        n_gaps = headline_family_size(gaps, study)
        wave = (f" in {html.escape(str(gaps['wave'].iloc[-1]))}" if "wave" in gaps.columns
                else "")
        parts.append(f"{whose} {n_gaps} gap{'s' * (n_gaps != 1)}{wave}")
    if trends is not None and len(trends) and "p_adjusted_headline" in trends:
        last = trends.iloc[-1]
        pair = {"from_wave": last["from_wave"], "to_wave": last["to_wave"]}
        n_changes = headline_family_size(trends, study, by=pair)
        several = trends[["from_wave", "to_wave"]].drop_duplicates().shape[0] > 1
        parts.append(f"{whose} {n_changes} change{'s' * (n_changes != 1)} from "
                     f"{html.escape(str(pair['from_wave']))} to "
                     f"{html.escape(str(pair['to_wave']))}"
                     + (" (and so for each pair of waves)" if several else ""))
    listed = (f", in two families: {parts[0]}, and {parts[1]}" if len(parts) == 2
              else f": {parts[0]}" if parts else "")
    return (f"The headline p-values are adjusted over {which}, the study's primary "
            f"question ({method}){listed}; the rest of the report adjusts over every item. "
            f"{interval_note(study, adjusted=False)}")


def trend_table_note(study: Study, trends: pd.DataFrame) -> str:
    """What the p-values and intervals of the Trends page's table of every change are
    (HTML-safe): "p (adjusted) corrects over all 32 changes of the table (Holm); the
    headline items' changes, corrected over the headline items alone, are above. The 95%
    intervals are not adjusted for multiple comparisons; the p-values are." """
    method = _CORRECTIONS.get(study.correction)
    n = int(trends["p_value"].notna().sum()) if "p_value" in trends else 0
    if method is None:
        return ("p-values are not adjusted for multiple comparisons (the study's correction "
                "is none); neither are the intervals.")
    return (f"p (adjusted) corrects over all {n} change{'s' * (n != 1)} of the table "
            f"({method}); the headline items' changes, corrected over the headline items "
            f"alone, are above. {interval_note(study, adjusted=False)}")


def metric_label(study: Study, metric_id: str) -> str:
    """How a reader sees a metric row of the study (plain text; escape it where it goes),
    named as the summary's metric table names it (:func:`metric_name`): its kind's label
    ("NPS (points)", "CES: low effort (top-box)"), followed by the metric's id in words
    only where the study has several metrics of that kind ("NPS (points): loyalty"). An
    id the study does not hold is returned as given."""
    for metric in study.metrics:
        kind = METRIC_KINDS.get(metric.kind)
        if kind is None:
            continue
        alone = sum(m.kind == metric.kind for m in study.metrics) == 1
        for name in (kind.name, *kind.adds):
            row_id = metric.id if name == kind.name else \
                f"{metric.id}_{name.removeprefix(kind.name + '_')}"
            if row_id == metric_id:
                return metric_name(row_id, name, alone=alone)
    return str(metric_id)


def calibration_sentences(calibration: pd.DataFrame, study: Study) -> list[str]:
    """One HTML-safe sentence per estimating audience: "leaders think 67%; 12% do"."""
    texts = {i.id: i.text for i in study.items}
    sentences = []
    for row in calibration[~calibration["suppressed"].astype(bool)].itertuples():
        direction = "overestimate" if row.error > 0 else "underestimate"
        sentences.append(
            f"On “{html.escape(texts[row.item])}”, {_h(study, row.group)} estimate on "
            f"average that {pct(row.estimate)} of {_h(study, study.reference)} would "
            f"{predicate(study, row.item)} ({interval(row.estimate_low, row.estimate_high)}, "
            f"n = {row.n:,}); {pct(row.actual)} do "
            f"({interval(row.actual_low, row.actual_high)}, n = {row.n_actual:,}): an "
            f"{direction} of {abs(100 * row.error):.0f} points.")
    return sentences


def tone_sentences(tone: pd.DataFrame, study: Study) -> list[str]:
    """What the tone table (:func:`cxstudy.tone.tone_table`) says, a sentence per
    question: the audience whose tone differs most from the reference's among those
    whose adjusted p is under 1 − ``confidence``, or that none differs clearly; and for
    a question of role ``competition``, the share of each audience's scored answers
    whose tone is positive (the difference called good) and negative (bad). Suppressed
    audiences are not named; text from the study file is escaped for Markdown.

    Examples
    --------
    "*What does the competition do differently?* — leadership's answers are warmer
    than customers' (mean tone +0.31 vs −0.05 on VADER's −1 to +1 scale; gap +0.36,
    95% CI +0.20 to +0.52)."
    """
    sentences = []
    for question in study.open_ended:
        part = tone[(tone["question"] == question.id) & ~tone["suppressed"].astype(bool)]
        if part.empty:
            continue
        ref = part[part["group"] == study.reference]
        said = _tone_gap_sentence(part, ref.iloc[0], study) if len(ref) else (
            f"{_m(study, study.reference)} gave too few scored answers to compare with (fewer "
            f"than {study.min_group_size}).")
        sentences.append(f"*{md(question.question)}* — {said}")
        shares = [f"{_m(study, row.group)} {pct(row.good)} positive, {pct(row.bad)} negative "
                  f"(n = {row.n_scored:,})" for row in part.itertuples() if pd.notna(row.good)]
        if question.role == "competition" and shares:
            sentences.append("Good or bad, the competition's difference? The tone of the "
                             "scored answers, which says how warmly an answer is worded, not "
                             "whether the difference favours us: " + "; ".join(shares) + ".")
    return sentences


def the_gap(study: Study, group: str, reference: str) -> str:
    """The start of a sentence naming one audience's gap to another, HTML-safe: "The
    leadership–customers gap"; a label that starts with an article keeps it once ("The
    board–members gap" for "the board", never "The the board–members gap")."""
    first = study.label(group)
    if first[:4].lower() == "the ":
        first = first[4:]
    return f"The {html.escape(first)}–{html.escape(study.label(reference))} gap"


def whose(name: str, study: Study | None = None, *, escape=None) -> str:
    """An audience's name as a possessive: "leadership's", "customers'", "Star Wars
    fans'" (never "fans's"). With ``study``, ``name`` may be an audience id: its label
    (:meth:`Study.label`) is what is made possessive. Escaped with ``escape`` (default
    :func:`md`, for Markdown; :func:`html.escape` for an HTML-safe sentence).

    Examples
    --------
    >>> whose("customers"), whose("leadership")
    ("customers'", "leadership's")
    """
    label = study.label(name) if study is not None else str(name)
    escape = md if escape is None else escape
    return escape(label) + ("'" if label.lower().endswith("s") else "'s")


def _h(study: Study, group) -> str:
    """An audience's label, HTML-escaped, for an HTML-safe sentence."""
    return html.escape(study.label(str(group)), quote=False)


def _m(study: Study, group) -> str:
    """An audience's label, escaped for Markdown."""
    return md(study.label(str(group)))


def _hs(study: Study, groups) -> str:
    """Audiences' labels as "a, b and c", HTML-escaped."""
    return html.escape(names(study.labels(list(groups))), quote=False)


def _ms(study: Study, groups) -> str:
    """Audiences' labels as "a, b and c", escaped for Markdown."""
    return md(names(study.labels(list(groups))))


def _tone(value: float) -> str:
    """A tone or a difference of tones, signed, with a true minus: "+0.31", "−0.05"."""
    return f"{value + 0:+.2f}".replace("-", "−")


def _tone_gap_sentence(part: pd.DataFrame, ref: pd.Series, study: Study) -> str:
    others = part[part["group"] != study.reference]  # those of the minimum size
    clear = others[others["p_adjusted"] < 1 - study.confidence]
    if others.empty:
        return (f"no other audience gave enough scored answers to compare with "
                f"{whose(study.reference, study)} (mean tone {_tone(ref['mean'])} on VADER's −1 to "
                "+1 scale).")
    if clear.empty:
        return (f"no audience's tone differs clearly from {whose(study.reference, study)} (mean "
                f"tone {_tone(ref['mean'])} on VADER's −1 to +1 scale).")
    row = clear.loc[clear["gap"].abs().idxmax()]
    warmer = "warmer" if row["gap"] > 0 else "colder"
    return (f"{whose(row['group'], study)} answers are {warmer} than "
            f"{whose(study.reference, study)} "
            f"(mean tone {_tone(row['mean'])} vs {_tone(ref['mean'])} on VADER's −1 to +1 "
            f"scale; gap {_tone(row['gap'])}, {study.interval_label} {_tone(row['gap_low'])} "
            f"to {_tone(row['gap_high'])}).")


def section(title: str, text: str = "") -> str:
    """A section of a page as Markdown (the title is text from the study: escaped)."""
    return f"## {md(title)}" + (f"\n\n{text}" if text else "")


def boxes(study: Study) -> str:
    """What a top-box share counts, as the pages' introductions say it (Markdown): "the
    highest points of the scale", and for a study with reverse-scored items "…; of a
    reverse-scored item, the lowest of the statement as asked"."""
    return "the highest points of the scale" + (
        f"; of an item marked {REVERSE_MARK}, the lowest of the statement as asked"
        if reversed_items(study) else "")


def summary_intro(res, pages: dict[str, str]) -> str:
    """The opening paragraph of the executive summary (Markdown), from the study."""
    study = res.study
    if not study.items and not study.metrics and not study.choices and study.open_ended:
        return voices_intro(res, pages)  # a study of the open questions alone
    links = " · ".join(f"[{title}]({file})" for file, title in pages.items()
                       if file != "index.html")
    if not study.items and study.choices:
        return (f"Which options {_ms(study, study.others)} choose when asked the same "
                f"questions about {md(study.subject)} as {_m(study, study.reference)}, and "
                "how far apart they sit: the *gap* is an audience's share choosing an option "
                f"minus {whose(study.reference, study)}. Details: {links} · tables in "
                "`tables/`.")
    return (f"{md(belief_line(study))} Each audience answered the same "
            f"statements; the *gap* is an audience's top-box share ({boxes(study)}) minus "
            f"{whose(study.reference, study)}. Details: {links} · tables in `tables/`.")


def belief_line(study: Study) -> str:
    """What the study compares, in one plain-text sentence naming its subject and its
    audiences by their labels: "How far what leadership and staff believe about the
    customer experience sits from what customers say." The summary's opening and the
    deck's title slide (escape it where it goes)."""
    return (f"How far what {names(study.labels(study.others))} believe about "
            f"{study.subject} sits from what {study.label(study.reference)} say.")


def gaps_intro(study: Study) -> str:
    """The opening line of the Perception gaps page (Markdown): what it compares, for what
    the study asked (items, choice questions, CX metrics) and where the full tables are."""
    reference = _m(study, study.reference)
    tests = ("gaps use Newcombe's interval; p-values are adjusted for multiple comparisons "
             "over the table.")
    if study.items:
        return (f"Every item about {md(study.subject)}, every audience, against "
                f"{reference}. Shares are top-box "
                f"({boxes(study)}) with Wilson intervals; {tests} The full "
                "table is `tables/gaps.csv`" + ("; the choice questions' is "
                                                "`tables/choices.csv`." if study.choices
                                                else "."))
    if study.choices:
        return (f"Every choice question, every audience, against {reference}: the share "
                f"choosing each option, with Wilson intervals; {tests} The full table is "
                "`tables/choices.csv`.")
    return (f"The CX metrics of every audience on {md(study.subject)}, against "
            f"{reference}. The full tables are "
            "`tables/metrics.csv` and `tables/metric_gaps.csv`.")


def calibration_title(study: Study) -> str:
    """The calibration section's title (plain text)."""
    estimators = sorted({g for e in study.estimates for g in e.columns},
                        key=list(study.groups).index)
    return f"What {names(study.labels(estimators))} think {study.label(study.reference)} say"


def calibration_intro(study: Study) -> str:
    """What the calibration section compares (Markdown): each estimating audience's guess
    of the share of the reference that would choose what the item's share counts (the top
    box, or for a reversed item the bottom box), against that share."""
    counted = list(dict.fromkeys(study.top_box_predicate(e.item) for e in study.estimates))
    what = counted[0] if len(counted) == 1 else "choose the answers each item's share counts"
    return (f"Each audience that estimated said what share of "
            f"{md(study.label(study.reference))} would {md(what)}; against what they answered.")


def metrics_blurb(metrics: pd.DataFrame, study: Study | None = None) -> str:
    """What the metrics of the study are (only those it has), and of whom (the audiences
    by their labels when ``study`` is given)."""
    kinds = list(dict.fromkeys(metrics["kind"])) if len(metrics) else []
    groups = list(dict.fromkeys(metrics["group"])) if len(metrics) else []
    asked = md(names(study.labels(groups) if study is not None else groups))
    parts = [METRIC_KINDS[k].description for k in kinds if k in METRIC_KINDS]
    return (f"{'; '.join(parts)[:1].upper()}{'; '.join(parts)[1:]}. Asked of {asked}."
            if parts else "")


def metric_gaps_note(metrics: pd.DataFrame, metric_gaps: pd.DataFrame, study: Study) -> str:
    """Why a CX metric has no gap to the reference, or none for some audience (Markdown;
    ``""`` when every metric has a gap for every other audience that answered it): asked
    of one audience only, not of the reference, or resting on too few respondents.

    "NPS, CES and CSAT were asked of customers only, so there is no gap to show: a gap
    compares an audience with customers."
    """
    if metrics.empty:
        return ""
    reference = study.label(study.reference)
    why: dict[str, list[str]] = {}
    for metric in study.metrics:
        kind = METRIC_KINDS.get(metric.kind)
        ids = {metric.id, *(f"{metric.id}_{added.removeprefix(metric.kind + '_')}"
                            for added in (kind.adds if kind else ()))}
        rows = metrics[metrics["metric"].isin(ids)]  # the metric's rows (CES: low effort)
        if rows.empty:
            continue  # not asked in this wave
        name = _metric_short(metric.kind)
        answered = [g for g in study.groups if g in set(rows["group"])]
        shown = set(rows.loc[~rows["suppressed"].astype(bool), "group"])
        gapped = set(metric_gaps.loc[metric_gaps["metric"].isin(set(rows["metric"])), "group"])
        asked = [g for g in study.groups if g in metric.columns]
        if len(answered) == 1:
            only = answered[0]
            verb = "asked of" if asked == [only] else "answered by"
            why.setdefault(f"{verb} {md(study.label(only))} only, so there is no gap to show: "
                           f"a gap compares an audience with {md(reference)}", []).append(name)
        elif study.reference not in answered:
            verb = "not asked of" if study.reference not in asked else "not answered by"
            why.setdefault(f"{verb} {md(reference)}, and every gap is against "
                           f"{md(reference)}, so there is none to show", []).append(name)
        elif study.reference not in shown:
            why.setdefault(f"answered by too few {md(reference)} (fewer than "
                           f"{study.min_group_size} respondents) to show, so no gap is shown",
                           []).append(name)
        else:
            silent = [g for g in asked if g not in answered]
            if silent:
                why.setdefault(f"asked of {_audiences(study, silent)} too, who gave no "
                               "answers, so they have no gap", []).append(name)
            few = [g for g in answered if g != study.reference and g not in gapped]
            if few:
                why.setdefault(f"answered by too few {_audiences(study, few)} (fewer "
                               f"than {study.min_group_size} respondents) to show their gap",
                               []).append(name)
    return " ".join(f"{names(list(dict.fromkeys(metrics_)))} "
                    f"{'was' if len(set(metrics_)) == 1 else 'were'} {reason}."
                    for reason, metrics_ in why.items())


def _metric_short(kind: str) -> str:
    """A metric kind as a sentence names it: "NPS", "CES", "CSAT" (its label without the
    units in brackets)."""
    label = METRIC_KINDS[kind].label if kind in METRIC_KINDS else kind
    return md(label.split(" (")[0])


def largest_gaps_note(gaps: pd.DataFrame, study: Study, top: int) -> str:
    """How many gaps are significant, of those computed (Markdown): the count leaves out
    the rows not computed (an audience with no answers to the item, or a figure resting on
    fewer than ``min_group_size`` respondents), which are counted apart with why; the
    correction's family is the gaps computed. Says how many of the largest above the
    reference are shown (those below have a section of their own), and how many
    significant gaps are within the agreement margin (significant but small).

    "20 of the 32 gaps computed are significant after the correction for multiple
    comparisons; 16 more are not computed (16 with no answers from the audience or
    customers). The 6 largest where an audience sits above customers are shown; those
    where it sits below follow. Every gap: [Perception gaps](gaps.html)."
    """
    alpha = 1 - study.confidence
    shown_rows = ~gaps["suppressed"].astype(bool)
    computed = gaps[shown_rows & gaps["p_adjusted"].notna()]
    significant = computed[computed["p_adjusted"] < alpha]
    said = (f"{len(significant)} of the {len(computed)} gap{'s' * (len(computed) != 1)} "
            f"computed {'is' if len(significant) == 1 else 'are'} significant after the "
            "correction for multiple comparisons" if len(computed) else "No gap is computed")
    hidden = gaps[~shown_rows]
    if len(hidden):
        empty = int(((hidden["n"] == 0) | (hidden["n_ref"] == 0)).sum())
        why = ([f"{empty} with no answers from the audience or {md(study.label(study.reference))}"]
               if empty else []) + ([f"{len(hidden) - empty} resting on fewer than "
                                     f"{study.min_group_size} respondents"]
                                    if len(hidden) > empty else [])
        said += (f"; {len(hidden)} more {'is' if len(hidden) == 1 else 'are'} not computed ("
                 + " and ".join(why) + ")" if len(computed) else " (" + " and ".join(why)
                 + ")")
    said += "."
    small = significant[significant["equivalent"].astype(bool)]
    if len(small):
        said += (f" {len(small)} of the significant gaps {'is' if len(small) == 1 else 'are'} "
                 f"within ±{100 * study.agreement_margin:.0f} points: significant but "
                 "small, a real difference smaller than the agreement margin.")
    above = int((significant["gap"] > 0).sum())
    if above:
        count = min(top, above)
        said += (f" The {'largest' if count == 1 else f'{count} largest'} where an audience "
                 f"sits above {md(study.label(study.reference))} "
                 f"{'is' if count == 1 else 'are'} shown"
                 + ("; those where it sits below follow" if (significant["gap"] < 0).any()
                    else "") + ".")
    return said + " Every gap: [Perception gaps](gaps.html)."


def reverse_title(study: Study) -> str:
    """The title of the section on gaps in the other direction (plain text)."""
    return (f"Where {study.label(study.reference)} answer more favourably than "
            f"{names(study.labels(study.others))}")


def agreement_note(study: Study, gaps: pd.DataFrame | None = None) -> str:
    """What "the audiences agree" means (Markdown), and, given the gap table of the wave
    shown, which audiences each item's agreement covers (:func:`agreement_coverage`)."""
    alpha = 1 - study.confidence
    said = [f"An item counts as agreed only when, for every audience that answered it, the "
            f"whole {study.equivalence_label} of its gap lies within "
            f"±{100 * study.agreement_margin:.0f} points of "
            f"{md(study.label(study.reference))} (equivalence: two one-sided tests at "
            f"α = {alpha:g}). A gap that is merely not significant is not agreement: with "
            "few respondents no difference can be found either way."]
    return " ".join(said + (agreement_coverage(study, gaps) if gaps is not None else []))


def agreement_coverage(study: Study, gaps: pd.DataFrame) -> list[str]:
    """Which audiences each item's agreement covers (:func:`cxstudy.gaps.agreement`), in
    Markdown sentences: every audience on every item, or the items an audience gave no
    answers to (left out of them) and those an audience is too few to show on (which keep
    them from counting as agreed); then the agreed gaps that are also significant
    ("Significant but within ±10 points: …"), explained."""
    from ..gaps import agreement

    if gaps.empty:
        return []
    decided = agreement(gaps, study)
    margin = f"±{100 * study.agreement_margin:.0f} points"
    everyone = tuple(study.others)
    said = ([f"It covers {_audiences(study, everyone)} on every item."]
            if (decided["compared"].map(tuple) == everyone).all()
            else _coverage_sentences(decided, study))
    significant = decided[decided["agreed"] & decided["significant"].map(bool)]
    if len(significant):
        pairs = [f"{_audiences(study, row.significant)} on “{md(row.text)}”"
                 for row in significant.itertuples()]
        said.append(f"Significant but within {margin}: {_first(pairs)}. Such a gap is a "
                    "real difference, detected because the audiences are large, and smaller "
                    "than the margin, so the item still counts as agreed.")
    return said


def agreement_none(study: Study, gaps: pd.DataFrame) -> str:
    """What "Where the audiences agree" says when no item agrees (Markdown): that some
    gap could be wider than the margin, where items were compared; else that no item could
    be compared for every audience (:func:`agreement_note` says why)."""
    from ..gaps import agreement

    decided = agreement(gaps, study)
    decidable = (decided["compared"].map(bool) & ~decided["too_few"].map(bool)
                 & (decided["reference_n"] >= study.min_group_size))
    if decidable.any():
        return ("No item: on every item compared, at least one gap's "
                f"{study.equivalence_label} reaches beyond "
                f"±{100 * study.agreement_margin:.0f} points.")
    return "No item can be shown to agree: none could be compared for every audience."


def _audiences(study: Study, groups) -> str:
    """Audiences by their labels, escaped for Markdown: "leadership and staff"."""
    return md(names(study.labels(list(groups))))


def _first(parts: list[str], shown: int = 3) -> str:
    """The first ``shown`` of a list in words and how many more: "a, b, c and 4 more"."""
    if len(parts) <= shown:
        return names(parts)
    return ", ".join(parts[:shown]) + f" and {len(parts) - shown} more"


def _quoted(texts) -> str:
    return _first([f"“{md(text)}”" for text in texts])


def _coverage_sentences(decided: pd.DataFrame, study: Study) -> list[str]:
    """Which audiences each item's agreement covers, where not every audience: items
    grouped by who gave no answers (left out), who is too few to show (the item cannot
    be shown to agree) and items the reference did not answer (nothing to compare)."""
    said = []
    for (left_out, compared), rows in decided[decided["no_answers"].map(bool)
                                              & decided["compared"].map(bool)].groupby(
            ["no_answers", "compared"], sort=False):
        said.append(f"No answers from {_audiences(study, left_out)} to "
                    f"{_quoted(rows['text'])}, so agreement there covers "
                    f"{_audiences(study, compared)} only.")
    for too_few, rows in decided[decided["too_few"].map(bool)].groupby("too_few", sort=False):
        every = len(rows) == len(decided)
        said.append(f"On {'every item' if every else _quoted(rows['text'])}, "
                    f"{_audiences(study, too_few)} answered but too few to show (fewer than "
                    f"{study.min_group_size} respondents), so "
                    + ("no item" if every else "these items cannot")
                    + (" can" if every else "") + " be shown to agree for every audience.")
    for none, lost in decided[decided["reference_n"] < study.min_group_size].groupby(
            decided["reference_n"] == 0, sort=False):
        said.append(f"On {_quoted(lost['text'])}, {md(study.label(study.reference))} gave "
                    + ("no answers" if none else f"too few answers (fewer than "
                                                  f"{study.min_group_size})")
                    + " to compare with.")
    return said


def importance_note(importance: pd.DataFrame, study: Study) -> str:
    """Which importance the page shows: stated, or derived against which outcome."""
    if importance.empty:
        return ""
    method = importance.attrs.get("method")
    against = importance.attrs.get("against")
    if method == "stated":
        return (f"Importance is stated: the share of {_m(study, study.reference)} rating "
                "each item important.")
    why = ("chosen in the study file (importance: against)" if study.importance_against
           else "the headline item" if any(i.headline for i in study.items) else "the NPS")
    label = item_label(study, against)  # "… (reverse-scored)": correlated as scored
    return (f"Importance is derived: the Spearman correlation of each item with "
            f"“{md(label)}” ({why}), among {_m(study, study.reference)}.")


def quality_line(dropped: pd.Series, sources: pd.DataFrame, study: Study | None = None) -> str:
    """Data quality in one sentence: rows read, kept, and dropped by reason (``dropped``:
    rows per reason, :func:`cxstudy.quality.dropped_by_reason`; ``sources``: rows read
    and kept per export). Rows a ``cleaning.exclude`` rule took out are counted apart:
    they are not part of the study, not bad responses (rows in = kept + dropped +
    excluded). In a study with waves (``study`` given) the counts are of every wave
    together, and the sentence says so and gives the rows kept per wave (the page header
    counts the latest wave only)."""
    excluded = int(dropped.get("excluded", 0))
    dropped = dropped.drop("excluded", errors="ignore")
    reasons = ", ".join(f"{count:,} {reason.replace('_', ' ')}" for reason, count in
                        dropped.items())
    exports = f"{len(sources)} export{'s' * (len(sources) != 1)}"
    waves = _waves_of(sources, study)
    kept = f"{int(sources['kept'].sum()):,} kept"
    if len(waves) > 1:
        exports += f" of {_every_wave(waves)}"
        per_wave = sources.groupby(sources["source"].map(_source_waves(study)),
                                   sort=False)["kept"].sum()
        kept += " (" + ", ".join(f"{int(per_wave.get(w, 0)):,} in {md(w)}" for w in waves) + ")"
    return (f"{int(sources['rows'].sum()):,} responses read from {exports}; {kept}"
            + (f", {excluded:,} excluded as not part of the study (cleaning.exclude)"
               if excluded else "")
            + (f", {int(dropped.sum()):,} dropped ({reasons})." if len(dropped) else "."))


def all_waves_note(sources: pd.DataFrame, study: Study) -> str:
    """Markdown saying that the data-quality counts are of every wave together (``""`` in
    a study of one wave): "Rows of both waves (2025 and 2026) together; the sources
    table gives each export's wave." """
    waves = _waves_of(sources, study)
    if len(waves) < 2:
        return ""
    return (f"Rows of {_every_wave(waves)} together; the sources table gives each "
            "export's wave.")


def _source_waves(study: Study | None) -> dict[str, str]:
    """Each source's wave by its name (none in a study without waves)."""
    return {} if study is None else {s.name: s.wave for s in study.sources
                                     if s.wave is not None}


def _waves_of(sources: pd.DataFrame, study: Study | None) -> list[str]:
    """The waves the sources hold, in the study's order."""
    if study is None or not study.waves or "source" not in sources:
        return []
    held = set(sources["source"].map(_source_waves(study)).dropna())
    return [w for w in study.waves if w in held]


def _every_wave(waves: list[str]) -> str:
    """ "both waves (2025 and 2026)", "all 3 waves (spring, summer and autumn)"."""
    return (f"{'both' if len(waves) == 2 else f'all {len(waves)}'} waves "
            f"({md(names(waves))})")


def suppressed_note(shares: pd.DataFrame, study: Study) -> str:
    """Which estimates a chart or table leaves out, and why (plain text: a chart's note,
    a slide's line): those of an audience with no answers to the item (not asked it, or
    every answer blank) and those resting on fewer than ``min_group_size`` respondents,
    counted apart."""
    hidden = shares[shares["suppressed"].astype(bool)]
    if hidden.empty:
        return ""
    said = []
    for rows, why in ((hidden[hidden["n"] == 0], "no answers"),
                      (hidden[hidden["n"] > 0], f"fewer than {study.min_group_size} "
                                                "respondents")):
        if len(rows):
            groups = names(study.labels([g for g in study.groups if g in set(rows["group"])]))
            said.append(f"{len(rows)} estimate{'s' * (len(rows) != 1)} for {groups} "
                        f"({why})")
    return "Not shown: " + "; ".join(said) + "."


def method_notes(study: Study) -> str:
    """The methods paragraph of the executive summary (Markdown)."""
    if not study.items and not study.choices and study.open_ended:
        return voices_method_notes(study)  # a study of the open questions alone
    correction = {"holm": "Holm's step-down method", "fdr_bh": "the Benjamini–Hochberg "
                  "false discovery rate", "none": "no correction"}[study.correction]
    choices = (
        "- **Choice questions**: the share of an audience choosing each option (of a "
        "check-all-that-apply question, among those who answered it), with "
        f"{study.level} Wilson intervals; its gap to {_m(study, study.reference)} with "
        "Newcombe's "
        "interval and the score test; whether the audiences' choices differ: Pearson's "
        "chi-square (Fisher's or a Monte-Carlo Freeman–Halton test where counts are "
        "small).\n" if study.choices else "")
    if not study.items:
        return (choices + weights_note(study)
                + f"- **Multiple comparisons**: p-values adjusted with {correction} "
                "over all tests in each table; intervals are not: each is a "
                f"{study.level} interval on its own, called unadjusted beside an adjusted "
                "p.\n"
                f"- **Privacy**: no figure rests on fewer than {study.min_group_size} "
                "respondents; personal data never leaves the raw exports.")
    return (
        "- **Top box**: the share choosing one of the highest points of the scale ("
        + "; ".join(dict.fromkeys(md(s.top_box_short) for s in study.scales.values()))
        + f"), with {study.level} Wilson intervals.\n"
        + reversed_note(study) + weights_note(study) +
        "- **Gap**: an audience's share minus "
        f"{whose(study.reference, study)} share, with Newcombe's hybrid score interval; "
        "p from the score test (Fisher's exact test when an expected count is under 5); "
        "Cohen's h as effect size.\n"
        "- **Ordinal view**: Mann–Whitney test and Cliff's delta (with Cliff's unbiased "
        "variance and a t interval); means compared with Welch's interval.\n"
        f"- **Multiple comparisons**: p-values adjusted with {correction} over all tests "
        "in each table; intervals are not: each is a "
        f"{study.level} interval on its own, called unadjusted beside an adjusted p.\n"
        "- **Dimensions**: a respondent's score is the mean of the dimension's items when "
        "at least half are answered; Cronbach's alpha with Feldt's interval.\n"
        f"- **Agreement**: the whole {study.equivalence_label} of the gap of every audience "
        f"that answered the item within ±{100 * study.agreement_margin:.0f} points "
        "(equivalence).\n"
        + choices +
        f"- **Privacy**: no figure rests on fewer than {study.min_group_size} respondents; "
        "personal data never leaves the raw exports.")


def weights_note(study: Study) -> str:
    """The Method's line on weights (Markdown, "" for a study without ``weights:``): the
    weighted audience, the margins it was raked to, and that its shares and intervals
    are weighted, the intervals resting on Kish's effective sample size
    ``n_eff = (Σw)² / Σw²`` (Kish 1965).

    "- **Weights**: clients are weighted, raked to known margins (Area: Urban 50%, Rural
    50%), no weight above 5 times the mean; their shares and intervals are weighted, the
    intervals on Kish's effective sample size (Σw)²/Σw²."
    """
    weights = study.weights
    if weights is None:
        return ""
    margins = "; ".join(
        f"{md(column)}: " + ", ".join(f"{md(category)} {pct(share)}"
                                      for category, share in shares.items())
        for column, shares in weights.margins.items())
    how = []
    if weights.column:
        how.append(f"from the design weights in column {md(weights.column)}")
    if margins:
        how.append(f"raked to known margins ({margins})")
    if weights.trim:
        how.append(f"no weight above {weights.trim:g} times the mean")
    return (f"- **Weights**: {_m(study, weights.group)} are weighted"
            + (", " + ", ".join(how) if how else "")
            + "; their shares and intervals are weighted, the intervals on Kish's effective "
            "sample size (Σw)²/Σw².\n")


def reversed_note(study: Study) -> str:
    """The Method's line on the items asked negatively (``reverse: true``; Markdown, ""
    when there are none): which they are, that their answers are scored in reverse, and
    which answers their share counts, in the statement's own words.

    "- **Reverse-scored items**: “Dealing with us can be frustrating” was asked
    negatively, so its answers are scored in reverse (k + 1 − the point: higher is better)
    and its share counts those who disagree (the lowest points of the statement as asked,
    not the highest). …"
    """
    flipped = reversed_items(study)
    if not flipped:
        return ""
    how = ("scored in reverse (k + 1 − the point: higher is better) and")
    if len(flipped) == 1:
        item = flipped[0]
        return (f"- **Reverse-scored items**: “{md(item.text)}” was asked negatively, so its "
                f"answers are {how} its share counts those who "
                f"{md(study.top_box_predicate(item.id))} (the lowest points of the "
                f"statement as asked, not the highest). Tables and charts mark it "
                f"*({REVERSE_MARK})*; charts of its answers show them as given.\n")
    return ("- **Reverse-scored items**: these were asked negatively, so their answers are "
            f"{how} each share counts the lowest points of the statement as asked: "
            + "; ".join(f"“{md(i.text)}”, those who {md(study.top_box_predicate(i.id))}"
                        for i in flipped)
            + f". Tables and charts mark them *({REVERSE_MARK})*; charts of their answers "
            "show them as given.\n")


def escape(text: str) -> str:
    """HTML-escape text from a study file or a respondent."""
    return html.escape(str(text))


def study_line(res) -> str:
    """The first line of a page (Markdown, every name escaped): the study, the wave shown
    and the respondents of that wave per audience, saying which wave they are of.

    "**Larkfield**  — wave 2026 (the latest of 2025 and 2026) — 1,175 respondents in 2026:
    leadership 25, staff 150, customers 1,000"
    """
    study, now = res.study, res.latest
    sizes = now.respondents
    several = len(res.waves) > 1
    wave = (f" — wave {md(res.waves[-1])}"
            + (f" (the latest of {md(names(res.waves))})" if several else "")
            if res.waves else "")
    return (f"**{md(study.title)}**{wave} — {int(sizes.sum()):,} respondents"
            + (f" in {md(res.waves[-1])}" if several else "") + ": "
            + ", ".join(f"{md(study.label(g))} {int(sizes.get(g, 0)):,}"
                        for g in study.groups))


def trend_sentences(trends: pd.DataFrame, study: Study, *, items: list[str] | None = None,
                    significant_only: bool = False, headline: bool = False) -> list[str]:
    """One HTML-safe sentence per (item, audience) trend: how the gap to the reference
    moved between two waves, with the interval of the change, and each audience's share
    before and after (shares as shares; gaps and changes in signed points).

    "The staff–customers gap on “…” narrowed: +60 points in 2025, +27 in 2026 (change
    −33, 95% CI −44 to −22; adjusted p < 0.001); who agree: staff 70% → 60%, customers
    10% → 33%." A gap "narrowed", "widened" or "reversed" only when the adjusted p shown
    is under 1 − ``confidence``; otherwise it "did not change clearly".

    ``headline``: the p-values are those adjusted over the headline family
    (``p_adjusted_headline``, :func:`cxstudy.waves.adjust_headline`) rather than over
    every change of the table; ``significant_only`` keeps the changes whose adjusted p
    (the one shown) is under 1 − ``confidence``.
    """
    alpha = 1 - study.confidence
    p_column = "p_adjusted_headline" if headline and "p_adjusted_headline" in trends \
        else "p_adjusted"
    rows = trends[~trends["suppressed"].astype(bool) & trends["change"].notna()]
    if items is not None:
        rows = rows[rows["item"].isin(items)]
    if significant_only:
        rows = rows[rows[p_column] < alpha]
    sentences = []
    for row in rows.itertuples():
        verb = (_gap_verb(row.gap_from, row.gap_to) if _clearly(getattr(row, p_column), study)
                else "did not change clearly")
        sentences.append(
            f"{the_gap(study, row.group, row.reference)} on "
            f"“{html.escape(row.text)}” {verb}: {points(row.gap_from)} points in "
            f"{html.escape(row.from_wave)}, {points(row.gap_to)} in {html.escape(row.to_wave)} "
            f"(change {points(row.change)}, {unadjusted(study)} "
            f"{interval(row.change_low, row.change_high, as_points=True)}; adjusted p "
            f"{p_text(getattr(row, p_column))}); {_who_moved(row, study)}.")
    return sentences


def break_sentences(study: Study, waves: list[str]) -> list[str]:
    """One Markdown sentence per item whose series breaks within ``waves`` (the waves the
    responses hold): no change is computed across the break, and why.

    "No change is computed for “Would it be easy to take leave?” from 2015 to 2016: its
    series breaks at 2016 (a neutral answer was added)."
    """
    sentences = []
    for item in study.items:
        brk = item.series_break
        if brk is None or brk.wave not in waves or brk.wave == waves[0]:
            continue
        before = waves[waves.index(brk.wave) - 1]
        sentences.append(f"No change is computed for “{md(item.text)}” from {md(before)} to "
                         f"{md(brk.wave)}: its series breaks at {md(brk.wave)} "
                         f"({md(brk.reason)}), so the two waves do not measure the same "
                         "thing.")
    return sentences


def absent_questions_note(study: Study, wave: str | None) -> str:
    """Markdown naming the open-ended questions not asked in the wave a page shows (their
    ``waves:``), so that a reader knows why they are not there; ``""`` when every question
    was asked (or the study has no waves).

    "Not asked in wave 2016, so not on this page: “What should we improve?” (asked in 2015)."
    """
    absent = [q for q in study.open_ended if not q.asked_in(wave)]
    if not absent or wave is None:
        return ""
    listed = "; ".join(f"“{md(q.question)}” (asked in {', '.join(md(w) for w in q.waves)})"
                       for q in absent)
    return f"Not asked in wave {md(wave)}, so not on this page: {listed}."


def _gap_verb(before: float, after: float) -> str:
    if before * after < 0:
        return "reversed"
    return "narrowed" if abs(after) < abs(before) else "widened"


def panel_note(returning: pd.DataFrame, study: Study | None = None) -> str:
    """What the intervals assume when respondents answered in more than one wave
    (Markdown; audiences by their display names when ``study`` is given)."""
    if returning.empty or not returning["returning"].sum():
        return ""
    counts = ", ".join(f"{md(study.label(r.group) if study else r.group)} {r.returning:,}"
                       for r in returning.itertuples() if r.returning)
    return (f"Some respondents answered in more than one wave ({counts}). The intervals "
            "treat the waves as independent samples; returning respondents make them "
            "dependent, so the intervals are conservative (wider than they need be).")


def _levels_differ(rows: pd.DataFrame, study: Study) -> pd.Series:
    """Whether each row's gap differs across its segment's levels: the test of
    ``gap_levels_p_adjusted`` (adjusted over the segments' family) below alpha."""
    return rows["gap_levels_p_adjusted"] < 1 - study.confidence


def _clear_of_zero(rows: pd.DataFrame) -> pd.Series:
    """Whether each row's gap interval excludes zero."""
    return (rows["gap_low"] > 0) | (rows["gap_high"] < 0)


def _asked(study: Study, segment: str, group: str) -> bool:
    """Whether an audience was asked a segment (else it is compared overall)."""
    return any(s.id == segment and group in s.columns for s in study.segments)


def _in_level(r, study: Study) -> tuple[str, str]:
    """Who is compared in a segment row, as (the audience, the reference), each HTML-safe:
    "staff" and "customers" within the level, "all leadership" when it was not asked."""
    mine = html.escape(study.label(r["group"]))
    theirs = html.escape(study.label(r["reference"]))
    return (mine if r["compared"] != "overall" else f"all {mine}",
            theirs if _asked(study, r["segment"], r["reference"]) else f"all {theirs}")


def _p_is(p: float) -> str:
    """"= 0.410" or "< 0.001": a p-value after "p"."""
    said = p_text(p)
    return said if said.startswith("<") else f"= {said}"


def segment_sentences(segments: pd.DataFrame, study: Study, *, top: int = 5,
                      items: list[str] | None = None) -> list[str]:
    """Where the gap is widest, one HTML-safe sentence per (segment, item, audience) whose
    gap differs across the segment's levels (``gap_levels_p_adjusted`` below alpha = 1 -
    confidence), naming its widest level whose own gap holds after the correction and
    whose interval excludes zero; the ``top`` largest, largest first:
    "Where Region is “North”, on “…”: 66% of staff (n = 59) agree; 10% of customers
    (n = 401) do: a gap of +56 points (unadjusted 95% CI +43 to +67; adjusted p < 0.001);
    the gap differs across Region (adjusted p = 0.004)." An audience not asked the
    segment is "all leadership". No sentence where the levels do not differ: see
    :func:`segments_similar_sentence`."""
    alpha = 1 - study.confidence
    rows = segments[~segments["suppressed"].astype(bool) & segments["gap"].notna()]
    if items is not None:
        rows = rows[rows["item"].isin(items)]
    rows = rows[_levels_differ(rows, study) & (rows["p_adjusted"] < alpha)
                & _clear_of_zero(rows)]
    rows = rows.reindex(rows["gap"].abs().sort_values(ascending=False, kind="stable").index)
    rows = rows.drop_duplicates(["segment", "item", "group"]).head(top)
    sentences = []
    for r in rows.itertuples():
        mine, theirs = _in_level(r._asdict(), study)
        sentences.append(
            f"Where {html.escape(r.label)} is “{html.escape(r.level)}”, on "
            f"“{html.escape(r.text)}”: {pct(r.top_box)} of {mine} (n = {r.n:,}) "
            f"{predicate(study, r.item)}; {pct(r.top_box_ref)} of {theirs} "
            f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({unadjusted(study)} "
            f"{interval(r.gap_low, r.gap_high, True)}; adjusted p "
            f"{_p_is(r.p_adjusted)}); the gap differs across {html.escape(r.label)} "
            f"(adjusted p {_p_is(r.gap_levels_p_adjusted)}).")
    return sentences


def segments_similar_sentence(segments: pd.DataFrame, study: Study) -> str:
    """What the Segments page says of the segments no level of which is singled out:
    those in which no gap differs across the levels (no ``gap_levels_p_adjusted`` below
    alpha), their gaps similar in every level, with the smallest adjusted p; and those
    whose levels could not be compared (fewer than two levels shown). "" when every
    segment has a gap that differs."""
    tested = segments[segments["gap_levels_p_adjusted"].notna()]
    differ = set(tested.loc[_levels_differ(tested, study), "segment"])
    similar = tested[~tested["segment"].isin(differ)]
    untested = segments[~segments["segment"].isin(set(tested["segment"]))]
    said = []
    if len(similar):
        labels = names(html.escape(str(v)) for v in dict.fromkeys(similar["label"]))
        smallest = _p_is(similar["gap_levels_p_adjusted"].min())
        said.append(f"No gap differs across the levels of {labels} after the correction for "
                    f"multiple comparisons (smallest adjusted p {smallest}): "
                    + ("there, each gap is similar in every level." if differ else
                       "each gap is similar in every level, so no level is singled out."))
    if len(untested):
        labels = names(html.escape(str(v)) for v in dict.fromkeys(untested["label"]))
        said.append(f"The levels of {labels} cannot be compared: fewer than two of "
                    f"{'its' if untested['segment'].nunique() == 1 else 'their'} levels are "
                    "shown for any audience (the others are hidden for privacy or empty).")
    return " ".join(said)


def widest_segment_sentence(segments: pd.DataFrame, gaps: pd.DataFrame, study: Study) -> str:
    """The summary's one sentence on segments: where the headline gap is widest, named
    only when the gap differs across the segment's levels (``gap_levels_p_adjusted``,
    adjusted over the segments' family, below alpha = 1 - confidence) and only on a level
    whose gap interval excludes zero; else that the gap is similar across levels.

    "The leadership–customers gap on “…” is widest where Region is “North”: +74 points
    (95% CI +54 to +86), against +64 overall; the gap differs across Region (adjusted
    p < 0.001)." An audience not asked the segment: "The gap on “…” is widest for all
    leadership against customers in Customer for (years) “0 to <1”: …". Levels that do
    not differ: "The leadership–customers gap on “…” is similar across Region (levels do
    not differ: adjusted p = 0.41)."
    """
    headline = [i.id for i in study.items if i.headline] or [study.items[0].id]
    rows = segments[segments["item"].isin(headline) & ~segments["suppressed"].astype(bool)
                    & segments["gap"].notna()]
    if rows.empty:
        return ""
    named = rows[_levels_differ(rows, study) & _clear_of_zero(rows)]
    if len(named):
        r = named.loc[named["gap"].abs().idxmax()]
        overall = gaps[(gaps["item"] == r["item"]) & (gaps["group"] == r["group"])]
        against = (f", against {points(overall['gap'].iloc[0])} overall" if len(overall)
                   and pd.notna(overall["gap"].iloc[0]) else "")
        mine, theirs = _in_level(r, study)
        segment, level = html.escape(r["label"]), html.escape(r["level"])
        because = ""
        if mine.startswith("all ") or theirs.startswith("all "):
            where = (f"The gap on “{html.escape(r['text'])}” is widest for {mine} against "
                     f"{theirs} in {segment} “{level}”")
            unasked, asked = (mine, theirs) if mine.startswith("all ") else (theirs, mine)
            because = (f": only {asked} answered {segment}, so the levels differ in "
                       f"{asked} alone ({unasked.removeprefix('all ')} were not asked it)")
        else:
            where = (f"{the_gap(study, r['group'], r['reference'])} on "
                     f"“{html.escape(r['text'])}” is widest where {segment} is “{level}”")
        return (f"{where}: {points(r['gap'])} points ({unadjusted(study)} "
                f"{interval(r['gap_low'], r['gap_high'], True)}){against}; the gap differs "
                f"across {segment} (adjusted p {_p_is(r['gap_levels_p_adjusted'])}){because}.")
    item = next(i for i in headline if i in set(rows["item"]))
    part = rows[rows["item"] == item]
    text = html.escape(part["text"].iloc[0])
    tested = part[part["gap_levels_p_adjusted"].notna()]
    if tested.empty:
        pairs = list(dict.fromkeys(zip(part["group"], part["reference"], strict=True)))
        who = the_gap(study, *pairs[0]) if len(pairs) == 1 else "The gaps"
        across = names(html.escape(str(v)) for v in dict.fromkeys(part["label"]))
        return (f"{who} on “{text}” cannot be compared across the levels of {across}: fewer "
                "than two levels are shown (the others are hidden for privacy or empty).")
    differ = tested[_levels_differ(tested, study)]
    if len(differ):
        first = differ.loc[differ["gap_levels_p_adjusted"].idxmin()]
        return (f"The gap on “{text}” differs across {html.escape(first['label'])} "
                f"(adjusted p {_p_is(first['gap_levels_p_adjusted'])}), but no level's gap "
                "is clear of zero, so no level is singled out.")
    pairs = list(dict.fromkeys(zip(tested["group"], tested["reference"], strict=True)))
    who = (f"{the_gap(study, *pairs[0])} on “{text}” is" if len(pairs) == 1
           else f"The gaps on “{text}” are")
    across = names(html.escape(str(v)) for v in dict.fromkeys(tested["label"]))
    smallest = tested["gap_levels_p_adjusted"].min()
    p_said = (f"adjusted p {_p_is(smallest)}" if len(tested.drop_duplicates(
        ["segment", "group"])) == 1 else f"smallest adjusted p {_p_is(smallest)}")
    return f"{who} similar across {across} (levels do not differ: {p_said})."


# ---------------------------------------------------------------------------
# the open answers: what every audience names, what only one names, where they clash


def _question_texts(study: Study) -> dict[str, str]:
    return {q.id: q.question for q in study.open_ended}


def _share_list(rows: pd.DataFrame, study: Study) -> str:
    return ", ".join(f"{_h(study, r.group)} {pct(r.share)}" for r in rows.itertuples())


def theme_sentences(themes: pd.DataFrame, study: Study, question: str, *,
                    named_at: float | None = None, top: int = 3) -> list[str]:
    """What the audiences say to one open question, in HTML-safe sentences: the themes
    every audience names (similarity), those only one names, and those one names
    significantly more often than the reference (disparity, the theme table's gap test).

    An audience *names* a theme when at least ``named_at`` of its answers do (default
    :data:`cxstudy.voices.NAMED_AT`); audiences below ``min_group_size`` are left out
    (and said to be). Of the significant differences, the ``top`` largest are worded and
    the others counted.

    "“What do we do well?”: every audience names Friendly, caring people (leadership
    50%, staff 67%, customers 45%)." "Only staff name App and online (19%)." "Staff name
    Bills and billing more often than customers: 67% against 33% (gap +33 points, 95%
    CI +2 to +60; adjusted p 0.030)."
    """
    from ..voices import NAMED_AT, UNCODED

    named_at = NAMED_AT if named_at is None else named_at
    text = _question_texts(study).get(question, question)
    part = themes[(themes["question"] == question) & (themes["theme"] != UNCODED)]
    shown = part[~part["suppressed"].astype(bool)]
    audiences = [g for g in study.groups if g in set(shown["group"])]
    hidden = [g for g in study.groups if g in set(part["group"]) and g not in audiences]
    sentences = []
    if len(audiences) >= 2:
        every, only = [], []
        for _theme, rows in shown.groupby("theme", sort=False, observed=True):
            naming = rows[rows["share"] >= named_at]
            if len(naming) == len(audiences):
                every.append(f"{html.escape(rows['label'].iloc[0])} ({_share_list(rows, study)})")
            elif len(naming) == 1:
                only.append((naming["group"].iloc[0], rows["label"].iloc[0],
                             naming["share"].iloc[0]))
        who = "every audience" if not hidden else "every audience shown"
        sentences.append(f"“{html.escape(text)}”: {who} names " + names(every) + "."
                         if every else f"“{html.escape(text)}”: the audiences name no theme "
                         f"in common (none is named by at least {pct(named_at)} of every "
                         "audience's answers).")
        for group, label, share in only:
            sentences.append(f"Only {_h(study, group)} name {html.escape(label)} "
                             f"({pct(share)} of their answers).")
        alpha = 1 - study.confidence
        apart = shown[(shown["p_adjusted"] < alpha) & shown["gap"].notna()]
        apart = apart.reindex(apart["gap"].abs().sort_values(ascending=False,
                                                             kind="stable").index)
        for row in apart.head(top).itertuples():
            more = row.gap > 0
            first, second = (study.label(row.group), study.label(study.reference)) \
                if more else (study.label(study.reference), study.label(row.group))
            ref = shown[(shown["theme"] == row.theme) & (shown["group"] == study.reference)]
            ref_share = ref["share"].iloc[0] if len(ref) else float("nan")
            a, b = (row.share, ref_share) if more else (ref_share, row.share)
            sentences.append(
                f"{html.escape(str(first))[:1].upper()}{html.escape(str(first))[1:]} name "
                f"{html.escape(row.label)} more often than {html.escape(str(second))}: "
                f"{pct(a)} against {pct(b)} (gap {points(row.gap)} points, "
                f"{unadjusted(study)} {interval(row.gap_low, row.gap_high, True)}; "
                f"adjusted p {p_text(row.p_adjusted)}).")
        if len(apart) > top:
            more = len(apart) - top
            sentences.append(f"{more} more significant difference{'s' * (more != 1)} "
                             "between an audience and "
                             f"{_h(study, study.reference)} on this question.")
    elif audiences:
        sentences.append(f"“{html.escape(text)}”: only {_h(study, audiences[0])} can be "
                         "shown, so there is nothing to compare.")
    if hidden:
        sentences.append(f"Not shown: {_hs(study, hidden)} "
                         f"({study.suppression_note()}).")
    return sentences


def disagreement_sentences(clash: pd.DataFrame, study: Study) -> list[str]:
    """One HTML-safe sentence per theme one audience names more often as a strength than
    as a problem and another more often as a problem than as a strength
    (:func:`cxstudy.voices.disagreements`), the pair with the largest lead for each
    theme, largest first: "Bills and billing: a strength to staff (17% of their answers
    to “What do we do well?”, against 5% to “What could be improved?”), a problem to
    customers (33%, against 2%)."."""
    texts = _question_texts(study)

    def only(role: str) -> str:
        asked = [texts[q.id] for q in study.open_ended if q.role == role]
        return f" to “{html.escape(asked[0])}”" if len(asked) == 1 else ""

    strength, problem = only("strength"), only("problem")
    best = clash.sort_values("lead", ascending=False, kind="stable").drop_duplicates(
        "theme") if len(clash) else clash
    return [f"{html.escape(r.label)}: a strength to {_h(study, r.says_strength)} "
            f"({pct(r.strength_share)} of their answers{strength}, against "
            f"{pct(r.strength_problem_share)}{problem or ' as a problem'}), a problem to "
            f"{_h(study, r.says_problem)} ({pct(r.problem_share)}, against "
            f"{pct(r.problem_strength_share)} as a strength)."
            for r in best.itertuples()]


def open_questions_line(study: Study) -> str:
    """The open-ended questions a page is about, and who was asked each (Markdown, study
    text escaped): "The open-ended questions, asked of every audience: *What do we do
    well?*; *What could be improved?*." A question asked of some audiences only (an
    "other (please specify)" text, say) names them: "*Which would make you switch? —
    other (please specify)* (asked of leaders)"."""
    def asked(question) -> list[str]:
        return [g for g in study.groups if g in question.columns]

    everyone = all(len(asked(q)) == len(study.groups) for q in study.open_ended)
    parts = [f"*{md(q.question)}*" + ("" if everyone or len(asked(q)) == len(study.groups)
                                      else f" (asked of {_ms(study, asked(q))})")
             for q in study.open_ended]
    return ("The open-ended questions" + (", asked of every audience: " if everyone else ": ")
            + "; ".join(parts) + ".")


def open_answer_sentences(themes: pd.DataFrame, study: Study, *,
                          limit: int | None = None) -> list[str]:
    """What the audiences say, question by question (:func:`theme_sentences`), then the
    themes one audience names as a strength and another as a problem
    (:func:`disagreement_sentences`): the summary's lead for the open answers, and the
    deck's. HTML-safe. With ``limit``, the first ``limit`` sentences and one saying how
    many more the Voices page holds."""
    from ..voices import disagreements

    said = [text for question in study.open_ended
            for text in theme_sentences(themes, study, question.id)]
    said += disagreement_sentences(disagreements(themes, study), study)
    if limit is not None and len(said) > limit:
        said = [*said[:limit], f"{len(said) - limit} more on the Voices page."]
    return said


def similarity_sentences(similarity: pd.DataFrame, study: Study) -> list[str]:
    """Per open question, the most and the least alike pair of audiences (the
    similarity of their theme profiles, :func:`cxstudy.voices.voice_similarity`), in
    HTML-safe sentences: "“What do we do well?”: leadership and customers answer most
    alike (similarity 0.98, 95% CI 0.95 to 1.00), leadership and staff least (0.69,
    0.56 to 0.99)." Suppressed pairs are left out."""
    texts = _question_texts(study)
    sentences = []
    shown = similarity[~similarity["suppressed"].astype(bool) & similarity["similarity"].notna()]

    def said(row) -> str:
        return (f"{row.similarity:.2f}, {study.interval_label} {row.similarity_low:.2f} to "
                f"{row.similarity_high:.2f}" if pd.notna(row.similarity_low)
                else f"{row.similarity:.2f}")

    for question, rows in shown.groupby("question", sort=False):
        rows = rows.sort_values("similarity", ascending=False, kind="stable")
        best, worst = rows.iloc[0], rows.iloc[-1]
        pair = f"{_h(study, best.group)} and {_h(study, best.other)}"
        sentence = (f"“{html.escape(texts.get(question, question))}”: {pair} answer "
                    + ("most alike" if len(rows) > 1 else "with a similarity of")
                    + f" ({'similarity ' if len(rows) > 1 else ''}{said(best)})")
        if len(rows) > 1:
            sentence += (f", {_h(study, worst.group)} and "
                         f"{_h(study, worst.other)} least ({said(worst)})")
        sentences.append(sentence + ".")
    return sentences


def voices_intro(res, pages: dict[str, str]) -> str:
    """The executive summary's opening paragraph for a study of open questions alone (no
    items, no metrics): what the audiences were asked and how the answers are compared."""
    study = res.study
    links = " · ".join(f"[{title}]({file})" for file, title in pages.items()
                       if file != "index.html")
    split = any(q.split for q in study.open_ended)
    if study.themes is None:
        return (f"What {_ms(study, study.groups)} say when asked the same open questions "
                f"about {md(study.subject)}. "
                "The study has no theme codebook (`themes:`), so the answers are not coded "
                "or compared: a codebook would code them into themes. Typical answers of "
                f"each audience: [Voices](voices.html). Details: {links}.")
    return (f"What {_ms(study, study.groups)} say when asked the same open questions "
            f"about {md(study.subject)}: the "
            "themes every audience names, those only one names, and any named more as a "
            "strength by one audience and more as a problem by another. Answers are coded "
            "into the themes of "
            "the study's codebook" + ("; a group's sheet counts as one answer, each of "
                                       "its points coded on its own" if split else "")
            + f". Details: {links} · tables in `tables/`.")


def voices_method_notes(study: Study) -> str:
    """The methods paragraph of the executive summary of a study without items
    (Markdown)."""
    from ..voices import NAMED_AT

    privacy = (f"- **Privacy**: no figure or quote rests on fewer than {study.min_group_size} "
               "respondents; personal data never leaves the raw exports.")
    if study.themes is None:
        return ("- **Quotes**: typical answers (closest to the median length) of each "
                "audience, scrubbed of e-mail addresses, phone numbers, links and names; "
                "not coded, the study having no theme codebook.\n" + privacy)
    return (
        "- **Themes**: each answer is coded with the codebook's patterns; it can name "
        "several themes, and answers naming none count as *no theme*. Shares are of "
        f"answers, with {study.level} Wilson intervals.\n"
        + ("- **Sheets**: a question marked `split: points` is answered on a group's "
           "sheet; each point is coded on its own, and a sheet names a theme when any of "
           "its points does.\n" if any(q.split for q in study.open_ended) else "")
        + f"- **Names**: an audience names a theme when at least {pct(NAMED_AT)} of its "
        "answers do.\n"
        f"- **Gaps**: an audience's share minus {whose(study.reference, study)}, with "
        "Newcombe's "
        "interval and the score test, adjusted for multiple comparisons.\n"
        "- **Similarity**: one minus the Jensen–Shannon distance between two audiences' "
        "theme profiles (1: the same themes in the same proportions; 0: none in common), "
        "with a bias-corrected bootstrap interval over answers.\n" + privacy)


def points_note(themes: pd.DataFrame, study: Study, question: str) -> str:
    """Of a question with ``split: points``, how many answers (sheets) and points each
    audience gave (Markdown; suppressed audiences say so, with no count): "Shares are of
    answers (…): an answer names a theme when any of its points does. leadership 6
    answers (6 points), staff 6 answers (15 points), customers 11 answers (11 points)."
    Empty for a question that is not split."""
    asked = next((q for q in study.open_ended if q.id == question), None)
    if asked is None or not asked.split:
        return ""
    rows = themes[themes["question"] == question].drop_duplicates("group")
    parts = []
    for row in rows.itertuples():
        if bool(row.suppressed):
            parts.append(f"{_m(study, row.group)} not shown (fewer than "
                         f"{study.min_group_size})")
        else:
            parts.append(f"{_m(study, row.group)} {int(row.n):,} answer{'s' * (row.n != 1)} "
                         f"({int(row.n_points):,} point{'s' * (row.n_points != 1)})")
    return ("Shares are of answers (a group's sheet is one answer, holding several "
            "points): an answer names a theme when any of its points does. "
            + ", ".join(parts) + ".")


# choice questions


def _choose_verb(multiple: bool) -> str:
    """How a sentence says an audience chose an option: ticked (check all that apply)
    or picked (pick one)."""
    return "tick" if multiple else "pick"


def choice_blurb(study: Study) -> str:
    """What the choice-question section shows (Markdown), for the kinds of question the
    study has."""
    kinds = {c.multiple for c in study.choices}
    parts = []
    if False in kinds:
        parts.append("for a pick-one question, the share of each audience picking each "
                     "option")
    if True in kinds:
        parts.append("for a check-all-that-apply question, the share of those who answered "
                     "it ticking each option (one who ticked nothing skipped it)")
    return (f"{'; '.join(parts)[:1].upper()}{'; '.join(parts)[1:]}, with {study.level} "
            f"Wilson intervals. Gaps to {_m(study, study.reference)} use Newcombe's "
            "interval; "
            "p-values are adjusted for multiple comparisons over every option gap.")


def choice_gap_sentences(choices: pd.DataFrame, study: Study, question: str, *,
                         top: int = 3) -> list[str]:
    """The largest option gaps of one question in words, largest first (HTML-safe):
    "76% of leaders (n = 25) tick “Faster service”; 28% of customers (n = 238) do: a gap
    of +48 points (95% CI +28 to +61; adjusted p < 0.001)." Significant gaps only; when
    none is, one sentence says so and names the largest gap shown."""
    alpha = 1 - study.confidence
    rows = choices[(choices["question"] == question) & ~choices["suppressed"].astype(bool)
                   & choices["gap"].notna()]
    if rows.empty:
        return [f"No option gap can be shown: every audience compared is under "
                f"{study.min_group_size} respondents."]
    verb = _choose_verb(bool(rows["multiple"].iloc[0]))
    significant = rows[rows["p_adjusted"] < alpha]
    chosen = significant.reindex(significant["gap"].abs().sort_values(
        ascending=False).index).head(top)
    sentences = [
        f"{pct(r.share)} of {_h(study, r.group)} (n = {r.n:,}) {verb} "
        f"“{html.escape(r.option)}”; {pct(r.share_ref)} of {_h(study, r.reference)} "
        f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({unadjusted(study)} "
        f"{interval(r.gap_low, r.gap_high, True)}; adjusted p {p_text(r.p_adjusted)})."
        for r in chosen.itertuples()]
    if not sentences:
        r = rows.loc[rows["gap"].abs().idxmax()]
        sentences.append(
            f"No audience {verb}s any option significantly more or less often than "
            f"{_h(study, r['reference'])} after the correction for multiple comparisons; "
            f"the largest gap is on “{html.escape(r['option'])}”: {points(r['gap'])} points "
            f"for {_h(study, r['group'])} ({unadjusted(study)} "
            f"{interval(r['gap_low'], r['gap_high'], True)}).")
    return sentences


def choice_summary_sentence(choices: pd.DataFrame, study: Study) -> str:
    """The summary's one sentence on choice questions: the largest significant option gap
    of any question ("" for a study without choice questions)."""
    if not study.choices or choices is None or choices.empty:
        return ""
    alpha = 1 - study.confidence
    uncompared = uncompared_sentence(choices, study, "option of the choice questions")
    if uncompared:
        return uncompared
    rows = choices[~choices["suppressed"].astype(bool) & choices["gap"].notna()
                   & (choices["p_adjusted"] < alpha)]
    if rows.empty:
        return ("No option of the choice questions is chosen significantly more or less "
                f"often by any audience than by {_h(study, study.reference)} (after the "
                "correction for multiple comparisons).")
    r = rows.loc[rows["gap"].abs().idxmax()]
    verb = _choose_verb(bool(r["multiple"]))
    return (f"The largest significant option gap is on “{html.escape(r['text'])}”: "
            f"{pct(r['share'])} of {_h(study, r['group'])} {verb} "
            f"“{html.escape(r['option'])}”, against {pct(r['share_ref'])} of "
            f"{_h(study, r['reference'])} ({points(r['gap'])} points, {unadjusted(study)} "
            f"{interval(r['gap_low'], r['gap_high'], True)}).")

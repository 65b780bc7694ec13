"""Numbers and sentences for the report pages.

Sentences are returned as HTML-safe text: wording from a study file or a respondent
is escaped before it is put into a sentence.
"""

from __future__ import annotations

import html

import pandas as pd

from ..metrics import METRIC_KINDS
from ..model import Study


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


def predicate(study: Study, item_id: str) -> str:
    """How a sentence says an audience chose an item's top box (HTML-escaped)."""
    return html.escape(study.top_box_predicate(item_id), quote=False)


def headline_sentences(gaps: pd.DataFrame, shares: pd.DataFrame, study: Study) -> list[str]:
    """One sentence per headline item and audience: the seeds' "80% vs 8%" with intervals,
    worded from the study: “…”: 76% of leadership (57–89%, n = 25) agree; 12% of
    customers do (…): a gap of +64 points (95% CI +45 to +77; adjusted p < 0.001).

    Returned as HTML-safe text (item wording is escaped).
    """
    sentences = []
    headline = [i for i in study.items if i.headline] or list(study.items[:1])
    for item in headline:
        ref = shares[(shares["item"] == item.id) & (shares["group"] == study.reference)]
        if ref.empty or ref["suppressed"].iloc[0]:
            continue
        ref = ref.iloc[0]
        for _, row in gaps[(gaps["item"] == item.id) & ~gaps["suppressed"]].iterrows():
            sentences.append(
                f"“{html.escape(item.text)}”: {pct(row['top_box'])} of "
                f"{html.escape(row['group'])} ({interval(row['top_box_low'], row['top_box_high'])}"
                f", n = {row['n']:,}) {predicate(study, item.id)}; {pct(ref['top_box'])} of "
                f"{html.escape(study.reference)} do "
                f"({interval(ref['top_box_low'], ref['top_box_high'])}, n = {ref['n']:,}): "
                f"a gap of {points(row['gap'])} points "
                f"({unadjusted(study)} {interval(row['gap_low'], row['gap_high'], True)}; "
                f"adjusted p {p_text(row['p_adjusted'])}).")
    return sentences


def calibration_sentences(calibration: pd.DataFrame, study: Study) -> list[str]:
    """One HTML-safe sentence per estimating audience: "leaders think 67%; 12% do"."""
    texts = {i.id: i.text for i in study.items}
    sentences = []
    for row in calibration[~calibration["suppressed"].astype(bool)].itertuples():
        direction = "overestimate" if row.error > 0 else "underestimate"
        sentences.append(
            f"On “{html.escape(texts[row.item])}”, {html.escape(row.group)} estimate on "
            f"average that {pct(row.estimate)} of {html.escape(study.reference)} would "
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
            f"{md(study.reference)} gave too few scored answers to compare with (fewer "
            f"than {study.min_group_size}).")
        sentences.append(f"*{md(question.question)}* — {said}")
        shares = [f"{md(row.group)} {pct(row.good)} good, {pct(row.bad)} bad "
                  f"(n = {row.n_scored:,})" for row in part.itertuples() if pd.notna(row.good)]
        if question.role == "competition" and shares:
            sentences.append("Good or bad, the competition's difference? Scored answers with "
                             "a positive vs a negative tone: " + "; ".join(shares) + ".")
    return sentences


def _whose(name: str) -> str:
    """An audience's name as a possessive, escaped: "leadership's", "customers'"."""
    return md(name) + ("'" if str(name).endswith("s") else "'s")


def _tone(value: float) -> str:
    """A tone or a difference of tones, signed, with a true minus: "+0.31", "−0.05"."""
    return f"{value + 0:+.2f}".replace("-", "−")


def _tone_gap_sentence(part: pd.DataFrame, ref: pd.Series, study: Study) -> str:
    others = part[part["group"] != study.reference]  # those of the minimum size
    clear = others[others["p_adjusted"] < 1 - study.confidence]
    if others.empty:
        return (f"no other audience gave enough scored answers to compare with "
                f"{_whose(study.reference)} (mean tone {_tone(ref['mean'])} on VADER's −1 to "
                "+1 scale).")
    if clear.empty:
        return (f"no audience's tone differs clearly from {_whose(study.reference)} (mean "
                f"tone {_tone(ref['mean'])} on VADER's −1 to +1 scale).")
    row = clear.loc[clear["gap"].abs().idxmax()]
    warmer = "warmer" if row["gap"] > 0 else "colder"
    return (f"{_whose(row['group'])} answers are {warmer} than {_whose(study.reference)} "
            f"(mean tone {_tone(row['mean'])} vs {_tone(ref['mean'])} on VADER's −1 to +1 "
            f"scale; gap {_tone(row['gap'])}, {study.interval_label} {_tone(row['gap_low'])} "
            f"to {_tone(row['gap_high'])}).")


def section(title: str, text: str = "") -> str:
    """A section of a page as Markdown (the title is text from the study: escaped)."""
    return f"## {md(title)}" + (f"\n\n{text}" if text else "")


def summary_intro(res, pages: dict[str, str]) -> str:
    """The opening paragraph of the executive summary (Markdown), from the study."""
    study = res.study
    if not study.items and not study.metrics and not study.choices and study.open_ended:
        return voices_intro(res, pages)  # a study of the open questions alone
    links = " · ".join(f"[{title}]({file})" for file, title in pages.items()
                       if file != "index.html")
    if not study.items and study.choices:
        return (f"Which options {md(names(study.others))} choose when asked the same "
                f"questions as {md(study.reference)}, and how far apart they sit: the *gap* "
                f"is an audience's share choosing an option minus {md(study.reference)}'s. "
                f"Details: {links} · tables in `tables/`.")
    return (f"How far what {md(names(study.others))} believe about the customer experience "
            f"sits from what {md(study.reference)} say. Each audience answered the same "
            f"statements; the *gap* is an audience's top-box share (the highest points of the "
            f"scale) minus {md(study.reference)}'s. Details: {links} · tables in `tables/`.")


def gaps_intro(study: Study) -> str:
    """The opening line of the Perception gaps page (Markdown): what it compares, for what
    the study asked (items, choice questions, CX metrics) and where the full tables are."""
    reference = md(study.reference)
    tests = ("gaps use Newcombe's interval; p-values are adjusted for multiple comparisons "
             "over the table.")
    if study.items:
        return (f"Every item, every audience, against {reference}. Shares are top-box (the "
                f"highest points of the scale) with Wilson intervals; {tests} The full "
                "table is `tables/gaps.csv`" + ("; the choice questions' is "
                                                "`tables/choices.csv`." if study.choices
                                                else "."))
    if study.choices:
        return (f"Every choice question, every audience, against {reference}: the share "
                f"choosing each option, with Wilson intervals; {tests} The full table is "
                "`tables/choices.csv`.")
    return (f"The CX metrics of every audience, against {reference}. The full tables are "
            "`tables/metrics.csv` and `tables/metric_gaps.csv`.")


def calibration_title(study: Study) -> str:
    """The calibration section's title (plain text)."""
    estimators = sorted({g for e in study.estimates for g in e.columns},
                        key=list(study.groups).index)
    return f"What {names(estimators)} think {study.reference} say"


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
    return f"Where {study.reference} answer more favourably than {names(study.others)}"


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
        return (f"Importance is stated: the share of {md(study.reference)} rating "
                "each item important.")
    why = ("chosen in the study file (importance: against)" if study.importance_against
           else "the headline item" if any(i.headline for i in study.items) else "the NPS")
    label = next((i.text for i in study.items if i.id == against), against)
    return (f"Importance is derived: the Spearman correlation of each item with "
            f"“{md(label)}” ({why}), among {md(study.reference)}.")


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
        f"{study.level} Wilson intervals; its gap to {md(study.reference)} with Newcombe's "
        "interval and the score test; whether the audiences' choices differ: Pearson's "
        "chi-square (Fisher's or a Monte-Carlo Freeman–Halton test where counts are "
        "small).\n" if study.choices else "")
    if not study.items:
        return (choices + f"- **Multiple comparisons**: p-values adjusted with {correction} "
                "over all tests in each table; intervals are not: each is a "
                f"{study.level} interval on its own, called unadjusted beside an adjusted "
                "p.\n"
                f"- **Privacy**: no figure rests on fewer than {study.min_group_size} "
                "respondents; personal data never leaves the raw exports.")
    return (
        "- **Top box**: the share choosing one of the highest points of the scale ("
        + "; ".join(f"{md(s.id)}: {md(s.top_box_short)}" for s in study.scales.values())
        + f"), with {study.level} Wilson intervals.\n"
        "- **Gap**: audience share minus the "
        f"{md(study.reference)} share, with Newcombe's hybrid score interval; "
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
                    significant_only: bool = False) -> list[str]:
    """One HTML-safe sentence per (item, audience) trend: how the gap to the reference
    moved between two waves, with the interval of the change and who moved.

    "The staff–customers gap on “…” narrowed from +60 to +27 points between 2025 and 2026
    (change −33, 95% CI −44 to −22; adjusted p < 0.001): staff moved −10 points,
    customers +23."
    """
    alpha = 1 - study.confidence
    rows = trends[~trends["suppressed"].astype(bool) & trends["change"].notna()]
    if items is not None:
        rows = rows[rows["item"].isin(items)]
    if significant_only:
        rows = rows[rows["p_adjusted"] < alpha]
    sentences = []
    for row in rows.itertuples():
        moved = row.change_low > 0 or row.change_high < 0
        verb = _gap_verb(row.gap_from, row.gap_to) if moved else "did not change clearly"
        sentences.append(
            f"The {html.escape(row.group)}–{html.escape(row.reference)} gap on "
            f"“{html.escape(row.text)}” {verb}: {points(row.gap_from)} points in "
            f"{html.escape(row.from_wave)}, {points(row.gap_to)} in {html.escape(row.to_wave)} "
            f"(change {points(row.change)}, {unadjusted(study)} "
            f"{interval(row.change_low, row.change_high, as_points=True)}; adjusted p "
            f"{p_text(row.p_adjusted)}): {html.escape(row.group)} moved "
            f"{_points_word(row.top_box_change)}, {html.escape(row.reference)} "
            f"{points(row.top_box_ref_change)}.")
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


def _points_word(value: float) -> str:
    return f"{points(value)} point" + ("" if points(value) in ("+1", "-1") else "s")


def _gap_verb(before: float, after: float) -> str:
    if before * after < 0:
        return "reversed"
    return "narrowed" if abs(after) < abs(before) else "widened"


def panel_note(returning: pd.DataFrame) -> str:
    """What the intervals assume when respondents answered in more than one wave."""
    if returning.empty or not returning["returning"].sum():
        return ""
    counts = ", ".join(f"{md(r.group)} {r.returning:,}" for r in
                       returning.itertuples() if r.returning)
    return (f"Some respondents answered in more than one wave ({counts}). The intervals "
            "treat the waves as independent samples; returning respondents make them "
            "dependent, so the intervals are conservative (wider than they need be).")


def segment_sentences(segments: pd.DataFrame, study: Study, *, top: int = 5,
                      items: list[str] | None = None) -> list[str]:
    """The widest significant level gaps, largest first, one HTML-safe sentence each:
    "Where Region is “North”, on “…”: 66% of staff (n = 59) agree; 10% of customers
    (n = 401) do: a gap of +56 points (95% CI +43 to +67; adjusted p < 0.001)." An
    audience not asked the segment is "all leadership"."""
    alpha = 1 - study.confidence
    rows = segments[~segments["suppressed"].astype(bool) & (segments["p_adjusted"] < alpha)]
    if items is not None:
        rows = rows[rows["item"].isin(items)]
    rows = rows.reindex(rows["gap"].abs().sort_values(ascending=False).index).head(top)
    return [
        f"Where {html.escape(r.label)} is “{html.escape(r.level)}”, on "
        f"“{html.escape(r.text)}”: {pct(r.top_box)} of "
        f"{'all ' if r.compared == 'overall' else ''}{html.escape(r.group)} (n = {r.n:,}) "
        f"{predicate(study, r.item)}; {pct(r.top_box_ref)} of {html.escape(r.reference)} "
        f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({unadjusted(study)} "
        f"{interval(r.gap_low, r.gap_high, True)}; adjusted p {p_text(r.p_adjusted)})."
        for r in rows.itertuples()]


def widest_segment_sentence(segments: pd.DataFrame, gaps: pd.DataFrame, study: Study) -> str:
    """The summary's one sentence on segments: where the headline gap is widest.

    "The leadership–customers gap on “…” is widest where Customer for (years) is
    “0 to <1”: +74 points (95% CI +54 to +86), against +64 overall."
    """
    headline = [i.id for i in study.items if i.headline] or [study.items[0].id]
    rows = segments[segments["item"].isin(headline) & ~segments["suppressed"].astype(bool)
                    & segments["gap"].notna()]
    if rows.empty:
        return ""
    r = rows.loc[rows["gap"].abs().idxmax()]
    overall = gaps[(gaps["item"] == r["item"]) & (gaps["group"] == r["group"])]
    against = (f", against {points(overall['gap'].iloc[0])} overall" if len(overall)
               and pd.notna(overall["gap"].iloc[0]) else "")
    return (f"The {html.escape(r['group'])}–{html.escape(r['reference'])} gap on "
            f"“{html.escape(r['text'])}” is widest where {html.escape(r['label'])} is "
            f"“{html.escape(r['level'])}”: {points(r['gap'])} points ({study.level} "
            f"CI {interval(r['gap_low'], r['gap_high'], True)}){against}.")


# ---------------------------------------------------------------------------
# the open answers: what every audience names, what only one names, where they clash


def _question_texts(study: Study) -> dict[str, str]:
    return {q.id: q.question for q in study.open_ended}


def _share_list(rows: pd.DataFrame) -> str:
    return ", ".join(f"{html.escape(str(r.group))} {pct(r.share)}" for r in rows.itertuples())


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
                every.append(f"{html.escape(rows['label'].iloc[0])} ({_share_list(rows)})")
            elif len(naming) == 1:
                only.append((naming["group"].iloc[0], rows["label"].iloc[0],
                             naming["share"].iloc[0]))
        who = "every audience" if not hidden else "every audience shown"
        sentences.append(f"“{html.escape(text)}”: {who} names " + (
            names(every) + "." if every else "no theme in common (none is named by at least "
            f"{pct(named_at)} of every audience's answers)."))
        for group, label, share in only:
            sentences.append(f"Only {html.escape(str(group))} name {html.escape(label)} "
                             f"({pct(share)} of their answers).")
        alpha = 1 - study.confidence
        apart = shown[(shown["p_adjusted"] < alpha) & shown["gap"].notna()]
        apart = apart.reindex(apart["gap"].abs().sort_values(ascending=False,
                                                             kind="stable").index)
        for row in apart.head(top).itertuples():
            more = row.gap > 0
            first, second = (row.group, study.reference) if more else (study.reference,
                                                                      row.group)
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
                             f"{html.escape(str(study.reference))} on this question.")
    elif audiences:
        sentences.append(f"“{html.escape(text)}”: only {html.escape(audiences[0])} can be "
                         "shown, so there is nothing to compare.")
    if hidden:
        sentences.append(f"Not shown: {html.escape(names(hidden))} "
                         f"({study.suppression_note()}).")
    return sentences


def disagreement_sentences(clash: pd.DataFrame, study: Study) -> list[str]:
    """One HTML-safe sentence per theme one audience names as a strength and another as
    a problem (:func:`cxstudy.voices.disagreements`): "Bills and billing: a strength
    to staff (17% of their answers to “What do we do well?”), a problem to customers
    (33%)."."""
    texts = _question_texts(study)
    strength = next((texts[q.id] for q in study.open_ended if q.role == "strength"), "")
    asked = f" to “{html.escape(strength)}”" if strength and sum(
        q.role == "strength" for q in study.open_ended) == 1 else ""
    return [f"{html.escape(r.label)}: a strength to {html.escape(str(r.says_strength))} "
            f"({pct(r.strength_share)} of their answers{asked}), a problem to "
            f"{html.escape(str(r.says_problem))} ({pct(r.problem_share)})."
            for r in clash.itertuples()]


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
                                      else f" (asked of {md(names(asked(q)))})")
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
        pair = f"{html.escape(str(best.group))} and {html.escape(str(best.other))}"
        sentence = (f"“{html.escape(texts.get(question, question))}”: {pair} answer "
                    + ("most alike" if len(rows) > 1 else "with a similarity of")
                    + f" ({'similarity ' if len(rows) > 1 else ''}{said(best)})")
        if len(rows) > 1:
            sentence += (f", {html.escape(str(worst.group))} and "
                         f"{html.escape(str(worst.other))} least ({said(worst)})")
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
        return (f"What {md(names(study.groups))} say when asked the same open questions. "
                "The study has no theme codebook (`themes:`), so the answers are not coded "
                "or compared: a codebook would code them into themes. Typical answers of "
                f"each audience: [Voices](voices.html). Details: {links}.")
    return (f"What {md(names(study.groups))} say when asked the same open questions: the "
            "themes every audience names, those only one names, and where a strength to "
            "one audience is a problem to another. Answers are coded into the themes of "
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
        f"- **Gaps**: an audience's share minus {md(study.reference)}'s, with Newcombe's "
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
            parts.append(f"{md(row.group)} not shown (fewer than {study.min_group_size})")
        else:
            parts.append(f"{md(row.group)} {int(row.n):,} answer{'s' * (row.n != 1)} "
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
            f"Wilson intervals. Gaps to {md(study.reference)} use Newcombe's interval; "
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
        f"{pct(r.share)} of {html.escape(r.group)} (n = {r.n:,}) {verb} "
        f"“{html.escape(r.option)}”; {pct(r.share_ref)} of {html.escape(r.reference)} "
        f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({unadjusted(study)} "
        f"{interval(r.gap_low, r.gap_high, True)}; adjusted p {p_text(r.p_adjusted)})."
        for r in chosen.itertuples()]
    if not sentences:
        r = rows.loc[rows["gap"].abs().idxmax()]
        sentences.append(
            f"No audience {verb}s any option significantly more or less often than "
            f"{html.escape(r['reference'])} after the correction for multiple comparisons; "
            f"the largest gap is on “{html.escape(r['option'])}”: {points(r['gap'])} points "
            f"for {html.escape(r['group'])} ({unadjusted(study)} "
            f"{interval(r['gap_low'], r['gap_high'], True)}).")
    return sentences


def choice_summary_sentence(choices: pd.DataFrame, study: Study) -> str:
    """The summary's one sentence on choice questions: the largest significant option gap
    of any question ("" for a study without choice questions)."""
    if not study.choices or choices is None or choices.empty:
        return ""
    alpha = 1 - study.confidence
    rows = choices[~choices["suppressed"].astype(bool) & choices["gap"].notna()
                   & (choices["p_adjusted"] < alpha)]
    if rows.empty:
        return ("No option of the choice questions is chosen significantly more or less "
                f"often by any audience than by {html.escape(study.reference)} (after the "
                "correction for multiple comparisons).")
    r = rows.loc[rows["gap"].abs().idxmax()]
    verb = _choose_verb(bool(r["multiple"]))
    return (f"The largest significant option gap is on “{html.escape(r['text'])}”: "
            f"{pct(r['share'])} of {html.escape(r['group'])} {verb} "
            f"“{html.escape(r['option'])}”, against {pct(r['share_ref'])} of "
            f"{html.escape(r['reference'])} ({points(r['gap'])} points, {unadjusted(study)} "
            f"{interval(r['gap_low'], r['gap_high'], True)}).")

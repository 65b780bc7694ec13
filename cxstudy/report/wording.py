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
    return html.escape(study.scales[study.item(item_id).scale].top_box_predicate, quote=False)


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
                f"({study.interval_label} {interval(row['gap_low'], row['gap_high'], True)}; "
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


def section(title: str, text: str = "") -> str:
    """A section of a page as Markdown (the title is text from the study: escaped)."""
    return f"## {md(title)}" + (f"\n\n{text}" if text else "")


def summary_intro(res, pages: dict[str, str]) -> str:
    """The opening paragraph of the executive summary (Markdown), from the study."""
    study = res.study
    links = " · ".join(f"[{title}]({file})" for file, title in pages.items()
                       if file != "index.html")
    return (f"How far what {md(names(study.others))} believe about the customer experience "
            f"sits from what {md(study.reference)} say. Each audience answered the same "
            f"statements; the *gap* is an audience's top-box share (the highest points of the "
            f"scale) minus {md(study.reference)}'s. Details: {links} · tables in `tables/`.")


def calibration_title(study: Study) -> str:
    """The calibration section's title (plain text)."""
    estimators = sorted({g for e in study.estimates for g in e.columns},
                        key=list(study.groups).index)
    return f"What {names(estimators)} think {study.reference} say"


def metrics_blurb(metrics: pd.DataFrame) -> str:
    """What the metrics of the study are (only those it has), and of whom."""
    kinds = list(dict.fromkeys(metrics["kind"])) if len(metrics) else []
    asked = md(names(list(dict.fromkeys(metrics["group"])))) if len(metrics) else ""
    parts = [METRIC_KINDS[k].description for k in kinds if k in METRIC_KINDS]
    return (f"{'; '.join(parts)[:1].upper()}{'; '.join(parts)[1:]}. Asked of {asked}."
            if parts else "")


def largest_gaps_note(gaps: pd.DataFrame, study: Study, top: int) -> str:
    alpha = 1 - study.confidence
    significant = int((~gaps["suppressed"] & (gaps["p_adjusted"] < alpha)).sum())
    shown = min(top, significant)
    return (f"{significant} of {len(gaps)} gaps are significant after the correction for "
            f"multiple comparisons" + (f"; the {shown} largest are shown. Every gap: "
                                       "[Perception gaps](gaps.html)." if significant else "."))


def reverse_title(study: Study) -> str:
    """The title of the section on gaps in the other direction (plain text)."""
    return f"Where {study.reference} answer more favourably than {names(study.others)}"


def agreement_note(study: Study) -> str:
    alpha = 1 - study.confidence
    margin = 100 * study.agreement_margin
    return (f"An item counts as agreed only when, for every audience, the whole "
            f"{1 - 2 * alpha:.0%} interval of its gap lies within ±{margin:.0f} "
            f"points of {md(study.reference)} (equivalence: two one-sided tests at "
            f"α = {alpha:g}). A gap that is merely not significant is not agreement: with "
            "few respondents no difference can be found either way.")


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


def quality_line(dropped: pd.Series, sources: pd.DataFrame) -> str:
    """Data quality in one sentence: rows read, kept, and dropped by reason (``dropped``:
    rows per reason, :func:`cxstudy.quality.dropped_by_reason`; ``sources``: rows read
    and kept per export)."""
    reasons = ", ".join(f"{count:,} {reason.replace('_', ' ')}" for reason, count in
                        dropped.items())
    return (f"{int(sources['rows'].sum()):,} responses read from {len(sources)} export(s); "
            f"{int(sources['kept'].sum()):,} kept"
            + (f", {int(dropped.sum()):,} dropped ({reasons})." if len(dropped) else "."))


def suppressed_note(shares: pd.DataFrame, study: Study) -> str:
    hidden = shares[shares["suppressed"]]
    if hidden.empty:
        return ""
    groups = ", ".join(sorted(set(hidden["group"])))
    return (f"Not shown: {len(hidden)} estimate(s) for {groups} resting on fewer than "
            f"{study.min_group_size} respondents.")


def method_notes(study: Study) -> str:
    """The methods paragraph of the executive summary (Markdown)."""
    correction = {"holm": "Holm's step-down method", "fdr_bh": "the Benjamini–Hochberg "
                  "false discovery rate", "none": "no correction"}[study.correction]
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
        "in each table.\n"
        "- **Dimensions**: a respondent's score is the mean of the dimension's items when "
        "at least half are answered; Cronbach's alpha with Feldt's interval.\n"
        f"- **Agreement**: the whole {1 - 2 * (1 - study.confidence):.0%} interval of every "
        f"gap within ±{100 * study.agreement_margin:.0f} points (equivalence).\n"
        f"- **Privacy**: no figure rests on fewer than {study.min_group_size} respondents; "
        "personal data never leaves the raw exports.")


def escape(text: str) -> str:
    """HTML-escape text from a study file or a respondent."""
    return html.escape(str(text))


def study_line(res) -> str:
    """The first line of a page (Markdown, every name escaped): the study, the wave shown
    and the respondents of that wave per audience."""
    study, now = res.study, res.latest
    sizes = now.respondents
    wave = (f" — wave {md(res.waves[-1])}"
            + (f" (the latest of {', '.join(md(w) for w in res.waves)})"
               if len(res.waves) > 1 else "") if res.waves else "")
    return (f"**{md(study.title)}**{wave} — {int(sizes.sum()):,} respondents: "
            + ", ".join(f"{md(g)} {int(sizes.get(g, 0)):,}" for g in study.groups))


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
            f"(change {points(row.change)}, {study.interval_label} "
            f"{interval(row.change_low, row.change_high, as_points=True)}; adjusted p "
            f"{p_text(row.p_adjusted)}): {html.escape(row.group)} moved "
            f"{_points_word(row.top_box_change)}, {html.escape(row.reference)} "
            f"{points(row.top_box_ref_change)}.")
    return sentences


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
        f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({study.interval_label} "
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
        f"(n = {r.n_ref:,}) do: a gap of {points(r.gap)} points ({study.interval_label} "
        f"{interval(r.gap_low, r.gap_high, True)}; adjusted p {p_text(r.p_adjusted)})."
        for r in chosen.itertuples()]
    if not sentences:
        r = rows.loc[rows["gap"].abs().idxmax()]
        sentences.append(
            f"No audience {verb}s any option significantly more or less often than "
            f"{html.escape(r['reference'])} after the correction for multiple comparisons; "
            f"the largest gap is on “{html.escape(r['option'])}”: {points(r['gap'])} points "
            f"for {html.escape(r['group'])} ({study.interval_label} "
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
            f"{html.escape(r['reference'])} ({points(r['gap'])} points, {study.level} CI "
            f"{interval(r['gap_low'], r['gap_high'], True)}).")

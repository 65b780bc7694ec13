"""Numbers and sentences for the report pages.

Sentences are returned as HTML-safe text: wording from a study file or a respondent
is escaped before it is put into a sentence.
"""

from __future__ import annotations

import html

import pandas as pd

from ..model import Study


def pct(value: float, digits: int = 0) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.{digits}f}%"


def points(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:+.0f}"


def interval(low: float, high: float, as_points: bool = False) -> str:
    if pd.isna(low) or pd.isna(high):
        return "–"
    if as_points:
        return f"{100 * low:+.0f} to {100 * high:+.0f}"
    return f"{100 * low:.0f}–{100 * high:.0f}%"


def p_text(p: float) -> str:
    if pd.isna(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def headline_sentences(gaps: pd.DataFrame, shares: pd.DataFrame, study: Study) -> list[str]:
    """One sentence per headline item and audience: the seeds' "80% vs 8%" with intervals.

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
                f"{pct(row['top_box'])} of {html.escape(row['group'])} "
                f"({interval(row['top_box_low'], row['top_box_high'])}, n = {row['n']:,}) "
                f"agree that “{html.escape(item.text)}”; {pct(ref['top_box'])} of "
                f"{html.escape(study.reference)} do "
                f"({interval(ref['top_box_low'], ref['top_box_high'])}, n = {ref['n']:,}): "
                f"a gap of {points(row['gap'])} points "
                f"({study.confidence:.0%} CI {interval(row['gap_low'], row['gap_high'], True)}; "
                f"adjusted p {p_text(row['p_adjusted'])}).")
    return sentences


def calibration_sentences(calibration: pd.DataFrame, study: Study) -> list[str]:
    """One HTML-safe sentence per estimating audience: "leaders think 67%; 12% do"."""
    texts = {i.id: i.text for i in study.items}
    sentences = []
    for row in calibration[~calibration["suppressed"].astype(bool)].itertuples():
        direction = "overestimate" if row.error > 0 else "underestimate"
        sentences.append(
            f"{html.escape(row.group).capitalize()} estimate on average that "
            f"{pct(row.estimate)} of {html.escape(study.reference)} would agree that "
            f"“{html.escape(texts[row.item])}” ({interval(row.estimate_low, row.estimate_high)}, "
            f"n = {row.n:,}); {pct(row.actual)} do "
            f"({interval(row.actual_low, row.actual_high)}, n = {row.n_actual:,}): an "
            f"{direction} of {abs(100 * row.error):.0f} points.")
    return sentences


def quality_line(log: pd.DataFrame, sources: pd.DataFrame) -> str:
    """Data quality in one sentence: rows read, kept, and dropped by reason."""
    dropped = log.loc[~log["kept"].astype(bool), "reason"].value_counts()
    reasons = ", ".join(f"{count:,} {reason.replace('_', ' ')}" for reason, count in
                        dropped.items())
    return (f"{len(log):,} responses read from {len(sources)} export(s); "
            f"{int(log['kept'].astype(bool).sum()):,} kept"
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
        f"- **Top box**: the share choosing one of the highest points of the scale "
        f"(e.g. *Agree* or *Strongly agree*), with {study.confidence:.0%} Wilson intervals.\n"
        "- **Gap**: audience share minus the "
        f"{html.escape(study.reference)} share, with Newcombe's hybrid score interval; "
        "p from the score test (Fisher's exact test when an expected count is under 5); "
        "Cohen's h as effect size.\n"
        "- **Ordinal view**: Mann–Whitney test and Cliff's delta (with Cliff's unbiased "
        "variance and a t interval); means compared with Welch's interval.\n"
        f"- **Multiple comparisons**: p-values adjusted with {correction} over all tests "
        "in each table.\n"
        "- **Dimensions**: a respondent's score is the mean of the dimension's items when "
        "at least half are answered; Cronbach's alpha with Feldt's interval.\n"
        f"- **Privacy**: no figure rests on fewer than {study.min_group_size} respondents; "
        "personal data never leaves the raw exports.")


def escape(text: str) -> str:
    """HTML-escape text from a study file or a respondent."""
    return html.escape(str(text))

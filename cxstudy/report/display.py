"""Tables as a reviewer reads them: estimates next to n and intervals, every cell escaped."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..metrics import METRIC_KINDS, in_points
from ..model import Study
from ..waves import headline_items
from .wording import (
    interval,
    item_label,
    metric_name,
    p_text,
    pct,
    points,
    scale_name,
    unadjusted,
    whose,
)


def audiences(values, study: Study) -> list[str]:
    """Audience ids (a column of a table) as a reader sees them: their labels."""
    return [study.label(str(v)) for v in values]


def one_wave(frame: pd.DataFrame, column: str = "wave") -> pd.DataFrame:
    """``frame`` without its wave column when that column holds one value: a page names
    the wave it shows in its first line, not in every row."""
    if column in frame and frame[column].nunique(dropna=False) <= 1:
        return frame.drop(columns=column)
    return frame


GROUP_COLUMNS = ("group", "audience", "reference", "other", "says_strength",
                 "says_problem")
"""Columns of the package's tables whose cells are audience ids."""

HEADERS = {"group": "Audience", "audience": "Audience", "wave": "Wave", "n": "n", "z": "z"}
RULE_COLUMNS = ("reason", "rows", "rule")
"""Columns of the quality tables whose cells are cleaning rules' names ("attention_check"),
shown in words ("attention check") as the quality line says them."""


def readable(frame: pd.DataFrame, study: Study, *, index: bool = False) -> pd.DataFrame:
    """A table of the package (a quality table, the distinguishing words, quotes) as a
    reader sees it: audience ids become their labels, in the cells of the audience
    columns (:data:`GROUP_COLUMNS`) and in column headers that are an audience's id; a
    wave column holding one value goes (:func:`one_wave`); headers are words ("group" →
    "Audience", "source_row" → "Source row"). CSVs keep the ids; this is for pages, the
    workbook aside. With ``index``, the index becomes the first column."""
    table = frame.reset_index() if index else frame.copy()
    table = one_wave(table)
    for column in table.columns:
        if column in RULE_COLUMNS and not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = [v if not isinstance(v, str) else v.replace("_", " ")
                             for v in table[column]]
        if column in GROUP_COLUMNS:
            table[column] = [v if pd.isna(v) else study.label(str(v)) for v in table[column]]

    def header(column) -> str:
        column = str(column)
        if column in study.groups:
            return study.label(column)
        if column in HEADERS:
            return HEADERS[column]
        words = column.replace("_", " ")
        return words if words.startswith("n ") else words[:1].upper() + words[1:]

    table.columns = [header(c) for c in table.columns]
    return table


def table_html(frame: pd.DataFrame, *, index: bool = False) -> str:
    """An HTML table for the report pages: every cell escaped, prose columns wrap,
    figures stay on one line and align right."""
    if index:
        frame = frame.reset_index()
    prose = {c for c in frame.columns
             if not pd.api.types.is_numeric_dtype(frame[c]) and _is_prose(frame[c])}
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}

    def cell(column, value, tag="td"):
        kind = "cx-prose" if column in prose else "cx-num" if column in numeric else "cx-fig"
        text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else (
            f"{value:,}" if isinstance(value, int | np.integer) else str(value))
        return f'<{tag} class="{kind}">{html.escape(text)}</{tag}>'

    head = "".join(cell(c, c, "th") for c in frame.columns)
    body = "".join("<tr>" + "".join(cell(c, v) for c, v in zip(frame.columns, row,
                                                              strict=True)) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f'<div class="cx-scroll"><table class="cx-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


_WORD = r"[^\W\d_]{4,}"
_FIGURE_WORDS = {"score", "fisher", "points"}


def _is_prose(column: pd.Series) -> bool:
    """Text that should wrap: long values with words in them (figures such as
    "76% (57–89%)" or "< 0.001 (score)" keep to their column)."""
    text = column.dropna().astype(str)
    if text.empty or text.str.len().max() <= 24:
        return False
    words = text.str.findall(_WORD).map(lambda found: {w.lower() for w in found}
                                        - _FIGURE_WORDS)
    return bool(words.map(bool).any())


def display_table(frame: pd.DataFrame, *, index: bool = False):
    """Show :func:`table_html` in a notebook."""
    from IPython.display import HTML

    return HTML(table_html(frame, index=index))


def item_texts(frame: pd.DataFrame, study: Study, *, counted: bool = True) -> list[str]:
    """The item column of a displayed table: each row's ``text``, an item with
    ``reverse: true`` marked "(reverse-scored)" and, with ``counted`` (tables of shares),
    which answers its share counts (:func:`cxstudy.report.wording.item_label`)."""
    return [item_label(study, item, text, counted=counted)
            for item, text in zip(frame["item"], frame["text"], strict=True)]


def nan_to_dash(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.replace({np.nan: "–"})


def _headers(study: Study, label: str) -> list[str]:
    """The headers of :func:`_share_and_gap`'s columns, in order."""
    reference = study.label(study.reference)
    return ["n", f"{label} ({study.interval_label})", f"n {reference}",
            f"{label}, {reference} ({study.interval_label})",
            f"Gap, points ({unadjusted(study)})", "p (adjusted)"]


def _share_and_gap(table: pd.DataFrame, study: Study, share: str, label: str) -> dict:
    """The columns a gap table and an option table share: n, the audience's ``share``
    (``top_box``, ``share``) with its interval, the reference's, the gap with its
    (unadjusted) interval and its adjusted p with the test that gave it."""
    def shown(value, low, high) -> str:
        return f"{pct(value)} ({interval(low, high)})"

    return dict(zip(_headers(study, label), [
        table["n"],
        [shown(*values) for values in zip(
            table[share], table[f"{share}_low"], table[f"{share}_high"], strict=True)],
        table["n_ref"],
        [shown(*values) for values in zip(
            table[f"{share}_ref"], table[f"{share}_ref_low"], table[f"{share}_ref_high"],
            strict=True)],
        [f"{points(r.gap)} ({interval(r.gap_low, r.gap_high, True)})"
         for r in table.itertuples()],
        [f"{p_text(r.p_adjusted)} ({r.test})" if r.test else "–"
         for r in table.itertuples()]], strict=True))


def gap_display(gaps: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The gap table as a reviewer reads it: estimates next to n and intervals."""
    table = pd.DataFrame({
        "Item": item_texts(gaps, study),
        "Audience": audiences(gaps["group"], study),
        **_share_and_gap(gaps, study, "top_box", "Top box"),
        "Cohen's h": gaps["cohens_h"].round(2),
        f"Mean diff ({unadjusted(study)})": [
            "–" if pd.isna(r.mean_diff) else
            f"{_num(r.mean_diff)} ({_num(r.mean_diff_low)} to {_num(r.mean_diff_high)})"
            for r in gaps.itertuples()],
        f"Cliff's δ ({unadjusted(study)})": [
            "–" if pd.isna(r.cliffs_delta) else
            f"{_num(r.cliffs_delta)} ({_num(r.cliffs_delta_low)} to "
            f"{_num(r.cliffs_delta_high)})" for r in gaps.itertuples()],
        "Note": gaps["note"].replace("", "—"),
    })
    return table


def _num(value: float) -> str:
    return "–" if pd.isna(value) else f"{round(value, 2) + 0.0:+.2f}"  # no "-0.00"


def _mean(value: float) -> str:
    """A mean score in its scale's units, unsigned: "3.62"."""
    return "–" if pd.isna(value) else f"{round(value, 2) + 0.0:.2f}"


def _summary_columns(study: Study) -> list[str]:
    """Item, Audience, then the audience's and the reference's top box, the gap and p."""
    n, share, _n_ref, share_ref, gap, p = _headers(study, "Top box")
    return ["Item", "Audience", n, share, share_ref, gap, p]


def largest_gaps(gaps: pd.DataFrame, study: Study, top: int = 5, *,
                 direction: int = 1) -> pd.DataFrame:
    """The largest gaps significant after the correction: audiences above the reference
    (``direction=1``) or below it (``direction=-1``: where the reference answers more
    favourably than the audience). A gap also within the agreement margin (its 1 - 2 alpha
    interval inside ± ``agreement_margin``) gets a ``Note``: "significant but within ±10
    points", so that it reads as small, not as a contradiction of the agreement list."""
    alpha = 1 - study.confidence
    usable = gaps[~gaps["suppressed"] & (gaps["p_adjusted"] < alpha)
                  & (np.sign(gaps["gap"]) == direction)]
    chosen = usable.reindex(usable["gap"].abs().sort_values(ascending=False).index).head(top)
    table = gap_display(chosen, study)[_summary_columns(study)].reset_index(drop=True)
    if chosen["equivalent"].astype(bool).any():
        table["Note"] = [f"significant but within ±{100 * study.agreement_margin:.0f} points"
                         if equivalent else "—" for equivalent in chosen["equivalent"]]
    return table


def _waves(frame: pd.DataFrame) -> list:
    """Each row's wave (``None`` for a table without a ``wave`` column)."""
    return list(frame["wave"]) if "wave" in frame else [None] * len(frame)


def agreements(gaps: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Items where every audience that answered them agrees with the reference in the
    sense of equivalence (:func:`cxstudy.gaps.agreement`: the whole 1 - 2 alpha interval
    of every gap lies within ± ``agreement_margin``; an audience with no answers to an
    item is left out of it). One row per item and audience compared, shown with that
    interval; ``Note`` explains a gap that is also significant ("significant (adjusted p
    0.004) but within ±10 points"): a real difference, smaller than the margin."""
    from ..gaps import agreement

    decided = agreement(gaps, study)
    margin = f"±{100 * study.agreement_margin:.0f} points"
    keep = {(w, row.item, group) for w, row in zip(_waves(decided), decided.itertuples(),
                                                   strict=True)
            if row.agreed for group in row.compared}
    close = gaps[[key in keep for key in zip(_waves(gaps), gaps["item"], gaps["group"],
                                             strict=True)]]
    table = gap_display(close, study)[_summary_columns(study)[:-2]]
    table[f"Gap, points ({study.equivalence_label})"] = [
        f"{points(r.gap)} ({interval(r.equivalence_low, r.equivalence_high, True)})"
        for r in close.itertuples()]
    alpha = 1 - study.confidence
    table["Note"] = [f"significant (adjusted p {p_text(r.p_adjusted)}) but within {margin}"
                     if r.p_adjusted < alpha else "—" for r in close.itertuples()]
    return table.reset_index(drop=True)


def sources_display(sources: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The exports read (:func:`cxstudy.clean.source_table`) as a reader sees them: each
    export's file, format, audience (its label), its wave when the study has waves, the
    rows read and kept."""
    waves = {s.name: s.wave for s in study.sources}
    table = pd.DataFrame({
        "Source": sources["source"], "File": sources["file"], "Format": sources["format"],
        "Audience": [study.label(a) for a in sources["audience"]]})
    if study.waves:
        table["Wave"] = [waves.get(s) or "–" for s in sources["source"]]
    table["Rows read"] = sources["rows"].astype(int)
    table["Kept"] = sources["kept"].astype(int)
    return table


def metric_display(metrics: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Metrics as a reviewer reads them: NPS in points, shares in %, CES in scale units."""
    def value(row):
        if pd.isna(row.value):
            return "–"
        units = METRIC_KINDS[row.kind].units
        if units == "points":
            return f"{100 * row.value:+.0f} ({100 * row.low:+.0f} to {100 * row.high:+.0f})"
        if units == "share":
            return f"{pct(row.value)} ({interval(row.low, row.high)})"
        return f"{row.value:.2f} ({row.low:.2f} to {row.high:.2f})"

    several = "wave" in metrics and metrics["wave"].nunique() > 1
    return pd.DataFrame({
        "Metric": metric_names(metrics),
        "Audience": audiences(metrics["group"], study),
        **({"Wave": metrics["wave"]} if several else {}),
        "n": metrics["n"],
        f"Value ({study.interval_label})": [value(r) for r in metrics.itertuples()]})


def dimension_display(dimensions: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Dimension gaps with alpha, as a reviewer reads them."""
    def alpha_text(value, low, high):
        return "–" if pd.isna(value) else f"{value:.2f} ({low:.2f} to {high:.2f})"

    return pd.DataFrame({
        "Dimension": dimensions["dimension"],
        "Items": dimensions["items"],
        "Audience": audiences(dimensions["group"], study),
        "n": dimensions["n"],
        "Mean": dimensions["mean"].round(2),
        f"n {study.label(study.reference)}": dimensions["n_ref"],
        f"Mean, {study.label(study.reference)}": dimensions["mean_ref"].round(2),
        f"Difference ({unadjusted(study)})": [
            "–" if pd.isna(r.mean_diff) else
            f"{r.mean_diff:+.2f} ({r.mean_diff_low:+.2f} to {r.mean_diff_high:+.2f})"
            for r in dimensions.itertuples()],
        "p (adjusted)": dimensions["p_adjusted"].map(p_text),
        f"Alpha ({study.interval_label})": [alpha_text(r.alpha, r.alpha_low, r.alpha_high)
                       for r in dimensions.itertuples()],
        f"Alpha, {study.label(study.reference)}": [alpha_text(r.alpha_ref, r.alpha_ref_low,
                                                 r.alpha_ref_high)
                                      for r in dimensions.itertuples()],
        "Note": dimensions["note"].replace("", "—"),
    })


def gap_index_display(gap_index: pd.DataFrame, study: Study | None = None) -> pd.DataFrame:
    """The perception-gap index in points with its bootstrap interval (audiences by their
    labels and its level named when ``study`` is given: "95% CI")."""
    def shown(values) -> list[str]:
        return audiences(values, study) if study is not None else list(values)

    return pd.DataFrame({
        "Audience": shown(gap_index["group"]), "Reference": shown(gap_index["reference"]),
        "Items": gap_index["items"],
        "Index": [f"{100 * v:.0f} points" if pd.notna(v) else "–" for v in gap_index["index"]],
        study.interval_label if study is not None else "Interval": [
            interval(low, high).replace("%", " points") for low, high in
                     zip(gap_index["index_low"], gap_index["index_high"], strict=True)]})


def blind_spot_display(gaps: pd.DataFrame, spots: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The gap-table rows of the significant blind spots (:func:`cxstudy.blind_spots`),
    largest gap first, whichever the audience (ties in the order of the audiences)."""
    significant = spots[spots["significant"].astype(bool)]
    chosen = gaps.set_index(["item", "group"]).index.isin(
        list(zip(significant["item"], significant["group"], strict=True)))
    rows = gaps.loc[chosen].sort_values("gap", ascending=False, kind="stable")
    columns = _summary_columns(study)
    return gap_display(rows, study)[[columns[1], columns[0], *columns[2:]]].reset_index(
        drop=True)


def importance_display(importance: pd.DataFrame,
                       study: Study | None = None) -> pd.DataFrame:
    """Importance-performance per item: performance, importance with its interval (its
    level named when ``study`` is given), quadrant; "No." is the item's number in the
    chart. With ``study``, reverse-scored items are marked (:func:`item_texts`)."""
    drawn = (importance["importance"].notna() & importance["performance"].notna()).to_numpy()
    return pd.DataFrame({
        "No.": np.where(drawn, np.cumsum(drawn), 0).astype(object).tolist(),
        "Item": importance["text"] if study is None else item_texts(importance, study),
        "n": importance["n"],
        "Performance (top-box)": importance["performance"].map(pct),
        f"Importance ({study.interval_label if study is not None else 'CI'})": [
            "–" if pd.isna(value) else f"{value:.2f} ({low:.2f} to {high:.2f})"
                            for value, low, high in zip(
                                importance["importance"], importance["importance_low"],
                                importance["importance_high"], strict=True)],
        "Quadrant": importance["quadrant"].replace("", "–")})


IMPORTANCE_LEAST_ITEMS = 3  # items an importance-performance chart needs to say anything


def importance_drawable(importance: pd.DataFrame) -> str:
    """Why the importance-performance chart and its quadrant table are not shown, or ""
    when they are.

    The chart's crosshairs are the items' mean performance and mean importance, so the
    quadrants say something only where at least ``IMPORTANCE_LEAST_ITEMS`` items have
    both values, at that many distinct (performance, importance) points, and neither all
    share one performance nor all one importance: with one item, or items that tie,
    points sit on the crosshairs and their quadrants mean nothing.
    """
    drawn = importance.dropna(subset=["importance", "performance"])
    count = len(drawn)
    if count < IMPORTANCE_LEAST_ITEMS:
        have = {0: "no item has", 1: "only one item has"}.get(count, f"only {count} items have")
        return (f"No importance-performance chart: {have} both a performance and an "
                f"importance, and the chart needs at least {IMPORTANCE_LEAST_ITEMS} to "
                "place items against their means.")
    points = len(drawn[["performance", "importance"]].round(12).drop_duplicates())
    if points < IMPORTANCE_LEAST_ITEMS:
        where = "one point" if points == 1 else f"only {points} distinct points"
        return (f"No importance-performance chart: the {count} items fall on {where}, and "
                f"the chart needs at least {IMPORTANCE_LEAST_ITEMS} to place items against "
                "their means.")
    tied = [name for name in ("performance", "importance")
            if drawn[name].round(12).nunique() < 2]
    if tied:
        return (f"No importance-performance chart: the {count} items have the same "
                f"{' and the same '.join(tied)}, so every item sits on the mean and no "
                "quadrant tells them apart.")
    return ""


def kruskal_display(kruskal: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Kruskal-Wallis across all audiences per item, with each audience's n."""
    return pd.DataFrame({
        "Item": item_texts(kruskal, study, counted=False), "n": kruskal["n"],
        **{f"n {study.label(group)}": kruskal[f"n_{group}"] for group in study.groups},
        "H": kruskal["h"].round(1), "df": kruskal["df"],
        "p": kruskal["p_value"].map(p_text),
        "p (adjusted)": kruskal["p_adjusted"].map(p_text)})


def disagreement_display(clash: pd.DataFrame, study: Study | None = None) -> pd.DataFrame:
    """Themes one audience names more as a strength and another more as a problem (from
    :func:`cxstudy.voices.disagreements`), largest lead first, shares as percentages:
    each audience's share on its side and, next to it, on the other kind of question
    (audiences by their labels, given the ``study``)."""
    def shown(values) -> list[str]:
        return audiences(values, study) if study is not None else list(values)

    return pd.DataFrame({
        "Theme": clash["label"], "A strength for": shown(clash["says_strength"]),
        "share": clash["strength_share"].map(pct), "n": clash["strength_n"],
        "as a problem": clash["strength_problem_share"].map(pct),
        "A problem for": shown(clash["says_problem"]), "share ": clash["problem_share"].map(pct),
        "n ": clash["problem_n"], "as a strength": clash["problem_strength_share"].map(pct)})


def tone_display(tone: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The tone table (:func:`cxstudy.tone.tone_table`) as a reviewer reads it: answers
    scored and not, the mean tone with its interval, the gap to the reference with its
    interval and adjusted p, and, for a competition question, the shares good and bad."""
    competition = tone["good"].notna().any()
    texts = {q.id: q.question for q in study.open_ended}
    table = pd.DataFrame({
        "Question": [texts.get(q, q) for q in tone["question"]],
        "Audience": audiences(tone["group"], study),
        "n scored": tone["n_scored"], "not English": tone["n_unscored"],
        f"Mean tone ({study.interval_label})": [
            "–" if pd.isna(r.mean) else f"{_num(r.mean)} ({_num(r.mean_low)} to "
            f"{_num(r.mean_high)})" for r in tone.itertuples()],
        f"Gap to {study.label(study.reference)} ({unadjusted(study)})": [
            "–" if pd.isna(r.gap) else f"{_num(r.gap)} ({_num(r.gap_low)} to "
            f"{_num(r.gap_high)})" for r in tone.itertuples()],
        "p (adjusted)": tone["p_adjusted"].map(p_text)})
    if competition:
        for share in ("good", "bad"):
            table[f"{share.capitalize()} ({study.interval_label})"] = [
                "–" if pd.isna(value) else f"{pct(value)} ({interval(low, high)})"
                for value, low, high in zip(tone[share], tone[f"{share}_low"],
                                            tone[f"{share}_high"], strict=True)]
    return table.reset_index(drop=True)


def metric_gap_display(metric_gaps: pd.DataFrame, metrics: pd.DataFrame,
                       study: Study) -> pd.DataFrame:
    """Metric gaps formatted like the metrics: NPS and shares in points, CES in scale
    units, each with its unadjusted interval at the study's level; p-values as text
    ("< 0.001"), before and after the correction; metrics by their display names and
    audiences by their labels."""
    kinds = dict(zip(metrics["metric"], metrics["kind"], strict=False))
    named = dict(zip(metrics["metric"], metric_names(metrics), strict=True))

    def gap(row) -> str:
        if not in_points(row.kind):
            return f"{_num(row.gap)} ({_num(row.low)} to {_num(row.high)})"
        return f"{points(row.gap)} ({interval(row.low, row.high, as_points=True)})"

    return pd.DataFrame({
        "Metric": [named.get(m) or metric_name(m, kinds.get(m, ""))
                   for m in metric_gaps["metric"]],
        "Compared": [f"{study.label(g)} − {study.label(r)}" for g, r in zip(
            metric_gaps["group"], metric_gaps["reference"], strict=True)],
        f"Gap ({unadjusted(study)})": [gap(row) for row in metric_gaps.itertuples()],
        "p": metric_gaps["p_value"].map(p_text),
        "p (adjusted)": metric_gaps["p_adjusted"].map(p_text)})


def metric_names(table: pd.DataFrame) -> list[str]:
    """The display name of each row's metric (:func:`cxstudy.report.wording.metric_name`)
    of a table with ``metric`` and ``kind`` columns: a kind measured by one metric of the
    table is named by its label alone."""
    if not len(table):
        return []
    per_kind = table.groupby("kind", sort=False)["metric"].nunique()
    return [metric_name(m, k, alone=per_kind.get(k, 1) <= 1)
            for m, k in zip(table["metric"], table["kind"], strict=True)]


def _waves_shown(changes: pd.DataFrame) -> dict:
    """A "Waves" column only when the changes span more than one pair of waves: a column
    repeating one value says nothing (the page's heading names the pair)."""
    pairs = changes["from_wave"].astype(str) + " → " + changes["to_wave"].astype(str)
    return {"Waves": pairs} if pairs.nunique() > 1 else {}


def _before_after(before: float, after: float, shown) -> str:
    return "–" if pd.isna(before) and pd.isna(after) else f"{shown(before)} → {shown(after)}"


def trend_display(trends: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The change of each gap between two waves as a reviewer reads it: gaps and their
    change in signed points, each audience's share before and after as shares ("27% →
    30%"), audiences by their display names."""
    def change(value, low, high) -> str:
        return "–" if pd.isna(value) else f"{points(value)} ({interval(low, high, True)})"

    reference = whose(study.reference, study, escape=str)  # the table escapes its cells
    return pd.DataFrame({
        "Item": item_texts(trends, study), "Audience": audiences(trends["group"], study),
        **_waves_shown(trends),
        "Gap, points": [_before_after(r.gap_from, r.gap_to, points)
                        for r in trends.itertuples()],
        f"Change, points ({unadjusted(study)})": [
            change(r.change, r.change_low, r.change_high) for r in trends.itertuples()],
        "p (adjusted)": trends["p_adjusted"].map(p_text),
        "Audience's share": [_before_after(r.top_box_from, r.top_box_to, pct)
                             for r in trends.itertuples()],
        reference[:1].upper() + reference[1:] + " share": [
            _before_after(r.top_box_ref_from, r.top_box_ref_to, pct)
            for r in trends.itertuples()],
        "n (before / after)": [f"{r.n_from:,} / {r.n_to:,}" for r in trends.itertuples()],
        "Note": trends["note"].fillna("").replace("", "—")})


def change_display(changes: pd.DataFrame, study: Study, label: str) -> pd.DataFrame:
    """Dimension or metric changes between waves (``dimension_trends``, ``metric_trends``)
    as a reviewer reads them: a metric by its name (:func:`wording.metric_name`), a share
    as shares before and after ("27% → 30%") and its change in points, NPS in signed
    points, means (CES, a dimension's difference in mean score) in their units."""
    from .wording import metric_label

    is_metric = "metric" in changes and "dimension" not in changes

    def units(row) -> str:
        kind = getattr(row, "kind", None)
        return METRIC_KINDS[kind].units if kind in METRIC_KINDS else "scale"

    def value(row, number) -> str:
        if not is_metric:
            return _num(number)  # a difference in mean score: signed
        shown = {"share": pct, "points": points}.get(units(row), _mean)
        return shown(number)

    def change(row) -> str:
        if pd.isna(row.change):
            return "–"
        shown = points if units(row) in ("share", "points") else _num
        return f"{shown(row.change)} ({shown(row.change_low)} to {shown(row.change_high)})"

    rows = list(changes.itertuples())
    names = ([metric_label(study, m) for m in changes["metric"]] if is_metric
             else list(changes["dimension"]))
    return pd.DataFrame({
        label: names, "Audience": audiences(changes["group"], study),
        **_waves_shown(changes),
        "Before → after": [_before_after(r.value_from, r.value_to,
                                         lambda number, r=r: value(r, number)) for r in rows],
        (f"Change, points ({unadjusted(study)})" if rows and all(
            units(r) in ("share", "points") for r in rows) else
         f"Change ({unadjusted(study)})"): [change(r) for r in rows],
        "p (adjusted)": changes["p_adjusted"].map(p_text)}, index=changes.index)


def segment_display(segments: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The segment table as a reviewer reads it (suppressed cells show nothing; the note
    says why, naming the small level a hidden complement protects)."""
    def share(value, low, high) -> str:
        return "–" if pd.isna(value) else f"{pct(value)} ({interval(low, high)})"

    reference = study.label(study.reference)
    return pd.DataFrame({
        "Segment": segments["label"], "Level": segments["level"],
        "Item": item_texts(segments, study),
        "Audience": [study.label(g) + (" (all)" if c == "overall" else "")
                     for g, c in zip(segments["group"], segments["compared"], strict=True)],
        "n": segments["n"],
        f"Top box ({study.interval_label})": [share(r.top_box, r.top_box_low, r.top_box_high)
                                             for r in segments.itertuples()],
        f"n {reference}": segments["n_ref"],
        f"Top box, {reference}": [share(r.top_box_ref, r.top_box_ref_low,
                                        r.top_box_ref_high) for r in segments.itertuples()],
        f"Gap, points ({unadjusted(study)})": ["–" if pd.isna(r.gap) else
                             f"{points(r.gap)} ({interval(r.gap_low, r.gap_high, True)})"
                             for r in segments.itertuples()],
        "p (adjusted)": segments["p_adjusted"].map(p_text),
        "Note": segments["note"].replace("", "—")})


def segment_table_html(segments: pd.DataFrame, study: Study, *, open_up_to: int = 40,
                       csv: str = "tables/segments.csv"):
    """The segment table on the page, folded: a line saying how many rows it has (how
    many hidden for privacy) and where its CSV is, then the table (:func:`segment_display`)
    shown when the line is clicked; a table of at most ``open_up_to`` rows is shown open.
    """
    from IPython.display import HTML

    rows = len(segments)
    if not rows:
        return HTML("<p>No segment has levels to show.</p>")
    hidden = int(segments["suppressed"].astype(bool).sum())
    parts = [f"{segments['label'].nunique():,} segment"
             + ("s" if segments["label"].nunique() != 1 else ""),
             f"{segments['item'].nunique():,} item" + ("s" if segments["item"].nunique()
                                                       != 1 else ""),
             f"{segments['group'].nunique():,} audience" + (
                 "s" if segments["group"].nunique() != 1 else "") + " compared"]
    if hidden:
        parts.append(f"{hidden:,} hidden for privacy")
    link = html.escape(csv)
    summary = (f"The full table: {rows:,} row{'s' if rows != 1 else ''} "
               f"({', '.join(parts)}){' — click to show' if rows > open_up_to else ''}; "
               f'the same table is <a href="{link}">{link}</a>')
    return HTML(f"<details class='cx-details'{' open' if rows <= open_up_to else ''}>"
                f"<summary>{summary}</summary>"
                f"{table_html(segment_display(segments, study))}</details>")


def levels_display(segments: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Do the levels of a segment differ? Per (segment, item): does each audience's top
    box differ across levels (Pearson's chi-square p, for the audiences asked), and does
    each audience's gap to the reference (Cochran's Q, adjusted over the segments'
    family; the test the summary's "widest where" rests on)."""
    first = segments.drop_duplicates(["segment", "item", "group"])
    index = ["label", "text"]
    shares = first.pivot_table(index=index, columns="group", values="levels_p_value",
                               aggfunc="first", dropna=False, sort=False)
    by_item = first.drop_duplicates(["segment", "item"]).set_index(index)
    shares[study.reference] = by_item["levels_p_value_ref"]
    asked = [g for g in study.groups if g in shares.columns and shares[g].notna().any()]
    shares = shares.reindex(columns=asked).map(p_text)
    shares.columns = [f"{study.label(g)}: levels differ, unadjusted p" for g in asked]
    gaps = first.pivot_table(index=index, columns="group", values="gap_levels_p_adjusted",
                             aggfunc="first", dropna=False, sort=False)
    others = [g for g in study.others if g in gaps.columns]
    gaps = gaps.reindex(columns=others).map(p_text)
    gaps.columns = [f"Gap {study.label(g)}–{study.label(study.reference)} differs, "
                    "adjusted p" for g in others]
    table = pd.concat([shares, gaps], axis=1)
    table.index.names = ["Segment", "Item"]
    shown = table.reset_index()
    marked = dict(zip(first["text"], item_texts(first, study, counted=False), strict=True))
    shown["Item"] = shown["Item"].map(marked)
    return shown


def items_by_scale(study: Study, dimension: str) -> list[tuple[str, list[str]]]:
    """The items of a dimension grouped by answer scale: (title, item ids) per scale, so
    that each chart of answer distributions has one legend that is right for its items."""
    members = [i for i in study.items if i.dimension == dimension]
    scales = list(dict.fromkeys(i.scale for i in members))
    return [(dimension if len(scales) == 1
             else f"{dimension} ({scale_name(study.scales[scale])})",
             [i.id for i in members if i.scale == scale]) for scale in scales]


def callout(sentences: list[str]):
    """HTML-safe sentences in the report's highlighted box (nothing when there are none)."""
    from IPython.display import HTML

    return HTML("<div class='cx-callout'>" + "<br><br>".join(sentences) + "</div>"
                if sentences else "")


def similarity_display(similarity: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The similarity of each pair of audiences' answers to each question (from
    :func:`cxstudy.voices.voice_similarity`), with its interval and the themes each
    names; suppressed pairs show a dash and say why."""
    texts = {q.id: q.question for q in study.open_ended}

    def value(row) -> str:
        if bool(row.suppressed) or pd.isna(row.similarity):
            return "–" if not bool(row.suppressed) else study.suppression_note()
        return f"{row.similarity:.2f}"

    def ci(row) -> str:
        return ("–" if pd.isna(row.similarity_low) else
                f"{row.similarity_low:.2f} to {row.similarity_high:.2f}")

    def named(value) -> str:
        return "–" if pd.isna(value) else f"{int(value)}"

    return pd.DataFrame({
        "Question": [texts.get(q, q) for q in similarity["question"]],
        "Audiences": [f"{study.label(a)} and {study.label(b)}" for a, b in zip(
            similarity["group"], similarity["other"], strict=True)],
        "n": [f"{int(a):,} / {int(b):,}" for a, b in zip(similarity["n"],
                                                         similarity["n_other"], strict=True)],
        "Similarity": [value(r) for r in similarity.itertuples()],
        study.interval_label: [ci(r) for r in similarity.itertuples()],
        "Themes named (each / both)": [
            f"{named(r.named)} / {named(r.named_other)} / {named(r.named_both)}"
            for r in similarity.itertuples()]})


def choice_display(choices: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The option gaps as a reviewer reads them: shares next to n and intervals."""
    return pd.DataFrame({
        "Question": choices["text"],
        "Option": choices["option"],
        "Audience": audiences(choices["group"], study),
        **_share_and_gap(choices, study, "share", "Share"),
        "Note": choices["note"].replace("", "—"),
    })


def choice_test_display(tests: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Whether the audiences' answers differ, per question (and per option of a
    check-all-that-apply question)."""
    texts = {c.id: c.text for c in study.choices}
    return pd.DataFrame({
        "Question": [texts.get(q, q) for q in tests["question"]],
        "Option": tests["option"].replace("", "(all options)"),
        "Audiences": [" vs ".join(study.labels(str(g).split(" vs "))) if g else g
                      for g in tests["groups"]],
        "n": tests["n"],
        "X²": ["–" if pd.isna(v) else f"{v:.1f}" for v in tests["statistic"]],
        "df": ["–" if pd.isna(v) else f"{v:.0f}" for v in tests["df"]],
        "p (adjusted)": [p_text(p) for p in tests["p_adjusted"]],
        "Test": [m or n or "–" for m, n in zip(tests["method"], tests["note"].fillna(""),
                                               strict=True)],
    })


def dimension_charts(study: Study) -> list[tuple[str, list[str]]]:
    """The dimensions the Gaps page draws a share chart of, with their items: every
    dimension but one whose items are all headline items, each already drawn on its own
    chart above it (the example's "Overall" holds its one headline item: drawn twice
    otherwise)."""
    drawn = set(headline_items(study))
    charts = [(d, [i.id for i in study.items if i.dimension == d]) for d in study.dimensions]
    return [(d, items) for d, items in charts if not set(items) <= drawn]


def theme_chart_note(themes: pd.DataFrame, study: Study, question: str,
                     wave: str | None = None) -> str:
    """Markdown saying why a question of the Voices page has no theme chart
    (:func:`cxstudy.plots.theme_dots` draws none): nobody answered it in the wave shown
    (not asked in that wave), or every audience gave fewer answers than the minimum group
    size; ``""`` when it has a chart, or when the question's ``waves:`` leave it out of
    the wave (:func:`cxstudy.report.absent_questions_note` names those)."""
    from .wording import md

    spec = next(q for q in study.open_ended if q.id == question)
    part = themes[themes["question"] == question] if len(themes) else themes
    if not spec.asked_in(wave) and not len(part):
        return ""
    if len(part) and part["share"].notna().any():
        return ""
    in_wave = f" in wave {md(wave)}" if wave is not None and study.waves else ""
    if not len(part) or part.drop_duplicates("group")["n"].fillna(0).sum() == 0:
        return (f"“{md(spec.question)}”: no answers{in_wave} (not asked"
                f"{' in that wave' if in_wave else ''}), so no chart.")
    return (f"“{md(spec.question)}”: every audience gave fewer than {study.min_group_size} "
            f"answers{in_wave}, too few to show, so no chart.")

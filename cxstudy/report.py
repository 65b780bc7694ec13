"""What the report notebooks call: locating the study, loading cleaned data, and
turning tables into sentences and readable tables.

Everything here returns data (frames, strings); the notebooks display it. Text
that comes from a study file or from respondents is HTML-escaped before it is put
into HTML or Markdown.
"""

from __future__ import annotations

import contextlib
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .clean import clean, write_processed
from .readers import read_sources
from .study import Study, load_study

# ---------------------------------------------------------------------------
# notebook set-up


def notebook_setup() -> None:
    """Report style for matplotlib, and alt text for figures shown with ``plt.show()``.

    A figure made by :mod:`cxstudy.plots` carries ``cx_alt``; the PNG published
    for it gets that text as ``alt`` metadata, which JupyterLab and the report's
    HTML template use as the image's alt text.
    """
    import matplotlib.pyplot as plt  # noqa: F401 - activates the inline backend first
    from IPython import get_ipython
    from matplotlib.figure import Figure

    from . import plots

    plots.style()
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_colwidth", 80)
    shell = get_ipython()
    if shell is None:
        return
    with contextlib.suppress(ImportError):  # the inline backend registers its own PNG
        import matplotlib_inline.backend_inline  # noqa: F401 - formatter on load: load it now
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_alt)


def _png_with_alt(fig) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # constrained layout already fits; "tight" redraws
    title = fig.axes[0].get_title() if fig.axes else "Figure"
    return buffer.getvalue(), {"alt": getattr(fig, "cx_alt", None) or f"Figure: {title}"}


def locate(path: str | Path) -> Path:
    """Find a study file given relative to the project root, from wherever the
    notebook runs (JupyterLab: ``notebooks/``; papermill and nbval: elsewhere)."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / path).exists():
            return (folder / path).resolve()
    raise FileNotFoundError(f"study file {path} not found from {Path.cwd()} or its parents; "
                            "give the study parameter as a path from the project root")


# ---------------------------------------------------------------------------
# loading


@dataclass
class StudyData:
    """A study with its cleaned responses and cleaning log."""

    study: Study
    responses: pd.DataFrame
    log: pd.DataFrame
    sources: pd.DataFrame


def load(study_path: str | Path, processed: str | Path = "") -> StudyData:
    """Load a study and its cleaned data.

    Reads ``responses.parquet``, ``cleaning_log.csv`` and ``sources.csv`` from
    ``processed`` (the folder ``cxstudy run`` wrote); with ``processed=""`` from the
    study's own ``data/processed/<slug>/`` when it is newer than the study file
    and every export, otherwise the exports are read and cleaned now (nothing is
    written).
    """
    study = load_study(locate(study_path))
    folder = Path(processed) if processed else study.processed_dir
    files = [folder / name for name in ("responses.parquet", "cleaning_log.csv",
                                        "sources.csv")]
    inputs = [study.path, *(s.path for s in study.sources)]
    fresh = all(f.exists() for f in files) and (bool(processed) or min(
        f.stat().st_mtime for f in files) >= max(p.stat().st_mtime for p in inputs
                                                 if p.exists()))
    if fresh:
        responses = pd.read_parquet(files[0])
        log = pd.read_csv(files[1], keep_default_na=False,
                          dtype={"respondent_id": str, "group": str})
        sources = pd.read_csv(files[2])
    else:
        raw = read_sources(study)
        result = clean(raw, study)
        responses, log = result.responses, result.log
        sources = source_table(raw, result.log, study)
    responses["group"] = pd.Categorical(responses["group"], categories=list(study.groups))
    return StudyData(study, responses, log, sources)


def source_table(raw: pd.DataFrame, log: pd.DataFrame, study: Study) -> pd.DataFrame:
    """One row per export: file, format, audience, rows read and kept."""
    kept = log.groupby("source")["kept"].agg(["size", "sum"])
    rows = []
    for source in study.sources:
        info = raw.attrs["sources"][source.name]
        rows.append({"source": source.name, "file": Path(info["path"]).name,
                     "format": info["format"],
                     "audience": source.group or f"from column {source.group_column}",
                     "rows": int(kept.loc[source.name, "size"]),
                     "kept": int(kept.loc[source.name, "sum"])})
    return pd.DataFrame(rows)


def write_all(raw: pd.DataFrame, result, study: Study, folder: Path) -> Path:
    """Write processed data plus ``sources.csv`` (used by the data-quality page)."""
    from .clean import _atomic_write

    write_processed(result, study, folder)
    table = source_table(raw, result.log, study)
    _atomic_write(folder / "sources.csv", lambda p: table.to_csv(p, index=False))
    return folder


# ---------------------------------------------------------------------------
# words and tables for the pages


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


def metric_display(metrics: pd.DataFrame) -> pd.DataFrame:
    """Metrics as a reviewer reads them: NPS in points, shares in %, CES in scale units."""
    def value(row):
        if pd.isna(row.value):
            return "–"
        if row.metric.startswith("nps"):
            return f"{100 * row.value:+.0f} ({100 * row.low:+.0f} to {100 * row.high:+.0f})"
        if row.metric.startswith(("csat",)) or row.metric.endswith("_low_effort"):
            return f"{pct(row.value)} ({interval(row.low, row.high)})"
        return f"{row.value:.2f} ({row.low:.2f} to {row.high:.2f})"

    names = {"nps": "NPS (points)", "csat": "CSAT (top-box)", "ces": "CES (mean effort score)"}
    return pd.DataFrame({
        "Metric": [names.get(m, m.upper().replace("_LOW_EFFORT", ": low effort (top-box)"))
                   for m in metrics["metric"]],
        "Audience": metrics["group"],
        **({"Wave": metrics["wave"]} if "wave" in metrics else {}),
        "n": metrics["n"],
        "Value (95% CI)": [value(r) for r in metrics.itertuples()]})


def weights_display(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Spread of the weights and the design effect of the weighted audience."""
    from .weights import weight_summary

    if study.weights is None:
        return pd.DataFrame()
    summary = weight_summary(responses, study.weights.group)
    return pd.DataFrame([{
        "Audience": study.weights.group, "n": summary["n"],
        "Smallest weight": round(summary["min"], 3), "Median": round(summary["median"], 3),
        "Largest": round(summary["max"], 3), "CV": round(summary["cv"], 3),
        "Effective n (Kish)": round(summary["n_eff"], 1),
        "Design effect": round(summary["design_effect"], 3),
        "Raked to": ", ".join(study.weights.margins) or "—",
        "Trimmed at": (f"{study.weights.trim:g} x mean" if study.weights.trim else "—")}])


def gap_display(gaps: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The gap table as a reviewer reads it: estimates next to n and intervals."""
    table = pd.DataFrame({
        "Item": gaps["text"],
        "Audience": gaps["group"],
        "n": gaps["n"],
        "Agree": [f"{pct(r.top_box)} ({interval(r.top_box_low, r.top_box_high)})"
                  for r in gaps.itertuples()],
        f"n {study.reference}": gaps["n_ref"],
        f"Agree, {study.reference}": [
            f"{pct(r.top_box_ref)} ({interval(r.top_box_ref_low, r.top_box_ref_high)})"
            for r in gaps.itertuples()],
        "Gap, points (CI)": [f"{points(r.gap)} ({interval(r.gap_low, r.gap_high, True)})"
                             for r in gaps.itertuples()],
        "p (adjusted)": [f"{p_text(r.p_adjusted)} ({r.test})" if r.test else "–"
                         for r in gaps.itertuples()],
        "Cohen's h": gaps["cohens_h"].round(2),
        "Mean diff (CI)": [
            "–" if pd.isna(r.mean_diff) else
            f"{_num(r.mean_diff)} ({_num(r.mean_diff_low)} to {_num(r.mean_diff_high)})"
            for r in gaps.itertuples()],
        "Cliff's δ (CI)": [
            "–" if pd.isna(r.cliffs_delta) else
            f"{_num(r.cliffs_delta)} ({_num(r.cliffs_delta_low)} to "
            f"{_num(r.cliffs_delta_high)})" for r in gaps.itertuples()],
        "Note": gaps["note"].replace("", "—"),
    })
    return table


def _num(value: float) -> str:
    return "–" if pd.isna(value) else f"{round(value, 2) + 0.0:+.2f}"  # no "-0.00"


def largest_gaps(gaps: pd.DataFrame, study: Study, top: int = 5) -> pd.DataFrame:
    """Items with the largest absolute gaps whose adjusted p is below 1 - confidence."""
    alpha = 1 - study.confidence
    usable = gaps[~gaps["suppressed"] & (gaps["p_adjusted"] < alpha)]
    chosen = usable.reindex(usable["gap"].abs().sort_values(ascending=False).index).head(top)
    return gap_display(chosen, study)[["Item", "Audience", "n", "Agree",
                                       f"Agree, {study.reference}", "Gap, points (CI)",
                                       "p (adjusted)"]].reset_index(drop=True)


def agreements(gaps: pd.DataFrame, study: Study, within: float = 0.10) -> pd.DataFrame:
    """Items where no audience differs from the reference: every audience's gap is
    under ``within`` (10 points) and not significant after correction. Intervals are
    shown: with small audiences "no difference found" is not proof of agreement."""
    alpha = 1 - study.confidence
    usable = gaps[~gaps["suppressed"]]
    close = usable.groupby("item").filter(
        lambda rows: (rows["gap"].abs() < within).all() and (rows["p_adjusted"] >= alpha).all()
        and len(rows) == len(study.groups) - 1)
    return gap_display(close, study)[["Item", "Audience", "n", "Agree",
                                      f"Agree, {study.reference}",
                                      "Gap, points (CI)"]].reset_index(drop=True)


def quality_line(log: pd.DataFrame, sources: pd.DataFrame) -> str:
    """Data quality in one sentence: rows read, kept, and dropped by reason."""
    dropped = log.loc[~log["kept"].astype(bool), "reason"].value_counts()
    reasons = ", ".join(f"{count:,} {reason.replace('_', ' ')}" for reason, count in
                        dropped.items())
    return (f"{len(log):,} responses read from {len(sources)} export(s); "
            f"{int(log['kept'].astype(bool).sum()):,} kept"
            + (f", {int(dropped.sum()):,} dropped ({reasons})." if len(dropped) else "."))


def rows_by_rule(log: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Rows in, dropped by each rule, and kept, per audience (a table)."""
    frame = log.assign(reason=log["reason"].replace("", "kept"),
                       group=log["group"].replace("", "(no group)").fillna("(no group)"))
    table = pd.crosstab(frame["reason"], frame["group"], margins=True, margins_name="total")
    order = [g for g in [*study.groups, "(no group)", "total"] if g in table.columns]
    from .clean import RULES

    labels = {rule.reason: rule.label for rule in RULES} | {"kept": "kept", "total": "total"}
    table = table.loc[[r for r in labels if r in table.index], order]
    table.index = [labels[r] for r in table.index]
    table.index.name = "rows"
    return table


def not_checked(log: pd.DataFrame) -> pd.DataFrame:
    """Rules skipped for a source because its export lacks the column (from the log)."""
    notes = log.loc[log["detail"].str.contains("not checked:", na=False), ["source", "detail"]]
    if notes.empty:
        return pd.DataFrame(columns=["source", "rule not applied"])
    parts = notes.assign(detail=notes["detail"].str.split("; ")).explode("detail")
    parts = parts[parts["detail"].str.startswith("not checked:")]
    parts["rule not applied"] = parts["detail"].str.removeprefix("not checked: ")
    return parts[["source", "rule not applied"]].drop_duplicates().reset_index(drop=True)


def missing_by_item(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Share of each audience without an answer to each item."""
    table = pd.DataFrame({
        group: [responses.loc[responses["group"] == group, i.id].isna().mean()
                for i in study.items if i.id in responses.columns]
        for group in study.groups},
        index=[i.text for i in study.items if i.id in responses.columns])
    return table.map(lambda v: pct(v))


def suppressed_note(shares: pd.DataFrame, study: Study) -> str:
    hidden = shares[shares["suppressed"]]
    if hidden.empty:
        return ""
    groups = ", ".join(sorted(set(hidden["group"])))
    return (f"Not shown: {len(hidden)} estimate(s) for {groups} resting on fewer than "
            f"{study.min_group_size} respondents.")


def dimension_display(dimensions: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Dimension gaps with alpha, as a reviewer reads them."""
    def alpha_text(value, low, high):
        return "–" if pd.isna(value) else f"{value:.2f} ({low:.2f} to {high:.2f})"

    return pd.DataFrame({
        "Dimension": dimensions["dimension"],
        "Items": dimensions["items"],
        "Audience": dimensions["group"],
        "n": dimensions["n"],
        "Mean": dimensions["mean"].round(2),
        f"n {study.reference}": dimensions["n_ref"],
        f"Mean, {study.reference}": dimensions["mean_ref"].round(2),
        "Difference (CI)": [
            "–" if pd.isna(r.mean_diff) else
            f"{r.mean_diff:+.2f} ({r.mean_diff_low:+.2f} to {r.mean_diff_high:+.2f})"
            for r in dimensions.itertuples()],
        "p (adjusted)": dimensions["p_adjusted"].map(p_text),
        "Alpha (CI)": [alpha_text(r.alpha, r.alpha_low, r.alpha_high)
                       for r in dimensions.itertuples()],
        f"Alpha, {study.reference}": [alpha_text(r.alpha_ref, r.alpha_ref_low,
                                                 r.alpha_ref_high)
                                      for r in dimensions.itertuples()],
        "Note": dimensions["note"].replace("", "—"),
    })


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


def table_html(frame: pd.DataFrame, *, index: bool = False) -> str:
    """An HTML table for the report pages: every cell escaped, prose columns wrap,
    figures stay on one line and align right."""
    if index:
        frame = frame.reset_index()
    prose = {c for c in frame.columns
             if frame[c].dtype == object and frame[c].astype(str).str.len().max() > 24
             and not frame[c].astype(str).str.match(r"^[<+\-–\d.%( ]").all()}
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


def display_table(frame: pd.DataFrame, *, index: bool = False):
    """Show :func:`table_html` in a notebook."""
    from IPython.display import HTML

    return HTML(table_html(frame, index=index))


def nan_to_dash(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.replace({np.nan: "–"})

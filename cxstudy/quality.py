"""What cleaning did and what the responses lack, as small tables.

The data-quality page shows these; ``cxstudy run`` makes them once from the cleaning
log (one row per input row) and the responses and hands them to the page, so a page of a
million-respondent study reads neither.
"""

from __future__ import annotations

import pandas as pd

from .model import Study
from .tables import too_small

EXAMPLE_COLUMNS = ["source", "source_row", "group", "reason", "detail"]


def dropped_by_reason(log: pd.DataFrame) -> pd.Series:
    """Rows dropped by each rule (``reason`` -> rows), most first."""
    return log.loc[~log["kept"].astype(bool), "reason"].value_counts()


def rows_by_rule(log: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Rows in, dropped by each rule, and kept, per audience (a table). The totals have a
    key no audience can have (an audience may well be called "total")."""
    from .clean import RULES

    every = "\x00every"  # the margin's key, shown as "all rows"
    frame = log.assign(reason=log["reason"].replace("", "kept"),
                       group=log["group"].replace("", "\x00none").fillna("\x00none"))
    table = pd.crosstab(frame["reason"], frame["group"], margins=True, margins_name=every)
    order = [g for g in [*study.groups, "\x00none", every] if g in table.columns]
    labels = {rule.reason: rule.label for rule in RULES} | {"kept": "kept", every: "all rows"}
    table = table.loc[[r for r in labels if r in table.index], order]
    table.index = [labels[r] for r in table.index]
    table.columns = [{"\x00none": "(no audience)", every: "all rows"}.get(c, c)
                     for c in table.columns]
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


def dropped_examples(log: pd.DataFrame, per_reason: int = 3) -> pd.DataFrame:
    """The first ``per_reason`` dropped rows of each rule, with why (log columns)."""
    dropped = log[~log["kept"].astype(bool)]
    return dropped.groupby("reason").head(per_reason)[EXAMPLE_COLUMNS]


def missing_shares(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Share of each audience that left each item unanswered: one row per item (its id),
    one column per audience. Audiences below the minimum group size are left out: their
    shares would reveal their answers."""
    items = [i.id for i in study.items if i.id in responses.columns]
    missing = responses[items].isna().groupby(responses["group"].astype(object),
                                              sort=False).mean()
    sizes = responses["group"].value_counts()
    shown = [g for g in study.groups
             if not too_small(int(sizes.get(g, 0)), study) and g in missing.index]
    return missing.loc[shown].T.rename_axis(index="item", columns=None).astype(float)


def weights_display(responses: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Spread of the weights and the design effect of the weighted audience (per wave in
    a study with waves: each wave is raked on its own)."""
    from .waves import one_wave, waves_in
    from .weights import weight_summary

    if study.weights is None:
        return pd.DataFrame()
    waves = waves_in(responses, study)
    parts = [(wave, one_wave(responses, wave)) for wave in waves] or [(None, responses)]
    return pd.DataFrame([_weights_row(weight_summary(part, study.weights.group), study, wave)
                         for wave, part in parts])


def _weights_row(summary: dict, study: Study, wave: str | None) -> dict:
    return {
        **({"Wave": wave} if wave is not None else {}),
        "Audience": study.label(study.weights.group), "n": summary["n"],
        "Smallest weight": round(summary["min"], 3), "Median": round(summary["median"], 3),
        "Largest": round(summary["max"], 3), "CV": round(summary["cv"], 3),
        "Effective n (Kish)": round(summary["n_eff"], 1),
        "Design effect": round(summary["design_effect"], 3),
        "Raked to": ", ".join(study.weights.margins) or "—",
        "Trimmed at": (f"{study.weights.trim:g} x mean" if study.weights.trim else "—")}

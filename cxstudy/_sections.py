"""The study file, section by section: which keys each section takes, and one parser each.

Every parser reads one section of the parsed YAML into model objects and records what is
wrong in a shared :class:`~cxstudy._validate.Collector`, so that all problems of a study
file are reported together. :data:`SECTIONS` is the one list of keys: the parsers check
against it and ``docs/study-file.md`` is generated from it (``scripts/make_docs.py``).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._validate import Collector, describe, did_you_mean
from .formats import FORMATS
from .limits import not_a_file
from .metrics import METRIC_KINDS
from .model import (
    MISSING_CATEGORY,
    RESERVED_COLUMNS,
    AttentionCheck,
    Choice,
    ChoiceOption,
    Cleaning,
    Deliverables,
    Estimate,
    Exclusion,
    Item,
    Metric,
    OpenEnded,
    Segment,
    SeriesBreak,
    Source,
    Weights,
)
from .points import SPLIT_KINDS
from .scales import Scale, normalize

CORRECTIONS = ["holm", "fdr_bh", "none"]
DUPLICATE_RULES = ["id", "answers", "none"]
ROLES = ["strength", "problem", "competition", "next", "other"]
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")  # \Z: "acme\n" is no slug
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Key:
    """One key a section of the study file takes: its default (as written in YAML,
    ``required`` when it has none) and what it means."""

    name: str
    default: str
    meaning: str


# section -> keys; a section name is how a key path starts (``sources[i].group``)
SECTIONS: dict[str, tuple[Key, ...]] = {
    "(top level)": (
        Key("study", "required", "title shown in reports"),
        Key("slug", "required", "folder name under data/processed/ and reports/: lower-case "
            "letters, digits, - and _"),
        Key("confidence", "0.95", "interval level, from 0.5 up to (not including) 1"),
        Key("correction", "holm", "multiple comparisons over each table: holm | fdr_bh | none"),
        Key("min_group_size", "5", "any figure resting on fewer respondents is suppressed"),
        Key("agreement_margin", "0.10", "audiences agree on an item when the whole (1 − 2α) "
            "interval of every gap lies within ± this margin (equivalence)"),
        Key("sources", "required", "the exports, one entry each (see sources[])"),
        Key("waves", "none", "the waves in order (e.g. [\"2025\", \"2026\"]); every source then "
            "names its wave, and no estimate pools two waves"),
        Key("groups", "the sources' groups, in order", "the audiences, in display order "
            "(required when a source takes them from group_column); an entry may be "
            "{id: fans, label: Star Wars fans}: the id names the audience in the study file "
            "and the CSVs, the label is what pages, workbook and deck show"),
        Key("subject", "the customer experience", "what the study asks about, as pages name "
            "it: \"How far what leadership believe about <subject> …\""),
        Key("reference", "the last group", "gaps are audience minus reference"),
        Key("pii_columns", "[]", "columns with personal data: never copied to processed data "
            "or reports; their values are masked inside open answers"),
        Key("scales", "{}", "answer scales by id (see scales.<id>)"),
        Key("items", "[]", "the statements asked of every audience (see items[])"),
        Key("metrics", "{}", "CX metrics by id: nps, ces, csat (see metrics.<id>)"),
        Key("estimates", "[]", "leaders' and staff's estimates of the reference's top-box "
            "share (see estimates[])"),
        Key("weights", "none", "rake one audience to known margins (see weights)"),
        Key("segments", "[]", "ways to split the audiences: region, channel, tenure (see "
            "segments[])"),
        Key("open_ended", "[]", "open-ended questions (see open_ended[])"),
        Key("themes", "none", "theme codebook for open answers, relative to the study file "
            "(its format: Theme codebook, below); without one the answers are shown uncoded"),
        Key("importance", "derived against the headline item, else NPS", "importance: "
            "{against: ID}: the outcome (a metric or item id) importance is derived from"),
        Key("cleaning", "conservative defaults", "cleaning rules (see cleaning)"),
        Key("deliverables", "workbook and deck", "what a run writes beside the pages: "
            "tables.xlsx and deck.pptx (see deliverables)"),
    ),
    "sources[]": (
        Key("path", "required", "the export, relative to the study file's folder"),
        Key("format", "detected", " | ".join(FORMATS)),
        Key("group", "—", "every row of this export belongs to this audience"),
        Key("group_column", "—", "or: the audience comes from this column's values"),
        Key("group_map", "—", "with group_column: raw value -> audience (\"\": audience maps "
            "blank values)"),
        Key("id_column", "detected (ResponseId, id, ...)", "respondent id column"),
        Key("sheet", "first sheet", "xlsx: sheet name or number"),
        Key("wave", "— (required when the study has waves)", "the wave this export belongs to"),
        Key("name", "file name without extension", "how the cleaning log names this source"),
        Key("duration_column", "detected", "seconds taken (for the speeder rule)"),
        Key("finished_column", "detected (Finished)", "completion flag (for require_finished)"),
        Key("rename", "{}", "export header -> the name columns: use, applied as the export is "
            "read (a 2016 export spells out what 2014 called leave: {\"Would it be easy to "
            "take leave?\": leave})"),
        Key("sheet_size", "—", "each row is one group's sheet (a workshop): this column says "
            "how many people wrote it, and the sheet weighs that many"),
    ),
    "scales.<id>": (
        Key("labels", "—", "text answers, lowest first; coded 1..k"),
        Key("values", "—", "numeric answers, lowest first (with labels: one value per label; "
            "labels that share a value are one point, e.g. [1, 2, 2, 3])"),
        Key("top_box", "2", "how many of the highest points count as top box"),
        Key("missing", "[]", "answers that mean no answer (Don't know, 0, NA, N/A)"),
        Key("aliases", "{}", "variant wording -> a label of the scale, e.g. {Agree strongly: "
            "Strongly agree, Mostly agree: Agree}: the answer is kept, coded as that label"),
        Key("top_box_label", "built from the top-box points", "how sentences say an "
            "audience chose the top box, e.g. agree, are satisfied"),
        Key("bottom_box_label", "built from the bottom points", "how sentences say an "
            "audience chose the bottom box (as many points as top_box), which is what a "
            "reversed item counts, e.g. disagree, are dissatisfied"),
    ),
    "items[]": (
        Key("id", "required", "identifier: names the column in processed data"),
        Key("text", "required", "the statement as asked, shown in reports"),
        Key("scale", "required", "id of the item's scale"),
        Key("dimension", "Overall", "the dimension the item belongs to"),
        Key("headline", "false", "an item of the executive summary's headline"),
        Key("columns", "—", "audience -> export column"),
        Key("column", "—", "or: one column name shared by every audience"),
        Key("reverse", "false", "reverse-code (k + 1 - code)"),
        Key("importance", "—", "id of the item that asks how important this one is"),
        Key("waves", "every wave", "the waves the item was asked in; blank (not zero) in "
            "the others, where its column need not exist"),
        Key("break", "none", "{wave: W, reason: TEXT}: the scale or wording changed from wave "
            "W on; no change is computed across it and the Trends page says why"),
    ),
    "metrics.<id>": (
        Key("kind", "the id when it is nps, ces or csat", "nps | ces | csat"),
        Key("columns", "—", "audience -> export column"),
        Key("column", "—", "or: one column shared by every audience"),
        Key("scale", "— (required for ces, csat)", "id of the answer scale"),
        Key("waves", "every wave", "the waves it was asked in (as for items[].waves)"),
    ),
    "estimates[]": (
        Key("item", "required", "id of the item whose reference share is estimated (0-100): "
            "the share its top box counts; of a reverse: true item, the share choosing its "
            "lowest points (bottom_box_label)"),
        Key("columns", "—", "audience -> export column"),
        Key("column", "—", "or: one column shared by every audience"),
        Key("waves", "every wave", "the waves it was asked in (as for items[].waves)"),
    ),
    "open_ended[]": (
        Key("id", "required", "identifier: names the column in processed data"),
        Key("question", "required", "the question as asked"),
        Key("role", "other", "what the question asks: strength | problem | competition | next "
            "| other (disagreements are themes one audience names more as a strength, "
            "another more as a problem)"),
        Key("columns", "—", "audience -> export column"),
        Key("column", "—", "or: one column shared by every audience"),
        Key("waves", "every wave", "the waves it was asked in (as for items[].waves)"),
        Key("split", "— (one answer per cell)", "points: a cell holds several points (lines, "
            "bullets, numbers, semicolons), each coded on its own; shares are of sheets"),
    ),
    "segments[]": (
        Key("id", "required", "identifier: names the column in processed data"),
        Key("label", "the id", "how the report names the segment"),
        Key("columns", "—", "audience -> export column, for the audiences that were asked"),
        Key("column", "—", "or: one column shared by every audience"),
        Key("map", "—", "raw value -> level; every value in the data must be mapped"),
        Key("order", "levels as first seen", "the display order of the levels"),
        Key("bins", "—", "numeric columns: cut points, lowest first; bands [a, b) and the "
            "last [a, b]"),
        Key("waves", "every wave", "the waves it was asked in (as for items[].waves)"),
        Key("other", "— (no pooling)", "a level name, e.g. \"Other / not stated\": levels with "
            "fewer than min_group_size respondents in an audience asked the segment are "
            "pooled into it, shown together rather than hidden (a pool still that small is "
            "hidden); or {label: NAME, levels: [...]} to pool those levels too, whatever "
            "their size, so that a small level's pool is large enough to show and no other "
            "level need be hidden to protect it"),
    ),
    "weights": (
        Key("group", "required", "the audience to weight"),
        Key("margins", "required unless column", "column -> {category: target share}; shares "
            "sum to 1; the category \"(missing)\" names respondents who left the column blank"),
        Key("trim", "5", "cap weights at this many times the mean weight (false: no cap)"),
        Key("column", "—", "a design-weight column of the export, raked further by margins"),
    ),
    "cleaning": (
        Key("require_finished", "true", "drop responses the export marks unfinished"),
        Key("drop_preview", "true", "drop Qualtrics survey-preview and test responses"),
        Key("duplicates", "id", "id | answers | none: what makes a repeated response"),
        Key("min_duration_ratio", "0 (off)", "speeders: faster than this fraction of their "
            "audience's median duration"),
        Key("straightline_min_items", "0 (off)", "straightliners: one answer on at least this "
            "many items of one scale"),
        Key("attention_checks", "[]", "checks that drop wrong answers (see "
            "cleaning.attention_checks[])"),
        Key("unknown_labels", "error", "error | missing: answers no scale knows"),
        Key("exclude", "[]", "rows that are not part of the study, logged as excluded before "
            "any other rule (see cleaning.exclude[])"),
    ),
    "deliverables": (
        Key("workbook", "true", "write tables.xlsx: every table as a sheet"),
        Key("deck", "true", "write deck.pptx: the findings as slides"),
        Key("deck_template", "python-pptx's default", "a client's .pptx, relative to the "
            "study file, whose layouts and theme the deck uses; it needs the layouts Title "
            "Slide and Title Only"),
    ),
    "cleaning.attention_checks[]": (
        Key("columns", "—", "audience -> export column"),
        Key("column", "—", "or: one column shared by every audience"),
        Key("expect", "required", "the answer (or list of answers) that passes"),
    ),
    "cleaning.exclude[]": (
        Key("column", "required", "the export column the rule reads"),
        Key("values", "—", "the value (or list of values) that excludes a row; compared "
            "without case and spacing"),
        Key("blank", "false", "true: a blank cell (empty or spaces) excludes the row"),
        Key("sources", "every source", "only rows of these sources (their name: or path:)"),
        Key("groups", "every audience", "only rows of these audiences"),
    ),
}

# nominal questions (choices:), kept apart from the sections above
SECTIONS["(top level)"] += (
    Key("choices", "[]", "nominal questions mirrored across audiences: pick one, or check "
        "all that apply (see choices[])"),
)
SECTIONS["choices[]"] = (
    Key("id", "required", "identifier: each option becomes a 0/1 column <id>::<option> of "
        "the processed data"),
    Key("text", "required", "the question as asked, shown in reports"),
    Key("multiple", "false", "true: check all that apply; false: pick one"),
    Key("options", "required", "the options in display order: labels, or {label: ..., "
        "aliases: [...]} with other spellings in the exports"),
    Key("columns", "—", "audience -> export column: one cell per respondent (\"A, B\" or "
        "\"A; B\" for check all that apply), or for one column per option a list of columns "
        "or a pattern with * (Q5_*)"),
    Key("column", "—", "or: one column (list, or pattern) shared by every audience"),
    Key("other", "—", "the \"other (please specify)\" text column (a name shared by every "
        "audience, or audience -> column), read as an open answer"),
    Key("unmatched", "error", "an option label: answers matching no option count as it "
        "(e.g. Other), and any answer in its own option column selects it; error: they "
        "are listed as problems"),
    Key("none", "—", "check all that apply: the option that means \"none of these\" (a "
        "respondent who ticks it answered; one who ticks nothing did not)"),
    Key("waves", "every wave", "the waves the question was asked in; blank (not zero) in "
        "the others"),
)


def keys_of(section: str) -> list[str]:
    """The key names a section takes."""
    return [key.name for key in SECTIONS[section]]


@dataclass
class Context:
    """What a section needs from those parsed before it."""

    base: Path
    groups: list[str] = field(default_factory=list)
    waves: list[str] = field(default_factory=list)
    pii_columns: tuple[str, ...] = ()
    raw_scales: dict = field(default_factory=dict)
    item_ids: list[str] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)
    sources: list[Source] = field(default_factory=list)

    def claim(self, c: Collector, identifier: str | None, where: str) -> None:
        """Items, metrics, estimates and open-ended questions name columns: ids are unique."""
        if identifier is None:
            return
        if identifier in self.used_ids:
            c.add(where, f"id {identifier!r} used twice", "items, metrics and open-ended "
                  "questions each need their own id (they name columns)")
        self.used_ids.add(identifier)


# ---------------------------------------------------------------------------
# shared pieces


def columns(c: Collector, spec: dict, where: str, groups: list[str]) -> dict[str, str]:
    """Read ``columns: {group: column}`` or ``column: name`` into group -> column."""
    if "column" in spec and "columns" in spec:
        c.add(where, "both column and columns", "give one: column (shared by every audience) "
              "or columns (audience -> column)")
    if spec.get("column") is not None:
        column = spec["column"]
        if not isinstance(column, str | int) or isinstance(column, bool):
            c.add(f"{where}.column", f"found {describe(column)}", "expected a column name")
            return {}
        return {group: str(column) for group in groups}
    raw = spec.get("columns")
    if raw is None:
        c.add(where, "no column", "add column: NAME, or columns: {audience: NAME, ...}")
        return {}
    if not isinstance(raw, dict) or not raw:
        c.add(f"{where}.columns", f"found {describe(raw)}",
              "expected a mapping of audience -> column, e.g. {customers: Q3}")
        return {}
    mapped = {}
    for group, column in raw.items():
        if group not in groups:
            c.add(f"{where}.columns.{group}", "unknown audience" + did_you_mean(str(group), groups),
                  "use one of the study's groups: " + ", ".join(groups))
        elif column is None or isinstance(column, bool | list | dict):
            c.add(f"{where}.columns.{group}", f"found {describe(column)}",
                  "expected a column name")
        else:
            mapped[str(group)] = str(column)
    return mapped


def ident(c: Collector, value: Any, where: str) -> str | None:
    """An identifier that can name a column of the processed data."""
    if not isinstance(value, str) or not _IDENT.match(value):
        c.add(where, f"found {describe(value)}",
              "expected an identifier: letters, digits and _, not starting with a digit")
        return None
    if value in RESERVED_COLUMNS:
        c.add(where, f"{value!r} is reserved", "choose another id; reserved: "
              + ", ".join(sorted(RESERVED_COLUMNS)))
        return None
    return value


def optional_name(c: Collector, spec: dict, key: str, where: str) -> str | None:
    """A column name (YAML may read ``2024`` as a number)."""
    value = c.typed(spec, key, (str, int), where)
    return str(value) if value is not None else None


def _one_of(c: Collector, value: str, choices: list[str], where: str, what: str) -> bool:
    if value in choices:
        return True
    c.add(where, f"{value!r} is not in {what}" + did_you_mean(str(value), choices),
          "use one of: " + ", ".join(choices))
    return False


def _scale_ref(c: Collector, scale: str | None, where: str, ctx: Context) -> None:
    if scale is not None and scale not in ctx.raw_scales:
        c.add(where, f"unknown scale {scale!r}" + did_you_mean(scale, ctx.raw_scales),
              "use one of the scales: " + (", ".join(ctx.raw_scales) or "(none defined)"))


# ---------------------------------------------------------------------------
# sections


def parse_header(c: Collector, data: dict) -> dict[str, Any]:
    """Title, slug, confidence, correction and minimum group size."""
    title = c.typed(data, "study", str, "", required=True, default="",
                    hint='the title shown in reports, e.g. study: "Acme — perception gap 2026"')
    slug = c.typed(data, "slug", str, "", required=True, default="study",
                   hint="the folder name under data/processed and reports, e.g. slug: acme")
    if isinstance(data.get("slug"), str) and not SLUG.match(data["slug"]):
        c.add("slug", f"found {data['slug']!r}",
              "use up to 64 lower-case letters, digits, - and _ (it names folders)")
    return {
        "title": title, "slug": slug,
        "subject": _text(c, data, "subject", "", "the customer experience",
                         'what the study asks about, e.g. subject: "our hospital care"'),
        "confidence": float(c.number(data, "confidence", "", default=0.95, low=0.5, high=1,
                                     high_open=True, expected="a level such as 0.95 (between "
                                     "0.5 and 1)")),
        "correction": c.choice(data, "correction", CORRECTIONS, "", default="holm"),
        "min_group_size": int(c.number(data, "min_group_size", "", default=5, low=1,
                                       whole=True, expected="a whole number >= 1")),
        "agreement_margin": float(c.number(
            data, "agreement_margin", "", default=0.10, low=0, high=1, low_open=True,
            expected="a share such as 0.10 (10 points), above 0 and at most 1")),
    }


def parse_waves(c: Collector, data: dict) -> list[str]:
    """The waves in order (as text: YAML reads 2025 as a number)."""
    declared = c.typed(data, "waves", list, "", default=[])
    waves: list[str] = []
    for i, wave in enumerate(declared):
        if not isinstance(wave, str | int) or isinstance(wave, bool) or not str(wave).strip():
            c.add(f"waves[{i}]", f"found {describe(wave)}", 'expected a wave name, e.g. "2026"')
        elif str(wave) in waves:
            c.add(f"waves[{i}]", f"{wave!r} listed twice", "list each wave once, in order")
        else:
            waves.append(str(wave))
    return waves


def check_waves(c: Collector, sources: list[Source], waves: list[str], reference: str,
                study_groups) -> None:
    """Every source names a listed wave when the study has waves, none when it has not, and
    every wave has a source for the reference audience."""
    named = [s for s in sources if s.wave is not None]
    if not waves:
        if named:
            c.add("waves", "missing", "sources name waves (" + ", ".join(
                dict.fromkeys(s.wave for s in named)) + "): list them in order, e.g. "
                'waves: ["2025", "2026"]')
        return
    for i, source in enumerate(sources):
        if source.wave is None:
            c.add(f"sources[{i}].wave", "missing", "the study has waves: say which wave this "
                  "export belongs to, one of: " + ", ".join(waves))
        elif source.wave not in waves:
            c.add(f"sources[{i}].wave", f"{source.wave!r} is not in waves"
                  + did_you_mean(source.wave, waves), "use one of: " + ", ".join(waves))
    for wave in waves:
        holders = [s for s in sources if s.wave == wave]
        if reference and not any(reference in study_groups(s) for s in holders):
            c.add(f"waves ({wave})", f"no source for the reference audience {reference!r}",
                  "every wave needs the reference's answers to measure gaps against; add its "
                  "export for this wave, or remove the wave")


def parse_groups(c: Collector, data: dict, raw_sources: list) -> tuple[list[str], dict]:
    """The audiences and their display labels: ``groups:`` as listed (an entry is an id or
    ``{id: ID, label: TEXT}``), else the sources' ``group:`` in order (no labels)."""
    declared = c.typed(data, "groups", list, "", default=None)
    groups: list[str] = []
    labels: dict[str, str] = {}
    if declared is None:
        for spec in raw_sources:
            if isinstance(spec, dict) and isinstance(spec.get("group"), str):
                if spec["group"] not in groups:
                    groups.append(spec["group"])
            elif isinstance(spec, dict) and spec.get("group_column") is not None:
                c.add("groups", "missing", "list the audiences in display order when a source "
                      "takes them from group_column, e.g. groups: [leadership, staff, customers]")
                break
        return groups, labels
    for i, entry in enumerate(declared):
        group, label = entry, None
        if isinstance(entry, dict):
            c.keys(entry, ["id", "label"], f"groups[{i}]")
            group = entry.get("id")
            if group is None:
                c.add(f"groups[{i}].id", "missing", "name the audience as the study file and "
                      "the CSVs call it, e.g. {id: fans, label: Star Wars fans}")
                continue
            label = _text(c, entry, "label", f"groups[{i}]", None,
                          "the audience's name as pages show it, e.g. label: Star Wars fans")
        where = f"groups[{i}]" + (".id" if isinstance(entry, dict) else "")
        if not isinstance(group, str) or not group.strip():
            c.add(where, f"found {describe(group)}", "expected an audience name")
        elif group in groups:
            c.add(where, f"{group!r} listed twice", "list each audience once")
        else:
            groups.append(group)
            if label is not None:
                labels[group] = label
    if len(groups) < 2:
        c.add("groups", f"{len(groups)} audience(s)", "a perception gap needs at least two "
              "audiences, e.g. [leadership, staff, customers]")
    shown = [labels.get(g, g) for g in groups]
    for i, label in enumerate(shown):
        if label in shown[:i]:
            c.add("groups", f"two audiences are shown as {label!r}",
                  "give each audience a label of its own")
            break
    return groups, labels


def _text(c: Collector, mapping: dict, key: str, where: str, default, hint: str):
    """A key whose value is words a reader sees: text, not blank."""
    value = c.typed(mapping, key, str, where, default=default, hint=hint)
    if isinstance(value, str) and not value.strip():
        c.add(f"{where}.{key}" if where else key, "blank", hint)
        return default
    return value.strip() if isinstance(value, str) else value


def parse_reference(c: Collector, data: dict, groups: list[str]) -> str:
    reference = data.get("reference")
    if reference is None:
        return groups[-1] if groups else ""
    if reference not in groups:
        c.add("reference", f"{reference!r} is not in groups" + did_you_mean(str(reference), groups),
              "use one of: " + ", ".join(groups) + " (gaps are group - reference)")
    return reference


def parse_sources(c: Collector, raw_sources: list, ctx: Context) -> list[Source]:
    """One :class:`Source` per entry of ``sources:``; names are made unique."""
    sources: list[Source] = []
    names: set[str] = set()
    for i, spec in enumerate(raw_sources):
        where = f"sources[{i}]"
        spec = c.mapping(spec, where)
        if not spec:
            continue
        c.keys(spec, keys_of("sources[]"), where)
        raw_path = c.typed(spec, "path", str, where, required=True,
                           hint="the export's path, relative to the study file's folder")
        if raw_path is not None and not raw_path.strip():
            c.add(f"{where}.path", "empty", "give the export's path, relative to the study "
                  "file's folder")
            raw_path = None
        kind = not_a_file(ctx.base / raw_path) if raw_path else None
        if kind is not None:  # a named pipe would hang the reader, /dev/zero fill memory
            c.add(f"{where}.path", f"{raw_path!r} is {kind}, not an export file",
                  "give the path of the export file itself (cxstudy reads only regular "
                  "files)")
        group, group_column, group_map = _source_audience(c, spec, where, ctx.groups)
        name = _unique_name(spec.get("name"), raw_path, names)
        wave = spec.get("wave")
        sources.append(Source(
            name=name,
            path=(ctx.base / raw_path).resolve() if raw_path else ctx.base,
            format=(c.choice(spec, "format", list(FORMATS), where, default=None)
                    if spec.get("format") is not None else None),
            group=group, group_column=group_column, group_map=group_map,
            id_column=optional_name(c, spec, "id_column", where),
            sheet=c.typed(spec, "sheet", (str, int), where),
            wave=str(wave) if wave is not None else None,
            duration_column=optional_name(c, spec, "duration_column", where),
            finished_column=optional_name(c, spec, "finished_column", where),
            rename=_rename(c, spec, where),
            sheet_size=optional_name(c, spec, "sheet_size", where),
        ))
    return sources


def _rename(c: Collector, spec: dict, where: str) -> dict[str, str] | None:
    """``rename: {export header: new name}``: headers as the reader gives them (spacing
    collapsed), each renamed once, no two to one name."""
    from .formats import clean_text

    raw = c.typed(spec, "rename", dict, where,
                  hint='export header -> the name columns: use, e.g. {"Would it be easy '
                       'to take leave?": leave}')
    if not raw:
        return None
    renamed: dict[str, str] = {}
    for old, new in raw.items():
        path = f"{where}.rename.{old}"
        if not isinstance(old, str | int) or isinstance(old, bool) or not str(old).strip():
            c.add(path, f"found {describe(old)}", "expected an export's header")
        elif not isinstance(new, str | int) or isinstance(new, bool) or not str(new).strip():
            c.add(path, f"found {describe(new)}", "expected the column's new name")
        elif clean_text(str(new)) in renamed.values():
            c.add(path, f"{new!r} is the new name of another header too", "give each "
                  "header its own name (one export cannot hold two columns of one name)")
        elif clean_text(str(old)) != clean_text(str(new)):
            renamed[clean_text(str(old))] = clean_text(str(new))
    return renamed or None


def _source_audience(c: Collector, spec: dict, where: str, groups: list[str]):
    """(group, group_column, group_map) of one source."""
    group = c.typed(spec, "group", str, where)
    group_column = c.typed(spec, "group_column", (str, int), where)
    if group is None and group_column is None:
        c.add(where, "no audience", "add group: NAME (every row belongs to it) or "
              "group_column: COLUMN (groups come from that column's values)")
    if group is not None and group_column is not None:
        c.add(where, "both group and group_column", "give one of them")
    if group is not None and groups:
        _one_of(c, group, groups, f"{where}.group", "groups")
    group_map = c.typed(spec, "group_map", dict, where)
    if group_map is not None:
        if group_column is None:
            c.add(f"{where}.group_map", "given without group_column",
                  "group_map renames the values of group_column; add group_column")
        # "": AUDIENCE maps blank values; "": null drops them knowingly (no_group)
        group_map = {("" if value is None else str(value)): target
                     for value, target in group_map.items()
                     if (target is None and value in ("", None))
                     or _one_of(c, target, groups, f"{where}.group_map.{value}", "groups")}
    return group, (str(group_column) if group_column is not None else None), group_map


def _unique_name(name: Any, raw_path: str | None, names: set[str]) -> str:
    if name is None and raw_path:
        name = Path(raw_path).stem
    name = str(name)
    if name in names:
        suffix = 2
        while f"{name}_{suffix}" in names:
            suffix += 1
        name = f"{name}_{suffix}"
    names.add(name)
    return name


def parse_scales(c: Collector, raw_scales: dict) -> dict[str, Scale]:
    """Every scale under ``scales:``; a broken one is reported and left out."""
    scales: dict[str, Scale] = {}
    for sid, spec in raw_scales.items():
        where = f"scales.{sid}"
        spec = c.mapping(spec, where)
        if spec:
            c.keys(spec, keys_of("scales.<id>"), where)
            scale = _scale(c, str(sid), spec, where)
            if scale is not None:
                scales[str(sid)] = scale
    return scales


def _scale_points(c: Collector, spec: dict, where: str):
    """(labels, values) of a scale, each a tuple or None; None, None when unusable."""
    labels = c.typed(spec, "labels", list, where)
    values = c.typed(spec, "values", list, where)
    if labels is None and values is None:
        c.add(where, "no points", "give labels: [..] (coded 1..k) or values: [1, 2, 3, ...]")
        return None, None
    if labels is not None:
        bad = [x for x in labels if not isinstance(x, str | int | float) or isinstance(x, bool)]
        if bad:
            c.add(f"{where}.labels", f"found {describe(bad[0])}", "expected text labels")
            return None, None
        labels = tuple(str(x) for x in labels)
    if values is not None:
        bad = [x for x in values if not isinstance(x, numbers.Real) or isinstance(x, bool)]
        if bad:
            c.add(f"{where}.values", f"found {describe(bad[0])}", "expected numbers")
            return None, None
        values = tuple(int(x) if float(x).is_integer() else float(x) for x in values)
        if list(values) != sorted(values):
            c.add(f"{where}.values", f"found {list(values)}",
                  "list the numbers from lowest to highest")
        elif len(set(values)) != len(values) and labels is None:
            c.add(f"{where}.values", f"found {list(values)}", "list distinct numbers; to "
                  "code several labels as one point, give labels: of the same length "
                  "(values: [1, 2, 2, 3] with four labels: the two middle labels share 2)")
    if labels is not None and values is not None and len(labels) != len(values):
        c.add(where, f"{len(labels)} labels but {len(values)} values", "give one label per value "
              "(labels that share a point repeat its value: values: [1, 2, 2, 3])")
        return None, None
    return labels, values


def _scale(c: Collector, sid: str, spec: dict, where: str) -> Scale | None:
    labels, values = _scale_points(c, spec, where)
    points = labels if labels is not None else values
    if points is None:
        return None
    if len(points) < 2:
        c.add(where, f"{len(points)} point(s)", "a scale needs at least 2 points")
        return None
    keys = [normalize(p) for p in points]
    if len(set(keys)) != len(keys):
        c.add(where, "two points read the same", "labels must differ by more than case "
              "and spacing")
    k = len(set(values)) if values is not None else len(points)
    if k < 2:
        c.add(f"{where}.values", f"{k} distinct value(s)", "a scale needs at least 2 points")
        return None
    top_box = c.typed(spec, "top_box", int, where, default=2)
    if not 1 <= top_box < k:
        c.add(f"{where}.top_box", f"found {top_box}",
              f"expected 1..{k - 1} (how many of the highest points count as "
              "top box)")
        top_box = 1
    missing = c.typed(spec, "missing", list, where, default=[])
    clash = [m for m in missing if normalize(m) in keys]
    if clash:
        c.add(f"{where}.missing", f"{clash[0]!r} is also a scale point",
              "an answer is either a scale point or missing, not both")
    aliases = _aliases(c, spec, where, points, keys, missing)
    return Scale(id=sid, labels=labels, values=values, top_box=top_box, missing=tuple(missing),
                 top_box_label=c.typed(spec, "top_box_label", str, where), aliases=aliases,
                 bottom_box_label=c.typed(spec, "bottom_box_label", str, where))


def _aliases(c: Collector, spec: dict, where: str, points: tuple, keys: list,
             missing: list) -> tuple[tuple[str, str], ...]:
    """``aliases: {variant wording: label of the scale}``: each variant must be new (not a
    point, a missing answer or another alias) and name a point of the scale."""
    raw = c.typed(spec, "aliases", dict, where,
                  hint="variant wording -> a label of the scale, e.g. "
                       "{Agree strongly: Strongly agree}")
    if not raw:
        return ()
    names = [str(p) for p in points]
    missing_keys = {normalize(m) for m in missing}
    aliases: list[tuple[str, str]] = []
    seen: set[str | None] = set()
    for variant, target in raw.items():
        path = f"{where}.aliases.{variant}"
        key = normalize(variant)
        if key is None or isinstance(variant, bool):
            c.add(path, f"found {describe(variant)}", "expected an answer's wording")
        elif key in keys:
            c.add(path, "is already a point of the scale", "an alias is another wording of "
                  "a point: remove it, its answers are coded as they are")
        elif key in missing_keys:
            c.add(path, "is also listed in missing", "an answer is either a scale point or "
                  "missing, not both")
        elif key in seen:
            c.add(path, "listed twice (the same but for case or spacing)", "list each "
                  "wording once")
        elif (not isinstance(target, str | int | float) or isinstance(target, bool)
              or normalize(target) not in keys):
            c.add(path, f"{describe(target)} is not a point of the scale"
                  + did_you_mean(str(target), names),
                  "map the variant wording to one of: " + ", ".join(names))
        else:
            aliases.append((str(variant), str(target)))
        seen.add(key)
    return tuple(aliases)


def parse_items(c: Collector, data: dict, ctx: Context) -> list[Item]:
    """The items: the same statement asked of every audience."""
    items: list[Item] = []
    for where, spec in c.entries(data, "items", keys_of("items[]")):
        iid = ident(c, spec.get("id"), f"{where}.id")
        ctx.claim(c, iid, f"{where}.id")
        label = f"{where} ({iid})" if iid else where
        text = c.typed(spec, "text", str, label, required=True,
                       hint="the statement as asked, shown in reports")
        scale = _item_scale(c, spec, label, ctx)
        _scale_ref(c, scale, f"{label}.scale", ctx)
        asked_in = asked_waves(c, spec, label, ctx)
        series_break = _series_break(c, spec, label, ctx, asked_in)
        mapped = columns(c, spec, label, ctx.groups)
        dimension = c.typed(spec, "dimension", str, label, default="Overall")
        headline = c.typed(spec, "headline", bool, label, default=False)
        reverse = c.typed(spec, "reverse", bool, label, default=False)
        importance = c.typed(spec, "importance", str, label,
                             hint="the id of the item that asks how important this is")
        if "split" in spec:
            c.add(f"{label}.split", "an item is answered on a scale, with no text to split",
                  "split: points belongs to an open_ended question whose cells hold several "
                  "points; remove it here")
        if iid and mapped:
            items.append(Item(iid, text or iid, scale or "", mapped, dimension, headline,
                              reverse, importance, asked_in, series_break))
    ctx.item_ids = [item.id for item in items]
    for item in items:
        if item.importance is not None and item.importance not in ctx.item_ids:
            c.add(f"items ({item.id}).importance", f"unknown item {item.importance!r}"
                  + did_you_mean(item.importance, ctx.item_ids),
                  "name the item that asks how important this one is")
    return items


def _item_scale(c: Collector, spec: dict, label: str, ctx: Context) -> str | None:
    """An item's scale; one scale per wave is refused unless it is the same scale."""
    scale = spec.get("scale")
    if isinstance(scale, dict) and ctx.waves:
        distinct = sorted({str(v) for v in scale.values()})
        if len(distinct) == 1:
            return distinct[0]
        c.add(f"{label}.scale", "differs between waves (" + ", ".join(
            f"{w}: {v}" for w, v in scale.items()) + ")", "a change between waves compares "
              "top-box shares on one scale; give the item one scale whose labels cover every "
              "wave's answers and mark the change with break: {wave: W, reason: ...} (no "
              "change is computed across it), or give each wave's version its own item id")
        return None
    return c.typed(spec, "scale", str, label, required=True, hint="the id of a scale")


def asked_waves(c: Collector, spec: dict, label: str, ctx: Context
                ) -> tuple[str, ...] | None:
    """``waves:`` of a question (item, metric, estimate, open-ended question, segment): the
    study's waves it was asked in; None when it was asked in every wave."""
    raw = spec.get("waves")
    if raw is None:
        return None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        raw = [raw]  # waves: "2016" is one wave
    raw = c.typed({"waves": raw}, "waves", list, label)
    if raw is None:
        return None
    if not raw:
        c.add(f"{label}.waves", "empty list", "list the waves it was asked in, or remove "
              "the key (asked in every wave)")
        return None
    if not ctx.waves:
        c.add(f"{label}.waves", "given, but the study has no waves", "list the study's waves "
              "(waves: [...]) or remove this key")
        return None
    asked = tuple(str(w) for w in raw)
    for wave in asked:
        if wave not in ctx.waves:
            c.add(f"{label}.waves", f"{wave!r} is not in waves" + did_you_mean(wave, ctx.waves),
                  "use the study's waves: " + ", ".join(ctx.waves))
    return asked


def _series_break(c: Collector, spec: dict, label: str, ctx: Context,
                  asked: tuple[str, ...] | None) -> SeriesBreak | None:
    """``break: {wave, reason}`` of an item: from that wave on the scale or wording
    differs, so no change is computed across it."""
    raw = c.typed(spec, "break", dict, label, hint='{wave: "2016", reason: "a neutral '
                  'answer was added"}')
    if raw is None:
        return None
    where = f"{label}.break"
    c.keys(raw, ["wave", "reason"], where)
    wave = raw.get("wave")
    reason = c.typed(raw, "reason", str, where, required=True,
                     hint="what changed, as the Trends page should say it, e.g. "
                          '"a neutral answer was added"')
    if reason is not None and not reason.strip():
        c.add(f"{where}.reason", "empty", "say what changed, e.g. \"a neutral answer was "
              "added\"")
        reason = None
    if wave is None or isinstance(wave, bool) or not isinstance(wave, str | int):
        c.add(f"{where}.wave", f"found {describe(wave)}", "expected the first wave asked "
              'the new way, e.g. wave: "2016"')
        return None
    wave = str(wave)
    if not ctx.waves:
        c.add(f"{where}", "given, but the study has no waves", "list the study's waves "
              "(waves: [...]) or remove this key")
        return None
    if wave not in ctx.waves:
        c.add(f"{where}.wave", f"{wave!r} is not in waves" + did_you_mean(wave, ctx.waves),
              "name the first wave asked the new way, one of: " + ", ".join(ctx.waves[1:]
                                                                          or ctx.waves))
        return None
    if wave == ctx.waves[0]:
        c.add(f"{where}.wave", f"{wave!r} is the first wave", "a break sits between two "
              "waves: name the first wave asked the new way (no earlier wave, no break)")
        return None
    if asked is not None and wave not in asked:
        c.add(f"{where}.wave", f"the item was not asked in wave {wave!r}", "name a wave "
              "of its waves: " + ", ".join(asked))
        return None
    return SeriesBreak(wave, reason.strip()) if reason else None


def parse_metrics(c: Collector, data: dict, ctx: Context) -> list[Metric]:
    """NPS, CES and CSAT metrics, keyed by id."""
    metrics: list[Metric] = []
    for mid, spec in c.typed(data, "metrics", dict, "", default={}).items():
        where = f"metrics.{mid}"
        spec = c.mapping(spec, where)
        if not spec:
            continue
        c.keys(spec, keys_of("metrics.<id>"), where)
        mid = ident(c, mid, where)
        ctx.claim(c, mid, where)
        kinds = [k.name for k in METRIC_KINDS.values() if k.in_study_file]
        kind = spec.get("kind", mid if mid in kinds else None)
        if kind not in kinds:
            c.add(f"{where}.kind", f"found {describe(kind)}" + did_you_mean(str(kind), kinds),
                  f"name the metric {', '.join(kinds[:-1])} or {kinds[-1]}, or add kind: "
                  + "|".join(kinds))
        scale = c.typed(spec, "scale", str, where)
        if kind in kinds and METRIC_KINDS[kind].needs_scale and scale is None:
            c.add(f"{where}.scale", "missing", f"{kind} needs the id of its answer scale")
        _scale_ref(c, scale, f"{where}.scale", ctx)
        mapped = columns(c, spec, where, ctx.groups)
        asked = asked_waves(c, spec, where, ctx)
        if mid and mapped and kind in kinds:
            metrics.append(Metric(mid, kind, mapped, scale, asked))
    return metrics


def parse_estimates(c: Collector, data: dict, ctx: Context) -> list[Estimate]:
    """Estimates by leaders and staff of the reference's top-box share of an item."""
    estimates: list[Estimate] = []
    for where, spec in c.entries(data, "estimates", keys_of("estimates[]")):
        target = c.typed(spec, "item", str, where, required=True,
                         hint="the id of the item whose customer share is estimated")
        if target is not None and target not in ctx.item_ids:
            c.add(f"{where}.item", f"unknown item {target!r}" + did_you_mean(target,
                                                                            ctx.item_ids),
                  "use the id of an item")
        mapped = columns(c, spec, where, ctx.groups)
        asked = asked_waves(c, spec, where, ctx)
        if target in ctx.item_ids and mapped:
            estimate = Estimate(target, mapped, asked)
            ctx.claim(c, estimate.id, where)
            estimates.append(estimate)
    return estimates


def parse_open_ended(c: Collector, data: dict, ctx: Context) -> list[OpenEnded]:
    """Open-ended questions, each asked of the audiences in its columns."""
    questions: list[OpenEnded] = []
    for where, spec in c.entries(data, "open_ended", keys_of("open_ended[]")):
        qid = ident(c, spec.get("id"), f"{where}.id")
        ctx.claim(c, qid, f"{where}.id")
        question = c.typed(spec, "question", str, where, required=True,
                           hint="the question as asked")
        role = c.choice(spec, "role", ROLES, where, default="other")
        split = c.choice(spec, "split", list(SPLIT_KINDS), where, default=None) \
            if spec.get("split") is not None else None
        mapped = columns(c, spec, where, ctx.groups)
        asked = asked_waves(c, spec, where, ctx)
        if qid and mapped:
            questions.append(OpenEnded(qid, question or qid, mapped, role, asked, split))
    return questions


def parse_segments(c: Collector, data: dict, ctx: Context) -> list[Segment]:
    """Ways to split the audiences, each asked of the audiences in its columns."""
    segments: list[Segment] = []
    pii = {p.casefold() for p in ctx.pii_columns}
    for where, spec in c.entries(data, "segments", keys_of("segments[]")):
        sid = ident(c, spec.get("id"), f"{where}.id")
        ctx.claim(c, sid, f"{where}.id")
        label = c.typed(spec, "label", str, where, default=sid)
        mapped = columns(c, spec, where, ctx.groups)
        for group, column in mapped.items():
            if column.casefold() in pii:
                c.add(f"{where}.columns.{group}", f"{column!r} is listed in pii_columns",
                      "segment columns are copied into processed data; split by a column "
                      "that identifies nobody")
        raw_map = c.typed(spec, "map", dict, where)
        levels = {str(k): str(v) for k, v in raw_map.items()} if raw_map else None
        order = c.typed(spec, "order", list, where)
        bins = _bins(c, spec, where)
        if bins and levels:
            c.add(where, "both map and bins", "bins cut a numeric column into bands; map "
                  "renames values: give one of them")
        asked = asked_waves(c, spec, where, ctx)
        other, other_levels = _other(c, spec, where, levels, order, bins)
        if sid and mapped:
            segments.append(Segment(sid, label or sid, mapped, levels,
                                    tuple(str(o) for o in order) if order else None, bins,
                                    asked, other, other_levels))
    return segments


OTHER_HINT = ('expected a level name (text), e.g. other: "Other / not stated", or '
              '{label: "Other / not stated", levels: [Not stated, Refused]}')


def _other(c: Collector, spec: dict, where: str, levels, order, bins
           ) -> tuple[str | None, tuple[str, ...]]:
    """``other:`` of a segment: the name of the level small levels are pooled into, and
    the levels pooled whatever their size (checked against the levels the study file
    names: map values, order, bands of bins)."""
    value = spec.get("other")
    if value is None:
        return None, ()
    key = f"{where}.other"
    if isinstance(value, dict):
        c.keys(value, ["label", "levels"], key)
        label, named = value.get("label"), value.get("levels", [])
    else:
        label, named = value, []
    if not isinstance(label, str) or not label.strip():
        c.add(key if not isinstance(value, dict) else f"{key}.label", f"found {label!r}",
              OTHER_HINT)
        return None, ()
    if not isinstance(named, list) or not all(isinstance(v, str | int | float)
                                              and not isinstance(v, bool) for v in named):
        c.add(f"{key}.levels", f"found {named!r}", "expected a list of the levels to pool, "
              "e.g. levels: [Not stated, Refused]")
        return None, ()
    named = [str(v) for v in named]
    known = list(dict.fromkeys([*(levels or {}).values(), *(str(o) for o in order or ())]))
    if bins:
        known += Segment("", "", {}, bins=bins).band_names()
    unknown = [v for v in named if known and v not in known]
    if unknown:
        c.add(f"{key}.levels", f"no level {unknown[0]!r}" + did_you_mean(unknown[0], known),
              "name levels of this segment: " + ", ".join(known))
    return label.strip(), tuple(named)


def _bins(c: Collector, spec: dict, where: str) -> tuple[float, ...] | None:
    bins = c.typed(spec, "bins", list, where)
    if bins is None:
        return None
    numeric = all(isinstance(b, int | float) and not isinstance(b, bool) for b in bins)
    if not numeric or len(bins) < 2 or list(bins) != sorted(set(bins)):
        c.add(f"{where}.bins", f"found {bins!r}", "expected at least two numbers, lowest "
              "first, each once: cut points of the bands, e.g. [0, 1, 3, 10]")
        return None
    return tuple(float(b) for b in bins)


def parse_importance(c: Collector, data: dict, ctx: Context, metric_ids: list[str]
                     ) -> str | None:
    """``importance: {against: ID}``: the outcome derived importance is computed against."""
    spec = c.typed(data, "importance", dict, "")
    if spec is None:
        return None
    c.keys(spec, ["against"], "importance")
    against = c.typed(spec, "against", str, "importance", required=True,
                      hint="the id of a metric or item, e.g. against: csat")
    known = [*ctx.item_ids, *metric_ids]
    if against is not None and against not in known:
        c.add("importance.against", f"unknown id {against!r}" + did_you_mean(against, known),
              "name a metric or an item of this study: " + ", ".join(known))
        return None
    return against


def _named_file(c: Collector, value: str | None, key: str, what: str, ctx: Context
                ) -> tuple[Path | None, bool]:
    """A file the study file names at ``key`` (a path relative to the study file's folder):
    the resolved path (None when not given) and whether it is a regular file; a problem at
    ``key`` when it is not (``what`` names the file the key wants)."""
    path = (ctx.base / value).resolve() if value else None
    if path is None:
        return None, False
    kind = not_a_file(path)
    if kind is not None:
        c.add(key, f"{value!r} is {kind}, not a file",
              f"give {what}'s path (cxstudy reads only regular files)")
    elif not path.is_file():
        c.add(key, f"{value!r}: no such file ({path})",
              f"give {what}'s path relative to the study file's folder")
    else:
        return path, True
    return path, False


def parse_themes(c: Collector, data: dict, ctx: Context) -> Path | None:
    themes = c.typed(data, "themes", str, "")
    return _named_file(c, themes, "themes", "the codebook file", ctx)[0]


def parse_deliverables(c: Collector, data: dict, ctx: Context) -> Deliverables:
    """Which of tables.xlsx and deck.pptx a run writes, and the deck's template (a file
    that exists; whether it is a presentation with the layouts the deck uses is checked
    when the deck is made, :func:`cxstudy.deck.open_template`)."""
    spec = c.typed(data, "deliverables", dict, "", default={})
    c.keys(spec, keys_of("deliverables"), "deliverables")
    template = c.typed(spec, "deck_template", str, "deliverables")
    path, found = _named_file(c, template, "deliverables.deck_template",
                              "the .pptx template", ctx)
    if found and path.suffix.lower() != ".pptx":
        c.add("deliverables.deck_template", f"{template!r} is not a .pptx file",
              "give a PowerPoint presentation (.pptx) whose layouts the deck uses; save a "
              ".potx or .ppt as .pptx first")
    return Deliverables(
        workbook=c.typed(spec, "workbook", bool, "deliverables", default=True),
        deck=c.typed(spec, "deck", bool, "deliverables", default=True),
        deck_template=path)


def parse_weights(c: Collector, data: dict, ctx: Context) -> Weights | None:
    """Raking of one audience to known margins (and/or a design-weight column)."""
    spec = c.typed(data, "weights", dict, "")
    if spec is None:
        return None
    c.keys(spec, keys_of("weights"), "weights")
    group = c.typed(spec, "group", str, "weights", required=True,
                    hint="the audience to weight, e.g. customers")
    if group is not None:
        _one_of(c, group, ctx.groups, "weights.group", "groups")
    base_column = optional_name(c, spec, "column", "weights")
    margins = _margins(c, c.typed(spec, "margins", dict, "weights",
                                  required=base_column is None,
                                  hint="column: {category: share, ...} (or column: a weight "
                                       "column)") or {})
    trim = c.number(spec, "trim", "weights", default=5, low=1, low_open=True, off=0,
                    expected="a cap above 1 (times the mean weight), or false for none")
    pii = {p.casefold() for p in ctx.pii_columns}
    for column in [*margins, *([base_column] if base_column else [])]:
        if column.casefold() in pii:
            c.add(f"weights ({column})", f"{column!r} is listed in pii_columns",
                  "weighting columns are copied into processed data; weight on a "
                  "column that identifies nobody")
    for column in margins:
        if column in RESERVED_COLUMNS or column in ctx.item_ids:
            c.add(f"weights.margins.{column}", "clashes with a response column",
                  "margin columns are copied into the responses; rename the item")
    if group in ctx.groups and (margins or base_column):
        return Weights(group, margins, float(trim) if trim else None, base_column)
    return None


def _margins(c: Collector, margins: dict) -> dict[str, dict[str, float]]:
    clean: dict[str, dict[str, float]] = {}
    for column, shares in margins.items():
        where = f"weights.margins.{column}"
        if not isinstance(shares, dict) or not shares:
            c.add(where, f"found {describe(shares)}", "expected {category: share, ...}")
            continue
        nameless = [k for k in shares if k is None or not str(k).strip()]
        if nameless:
            c.add(where, f"a category named {describe(nameless[0])}", "name the respondents "
                  f'who left {column} blank "{MISSING_CATEGORY}", e.g. '
                  f'"{MISSING_CATEGORY}": 0.05')
            continue
        bad = [s for s in shares.values() if not isinstance(s, int | float)
               or isinstance(s, bool) or s <= 0]
        if bad:
            c.add(where, f"share {describe(bad[0])}", "shares are numbers above 0")
            continue
        total = sum(shares.values())
        if abs(total - 1) > 1e-6:
            c.add(where, f"shares sum to {total:g}", "target shares must sum to 1")
        clean[str(column)] = {str(k): float(v) for k, v in shares.items()}
    return clean


def parse_cleaning(c: Collector, data: dict, ctx: Context) -> Cleaning:
    """The cleaning rules; ``0``/``false`` switches a rule off."""
    spec = c.typed(data, "cleaning", dict, "", default={})
    c.keys(spec, keys_of("cleaning"), "cleaning")
    checks = []
    for where, check in c.entries(spec, "attention_checks",
                                  keys_of("cleaning.attention_checks[]"), "cleaning"):
        mapped = columns(c, check, where, ctx.groups)
        expect = check.get("expect")
        if expect is None:
            c.add(f"{where}.expect", "missing", "the answer that passes the check")
            continue
        expect = tuple(str(e) for e in (expect if isinstance(expect, list) else [expect]))
        if mapped:
            checks.append(AttentionCheck(mapped, expect))
    return Cleaning(
        require_finished=c.typed(spec, "require_finished", bool, "cleaning", default=True),
        drop_preview=c.typed(spec, "drop_preview", bool, "cleaning", default=True),
        duplicates=c.choice(spec, "duplicates", DUPLICATE_RULES, "cleaning", default="id"),
        min_duration_ratio=float(c.number(
            spec, "min_duration_ratio", "cleaning", default=0.0, low=0, high=1, high_open=True,
            off=0.0, expected="a fraction of the group's median duration, e.g. 0.33 (0 = off)")),
        straightline_min_items=int(c.number(
            spec, "straightline_min_items", "cleaning", default=0, low=2, whole=True, off=0,
            expected="a whole number of items >= 2 (0 = off)")),
        attention_checks=tuple(checks),
        unknown_labels=c.choice(spec, "unknown_labels", ["error", "missing"], "cleaning",
                                default="error"),
        exclude=tuple(_exclusions(c, spec, ctx)),
    )


def _names(c: Collector, spec: dict, key: str, where: str) -> tuple[str, ...] | None:
    """A value or a list of values, as text (YAML reads 2016 as a number); None: absent."""
    raw = spec.get(key)
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    bad = [v for v in values if v is None or isinstance(v, bool | list | dict)]
    if bad or not values:
        c.add(f"{where}.{key}", f"found {describe(bad[0])}" if bad else "empty list",
              "expected a value or a list of values")
        return None
    return tuple(str(v) for v in values)


def _exclusions(c: Collector, spec: dict, ctx: Context) -> list[Exclusion]:
    """``cleaning.exclude``: rows that are not part of the study (a column's values, or its
    blanks), per source and audience or for all."""
    rules: list[Exclusion] = []
    names = [s.name for s in ctx.sources]

    def source_name(given: str) -> str:
        """A source named by its name, or by its path as sources[].path gives it."""
        if given in names:
            return given
        path = (ctx.base / given).resolve()
        return next((s.name for s in ctx.sources if s.path == path), given)

    entries = c.entries(spec, "exclude", keys_of("cleaning.exclude[]"), "cleaning")
    for number, (where, entry) in enumerate(entries):
        column = optional_name(c, entry, "column", where)
        if column is None and entry.get("column") is None:
            c.add(f"{where}.column", "missing", "this key is required; the export column "
                  "the rule reads, e.g. column: Employment")
        values = _names(c, entry, "values", where) or ()
        blank = c.typed(entry, "blank", bool, where, default=False)
        if not values and not blank and "values" not in entry:
            c.add(where, "neither values nor blank", "say which rows are not part of the "
                  "study: values: [Self-employed], or blank: true (or both)")
        sources = _names(c, entry, "sources", where)
        if sources is not None:
            sources = tuple(dict.fromkeys(source_name(s) for s in sources))
            for given in sources:
                if given not in names:
                    c.add(f"{where}.sources", f"{given!r} is not a source"
                          + did_you_mean(given, names),
                          "name sources by their name (the file name without extension "
                          "unless name: says otherwise) or their path: " + ", ".join(names))
        groups = _names(c, entry, "groups", where)
        for group in groups or ():
            if group not in ctx.groups:
                c.add(f"{where}.groups", f"{group!r} is not an audience"
                      + did_you_mean(group, ctx.groups), "use the study's groups: "
                      + ", ".join(ctx.groups))
        if column is not None and (values or blank):
            rules.append(Exclusion(number, column, values, bool(blank), sources, groups))
    return rules


def check_pii_mappings(c: Collector, items: list[Item], open_ended: list[OpenEnded],
                       ctx: Context) -> None:
    """No item or open-ended question may read a column listed as personal data."""
    pii = {p.casefold() for p in ctx.pii_columns}
    for kind, entries in (("items", items), ("open_ended", open_ended)):
        for entry in entries:
            for group, column in entry.columns.items():
                if column.casefold() in pii:
                    c.add(f"{kind} ({entry.id}).columns.{group}", f"{column!r} is listed in "
                          "pii_columns", "PII never reaches processed data: map another "
                          "column, or remove it from pii_columns if it holds no personal data")


# ---------------------------------------------------------------------------
# choices (nominal questions)


def parse_choices(c: Collector, data: dict, ctx: Context) -> list[Choice]:
    """Nominal questions: pick one, or check all that apply, mirrored like items."""
    found: list[Choice] = []
    for where, spec in c.entries(data, "choices", keys_of("choices[]")):
        cid = ident(c, spec.get("id"), f"{where}.id")
        ctx.claim(c, cid, f"{where}.id")
        label = f"{where} ({cid})" if cid else where
        text = c.typed(spec, "text", str, label, required=True, hint="the question as asked")
        multiple = c.typed(spec, "multiple", bool, label, default=False)
        options = _choice_options(c, spec, label)
        mapped = _choice_columns(c, spec, label, ctx.groups, multiple)
        other = _choice_other(c, spec, label, ctx.groups)
        labels = [o.label for o in options]
        special = {}
        for key in ("unmatched", "none"):
            value = c.typed(spec, key, (str, int), label)
            if key == "unmatched" and value == "error":
                value = None
            if value is not None and str(value) not in labels:
                c.add(f"{label}.{key}", f"{value!r} is not an option" + did_you_mean(
                    str(value), labels), "name one of the options: " + ", ".join(labels))
                value = None
            special[key] = None if value is None else str(value)
        if special["none"] and not multiple:
            c.add(f"{label}.none", "given on a pick-one question", "none: is for check all "
                  "that apply (multiple: true); on a pick-one question it is an option")
        asked_in = asked_waves(c, spec, label, ctx)
        pii = {p.casefold() for p in ctx.pii_columns}
        for group, columns_of in mapped.items():
            names = columns_of if isinstance(columns_of, tuple) else (columns_of,)
            if any(n.casefold() in pii for n in names):
                c.add(f"{label}.columns.{group}", "a column listed in pii_columns",
                      "PII never reaches processed data: map another column")
        if cid and mapped and options:
            found.append(Choice(cid, text or cid, tuple(options), mapped, bool(multiple),
                                other, special["unmatched"], special["none"], asked_in))
    return found


def _choice_options(c: Collector, spec: dict, label: str) -> list[ChoiceOption]:
    raw = c.typed(spec, "options", list, label, required=True,
                  hint="the options in display order, e.g. [Phone, E-mail, Chat]")
    options: list[ChoiceOption] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(raw or []):
        where = f"{label}.options[{index}]"
        if isinstance(entry, dict):
            c.keys(entry, ["label", "aliases"], where)
            name = c.typed(entry, "label", (str, int), where, required=True)
            aliases = c.typed(entry, "aliases", list, where, default=[])
        elif isinstance(entry, str | int) and not isinstance(entry, bool):
            name, aliases = entry, []
        else:
            c.add(where, f"found {describe(entry)}", "expected an option label, or {label: "
                  "..., aliases: [...]}")
            continue
        if name is None:
            continue
        name = str(name).strip()
        spellings = [name, *(str(a).strip() for a in aliases)]
        for spelling in spellings:
            key = normalize(spelling)
            if not key:
                c.add(where, "an empty label or alias", "give every option a label")
            elif key in seen:
                c.add(where, f"{spelling!r} also names option {seen[key]!r}",
                      "each spelling may name one option only")
            else:
                seen[key] = name
        options.append(ChoiceOption(name, tuple(spellings[1:])))
    if raw is not None and len(options) < 2:
        c.add(f"{label}.options", f"{len(options)} option(s)", "list at least two options")
    return options


def _choice_columns(c: Collector, spec: dict, label: str, groups: list[str],
                    multiple: bool) -> dict[str, str | tuple[str, ...]]:
    """``columns``/``column`` of a choice: a name (or pattern) or, for check all that
    apply, a list of option columns."""
    def one(value: Any, where: str) -> str | tuple[str, ...] | None:
        if isinstance(value, list) and multiple and value and all(
                isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            return tuple(str(v) for v in value)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        c.add(where, f"found {describe(value)}", "expected a column name" + (
            ", a pattern (Q5_*) or a list of option columns" if multiple else ""))
        return None

    if "column" in spec and "columns" in spec:
        c.add(label, "both column and columns", "give one: column (shared by every "
              "audience) or columns (audience -> column)")
    if spec.get("column") is not None:
        value = one(spec["column"], f"{label}.column")
        return {} if value is None else {group: value for group in groups}
    raw = spec.get("columns")
    if not isinstance(raw, dict) or not raw:
        c.add(f"{label}.columns", "missing" if raw is None else f"found {describe(raw)}",
              "expected a mapping of audience -> column, e.g. {customers: Q20}")
        return {}
    mapped: dict[str, str | tuple[str, ...]] = {}
    for group, value in raw.items():
        if group not in groups:
            c.add(f"{label}.columns.{group}", "unknown audience" + did_you_mean(
                str(group), groups), "use one of the study's groups: " + ", ".join(groups))
            continue
        column = one(value, f"{label}.columns.{group}")
        if column is not None:
            mapped[str(group)] = column
    return mapped


def _choice_other(c: Collector, spec: dict, label: str, groups: list[str]
                  ) -> dict[str, str] | None:
    raw = spec.get("other")
    if raw is None:
        return None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return {group: str(raw) for group in groups}
    if isinstance(raw, dict):
        return columns(c, {"columns": raw}, f"{label}.other", groups) or None
    c.add(f"{label}.other", f"found {describe(raw)}", "expected a column name, or audience "
          "-> column")
    return None


def choice_open_ended(c: Collector, choices: list[Choice], ctx: Context) -> list[OpenEnded]:
    """The "other (please specify)" text of each choice question, as the open-ended
    question ``<id>_other`` (its id claimed like any other)."""
    found = []
    for number, choice in enumerate(choices):
        question = choice.other_question()
        if question is not None:
            ctx.claim(c, question.id, f"choices[{number}] ({choice.id}).other (makes the "
                      f"open-ended question {question.id})")
            found.append(question)
    return found

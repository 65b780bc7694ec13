"""The study file: load, validate and describe a perception-gap study.

A study file is YAML (see ``studies/example.yml`` and DESIGN.md). It is read with
a safe loader that also rejects duplicate keys, then checked in one pass: every
problem is collected with its key path, what was found and what was expected, and
reported together in one :class:`~cxstudy.exceptions.StudyFileError`.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._validate import Collector, describe, did_you_mean
from .exceptions import Problem, StudyFileError

FORMATS = ["csv", "xlsx", "qualtrics", "surveymonkey", "spss", "google_forms"]
CORRECTIONS = ["holm", "fdr_bh", "none"]
DUPLICATE_RULES = ["id", "answers", "none"]
METRIC_KINDS = ["nps", "ces", "csat"]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names the pipeline itself writes into responses.parquet.
RESERVED_COLUMNS = {"respondent_id", "group", "weight", "source", "source_row", "wave"}


@dataclass(frozen=True)
class Scale:
    """An answer scale. Answers are coded 1..k in the order given.

    Either ``labels`` (text answers) or ``values`` (numeric answers) define the
    points; when both are given, both spellings are accepted for each point.
    ``missing`` lists answers that mean "no answer" (``Don't know``, ``0``).
    """

    id: str
    labels: tuple[str, ...] | None = None
    values: tuple[float, ...] | None = None
    top_box: int = 2
    missing: tuple[Any, ...] = ()

    @property
    def k(self) -> int:
        """Number of scale points."""
        return len(self.labels if self.labels is not None else self.values)

    @property
    def point_names(self) -> list[str]:
        """A display name for each point 1..k."""
        if self.labels is not None:
            return list(self.labels)
        return [_number_text(v) for v in self.values]

    @property
    def point_values(self) -> list[float]:
        """The numeric value of each point 1..k (its value, or its code for labels)."""
        if self.values is not None:
            return [float(v) for v in self.values]
        return [float(code) for code in range(1, self.k + 1)]


@dataclass(frozen=True)
class Source:
    """One export. Its rows belong to ``group``, or to the groups in ``group_column``."""

    name: str
    path: Path
    format: str | None = None
    group: str | None = None
    group_column: str | None = None
    group_map: dict[str, str] | None = None
    id_column: str | None = None
    sheet: str | int | None = None
    wave: str | None = None
    duration_column: str | None = None
    finished_column: str | None = None


@dataclass(frozen=True)
class Item:
    """One construct asked of the audiences: ``columns`` maps group -> column."""

    id: str
    text: str
    scale: str
    columns: dict[str, str]
    dimension: str = "Overall"
    headline: bool = False
    reverse: bool = False
    importance: str | None = None


@dataclass(frozen=True)
class Metric:
    """A CX metric (NPS, CES, CSAT) read from ``columns`` (group -> column)."""

    id: str
    kind: str
    columns: dict[str, str]
    scale: str | None = None


@dataclass(frozen=True)
class Estimate:
    """Estimates (0-100) by leaders/staff of the share of customers who agree with ``item``."""

    item: str
    columns: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.item}_estimate"


@dataclass(frozen=True)
class OpenEnded:
    """One open-ended question, asked of the audiences in ``columns``."""

    id: str
    question: str
    columns: dict[str, str]


@dataclass(frozen=True)
class Weights:
    """Weights of one audience: a design-weight ``column`` of its export, raked to known
    ``margins`` (column -> category -> share) when given."""

    group: str
    margins: dict[str, dict[str, float]]
    trim: float | None = 5.0
    column: str | None = None


@dataclass(frozen=True)
class AttentionCheck:
    """Rows whose answer in the check's column is not one of ``expect`` are dropped."""

    columns: dict[str, str]
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Cleaning:
    """Cleaning rules. ``0``/``false`` switches a rule off."""

    require_finished: bool = True
    drop_preview: bool = True
    duplicates: str = "id"
    min_duration_ratio: float = 0.0
    straightline_min_items: int = 0
    attention_checks: tuple[AttentionCheck, ...] = ()
    unknown_labels: str = "error"


@dataclass(frozen=True)
class Study:
    """A validated study file. Build one with :func:`load_study`."""

    title: str
    slug: str
    path: Path | None
    base_dir: Path
    sources: tuple[Source, ...]
    groups: tuple[str, ...]
    reference: str
    scales: dict[str, Scale]
    items: tuple[Item, ...]
    confidence: float = 0.95
    correction: str = "holm"
    min_group_size: int = 5
    pii_columns: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    estimates: tuple[Estimate, ...] = ()
    weights: Weights | None = None
    open_ended: tuple[OpenEnded, ...] = ()
    themes: Path | None = None
    cleaning: Cleaning = field(default_factory=Cleaning)

    @property
    def project_root(self) -> Path:
        """The project folder: the parent of the folder that holds the study file."""
        return self.base_dir.parent

    @property
    def processed_dir(self) -> Path:
        return self.project_root / "data" / "processed" / self.slug

    @property
    def report_dir(self) -> Path:
        return self.project_root / "reports" / self.slug

    @property
    def dimensions(self) -> list[str]:
        """Dimensions in the order their first item appears."""
        return list(dict.fromkeys(item.dimension for item in self.items))

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"no item {item_id!r} in study {self.slug!r}" + did_you_mean(
            item_id, [i.id for i in self.items]))

    def source_groups(self, source: Source) -> list[str]:
        """Groups whose rows a source can hold."""
        if source.group is not None:
            return [source.group]
        if source.group_map:
            return [g for g in self.groups if g in set(source.group_map.values())]
        return list(self.groups)

    def mappings(self) -> list[ColumnMapping]:
        """Every (response column, audience) -> export column mapping in the study."""
        found: list[ColumnMapping] = []
        for i, item in enumerate(self.items):
            for group, column in item.columns.items():
                found.append(ColumnMapping(item.id, "item", group, column,
                                           f"items[{i}] ({item.id}).columns.{group}",
                                           item.scale))
        for metric in self.metrics:
            for group, column in metric.columns.items():
                found.append(ColumnMapping(metric.id, "metric", group, column,
                                           f"metrics.{metric.id}.columns.{group}", metric.scale))
        for i, estimate in enumerate(self.estimates):
            for group, column in estimate.columns.items():
                found.append(ColumnMapping(estimate.id, "estimate", group, column,
                                           f"estimates[{i}].columns.{group}"))
        for i, question in enumerate(self.open_ended):
            for group, column in question.columns.items():
                found.append(ColumnMapping(question.id, "open_ended", group, column,
                                           f"open_ended[{i}] ({question.id}).columns.{group}"))
        for i, check in enumerate(self.cleaning.attention_checks):
            for group, column in check.columns.items():
                found.append(ColumnMapping(f"attention_check_{i}", "attention_check", group,
                                           column, f"cleaning.attention_checks[{i}].columns."
                                           f"{group}"))
        return found

    def columns_for(self, group: str) -> dict[str, str]:
        """Mapped answer columns of one audience: response column id -> export column."""
        return {m.id: m.column for m in self.mappings()
                if m.group == group and m.kind != "attention_check"}


@dataclass(frozen=True)
class ColumnMapping:
    """One audience's export column for one response column, and where the study says so."""

    id: str
    kind: str
    group: str
    column: str
    key_path: str
    scale: str | None = None


# ---------------------------------------------------------------------------
# YAML loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of silently keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, Any] = {}
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely; errors become a :class:`StudyFileError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StudyFileError(path, [Problem(str(path), "file not found",
                                            "check the path (relative paths start from "
                                            f"{Path.cwd()})")]) from None
    except UnicodeDecodeError as exc:
        raise StudyFileError(path, [Problem(str(path), f"not UTF-8 text ({exc.reason})",
                                            "save the study file as UTF-8")]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyFileError(path, [Problem(where, str(problem),
                                            "fix the YAML syntax (indentation, quotes, colons)")]
                             ) from None


# ---------------------------------------------------------------------------
# Validation

_TOP_KEYS = ["study", "slug", "confidence", "correction", "min_group_size", "sources", "groups",
             "reference", "pii_columns", "scales", "items", "metrics", "estimates", "weights",
             "open_ended", "themes", "cleaning"]
_SOURCE_KEYS = ["path", "format", "group", "group_column", "group_map", "id_column", "sheet",
                "wave", "name", "duration_column", "finished_column"]
_SCALE_KEYS = ["labels", "values", "top_box", "missing"]
_ITEM_KEYS = ["id", "text", "scale", "dimension", "headline", "columns", "column", "reverse",
              "importance"]
_METRIC_KEYS = ["kind", "column", "columns", "scale"]
_ESTIMATE_KEYS = ["item", "column", "columns"]
_OPEN_KEYS = ["id", "question", "column", "columns"]
_WEIGHT_KEYS = ["group", "margins", "trim", "column"]
_CLEANING_KEYS = ["require_finished", "drop_preview", "duplicates", "min_duration_ratio",
                  "straightline_min_items", "attention_checks", "unknown_labels"]
_CHECK_KEYS = ["column", "columns", "expect"]


def load_study(study: str | Path | dict, *, base_dir: str | Path | None = None) -> Study:
    """Load and validate a study file.

    Parameters
    ----------
    study : str, Path or dict
        Path to a YAML study file, or an already parsed mapping (then relative
        paths resolve from ``base_dir``, default the working directory).
    base_dir : str or Path, optional
        Folder relative paths resolve from; defaults to the study file's folder.

    Returns
    -------
    Study

    Raises
    ------
    StudyFileError
        With every problem found, each naming the key path, what was found and
        what was expected.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> study.groups  # doctest: +SKIP
    ('leadership', 'staff', 'customers')
    """
    path: Path | None
    if isinstance(study, dict):
        data, path = study, None
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(study).expanduser()
        data = read_yaml(path)
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
    return _build(data, path, base.resolve())


def _columns(c: Collector, spec: dict, where: str, groups: list[str]) -> dict[str, str]:
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


def _ident(c: Collector, value: Any, where: str) -> str | None:
    if not isinstance(value, str) or not _IDENT.match(value):
        c.add(where, f"found {describe(value)}",
              "expected an identifier: letters, digits and _, not starting with a digit")
        return None
    if value in RESERVED_COLUMNS:
        c.add(where, f"{value!r} is reserved", "choose another id; reserved: "
              + ", ".join(sorted(RESERVED_COLUMNS)))
        return None
    return value


def _build(data: Any, path: Path | None, base: Path) -> Study:
    c = Collector()
    data = c.mapping(data, "(top level)")
    c.keys(data, _TOP_KEYS, "")

    title = c.typed(data, "study", str, "", required=True, default="",
                    hint='the title shown in reports, e.g. study: "Acme — perception gap 2026"')
    slug = c.typed(data, "slug", str, "", required=True, default="study",
                   hint="the folder name under data/processed and reports, e.g. slug: acme")
    if "slug" in data and isinstance(data["slug"], str) and not _SLUG.match(data["slug"]):
        c.add("slug", f"found {data['slug']!r}",
              "use lower-case letters, digits, - and _ (it names folders)")
    confidence = c.typed(data, "confidence", float, "", default=0.95)
    if not 0.5 <= confidence < 1:
        c.add("confidence", f"found {confidence}", "expected a level such as 0.95 (between 0.5 "
              "and 1)")
        confidence = 0.95
    correction = c.choice(data, "correction", CORRECTIONS, "", default="holm")
    min_group_size = c.typed(data, "min_group_size", int, "", default=5)
    if min_group_size < 1:
        c.add("min_group_size", f"found {min_group_size}", "expected a whole number >= 1")
        min_group_size = 1

    # -- sources and groups ------------------------------------------------
    raw_sources = c.typed(data, "sources", list, "", required=True, default=[],
                          hint="list the exports, each with path: and group: or group_column:")
    if "sources" in data and isinstance(data["sources"], list) and not data["sources"]:
        c.add("sources", "empty list", "list at least one export")
    declared_groups = c.typed(data, "groups", list, "", default=None)
    groups: list[str] = []
    if declared_groups is not None:
        for i, g in enumerate(declared_groups):
            if not isinstance(g, str) or not g.strip():
                c.add(f"groups[{i}]", f"found {describe(g)}", "expected an audience name")
            elif g in groups:
                c.add(f"groups[{i}]", f"{g!r} listed twice", "list each audience once")
            else:
                groups.append(g)
    else:
        for spec in raw_sources:
            if isinstance(spec, dict) and isinstance(spec.get("group"), str):
                if spec["group"] not in groups:
                    groups.append(spec["group"])
            elif isinstance(spec, dict) and spec.get("group_column") is not None:
                c.add("groups", "missing", "list the audiences in display order when a source "
                      "takes them from group_column, e.g. groups: [leadership, staff, customers]")
                break

    sources: list[Source] = []
    names: set[str] = set()
    for i, spec in enumerate(raw_sources):
        where = f"sources[{i}]"
        spec = c.mapping(spec, where)
        if not spec:
            continue
        c.keys(spec, _SOURCE_KEYS, where)
        raw_path = c.typed(spec, "path", str, where, required=True,
                           hint="the export's path, relative to the study file's folder")
        fmt = spec.get("format")
        if fmt is not None:
            fmt = c.choice(spec, "format", FORMATS, where, default=None)
        group = c.typed(spec, "group", str, where)
        group_column = c.typed(spec, "group_column", (str, int), where)
        if group is None and group_column is None:
            c.add(where, "no audience", "add group: NAME (every row belongs to it) or "
                  "group_column: COLUMN (groups come from that column's values)")
        if group is not None and group_column is not None:
            c.add(where, "both group and group_column", "give one of them")
        if group is not None and groups and group not in groups:
            c.add(f"{where}.group", f"{group!r} is not in groups" + did_you_mean(group, groups),
                  "use one of: " + ", ".join(groups))
        group_map = c.typed(spec, "group_map", dict, where)
        if group_map is not None:
            if group_column is None:
                c.add(f"{where}.group_map", "given without group_column",
                      "group_map renames the values of group_column; add group_column")
            clean_map = {}
            for raw_value, target in group_map.items():
                if target not in groups:
                    c.add(f"{where}.group_map.{raw_value}", f"{target!r} is not in groups"
                          + did_you_mean(str(target), groups), "use one of: " + ", ".join(groups))
                else:
                    clean_map[str(raw_value)] = target
            group_map = clean_map
        name = spec.get("name")
        if name is None and raw_path:
            name = Path(raw_path).stem
        name = str(name)
        if name in names:
            suffix = 2
            while f"{name}_{suffix}" in names:
                suffix += 1
            name = f"{name}_{suffix}"
        names.add(name)
        sheet = c.typed(spec, "sheet", (str, int), where)
        wave = spec.get("wave")
        sources.append(Source(
            name=name,
            path=(base / raw_path).resolve() if raw_path else base,
            format=fmt,
            group=group,
            group_column=str(group_column) if group_column is not None else None,
            group_map=group_map,
            id_column=_opt_str(c, spec, "id_column", where),
            sheet=sheet,
            wave=str(wave) if wave is not None else None,
            duration_column=_opt_str(c, spec, "duration_column", where),
            finished_column=_opt_str(c, spec, "finished_column", where),
        ))

    reference = data.get("reference")
    if reference is None:
        reference = groups[-1] if groups else ""
    elif reference not in groups:
        c.add("reference", f"{reference!r} is not in groups" + did_you_mean(str(reference), groups),
              "use one of: " + ", ".join(groups) + " (gaps are group - reference)")
    if declared_groups is not None and len(groups) < 2:
        c.add("groups", f"{len(groups)} audience(s)", "a perception gap needs at least two "
              "audiences, e.g. [leadership, staff, customers]")

    pii = c.typed(data, "pii_columns", list, "", default=[])
    pii_columns = tuple(str(p) for p in pii)

    # -- scales ------------------------------------------------------------
    scales: dict[str, Scale] = {}
    raw_scales = c.typed(data, "scales", dict, "", default={})
    for sid, spec in raw_scales.items():
        where = f"scales.{sid}"
        spec = c.mapping(spec, where)
        if not spec:
            continue
        c.keys(spec, _SCALE_KEYS, where)
        labels = c.typed(spec, "labels", list, where)
        values = c.typed(spec, "values", list, where)
        if labels is None and values is None:
            c.add(where, "no points", "give labels: [..] (coded 1..k) or values: [1, 2, 3, ...]")
            continue
        if labels is not None:
            bad = [x for x in labels if not isinstance(x, str | int | float) or isinstance(x, bool)]
            if bad:
                c.add(f"{where}.labels", f"found {describe(bad[0])}", "expected text labels")
                continue
            labels = tuple(str(x) for x in labels)
        if values is not None:
            bad = [x for x in values if not isinstance(x, numbers.Real) or isinstance(x, bool)]
            if bad:
                c.add(f"{where}.values", f"found {describe(bad[0])}", "expected numbers")
                continue
            values = tuple(int(x) if float(x).is_integer() else float(x) for x in values)
            if list(values) != sorted(values) or len(set(values)) != len(values):
                c.add(f"{where}.values", f"found {list(values)}",
                      "list distinct numbers from lowest to highest")
        if labels is not None and values is not None and len(labels) != len(values):
            c.add(where, f"{len(labels)} labels but {len(values)} values",
                  "give one label per value")
            continue
        points = labels if labels is not None else values
        if len(points) < 2:
            c.add(where, f"{len(points)} point(s)", "a scale needs at least 2 points")
            continue
        from .scales import normalize  # local import: scales imports this module's Scale

        keys = [normalize(p) for p in points]
        if len(set(keys)) != len(keys):
            c.add(where, "two points read the same", "labels must differ by more than case "
                  "and spacing")
        top_box = c.typed(spec, "top_box", int, where, default=2)
        if not 1 <= top_box < len(points):
            c.add(f"{where}.top_box", f"found {top_box}",
                  f"expected 1..{len(points) - 1} (how many of the highest points count as "
                  "top box)")
            top_box = 1
        missing = c.typed(spec, "missing", list, where, default=[])
        clash = [m for m in missing if normalize(m) in keys]
        if clash:
            c.add(f"{where}.missing", f"{clash[0]!r} is also a scale point",
                  "an answer is either a scale point or missing, not both")
        scales[sid] = Scale(id=str(sid), labels=labels, values=values, top_box=top_box,
                            missing=tuple(missing))

    # -- items --------------------------------------------------------------
    items: list[Item] = []
    used_ids: set[str] = set()

    def claim(identifier: str | None, where: str) -> None:
        if identifier is None:
            return
        if identifier in used_ids:
            c.add(where, f"id {identifier!r} used twice", "items, metrics and open-ended "
                  "questions each need their own id (they name columns)")
        used_ids.add(identifier)

    for where, spec in c.entries(data, "items", _ITEM_KEYS):
        iid = _ident(c, spec.get("id"), f"{where}.id")
        claim(iid, f"{where}.id")
        label = f"{where} ({iid})" if iid else where
        text = c.typed(spec, "text", str, label, required=True,
                       hint="the statement as asked, shown in reports")
        scale = c.typed(spec, "scale", str, label, required=True, hint="the id of a scale")
        if scale is not None and scale not in scales and scale not in raw_scales:
            c.add(f"{label}.scale", f"unknown scale {scale!r}" + did_you_mean(scale, raw_scales),
                  "use one of the scales: " + (", ".join(raw_scales) or "(none defined)"))
        columns = _columns(c, spec, label, groups)
        dimension = c.typed(spec, "dimension", str, label, default="Overall")
        headline = c.typed(spec, "headline", bool, label, default=False)
        reverse = c.typed(spec, "reverse", bool, label, default=False)
        importance = c.typed(spec, "importance", str, label,
                             hint="the id of the item that asks how important this is")
        if iid and columns:
            items.append(Item(iid, text or iid, scale or "", columns, dimension, headline,
                              reverse, importance))

    item_ids = [item.id for item in items]
    for item in items:
        if item.importance is not None and item.importance not in item_ids:
            c.add(f"items ({item.id}).importance", f"unknown item {item.importance!r}"
                  + did_you_mean(item.importance, item_ids),
                  "name the item that asks how important this one is")

    # -- metrics ------------------------------------------------------------
    metrics: list[Metric] = []
    raw_metrics = c.typed(data, "metrics", dict, "", default={})
    for mid, spec in raw_metrics.items():
        where = f"metrics.{mid}"
        spec = c.mapping(spec, where)
        if not spec:
            continue
        c.keys(spec, _METRIC_KEYS, where)
        mid = _ident(c, mid, where)
        claim(mid, where)
        kind = spec.get("kind", mid if mid in METRIC_KINDS else None)
        if kind not in METRIC_KINDS:
            c.add(f"{where}.kind", f"found {describe(kind)}" + did_you_mean(str(kind),
                                                                         METRIC_KINDS),
                  "name the metric nps, ces or csat, or add kind: nps|ces|csat")
        scale = c.typed(spec, "scale", str, where)
        if kind in ("ces", "csat") and scale is None:
            c.add(f"{where}.scale", "missing", f"{kind} needs the id of its answer scale")
        if scale is not None and scale not in raw_scales:
            c.add(f"{where}.scale", f"unknown scale {scale!r}" + did_you_mean(scale, raw_scales),
                  "use one of the scales: " + (", ".join(raw_scales) or "(none defined)"))
        columns = _columns(c, spec, where, groups)
        if mid and columns and kind in METRIC_KINDS:
            metrics.append(Metric(mid, kind, columns, scale))

    # -- estimates ----------------------------------------------------------
    estimates: list[Estimate] = []
    for where, spec in c.entries(data, "estimates", _ESTIMATE_KEYS):
        target = c.typed(spec, "item", str, where, required=True,
                         hint="the id of the item whose customer share is estimated")
        if target is not None and target not in item_ids:
            c.add(f"{where}.item", f"unknown item {target!r}" + did_you_mean(target, item_ids),
                  "use the id of an item")
        columns = _columns(c, spec, where, groups)
        if target in item_ids and columns:
            estimate = Estimate(target, columns)
            claim(estimate.id, where)
            estimates.append(estimate)

    # -- open-ended ---------------------------------------------------------
    open_ended: list[OpenEnded] = []
    for where, spec in c.entries(data, "open_ended", _OPEN_KEYS):
        qid = _ident(c, spec.get("id"), f"{where}.id")
        claim(qid, f"{where}.id")
        question = c.typed(spec, "question", str, where, required=True,
                           hint="the question as asked")
        columns = _columns(c, spec, where, groups)
        if qid and columns:
            open_ended.append(OpenEnded(qid, question or qid, columns))

    themes = c.typed(data, "themes", str, "")
    themes_path = (base / themes).resolve() if themes else None
    if themes_path is not None and not themes_path.is_file():
        c.add("themes", f"{themes!r}: no such file ({themes_path})",
              "give the codebook's path relative to the study file's folder")

    # -- weights ------------------------------------------------------------
    weights = None
    raw_weights = c.typed(data, "weights", dict, "")
    if raw_weights is not None:
        c.keys(raw_weights, _WEIGHT_KEYS, "weights")
        wgroup = c.typed(raw_weights, "group", str, "weights", required=True,
                         hint="the audience to weight, e.g. customers")
        if wgroup is not None and wgroup not in groups:
            c.add("weights.group", f"{wgroup!r} is not in groups" + did_you_mean(wgroup, groups),
                  "use one of: " + ", ".join(groups))
        base_column = _opt_str(c, raw_weights, "column", "weights")
        margins = c.typed(raw_weights, "margins", dict, "weights", required=base_column is None,
                          hint="column: {category: share, ...} (or column: a weight column)")
        clean_margins: dict[str, dict[str, float]] = {}
        for column, shares in (margins or {}).items():
            where = f"weights.margins.{column}"
            if not isinstance(shares, dict) or not shares:
                c.add(where, f"found {describe(shares)}", "expected {category: share, ...}")
                continue
            bad = [s for s in shares.values() if not isinstance(s, int | float)
                   or isinstance(s, bool) or s <= 0]
            if bad:
                c.add(where, f"share {describe(bad[0])}", "shares are numbers above 0")
                continue
            total = sum(shares.values())
            if abs(total - 1) > 1e-6:
                c.add(where, f"shares sum to {total:g}", "target shares must sum to 1")
            clean_margins[str(column)] = {str(k): float(v) for k, v in shares.items()}
        trim = raw_weights.get("trim", 5)
        if trim is False or trim == 0:
            trim = None
        elif not isinstance(trim, int | float) or isinstance(trim, bool) or trim <= 1:
            c.add("weights.trim", f"found {describe(trim)}",
                  "expected a cap above 1 (times the mean weight), or false for none")
            trim = 5
        for column in [*clean_margins, *([base_column] if base_column else [])]:
            if column.casefold() in {p.casefold() for p in pii_columns}:
                c.add(f"weights ({column})", f"{column!r} is listed in pii_columns",
                      "weighting columns are copied into processed data; weight on a "
                      "column that identifies nobody")
        for column in clean_margins:
            if column in RESERVED_COLUMNS or column in {i.id for i in items}:
                c.add(f"weights.margins.{column}", "clashes with a response column",
                      "margin columns are copied into the responses; rename the item")
        if wgroup in groups and (clean_margins or base_column):
            weights = Weights(wgroup, clean_margins, float(trim) if trim else None,
                              base_column)

    # -- cleaning -----------------------------------------------------------
    raw_cleaning = c.typed(data, "cleaning", dict, "", default={})
    c.keys(raw_cleaning, _CLEANING_KEYS, "cleaning")
    ratio = raw_cleaning.get("min_duration_ratio", 0)
    if ratio is False or ratio is None:
        ratio = 0.0
    if not isinstance(ratio, int | float) or isinstance(ratio, bool) or not 0 <= ratio < 1:
        c.add("cleaning.min_duration_ratio", f"found {describe(ratio)}",
              "expected a fraction of the group's median duration, e.g. 0.33 (0 = off)")
        ratio = 0.0
    straight = raw_cleaning.get("straightline_min_items", 0)
    if straight is False or straight is None:
        straight = 0
    if not isinstance(straight, int) or isinstance(straight, bool) or straight < 0 \
            or straight == 1:
        c.add("cleaning.straightline_min_items", f"found {describe(straight)}",
              "expected a whole number of items >= 2 (0 = off)")
        straight = 0
    checks = []
    for where, spec in c.entries(raw_cleaning, "attention_checks", _CHECK_KEYS, "cleaning"):
        columns = _columns(c, spec, where, groups)
        expect = spec.get("expect")
        if expect is None:
            c.add(f"{where}.expect", "missing", "the answer that passes the check")
            continue
        expect = tuple(str(e) for e in (expect if isinstance(expect, list) else [expect]))
        if columns:
            checks.append(AttentionCheck(columns, expect))
    cleaning = Cleaning(
        require_finished=c.typed(raw_cleaning, "require_finished", bool, "cleaning",
                                 default=True),
        drop_preview=c.typed(raw_cleaning, "drop_preview", bool, "cleaning", default=True),
        duplicates=c.choice(raw_cleaning, "duplicates", DUPLICATE_RULES, "cleaning",
                            default="id"),
        min_duration_ratio=float(ratio),
        straightline_min_items=int(straight),
        attention_checks=tuple(checks),
        unknown_labels=c.choice(raw_cleaning, "unknown_labels", ["error", "missing"], "cleaning",
                                default="error"),
    )

    pii_set = {p.casefold() for p in pii_columns}
    for kind, entries in (("items", items), ("open_ended", open_ended)):
        for entry in entries:
            for group, column in entry.columns.items():
                if column.casefold() in pii_set:
                    c.add(f"{kind} ({entry.id}).columns.{group}", f"{column!r} is listed in "
                          "pii_columns", "PII never reaches processed data: map another "
                          "column, or remove it from pii_columns if it holds no personal data")
    if not items and not metrics and not open_ended and not c.problems:
        c.add("items", "no items, metrics or open-ended questions",
              "map at least one question to the audiences")
    if c.problems:
        raise StudyFileError(path, c.problems)
    return Study(
        title=title, slug=slug, path=path.resolve() if path else None, base_dir=base,
        sources=tuple(sources), groups=tuple(groups), reference=reference, scales=scales,
        items=tuple(items), confidence=float(confidence), correction=correction,
        min_group_size=min_group_size, pii_columns=pii_columns, metrics=tuple(metrics),
        estimates=tuple(estimates), weights=weights, open_ended=tuple(open_ended),
        themes=themes_path, cleaning=cleaning,
    )


def _opt_str(c: Collector, spec: dict, key: str, where: str) -> str | None:
    value = c.typed(spec, key, (str, int), where)
    return str(value) if value is not None else None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

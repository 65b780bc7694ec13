"""The study file: load, validate and describe a perception-gap study.

A study file is YAML (see ``studies/example.yml`` and ``docs/study-file.md``). It is
read with a safe loader that also rejects duplicate keys, then checked in one pass,
section by section (:mod:`cxstudy._sections`): every problem is collected with its
key path, what was found and what was expected, and reported together in one
:class:`~cxstudy.exceptions.StudyFileError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from . import _sections as sections
from ._validate import Collector
from .exceptions import Problem, StudyFileError
from .limits import STUDY_FILE_BYTES, STUDY_FILE_DEPTH, STUDY_FILE_VALUES, not_a_file
from .model import (  # noqa: F401 - the study's objects, importable from here
    RESERVED_COLUMNS,
    AttentionCheck,
    Cleaning,
    ColumnMapping,
    Estimate,
    Item,
    Metric,
    OpenEnded,
    Segment,
    Source,
    Study,
    Weights,
    groups_of_source,
)
from .scales import Scale  # noqa: F401

# ---------------------------------------------------------------------------
# YAML loading


class _TooDeep(Exception):
    """A document nested deeper than :data:`MAX_DEPTH`; ``mark`` is where."""

    def __init__(self, mark):
        super().__init__()
        self.mark = mark


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of silently keeping the last, and
    documents nested deeper than :data:`MAX_DEPTH` (PyYAML's composer recurses: 5,000
    levels would end in a RecursionError)."""

    _depth = 0  # lists and mappings open around the node being composed

    def compose_node(self, parent, index):
        opens = int(self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent))
        self._depth += opens
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= opens


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


MAX_BYTES = STUDY_FILE_BYTES  # a study file or codebook is a few kilobytes
MAX_NODES = STUDY_FILE_VALUES  # values after aliases are expanded: an "alias bomb" stops here
MAX_DEPTH = STUDY_FILE_DEPTH  # lists and mappings inside each other


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely; errors become a :class:`StudyFileError` naming the line.

    Refused (see :mod:`cxstudy.limits`): a path that is not a regular file (a named pipe
    or ``/dev/zero`` is never opened), files over :data:`MAX_BYTES`, documents nested
    deeper than :data:`MAX_DEPTH` and documents whose aliases would expand to more than
    :data:`MAX_NODES` values (a few lines can otherwise ask for gigabytes).
    """
    text = _yaml_text(path)
    try:
        loader = _UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node) > MAX_NODES:
                raise StudyFileError(path, [Problem(
                    str(path), f"its aliases expand to more than {MAX_NODES:,} values",
                    "write the values out, or use fewer nested aliases (&anchor / *alias)")])
            return loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _TooDeep as exc:
        raise StudyFileError(path, [Problem(
            f"line {exc.mark.line + 1}, column {exc.mark.column + 1}",
            f"lists and mappings nested more than {MAX_DEPTH} levels deep",
            "a study file is a few levels deep; is this the right file?")]) from None
    except RecursionError:  # a stack already deep when called: still no traceback
        raise StudyFileError(path, [Problem(str(path), "nested too deeply to read",
                                            "a study file is a few levels deep; is this "
                                            "the right file?")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyFileError(path, [Problem(where, str(problem),
                                            "fix the YAML syntax (indentation, quotes, colons)")]
                             ) from None


def _yaml_text(path: Path) -> str:
    """The text of a study file or codebook: a regular file of at most :data:`MAX_BYTES`
    (no more is read, whatever its size claims), as UTF-8."""
    kind = not_a_file(path)
    if kind == "a folder":
        raise StudyFileError(path, [Problem(str(path), "is a folder",
                                            "give the study file itself, e.g. "
                                            "studies/acme.yml")])
    if kind is not None:
        raise StudyFileError(path, [Problem(str(path), f"is {kind}, not a file",
                                            "give the study file itself, e.g. "
                                            "studies/acme.yml (cxstudy reads only regular "
                                            "files)")])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            size = max(path.stat().st_size, len(data))
            raise StudyFileError(path, [Problem(str(path), f"{size:,} bytes",
                                                f"a study file is at most {MAX_BYTES:,} "
                                                "bytes; is this the right file?")])
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise StudyFileError(path, [Problem(str(path), "file not found",
                                            "check the path (relative paths start from "
                                            f"{Path.cwd()})")]) from None
    except UnicodeDecodeError as exc:
        raise StudyFileError(path, [Problem(str(path), f"not UTF-8 text ({exc.reason})",
                                            "save the study file as UTF-8")]) from None
    except IsADirectoryError:
        raise StudyFileError(path, [Problem(str(path), "is a folder",
                                            "give the study file itself, e.g. "
                                            "studies/acme.yml")]) from None
    except PermissionError:
        raise StudyFileError(path, [Problem(str(path), "cannot be read (permission denied)",
                                            "check the file's permissions")]) from None


def _expanded_size(root: yaml.Node) -> int:
    """How many values a document holds once every alias is expanded, counted on the node
    graph (aliases are shared nodes) without expanding anything."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a node reached again while counting it: a cycle
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        sizes[id(node)] = min(total, MAX_NODES + 1)
        return sizes[id(node)]

    return size(root)


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
        The validated study (frozen): ``title``, ``slug``, ``sources``, ``groups``
        (audiences in display order), ``reference``, ``scales``, ``items``, settings
        such as ``confidence``, ``correction`` and ``min_group_size``, and the optional
        sections (metrics, estimates, weights, open-ended questions, waves, segments);
        docs/study-file.md describes every key.

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


def _build(data: Any, path: Path | None, base: Path) -> Study:
    """Parse every section into a :class:`Study`, or raise with every problem found."""
    c = Collector()
    data = c.mapping(data, "(top level)")
    c.keys(data, sections.keys_of("(top level)"), "")
    header = sections.parse_header(c, data)
    raw_sources = c.typed(data, "sources", list, "", required=True, default=[],
                          hint="list the exports, each with path: and group: or group_column:")
    if isinstance(data.get("sources"), list) and not data["sources"]:
        c.add("sources", "empty list", "list at least one export")
    groups, group_labels = sections.parse_groups(c, data, raw_sources)
    ctx = sections.Context(base=base, groups=groups, waves=sections.parse_waves(c, data))
    sources = sections.parse_sources(c, raw_sources, ctx)
    ctx.sources = sources
    reference = sections.parse_reference(c, data, ctx.groups)
    sections.check_waves(c, sources, ctx.waves, reference,
                         lambda source: groups_of_source(source, ctx.groups))
    ctx.pii_columns = tuple(str(p) for p in c.typed(data, "pii_columns", list, "", default=[]))
    ctx.raw_scales = c.typed(data, "scales", dict, "", default={})
    scales = sections.parse_scales(c, ctx.raw_scales)
    items = sections.parse_items(c, data, ctx)
    metrics = sections.parse_metrics(c, data, ctx)
    estimates = sections.parse_estimates(c, data, ctx)
    open_ended = sections.parse_open_ended(c, data, ctx)
    segments = sections.parse_segments(c, data, ctx)
    themes = sections.parse_themes(c, data, ctx)
    importance_against = sections.parse_importance(c, data, ctx, [m.id for m in metrics])
    weights = sections.parse_weights(c, data, ctx)
    cleaning = sections.parse_cleaning(c, data, ctx)
    deliverables = sections.parse_deliverables(c, data, ctx)
    choices = sections.parse_choices(c, data, ctx)
    open_ended = [*open_ended, *sections.choice_open_ended(c, choices, ctx)]
    sections.check_pii_mappings(c, items, open_ended, ctx)
    if not items and not metrics and not open_ended and not choices and not c.problems:
        c.add("items", "no items, metrics or open-ended questions",
              "map at least one question to the audiences")
    if c.problems:
        raise StudyFileError(path, c.problems)
    return Study(
        **header, path=path.resolve() if path else None, base_dir=base,
        sources=tuple(sources), groups=tuple(ctx.groups), reference=reference, scales=scales,
        items=tuple(items), pii_columns=ctx.pii_columns, metrics=tuple(metrics),
        estimates=tuple(estimates), weights=weights, open_ended=tuple(open_ended),
        themes=themes, cleaning=cleaning, waves=tuple(ctx.waves), segments=tuple(segments),
        importance_against=importance_against, deliverables=deliverables,
        choices=tuple(choices), group_labels=group_labels,
    )


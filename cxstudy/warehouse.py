"""Counts beyond memory: :func:`level_counts` as one SQL ``GROUP BY``, in DuckDB or
on any engine :mod:`sqlglot` writes SQL for.

Every statistic of the item tables is a function of the pattern counts of
:mod:`cxstudy.counts`: how many respondents of each audience gave each pattern of
answers to a dimension's items. Those are a ``GROUP BY`` over (audience, answer
pattern), so they can be counted where the data lives: here DuckDB over the processed
``responses.parquet`` (streamed, in bounded memory); elsewhere the same query, written
once as a sqlglot expression and generated for the engine asked for
(:func:`pattern_query` with ``dialect="spark"``, ``"bigquery"``, ...), its rows turned
back into counts by :func:`counts_from_rows` (see ``docs/scale.md``). The result is the
same :class:`~cxstudy.counts.LevelCounts` the pandas path makes, and every table takes it
(``gap_table(responses, study, counts=...)``, ``cx.analyze(study, counts=...)``).

DuckDB and Spark SQL (local mode) run the generated query in the tests
(``tests/test_warehouse.py``); for the other dialects the SQL is generated and parsed
back by sqlglot, not run.

:func:`level_counts` needs the optional ``duckdb`` package:
``pip install "cxstudy[duckdb]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .counts import LevelCounts, PatternCounts, _split_dimensions, chosen_items, from_patterns
from .exceptions import CxStudyError
from .model import Study

#: The engines the query is run on in the tests; every other sqlglot dialect is only
#: generated (and parsed back), see docs/scale.md.
TESTED_ENGINES = ("duckdb", "spark")

# Dialects sqlglot writes but whose engines have no GROUP BY GROUPING SETS (SQLite fails
# on it; MySQL has only WITH ROLLUP): refused with a clear message rather than written.
_NO_GROUPING_SETS = {"sqlite": "SQLite", "mysql": "MySQL"}


def pattern_query(study: Study, chosen: list, blocks: list[list[int]], *,
                  table: str = "responses", wave: str | None = None,
                  weight: str | None = "weight", dialect: str = "duckdb") -> str:
    """The SQL that counts every block's answer patterns per audience in one pass:
    ``GROUP BY GROUPING SETS ((g, key_0), (g, key_1), ...)``, in ``dialect``.

    ``key_b`` is the block's pattern number, :math:`\\sum_i c_i s_i` with codes
    :math:`c_i` (0 = missing) and strides :math:`s_i = \\prod_{j<i}(k_j + 1)`, as in
    :mod:`cxstudy.counts`; ``g`` the audience's position in ``groups``. Per (``g``,
    ``key_b``) the query returns ``n`` (respondents), ``w`` (sum of weights), ``w2``
    (sum of squared weights), ``w_min``, ``w_max`` and ``unused_b`` (``GROUPING``: 0 in
    the rows of block ``b``). The query is built once as a sqlglot expression and
    written for the engine asked for, with each engine's quoting of identifiers (the
    column ``group`` is a reserved word everywhere) and of text.

    Parameters
    ----------
    study : Study
    chosen : list
        The items counted, as :func:`cxstudy.counts.chosen_items` returns them.
    blocks : list of list of int
        Their pattern blocks (positions in ``chosen``), from the same call.
    table : str
        The table (or view) to count, in the engine's own spelling (``"db.responses"``,
        ```"project.dataset.responses"``` for BigQuery).
    wave : str, optional
        Count this wave only (``WHERE CAST(wave AS text) = '<wave>'``); counts are never
        pooled across waves.
    weight : str or None
        The weight column; ``None`` when the table has none (every respondent weighs 1).
    dialect : str
        A sqlglot dialect: ``"duckdb"`` (default), ``"spark"``, ``"bigquery"``,
        ``"snowflake"``, ``"postgres"``, ``"redshift"``, ... Only DuckDB and Spark are
        run in the tests (:data:`TESTED_ENGINES`).

    Returns
    -------
    str
        One SQL statement.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel, ParseError

    try:
        sqlglot.Dialect.get_or_raise(dialect)
    except ValueError:
        raise CxStudyError(f"pattern_query: unknown SQL dialect {dialect!r}; give one of "
                           "sqlglot's, e.g. 'duckdb', 'spark', 'bigquery', 'snowflake', "
                           "'postgres', 'redshift'") from None
    if str(dialect).lower() in _NO_GROUPING_SETS:
        raise CxStudyError(f"pattern_query: {_NO_GROUPING_SETS[str(dialect).lower()]} has no "
                           "GROUP BY GROUPING SETS, which the query needs; count with DuckDB "
                           "over the data instead (warehouse.level_counts)")
    if wave is not None and not isinstance(wave, str):
        raise CxStudyError(f"pattern_query: wave= names the wave to count, e.g. wave='2026' "
                           f"(got {wave!r})")
    try:
        source = exp.to_table(table, dialect=dialect)
    except ParseError as error:
        raise CxStudyError(f"pattern_query: table={table!r} is not a table name in "
                           f"{dialect}: {error}") from None
    keyed = _keyed(study, chosen, blocks, source, wave, weight)
    query = _grouped(keyed, len(blocks), len(chosen), _split_dimensions(chosen, blocks))
    return query.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)


def _column(name: str):
    from sqlglot import exp

    return exp.column(exp.to_identifier(name, quoted=True))


def _cast(expression, to: str):
    from sqlglot import exp

    return exp.Cast(this=expression, to=exp.DataType.build(to))


def _keyed(study: Study, chosen: list, blocks: list[list[int]], source, wave, weight):
    """``SELECT g, key_0, ..., wt FROM source [WHERE wave = ...]``: the audience's number,
    each block's pattern number and the weight, per respondent."""
    from sqlglot import exp

    g = exp.Case(this=_cast(_column("group"), "text"),
                 ifs=[exp.If(this=exp.Literal.string(str(name)),
                             true=exp.Literal.number(number))
                      for number, name in enumerate(study.groups)],
                 default=exp.Literal.number(-1))
    columns = [exp.alias_(g, "g")]
    for b, members in enumerate(blocks):
        stride, terms = 1, []
        for m in members:
            code = exp.Coalesce(this=_cast(_column(chosen[m].id), "bigint"),
                                expressions=[exp.Literal.number(0)])
            terms.append(exp.Mul(this=code, expression=exp.Literal.number(stride)))
            stride *= study.scales[chosen[m].scale].k + 1
        key = terms[0]
        for term in terms[1:]:
            key = exp.Add(this=key, expression=term)
        columns.append(exp.alias_(key, f"key_{b}"))
    for i, item in enumerate(chosen):  # top-box state: 0 missing, 1 not top box, 2 top box
        scale = study.scales[item.scale]
        code = exp.Coalesce(this=_cast(_column(item.id), "bigint"),
                            expressions=[exp.Literal.number(0)])
        state = exp.Case(ifs=[exp.If(this=exp.EQ(this=code, expression=exp.Literal.number(0)),
                                     true=exp.Literal.number(0)),
                              exp.If(this=exp.GT(this=code.copy(), expression=exp.Literal.number(
                                  scale.k - scale.top_box)), true=exp.Literal.number(2))],
                         default=exp.Literal.number(1))
        columns.append(exp.alias_(state, f"top_{i}"))
    for members in _split_dimensions(chosen, blocks):  # a dimension wider than one block
        for m in members:
            columns.append(exp.alias_(exp.Coalesce(this=_cast(_column(chosen[m].id), "bigint"),
                                                   expressions=[exp.Literal.number(0)]),
                                      f"code_{m}"))
    w = _column(weight) if weight is not None else exp.Literal.number(1)
    columns.append(exp.alias_(_cast(w, "double"), "wt"))
    select = exp.select(*columns).from_(source)
    if wave is not None:
        select = select.where(exp.EQ(this=_cast(_column("wave"), "text"),
                                     expression=exp.Literal.string(wave)))
    return select


def _grouped(keyed, n_blocks: int, n_items: int, wide: list[list[int]]):
    """Counts per (g, key_b) of every block, per (g, top-box states of every item) and
    per (g, codes of a wide dimension's items), in one ``GROUP BY GROUPING SETS``."""
    from sqlglot import exp

    def col(name: str):
        return exp.column(name)

    keys = [f"key_{b}" for b in range(n_blocks)]
    tops = [f"top_{i}" for i in range(n_items)]
    codes = [[f"code_{m}" for m in members] for members in wide]
    wt = col("wt")
    sets = [[k] for k in keys] + ([tops] if tops else []) + codes
    columns = [col("g"), *map(col, keys), *map(col, tops),
               *(col(c) for names in codes for c in names),
               *(exp.alias_(exp.func("GROUPING", col(k)), f"unused_{b}")
                 for b, k in enumerate(keys)),
               *([exp.alias_(exp.func("GROUPING", col(tops[0])), "unused_top")] if tops else []),
               *(exp.alias_(exp.func("GROUPING", col(c[0])), f"unused_wide_{d}")
                 for d, c in enumerate(codes)),
               exp.alias_(exp.Count(this=exp.Star()), "n"),
               exp.alias_(exp.Sum(this=wt), "w"),
               exp.alias_(exp.Sum(this=exp.Mul(this=wt, expression=wt.copy())), "w2"),
               exp.alias_(exp.Min(this=wt.copy()), "w_min"),
               exp.alias_(exp.Max(this=wt.copy()), "w_max")]
    sets = exp.GroupingSets(expressions=[exp.Tuple(expressions=[col("g"), *map(col, names)])
                                         for names in sets])
    return (exp.select(*columns).from_("keyed").with_("keyed", as_=keyed)
            .where(exp.GTE(this=col("g"), expression=exp.Literal.number(0)))
            .group_by(sets))


def level_counts(parquet: str | Path, study: Study, *, wave: str | None = None,
                 items: list[str] | None = None) -> LevelCounts:
    """:func:`cxstudy.level_counts` of the responses in a parquet file, counted by DuckDB.

    Parameters
    ----------
    parquet : str or Path
        ``responses.parquet`` as ``cxstudy run`` writes it (or any file with the same
        columns; a glob of several files works too).
    study : Study
    wave : str, optional
        Count one wave (counts are never pooled across waves); required when the file
        holds several.
    items : list of str, optional
        Item ids (default: every item of the study in the file).

    Returns
    -------
    LevelCounts
        Equal to the pandas path's counts of the same responses.
    """
    try:
        import duckdb
    except ImportError:
        raise CxStudyError("counting in DuckDB needs the duckdb package: pip install "
                           '"cxstudy[duckdb]"') from None
    connection = duckdb.connect()
    try:
        connection.read_parquet(str(parquet)).create_view("responses")
        columns = [row[0] for row in connection.execute("DESCRIBE responses").fetchall()]
        counted = wave
        if wave is None and "wave" in columns:  # as cxstudy.counts.wave_of
            present = connection.execute("SELECT DISTINCT CAST(wave AS VARCHAR) FROM "
                                         "responses WHERE wave IS NOT NULL").fetchall()
            if len(present) > 1 and study.waves:
                raise CxStudyError(f"{parquet}: holds several waves; counts are made within "
                                   "one: give wave=")
            counted = present[0][0] if len(present) == 1 else None  # the file's one wave
        chosen, blocks = chosen_items(study, columns, items)
        if not chosen:
            return from_patterns(study, chosen, [], False, wave=counted)
        query = pattern_query(study, chosen, blocks, wave=wave,
                              weight="weight" if "weight" in columns else None)
        rows = connection.execute(query).fetchnumpy()
    finally:
        connection.close()
    return counts_from_rows(study, chosen, blocks, rows, wave=counted)


def _columns(rows: Any) -> dict[str, np.ndarray]:
    """The query's rows as {lower-case column name: array}: from a dict of columns
    (DuckDB's ``fetchnumpy``), a pandas DataFrame (``toPandas()``, a warehouse client's
    ``to_dataframe()``) or a sequence of rows (Spark's ``collect()``, dicts). Names are
    compared in lower case: Snowflake returns unquoted aliases in upper case."""
    if hasattr(rows, "columns") and hasattr(rows, "to_numpy"):  # a pandas DataFrame
        return {str(c).lower(): rows[c].to_numpy() for c in rows.columns}
    if isinstance(rows, Mapping):
        return {str(c).lower(): np.asarray(v) for c, v in rows.items()}
    records = [r.asDict() if hasattr(r, "asDict") else dict(r) for r in rows]
    names = {str(c).lower(): c for r in records[:1] for c in r}
    return {low: np.array([r[name] for r in records], dtype=object)
            for low, name in names.items()}


def counts_from_rows(study: Study, chosen: list, blocks: list[list[int]], rows: Any, *,
                     wave: str | None = None) -> LevelCounts:
    """The level counts from the rows of :func:`pattern_query`.

    Parameters
    ----------
    study : Study
    chosen : list
        The items counted, as :func:`cxstudy.counts.chosen_items` returns them.
    blocks : list of list of int
        Their pattern blocks, from the same call (the query must be made with both).
    rows : dict, pandas.DataFrame or sequence of rows
        The query's result: a dict of columns (DuckDB's ``fetchnumpy``), a DataFrame, or
        rows with names (Spark's ``collect()``; dicts). Column names in any case.
    wave : str, optional
        The wave the query counted (its ``wave=``): the counts carry it.

    Returns
    -------
    LevelCounts
        Weighted when any respondent's weight differs from 1.
    """
    rows = _columns(rows)
    wide_members = _split_dimensions(chosen, blocks)
    missing = sorted({"g", "n", "w", "w2", "w_min", "w_max",
                      *(f"{c}_{b}" for b in range(len(blocks)) for c in ("key", "unused")),
                      *(f"top_{i}" for i in range(len(chosen))),
                      *(["unused_top"] if chosen else []),
                      *(f"code_{m}" for members in wide_members for m in members),
                      *(f"unused_wide_{d}" for d in range(len(wide_members)))}
                     - set(rows)) if rows else []
    if missing:
        raise CxStudyError("counts_from_rows: the rows lack the columns "
                           f"{', '.join(missing)}; give the rows of pattern_query made "
                           "with the same items and blocks")
    n_groups = len(study.groups)
    weights = (np.asarray(rows["w_min"], dtype=float), np.asarray(rows["w_max"], dtype=float)
               ) if rows else (np.zeros(0), np.zeros(0))
    weighted = bool(len(weights[0])) and not (np.all(weights[0] == 1) and
                                              np.all(weights[1] == 1))
    tables = []
    for b, members in enumerate(blocks):
        ks = [study.scales[chosen[m].scale].k for m in members]
        size = int(np.prod([k + 1 for k in ks]))
        raw = np.zeros((n_groups, size), dtype=np.int64)
        counts, squares = np.zeros((n_groups, size)), np.zeros((n_groups, size))
        if rows:
            mine = np.asarray(rows[f"unused_{b}"]).astype(np.int64) == 0
            g = np.asarray(rows["g"])[mine].astype(np.int64)
            key = np.asarray(rows[f"key_{b}"])[mine].astype(np.int64)
            raw[g, key] = np.asarray(rows["n"])[mine].astype(np.int64)
            counts[g, key] = np.asarray(rows["w"])[mine].astype(float)
            squares[g, key] = np.asarray(rows["w2"])[mine].astype(float)
        tables.append(PatternCounts(tuple(chosen[m].id for m in members), tuple(ks),
                                    counts if weighted else raw.astype(float), raw,
                                    squares if weighted else None))
    wide = [_sparse(rows, f"unused_wide_{d}", [f"code_{m}" for m in members],
                    [chosen[m].id for m in members],
                    [study.scales[chosen[m].scale].k for m in members], n_groups, weighted)
            for d, members in enumerate(wide_members)]
    top = _sparse(rows, "unused_top", [f"top_{i}" for i in range(len(chosen))],
                  [i.id for i in chosen], [2] * len(chosen), n_groups, weighted
                  ) if chosen else None
    return from_patterns(study, chosen, tables, weighted, wave=wave, wide=wide, top=top)


def _sparse(rows: dict, unused: str, names: list[str], item_ids: list[str], ks: list[int],
            n_groups: int, weighted: bool) -> PatternCounts:
    """A sparse :class:`PatternCounts` (the patterns given, sorted) from the rows of one
    grouping set: those whose ``unused`` is 0."""
    mine = (np.asarray(rows[unused]).astype(np.int64) == 0) if rows else np.zeros(0, bool)
    g = np.asarray(rows["g"])[mine].astype(np.int64) if rows else np.zeros(0, np.int64)
    codes = (np.column_stack([np.asarray(rows[c])[mine].astype(np.int64) for c in names])
             if rows else np.zeros((0, len(names)), np.int64))
    observed, column = np.unique(codes, axis=0, return_inverse=True)
    column = column.reshape(-1)

    def table(name: str, dtype) -> np.ndarray:
        out = np.zeros((n_groups, len(observed)), dtype=dtype)
        if rows:
            out[g, column] = np.asarray(rows[name])[mine].astype(dtype)
        return out

    raw = table("n", np.int64)
    if not weighted:
        return PatternCounts(tuple(item_ids), tuple(ks), raw.astype(float), raw, None, observed)
    return PatternCounts(tuple(item_ids), tuple(ks), table("w", float), raw,
                         table("w2", float), observed)

"""Counts beyond memory: :func:`level_counts` as one SQL ``GROUP BY`` in DuckDB.

Every statistic of the item tables is a function of the pattern counts of
:mod:`cxstudy.counts`: how many respondents of each audience gave each pattern of
answers to a dimension's items. Those are a ``GROUP BY`` over (audience, answer
pattern), so they can be counted where the data lives: here DuckDB over the processed
``responses.parquet`` (streamed, in bounded memory), elsewhere the same query on a
warehouse or Spark SQL (see ``docs/scale.md``). The result is the same
:class:`~cxstudy.counts.LevelCounts` the pandas path makes, and every table takes it
(``gap_table(responses, study, counts=...)``).

Needs the optional ``duckdb`` package: ``pip install "cxstudy[duckdb]"``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .counts import LevelCounts, PatternCounts, chosen_items, from_patterns
from .exceptions import CxStudyError
from .model import Study


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pattern_query(study: Study, chosen: list, blocks: list[list[int]], *,
                  table: str = "responses", wave: bool = False) -> str:
    """The SQL that counts every block's answer patterns per audience in one pass:
    ``GROUP BY GROUPING SETS ((g, key_1), (g, key_2), ...)``.

    ``key_b`` is the block's pattern number, :math:`\\sum_i c_i s_i` with codes
    :math:`c_i` (0 = missing) and strides :math:`s_i = \\prod_{j<i}(k_j + 1)`, as in
    :mod:`cxstudy.counts`; ``g`` the audience's position in ``groups``. With ``wave``,
    the query takes one parameter: the wave.
    """
    cases = " ".join(f"WHEN {_sql_text(g)} THEN {number}"
                     for number, g in enumerate(study.groups))
    keys = []
    for members in blocks:
        stride, terms = 1, []
        for m in members:
            terms.append(f"COALESCE(CAST({_quoted(chosen[m].id)} AS INTEGER), 0) * {stride}")
            stride *= study.scales[chosen[m].scale].k + 1
        keys.append(" + ".join(terms))
    keyed = ", ".join(f"{key} AS key_{b}" for b, key in enumerate(keys))
    sets = ", ".join(f"(g, key_{b})" for b in range(len(keys)))
    where = " WHERE CAST(wave AS VARCHAR) = ?" if wave else ""
    return (f"WITH keyed AS (SELECT CASE CAST({_quoted('group')} AS VARCHAR) {cases} "
            f"ELSE -1 END AS g, {keyed}, CAST(weight AS DOUBLE) AS w FROM {table}{where}) "
            "SELECT g, " + ", ".join(f"key_{b}" for b in range(len(keys)))
            + ", " + ", ".join(f"GROUPING(key_{b}) AS unused_{b}" for b in range(len(keys)))
            + ", COUNT(*) AS n, SUM(w) AS w, SUM(w * w) AS w2, MIN(w) AS w_min, "
            f"MAX(w) AS w_max FROM keyed WHERE g >= 0 GROUP BY GROUPING SETS ({sets})")


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


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
        Equal to the pandas path's counts of the same responses, of ``wave`` (None
        when not given); without the sparse tables (``wide``, ``top``) that a wide
        dimension and the gap index's bootstrap need from responses.
    """
    try:
        import duckdb
    except ImportError:
        raise CxStudyError("counting in DuckDB needs the duckdb package: pip install "
                           '"cxstudy[duckdb]"') from None
    connection = duckdb.connect()
    try:
        connection.read_parquet(str(parquet)).create_view("source")
        columns = [row[0] for row in connection.execute("DESCRIBE source").fetchall()]
        connection.execute("CREATE VIEW responses AS SELECT *" + (
            "" if "weight" in columns else ", 1.0 AS weight") + " FROM source")
        if wave is None and "wave" in columns and study.waves:
            present = connection.execute("SELECT COUNT(DISTINCT wave) FROM source").fetchone()
            if present[0] > 1:
                raise CxStudyError(f"{parquet}: holds several waves; counts are made within "
                                   "one: give wave=")
        chosen, blocks = chosen_items(study, columns, items)
        if not chosen:
            return from_patterns(study, chosen, [], False, wave=wave)
        rows = connection.execute(pattern_query(study, chosen, blocks, wave=wave is not None),
                                  [wave] if wave is not None else []).fetchnumpy()
    finally:
        connection.close()
    return dataclasses.replace(counts_from_rows(study, chosen, blocks, rows), wave=wave)


def counts_from_rows(study: Study, chosen: list, blocks: list[list[int]], rows: dict
                     ) -> LevelCounts:
    """The level counts from the rows of :func:`pattern_query` (a dict of columns, as
    DuckDB's ``fetchnumpy`` or a warehouse's result gives them); ``chosen`` and
    ``blocks`` as :func:`cxstudy.counts.chosen_items` returns them."""
    n_groups = len(study.groups)
    weights = rows["w_min"], rows["w_max"]
    weighted = bool(len(weights[0])) and not (np.all(weights[0] == 1) and
                                              np.all(weights[1] == 1))
    tables = []
    for b, members in enumerate(blocks):
        ks = [study.scales[chosen[m].scale].k for m in members]
        size = int(np.prod([k + 1 for k in ks]))
        mine = np.asarray(rows[f"unused_{b}"]) == 0
        g = np.asarray(rows["g"])[mine].astype(np.int64)
        key = np.asarray(rows[f"key_{b}"])[mine].astype(np.int64)
        raw = np.zeros((n_groups, size), dtype=np.int64)
        counts, squares = np.zeros((n_groups, size)), np.zeros((n_groups, size))
        raw[g, key] = np.asarray(rows["n"])[mine]
        counts[g, key] = np.asarray(rows["w"])[mine]
        squares[g, key] = np.asarray(rows["w2"])[mine]
        tables.append(PatternCounts(tuple(chosen[m].id for m in members), tuple(ks),
                                    counts if weighted else raw.astype(float), raw,
                                    squares if weighted else None))
    return from_patterns(study, chosen, tables, weighted)

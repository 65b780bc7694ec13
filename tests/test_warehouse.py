"""Counts from DuckDB over the processed parquet equal the pandas counts (issue 14)."""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

import cxstudy as cx
from cxstudy import counts, gaps, waves

duckdb = pytest.importorskip("duckdb")
from cxstudy import warehouse  # noqa: E402

from .conftest import copy_project  # noqa: E402
from .shapes import write_all  # noqa: E402


def _equal(ours, theirs, exact=True):
    assert ours.items == theirs.items and ours.groups == theirs.groups
    assert ours.weighted == theirs.weighted
    check = np.testing.assert_array_equal if exact else (
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12))
    for name in ("counts", "n", "n_eff", "k", "values", "top_box"):
        check(getattr(ours, name), getattr(theirs, name))
    assert ours.wave == theirs.wave
    assert len(ours.wide) == len(theirs.wide)
    for mine, other in zip((ours.top, *ours.wide), (theirs.top, *theirs.wide), strict=True):
        if mine is None or other is None:
            assert mine is other
            continue
        assert mine.items == other.items and mine.k == other.k
        np.testing.assert_array_equal(mine.observed, other.observed)
        np.testing.assert_array_equal(mine.raw, other.raw)
        check(mine.counts, other.counts)
    assert len(ours.blocks) == len(theirs.blocks)
    for mine, other in zip(ours.blocks, theirs.blocks, strict=True):
        assert mine.items == other.items
        check(mine.counts, other.counts)
        np.testing.assert_array_equal(mine.raw, other.raw)


def test_duckdb_counts_and_tables_equal_the_pandas_path(example_responses, tmp_path):
    study, responses = example_responses
    path = tmp_path / "responses.parquet"
    responses.to_parquet(path)
    for wave in waves.waves_in(responses, study):
        part = waves.one_wave(responses, wave)
        expected = counts.level_counts(part, study)
        found = warehouse.level_counts(path, study, wave=wave)
        _equal(found, expected)
        pd.testing.assert_frame_equal(gaps.gap_table(part, study, counts=found),
                                      gaps.gap_table(part, study))
        assert found.wave == wave  # a table of the counts alone says their wave
        pd.testing.assert_frame_equal(gaps.gap_table(None, study, counts=found),
                                      gaps.gap_table(part, study))
        pd.testing.assert_frame_equal(gaps.dimension_gaps(part, study, counts=found),
                                      gaps.dimension_gaps(part, study))
    with pytest.raises(cx.CxStudyError, match="several waves"):
        warehouse.level_counts(path, study)


def test_weighted_counts_and_a_subset_of_items(example_responses, tmp_path):
    study, responses = example_responses
    part = waves.one_wave(responses, waves.waves_in(responses, study)[-1])
    part = part.assign(weight=np.random.default_rng(7).uniform(0.3, 3.0, len(part)))
    path = tmp_path / "weighted.parquet"
    part.to_parquet(path)
    _equal(warehouse.level_counts(path, study), counts.level_counts(part, study), exact=False)
    items = ["value", "excellent"]
    _equal(warehouse.level_counts(path, study, items=items),
           counts.level_counts(part, study, items=items), exact=False)


# The same query on other engines (issue 29): written once, generated per dialect, run on
# Spark in local mode and on DuckDB over the same parquet, the counts and the tables
# compared exactly (weighted sums to 1e-12: the engines add in different orders).


def _java_or_skip() -> None:
    """Skip (with the reason) only when no Java can be found or started: Spark runs in a
    JVM. `.ci/run` installs one where it is missing."""
    import shutil
    import subprocess

    java = (os.path.join(os.environ["JAVA_HOME"], "bin", "java")
            if os.environ.get("JAVA_HOME") else shutil.which("java"))
    if not java or not os.path.exists(java):
        pytest.skip("no Java found (Spark needs Java 17 or newer: apt-get install "
                    "default-jre-headless, or set JAVA_HOME)")
    try:
        said = subprocess.run([java, "-version"], check=True, capture_output=True, text=True,
                              timeout=60).stderr
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"Java at {java} cannot be started: {error}")
    import pyspark

    found = re.search(r'version "(?:1\.)?(\d+)', said)
    if found and int(pyspark.__version__.split(".")[0]) >= 4 and int(found.group(1)) < 17:
        pytest.skip(f"Java {found.group(1)} at {java} cannot run PySpark "
                    f"{pyspark.__version__} (it needs Java 17 or newer)")


@pytest.fixture(scope="module")
def spark():
    """One Spark session in local mode for the module: one core, one shuffle partition,
    no UI, bound to the loopback address."""
    _java_or_skip()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("cxstudy-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               # small data: interpreted plans and the JVM's quick compiler start sooner
               # than generated code (measured: the first queries 4x faster here)
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.driver.extraJavaOptions",
                       "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if SparkContext._gateway is not None:  # the JVM goes too: its memory back for the suite
        SparkContext._gateway.shutdown()
        SparkContext._gateway = SparkContext._jvm = None


def _on_spark(spark, path, study, *, wave=None, items=None, name="responses"):
    """The counts of a parquet file from the query generated for Spark, its rows
    collected (Row objects) and turned back into counts."""
    frame = spark.read.parquet(str(path))
    frame.createOrReplaceTempView(name)
    chosen, blocks = counts.chosen_items(study, frame.columns, items)
    query = warehouse.pattern_query(study, chosen, blocks, table=name, wave=wave,
                                    weight="weight" if "weight" in frame.columns else None,
                                    dialect="spark")
    assert "`group`" in query and '"group"' not in query
    return warehouse.counts_from_rows(study, chosen, blocks, spark.sql(query).collect(),
                                      wave=wave)


def test_spark_and_duckdb_count_every_wave_of_the_example_the_same(spark, example_responses,
                                                                    tmp_path):
    study, responses = example_responses
    path = tmp_path / "responses.parquet"
    responses.to_parquet(path, index=False)
    for wave in waves.waves_in(responses, study):
        part = waves.one_wave(responses, wave)
        on_spark = _on_spark(spark, path, study, wave=wave)
        on_duckdb = warehouse.level_counts(path, study, wave=wave)
        assert not on_spark.weighted and on_spark.n.sum() > 0
        _equal(on_spark, on_duckdb)
        _equal(on_spark, counts.level_counts(part, study))
        pd.testing.assert_frame_equal(gaps.gap_table(part, study, counts=on_spark),
                                      gaps.gap_table(part, study, counts=on_duckdb))
        pd.testing.assert_frame_equal(gaps.dimension_gaps(part, study, counts=on_spark),
                                      gaps.dimension_gaps(part, study, counts=on_duckdb))


def test_spark_and_duckdb_weighted_and_without_weights(spark, example_responses, tmp_path):
    study, responses = example_responses
    wave = waves.waves_in(responses, study)[-1]
    part = waves.one_wave(responses, wave)
    weighted = responses.assign(weight=np.random.default_rng(11).uniform(0.2, 4.0,
                                                                        len(responses)))
    path = tmp_path / "weighted.parquet"
    weighted.to_parquet(path, index=False)
    on_spark = _on_spark(spark, path, study, wave=wave)
    on_duckdb = warehouse.level_counts(path, study, wave=wave)
    assert on_spark.weighted and on_duckdb.weighted
    _equal(on_spark, on_duckdb, exact=False)  # integer counts (raw) exactly, sums to 1e-12
    part = waves.one_wave(weighted, wave)
    _equal(on_spark, counts.level_counts(part, study), exact=False)
    pd.testing.assert_frame_equal(gaps.gap_table(part, study, counts=on_spark),
                                  gaps.gap_table(part, study, counts=on_duckdb),
                                  check_exact=False, rtol=1e-12, atol=1e-12)
    items = ["value", "excellent"]  # a subset of items
    _equal(_on_spark(spark, path, study, wave=wave, items=items),
           warehouse.level_counts(path, study, wave=wave, items=items), exact=False)
    bare = tmp_path / "no_weight.parquet"  # a table without a weight column: all weigh 1
    part.drop(columns="weight").to_parquet(bare, index=False)
    _equal(_on_spark(spark, bare, study, wave=wave), warehouse.level_counts(bare, study))
    _equal(_on_spark(spark, bare, study, wave=wave),
           counts.level_counts(part.assign(weight=1.0), study))


@pytest.fixture(scope="module")
def shaped_cleaned(tmp_path_factory):
    """The shaped studies ``five`` (five audiences, 0-10 scale, raked weights) and
    ``tiny`` (an audience named with Markdown, brackets and parentheses) cleaned:
    slug -> (study, responses)."""
    project = copy_project(tmp_path_factory.mktemp("engines") / "project")
    paths = write_all(project)
    out = {}
    for slug in ("five", "tiny"):
        study = cx.load_study(paths[slug])
        out[slug] = study, cx.clean(cx.read_sources(study), study).responses
    return out


@pytest.mark.parametrize("slug", ["five", "tiny"])
def test_spark_and_duckdb_on_shaped_studies(spark, shaped_cleaned, slug, tmp_path):
    study, responses = shaped_cleaned[slug]
    path = tmp_path / f"{slug}.parquet"
    responses.to_parquet(path, index=False)
    on_spark, on_duckdb = _on_spark(spark, path, study), warehouse.level_counts(path, study)
    weighted = slug == "five"
    assert on_spark.weighted == weighted
    _equal(on_spark, on_duckdb, exact=not weighted)
    _equal(on_spark, counts.level_counts(responses, study), exact=not weighted)
    check = {} if not weighted else {"check_exact": False, "rtol": 1e-12, "atol": 1e-12}
    pd.testing.assert_frame_equal(gaps.gap_table(responses, study, counts=on_spark),
                                  gaps.gap_table(responses, study, counts=on_duckdb), **check)


def test_an_audience_named_with_quotes_and_a_backslash(spark, example_responses, tmp_path):
    """Text in the query is written in each engine's own escaping: Spark reads a
    backslash inside quotes as an escape, DuckDB does not."""
    study, responses = example_responses
    odd = "leaders' \\ \"board\""
    groups = tuple(odd if g == "leadership" else g for g in study.groups)
    renamed = dataclasses.replace(study, groups=groups)
    before = waves.one_wave(responses, "2026")
    part = before.assign(group=before["group"].astype(str).replace("leadership", odd))
    path = tmp_path / "odd.parquet"
    part.to_parquet(path, index=False)
    on_spark = _on_spark(spark, path, renamed, wave="2026")
    assert on_spark.groups[0] == odd  # and every leader was counted as one:
    np.testing.assert_array_equal(on_spark.counts, counts.level_counts(before, study).counts)
    _equal(on_spark, warehouse.level_counts(path, renamed))


def _essence(tree) -> tuple:
    """What a query reads, computes and returns, whatever the dialect's spelling: its
    names, its constants (outside types), its casts, sums and grouping sets."""
    from sqlglot import exp

    names = [i.name for i in tree.find_all(exp.Identifier)]
    constants = [c.this for c in tree.find_all(exp.Literal)
                 if c.find_ancestor(exp.DataType) is None]
    shape = [type(node).__name__ for node in tree.find_all(exp.Sum, exp.Count, exp.Min,
                                                           exp.Max, exp.Tuple, exp.Coalesce,
                                                           exp.Case)]
    return names, constants, len(list(tree.find_all(exp.Cast))), shape


def test_the_query_in_other_dialects_parses_back(example_responses):
    """Engines not run here: the generated SQL parses back in its own dialect into the
    same query, quotes the column `group` as that engine does, and uses its types."""
    import sqlglot

    study, responses = example_responses
    chosen, blocks = counts.chosen_items(study, responses.columns)
    expected = {"bigquery": ("`group`", "FLOAT64"), "snowflake": ('"group"', "DOUBLE"),
                "postgres": ('"group"', "DOUBLE PRECISION"),
                "redshift": ('"group"', "DOUBLE PRECISION"),
                "spark": ("`group`", "DOUBLE"), "duckdb": ('"group"', "DOUBLE"),
                "databricks": ("`group`", "DOUBLE"), "trino": ('"group"', "DOUBLE")}
    for dialect, (group, double) in expected.items():
        sql = warehouse.pattern_query(study, chosen, blocks, table="cx.responses",
                                      wave="2026", dialect=dialect)
        assert f"CAST({group} AS" in sql and f"AS {double})" in sql, dialect
        assert "'2026'" in sql and "FROM cx.responses" in sql
        assert sql.count("GROUPING(") == len(blocks) + 1 and "GROUPING SETS ((g, key_0), " in sql
        parsed = sqlglot.parse_one(sql, read=dialect)
        assert parsed.sql(dialect=dialect) == sql, dialect
        assert _essence(parsed) == _essence(sqlglot.parse_one(
            warehouse.pattern_query(study, chosen, blocks, table="cx.responses", wave="2026"),
            read="duckdb")), dialect
    with pytest.raises(cx.CxStudyError, match="unknown SQL dialect 'sparkle'"):
        warehouse.pattern_query(study, chosen, blocks, dialect="sparkle")
    for dialect in ("sqlite", "mysql"):  # no GROUPING SETS there: refused, not written
        with pytest.raises(cx.CxStudyError, match="has no GROUP BY GROUPING SETS"):
            warehouse.pattern_query(study, chosen, blocks, dialect=dialect)
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):  # as SQLite says
        sqlite3.connect(":memory:").execute(
            "SELECT g, COUNT(*) FROM (SELECT 1 AS g) GROUP BY GROUPING SETS ((g))")
    with pytest.raises(cx.CxStudyError, match="wave= names the wave"):
        warehouse.pattern_query(study, chosen, blocks, wave=True)


def test_counts_from_rows_takes_any_case_and_names_missing_columns(example_2026, tmp_path):
    study, part = example_2026
    path = tmp_path / "r.parquet"
    part.to_parquet(path, index=False)
    chosen, blocks = counts.chosen_items(study, part.columns)
    connection = duckdb.connect()
    connection.read_parquet(str(path)).create_view("responses")
    frame = connection.execute(warehouse.pattern_query(study, chosen, blocks)).df()
    connection.close()
    expected = counts.level_counts(part, study)
    upper = frame.rename(columns=str.upper)  # Snowflake's unquoted aliases come back so
    _equal(warehouse.counts_from_rows(study, chosen, blocks, upper, wave="2026"), expected)
    records = frame.to_dict("records")  # rows as dicts
    _equal(warehouse.counts_from_rows(study, chosen, blocks, records, wave="2026"), expected)
    with pytest.raises(cx.CxStudyError, match="lack the columns key_6, unused_6"):
        warehouse.counts_from_rows(study, chosen, blocks,
                                   frame.drop(columns=["key_6", "unused_6"]))


def test_spark_and_duckdb_on_dimensions_wider_than_a_block(spark, example_2026, tmp_path,
                                                           monkeypatch):
    """A dimension split across pattern blocks has its joint table counted too (the
    grouping set of its items' codes), the same on both engines as in pandas."""
    monkeypatch.setattr(counts, "MAX_BINS", 40)
    study, part = example_2026
    path = tmp_path / "wide.parquet"
    part.to_parquet(path, index=False)
    on_spark = _on_spark(spark, path, study, wave="2026")
    on_duckdb = warehouse.level_counts(path, study, wave="2026")
    assert on_spark.wide and on_spark.top is not None
    _equal(on_spark, on_duckdb)
    _equal(on_spark, counts.level_counts(part, study))
    pd.testing.assert_frame_equal(gaps.dimension_gaps(None, study, counts=on_spark),
                                  gaps.dimension_gaps(part, study))

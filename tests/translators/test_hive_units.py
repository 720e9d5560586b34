"""Unit tests: splitter, variables, settings, rules and the classification contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from migrate.translators.hive import (
    TRANSLATED,
    UNSUPPORTED,
    WITH_NOTES,
    HiveTranslator,
    Options,
    Variables,
    split_statements,
)
from migrate.translators.hive.settings import translate_set
from migrate.translators.hive.variables import substitute

from migrate.reports.translation import to_html, to_json, to_markdown


def test_splitter_respects_quotes_comments_and_lines() -> None:
    script = (
        "-- header; not a statement\n"
        "SELECT ';' AS a, \"x;y\" AS b, `c;d` FROM t; /* block ; */ SELECT 'it\\'s;' FROM u\n"
        "WHERE x = 1 -- trailing ; comment\n"
        ";\n\n"
        "  SELECT 3\n"
        "-- tail comment\n"
    )
    split = split_statements(script)
    texts = [s.text for s in split.statements]
    assert texts[0] == "SELECT ';' AS a, \"x;y\" AS b, `c;d` FROM t"
    assert texts[1].startswith("SELECT 'it\\'s;' FROM u") and "-- trailing ; comment" in texts[1]
    assert texts[2] == "SELECT 3\n-- tail comment"
    assert [s.line for s in split.statements] == [2, 2, 6]
    assert split.statements[0].leading_comments == ("-- header; not a statement",)
    assert split.statements[1].leading_comments == ("/* block ; */",)


def test_splitter_unterminated_string_does_not_raise() -> None:
    assert len(split_statements("SELECT 'abc; SELECT 2").statements) == 1


def test_variables_namespaces_nesting_and_unresolved() -> None:
    v = Variables.from_assignments(["dt=2024-01-02", "hiveconf:db=ods", "env:HOME=/h", "nested=${dt}"])
    sub = substitute("${hivevar:dt} ${hiveconf:db} ${env:HOME} ${db} ${nested} ${missing}", v)
    assert sub.text == "2024-01-02 ods /h ods 2024-01-02 ${missing}"
    assert sub.unresolved == ("missing",)
    with pytest.raises(ValueError):
        Variables.from_assignments(["novalue"])


@pytest.mark.parametrize(
    ("key", "value", "action", "sql"),
    [
        ("mapred.reduce.tasks", "8", "map", "SET spark.sql.shuffle.partitions=8"),
        ("mapred.reduce.tasks", "-1", "drop", None),
        ("hive.exec.parallel", "true", "drop", None),
        ("hive.tez.container.size", "4096", "drop", None),
        ("hive.auto.convert.join", "false", "map", "SET spark.sql.autoBroadcastJoinThreshold=-1"),
        ("mapred.output.compression.codec", "org.apache.hadoop.io.compress.SnappyCodec", "map",
         "SET spark.sql.parquet.compression.codec=snappy"),
        ("spark.sql.adaptive.enabled", "true", "keep", "SET spark.sql.adaptive.enabled=true"),
        ("hivevar:x", "1", "variable", None),
        ("team.flag", "on", "keep", "SET team.flag=on"),
    ],
)
def test_settings_map(key: str, value: str, action: str, sql: str | None) -> None:
    tr = translate_set(key, value)
    assert (tr.action, tr.sql) == (action, sql)
    if action == "drop":
        assert tr.note  # dropped settings are always reported


def _one(sql: str, **opts: Any) -> Any:
    fr = HiveTranslator(Options(**opts)).translate_script(sql, "t.hql")
    assert len(fr.statements) == 1
    return fr.statements[0]


def test_command_fallback_is_never_translated() -> None:
    st = _one("ALTER TABLE ods.events EXCHANGE PARTITION (dt='1') WITH TABLE ods.b")
    assert st.status == UNSUPPORTED and st.failures[0].rule == "parser"
    assert st.outputs == []


def test_plain_select_is_translated_without_notes() -> None:
    st = _one("SELECT a, count(*) FROM ods.t GROUP BY a", catalog="lake")
    assert st.status == TRANSLATED
    assert "lake.ods.t" in st.outputs[0]


def test_ansi_rewrites_keep_hive_nulls_and_can_be_disabled() -> None:
    st = _one("SELECT cast(s AS INT), a / b, a / 2, cast('1' AS INT) FROM t")
    out = st.outputs[0]
    assert "TRY_CAST(TRY_CAST(s AS DECIMAL(38, 6)) AS INT)" in out and "TRY_DIVIDE(a, b)" in out and "a / 2" in out
    assert "CAST('1' AS INT)" in out
    assert st.status == WITH_NOTES
    plain = _one("SELECT cast(s AS INT), a / b FROM t", ansi_rewrites=False)
    assert "TRY_" not in plain.outputs[0]


def test_dynamic_partition_overwrite_sets_spark_mode_once() -> None:
    fr = HiveTranslator(Options()).translate_script(
        "INSERT OVERWRITE TABLE a PARTITION (dt) SELECT x, dt FROM s;"
        "INSERT OVERWRITE TABLE b PARTITION (dt) SELECT x, dt FROM s;")
    outs = [o for s in fr.statements for o in s.outputs]
    assert outs.count("SET spark.sql.sources.partitionOverwriteMode=dynamic") == 1
    assert outs[0] == "SET spark.sql.sources.partitionOverwriteMode=dynamic"


def test_multi_insert_split_and_self_read_refused() -> None:
    fr = HiveTranslator(Options()).translate_script(
        "FROM s INSERT OVERWRITE TABLE a SELECT x WHERE x > 1 INSERT INTO TABLE b SELECT y GROUP BY y")
    st = fr.statements[0]
    assert st.status == WITH_NOTES and len(st.outputs) == 2
    assert all("FROM s" in o for o in st.outputs)
    bad = HiveTranslator(Options()).translate_script("FROM s INSERT OVERWRITE TABLE s SELECT x "
                                                     "INSERT INTO TABLE b SELECT y")
    assert bad.statements[0].status == UNSUPPORTED


def test_report_renderings_hide_nothing() -> None:
    tr = HiveTranslator(Options())
    report = tr.translate_paths([])
    report.files.append(tr.translate_script("SELECT 1;\nLOAD DATA INPATH '/x' INTO TABLE t;\nSELECT a/b FROM t",
                                            "job.hql"))
    data = json.loads(to_json(report))
    assert data["summary"]["statements"] == 3
    assert data["summary"]["unsupported"] == data["summary"]["unsupported_with_reason"] == 1
    md = to_markdown(report)
    assert "job.hql:2" in md and "job.hql:3" in md
    page = to_html(report)
    assert "job.hql:2" in page and "<script" not in page and "http" not in page.replace("http-equiv", "")

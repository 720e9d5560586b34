-- Translated from round2.hql (HiveQL -> Spark SQL) by migrate translate hive

-- round 2: refusals that have a Spark equivalent, syntax sqlglot cannot read, bugs
-- [translated] round2.hql:2
CREATE TABLE lake.ods.raw_events (
  id INT,
  kind STRING,
  tags ARRAY<STRING>,
  attrs MAP<STRING, INT>,
  total DECIMAL(10, 2),
  dt STRING
)
USING PARQUET
PARTITIONED BY (
  dt
);

-- [translated_with_notes] round2.hql:7
-- NOTE (locations): input path hdfs://nn:8020/warehouse/landing/events/2024-01-01 -> s3://lake/warehouse/landing/events/2024-01-01
-- NOTE (load_data): LOAD DATA -> INSERT OVERWRITE ... SELECT from a temporary view reading the files as text; Hive moved the files into the table, the translation copies their rows (the input path keeps its files)
CREATE OR REPLACE TEMPORARY VIEW migrate_load_1 USING text OPTIONS (path 's3://lake/warehouse/landing/events/2024-01-01', lineSep '\n');
INSERT OVERWRITE TABLE lake.ods.raw_events PARTITION (dt = '2024-01-01')
SELECT try_cast(nullif(try_element_at(f, 1), 'NULL') AS INT) AS id, nullif(try_element_at(f, 2), 'NULL') AS kind, IF(nullif(try_element_at(f, 3), 'NULL') = '', array(), transform(split(nullif(try_element_at(f, 3), 'NULL'), ',', -1), x0 -> nullif(x0, 'NULL'))) AS tags, IF(nullif(try_element_at(f, 4), 'NULL') = '', map(), transform_values(str_to_map(nullif(try_element_at(f, 4), 'NULL'), ',', ':'), (k0, v0) -> try_cast(nullif(v0, 'NULL') AS INT))) AS attrs, try_cast(nullif(try_element_at(f, 5), 'NULL') AS DECIMAL(10, 2)) AS total
FROM (SELECT split(value, '\\|', -1) AS f FROM migrate_load_1);

-- [translated] round2.hql:8
CREATE TABLE lake.ods.access_log (
  host STRING,
  status INT
)
USING PARQUET;

-- [translated_with_notes] round2.hql:11
-- NOTE (locations): input path hdfs://nn:8020/warehouse/landing/access -> s3://lake/warehouse/landing/access
-- NOTE (load_data): LOAD DATA -> INSERT INTO ... SELECT from a temporary view reading the files as regex (RegexSerDe); Hive moved the files into the table, the translation copies their rows (the input path keeps its files)
CREATE OR REPLACE TEMPORARY VIEW migrate_load_2 USING text OPTIONS (path 's3://lake/warehouse/landing/access', lineSep '\n');
INSERT INTO lake.ods.access_log
SELECT CASE WHEN value RLIKE '^(?:([^ ]*) ([0-9]*))$' THEN regexp_extract(value, '^(?:([^ ]*) ([0-9]*))$', 1) END AS host, CASE WHEN value RLIKE '^(?:([^ ]*) ([0-9]*))$' THEN try_cast(regexp_extract(value, '^(?:([^ ]*) ([0-9]*))$', 2) AS INT) END AS status FROM migrate_load_2;

-- [translated] round2.hql:12
CREATE TABLE lake.ods.snap (
  id INT,
  v STRING
)
USING PARQUET;

-- [translated_with_notes] round2.hql:13
-- NOTE (locations): input path hdfs://nn:8020/warehouse/landing/snap -> s3://lake/warehouse/landing/snap
-- NOTE (load_data): LOAD DATA -> INSERT INTO ... SELECT from a temporary view reading the files as orc; Hive moved the files into the table, the translation copies their rows (the input path keeps its files)
CREATE OR REPLACE TEMPORARY VIEW migrate_load_3 USING orc OPTIONS (path 's3://lake/warehouse/landing/snap');
INSERT INTO lake.ods.snap
SELECT id, v FROM migrate_load_3;

-- [translated] round2.hql:14
CREATE TABLE lake.dw.events_copy LIKE lake.ods.raw_events USING parquet;

-- [translated] round2.hql:15
CREATE TABLE lake.dw.unknown_copy LIKE lake.ods.not_declared USING parquet;

-- [translated_with_notes] round2.hql:16
-- NOTE (locations): output directory hdfs://nn:8020/exports/kinds -> s3://lake/exports/kinds
-- NOTE (insert_directory): Hive text output -> Spark CSV writer with Hive's delimiter and null marker, no quoting; files are named part-*.csv instead of 000000_0
INSERT OVERWRITE DIRECTORY USING csv OPTIONS (path 's3://lake/exports/kinds', sep '\u0009', nullValue '\\N', quote '', escapeQuotes 'false', header 'false')
SELECT
  kind,
  COUNT(*)
FROM lake.ods.raw_events
GROUP BY
  kind;

-- [translated_with_notes] round2.hql:18
-- NOTE (locations): output directory hdfs://nn:8020/exports/snap -> s3://lake/exports/snap
INSERT OVERWRITE DIRECTORY USING parquet OPTIONS (path 's3://lake/exports/snap')
SELECT
  *
FROM lake.ods.snap;

-- [translated_with_notes] round2.hql:19
-- NOTE (tablesample): TABLESAMPLE (BUCKET x OUT OF y ON col) -> a filter pmod(hash(col), y) = x - 1: deterministic, but Spark's hash differs from Hive's, so the sample holds other rows than Hive's bucket x
SELECT
  *
FROM (
  SELECT
    *
  FROM lake.ods.raw_events
  WHERE
    PMOD(HASH(id), 8) = 1
) AS s
WHERE
  s.kind = 'click';

-- [translated_with_notes] round2.hql:20
-- NOTE (ptf): noop(on t partition by p order by o) -> (SELECT * FROM t DISTRIBUTE BY p SORT BY o): the pass-through PTF only partitions and orders its input
-- NOTE (sort_by): SORT BY orders rows within each task only (as in Hive), not a total order: use ORDER BY where a global order is required
SELECT
  kind,
  RANK() OVER (PARTITION BY kind ORDER BY id) AS r
FROM (
  SELECT
    *
  FROM lake.ods.raw_events
  DISTRIBUTE BY
    kind
  SORT BY
    id
);

-- [translated_with_notes] round2.hql:21
-- NOTE (legacy_windowing): expr AS alias OVER w (Hive's early windowing syntax, which Hive 2 no longer accepts) -> expr OVER w AS alias
SELECT
  id,
  SUM(id) OVER (PARTITION BY kind ORDER BY id) AS s
FROM lake.ods.raw_events;

-- [translated] round2.hql:22
SELECT
  id,
  SUM(id) OVER (PARTITION BY kind ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s2
FROM lake.ods.raw_events;

-- [translated] round2.hql:23
SELECT
  id,
  LAST_VALUE(kind, FALSE) OVER (PARTITION BY kind ORDER BY kind)
FROM lake.ods.raw_events;

-- [translated_with_notes] round2.hql:24
-- NOTE (date_formats): date pattern 'YYYY-ww' uses Yw, which Spark's formatter reads differently from Hive's SimpleDateFormat: the script sets spark.sql.legacy.timeParserPolicy=LEGACY (SimpleDateFormat, as Hive)
-- NOTE (date_formats): datetime pattern: the script sets spark.sql.legacy.timeParserPolicy=LEGACY so that patterns format and parse as Hive's SimpleDateFormat did (lenient parsing of '2008-4-8', milliseconds for S)
-- NOTE (ansi_datetime): date functions on text: the text is cast with TRY_CAST first (Hive reads a value that is not a date as NULL, Spark 4 (ANSI) raises)
SET spark.sql.legacy.timeParserPolicy=LEGACY;
SELECT
  DATE_FORMAT(TRY_CAST(dt AS TIMESTAMP), 'YYYY-ww'),
  FROM_UNIXTIME(0, 'yyyy-MM-dd')
FROM lake.ods.raw_events;

-- [translated] round2.hql:25
ALTER TABLE lake.ods.raw_events PARTITION (dt='2024-01-01') RENAME TO PARTITION (dt='2024-01-02');

-- [translated_with_notes] round2.hql:26
-- NOTE (multi_insert): multi-insert split into 2 INSERT statements: the source is read 2 times and the inserts no longer commit together
EXPLAIN INSERT OVERWRITE TABLE lake.dw.k1
SELECT
  kind
FROM lake.ods.raw_events;
EXPLAIN INSERT OVERWRITE TABLE lake.dw.k2
SELECT
  id
FROM lake.ods.raw_events;

-- [translated] round2.hql:27
EXPLAIN ALTER TABLE lake.ods.raw_events
DROP   PARTITION(dt = '2024-01-01');

-- [unsupported] round2.hql:28
-- UNSUPPORTED (shell): dfs/! shell command: run it as a step of the job's orchestration (a Prefect task), not inside Spark SQL
--   dfs -cat hdfs://nn:8020/warehouse/ods.db/raw_events/*

-- [translated] round2.hql:29
SELECT
  COUNT(*)
FROM lake.ods.raw_events;

-- [translated] round2.hql:30
CREATE TEMPORARY FUNCTION add_one(x INT) RETURN x + 1;

-- [translated] round2.hql:31
DROP TEMPORARY FUNCTION IF EXISTS add_one;

-- Translated from hive_semantics.hql (HiveQL -> Spark SQL) by migrate translate hive

-- Golden pairs for Hive built-ins whose Spark namesakes differ, hints, and Hive-only commands
-- [translated_with_notes] hive_semantics.hql:2
-- NOTE (hive_functions): std(x) -> stddev_pop(x): Hive's std is the population standard deviation, Spark's stddev the sample one
-- NOTE (hive_functions): stddev(x) -> stddev_pop(x): Hive's stddev is the population standard deviation, Spark's stddev the sample one
-- NOTE (hive_functions): variance(x) -> var_pop(x): Hive's variance is the population variance, Spark's the sample one
SELECT
  VAR_POP(amount),
  STDDEV_POP(amount),
  STDDEV_POP(amount),
  VARIANCE(amount)
FROM lake.ods.orders;

-- [translated] hive_semantics.hql:3
SELECT
  user_id,
  MAX(STRUCT(ts AS col1, amount AS col2)).col2 AS last_amount
FROM lake.ods.orders
GROUP BY
  user_id;

-- [translated_with_notes] hive_semantics.hql:4
-- NOTE (ansi_datetime): date functions on text: the text is cast with TRY_CAST first (Hive reads a value that is not a date as NULL, Spark 4 (ANSI) raises)
SELECT
  TRUNC(TRY_CAST(dt AS DATE), 'MM'),
  TRUNC(TRY_CAST(dt AS DATE), 'QUARTER'),
  INITCAP(status)
FROM lake.ods.orders;

-- [translated_with_notes] hive_semantics.hql:5
-- NOTE (date_formats): datetime pattern: the script sets spark.sql.legacy.timeParserPolicy=LEGACY so that patterns format and parse as Hive's SimpleDateFormat did (lenient parsing of '2008-4-8', milliseconds for S)
-- NOTE (ansi_datetime): unix_timestamp(s, fmt) -> unix_timestamp(try_to_timestamp(s, fmt)): Hive returns NULL for text it cannot parse, Spark 4 (ANSI) raises
-- NOTE (ansi_datetime): to_date(s) -> try_to_date(s): Hive returns NULL for text that is not a date, Spark 4 (ANSI) raises
SET spark.sql.legacy.timeParserPolicy=LEGACY;
SELECT
  UNIX_TIMESTAMP(TRY_TO_TIMESTAMP(raw_ts, 'dd/MMM/yyyy:HH:mm:ss Z')),
  TRY_TO_DATE(raw_dt)
FROM lake.ods.raw_logs;

-- [translated_with_notes] hive_semantics.hql:6
-- NOTE (hints): hint STREAMTABLE(o) dropped: Spark has no such hint (it decides the streamed side and join strategy itself; AQE adapts at run time)
SELECT /*+ MAPJOIN(u) */
  o.id
FROM lake.ods.orders AS o
JOIN lake.ods.users AS u
  ON o.user_id = u.user_id;

-- [translated] hive_semantics.hql:7
LIST JARS;

-- [translated_with_notes] hive_semantics.hql:8
-- NOTE (resources): delete jar /opt/udfs/old.jar dropped: a Spark session cannot unload a resource; a job ends with its session
--   delete jar /opt/udfs/old.jar

-- [translated_with_notes] hive_semantics.hql:9
-- NOTE (show): SHOW LOCKS dropped: Hive metastore/engine state with no Spark counterpart (informational only)
--   SHOW LOCKS

-- [translated_with_notes] hive_semantics.hql:10
-- NOTE (locks): LOCK TABLE ods.orders SHARED dropped: Iceberg commits are atomic (optimistic concurrency); no explicit locks
--   LOCK TABLE ods.orders SHARED

-- [unsupported] hive_semantics.hql:11
-- UNSUPPORTED (privileges): GRANT SELECT ON TABLE ...: privileges are managed by the target catalog and store, not by the job's SQL; port them to the catalog's access control
--   GRANT SELECT ON TABLE ods.orders TO USER bob

-- [translated_with_notes] hive_semantics.hql:12
-- NOTE (index): CREATE INDEX idx ON ... dropped: Hive indexes (removed in Hive 3) have no Spark equivalent; Iceberg prunes files with column statistics
--   CREATE INDEX idx ON TABLE ods.orders (id) AS 'COMPACT' WITH DEFERRED REBUILD

-- [translated] hive_semantics.hql:13
DESCRIBE FORMATTED lake.ods.orders;

-- [translated] hive_semantics.hql:14
CREATE SCHEMA IF NOT EXISTS lake.stage;

-- [translated] hive_semantics.hql:15
DROP DATABASE IF EXISTS lake.stage CASCADE;

-- [translated_with_notes] hive_semantics.hql:16
-- NOTE (ddl): reserved database properties dropped ('owner'): Spark sets them itself
CREATE DATABASE IF NOT EXISTS lake.reporting WITH DBPROPERTIES ('team'='bi');

-- [translated_with_notes] hive_semantics.hql:17
-- NOTE (partitions): ALTER TABLE ADD PARTITION dropped: Iceberg partitions exist once rows are written
--   ALTER TABLE ods.orders ADD IF NOT EXISTS PARTITION (dt='2024-01-04') PARTITION (dt='2024-01-05')

-- [translated_with_notes] hive_semantics.hql:18
-- NOTE (partitions): PURGE dropped: the target store has no trash (deleted Iceberg files go with snapshot expiry)
-- NOTE (partitions): ALTER TABLE DROP PARTITION -> DELETE FROM ... WHERE (Iceberg drops whole data files when the filter matches partitions)
DELETE FROM lake.ods.orders
WHERE
  dt = '2023-12-31';

-- [translated_with_notes] hive_semantics.hql:19
-- NOTE (alter): CHANGE COLUMN ... FIRST/AFTER: Hive only moved the column in the metadata (text files were still read by position); Iceberg moves it by column id
-- NOTE (alter): CHANGE COLUMN c c <type> -> ALTER COLUMN c TYPE <type>: Hive only changed the metadata, Iceberg allows only safe widenings (int->bigint, float->double, wider decimal)
ALTER TABLE lake.ods.orders
ALTER COLUMN note TYPE STRING;
ALTER TABLE lake.ods.orders ALTER COLUMN note AFTER status;

-- [translated_with_notes] hive_semantics.hql:20
-- NOTE (alter): CHANGE COLUMN c c <type> -> ALTER COLUMN c TYPE <type>: Hive only changed the metadata, Iceberg allows only safe widenings (int->bigint, float->double, wider decimal)
ALTER TABLE lake.ods.orders
ALTER COLUMN amount TYPE DECIMAL(14, 2);

-- [translated_with_notes] hive_semantics.hql:21
-- NOTE (ddl): Hive table properties dropped: external
ALTER TABLE lake.ods.orders
SET 
TBLPROPERTIES (
  'owner_team'='bi'
);

-- [translated_with_notes] hive_semantics.hql:22
-- NOTE (alter): ALTER TABLE ... SET SERDEPROPERTIES dropped: Iceberg/Parquet tables have no SerDe (the migration copy reads the legacy files with these properties)
--   ALTER TABLE ods.orders SET SERDEPROPERTIES ('field.delim' = ',')

-- [translated] hive_semantics.hql:23
ALTER TABLE lake.ods.orders UNSET TBLPROPERTIES ('owner_team');

-- [translated_with_notes] hive_semantics.hql:24
-- NOTE (compaction): ALTER TABLE ods.orders CONCATENATE dropped: small-file compaction: Iceberg does it with CALL <catalog>.system.rewrite_data_files
--   ALTER TABLE ods.orders CONCATENATE

-- [translated_with_notes] hive_semantics.hql:25
-- NOTE (ddl): SKEWED BY ... [STORED AS DIRECTORIES] dropped: a Hive list-bucketing layout; Spark's AQE handles skewed joins at run time
CREATE TABLE lake.ods.skewed (
  a STRING,
  b INT
)
USING ICEBERG;

-- [translated_with_notes] hive_semantics.hql:26
-- NOTE (ansi_division): a / b -> try_divide(a, b): Hive returns NULL on division by zero, Spark 4 (ANSI) raises
CREATE TEMPORARY FUNCTION sigmoid(x DOUBLE) RETURN TRY_DIVIDE(1.0, (
    1.0 + EXP(-x)
  ));

-- [unsupported] hive_semantics.hql:27
-- UNSUPPORTED (row_level): MERGE ... WHEN NOT MATCHED THEN INSERT VALUES (...) without a column list: Spark requires INSERT (col, ...) VALUES (...), and the target table's columns are not known (not created earlier in the script, nor in the DDL dump or the plan): list them in order
--   MERGE INTO ods.orders t USING ods.updates s ON t.id = s.id WHEN MATCHED THEN UPDATE SET amount = s.amount WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.amount)

-- [unsupported] hive_semantics.hql:28
-- UNSUPPORTED (export_import): EXPORT TABLE ods.orders TO ...: EXPORT/IMPORT copies a table with its metadata between Hive warehouses: copy it with a plan dataset instead
--   EXPORT TABLE ods.orders TO '/tmp/export'

-- [unsupported] hive_semantics.hql:29
-- UNSUPPORTED (tablesample): SELECT * FROM ods.orders ...: TABLESAMPLE(<n> bytes) is not supported by Spark: use TABLESAMPLE(x PERCENT) or LIMIT
--   SELECT * FROM ods.orders TABLESAMPLE(10M) s

-- Translated from ddl.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated_with_notes] ddl.hql:1
-- NOTE (locations): database location hdfs://nn:8020/warehouse/dw.db -> s3://lake/warehouse/dw.db
CREATE DATABASE IF NOT EXISTS lake.dw
LOCATION 's3://lake/warehouse/dw.db';

-- [translated_with_notes] ddl.hql:2
-- NOTE (ddl): CLUSTERED BY kept: Spark's bucketing hashes differently from Hive's, so Hive bucket files are not bucket-compatible
-- NOTE (ddl): Hive table properties dropped: skip.header.line.count
-- NOTE (locations): table location hdfs://nn:8020/warehouse/ods/events -> s3://lake/warehouse/ods/events
-- NOTE (ddl): EXTERNAL table becomes a parquet table: its data must be copied by a plan dataset, and DROP TABLE may now delete data
CREATE TABLE IF NOT EXISTS lake.ods.events (
  event_id BIGINT,
  user_id BIGINT,
  code VARCHAR(8),
  flag TINYINT,
  tags ARRAY<STRING>,
  attrs MAP<STRING, STRING>,
  dt STRING
)
USING PARQUET
COMMENT 'raw events'
CLUSTERED BY (user_id) SORTED BY (user_id) INTO 32 BUCKETS
PARTITIONED BY (
  dt
)
LOCATION 's3://lake/warehouse/ods/events'
TBLPROPERTIES (
  'owner.team'='growth'
);

-- [unsupported] ddl.hql:12
-- UNSUPPORTED (locations): table location hdfs://nn:8020/unmapped/users is on the legacy store and not mapped by the plan (add a dataset or --location-map)
--   CREATE TABLE dw.users_csv (id INT, name STRING)
--   ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES ('separatorChar'=',')
--   STORED AS TEXTFILE LOCATION 'hdfs://nn:8020/unmapped/users'

-- [unsupported] ddl.hql:15
-- UNSUPPORTED (ddl): STORED BY org.apache.hadoop.hive.hbase.HBaseStorageHandler: a storage handler (HBase, Kudu, JDBC ...) table has no Parquet/Iceberg equivalent; migrate it separately
--   CREATE TABLE dw.hbase_users (id INT) STORED BY 'org.apache.hadoop.hive.hbase.HBaseStorageHandler'

-- [translated] ddl.hql:16
CREATE TABLE lake.dw.snapshot
USING PARQUET AS
SELECT
  *
FROM lake.ods.events
WHERE
  dt = '2024-01-01';

-- [translated_with_notes] ddl.hql:17
-- NOTE (temporary_table): temporary table becomes a temporary view: it is recomputed on each use (use CACHE TABLE name AS SELECT ... to materialize it once)
CREATE TEMPORARY VIEW tmp_users AS
SELECT DISTINCT
  user_id
FROM lake.ods.events;

-- [translated] ddl.hql:18
CREATE VIEW lake.dw.v_events AS
SELECT
  event_id,
  user_id
FROM lake.ods.events;

-- [translated] ddl.hql:19
DROP TABLE IF EXISTS lake.dw.old_table PURGE;

-- [unsupported] ddl.hql:20
-- UNSUPPORTED (alter): ALTER TABLE SET LOCATION points a legacy table at other files; the target table's files are written by the migration (a plan dataset for the new location)
--   ALTER TABLE dw.snapshot SET LOCATION 'hdfs://nn:8020/x'

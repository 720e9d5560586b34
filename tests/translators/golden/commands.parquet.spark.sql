-- Translated from commands.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated] commands.hql:1
USE lake.ods;

-- [translated] commands.hql:2
MSCK REPAIR TABLE lake.ods.events;

-- [unsupported] commands.hql:3
-- UNSUPPORTED (load_data): LOAD DATA INTO TABLE ods.events: the table's columns and storage format are not known (not created earlier in the script, nor in the DDL dump or the plan), so its files cannot be read the way Hive's SerDe read them
--   LOAD DATA LOCAL INPATH '/tmp/events.tsv' OVERWRITE INTO TABLE ods.events PARTITION (dt='2024-01-01')

-- [translated] commands.hql:4
ANALYZE TABLE lake.ods.events PARTITION(dt = '2024-01-01') COMPUTE STATISTICS;

-- [translated] commands.hql:5
ANALYZE TABLE lake.ods.events COMPUTE STATISTICS FOR ALL COLUMNS;

-- [unsupported] commands.hql:6
-- UNSUPPORTED (shell): dfs/! shell command: run it as a step of the job's orchestration (a Prefect task), not inside Spark SQL
--   dfs -rm -r /tmp/staging

-- [unsupported] commands.hql:7
-- UNSUPPORTED (shell): dfs/! shell command: run it as a step of the job's orchestration (a Prefect task), not inside Spark SQL
--   !echo done

-- [unsupported] commands.hql:8
-- UNSUPPORTED (source): SOURCE includes another script: translate that file as well and run it first
--   SOURCE /apps/hql/common.hql

-- [translated_with_notes] commands.hql:9
-- NOTE (locations): partition location hdfs://nn:8020/warehouse/ods/events/dt=2024-01-03 -> s3://lake/warehouse/ods/events/dt=2024-01-03
ALTER TABLE lake.ods.events
  ADD IF NOT EXISTS PARTITION(dt = '2024-01-03') LOCATION 's3://lake/warehouse/ods/events/dt=2024-01-03';

-- [translated] commands.hql:10
ALTER TABLE lake.ods.events
DROP IF EXISTS   PARTITION(dt = '2023-01-01');

-- [translated_with_notes] commands.hql:11
-- NOTE (constraint): informational constraint (DISABLE NOVALIDATE) dropped: Hive did not enforce it and Parquet/Iceberg tables have no such constraints
--   ALTER TABLE ods.users ADD CONSTRAINT pk_users PRIMARY KEY (user_id) DISABLE NOVALIDATE RELY

-- [translated] commands.hql:12
SHOW PARTITIONS lake.ods.events;

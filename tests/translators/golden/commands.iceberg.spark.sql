-- Translated from commands.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated] commands.hql:1
USE lake.ods;

-- [translated_with_notes] commands.hql:2
-- NOTE (msck): MSCK REPAIR TABLE dropped: Iceberg tracks partitions in table metadata; files written outside Spark must be registered with CALL <catalog>.system.add_files
--   MSCK REPAIR TABLE ods.events

-- [unsupported] commands.hql:3
-- UNSUPPORTED (load_data): LOAD DATA INTO TABLE ods.events: the table's columns and storage format are not known (not created earlier in the script, nor in the DDL dump or the plan), so its files cannot be read the way Hive's SerDe read them
--   LOAD DATA LOCAL INPATH '/tmp/events.tsv' OVERWRITE INTO TABLE ods.events PARTITION (dt='2024-01-01')

-- [translated_with_notes] commands.hql:4
-- NOTE (analyze): ANALYZE TABLE dropped: Iceberg keeps file-level statistics itself (for table statistics run CALL <catalog>.system.compute_table_stats)
--   ANALYZE TABLE ods.events PARTITION (dt='2024-01-01') COMPUTE STATISTICS

-- [translated_with_notes] commands.hql:5
-- NOTE (analyze): ANALYZE TABLE dropped: Iceberg keeps file-level statistics itself (for table statistics run CALL <catalog>.system.compute_table_stats)
--   ANALYZE TABLE ods.events COMPUTE STATISTICS FOR COLUMNS

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
-- NOTE (partitions): ALTER TABLE ADD PARTITION dropped: Iceberg partitions exist once rows are written
--   ALTER TABLE ods.events ADD IF NOT EXISTS PARTITION (dt='2024-01-03') LOCATION 'hdfs://nn:8020/warehouse/ods/events/dt=2024-01-03'

-- [translated_with_notes] commands.hql:10
-- NOTE (partitions): ALTER TABLE DROP PARTITION -> DELETE FROM ... WHERE (Iceberg drops whole data files when the filter matches partitions)
DELETE FROM lake.ods.events
WHERE
  dt = '2023-01-01';

-- [translated_with_notes] commands.hql:11
-- NOTE (constraint): informational constraint (DISABLE NOVALIDATE) dropped: Hive did not enforce it and Parquet/Iceberg tables have no such constraints
--   ALTER TABLE ods.users ADD CONSTRAINT pk_users PRIMARY KEY (user_id) DISABLE NOVALIDATE RELY

-- [translated] commands.hql:12
SHOW PARTITIONS lake.ods.events;

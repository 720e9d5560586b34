-- Translated from multi_insert.hql (HiveQL -> Spark SQL) by migrate translate hive

-- one scan, three outputs
-- [translated_with_notes] multi_insert.hql:2
-- NOTE (multi_insert): multi-insert split into 3 INSERT statements: the source is read 3 times and the inserts no longer commit together
-- NOTE (locations): output directory hdfs://nn:8020/exports/tags -> s3://lake/exports/tags
-- NOTE (insert_directory): Hive text output -> Spark CSV writer with Hive's delimiter and null marker, no quoting; files are named part-*.csv instead of 000000_0
-- NOTE (dynamic_partitions): dynamic partition: a NULL or empty partition value reads back as NULL in Spark; Hive stored it as __HIVE_DEFAULT_PARTITION__ and reads that string back in a STRING partition column
-- NOTE (dynamic_partitions): dynamic-partition INSERT OVERWRITE: set spark.sql.sources.partitionOverwriteMode=dynamic so that only the partitions written are replaced (Spark's default replaces all)
SET spark.sql.sources.partitionOverwriteMode=dynamic;
INSERT OVERWRITE TABLE lake.dw.tags PARTITION(dt)
SELECT
  e.event_id,
  t.tag,
  e.dt
FROM lake.ods.events AS e
LATERAL VIEW
EXPLODE(e.tags) t AS tag
WHERE
  NOT t.tag IS NULL;
INSERT INTO lake.dw.tag_totals
SELECT
  t.tag,
  COUNT(*)
FROM lake.ods.events AS e
LATERAL VIEW
EXPLODE(e.tags) t AS tag
GROUP BY
  t.tag;
INSERT OVERWRITE DIRECTORY USING csv OPTIONS (path 's3://lake/exports/tags', sep '\u0001', nullValue '\\N', quote '', escapeQuotes 'false', header 'false')
SELECT
  t.tag
FROM lake.ods.events AS e
LATERAL VIEW
EXPLODE(e.tags) t AS tag;

-- [translated_with_notes] multi_insert.hql:9
-- NOTE (multi_insert): multi-insert split into 2 INSERT statements: the source is read 2 times and the inserts no longer commit together
INSERT OVERWRITE TABLE lake.dw.big
SELECT
  s.user_id
FROM (
  SELECT
    user_id,
    SUM(amount) AS total
  FROM lake.ods.orders
  GROUP BY
    user_id
) AS s
WHERE
  s.total > 100;
INSERT OVERWRITE TABLE lake.dw.small
SELECT
  s.user_id
FROM (
  SELECT
    user_id,
    SUM(amount) AS total
  FROM lake.ods.orders
  GROUP BY
    user_id
) AS s
WHERE
  s.total <= 100;

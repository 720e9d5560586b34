-- Translated from set_and_variables.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated_with_notes] set_and_variables.hql:1
-- NOTE (settings): SET hive.exec.parallel dropped: Spark schedules independent stages in parallel by itself
--   SET hive.exec.parallel=true

-- [translated_with_notes] set_and_variables.hql:2
-- NOTE (settings): SET mapreduce.job.reduces=16 -> SET spark.sql.shuffle.partitions=16 (reducer count becomes the shuffle partition count (AQE may coalesce them))
SET spark.sql.shuffle.partitions=16;

-- [translated] set_and_variables.hql:3
SET spark.sql.autoBroadcastJoinThreshold=-1;

-- [translated] set_and_variables.hql:4
SET spark.sql.adaptive.enabled=true;

-- [translated_with_notes] set_and_variables.hql:5
-- NOTE (settings): SET my.job.flag kept as a Spark conf entry (not a known Hive setting)
SET my.job.flag=on;

-- [translated] set_and_variables.hql:6
--   SET hivevar:region=emea

-- [translated_with_notes] set_and_variables.hql:7
-- NOTE (settings): SET min_amount kept as a Spark conf entry (not a known Hive setting)
SET min_amount=10;

-- [translated] set_and_variables.hql:8
SELECT
  'emea' AS region,
  'etl' AS who
FROM lake.ods.t
WHERE
  amount > 10 AND flag = 'on';

-- [translated_with_notes] set_and_variables.hql:9
-- NOTE (settings): SET: a SET that only prints values, dropped
--   SET

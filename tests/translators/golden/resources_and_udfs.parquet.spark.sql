-- Translated from resources_and_udfs.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated_with_notes] resources_and_udfs.hql:1
-- NOTE (resources): ADD JAR hdfs://nn:8020/libs/acme-udfs.jar -> s3://lake/libs/acme-udfs.jar
-- NOTE (resources): ADD JAR: the Spark job needs it too (spark.jars / --jars in the job spec is preferred to ADD at run time)
ADD JAR 's3://lake/libs/acme-udfs.jar';

-- [translated_with_notes] resources_and_udfs.hql:2
-- NOTE (resources): ADD FILE /apps/scripts/clean.py: still on the legacy store (not mapped by the plan); the Spark job must be able to read it
-- NOTE (resources): ADD FILE: the Spark job needs it too (spark.files / --files in the job spec is preferred to ADD at run time)
ADD FILE '/apps/scripts/clean.py';

-- [translated_with_notes] resources_and_udfs.hql:3
-- NOTE (udf_registration): UDF normalize_url ('com.acme.hive.NormalizeUrl'): a Hive UDF class runs in Spark only with Hive support enabled and its jar on the job's classpath (spark.jars)
CREATE TEMPORARY FUNCTION normalize_url AS
'com.acme.hive.NormalizeUrl';

-- [translated_with_notes] resources_and_udfs.hql:4
-- NOTE (locations): UDF jar hdfs://nn:8020/libs/geo.jar -> s3://lake/libs/geo.jar
-- NOTE (udf_registration): UDF geo ('com.acme.hive.Geo'): a Hive UDF class runs in Spark only with Hive support enabled and its jar on the job's classpath (spark.jars)
CREATE TEMPORARY FUNCTION geo AS
'com.acme.hive.Geo' USING JAR 's3://lake/libs/geo.jar';

-- [translated_with_notes] resources_and_udfs.hql:5
-- NOTE (functions): unknown_udf() is not a Spark built-in: register the UDF in the Spark job (CREATE FUNCTION ... USING JAR) or in the catalog
-- NOTE (functions): hash(): Spark uses Murmur3, Hive uses Java hashCode; values differ (bucketing, sampling)
SELECT
  NORMALIZE_URL(url),
  GEO(ip),
  UNKNOWN_UDF(x),
  HASH(url)
FROM lake.web.clicks;

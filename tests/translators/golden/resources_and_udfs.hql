ADD JAR hdfs://nn:8020/libs/acme-udfs.jar;
ADD FILE /apps/scripts/clean.py;
CREATE TEMPORARY FUNCTION normalize_url AS 'com.acme.hive.NormalizeUrl';
CREATE TEMPORARY FUNCTION geo AS 'com.acme.hive.Geo' USING JAR 'hdfs://nn:8020/libs/geo.jar';
SELECT normalize_url(url), geo(ip), unknown_udf(x), hash(url) FROM ods.clicks;

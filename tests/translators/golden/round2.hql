-- round 2: refusals that have a Spark equivalent, syntax sqlglot cannot read, bugs
CREATE TABLE ods.raw_events (id INT, kind STRING, tags ARRAY<STRING>, attrs MAP<STRING, INT>, total DECIMAL(10,2))
  PARTITIONED BY (dt STRING)
  ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' COLLECTION ITEMS TERMINATED BY ',' MAP KEYS TERMINATED BY ':'
  NULL DEFINED AS 'NULL'
  STORED AS TEXTFILE;
LOAD DATA INPATH 'hdfs://nn:8020/warehouse/landing/events/2024-01-01' OVERWRITE INTO TABLE ods.raw_events PARTITION (dt='2024-01-01');
CREATE TABLE ods.access_log (host STRING, status INT)
  ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
  WITH SERDEPROPERTIES ("input.regex" = "([^ ]*) ([0-9]*)") STORED AS TEXTFILE;
LOAD DATA INPATH 'hdfs://nn:8020/warehouse/landing/access' INTO TABLE ods.access_log;
CREATE TABLE ods.snap (id INT, v STRING) STORED AS ORC;
LOAD DATA INPATH 'hdfs://nn:8020/warehouse/landing/snap' INTO TABLE ods.snap;
CREATE TABLE dw.events_copy LIKE ods.raw_events;
CREATE TABLE dw.unknown_copy LIKE ods.not_declared;
INSERT OVERWRITE DIRECTORY 'hdfs://nn:8020/exports/kinds' ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
  SELECT kind, count(*) FROM ods.raw_events GROUP BY kind;
INSERT OVERWRITE DIRECTORY 'hdfs://nn:8020/exports/snap' STORED AS PARQUET SELECT * FROM ods.snap;
SELECT * FROM ods.raw_events TABLESAMPLE (BUCKET 2 OUT OF 8 ON id) s WHERE s.kind = 'click';
SELECT kind, rank() OVER (PARTITION BY kind ORDER BY id) AS r FROM noop(ON ods.raw_events PARTITION BY kind ORDER BY id);
SELECT id, sum(id) AS s OVER (PARTITION BY kind ORDER BY id) FROM ods.raw_events;
SELECT id, sum(id) OVER w2 AS s2 FROM ods.raw_events WINDOW w1 AS (PARTITION BY kind ORDER BY id), w2 AS (w1 ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);
SELECT id, last_value(kind, false) OVER (CLUSTER BY kind) FROM ods.raw_events;
SELECT date_format(dt, 'YYYY-ww'), from_unixtime(0, 'yyyy-MM-dd') FROM ods.raw_events;
ALTER TABLE ods.raw_events PARTITION (dt='2024-01-01') RENAME TO PARTITION (dt='2024-01-02');
EXPLAIN FROM ods.raw_events INSERT OVERWRITE TABLE dw.k1 SELECT kind INSERT OVERWRITE TABLE dw.k2 SELECT id;
EXPLAIN ALTER TABLE ods.raw_events DROP PARTITION (dt='2024-01-01');
dfs -cat hdfs://nn:8020/warehouse/ods.db/raw_events/*;
SELECT count(*) FROM ods.raw_events;
CREATE TEMPORARY MACRO add_one (x INT) x + 1;
DROP TEMPORARY MACRO add_one;

-- Hive-only syntax Spark's Hive mode cannot parse (the runner's stand-in runs its HiveQL equivalent there), LIMIT
-- over tied ORDER BY keys, INSERT ... SELECT * into narrower column types, dynamic partitions.
SELECT p_mfgr, p_name, p_size FROM noop(ON part PARTITION BY p_mfgr ORDER BY p_name);
SELECT p_mfgr, p_name, rank() OVER (PARTITION BY p_mfgr ORDER BY p_name) AS r
FROM noop(ON part PARTITION BY p_mfgr ORDER BY p_name);
SELECT p_mfgr, count(*) FROM noopwithmap(ON part PARTITION BY p_mfgr ORDER BY p_mfgr) GROUP BY p_mfgr;
CREATE TABLE skewed_kv (key STRING, value STRING) SKEWED BY (key) ON ((1), (5)) STORED AS TEXTFILE;
INSERT OVERWRITE TABLE skewed_kv SELECT key, value FROM src;
SELECT a.key, a.value, b.value FROM skewed_kv a JOIN src1 b ON a.key = b.key;
SELECT key, value FROM src ORDER BY key LIMIT 5;
SELECT key, count(*) AS c FROM src GROUP BY key ORDER BY c DESC, key LIMIT 3;
CREATE TABLE int_kv (key INT, value STRING);
INSERT INTO TABLE int_kv SELECT * FROM src ORDER BY key LIMIT 100;
SELECT sum(key), count(value) FROM int_kv;
CREATE TABLE int_kv2 (k1 INT, v1 STRING, k2 INT, v2 STRING);
INSERT OVERWRITE TABLE int_kv2 SELECT * FROM src1 a JOIN src b ON a.key = b.key;
SELECT * FROM int_kv2;
CREATE TABLE dyn_kv (value STRING) PARTITIONED BY (k STRING);
INSERT OVERWRITE TABLE dyn_kv PARTITION (k) SELECT value, key FROM src1 WHERE key IS NOT NULL;
SELECT k, count(*) FROM dyn_kv GROUP BY k;

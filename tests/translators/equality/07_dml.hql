-- INSERT with Hive's implicit casts, static and dynamic partitions, CTAS types, multi-insert, VALUES, LOAD DATA
CREATE TABLE dest_typed (k INT, v DOUBLE, d DATE, b BOOLEAN, s STRING);
INSERT OVERWRITE TABLE dest_typed SELECT key, key, '2008-04-08', 'true', value FROM src1;
INSERT OVERWRITE TABLE dest_typed SELECT age_str, score, signup_date, score, name FROM users;
INSERT INTO TABLE dest_typed SELECT i, s, s, s, d FROM nums;
INSERT INTO TABLE dest_typed SELECT amount, price, ts, flag, kind FROM events;
INSERT INTO TABLE dest_typed VALUES (1, 2.5, '2008-04-08', true, 'x'), ('1.5', 'abc', 'garbage', 'no', 7);
SELECT * FROM dest_typed WHERE k > 100;
CREATE TABLE dest_small (t TINYINT, i INT, dec DECIMAL(5,2), vc VARCHAR(3));
INSERT OVERWRITE TABLE dest_small SELECT i, d, d, s FROM nums;
INSERT INTO TABLE dest_small SELECT p_size, p_retailprice, p_retailprice, p_name FROM part;
CREATE TABLE dest_part (k STRING, v STRING) PARTITIONED BY (ds STRING, hr INT);
INSERT OVERWRITE TABLE dest_part PARTITION (ds = '2008-04-08', hr = 11) SELECT key, value FROM src WHERE key < 100;
INSERT OVERWRITE TABLE dest_part PARTITION (ds = '2008-04-09', hr) SELECT key, value, hr FROM srcpart WHERE key > 400;
INSERT OVERWRITE TABLE dest_part PARTITION (ds, hr) SELECT key, value, ds, hr FROM srcpart WHERE key < 50;
INSERT INTO TABLE dest_part PARTITION (ds = '2008-04-10', hr = 1) SELECT p_partkey, p_size FROM part;
INSERT OVERWRITE TABLE dest_part PARTITION (ds = '2008-04-11', hr = 3) IF NOT EXISTS SELECT key, value FROM src1;
INSERT OVERWRITE TABLE dest_part PARTITION (ds = '2008-04-11', hr = 3) IF NOT EXISTS SELECT value, key FROM src1;
SELECT ds, hr, count(*) FROM dest_part GROUP BY ds, hr;
CREATE TABLE ctas_types AS SELECT key, key + 1 AS k1, key / 2 AS half, concat(value, '_x') AS cv, count(*) OVER () AS c
FROM src1;
SELECT * FROM ctas_types;
CREATE TABLE ctas_agg AS SELECT p_mfgr, sum(p_size) s, avg(p_retailprice) a, max(p_name) m FROM part GROUP BY p_mfgr;
CREATE TABLE ctas_union AS SELECT value AS c FROM src1 UNION ALL SELECT p_size FROM part;
SELECT c FROM ctas_union WHERE c IS NOT NULL;
CREATE TABLE ctas_mixed AS SELECT age_str + 0 AS a, cast(score AS INT) AS s, to_date(signup_date) AS d FROM users;
CREATE TABLE multi_a (k STRING, c BIGINT);
CREATE TABLE multi_b (v STRING);
FROM src INSERT OVERWRITE TABLE multi_a SELECT key, count(*) WHERE key < 200 GROUP BY key
INSERT OVERWRITE TABLE multi_b SELECT value WHERE key > 300;
FROM (SELECT key, value FROM src1) s INSERT OVERWRITE TABLE multi_a SELECT s.key, 1 INSERT INTO TABLE multi_b SELECT s.value;
CREATE TABLE loaded (a INT, b STRING, c ARRAY<STRING>, d MAP<STRING, INT>, e DOUBLE)
  ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' COLLECTION ITEMS TERMINATED BY ',' MAP KEYS TERMINATED BY ':';
LOAD DATA LOCAL INPATH '../../data/files/loaded.txt' OVERWRITE INTO TABLE loaded;
SELECT a, b, c, d, e FROM loaded;
CREATE TABLE loaded_part (a INT, b STRING) PARTITIONED BY (ds STRING) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
  NULL DEFINED AS 'NULL';
LOAD DATA LOCAL INPATH '../../data/files/loaded_part.txt' INTO TABLE loaded_part PARTITION (ds = '2008-04-08');
LOAD DATA LOCAL INPATH '../../data/files/loaded_part2.txt' INTO TABLE loaded_part PARTITION (ds = '2008-04-09');
SELECT ds, count(*), sum(a) FROM loaded_part GROUP BY ds;
CREATE TABLE loaded_default (key INT, value STRING);
LOAD DATA LOCAL INPATH '../../data/files/kv_default.txt' INTO TABLE loaded_default;
INSERT INTO TABLE loaded_default SELECT key, value FROM src1;
SELECT count(*), sum(key) FROM loaded_default;
CREATE TABLE loaded_like LIKE loaded_part;
INSERT OVERWRITE TABLE loaded_like PARTITION (ds) SELECT a, b, ds FROM loaded_part;
SELECT * FROM loaded_like;

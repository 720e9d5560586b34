-- Window functions: ranking, offsets, frames, named windows, DISTRIBUTE/SORT BY in windows
SELECT p_mfgr, p_name, rank() OVER (PARTITION BY p_mfgr ORDER BY p_name) FROM part;
SELECT p_mfgr, p_partkey, dense_rank() OVER (PARTITION BY p_mfgr ORDER BY p_size) FROM part;
SELECT p_mfgr, p_partkey, row_number() OVER (PARTITION BY p_mfgr ORDER BY p_partkey) FROM part;
SELECT p_partkey, ntile(3) OVER (ORDER BY p_partkey), percent_rank() OVER (ORDER BY p_size, p_partkey),
  cume_dist() OVER (ORDER BY p_size) FROM part;
SELECT p_partkey, lag(p_size, 1) OVER (ORDER BY p_partkey), lead(p_size, 2, 0) OVER (ORDER BY p_partkey) FROM part;
SELECT p_partkey, p_size - lag(p_size, 1, p_size) OVER (PARTITION BY p_mfgr ORDER BY p_partkey) FROM part;
SELECT p_partkey, first_value(p_size) OVER (PARTITION BY p_mfgr ORDER BY p_partkey),
  last_value(p_size) OVER (PARTITION BY p_mfgr ORDER BY p_partkey ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
FROM part;
SELECT p_partkey, sum(p_size) OVER (PARTITION BY p_mfgr ORDER BY p_partkey ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM part;
SELECT p_partkey, sum(p_size) OVER (PARTITION BY p_mfgr ORDER BY p_partkey ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)
FROM part;
SELECT p_partkey, avg(p_retailprice) OVER (PARTITION BY p_mfgr ORDER BY p_size RANGE BETWEEN 5 PRECEDING AND CURRENT ROW)
FROM part;
SELECT p_partkey, min(p_size) OVER (PARTITION BY p_mfgr), max(p_size) OVER (PARTITION BY p_mfgr),
  count(*) OVER (PARTITION BY p_mfgr) FROM part;
SELECT p_partkey, sum(p_size) OVER w, count(p_size) OVER w FROM part
WINDOW w AS (PARTITION BY p_mfgr ORDER BY p_partkey ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING);
SELECT p_partkey, sum(p_size) OVER w1, sum(p_size) OVER w2 FROM part
WINDOW w1 AS (PARTITION BY p_mfgr ORDER BY p_partkey), w2 AS (w1 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
SELECT p_partkey, sum(p_size) OVER (w1 ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM part
WINDOW w1 AS (PARTITION BY p_mfgr ORDER BY p_partkey);
SELECT p_partkey, rank() OVER (DISTRIBUTE BY p_mfgr SORT BY p_size DESC, p_partkey) FROM part;
SELECT p_mfgr, count(p_size) OVER (CLUSTER BY p_mfgr) FROM part;
SELECT p_partkey, first_value(p_name, true) OVER (PARTITION BY p_mfgr ORDER BY p_partkey),
  last_value(p_name, false) OVER (PARTITION BY p_mfgr ORDER BY p_partkey) FROM part;
SELECT * FROM (SELECT p_mfgr, p_partkey, rank() OVER (PARTITION BY p_mfgr ORDER BY p_retailprice DESC, p_partkey) r
  FROM part) x WHERE r <= 2;
SELECT p_mfgr, p_partkey, p_retailprice / sum(p_retailprice) OVER (PARTITION BY p_mfgr) FROM part;
SELECT p_mfgr, sum(sum(p_size)) OVER (ORDER BY p_mfgr) FROM part GROUP BY p_mfgr;
SELECT key, value, row_number() OVER (PARTITION BY key ORDER BY value) FROM src1;
SELECT key, count(*) OVER (PARTITION BY key), sum(key) OVER (PARTITION BY value) FROM src;
SELECT key, lag(key) OVER (ORDER BY key, value), lead(value, 1, 'none') OVER (ORDER BY key, value) FROM src;
SELECT ds, hr, key, rank() OVER (PARTITION BY ds, hr ORDER BY key, value) FROM srcpart;
SELECT id, kind, amount, sum(amount) OVER (PARTITION BY kind ORDER BY id) FROM events;
SELECT id, kind, avg(amount) OVER (PARTITION BY kind ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM events;
SELECT id, user_id, dense_rank() OVER (PARTITION BY user_id ORDER BY ts), lag(ts) OVER (PARTITION BY user_id ORDER BY id)
FROM events;
SELECT id, price - lag(price, 1, 0) OVER (PARTITION BY dt ORDER BY id) FROM events;
SELECT user_id, country, row_number() OVER (PARTITION BY country ORDER BY user_id) FROM users;
SELECT id, s, rank() OVER (ORDER BY s, id), s + lag(s) OVER (ORDER BY id) FROM nums;
SELECT id, stddev(d) OVER (PARTITION BY t), variance(d) OVER (PARTITION BY t) FROM nums;
SELECT id, collect_list(i) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM nums;
SELECT id, ntile(4) OVER (PARTITION BY t ORDER BY id), max(d) OVER (PARTITION BY t ORDER BY id) FROM nums;
SELECT p_mfgr, p_name, p_size FROM (SELECT p_mfgr, p_name, p_size, max(p_size) OVER (PARTITION BY p_mfgr) m FROM part) t
WHERE p_size = m;

INSERT OVERWRITE TABLE dw.daily PARTITION (dt='2024-01-02', hr)
SELECT user_id, cast(amount AS DECIMAL(10,2)), amount / qty, qty DIV 2, hr
FROM ods.orders o
LATERAL VIEW OUTER explode(o.items) i AS item
WHERE dt = '2024-01-02'
DISTRIBUTE BY hr SORT BY user_id;
SELECT TRANSFORM (user_id, url) USING 'python clean.py' AS (user_id BIGINT, domain STRING) FROM ods.clicks;
SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn FROM ods.clicks CLUSTER BY user_id;
SELECT from_unixtime(unix_timestamp(ts, 'yyyyMMddHHmmss'), 'yyyy-MM-dd'), date_format(ts, 'u'), datediff(d1, d2), to_date(ts) FROM ods.clicks;
SELECT d_date FROM date_dim WHERE d_date BETWEEN cast('2000-01-01' AS DATE) AND (cast('2000-01-01' AS DATE) + 30 days);
SELECT * FROM ods.clicks TABLESAMPLE (BUCKET 1 OUT OF 16 ON user_id) s;

-- Revenue by country and signup cohort; Hive-era casts and divisions that must keep Hive's NULLs.
SET hive.auto.convert.join=true;

DROP TABLE IF EXISTS dw.country_revenue;
CREATE TABLE dw.country_revenue STORED AS PARQUET AS
SELECT
  coalesce(u.country, 'unknown')                         AS country,
  substr(u.signup_date, 1, 7)                            AS cohort,
  count(DISTINCT o.user_id)                              AS buyers,
  count(o.order_id)                                      AS orders,
  sum(o.amount)                                          AS revenue,
  sum(o.amount) / count(o.order_id)                      AS avg_order,
  avg(cast(u.age_str AS INT))                            AS avg_age,
  sum(CASE WHEN o.status = 'refunded' THEN o.amount ELSE 0 END) / sum(o.amount) AS refund_share,
  max(datediff(to_date(o.order_ts), u.signup_date))      AS max_days_to_order
FROM ods.orders o
JOIN ods.users u ON o.user_id = u.user_id
LEFT OUTER JOIN (SELECT user_id, count(*) AS n FROM ods.events GROUP BY user_id) ev ON ev.user_id = o.user_id
WHERE o.status IN ('paid', 'refunded')
GROUP BY coalesce(u.country, 'unknown'), substr(u.signup_date, 1, 7);

DROP TABLE IF EXISTS dw.order_unit_price;
CREATE TABLE dw.order_unit_price STORED AS ORC AS
SELECT order_id, amount / items AS unit_price, cast(order_id AS STRING) AS order_key, items DIV 2 AS pairs
FROM ods.orders;

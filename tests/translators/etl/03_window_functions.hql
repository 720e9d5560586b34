-- Top orders per user and running totals (window functions).
DROP TABLE IF EXISTS dw.user_order_rank;
CREATE TABLE dw.user_order_rank (
  user_id     BIGINT,
  order_id    BIGINT,
  amount      DECIMAL(12,2),
  rn          INT,
  rnk         INT,
  running     DECIMAL(22,2),
  prev_amount DECIMAL(12,2),
  share       DOUBLE
)
STORED AS PARQUET;

INSERT OVERWRITE TABLE dw.user_order_rank
SELECT user_id, order_id, amount, rn, rnk, running, prev_amount, share
FROM (
  SELECT
    user_id,
    order_id,
    amount,
    row_number() OVER (PARTITION BY user_id ORDER BY amount DESC, order_id) AS rn,
    rank() OVER (PARTITION BY user_id ORDER BY amount DESC)               AS rnk,
    sum(amount) OVER (PARTITION BY user_id ORDER BY order_id
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)   AS running,
    lag(amount, 1) OVER (PARTITION BY user_id ORDER BY order_id)          AS prev_amount,
    amount / sum(amount) OVER (PARTITION BY user_id)                      AS share
  FROM ods.orders
  WHERE status <> 'cancelled'
) ranked
WHERE rn <= 3;

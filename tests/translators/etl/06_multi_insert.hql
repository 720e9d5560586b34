-- One scan of the orders feeds three tables (Hive multi-insert).
SET hive.exec.dynamic.partition.mode=nonstrict;

CREATE TABLE IF NOT EXISTS dw.paid_orders (order_id BIGINT, user_id BIGINT, amount DECIMAL(12,2))
PARTITIONED BY (dt STRING) STORED AS ORC;
CREATE TABLE IF NOT EXISTS dw.order_status_counts (status STRING, orders BIGINT, amount DECIMAL(22,2))
STORED AS ORC;
CREATE TABLE IF NOT EXISTS dw.big_orders (order_id BIGINT, country STRING) STORED AS ORC;

FROM ods.orders o
JOIN ods.users u ON o.user_id = u.user_id
INSERT OVERWRITE TABLE dw.paid_orders PARTITION (dt)
  SELECT o.order_id, o.user_id, o.amount, o.dt WHERE o.status = 'paid'
INSERT OVERWRITE TABLE dw.order_status_counts
  SELECT o.status, count(*), sum(o.amount) GROUP BY o.status
INSERT INTO TABLE dw.big_orders
  SELECT o.order_id, u.country WHERE o.amount > 400 SORT BY o.order_id;

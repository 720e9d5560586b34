-- Legacy source tables of the nightly ETL (landed by the ingestion jobs as delimited text on HDFS).
CREATE DATABASE IF NOT EXISTS ods;
CREATE DATABASE IF NOT EXISTS dw;

CREATE EXTERNAL TABLE IF NOT EXISTS ods.events (
  event_id   BIGINT,
  user_id    BIGINT,
  event_type STRING COMMENT 'view, click, purchase',
  amount     DOUBLE,
  event_ts   STRING COMMENT 'yyyy-MM-dd HH:mm:ss',
  tags       ARRAY<STRING>
)
PARTITIONED BY (dt STRING)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t' COLLECTION ITEMS TERMINATED BY ','
STORED AS TEXTFILE
LOCATION 'hdfs://nn:8020/warehouse/ods/events';

CREATE EXTERNAL TABLE IF NOT EXISTS ods.users (
  user_id     BIGINT,
  country     STRING,
  signup_date STRING,
  age_str     STRING COMMENT 'free text from the signup form'
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED AS TEXTFILE
LOCATION 'hdfs://nn:8020/warehouse/ods/users'
TBLPROPERTIES ('serialization.null.format'='');

CREATE EXTERNAL TABLE IF NOT EXISTS ods.orders (
  order_id BIGINT,
  user_id  BIGINT,
  amount   DECIMAL(12,2),
  items    INT,
  status   STRING,
  order_ts STRING
)
PARTITIONED BY (dt STRING)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED AS TEXTFILE
LOCATION 'hdfs://nn:8020/warehouse/ods/orders';

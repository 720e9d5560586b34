CREATE DATABASE IF NOT EXISTS dw LOCATION 'hdfs://nn:8020/warehouse/dw.db';
CREATE EXTERNAL TABLE IF NOT EXISTS ods.events (
  event_id BIGINT, user_id BIGINT, code VARCHAR(8), flag TINYINT, tags ARRAY<STRING>, attrs MAP<STRING,STRING>
)
COMMENT 'raw events'
PARTITIONED BY (dt STRING)
CLUSTERED BY (user_id) SORTED BY (user_id) INTO 32 BUCKETS
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\001' COLLECTION ITEMS TERMINATED BY '\002' MAP KEYS TERMINATED BY '\003'
STORED AS TEXTFILE
LOCATION 'hdfs://nn:8020/warehouse/ods/events'
TBLPROPERTIES ('skip.header.line.count'='1', 'owner.team'='growth');
CREATE TABLE dw.users_csv (id INT, name STRING)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES ('separatorChar'=',')
STORED AS TEXTFILE LOCATION 'hdfs://nn:8020/unmapped/users';
CREATE TABLE dw.hbase_users (id INT) STORED BY 'org.apache.hadoop.hive.hbase.HBaseStorageHandler';
CREATE TABLE dw.snapshot STORED AS ORC AS SELECT * FROM ods.events WHERE dt = '2024-01-01';
CREATE TEMPORARY TABLE tmp_users AS SELECT DISTINCT user_id FROM ods.events;
CREATE VIEW dw.v_events AS SELECT event_id, user_id FROM ods.events;
DROP TABLE IF EXISTS dw.old_table PURGE;
ALTER TABLE dw.snapshot SET LOCATION 'hdfs://nn:8020/x';

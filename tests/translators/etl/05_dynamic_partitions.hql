-- Rebuild events by type with dynamic partitions; older partitions must survive the overwrite.
SET hive.exec.dynamic.partition=true;
SET hive.exec.dynamic.partition.mode=nonstrict;
SET hive.exec.max.dynamic.partitions=10000;

CREATE TABLE IF NOT EXISTS dw.events_by_type (
  event_id BIGINT,
  user_id  BIGINT,
  amount   DOUBLE
)
PARTITIONED BY (dt STRING, event_type STRING)
STORED AS ORC;

-- an archived partition from before the migration window
INSERT OVERWRITE TABLE dw.events_by_type PARTITION (dt='1999-12-31', event_type='view')
SELECT 0, 0, 0.0 FROM ods.users WHERE user_id = 1;

INSERT OVERWRITE TABLE dw.events_by_type PARTITION (dt, event_type)
SELECT event_id, user_id, amount, dt, event_type
FROM ods.events
WHERE dt >= '${hivevar:run_date}'
DISTRIBUTE BY dt, event_type;

-- partly static, partly dynamic
INSERT OVERWRITE TABLE dw.events_by_type PARTITION (dt='${hivevar:run_date}', event_type)
SELECT event_id, user_id, amount * 2, event_type
FROM ods.events
WHERE dt = '${hivevar:run_date}' AND event_type = 'purchase';

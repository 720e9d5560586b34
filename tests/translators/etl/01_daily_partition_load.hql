-- Daily user activity: one static partition per run date (run with --hivevar run_date=YYYY-MM-DD).
SET hive.exec.compress.output=true;
SET mapred.output.compression.codec=org.apache.hadoop.io.compress.SnappyCodec;
SET mapred.reduce.tasks=4;

CREATE TABLE IF NOT EXISTS dw.daily_user_activity (
  user_id        BIGINT,
  events         BIGINT,
  purchases      BIGINT,
  revenue        DOUBLE,
  first_event_ts STRING,
  active_hours   INT
)
PARTITIONED BY (dt STRING)
STORED AS ORC;

INSERT OVERWRITE TABLE dw.daily_user_activity PARTITION (dt='${hivevar:run_date}')
SELECT
  e.user_id,
  count(*)                                                  AS events,
  sum(CASE WHEN e.event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
  round(sum(nvl(e.amount, 0)), 2)                           AS revenue,
  min(from_unixtime(unix_timestamp(e.event_ts, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm')) AS first_event_ts,
  cast(count(DISTINCT hour(e.event_ts)) AS INT)             AS active_hours
FROM ods.events e
WHERE e.dt = '${hivevar:run_date}'
  AND e.user_id IS NOT NULL
GROUP BY e.user_id;

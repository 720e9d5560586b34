-- A realistic daily job with variables, settings and several stages
set hivevar:run_dt=2024-03-15;
set hive.exec.dynamic.partition.mode=nonstrict;
set mapreduce.job.reduces=64;
USE ${hivevar:target_db};

DROP TABLE IF EXISTS tmp_user_sessions_${hivevar:suffix};
CREATE TABLE tmp_user_sessions_${hivevar:suffix} STORED AS ORC AS
SELECT user_id,
       session_id,
       min(event_time) AS session_start,
       max(event_time) AS session_end,
       (unix_timestamp(max(event_time)) - unix_timestamp(min(event_time))) / 60 AS duration_min,
       count(1) AS events,
       collect_set(page) AS pages
FROM (
  SELECT user_id, event_time, page,
         concat(user_id, '_', sum(new_session) OVER (PARTITION BY user_id ORDER BY event_time ROWS UNBOUNDED PRECEDING)) AS session_id
  FROM (
    SELECT user_id, event_time, page,
           CASE WHEN unix_timestamp(event_time) - lag(unix_timestamp(event_time)) OVER (PARTITION BY user_id ORDER BY event_time) > 1800
                  OR lag(event_time) OVER (PARTITION BY user_id ORDER BY event_time) IS NULL THEN 1 ELSE 0 END AS new_session
    FROM ods.page_views
    WHERE dt = '${hivevar:run_dt}' AND user_id IS NOT NULL AND user_id != ''
  ) flagged
) s
GROUP BY user_id, session_id;

INSERT OVERWRITE TABLE dw.fact_sessions PARTITION (dt = '${hivevar:run_dt}')
SELECT /*+ MAPJOIN(d) */
  s.user_id,
  s.session_id,
  nvl(d.device_type, 'unknown') AS device_type,
  s.session_start,
  s.session_end,
  round(s.duration_min, 2),
  s.events,
  size(s.pages) AS distinct_pages,
  if(array_contains(s.pages, 'checkout'), 1, 0) AS converted
FROM tmp_user_sessions_${hivevar:suffix} s
LEFT OUTER JOIN dim.devices d ON (s.user_id = d.user_id AND d.dt = '${hivevar:run_dt}');

INSERT OVERWRITE TABLE dw.agg_daily PARTITION (dt = '${hivevar:run_dt}')
SELECT device_type, count(DISTINCT user_id) AS users, sum(events) AS events,
       percentile_approx(duration_min, 0.5) AS median_duration,
       sum(converted) / count(1) AS conversion_rate
FROM dw.fact_sessions
WHERE dt = '${hivevar:run_dt}'
GROUP BY device_type
GROUPING SETS ((device_type), ());

ALTER TABLE dw.fact_sessions DROP IF EXISTS PARTITION (dt = '${hivevar:old_dt}');
INSERT OVERWRITE DIRECTORY '/exports/agg_daily/${hivevar:run_dt}'
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
SELECT * FROM dw.agg_daily WHERE dt = '${hivevar:run_dt}';
DROP TABLE IF EXISTS tmp_user_sessions_${hivevar:suffix} PURGE;

-- user dimension with SCD-like merge via full outer join
INSERT OVERWRITE TABLE dim.users
SELECT coalesce(n.user_id, o.user_id) AS user_id,
       CASE WHEN n.user_id IS NOT NULL THEN n.email ELSE o.email END AS email,
       coalesce(o.first_seen, n.first_seen) AS first_seen,
       if(n.user_id IS NULL, o.last_seen, n.last_seen) AS last_seen
FROM dim.users o
FULL OUTER JOIN (SELECT user_id, max(email) email, min(to_date(event_time)) first_seen, max(to_date(event_time)) last_seen
                 FROM ods.page_views WHERE dt = '${hivevar:run_dt}' GROUP BY user_id) n
ON o.user_id = n.user_id;

SELECT `(dt|hr)?+.+` FROM ods.page_views WHERE dt = '${hivevar:run_dt}' LIMIT 10;

INSERT OVERWRITE TABLE dw.url_stats PARTITION (dt='${hivevar:run_dt}')
SELECT parse_url(url, 'HOST') AS host,
       regexp_extract(url, '[?&]utm_source=([^&]+)', 1) AS utm_source,
       count(*) AS hits
FROM ods.page_views
WHERE dt = '${hivevar:run_dt}' AND url RLIKE '^https?://'
GROUP BY parse_url(url, 'HOST'), regexp_extract(url, '[?&]utm_source=([^&]+)', 1)
HAVING count(*) > 5
DISTRIBUTE BY host;

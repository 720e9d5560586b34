-- Compaction-style rewrite: DISTRIBUTE BY / SORT BY / CLUSTER BY control the output files.
USE dw;

DROP TABLE IF EXISTS user_events_sorted;
CREATE TABLE user_events_sorted (user_id BIGINT, event_id BIGINT, event_type STRING, day_of_week STRING)
STORED AS ORC;

INSERT OVERWRITE TABLE user_events_sorted
SELECT user_id, event_id, event_type, date_format(to_date(event_ts), 'EEE')
FROM ods.events
DISTRIBUTE BY user_id SORT BY user_id, event_id;

DROP TABLE IF EXISTS users_clustered;
CREATE TABLE users_clustered STORED AS ORC AS
SELECT user_id, upper(country) AS country, nvl(cast(age_str AS INT), -1) AS age,
       concat_ws('-', country, substr(signup_date, 1, 4)) AS label
FROM ods.users
CLUSTER BY user_id;

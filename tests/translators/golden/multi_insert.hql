-- one scan, three outputs
FROM ods.events e
LATERAL VIEW explode(e.tags) t AS tag
INSERT OVERWRITE TABLE dw.tags PARTITION (dt)
  SELECT e.event_id, t.tag, e.dt WHERE t.tag IS NOT NULL
INSERT INTO TABLE dw.tag_totals
  SELECT t.tag, count(*) GROUP BY t.tag
INSERT OVERWRITE DIRECTORY 'hdfs://nn:8020/exports/tags' SELECT t.tag;
FROM (SELECT user_id, sum(amount) AS total FROM ods.orders GROUP BY user_id) s
INSERT OVERWRITE TABLE dw.big SELECT s.user_id WHERE s.total > 100
INSERT OVERWRITE TABLE dw.small SELECT s.user_id WHERE s.total <= 100;

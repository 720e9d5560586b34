-- Tag statistics: LATERAL VIEW explode, OUTER keeps events without tags, posexplode keeps positions.
DROP TABLE IF EXISTS dw.tag_counts;
CREATE TABLE dw.tag_counts (tag STRING, events BIGINT, users BIGINT) STORED AS ORC;

INSERT OVERWRITE TABLE dw.tag_counts
SELECT t.tag, count(*), count(DISTINCT e.user_id)
FROM ods.events e
LATERAL VIEW OUTER explode(e.tags) t AS tag
GROUP BY t.tag;

DROP TABLE IF EXISTS dw.first_tags;
CREATE TABLE dw.first_tags (event_id BIGINT, pos INT, tag STRING) STORED AS ORC;

INSERT OVERWRITE TABLE dw.first_tags
SELECT e.event_id, p.pos, upper(p.tag)
FROM ods.events e
LATERAL VIEW posexplode(e.tags) p AS pos, tag
WHERE p.pos < 2;

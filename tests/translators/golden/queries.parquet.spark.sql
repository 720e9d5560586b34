-- Translated from queries.hql (HiveQL -> Spark SQL) by migrate translate hive

-- [translated_with_notes] queries.hql:1
-- NOTE (dynamic_partitions): dynamic partition: a NULL or empty partition value reads back as NULL in Spark; Hive stored it as __HIVE_DEFAULT_PARTITION__ and reads that string back in a STRING partition column
-- NOTE (dynamic_partitions): dynamic-partition INSERT OVERWRITE: set spark.sql.sources.partitionOverwriteMode=dynamic so that only the partitions written are replaced (Spark's default replaces all)
-- NOTE (sort_by): SORT BY orders rows within each task only (as in Hive), not a total order: use ORDER BY where a global order is required
-- NOTE (ansi_cast): CAST -> TRY_CAST (as Hive casts: NULL for a bad value, '1.5' to 1, overflow wraps); Spark 4 (ANSI) raises
-- NOTE (ansi_division): a / b -> try_divide(a, b): Hive returns NULL on division by zero, Spark 4 (ANSI) raises
SET spark.sql.sources.partitionOverwriteMode=dynamic;
INSERT OVERWRITE TABLE lake.dw.daily PARTITION(dt = '2024-01-02', hr)
SELECT
  user_id,
  TRY_CAST(amount AS DECIMAL(10, 2)),
  TRY_DIVIDE(amount, qty),
  qty DIV 2,
  hr
FROM lake.ods.orders AS o
LATERAL VIEW OUTER
EXPLODE(o.items) i AS item
WHERE
  dt = '2024-01-02'
DISTRIBUTE BY
  hr
SORT BY
  user_id;

-- [translated_with_notes] queries.hql:7
-- NOTE (transform): TRANSFORM ... USING runs the script on every executor: ship it with ADD FILE or spark-submit --files; without Hive support Spark uses its own text serde (NULL written as \N as in Hive, but complex types as JSON)
SELECT
  TRANSFORM(user_id, url) USING 'python clean.py' AS (
    user_id BIGINT,
    domain STRING
  )
FROM lake.web.clicks;

-- [translated] queries.hql:8
SELECT
  user_id,
  ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn
FROM lake.web.clicks
CLUSTER BY
  user_id;

-- [translated_with_notes] queries.hql:9
-- NOTE (date_formats): datetime pattern: the script sets spark.sql.legacy.timeParserPolicy=LEGACY so that patterns format and parse as Hive's SimpleDateFormat did (lenient parsing of '2008-4-8', milliseconds for S)
-- NOTE (date_formats): date pattern 'u' uses u, which Spark's formatter reads differently from Hive's SimpleDateFormat: the script sets spark.sql.legacy.timeParserPolicy=LEGACY (SimpleDateFormat, as Hive)
-- NOTE (ansi_datetime): date functions on text: the text is cast with TRY_CAST first (Hive reads a value that is not a date as NULL, Spark 4 (ANSI) raises)
-- NOTE (ansi_datetime): unix_timestamp(s, fmt) -> unix_timestamp(try_to_timestamp(s, fmt)): Hive returns NULL for text it cannot parse, Spark 4 (ANSI) raises
-- NOTE (ansi_datetime): to_date(s) -> try_to_date(s): Hive returns NULL for text that is not a date, Spark 4 (ANSI) raises
SET spark.sql.legacy.timeParserPolicy=LEGACY;
SELECT
  FROM_UNIXTIME(UNIX_TIMESTAMP(TRY_TO_TIMESTAMP(ts, 'yyyyMMddHHmmss')), 'yyyy-MM-dd'),
  DATE_FORMAT(TRY_CAST(ts AS TIMESTAMP), 'u'),
  DATEDIFF(TRY_CAST(d1 AS DATE), TRY_CAST(d2 AS DATE)),
  TRY_TO_DATE(ts)
FROM lake.web.clicks;

-- [translated] queries.hql:10
SELECT
  d_date
FROM date_dim
WHERE
  d_date BETWEEN CAST('2000-01-01' AS DATE) AND (
    CAST('2000-01-01' AS DATE) + INTERVAL '30' DAY
  );

-- [translated_with_notes] queries.hql:11
-- NOTE (tablesample): TABLESAMPLE (BUCKET x OUT OF y ON col) -> a filter pmod(hash(col), y) = x - 1: deterministic, but Spark's hash differs from Hive's, so the sample holds other rows than Hive's bucket x
SELECT
  *
FROM (
  SELECT
    *
  FROM lake.web.clicks
  WHERE
    PMOD(HASH(user_id), 16) = 0
) AS s;

-- Base tables of the equality corpus besides Hive's own test tables (equality.HIVE_TEST_TABLES): the rows are
-- generated (gen_data) and identical on both sides.
CREATE TABLE default.events (id BIGINT, user_id INT, kind STRING, amount DOUBLE, price DECIMAL(10,2), ts TIMESTAMP,
  event_date STRING, tags ARRAY<STRING>, props MAP<STRING, STRING>, flag BOOLEAN) PARTITIONED BY (dt STRING);
CREATE TABLE default.users (user_id INT, name STRING, country STRING, signup_date STRING, age_str STRING,
  score STRING);
CREATE TABLE default.nums (id INT, i INT, b BIGINT, d DOUBLE, s STRING, n DECIMAL(12,4), t TINYINT, f FLOAT);

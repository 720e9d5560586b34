SET hive.exec.parallel=true;
SET mapreduce.job.reduces=16;
SET hive.auto.convert.join=false;
SET spark.sql.adaptive.enabled=true;
SET my.job.flag=on;
SET hivevar:region=emea;
SET hiveconf:min_amount=10;
SELECT '${hivevar:region}' AS region, '${env:USER}' AS who FROM ods.t WHERE amount > ${hiveconf:min_amount} AND flag = '${my.job.flag}';
SET;

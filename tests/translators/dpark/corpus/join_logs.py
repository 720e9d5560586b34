# Join the access log with the users table (CSV with quoted names and missing ages): visits per city.
import sys
from dpark import DparkContext, optParser

optParser.add_option('-i', '--input', dest='input')
optParser.add_option('-o', '--output', dest='output')
optParser.add_option('--day', dest='day', default='2024-01-02')
options, args = optParser.parse_args()
# verify-args: --day 2024-01-02 -i {input} -o {output}

ctx = DparkContext()
users = ctx.csvFile(options.input + '/users.csv').map(lambda row: (row[0], (row[1], row[2], row[3])))
visits = ctx.textFile('%s/logs/access/%s' % (options.input, options.day)) \
    .map(lambda l: l.split(' ')) \
    .map(lambda f: (f[2], f[5]))
joined = visits.leftOuterJoin(users)
by_city = joined.map(lambda (uid, (page, u)): (u[1] if u else 'unknown', 1)) \
    .reduceByKey(lambda a, b: a + b)
by_city.map(lambda kv: '\t'.join(map(str, kv))).saveAsTextFile(options.output + '/visits_by_city')
ages = joined.filter(lambda (uid, (page, u)): u is not None and u[2] != '') \
    .map(lambda (uid, (page, u)): (u[1], (int(u[2]), 1))) \
    .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1])) \
    .mapValue(lambda (s, n): s / n)
ages.map(lambda (city, avg): '%s %d' % (city, avg)).saveAsTextFile(options.output + '/avg_age')

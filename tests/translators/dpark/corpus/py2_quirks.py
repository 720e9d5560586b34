# -*- coding: utf-8 -*-
# Python 2 habits of legacy jobs: tabs, <>, backticks, except X, e, iteritems, xrange, has_key,
# integer division, unicode(), long, round() of halves, print >>, cmp= sorting, dict.keys()[0].
import sys
from dpark import DparkContext

def by_amount(a, b):
	return cmp(b[1], a[1]) or cmp(a[0], b[0])

ctx = DparkContext()
orders = ctx.textFile(sys.argv[1] + '/orders.tsv').map(lambda l: l.split('\t')).filter(lambda f: len(f) == 4)
totals = dict(orders.map(lambda f: (f[3], int(float(f[2]) * 100))).reduceByKey(lambda a, b: a + b).collect())
lines = []
for city, cents in sorted(totals.iteritems(), cmp=by_amount):
	if totals.has_key(city) and city <> 'nowhere':
		n = long(cents)
		lines.append(u'%s\t%d\t%s' % (unicode(city, 'utf-8'), n / 100, `n % 100`))
for i in xrange(len(lines)):
    print lines[i]
half = round(2.5), round(0.125, 2), round(-3.5)
print >>sys.stderr, 'halves', half
ctx.makeRDD(lines + ['halves %s %s %s' % half], 2).saveAsTextFile(sys.argv[2] + '/totals')
try:
	first = sorted(totals.keys())[0]
except IndexError, e:
	first = None
print 'first city', first, 7 / 2, -7 / 2

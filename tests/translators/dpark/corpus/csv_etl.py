# CSV ETL: parse orders, drop bad rows (counted with an accumulator), filter, enrich, write CSV.
import sys
from dpark import DparkContext

ctx = DparkContext()
bad = ctx.accumulator(0)

def parse(line):
    f = line.split('\t')
    if len(f) != 4:
        bad.add(1)
        return []
    oid, uid, amount, city = f
    return [(int(oid), uid, float(amount), city)]

orders = ctx.textFile(sys.argv[1] + '/orders.tsv', numSplits=3).flatMap(parse)
print 'orders', orders.count()
print 'bad rows', bad.value  # read after the first action: later actions recompute orders
big = orders.filter(lambda (oid, uid, amount, city): amount >= 100.0 and city in ('beijing', 'shanghai'))
big.map(lambda (oid, uid, amount, city): [oid, uid, '%.2f' % amount, city.upper()]) \
   .saveAsCSVFile(sys.argv[2] + '/big_orders')
per_city = orders.map(lambda o: (o[3], o[2])).reduceByKey(lambda a, b: a + b)
per_city.map(lambda (c, s): (c, round(s, 2))).saveAsCSVFile(sys.argv[2] + '/revenue', dialect='excel-tab')
print 'big', big.count()

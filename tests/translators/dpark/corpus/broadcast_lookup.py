# Broadcast lookups: a small mapping read on the driver with file(), shipped to every task.
import sys
from dpark import DparkContext

names = {}
for line in file(sys.argv[1] + '/city_names.txt'):
    k, v = line.rstrip('\n').split('\t')
    names[k] = v

dpark = DparkContext()
lookup = dpark.broadcast(names)
orders = dpark.textFile(sys.argv[1] + '/orders.tsv').map(lambda l: l.split('\t')).filter(lambda f: len(f) == 4)
named = orders.map(lambda f: (lookup.value.get(f[3], 'UNKNOWN'), 1)).reduceByKey(lambda a, b: a + b)
for k, v in sorted(named.collect()):
    print k, v
named.map(lambda (k, v): '%s=%d' % (k, v)).saveAsTextFile(sys.argv[2] + '/named')

# Item-item cosine similarity from ratings, with groupByKey (the classic recommendation batch).
import sys
import math
from itertools import combinations
from dpark import DparkContext

ctx = DparkContext()
ratings = ctx.textFile(sys.argv[1] + '/ratings.txt') \
    .map(lambda l: l.strip().split('\t')) \
    .map(lambda (u, i, r): (u, (i, int(r))))
by_user = ratings.groupByKey()
norms = ratings.map(lambda (u, (i, r)): (i, r * r)).reduceByKey(lambda a, b: a + b) \
    .mapValue(math.sqrt).collectAsMap()
bn = ctx.broadcast(norms)

def pairs(items):
    items = sorted(set(items))
    for (i, ri), (j, rj) in combinations(items, 2):
        if i != j:
            yield (i, j), ri * rj

dots = by_user.flatMap(lambda (u, items): pairs(items)).reduceByKey(lambda a, b: a + b)
sims = dots.map(lambda ((i, j), d): (i, j, d / (bn.value[i] * bn.value[j]))) \
    .filter(lambda (i, j, s): s > 0.2)
sims.map(lambda t: '%s,%s,%.6f' % t).saveAsTextFile(sys.argv[2] + '/item_sim')
print 'pairs:', sims.count()

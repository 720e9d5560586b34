# Top pages per user (topByKey) and the hottest pages overall (hot), DPark-only operations.
import sys
from dpark import DparkContext

ctx = DparkContext()
logs = ctx.textFile(sys.argv[1] + '/logs/access/2024-01-01')
user_page = logs.map(lambda l: l.split()).map(lambda f: (f[2], f[5]))
counts = user_page.map(lambda x: (x, 1)).reduceByKey(lambda a, b: a + b) \
    .map(lambda ((u, p), c): (u, (c, p)))
top2 = counts.topByKey(2, reverse=True)
top2.filter(lambda (u, l): len(set(c for c, p in l)) == len(l)) \
    .map(lambda (u, l): '%s %s' % (u, ' '.join('%s:%d' % (p, c) for c, p in l))) \
    .saveAsTextFile(sys.argv[2] + '/top_pages')
for page, n in ctx.makeRDD([p for u, p in user_page.collect()], 4).hot(3):
    print page, n

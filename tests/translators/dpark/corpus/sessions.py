# Sessions per user: groupByKey, sort by time, mergeSplit before writing few files, reduceByKeyToDriver.
import sys
from dpark import DparkContext

ctx = DparkContext()
hits = ctx.textFile(sys.argv[1] + '/logs/access/2024-01-01') \
    .map(lambda l: l.split()) \
    .map(lambda f: (f[2], (f[3][1:], f[5])))
def sessions(events):
    events = sorted(events)
    n, last = 0, None
    for ts, page in events:
        if last is None or ts[11:13] != last[11:13]:
            n += 1
        last = ts
    return n
per_user = hits.groupByKey(numSplits=4).mapValue(sessions)
per_user.mergeSplit(2).map(lambda (u, n): '%s %d' % (u, n)).saveAsTextFile(sys.argv[2] + '/sessions')
pages = hits.map(lambda (u, (ts, p)): (p, 1)).reduceByKeyToDriver(lambda a, b: a + b)
for p in sorted(pages):
    print p, pages[p]
firsts = hits.mapValue(lambda (ts, p): ts).groupByKey().flatMapValue(lambda ts: [min(ts)])
print 'users', firsts.count(), firsts.map(lambda (u, t): t[:10]).uniq().collect()

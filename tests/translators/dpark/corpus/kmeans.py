# k-means on 2-D points: iterations with broadcast centres, collect and driver-side updates.
import sys
from dpark import DparkContext

def closest(p, centers):
    best, bd = 0, float('inf')
    for i, c in enumerate(centers):
        d = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2
        if d < bd:
            best, bd = i, d
    return best

ctx = DparkContext()
points = ctx.textFile(sys.argv[1] + '/points.txt').map(lambda l: tuple(map(float, l.split()))).cache()
centers = [(0.0, 0.0), (10.0, 0.0), (5.0, 10.0)]
for it in xrange(8):
    bc = ctx.broadcast(centers)
    stats = points.map(lambda p: (closest(p, bc.value), (p[0], p[1], 1))) \
        .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1], a[2] + b[2])).collectAsMap()
    centers = [(stats[i][0] / stats[i][2], stats[i][1] / stats[i][2]) for i in sorted(stats)]
ctx.makeRDD(['%.4f %.4f' % c for c in centers], 1).saveAsTextFile(sys.argv[2] + '/centers')
print 'iterations', it + 1

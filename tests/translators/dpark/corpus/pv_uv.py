# Page views and unique visitors per day from the web logs (three days, one gzipped).
import sys
import re
from dpark import DparkContext

LOG = re.compile(r'^(\S+) - (\S+) \[(\d{4}-\d\d-\d\d)T[^\]]*\] "GET (\S+) [^"]*" (\d+) (\d+)')

def parse(line):
    m = LOG.match(line)
    if not m:
        return None
    ip, user, day, page, status, size = m.groups()
    return day, user, page, int(status), int(size)

if __name__ == '__main__':
    dpark = DparkContext()
    root, out = sys.argv[1], sys.argv[2]
    hits = dpark.textFile(root + '/logs/access', ext='.log').union(
        dpark.textFile(root + '/logs/access/2024-01-03/part-0.log.gz')) \
        .map(parse).filter(lambda r: r is not None and r[3] <> 404)
    hits.cache()
    pv = hits.map(lambda r: (r[0], 1)).reduceByKey(lambda a, b: a + b)
    uv = hits.map(lambda r: (r[0], r[1])).uniq().mapValue(lambda u: 1).reduceByKey(lambda a, b: a + b)
    report = pv.join(uv).map(lambda (day, (p, u)): (day, p, u, round(float(p) / u, 3)))
    report.saveAsCSVFile(out + '/pv_uv')
    bytes_by_page = hits.map(lambda r: (r[2], r[4])).reduceByKey(lambda a, b: a + b)
    for page, size in sorted(bytes_by_page.collect()):
        print '%-12s %10d' % (page, size)

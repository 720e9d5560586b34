# One output folder per day and status class (saveAsTextFileByKey), as downstream jobs expect.
import sys

from dpark import DparkContext

ctx = DparkContext()
logs = ctx.textFile(sys.argv[1] + '/logs/access', ext='log')
keyed = logs.map(lambda l: l.split()) \
    .map(lambda f: ('%s_%sxx' % (f[3][1:11], f[7][0]), '%s %s' % (f[2], f[5])))
keyed.saveAsTextFileByKey(sys.argv[2] + '/by_day')

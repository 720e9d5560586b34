#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Word count over a day of access logs: the hello world of every DPark platform.
import sys
from dpark import DparkContext

ctx = DparkContext('mesos')
src, out = sys.argv[1], sys.argv[2]

lines = ctx.textFile(src + '/logs/access/2024-01-01', splitSize=16 << 20)
words = lines.flatMap(lambda line: line.split()) \
             .map(lambda w: (w, 1)) \
             .reduceByKey(lambda a, b: a + b, numSplits=4)
words.map(lambda (w, c): '%s\t%d' % (w, c)).saveAsTextFile(out + '/wordcount')

top = words.sort(lambda (w, c): (-c, w)).take(5)
for w, c in top:
    print w, c
print 'distinct words:', words.count()

# Accumulators of numbers, lists and sets (DPark's listAcc/setAcc parameters).
import sys
from dpark import DparkContext
from dpark.accumulator import listAcc, setAcc

ctx = DparkContext()
errors = ctx.accumulator(0)
samples = ctx.accumulator([], listAcc)
statuses = ctx.accumulator(set(), setAcc)

def check(line):
    f = line.split()
    statuses.add(set([f[7]]))
    if f[7] == '500':
        errors.add(1)
        if f[2] == 'u7':
            samples.add([f[5]])
    return f[7]

ctx.textFile(sys.argv[1] + '/logs/access/2024-01-02').map(check).count()
print 'errors', errors.value
print 'statuses', ' '.join(sorted(statuses.value))
print 'u7 pages', ' '.join(sorted(samples.value))

# A helper module: it never imports dpark and receives the context from the job that calls it.
def load_orders(ctx, root):
    return ctx.textFile(root + '/orders.tsv') \
        .map(lambda l: l.split('\t')) \
        .filter(lambda f: len(f) == 4) \
        .map(lambda f: (f[1], float(f[2])))

def spend_per_user(orders):
    return orders.reduceByKey(lambda a, b: a + b).mapValue(lambda s: '%.2f' % s)

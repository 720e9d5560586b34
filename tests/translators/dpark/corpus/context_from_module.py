# The context is made here and handed to a helper module that never imports dpark.
import sys
import dpark
import etl_lib

dpark = dpark.DparkContext()
orders = etl_lib.load_orders(dpark, sys.argv[1])
spend = etl_lib.spend_per_user(orders)
users = dpark.csvFile(sys.argv[1] + '/users.csv').map(lambda r: (r[0], r[2]))
spend.join(users).map(lambda (u, (s, city)): '%s\t%s\t%s' % (u, city, s)).saveAsTextFile(sys.argv[2] + '/spend')
print 'users with orders', spend.count()

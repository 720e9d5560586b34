"""Real servers for tests, the demo and benchmarks, started on 127.0.0.1 and stopped by PID.

``seaweedfs`` (S3), ``juicefs`` (a volume, its S3 gateway and FUSE mount), and ``webhdfs``: a
protocol-level WebHDFS server over a local folder (a stand-in for HDFS, which cannot run here).
"""

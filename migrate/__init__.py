"""migrate: move a legacy big-data platform to S3/JuiceFS, Parquet/Iceberg and Spark, with proof."""

__version__ = "0.1.0"

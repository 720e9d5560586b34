"""Target writers: Parquet files through ``Storage.writer`` (atomic), used by both Parquet and Iceberg targets."""

from migrate.writers.parquet import ParquetPartWriter, PartResult, WriterOptions

__all__ = ["ParquetPartWriter", "PartResult", "WriterOptions"]

"""One SparkSession for every Spark test of the translators (start-up costs 5-10 s), with Hive support so
that original HiveQL runs in Spark's Hive compatibility mode, in a temp dir (metastore_db, derby.log and
the warehouse never land in the working tree)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("pyspark is not installed (pip install 'migrate[spark]')")
    from migrate.translators.hive.spark_check import local_spark_session

    work = tmp_path_factory.mktemp("spark")
    old = os.getcwd()
    os.chdir(work)  # Hive support writes derby.log and metastore_db/ into the working directory
    session = local_spark_session("migrate-translator-tests", hive=True)
    try:
        yield session
    finally:
        session.stop()
        os.chdir(old)

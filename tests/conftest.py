"""Shared fixtures. Real servers are session-scoped and live in tests/fixtures/*."""

pytest_plugins = [
    "tests.fixtures.stores",
    "tests.fixtures.prefect",
    "tests.fixtures.webhdfs",
    "tests.fixtures.s3",
    "tests.fixtures.juicefs",
]

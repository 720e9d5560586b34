"""Shared fixtures. Real servers are session-scoped and live in tests/fixtures/*."""

pytest_plugins = [
    "tests.fixtures.processes",  # first: its session check runs after every server has stopped
    "tests.fixtures.stores",
    "tests.fixtures.prefect",
    "tests.fixtures.webhdfs",
    "tests.fixtures.s3",
    "tests.fixtures.juicefs",
]

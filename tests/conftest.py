"""Shared fixtures. Real servers are session-scoped and live in tests/fixtures/*."""

pytest_plugins = [
    "tests.fixtures.stores",
]

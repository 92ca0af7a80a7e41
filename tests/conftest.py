"""Shared fixtures live in tests/fixtures/, one module per real component."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.spark",
    "tests.fixtures.dbt",
    "tests.fixtures.localstack",
    "tests.fixtures.pipeline",
]

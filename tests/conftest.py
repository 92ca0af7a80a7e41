"""Shared fixtures live in tests/fixtures/, one module per real component.

Tiers are derived here from what a test touches, never typed by hand: a test that uses
(directly or through other fixtures) one of the fixtures below gets that component's marker,
and its tier is the heaviest of them (docs/tests.md):
- `quick`: no local service; runs anywhere in seconds (`make test-quick`);
- `services`: PostgreSQL, Spark or LocalStack, started on demand (`make test-services`);
- `lanes`: the end-to-end scenario lanes, several deployed pipelines at once (`make test-lanes`).
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.spark",
    "tests.fixtures.dbt",
    "tests.fixtures.localstack",
    "tests.fixtures.pipeline",
]

# The fixture through which a test reaches each component (every other fixture of that
# component depends on it). `job_process` stands for Spark started in a child process,
# `package_index` for downloads from the package index.
COMPONENT_FIXTURES = {
    "postgres": {"pg_info"},
    "spark": {"spark", "job_process"},
    "localstack": {"localstack", "private_localstack"},
    "network": {"package_index"},
    "lanes": {"pipeline_lanes"},
}
SERVICES = ("postgres", "spark", "localstack", "network")


def tier_of(components: set[str]) -> str:
    if "lanes" in components:
        return "lanes"
    return "services" if components & set(SERVICES) else "quick"


# Heaviest tier first: the lanes module is one long unit of work for one xdist worker, so
# it starts at once while the other worker takes the rest (longest job first; the Makefile
# turns off xdist's own reorder by test count, which put it behind a dozen modules).
TIER_ORDER = {"lanes": 0, "services": 1, "quick": 2}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tiers = {}
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        components = {name for name, fixtures in COMPONENT_FIXTURES.items() if used & fixtures}
        for component in sorted(components):
            item.add_marker(component)
        tiers[item.nodeid] = tier_of(components)
        item.add_marker(tiers[item.nodeid])
    # Stable: within a tier, collection order (a module's tests stay together).
    items.sort(key=lambda item: TIER_ORDER[tiers[item.nodeid]])

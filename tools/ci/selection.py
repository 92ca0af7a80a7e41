"""Which test tiers a change needs, from the paths it touches.

The quick and services tiers run on every pull request. The lanes (several pipelines
deployed in LocalStack, about ten minutes on two cores) run when a change touches what they
exercise: the orchestration, the templates, the emulator, the job, dbt, the deploy and e2e
tools, the lanes themselves, or the toolchain. A change to docs only never needs them. The
full suite runs anyway before every deploy of main and nightly (.github/workflows/), so a
rule that misses a path delays a failure, it never ships one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

ALWAYS = ("quick", "services")
# Path prefixes whose change can alter what the lanes observe.
LANE_PREFIXES = (
    "stepfunctions/",
    "cloudformation/",
    "localstack/",
    "glue/",
    "dbt_project/",
    "data/sample/",
    "tools/deploy/",
    "tools/e2e/",
    "tools/parity/",
    "tools/backfill/",
    "tools/local/",
    "tests/e2e/",
    "tests/fixtures/",
    "tests/conftest.py",
    "requirements",
    "pyproject.toml",
    "Makefile",
    "make/",
    ".ci/",
)


def needs_lanes(path: str) -> bool:
    return path.startswith(LANE_PREFIXES)


def tiers_for(paths: Iterable[str]) -> list[str]:
    """The tiers a change touching `paths` must run, lightest first."""
    return [*ALWAYS, *(["lanes"] if any(needs_lanes(p) for p in paths) else [])]


def changed_paths(base: str, head: str = "HEAD") -> list[str]:
    """Paths changed between the merge base of `base` and `head` (git must have both)."""
    out = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...{head}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in out.stdout.splitlines() if line]

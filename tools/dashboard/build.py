"""Build the local dashboard page: the definition's datasets read from the local warehouse
(as its read-only `reader` login, the QuickSight data source's user on AWS) and from the run
summaries, rendered into one offline HTML file.

The library behind `make dashboard` (tools/dashboard/cli.py), the demo's last step and the
browser test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.dashboard import definition as definition_mod
from tools.dashboard import page, sources
from tools.deploy.config import load_env

REPO_ROOT = definition_mod.REPO_ROOT
DEFAULT_OUTPUT = REPO_ROOT / "build" / "dashboard" / "index.html"
DEFAULT_RUNS_ROOT = REPO_ROOT / "var" / "output"  # where `make run` / `make load-sample` write
MARTS_SCHEMA = "analytics_marts"  # dbt's target schema `analytics` + the marts' `marts`
# Local runs are priced as the dev environment would bill them (its Glue job's size).
PRICED_AS_ENV = "dev"


@dataclass(frozen=True)
class Built:
    path: Path
    rows: dict[str, list[dict]]  # dataset id -> rows on the page


def build(
    definition: definition_mod.Definition,
    connect: Callable[[], Any],
    summaries: list[sources.Summary],
    output: Path = DEFAULT_OUTPUT,
    *,
    source_note: str,
    sizing: sources.JobSizing | None = None,
    marts_schema: str = MARTS_SCHEMA,
) -> Built:
    sizing = sizing or sources.JobSizing.of_env(load_env(PRICED_AS_ENV).parameters)
    rows = sources.dataset_rows(definition, connect, summaries, sizing, marts_schema)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page.render(definition, rows, source_note), encoding="utf-8")
    return Built(output, rows)


def local_reader_connect() -> Callable[[], Any]:
    """Connections to the local warehouse as the dashboards' read-only login."""
    import psycopg

    from tools.local import postgres as localpg

    url = localpg.conninfo().login("reader").url
    return lambda: psycopg.connect(url, connect_timeout=5)


def build_from_s3(s3: Any, bucket: str, output: Path = DEFAULT_OUTPUT) -> Built:
    """The page for the run summaries in a bucket (the demo's LocalStack landing bucket)."""
    return build(
        definition_mod.load(),
        local_reader_connect(),
        sources.s3_summaries(s3, bucket),
        output,
        source_note=f"the local warehouse and the run summaries in s3://{bucket}",
    )


def demo_step(s3: Any, bucket: str, say: Callable[[str], None]) -> None:
    """The end of `make demo`: build the page and say where it is (or why it is not)."""
    try:
        built = build_from_s3(s3, bucket)
    except (definition_mod.DefinitionError, sources.SourceError) as error:
        say(f"  dashboard not built: {error}")
        return
    shown = (
        built.path.relative_to(REPO_ROOT) if built.path.is_relative_to(REPO_ROOT) else built.path
    )
    days = sorted({row["flight_date"] for row in built.rows["latest_runs"]})
    say(f"  {shown} (one offline page: open it in a browser; `make dashboard` rebuilds it)")
    say(f"  flight days on its pipeline-health page: {', '.join(days) or 'none'}")

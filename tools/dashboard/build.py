"""Build the local dashboard page: the definition's datasets read from the local warehouse's
marts (as its read-only `reader` login, the QuickSight data source's user on AWS), rendered
into one offline HTML file.

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

REPO_ROOT = definition_mod.REPO_ROOT
DEFAULT_OUTPUT = REPO_ROOT / "build" / "dashboard" / "index.html"
MARTS_SCHEMA = "analytics_marts"  # dbt's target schema `analytics` + the marts' `marts`


@dataclass(frozen=True)
class Built:
    path: Path
    rows: dict[str, list[dict]]  # dataset id -> rows on the page


def build(
    definition: definition_mod.Definition,
    connect: Callable[[], Any],
    output: Path = DEFAULT_OUTPUT,
    *,
    source_note: str,
    marts_schema: str = MARTS_SCHEMA,
) -> Built:
    rows = sources.dataset_rows(definition, connect, marts_schema)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page.render(definition, rows, source_note), encoding="utf-8")
    return Built(output, rows)


def local_reader_connect() -> Callable[[], Any]:
    """Connections to the local warehouse as the dashboards' read-only login."""
    import psycopg

    from tools.local import postgres as localpg

    url = localpg.conninfo().login("reader").url
    return lambda: psycopg.connect(url, connect_timeout=5)


def demo_step(say: Callable[[str], None]) -> None:
    """The end of `make demo`: build the page and say where it is (or why it is not)."""
    try:
        built = build(
            definition_mod.load(), local_reader_connect(), source_note="the local warehouse"
        )
    except (definition_mod.DefinitionError, sources.SourceError) as error:
        say(f"  dashboard not built: {error}")
        return
    shown = (
        built.path.relative_to(REPO_ROOT) if built.path.is_relative_to(REPO_ROOT) else built.path
    )
    days = sorted({row["flight_date"] for row in built.rows["latest_runs"]})
    say(f"  {shown} (one offline page: open it in a browser; `make dashboard` rebuilds it)")
    say(f"  flight days on its pipeline-health page: {', '.join(days) or 'none'}")

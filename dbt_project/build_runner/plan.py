"""What one build covers (docs/cost.md, "What a day's dbt build runs").

- DBT_SCOPE=airports (an airports upload): the whole project, no date;
- TRIGGER_KEY=backfill (a backfill's one final build): the whole project for its dates;
- a day: the flights source and everything downstream of it, for the date (the day's
  incremental marts, their views and tests), the run records and day checks
  (staging.load_runs, staging.day_checks: the pipeline-health marts). The airports branch
  only changes with the airports file, whose upload builds it. Until every model exists (a
  fresh warehouse) a day builds the whole project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

DAY_SELECTION = (
    "source:flightline.flights+ source:flightline.load_runs+ source:flightline.day_checks+"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Scope = Literal["airports", "backfill", "day"]


class BuildRequestError(ValueError):
    """The build's variables do not say what to build."""


@dataclass(frozen=True)
class BuildRequest:
    target: str
    scope: Scope
    dates: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> BuildRequest:
        """The request the state machine's StartBuild variables make: DBT_TARGET, DBT_SCOPE,
        TRIGGER_KEY and FLIGHT_DATE (comma-separated YYYY-MM-DD)."""
        target = env.get("DBT_TARGET", "")
        if not target:
            raise BuildRequestError("DBT_TARGET is not set")
        if env.get("DBT_SCOPE") == "airports":
            return cls(target, "airports")
        raw = env.get("FLIGHT_DATE", "")
        dates = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not dates:
            raise BuildRequestError("FLIGHT_DATE is not set")
        malformed = [d for d in dates if not _DATE.fullmatch(d)]
        if malformed:
            raise BuildRequestError(f"FLIGHT_DATE {raw!r}: not a YYYY-MM-DD date: {malformed[0]}")
        return cls(target, "backfill" if env.get("TRIGGER_KEY") == "backfill" else "day", dates)

    @property
    def checks_unbuilt(self) -> bool:
        """Only a day's build narrows its selection, so only it asks what is missing."""
        return self.scope == "day"

    def vars_args(self) -> list[str]:
        if not self.dates:
            return []
        return ["--vars", json.dumps({"flight_dates": ",".join(self.dates)})]

    def build_args(self, unbuilt: Sequence[str] = ()) -> list[str]:
        """`dbt build`'s arguments, given the models and snapshots the warehouse lacks."""
        args = ["build", *self.vars_args()]
        if self.scope == "day" and not unbuilt:
            args += ["--select", DAY_SELECTION]
        return args

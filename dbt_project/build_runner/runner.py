"""One build: the parse, the unbuilt check a day needs, then `dbt build`."""

from __future__ import annotations

from importlib.metadata import distributions

from .plan import BuildRequest
from .session import DbtSession


def installed_dbt() -> list[str]:
    """The installed dbt packages, for the build's log (`dbt --version` asks the package
    index for news: a timeout with the NAT off)."""
    return sorted(f"{d.name} {d.version}" for d in distributions() if d.name.startswith("dbt"))


def run_build(request: BuildRequest, session: DbtSession) -> list[str]:
    """Build what `request` covers; returns the models the warehouse lacked (a day's build
    then covers the whole project). Raises DbtCommandError when a dbt command fails."""
    session.parse()
    unbuilt = session.unbuilt_relations() if request.checks_unbuilt else []
    if unbuilt:
        print(f"not built yet: {' '.join(unbuilt)}: the whole project", flush=True)
    session.run(request.build_args(unbuilt))
    return unbuilt

"""`python -m build_runner [dbt flags]`: the build the environment asks for
(build_runner/plan.py); the flags go to every dbt command (the project's own folder needs none).
Exit codes: 0 built, 1 a dbt command failed (dbt logged why), 2 the variables are wrong."""

from __future__ import annotations

import os
import sys

from .plan import BuildRequest, BuildRequestError
from .runner import installed_dbt, run_build
from .session import DbtCommandError, DbtSession


def main(argv: list[str] | None = None, session_for=DbtSession) -> int:
    try:
        request = BuildRequest.from_environment(os.environ)
    except BuildRequestError as error:
        print(error, file=sys.stderr)
        return 2
    print(*installed_dbt(), sep="\n", flush=True)
    try:
        run_build(request, session_for(request.target, sys.argv[1:] if argv is None else argv))
    except DbtCommandError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

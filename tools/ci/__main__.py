"""`python -m tools.ci tiers --base REF`: print the tiers a change needs, one `name=true|false`
line each (the format of $GITHUB_OUTPUT)."""

from __future__ import annotations

import argparse
import sys

from tools.ci.selection import changed_paths, tiers_for

TIERS = ("quick", "services", "lanes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    tiers = commands.add_parser("tiers", help="the test tiers the change since --base needs")
    tiers.add_argument("--base", required=True, help="the branch the change goes into")
    args = parser.parse_args(argv)
    needed = tiers_for(changed_paths(args.base))
    for tier in TIERS:
        print(f"{tier}={'true' if tier in needed else 'false'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

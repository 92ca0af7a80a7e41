"""`make cost ENV=dev [COST_ARGS=...]`: the modelled monthly cost of an environment
(tools.cost.model). `--set Param=Value` and `--header-changes-per-month N` (one crawl each,
compressed files or not) model a what-if;
`--notice FILE` takes the usage a run's success notice measured instead of the assumptions."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from tools.cost.model import LOAD, from_notice, report, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cost", description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE")
    parser.add_argument(
        "--header-changes-per-month", type=float, default=LOAD.header_changes_per_month
    )
    parser.add_argument(
        "--notice", type=Path, help="a run's success notice (JSON): its measured usage"
    )
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    load = dataclasses.replace(LOAD, header_changes_per_month=args.header_changes_per_month)
    if args.notice:
        try:
            notice = json.loads(args.notice.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            parser.error(f"{args.notice}: not a readable notice: {error}")
        load = from_notice(notice, load)
    print(f"Modelled monthly cost of {args.env} (USD, us-east-1 list prices, tools/cost/prices.py)")
    print(table(report(args.env, load, overrides)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make cost ENV=dev [COST_ARGS=...]`: the modelled monthly cost of an environment
(tools.cost.model). `--set Param=Value` and `--crawls-per-month N` model a what-if."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from tools.cost.model import LOAD, report, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cost", description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE")
    parser.add_argument("--crawls-per-month", type=float, default=LOAD.crawls_per_month)
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    load = dataclasses.replace(LOAD, crawls_per_month=args.crawls_per_month)
    print(f"Modelled monthly cost of {args.env} (USD, us-east-1 list prices, tools/cost/prices.py)")
    print(table(report(args.env, load, overrides)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

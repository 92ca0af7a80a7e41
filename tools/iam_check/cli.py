"""Command line: python -m tools.iam_check [--env dev] [--only ROLE]."""

from __future__ import annotations

import argparse
import sys

from tools.deploy.config import ConfigError, load_env
from tools.iam_check import check
from tools.iam_check.evaluator import EvaluatorError
from tools.iam_check.resolve import ResolveError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.iam_check", description=__doc__)
    parser.add_argument("--env", default="dev", help="parameter file giving representative values")
    parser.add_argument("--failures-only", action="store_true", help="print only failing rows")
    args = parser.parse_args(argv)
    try:
        reports = check.run_check(load_env(args.env))
    except (ConfigError, EvaluatorError, ResolveError, KeyError, ValueError) as error:
        print(f"check-iam: {error}", file=sys.stderr)
        return 2
    failed = 0
    for report in reports:
        if args.failures_only:
            report.rows = report.failures
        print(check.format_report(report))
        print()
        failed += len(report.failures)
    if failed:
        print(f"check-iam: {failed} failing row(s)", file=sys.stderr)
        return 1
    print("check-iam: every principal can do its job and no more than the rules allow")
    return 0

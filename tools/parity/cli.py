"""`make parity [LOCAL=var/parity/local-...] [RECORDED=var/parity/sandbox-...]`: check a
recording of the emulated calls against botocore's API model and, with --recorded, against a
recording of the same calls on AWS (what local lacks, adds, or types differently).
`example DIR` rewrites the synthetic example recording (tests/fixtures/parity_example/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.parity import compare, record
from tools.parity.calls import RecordingError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.parity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a local recording")
    check.add_argument("--local", type=Path, help="default: the newest var/parity/local-*")
    check.add_argument("--recorded", type=Path, help="a recording made on AWS")
    example = commands.add_parser("example", help="write the synthetic example recording")
    example.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "example":
            for path in record.write_example(args.directory):
                print(path)
            return 0
        local = args.local or record.latest("local")
        reports = compare.compare_dirs(local, args.recorded)
    except (RecordingError, record.RecordError) as error:
        print(f"parity: {error}", file=sys.stderr)
        return 1
    print(f"parity: {local}" + (f" against {args.recorded}" if args.recorded else ""))
    for report in reports:
        print("\n".join(report.lines()))
    failed = [r.name for r in reports if r.failed]
    print(f"parity: {len(reports) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0

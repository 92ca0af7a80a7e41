"""`python -m tools.dashboard build|check|quicksight`: the dashboard from dashboards/*.yaml.

  build       the offline page against the local warehouse (make dashboard)
  check       validate the definition only
  quicksight  write the QuickSight CloudFormation template generated from the definition

Only parses arguments and reports: the work is in build.py, definition.py, quicksight.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.dashboard import build as build_mod
from tools.dashboard import definition as definition_mod
from tools.dashboard import sources


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "check", "quicksight"):
        command = commands.add_parser(name)
        command.add_argument("--definition", type=Path, default=definition_mod.DEFAULT_DEFINITION)
        if name == "build":
            command.add_argument("--output", type=Path, default=build_mod.DEFAULT_OUTPUT)
        if name == "quicksight":
            command.add_argument("--output", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        definition = definition_mod.load(args.definition)
        if args.command == "check":
            print(f"{args.definition}: valid ({len(definition.visuals())} visuals)")
            return 0
        if args.command == "quicksight":
            from tools.dashboard import quicksight

            args.output.write_text(quicksight.template_text(definition), encoding="utf-8")
            print(f"wrote {args.output}")
            return 0
        built = build_mod.build(
            definition,
            build_mod.local_reader_connect(),
            args.output,
            source_note="the local warehouse",
        )
    except (definition_mod.DefinitionError, sources.SourceError) as error:
        print(f"dashboard: {error}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{k} {len(v)}" for k, v in built.rows.items())
    print(f"dashboard: {built.path} (rows: {counts})")
    return 0

"""The generator's command line: `python -m tools.datagen` (see the package docstring)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from pathlib import Path

from .days import DEFAULT_AIRPORTS, generate
from .defects import BAD_CLASSES


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tools.datagen",
        description="Generate seeded, realistic daily flight CSVs in the landing layout.",
    )
    p.add_argument("--out", type=Path, required=True, help="output root directory")
    p.add_argument(
        "--rows", type=_positive_int, required=True, help="data rows PER DAY (not in total)"
    )
    p.add_argument("--days", type=_positive_int, default=1, help="number of days (default 1)")
    p.add_argument(
        "--start-date",
        type=dt.date.fromisoformat,
        default=dt.date(2024, 1, 1),
        help="first day, YYYY-MM-DD (default 2024-01-01)",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--bad-rate",
        type=_rate,
        default=0.0,
        help="share of rows made bad, spread evenly over the bad classes "
        f"({', '.join(BAD_CLASSES)}); default 0",
    )
    p.add_argument("--gzip", action="store_true", help="write .csv.gz instead of .csv")
    p.add_argument(
        "--files-per-day",
        type=_positive_int,
        default=1,
        help="split each day into K files part-NN.csv (default 1: flights.csv)",
    )
    p.add_argument(
        "--airports",
        type=Path,
        default=DEFAULT_AIRPORTS,
        help="airports file to draw ids from and copy to OUT/dim/ (default: the committed sample)",
    )
    p.add_argument(
        "--with-tail-number",
        action="store_true",
        help="also write the contract's optional TailNumber column (a US registration per "
        "flight, a few empty; with --bad-rate, malformed ones among the bad rows)",
    )
    args = p.parse_args(argv)
    manifests = generate(
        args.out,
        args.rows,
        args.days,
        args.start_date,
        args.seed,
        args.bad_rate,
        args.gzip,
        args.files_per_day,
        args.airports,
        args.with_tail_number,
    )
    for m in manifests:
        print(
            f"{m['date']}: {m['rows']} rows, {m['rejected_total']} to reject, "
            f"{m['unknown_airport_rows']} unknown-airport, {m['cancelled']} cancelled, "
            f"{m['diverted']} diverted",
            file=sys.stderr,
        )
    return 0

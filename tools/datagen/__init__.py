"""Seeded generator of daily flight files in the landing layout.

    python -m tools.datagen --out DIR --rows N --days D --start-date 2024-01-01 --seed 42 \\
        [--bad-rate 0.03] [--gzip] [--files-per-day K] [--with-tail-number]

Writes, for each day:

- ``DIR/dim/airports.csv``: a byte-for-byte copy of the airports file (``--airports``);
- ``DIR/daily_flights/date=YYYY-MM-DD/flights.csv`` (``part-NN.csv`` when K > 1, ``.csv.gz``
  with ``--gzip``), with the input contract's header (flightline_glue.contract);
- ``DIR/_expected/date=YYYY-MM-DD/counts.json``: the exact counts of what was written (rows,
  rejects by defect and by the job's reason, cancelled, diverted, unknown-airport rows), so
  tests assert exact numbers.

The same seed and arguments give byte-identical files. Each day has its own random stream
(derived from the seed and the date), so day D's content does not depend on --days.
Rows are streamed in batches: memory stays flat whatever --rows is.

Modules: `traffic` (what a clean row looks like), `defects` (one function per kind of bad
row, with the contract's reject reason it gets), `days` (files and manifests), `cli`.
"""

from .cli import main
from .days import (
    BATCH,
    DEFAULT_AIRPORTS,
    HEADER,
    HEADER_WITH_TAIL_NUMBER,
    DayCounts,
    generate,
    generate_day,
    generate_rows,
)
from .defects import (
    BAD_CLASSES,
    DEFECTS,
    DEFECTS_WITH_TAIL_NUMBER,
    JOB_REASONS,
    REJECT_CLASSES,
    Defect,
)
from .traffic import CARRIER_WEIGHTS, read_airport_ids

__all__ = [
    "BAD_CLASSES",
    "BATCH",
    "CARRIER_WEIGHTS",
    "DEFAULT_AIRPORTS",
    "DEFECTS",
    "DEFECTS_WITH_TAIL_NUMBER",
    "HEADER",
    "HEADER_WITH_TAIL_NUMBER",
    "JOB_REASONS",
    "REJECT_CLASSES",
    "DayCounts",
    "Defect",
    "generate",
    "generate_day",
    "generate_rows",
    "main",
    "read_airport_ids",
]

"""The output contract: where a run writes under the output root (the landing bucket on AWS).

One owner for these keys: the job writes them, the state machine reads the run summary
(tests/infra/test_asl_layout.py checks its paths against this module), the end-to-end
follower finds summaries with them, and the bucket's expiry rules and IAM grants name the
top-level prefixes. Plain strings, no Spark: tools import it without starting anything.
"""

from __future__ import annotations

import datetime as dt

STAGED_PREFIX = "staged/"  # the loader's temporary Parquet/CSV (expires)
REJECTS_PREFIX = "rejects/"  # quarantined rows, only for runs that have some (expires)
RUNS_PREFIX = "runs/"  # one run summary per run, kept
SUMMARY_NAME = "summary.json"
AIRPORTS_REJECTS_NAME = "airports-rejects.csv"  # beside a run's flight rejects
# In place of a flight date for a run of the airports upload alone (airports_job).
AIRPORTS_PARTITION = "airports"


def date_partition(flight_date: dt.date | str) -> str:
    day = flight_date if isinstance(flight_date, str) else flight_date.isoformat()
    return f"date={day}"


def run_partition(run_id: str, flight_date: dt.date | str | None = None) -> str:
    """`date=<day>/run_id=<run>` for a day's run, `airports/run_id=<run>` for an airports run."""
    part = AIRPORTS_PARTITION if flight_date is None else date_partition(flight_date)
    return f"{part}/run_id={run_id}"


def summary_key(run_id: str, flight_date: dt.date | str | None = None) -> str:
    return f"{RUNS_PREFIX}{run_partition(run_id, flight_date)}/{SUMMARY_NAME}"


def summaries_prefix(flight_date: dt.date | str) -> str:
    """Every run summary of a day lies under this key prefix."""
    return f"{RUNS_PREFIX}{date_partition(flight_date)}/"


def run_keys(run_id: str, flight_date: dt.date | None = None) -> dict[str, str]:
    """What one run writes, relative to the output root, by name (the run summary's
    `outputs`). A day's run also stages its flights and, for file names Spark would not read
    literally, plain-named copies of its inputs; an airports run stages the airports only."""
    part = run_partition(run_id, flight_date)
    keys = {
        "rejects": f"{REJECTS_PREFIX}{part}",
        "staged_airports": f"{STAGED_PREFIX}{part}/airports",
        "summary": summary_key(run_id, flight_date),
    }
    if flight_date is not None:
        keys["staged_flights"] = f"{STAGED_PREFIX}{part}/flights"
        keys["inputs"] = f"{STAGED_PREFIX}{part}/inputs"
    return keys

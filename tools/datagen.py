"""Seeded generator of daily flight files in the landing layout (stdlib only).

    python -m tools.datagen --out DIR --rows N --days D --start-date 2024-01-01 --seed 42 \\
        [--bad-rate 0.03] [--gzip] [--files-per-day K]

Writes, for each day:

- ``DIR/dim/airports.csv``: a byte-for-byte copy of the airports file (``--airports``);
- ``DIR/daily_flights/date=YYYY-MM-DD/flights.csv`` (``part-NN.csv`` when K > 1, ``.csv.gz``
  with ``--gzip``), header ``Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay``;
- ``DIR/_expected/date=YYYY-MM-DD/counts.json``: the exact counts of what was written (rows,
  rejects by class, cancelled, diverted, unknown-airport rows), so tests assert exact numbers.

The same seed and arguments give byte-identical files. Each day has its own random stream
(derived from the seed and the date), so day D's content does not depend on --days.
Rows are streamed in batches: memory stays flat whatever --rows is.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gzip
import io
import json
import math
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
DEFAULT_AIRPORTS = (
    Path(__file__).resolve().parent.parent / "data" / "sample" / "dim" / "airports.csv"
)

# The contract's accepted delay range (minutes); values outside are rejected by the job.
DELAY_MIN, DELAY_MAX = -1440, 2880

# Reject classes: rows the job must reject. The value is the manifest key.
REJECT_CLASSES = (
    "unparseable_number",  # a delay or airport id that is not an integer (`abc`, `12x`, `N/A`)
    "empty_carrier",  # Carrier is empty
    "missing_airport_id",  # OriginAirportID or DestAirportID is empty
    "delay_out_of_range",  # DepDelay or ArrDelay outside DELAY_MIN..DELAY_MAX
    "wrong_column_count",  # one field too many or one too few
)
# Kept (not rejected) but flagged by the job: a valid integer id absent from the airports file.
UNKNOWN_AIRPORT = "unknown_airport"
BAD_CLASSES = (*REJECT_CLASSES, UNKNOWN_AIRPORT)

# The job's reject reasons (glue/flightline_glue/contract.py, RejectReason) that each spoiled
# field produces. Every bad row has exactly one defect, so its reason is unambiguous.
_FIELD_NAMES = ("carrier", "origin_airport_id", "dest_airport_id", "dep_delay", "arr_delay")
JOB_REASONS = (
    "wrong_column_count",
    "empty_carrier",
    "missing_origin_airport_id",
    "invalid_origin_airport_id",
    "missing_dest_airport_id",
    "invalid_dest_airport_id",
    "invalid_dep_delay",
    "dep_delay_out_of_range",
    "invalid_arr_delay",
    "arr_delay_out_of_range",
)

CANCELLED_RATE = 0.015  # both delays empty
DIVERTED_RATE = 0.003  # departed (DepDelay set), ArrDelay empty

# US carriers weighted roughly by their share of domestic departures (BTS on-time reporting
# carriers, 2023); regional carriers (OO, YX, MQ, 9E, OH) fly under mainline brands.
CARRIER_WEIGHTS = {
    "WN": 17.0,
    "AA": 12.0,
    "DL": 12.0,
    "OO": 10.0,
    "UA": 9.5,
    "YX": 4.5,
    "MQ": 4.0,
    "B6": 3.5,
    "9E": 3.5,
    "OH": 3.0,
    "AS": 3.0,
    "NK": 3.0,
    "F9": 2.0,
    "G4": 1.5,
    "HA": 1.0,
}

# Departure weight per BTS airport id: the large hubs dominate, as in the real data. Ids in
# the airports file that are not listed here get DEFAULT_AIRPORT_WEIGHT.
HUB_WEIGHTS = {
    10397: 30,  # ATL
    13930: 26,  # ORD
    11298: 26,  # DFW
    11292: 25,  # DEN
    12892: 18,  # LAX
    11057: 17,  # CLT
    12889: 14,  # LAS
    14107: 14,  # PHX
    12266: 13,  # IAH
    14747: 12,  # SEA
    13204: 12,  # MCO
    14771: 12,  # SFO
    13487: 12,  # MSP
    11433: 12,  # DTW
    11618: 11,  # EWR
    12478: 10,  # JFK
    12953: 11,  # LGA
    10721: 11,  # BOS
    14869: 10,  # SLC
    13303: 8,  # MIA
    14100: 8,  # PHL
    11278: 9,  # DCA
    12264: 6,  # IAD
    10821: 8,  # BWI
    13232: 7,  # MDW
    11697: 7,  # FLL
    15304: 6,  # TPA
    10693: 7,  # BNA
    14679: 6,  # SAN
    10423: 6,  # AUS
    12191: 5,  # HOU
    11259: 5,  # DAL
    14057: 5,  # PDX
    15016: 5,  # STL
    14492: 5,  # RDU
    13198: 4,  # MCI
    12173: 4,  # HNL
    13495: 4,  # MSY
    14831: 4,  # SJC
    13796: 4,  # OAK
    14893: 4,  # SMF
}
DEFAULT_AIRPORT_WEIGHT = 1.5
SMALL_AIRPORT_WEIGHT = 0.3  # remote Alaska/Wyoming fields with a few flights a day
SMALL_AIRPORTS = {10165, 10304, 10754, 10551, 10926, 14543}

UNKNOWN_ID_RANGE = (16000, 16999)  # valid-looking BTS-style ids; those in the dim file are skipped
BATCH = 20_000


@dataclass
class DayCounts:
    """Exact counts for one day, written as the manifest."""

    date: str
    seed: int
    rows: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REJECT_CLASSES, 0))
    by_reason: dict[str, int] = field(default_factory=lambda: dict.fromkeys(JOB_REASONS, 0))
    cancelled: int = 0
    diverted: int = 0
    unknown_airport_rows: int = 0
    unknown_origin_rows: int = 0
    unknown_dest_rows: int = 0
    files: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        rejected_total = sum(self.rejected.values())
        return {
            "date": self.date,
            "seed": self.seed,
            "rows": self.rows,
            "rejected_total": rejected_total,
            "rejected": dict(self.rejected),
            "rejected_by_reason": dict(self.by_reason),
            "valid_rows": self.rows - rejected_total,
            "cancelled": self.cancelled,
            "diverted": self.diverted,
            "unknown_airport_rows": self.unknown_airport_rows,
            "unknown_origin_rows": self.unknown_origin_rows,
            "unknown_dest_rows": self.unknown_dest_rows,
            "files": self.files,
        }


def read_airport_ids(path: Path) -> list[int]:
    """Airport ids of an airports file (header `airport_id,...`), in file order."""
    ids = []
    with path.open(newline="", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            head = line.split(",", 1)[0].strip()
            if head:
                ids.append(int(head))
    return ids


def _cum(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _delay_pair(rng: random.Random) -> tuple[int, int]:
    """(DepDelay, ArrDelay) in minutes, shaped like BTS on-time data.

    ~78% of departures are on time or early (a normal-ish bump around -3); the rest follow an
    exponential tail (mean ~40 min) with rare multi-hour outliers. Arrival = departure plus
    taxi/air-time variation, slightly negative on average (schedule padding).
    """
    u = rng.random()
    if u < 0.78:
        dep = round(rng.gauss(-3.0, 5.0))
    elif u < 0.995:
        dep = 1 + int(rng.expovariate(1 / 40.0))
    else:
        dep = 120 + int(rng.expovariate(1 / 180.0))
    dep = max(-60, min(dep, 1800))
    arr = dep + round(rng.gauss(-5.0, 11.0))
    return dep, max(-90, min(arr, DELAY_MAX))


def _corrupt_number(rng: random.Random, value: str) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return "abc"
    if kind == 1:
        return value + "x"
    return "N/A"


def generate_rows(
    rng: random.Random,
    n: int,
    airport_ids: list[int],
    bad_rate: float,
    counts: DayCounts,
) -> Iterator[list[str]]:
    """Yield batches of CSV lines (without newline) and update counts."""
    carriers = list(CARRIER_WEIGHTS)
    carrier_cum = _cum([CARRIER_WEIGHTS[c] for c in carriers])
    airport_w = [
        SMALL_AIRPORT_WEIGHT
        if a in SMALL_AIRPORTS
        else float(HUB_WEIGHTS.get(a, DEFAULT_AIRPORT_WEIGHT))
        for a in airport_ids
    ]
    airport_cum = _cum(airport_w)
    airport_total = airport_cum[-1]
    known = set(airport_ids)
    unknown_pool = [
        i for i in range(UNKNOWN_ID_RANGE[0], UNKNOWN_ID_RANGE[1] + 1) if i not in known
    ]
    n_airports = len(airport_ids)
    if n_airports < 2:
        raise ValueError("the airports file needs at least two airports")

    rand = rng.random
    rejected = counts.rejected
    by_reason = counts.by_reason
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        cs = rng.choices(carriers, cum_weights=carrier_cum, k=k)
        origins = rng.choices(airport_ids, cum_weights=airport_cum, k=k)
        lines = []
        for i in range(k):
            carrier = cs[i]
            origin = origins[i]
            dest = origin
            while dest == origin:
                dest = airport_ids[bisect.bisect(airport_cum, rand() * airport_total)]
            o, d = str(origin), str(dest)
            u = rand()
            if u < CANCELLED_RATE:
                dep = arr = ""
                status = "cancelled"
            else:
                dv, av = _delay_pair(rng)
                dep = str(dv)
                if u < CANCELLED_RATE + DIVERTED_RATE:
                    arr = ""
                    status = "diverted"
                else:
                    arr = str(av)
                    status = "ok"

            if bad_rate > 0 and rand() < bad_rate:
                cls = BAD_CLASSES[rng.randrange(len(BAD_CLASSES))]
                fields = [carrier, o, d, dep, arr]
                if cls == "unparseable_number":
                    # a delay if there is one to spoil, else an airport id
                    slots = [j for j in (1, 2, 3, 4) if fields[j] != ""]
                    j = slots[rng.randrange(len(slots))]
                    fields[j] = _corrupt_number(rng, fields[j])
                    reason = f"invalid_{_FIELD_NAMES[j]}"
                elif cls == "empty_carrier":
                    fields[0] = ""
                    reason = "empty_carrier"
                elif cls == "missing_airport_id":
                    j = 1 + rng.randrange(2)
                    fields[j] = ""
                    reason = f"missing_{_FIELD_NAMES[j]}"
                elif cls == "delay_out_of_range":
                    if rng.random() < 0.5:
                        big = rng.randint(DELAY_MAX + 1, 9999)
                    else:
                        big = rng.randint(-9999, DELAY_MIN - 1)
                    # spoil a delay that is present (DepDelay on a cancelled row)
                    slots = [j for j in (3, 4) if fields[j] != ""] or [3]
                    j = slots[rng.randrange(len(slots))]
                    fields[j] = str(big)
                    reason = f"{_FIELD_NAMES[j]}_out_of_range"
                elif cls == "wrong_column_count":
                    if rng.random() < 0.5:
                        fields.append(str(rng.randint(0, 99)))
                    else:
                        fields.pop()
                    reason = "wrong_column_count"
                else:  # unknown airport: valid row, kept by the job and flagged
                    uid = str(unknown_pool[rng.randrange(len(unknown_pool))])
                    if rng.random() < 0.5:
                        fields[1] = uid
                        counts.unknown_origin_rows += 1
                    else:
                        fields[2] = uid
                        counts.unknown_dest_rows += 1
                    counts.unknown_airport_rows += 1
                    if status == "cancelled":
                        counts.cancelled += 1
                    elif status == "diverted":
                        counts.diverted += 1
                    lines.append(",".join(fields))
                    continue
                rejected[cls] += 1
                by_reason[reason] += 1
                lines.append(",".join(fields))
                continue

            if status == "cancelled":
                counts.cancelled += 1
            elif status == "diverted":
                counts.diverted += 1
            lines.append(f"{carrier},{o},{d},{dep},{arr}")
        done += k
        counts.rows += k
        yield lines


def _open_out(path: Path, gz: bool):
    if gz:
        raw = path.open("wb")
        # mtime=0 and no file name in the header: byte-identical output for a seed
        gzf = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        return raw, io.TextIOWrapper(gzf, encoding="utf-8", newline="")
    fh = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
    return None, fh


def generate_day(
    out: Path,
    day: dt.date,
    rows: int,
    seed: int,
    airport_ids: list[int],
    bad_rate: float = 0.0,
    gz: bool = False,
    files_per_day: int = 1,
) -> dict:
    """Write one day's files and its manifest; return the manifest."""
    date = day.isoformat()
    rng = random.Random(f"flightline:{seed}:{date}")
    counts = DayCounts(date=date, seed=seed)
    day_dir = out / "daily_flights" / f"date={date}"
    day_dir.mkdir(parents=True, exist_ok=True)
    ext = ".csv.gz" if gz else ".csv"
    for old in list(day_dir.glob("*.csv")) + list(day_dir.glob("*.csv.gz")):
        old.unlink()  # a rerun with other options must not leave stale parts behind

    base, extra = divmod(rows, files_per_day)
    for part in range(files_per_day):
        name = f"flights{ext}" if files_per_day == 1 else f"part-{part:02d}{ext}"
        part_rows = base + (1 if part < extra else 0)
        raw, fh = _open_out(day_dir / name, gz)
        before = counts.rows
        try:
            fh.write(HEADER + "\n")
            for lines in generate_rows(rng, part_rows, airport_ids, bad_rate, counts):
                if lines:
                    fh.write("\n".join(lines))
                    fh.write("\n")
        finally:
            fh.close()
            if raw is not None:
                raw.close()
        counts.files.append({"name": name, "rows": counts.rows - before})

    manifest = counts.as_json()
    manifest["bad_rate"] = bad_rate
    exp_dir = out / "_expected" / f"date={date}"
    exp_dir.mkdir(parents=True, exist_ok=True)
    (exp_dir / "counts.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def generate(
    out: Path,
    rows: int,
    days: int,
    start: dt.date,
    seed: int,
    bad_rate: float = 0.0,
    gz: bool = False,
    files_per_day: int = 1,
    airports: Path = DEFAULT_AIRPORTS,
) -> list[dict]:
    """Write the airports copy and `days` consecutive days starting at `start`."""
    airport_ids = read_airport_ids(airports)
    (out / "dim").mkdir(parents=True, exist_ok=True)
    dim_copy = out / "dim" / "airports.csv"
    if dim_copy.resolve() != airports.resolve():
        shutil.copyfile(airports, dim_copy)
    return [
        generate_day(
            out, start + dt.timedelta(days=i), rows, seed, airport_ids, bad_rate, gz, files_per_day
        )
        for i in range(days)
    ]


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
    )
    for m in manifests:
        print(
            f"{m['date']}: {m['rows']} rows, {m['rejected_total']} to reject, "
            f"{m['unknown_airport_rows']} unknown-airport, {m['cancelled']} cancelled, "
            f"{m['diverted']} diverted",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

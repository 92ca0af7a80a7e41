"""A day's flight files and the exact counts of what they hold (the manifest)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flightline_glue.contract import FLIGHT_COLUMNS

from .defects import (
    ARR,
    DEFECTS,
    DEFECTS_WITH_TAIL_NUMBER,
    DEP,
    TAIL,
    TAIL_NUMBER,
    Defect,
    job_reasons,
    reject_classes,
)
from .traffic import Traffic, delays, read_airport_ids, tail_number

HEADER = ",".join(FLIGHT_COLUMNS)
# With --with-tail-number: the contract's optional TailNumber column after the required ones.
HEADER_WITH_TAIL_NUMBER = f"{HEADER},{TAIL_NUMBER.header}"
DEFAULT_AIRPORTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "dim" / "airports.csv"
BATCH = 20_000
# What the manifest counts among the rows the job keeps, in manifest order.
KEPT_COUNTS = (
    "cancelled", "diverted", "unknown_airport_rows", "unknown_origin_rows", "unknown_dest_rows",
)  # fmt: skip


@dataclass
class DayCounts:
    """Exact counts for one day, written as the manifest."""

    date: str
    seed: int
    defects: tuple[Defect, ...] = DEFECTS  # the kinds of bad row this day may have
    tail_number: bool = False  # whether rows carry the optional TailNumber column
    rows: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    kept: Counter[str] = field(default_factory=Counter)  # KEPT_COUNTS
    files: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rejected = dict.fromkeys(reject_classes(self.defects), 0) | self.rejected
        self.by_reason = dict.fromkeys(job_reasons(self.defects), 0) | self.by_reason

    def count_kept(self, fields: list[str], flag: str | None = None) -> None:
        if self.tail_number and fields[TAIL] == "":
            self.kept["tail_number_empty"] += 1
        if fields[DEP] == "":
            self.kept["cancelled"] += 1
        elif fields[ARR] == "":
            self.kept["diverted"] += 1
        if flag:
            self.kept["unknown_airport_rows"] += 1
            self.kept[flag] += 1

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
            **{name: self.kept[name] for name in KEPT_COUNTS},
            # Only with the column, so the committed sample's manifests stay as they are.
            **({"tail_number_empty": self.kept["tail_number_empty"]} if self.tail_number else {}),
            "files": self.files,
        }


def _row(
    rng: random.Random, carrier: str, origin: int, traffic: Traffic, bad_rate: float,
    counts: DayCounts,
) -> list[str]:  # fmt: skip
    """One row's fields; with probability bad_rate, with one defect drawn uniformly."""
    dest = traffic.destination(rng, origin)
    fields = [carrier, str(origin), str(dest), *delays(rng)]
    if counts.tail_number:
        fields.append(tail_number(rng, carrier))
    if bad_rate > 0 and rng.random() < bad_rate:
        defect = counts.defects[rng.randrange(len(counts.defects))]
        outcome = defect.spoil(rng, fields, traffic.unknown_ids)
        if defect.rejected:
            counts.rejected[defect.name] += 1
            counts.by_reason[outcome] += 1
        else:
            counts.count_kept(fields, outcome)
        return fields
    counts.count_kept(fields)
    return fields


def generate_rows(
    rng: random.Random,
    n: int,
    airport_ids: list[int],
    bad_rate: float,
    counts: DayCounts,
) -> Iterator[list[str]]:
    """Yield batches of CSV lines (without newline) and update counts."""
    traffic = Traffic(airport_ids)
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        carriers = rng.choices(traffic.carriers, cum_weights=traffic.carrier_cum, k=k)
        origins = rng.choices(airport_ids, cum_weights=traffic.airport_cum, k=k)
        yield [
            ",".join(_row(rng, carriers[i], origins[i], traffic, bad_rate, counts))
            for i in range(k)
        ]
        done += k
        counts.rows += k


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
    with_tail_number: bool = False,
) -> dict:
    """Write one day's files and its manifest; return the manifest. `with_tail_number` adds
    the contract's optional TailNumber column (and, with bad rows, malformed ones)."""
    date = day.isoformat()
    rng = random.Random(f"flightline:{seed}:{date}")
    defects = DEFECTS_WITH_TAIL_NUMBER if with_tail_number else DEFECTS
    counts = DayCounts(date=date, seed=seed, defects=defects, tail_number=with_tail_number)
    header = HEADER_WITH_TAIL_NUMBER if with_tail_number else HEADER
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
            fh.write(header + "\n")
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
    with_tail_number: bool = False,
) -> list[dict]:
    """Write the airports copy and `days` consecutive days starting at `start`."""
    airport_ids = read_airport_ids(airports)
    (out / "dim").mkdir(parents=True, exist_ok=True)
    dim_copy = out / "dim" / "airports.csv"
    if dim_copy.resolve() != airports.resolve():
        shutil.copyfile(airports, dim_copy)
    return [
        generate_day(
            out,
            start + dt.timedelta(days=i),
            rows,
            seed,
            airport_ids,
            bad_rate,
            gz,
            files_per_day,
            with_tail_number,
        )
        for i in range(days)
    ]

"""The bad rows the generator can write: one small function per kind of defect.

Each defect spoils one field of a clean row and answers what the job will make of it: the
contract's reject reason (flightline_glue.contract.RejectReason), or, for the one defect the
job keeps (an unknown airport), which side it flags. Every bad row has exactly one defect,
so its reason is unambiguous and the manifest's counts are exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from flightline_glue.contract import (
    FLIGHT_COLUMNS,
    FLIGHT_REJECT_REASONS,
    MAX_DELAY_MINUTES,
    MIN_DELAY_MINUTES,
    OPTIONAL_FLIGHT_COLUMNS,
    RejectReason,
)

CARRIER, ORIGIN, DEST, DEP, ARR = (
    FLIGHT_COLUMNS.index(c)
    for c in ("Carrier", "OriginAirportID", "DestAirportID", "DepDelay", "ArrDelay")
)
# The optional TailNumber column, written after the required ones (--with-tail-number).
(TAIL_NUMBER,) = [c for c in OPTIONAL_FLIGHT_COLUMNS if c.header == "TailNumber"]
TAIL = len(FLIGHT_COLUMNS)
# What the job answers for a field that is empty (where that is an error), not a whole
# number, or outside the contract's delay range.
MISSING = {
    CARRIER: RejectReason.EMPTY_CARRIER,
    ORIGIN: RejectReason.MISSING_ORIGIN_AIRPORT_ID,
    DEST: RejectReason.MISSING_DEST_AIRPORT_ID,
}
INVALID = {
    ORIGIN: RejectReason.INVALID_ORIGIN_AIRPORT_ID,
    DEST: RejectReason.INVALID_DEST_AIRPORT_ID,
    DEP: RejectReason.INVALID_DEP_DELAY,
    ARR: RejectReason.INVALID_ARR_DELAY,
}
OUT_OF_RANGE = {DEP: RejectReason.DEP_DELAY_OUT_OF_RANGE, ARR: RejectReason.ARR_DELAY_OUT_OF_RANGE}
# The side a kept row with an unknown airport id is flagged on (manifest counters).
UNKNOWN_SIDE = {ORIGIN: "unknown_origin_rows", DEST: "unknown_dest_rows"}


def _pick(rng: random.Random, choices: list[int]) -> int:
    return choices[rng.randrange(len(choices))]


def unparseable_number(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    """A delay or airport id that is not an integer (`abc`, `12x`, `N/A`); a field that has a
    value (a cancelled flight's delays are empty)."""
    j = _pick(rng, [j for j in INVALID if fields[j] != ""])
    fields[j] = ("abc", fields[j] + "x", "N/A")[rng.randrange(3)]
    return INVALID[j]


def empty_carrier(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    fields[CARRIER] = ""
    return MISSING[CARRIER]


def missing_airport_id(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    j = (ORIGIN, DEST)[rng.randrange(2)]
    fields[j] = ""
    return MISSING[j]


def delay_out_of_range(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    """A delay beyond the contract's bounds; on a cancelled row, its DepDelay."""
    if rng.random() < 0.5:
        minutes = rng.randint(MAX_DELAY_MINUTES + 1, 9999)
    else:
        minutes = rng.randint(-9999, MIN_DELAY_MINUTES - 1)
    j = _pick(rng, [j for j in OUT_OF_RANGE if fields[j] != ""] or [DEP])
    fields[j] = str(minutes)
    return OUT_OF_RANGE[j]


def wrong_column_count(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    """One field too many or one too few."""
    if rng.random() < 0.5:
        fields.append(str(rng.randint(0, 99)))
    else:
        fields.pop()
    return RejectReason.WRONG_COLUMN_COUNT


def unknown_airport(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    """A valid integer id absent from the airports file: kept by the job, and flagged."""
    airport_id = str(unknown_ids[rng.randrange(len(unknown_ids))])
    j = ORIGIN if rng.random() < 0.5 else DEST
    fields[j] = airport_id
    return UNKNOWN_SIDE[j]


@dataclass(frozen=True)
class Defect:
    name: str  # its manifest key
    spoil: Callable[[random.Random, list[str], list[int]], str]
    reasons: tuple[str, ...]  # the reject reasons spoil can return; none: the job keeps the row

    @property
    def rejected(self) -> bool:
        return bool(self.reasons)


def malformed_tail_number(rng: random.Random, fields: list[str], unknown_ids: list[int]) -> str:
    """A TailNumber the FAA N-number format rules out (contract.TAIL_NUMBER_PATTERN): a zero
    first, the letter O, six digits, or a registration without the N (a Canadian one)."""
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
    fields[TAIL] = (
        f"N0{rng.randint(1, 999)}",
        f"N{rng.randint(1, 99)}O",
        f"N{rng.randint(100000, 999999)}",
        f"C-G{letters}",
    )[rng.randrange(4)]
    return TAIL_NUMBER.reject_reason


# Drawn uniformly: the order is part of the seeded output (same seed, same bytes).
DEFECTS = (
    Defect("unparseable_number", unparseable_number, tuple(INVALID.values())),
    Defect("empty_carrier", empty_carrier, (MISSING[CARRIER],)),
    Defect("missing_airport_id", missing_airport_id, (MISSING[ORIGIN], MISSING[DEST])),
    Defect("delay_out_of_range", delay_out_of_range, tuple(OUT_OF_RANGE.values())),
    Defect("wrong_column_count", wrong_column_count, (RejectReason.WRONG_COLUMN_COUNT,)),
    Defect("unknown_airport", unknown_airport, ()),
)
# With the optional TailNumber column written (--with-tail-number): one defect more, drawn
# only then, so files without the column stay byte-identical.
DEFECTS_WITH_TAIL_NUMBER = (
    *DEFECTS,
    Defect(TAIL_NUMBER.reject_reason, malformed_tail_number, (TAIL_NUMBER.reject_reason,)),
)


def reject_classes(defects: tuple[Defect, ...]) -> tuple[str, ...]:
    return tuple(d.name for d in defects if d.rejected)


def job_reasons(defects: tuple[Defect, ...]) -> tuple[str, ...]:
    """The reasons these defects produce, in the job's own order of checks."""
    return tuple(r for r in FLIGHT_REJECT_REASONS if any(r in d.reasons for d in defects))


BAD_CLASSES = tuple(d.name for d in DEFECTS)
REJECT_CLASSES = reject_classes(DEFECTS)
JOB_REASONS = job_reasons(DEFECTS)

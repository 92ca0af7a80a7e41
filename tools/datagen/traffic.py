"""What a clean row looks like: carriers and airports weighted like US domestic traffic, delays
shaped like BTS on-time data, a few cancelled and diverted flights."""

from __future__ import annotations

import bisect
import random
from pathlib import Path

from flightline_glue.contract import MAX_DELAY_MINUTES

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


class Traffic:
    """Weighted draws of carriers and airports over one airports file."""

    def __init__(self, airport_ids: list[int]) -> None:
        if len(airport_ids) < 2:
            raise ValueError("the airports file needs at least two airports")
        self.carriers = list(CARRIER_WEIGHTS)
        self.carrier_cum = _cum([CARRIER_WEIGHTS[c] for c in self.carriers])
        self.airport_ids = airport_ids
        self.airport_cum = _cum(
            [
                SMALL_AIRPORT_WEIGHT
                if a in SMALL_AIRPORTS
                else float(HUB_WEIGHTS.get(a, DEFAULT_AIRPORT_WEIGHT))
                for a in airport_ids
            ]
        )
        self.airport_total = self.airport_cum[-1]
        known = set(airport_ids)
        low, high = UNKNOWN_ID_RANGE
        self.unknown_ids = [i for i in range(low, high + 1) if i not in known]

    def destination(self, rng: random.Random, origin: int) -> int:
        """A weighted draw among the other airports."""
        dest = origin
        while dest == origin:
            drawn = bisect.bisect(self.airport_cum, rng.random() * self.airport_total)
            dest = self.airport_ids[drawn]
        return dest


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
    return dep, max(-90, min(arr, MAX_DELAY_MINUTES))


def delays(rng: random.Random) -> tuple[str, str]:
    """(DepDelay, ArrDelay) as written: both empty for a cancelled flight, ArrDelay empty for a
    diverted one."""
    u = rng.random()
    if u < CANCELLED_RATE:
        return "", ""
    dep, arr = _delay_pair(rng)
    if u < CANCELLED_RATE + DIVERTED_RATE:
        return str(dep), ""
    return str(dep), str(arr)


# The optional TailNumber column (--with-tail-number). Registrations follow the FAA N-number
# format (contract.TAIL_NUMBER_PATTERN): N, three digits and a two-letter suffix per carrier,
# like the fleets' own (N301DL, N455WN); letters I and O never occur. A few rows leave it
# empty (the job loads NULL), as real feeds do for some flights.
TAIL_SUFFIX = {
    "WN": "WN", "AA": "AN", "DL": "DL", "OO": "SY", "UA": "UA", "YX": "YX", "MQ": "AE",
    "B6": "JB", "9E": "PQ", "OH": "PS", "AS": "AS", "NK": "NK", "F9": "FR", "G4": "NV",
    "HA": "HA",
}  # fmt: skip
TAIL_EMPTY_RATE = 0.01


def tail_number(rng: random.Random, carrier: str) -> str:
    """A registration of one of the carrier's aircraft, or empty for TAIL_EMPTY_RATE of rows."""
    if rng.random() < TAIL_EMPTY_RATE:
        return ""
    return f"N{rng.randint(100, 999)}{TAIL_SUFFIX[carrier]}"

"""The flight generator and the committed sample: format, determinism, exact manifests."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from tools import datagen

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
SAMPLE_AIRPORTS = SAMPLE / "dim" / "airports.csv"
HEADER = ["Carrier", "OriginAirportID", "DestAirportID", "DepDelay", "ArrDelay"]
INT = re.compile(r"-?\d+")

# generator class of each job reject reason
REASON_CLASS = {
    "wrong_column_count": "wrong_column_count",
    "empty_carrier": "empty_carrier",
    "missing_origin_airport_id": "missing_airport_id",
    "missing_dest_airport_id": "missing_airport_id",
    "invalid_origin_airport_id": "unparseable_number",
    "invalid_dest_airport_id": "unparseable_number",
    "invalid_dep_delay": "unparseable_number",
    "invalid_arr_delay": "unparseable_number",
    "dep_delay_out_of_range": "delay_out_of_range",
    "arr_delay_out_of_range": "delay_out_of_range",
    "malformed_tail_number": "malformed_tail_number",
}


def is_n_number(text: str) -> bool:
    """The FAA's N-number format, read independently of the contract's regex: N, then 1 to 5
    characters, digits first (not 0), at most two letters last, never I or O."""
    body = text.removeprefix("N")
    digits = len(body) - len(body.lstrip("0123456789"))
    letters = body[digits:]
    return (
        text.startswith("N")
        and 1 <= len(body) <= 5
        and digits >= 1
        and body[0] != "0"
        and len(letters) <= 2
        and all("A" <= c <= "Z" and c not in "IO" for c in letters)
    )


def classify(row: list[str], known: set[int], tail: bool = False) -> tuple[str, str | None]:
    """Independent reading of the contract: ('reject', reason) or ('ok', flag). With `tail`,
    rows carry the optional TailNumber column last."""
    if len(row) != 5 + tail:
        return "reject", "wrong_column_count"
    carrier, origin, dest, dep, arr = row[:5]
    if carrier == "":
        return "reject", "empty_carrier"
    for side, value in (("origin", origin), ("dest", dest)):
        if value == "":
            return "reject", f"missing_{side}_airport_id"
        if not INT.fullmatch(value):
            return "reject", f"invalid_{side}_airport_id"
    for name, value in (("dep", dep), ("arr", arr)):
        if value == "":
            continue
        if not INT.fullmatch(value):
            return "reject", f"invalid_{name}_delay"
        if not -1440 <= int(value) <= 2880:
            return "reject", f"{name}_delay_out_of_range"
    if tail and row[5].strip() and not is_n_number(row[5].strip().upper()):
        return "reject", "malformed_tail_number"
    if int(origin) not in known:
        return "ok", "unknown_origin"
    if int(dest) not in known:
        return "ok", "unknown_dest"
    return "ok", None


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        return next(reader), list(reader)


def tally(day_dir: Path, known: set[int], tail: bool = False) -> dict:
    """Recount a day's files the way the manifest claims to count them."""
    by_reason: Counter[str] = Counter()
    counts = Counter()
    for path in sorted(day_dir.iterdir()):
        header, rows = read_rows(path)
        assert header == HEADER + ["TailNumber"] * tail, path
        for row in rows:
            counts["rows"] += 1
            status, detail = classify(row, known, tail)
            if status == "reject":
                by_reason[detail] += 1
                continue
            if tail and row[5] == "":
                counts["tail_number_empty"] += 1
            dep, arr = row[3], row[4]
            if dep == "":
                assert arr == "", f"arrival without departure: {row}"
                counts["cancelled"] += 1
            elif arr == "":
                counts["diverted"] += 1
            if detail is not None:
                counts["unknown_airport_rows"] += 1
                counts[f"{detail}_rows"] += 1
    classes = Counter()
    for reason, n in by_reason.items():
        classes[REASON_CLASS[reason]] += n
    return {"counts": counts, "by_reason": by_reason, "classes": classes}


def assert_manifest_matches(out: Path, date: str, tail: bool = False) -> dict:
    manifest = json.loads((out / "_expected" / f"date={date}" / "counts.json").read_text())
    known = set(datagen.read_airport_ids(out / "dim" / "airports.csv"))
    got = tally(out / "daily_flights" / f"date={date}", known, tail)
    c = got["counts"]
    reasons = [*datagen.JOB_REASONS, *["malformed_tail_number"] * tail]
    classes = [*datagen.REJECT_CLASSES, *["malformed_tail_number"] * tail]
    assert manifest["rows"] == c["rows"]
    assert manifest["rejected_by_reason"] == {r: got["by_reason"][r] for r in reasons}
    assert manifest["rejected"] == {k: got["classes"][k] for k in classes}
    assert manifest.get("tail_number_empty") == (c["tail_number_empty"] if tail else None)
    assert manifest["rejected_total"] == sum(got["by_reason"].values())
    assert manifest["valid_rows"] == c["rows"] - manifest["rejected_total"]
    for key in (
        "cancelled",
        "diverted",
        "unknown_airport_rows",
        "unknown_origin_rows",
        "unknown_dest_rows",
    ):
        assert manifest[key] == c[key], key
    return manifest


def files_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run(out: Path, *args: str) -> None:
    assert datagen.main(["--out", str(out), *args]) == 0


# --- the committed airports file -------------------------------------------------------


def test_airports_file_has_the_contract_format():
    raw = SAMPLE_AIRPORTS.read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("airport_id,city,state,name\r\n10165,Adak Island, AK, Adak\r\n")
    assert text.endswith("\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n"), "every line ends with CRLF"
    lines = text.split("\r\n")[1:-1]
    assert len(lines) >= 50
    line_re = re.compile(r"\d{5},[^,\r\n]+, [A-Z]{2}, [^,\r\n]+")
    bad = [line for line in lines if not line_re.fullmatch(line)]
    assert bad == []
    ids = [int(line.split(",")[0]) for line in lines]
    assert len(ids) == len(set(ids))
    # the big hubs the generator weights are in the file
    assert {10397, 13930, 11298, 11292, 12892, 12478} <= set(ids)


def test_airports_file_parses_to_four_fields_after_stripping():
    with SAMPLE_AIRPORTS.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["airport_id", "city", "state", "name"]
    atl = next(r for r in rows[1:] if r[0] == "10397")
    assert [v.strip() for v in atl] == [
        "10397",
        "Atlanta",
        "GA",
        "Hartsfield-Jackson Atlanta International",
    ]
    assert all(len(r) == 4 for r in rows)


# --- generator ---------------------------------------------------------------------------


def test_layout_header_and_dim_copy(tmp_path):
    run(tmp_path, "--rows", "300", "--days", "2", "--start-date", "2024-02-28", "--seed", "1")
    assert (tmp_path / "dim" / "airports.csv").read_bytes() == SAMPLE_AIRPORTS.read_bytes()
    days = sorted(p.name for p in (tmp_path / "daily_flights").iterdir())
    assert days == ["date=2024-02-28", "date=2024-02-29"]
    for day in days:
        header, rows = read_rows(tmp_path / "daily_flights" / day / "flights.csv")
        assert header == HEADER
        assert len(rows) == 300
    first = (tmp_path / "daily_flights" / days[0] / "flights.csv").read_bytes()
    assert first.startswith(b"Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay\n")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    args = ["--rows", "2000", "--days", "2", "--bad-rate", "0.05", "--files-per-day", "2"]
    run(tmp_path / "a", *args, "--seed", "7")
    run(tmp_path / "b", *args, "--seed", "7")
    run(tmp_path / "c", *args, "--seed", "8")
    a, b, c = (files_bytes(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    flights = [k for k in a if k.endswith(".csv") and k.startswith("daily_flights")]
    assert all(a[k] != c[k] for k in flights)


def test_a_day_does_not_depend_on_how_many_days_are_generated(tmp_path):
    run(tmp_path / "one", "--rows", "500", "--days", "1", "--start-date", "2024-01-02")
    run(tmp_path / "three", "--rows", "500", "--days", "3", "--start-date", "2024-01-01")
    rel = "daily_flights/date=2024-01-02/flights.csv"
    assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "three" / rel).read_bytes()


def test_manifest_matches_content_with_bad_rows_and_parts(tmp_path):
    run(tmp_path, "--rows", "6000", "--days", "2", "--bad-rate", "0.2", "--files-per-day", "3")
    for date in ("2024-01-01", "2024-01-02"):
        manifest = assert_manifest_matches(tmp_path, date)
        names = [f["name"] for f in manifest["files"]]
        assert names == ["part-00.csv", "part-01.csv", "part-02.csv"]
        assert sum(f["rows"] for f in manifest["files"]) == 6000
        # every bad class shows up at this rate, including the kept unknown-airport rows
        assert all(n > 0 for n in manifest["rejected"].values()), manifest["rejected"]
        assert all(n > 0 for n in manifest["rejected_by_reason"].values())
        assert manifest["unknown_airport_rows"] > 0
        # bad rows are ~20%, five sixths of them rejected
        assert 0.12 < manifest["rejected_total"] / manifest["rows"] < 0.21


def test_clean_data_has_no_bad_rows(tmp_path):
    run(tmp_path, "--rows", "5000", "--seed", "3")
    manifest = assert_manifest_matches(tmp_path, "2024-01-01")
    assert manifest["rejected_total"] == 0
    assert manifest["unknown_airport_rows"] == 0
    assert manifest["valid_rows"] == 5000


def test_gzip_output_is_readable_and_holds_the_same_rows(tmp_path):
    run(tmp_path / "plain", "--rows", "1500", "--bad-rate", "0.1", "--seed", "5")
    run(tmp_path / "gz", "--rows", "1500", "--bad-rate", "0.1", "--seed", "5", "--gzip")
    day = "daily_flights/date=2024-01-01"
    gz_path = tmp_path / "gz" / day / "flights.csv.gz"
    assert gz_path.read_bytes()[:2] == b"\x1f\x8b"
    with gzip.open(gz_path, "rb") as fh:
        unzipped = fh.read()
    assert unzipped == (tmp_path / "plain" / day / "flights.csv").read_bytes()
    assert_manifest_matches(tmp_path / "gz", "2024-01-01")
    run(tmp_path / "gz2", "--rows", "1500", "--bad-rate", "0.1", "--seed", "5", "--gzip")
    assert gz_path.read_bytes() == (tmp_path / "gz2" / day / "flights.csv.gz").read_bytes()


def test_rerun_with_parts_replaces_the_old_single_file(tmp_path):
    run(tmp_path, "--rows", "100")
    run(tmp_path, "--rows", "100", "--files-per-day", "2", "--gzip")
    names = sorted(p.name for p in (tmp_path / "daily_flights" / "date=2024-01-01").iterdir())
    assert names == ["part-00.csv.gz", "part-01.csv.gz"]
    assert_manifest_matches(tmp_path, "2024-01-01")


def test_rows_look_like_on_time_data(tmp_path):
    run(tmp_path, "--rows", "40000", "--seed", "11")
    _, rows = read_rows(tmp_path / "daily_flights" / "date=2024-01-01" / "flights.csv")
    known = set(datagen.read_airport_ids(SAMPLE_AIRPORTS))
    carriers = Counter(r[0] for r in rows)
    assert set(carriers) <= set(datagen.CARRIER_WEIGHTS)
    assert carriers.most_common(1)[0][0] == "WN"
    assert all(r[1] != r[2] for r in rows)
    assert all(int(r[1]) in known and int(r[2]) in known for r in rows)
    origins = Counter(r[1] for r in rows)
    assert origins["10397"] > 10 * origins["10165"]  # Atlanta hub vs Adak

    dep = sorted(int(r[3]) for r in rows if r[3])
    arr = [int(r[4]) for r in rows if r[4]]
    cancelled = sum(1 for r in rows if r[3] == "")
    diverted = sum(1 for r in rows if r[3] != "" and r[4] == "")
    assert 0.010 < cancelled / len(rows) < 0.020
    assert 0.001 < diverted / len(rows) < 0.006

    median = statistics.median(dep)
    p99 = dep[int(0.99 * (len(dep) - 1))]
    assert -6 <= median <= 3  # most flights leave on time or a little early
    assert p99 >= 90  # ...and a long right tail
    assert statistics.fmean(dep) > median + 3  # right-skewed
    assert sum(d < 0 for d in dep) / len(dep) > 0.4
    assert max(dep) <= 2880
    assert min(dep) >= -1440
    assert (
        statistics.correlation(
            [int(r[3]) for r in rows if r[3] and r[4]], [int(r[4]) for r in rows if r[3] and r[4]]
        )
        > 0.9
    )
    assert statistics.median(arr) < median + 1  # arrivals recover some time


def test_cli_rejects_bad_arguments(tmp_path):
    with pytest.raises(SystemExit):
        datagen.main(["--out", str(tmp_path), "--rows", "0"])
    with pytest.raises(SystemExit):
        datagen.main(["--out", str(tmp_path), "--rows", "10", "--bad-rate", "1.5"])
    with pytest.raises(SystemExit):
        datagen.main(["--out", str(tmp_path), "--rows", "10", "--start-date", "2024-13-01"])
    assert not (tmp_path / "daily_flights").exists()


def test_help_says_rows_are_per_day(capsys):
    with pytest.raises(SystemExit):
        datagen.main(["--help"])
    assert "PER DAY" in capsys.readouterr().out


CLEAN_ROWS = (
    ["DL", "10397", "13930", "5", "-2"],
    ["DL", "10397", "13930", "", ""],  # cancelled
    ["DL", "10397", "13930", "5", ""],  # diverted
)


@pytest.mark.parametrize(
    ("defect", "tail"),
    [(d, False) for d in datagen.DEFECTS] + [(d, True) for d in datagen.DEFECTS_WITH_TAIL_NUMBER],
    ids=lambda p: p.name if isinstance(p, datagen.Defect) else ("tail" if p else "five"),
)
def test_each_defect_gets_the_reason_it_declares(defect, tail):
    """The registry against an independent reading of the contract (`classify`): what each
    defect says the job answers is what the job's checks give, and every reason it declares
    does occur, with and without the optional TailNumber column."""
    rng = random.Random(defect.name)
    known = {10397, 13930}
    seen = set()
    for row in CLEAN_ROWS * 40:
        fields = list(row) + ["N301DL"] * tail
        outcome = defect.spoil(rng, fields, [16001, 16002])
        status, detail = classify(fields, known, tail)
        if defect.rejected:
            assert (status, detail) == ("reject", outcome), fields
        else:
            assert status == "ok"
            assert f"{detail}_rows" == outcome, fields
        seen.add(outcome)
    assert seen == (set(defect.reasons) or {"unknown_origin_rows", "unknown_dest_rows"})


def test_tail_number_option_writes_the_optional_column_with_exact_counts(tmp_path):
    """`--with-tail-number`: every row has a TailNumber, valid by the FAA rule (a few empty),
    and with bad rows malformed ones too, each counted in the manifest."""
    run(tmp_path, "--rows", "6000", "--bad-rate", "0.2", "--files-per-day", "2",
        "--with-tail-number")  # fmt: skip
    manifest = assert_manifest_matches(tmp_path, "2024-01-01", tail=True)
    assert manifest["rejected_by_reason"]["malformed_tail_number"] > 0
    assert 0 < manifest["tail_number_empty"] < 0.03 * manifest["rows"]
    # (assert_manifest_matches checked both files' headers and every value against the rule)


def test_the_contracts_tail_number_rule_is_the_faa_rule():
    """The contract's pattern against the independent reading, on the edge cases."""
    from flightline_glue.contract import TAIL_NUMBER_PATTERN

    cases = [
        "N1", "N12345", "N1234Z", "N123AZ", "N1A", "N24BY", "N0123", "N01Z", "N123456", "N1I2",
        "NAB12", "N12O", "N1234AB", "N", "C-GABC", "123AB", "N123ABC", "N9ZZ",
    ]  # fmt: skip
    for case in cases:
        assert bool(re.fullmatch(TAIL_NUMBER_PATTERN, case)) == is_n_number(case), case
    assert {c for c in cases if is_n_number(c)} == {
        "N1", "N12345", "N1234Z", "N123AZ", "N1A", "N24BY", "N9ZZ",
    }  # fmt: skip


# --- the committed sample ----------------------------------------------------------------


@pytest.mark.parametrize("date", ["2024-01-01", "2024-01-02", "2024-01-03"])
def test_committed_sample_matches_its_manifest(date):
    manifest = assert_manifest_matches(SAMPLE, date)
    assert manifest["rows"] == 2000
    if date == "2024-01-03":
        assert manifest["rejected_total"] > 0
        assert manifest["unknown_airport_rows"] > 0
    else:
        assert manifest["rejected_total"] == 0
        assert manifest["unknown_airport_rows"] == 0


def test_committed_sample_is_reproducible_and_small(tmp_path):
    # the same commands as `make sample-data`
    run(tmp_path, "--rows", "2000", "--days", "2", "--seed", "20240101")
    run(tmp_path, "--rows", "2000", "--start-date", "2024-01-03", "--seed", "20240101",
        "--bad-rate", "0.02")  # fmt: skip
    assert files_bytes(tmp_path) == files_bytes(SAMPLE)
    assert sum(len(b) for b in files_bytes(SAMPLE).values()) < 1_000_000


def test_streaming_batches_cover_every_row():
    n = datagen.BATCH * 2 + 7
    counts = datagen.DayCounts(date="x", seed=0)
    lines = list(datagen.generate_rows(random.Random(0), n, [10397, 13930, 11298], 0.0, counts))
    assert sum(len(b) for b in lines) == n == counts.rows
    assert [len(b) for b in lines] == [datagen.BATCH, datagen.BATCH, 7]

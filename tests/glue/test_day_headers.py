"""The day's header lines the job reports in its run summary, from which the day crawl machine
decides after the job whether the catalog needs a crawl (flightline_glue.headers)."""

from __future__ import annotations

import datetime as dt
import gzip
import json

from flightline_glue.headers import FILES_PER_HEADER, LINE_CHARS, LISTED_HEADERS, header_summary
from flightline_glue.inputs import discover_day
from flightline_glue.storage import LocalStorage

HEADER = "Carrier,OriginAirportID,DestAirportID,DepDelay,ArrDelay"
DAY = dt.date(2024, 1, 5)


def _day(tmp_path, files: dict[str, bytes]) -> dict:
    folder = tmp_path / "daily_flights" / f"date={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    found = discover_day(LocalStorage(tmp_path), DAY)
    return header_summary((f.name, f.header_line) for f in found.files)


def test_a_compressed_days_header_is_read_from_its_content(tmp_path):
    headers = _day(tmp_path, {"a.csv.gz": gzip.compress(f"{HEADER}\nDL,1,2,3,4\n".encode())})
    assert headers["distinct"] == 1
    assert headers["lines"] == [
        {
            "line": HEADER,
            "line_truncated": False,
            "file_count": 1,
            "files": [f"daily_flights/date={DAY}/a.csv.gz"],
        }
    ]
    # The same header in plain text: the same digest, so the crawl decision is the same.
    plain = _day(tmp_path / "plain", {"a.csv": f"{HEADER}\nDL,1,2,3,4\n".encode()})
    assert plain["sha256"] == headers["sha256"]


def test_a_day_of_two_headers_lists_both_with_their_files(tmp_path):
    headers = _day(
        tmp_path,
        {
            "a.csv": f"{HEADER}\nDL,1,2,3,4\n".encode(),
            "b.csv": f"{HEADER}\nAA,1,2,3,4\n".encode(),
            "c.csv.gz": gzip.compress(f"{HEADER},Gate\nUA,1,2,3,4,B1\n".encode()),
        },
    )
    folder = f"daily_flights/date={DAY}"
    assert headers["distinct"] == 2
    assert [(h["line"], h["file_count"], h["files"]) for h in headers["lines"]] == [
        (HEADER, 2, [f"{folder}/a.csv", f"{folder}/b.csv"]),
        (f"{HEADER},Gate", 1, [f"{folder}/c.csv.gz"]),
    ]
    one = _day(tmp_path / "one", {"a.csv": f"{HEADER}\nDL,1,2,3,4\n".encode()})
    assert one["sha256"] != headers["sha256"]


def test_lines_are_kept_as_written_so_any_difference_counts(tmp_path):
    # A byte-order mark, CRLF or another case load the same columns, but the crawler reads
    # the bytes: each is a header of its own, and the day crawls rather than guess.
    headers = _day(
        tmp_path,
        {
            "a.csv": f"{HEADER}\nDL,1,2,3,4\n".encode(),
            "b.csv": f"\ufeff{HEADER}\nDL,1,2,3,4\n".encode(),
            "c.csv": f"{HEADER}\r\nDL,1,2,3,4\r\n".encode(),
            "d.csv": f"{HEADER.lower()}\nDL,1,2,3,4\n".encode(),
        },
    )
    assert sorted(h["line"] for h in headers["lines"]) == sorted(
        [HEADER, f"\ufeff{HEADER}", f"{HEADER}\r", HEADER.lower()]
    )


def test_the_digest_is_of_the_set_of_lines_whatever_the_files_order():
    first = header_summary([("a", "x,y"), ("b", "x,y,z"), ("c", "x,y")])
    second = header_summary([("c", "x,y,z"), ("a", "x,y"), ("b", "x,y")])
    assert first["sha256"] == second["sha256"]
    assert first["sha256"] != header_summary([("a", "x,y")])["sha256"]


def test_the_listing_is_bounded_and_the_digest_covers_what_it_leaves_out():
    """A hostile day (a header per file, huge header lines, thousands of files) keeps the
    summary small: it travels through every state of the day load (256 KiB at most)."""
    long_line = ",".join(f"column_{n}" for n in range(2000))
    files = [(f"f{n:04d}.csv", f"{long_line},extra_{n}") for n in range(3000)]
    files += [(f"g{n:04d}.csv", HEADER) for n in range(3000)]
    headers = header_summary(files)
    assert headers["distinct"] == 3001
    assert len(headers["lines"]) == LISTED_HEADERS
    assert headers["lines"][0]["file_count"] == 3000  # the most common first
    assert len(headers["lines"][0]["files"]) == FILES_PER_HEADER
    cut = headers["lines"][1]
    assert cut["line_truncated"] is True
    assert cut["line"] == long_line[:LINE_CHARS]
    assert len(json.dumps(headers)) < 16 * 1024
    # A difference past the cut, or in a header not listed, still changes the digest.
    changed = [*files[:-1], (files[-1][0], f"{HEADER},Gate")]
    assert header_summary(changed)["sha256"] != headers["sha256"]
    changed = [(files[0][0], f"{long_line},extra_0,more"), *files[1:]]
    assert header_summary(changed)["sha256"] != headers["sha256"]

"""Print run summaries (JSON lines from `python -m flightline_glue.local`) as a table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = (
    ("date", lambda s: s["flight_date"]),
    ("status", lambda s: s["status"]),
    ("files", lambda s: len(s["input_files"])),
    ("read", lambda s: s["rows_read"]),
    ("loaded", lambda s: s["rows_loaded"]),
    ("rejected", lambda s: s["rows_rejected"]),
    ("cancelled", lambda s: s["cancelled"]),
    ("unknown airports", lambda s: s["unknown_airport_id_count"]),
    ("seconds", lambda s: s["durations_seconds"].get("total", "")),
)


def render(summaries: list[dict]) -> str:
    table = [[name for name, _ in COLUMNS]] + [
        [str(get(s)) for _, get in COLUMNS] for s in summaries
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for s in summaries:
        if s["rejected_by_reason"]:
            reasons = ", ".join(f"{k}={v}" for k, v in s["rejected_by_reason"].items())
            lines.append(f"{s['flight_date']} rejects: {reasons} -> {s['outputs']['rejects']}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = Path(argv[1]).read_text() if len(argv) > 1 else sys.stdin.read()
    summaries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    print(render(summaries))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The day's distinct header lines, for the run summary and the crawl decision after the job.

The day crawl machine (stepfunctions/day_crawl.asl.json) runs after this job and crawls only
when the day's headers are not the ones the catalog table was last crawled from. The job has
read every file's header (gzip included, told by the content), so it reports them: one entry
per distinct line, with the files that had it, and a digest of all of them.

The summary travels through the state (Step Functions caps a state's payload at 256 KiB) into
the success notice and every state's history event, so the listing is bounded: at most
LISTED_HEADERS entries, each line cut at LINE_CHARS characters, FILES_PER_HEADER names.
The digest is taken over every distinct line in full, so the decision never rests on a cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

LISTED_HEADERS = 8
LINE_CHARS = 1024
FILES_PER_HEADER = 3


def headers_digest(lines: Iterable[str]) -> str:
    """SHA-256 of the distinct lines, sorted, one per line: the same set gives the same
    digest whatever the files' order (a header line never holds a line feed)."""
    return hashlib.sha256("\n".join(sorted(set(lines))).encode("utf-8")).hexdigest()


def header_summary(files: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """From (file name, header line) pairs: `distinct` (how many lines), `sha256` (of all of
    them) and `lines`, the most common first, each with `file_count` and the first
    FILES_PER_HEADER `files`; `line_truncated` says a line was cut at LINE_CHARS."""
    by_line: dict[str, list[str]] = {}
    for name, line in files:
        by_line.setdefault(line, []).append(name)
    ordered = sorted(by_line.items(), key=lambda item: (-len(item[1]), item[1][0]))
    return {
        "distinct": len(by_line),
        "sha256": headers_digest(by_line),
        "lines": [
            {
                "line": line[:LINE_CHARS],
                "line_truncated": len(line) > LINE_CHARS,
                "file_count": len(names),
                "files": names[:FILES_PER_HEADER],
            }
            for line, names in ordered[:LISTED_HEADERS]
        ],
    }

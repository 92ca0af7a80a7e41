"""Pure helpers of the LocalStack plugin (no LocalStack needed): error extraction, table layout.

The plugin lives in LocalStack's venv; these modules import only the standard library at
module level, so the pipeline's Python can test them directly.
"""

from __future__ import annotations

import sys

import pytest

from tests.fixtures.localstack import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "localstack"))

from flightline_localstack.glue_crawler import Schema, _layouts
from flightline_localstack.glue_jobs import argv_for, error_from_stderr

TRACEBACK_WITH_JVM_CHATTER = [
    "26/11/27 13:52:01 WARN NativeCodeLoader: Unable to load native-hadoop library\n",
    "Traceback (most recent call last):\n",
    '  File "/x/glue_entry.py", line 9, in <module>\n',
    "    main(sys.argv)\n",
    "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling GetObject\n",
    "2026-11-27 13:52:03,222 py4j.clientserver Closing down clientserver connection\n",
    "26/11/27 13:52:03 INFO ShutdownHookManager: Shutdown hook called\n",
]


def test_error_is_the_exception_after_the_last_traceback() -> None:
    assert error_from_stderr(TRACEBACK_WITH_JVM_CHATTER, 1) == (
        "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling GetObject"
    )


def test_error_without_traceback_is_the_last_non_log_line() -> None:
    lines = ["error: missing job argument(s): --flight_date\n", "26/11/27 INFO bye\n"]
    assert error_from_stderr(lines, 2) == "error: missing job argument(s): --flight_date"


def test_error_without_stderr_names_the_exit_code() -> None:
    assert "exited with code 137" in error_from_stderr([], 137)


def test_argv_is_glue_style() -> None:
    argv = argv_for("job.py", "load", "jr_1", {"--flight_date": "2024-01-01", "plain": "x"})
    assert argv[1:] == [
        "job.py", "--JOB_NAME", "load", "--JOB_RUN_ID", "jr_1",
        "--flight_date", "2024-01-01", "--plain", "x",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("prefix", "keys", "expected"),
    [
        (
            "daily_flights/",
            ["daily_flights/date=2024-01-01/a.csv", "daily_flights/date=2024-01-02/b.csv"],
            {"daily_flights": ("daily_flights/", [("date",), ("date",)])},
        ),
        (
            "",
            ["daily_flights/date=2024-01-01/a.csv", "dim/airports.csv"],
            {
                "daily_flights": ("daily_flights/", [("date",)]),
                "dim": ("dim/", [()]),
            },
        ),
    ],
)
def test_tables_per_target_folder(prefix, keys, expected) -> None:
    layouts = _layouts("landing", prefix, keys, None)
    got = {
        layout.name: (layout.root, [tuple(k for k, _ in parts) for _, parts in layout.files])
        for layout in layouts
    }
    assert got == expected


def test_schema_from_header_and_values() -> None:
    schema = Schema()
    schema.add_file("A, B ,C\r\n1, x, 2.5\r\n, y, 3\r\n", compressed=False)
    assert schema.glue_columns() == [
        {"Name": "a", "Type": "bigint"},
        {"Name": "b", "Type": "string"},
        {"Name": "c", "Type": "double"},
    ]

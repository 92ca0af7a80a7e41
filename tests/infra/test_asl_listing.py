"""How the day machines list and read a day's files where S3 answers differently on AWS.

Two answers LocalStack gives more kindly than AWS, each kept from failing silently:
- an emptied day folder: reading `Contents` of the listing would be a `States.Runtime` error,
  which `States.ALL` does not catch ("Handling errors in Step Functions workflows");
- a listing cut at 1000 keys covers part of the day ("ListObjectsV2").
"""

from __future__ import annotations

from typing import Any


def test_an_emptied_day_folder_is_counted_before_its_files_are_read(
    machines: dict[str, Any],
) -> None:
    states = machines["day"]["States"]
    assert states["LatestEventOfDay"]["Choices"][0]["Next"] == "CountDayFiles"
    count = states["CountDayFiles"]
    assert count["Resource"] == "arn:aws:states:::aws-sdk:s3:listObjectsV2"
    assert count["Parameters"]["MaxKeys"] == 1
    # KeyCount is in every ListObjectsV2 answer, an empty one included.
    assert count["ResultSelector"] == {"count.$": "$.KeyCount"}
    assert count["Next"] == "DayFilesPresent"
    (present,) = states["DayFilesPresent"]["Choices"]
    assert present == {
        "Variable": "$.listed.count",
        "NumericGreaterThan": 0,
        "Next": "FingerprintDay",
    }
    # ... which runs the day fingerprint machine, whose listing reads the files.
    assert states["FingerprintDay"]["Parameters"]["StateMachineArn"] == (
        "${DayFingerprintStateMachineArn}"
    )
    assert machines["day_fingerprint"]["StartAt"] == "ListDayFiles"
    empty = states[states["DayFilesPresent"]["Default"]]
    assert empty["Next"] == "BuildFailureNotice"
    assert empty["Parameters"]["error"]["Error"] == "Flightline.DayFolderEmpty"
    assert "daily_flights/date={}/" in empty["Parameters"]["error"]["Cause.$"]


def test_only_the_full_listing_reads_contents(machines: dict[str, Any]) -> None:
    # Any other ResultSelector on Contents would fail uncatchably on an empty folder.
    readers = {
        (machine, name)
        for machine, asl in machines.items()
        for name, state in asl["States"].items()
        if "$.Contents" in str(state.get("ResultSelector", {}))
    }
    assert readers == {("day_fingerprint", "ListDayFiles")}
    # The fingerprint machine runs only once the count found files.
    day = machines["day"]["States"]
    assert "FingerprintDay" in {c["Next"] for c in day["DayFilesPresent"]["Choices"]}


def test_a_day_of_more_than_one_listing_page_is_never_called_unchanged(
    machines: dict[str, Any],
) -> None:
    listing = machines["day_fingerprint"]["States"]["ListDayFiles"]
    assert listing["ResultSelector"]["truncated.$"] == "$.IsTruncated"
    (same,) = machines["day"]["States"]["SameContentLoaded"]["Choices"]
    assert same["Next"] == "BuildUnchangedNotice"
    assert {"Variable": "$.files.truncated", "BooleanEquals": False} in same["And"]

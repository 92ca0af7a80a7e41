"""The backfill library's pure parts; the runs themselves are end to end in
tests/e2e/test_pipeline_scenarios.py (lane `backfill`)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import unique
from tools.backfill import cli
from tools.backfill.cli import parse_args
from tools.backfill.runner import (
    Outcome,
    Report,
    _day_outcome,
    allowed_concurrency,
    day_input,
    days_between,
    max_days,
)
from tools.deploy import cfn_yaml
from tools.deploy.config import TEMPLATE_DIR


def test_days_between_is_inclusive_and_refuses_a_reversed_range() -> None:
    assert days_between(dt.date(2024, 2, 28), dt.date(2024, 3, 1)) == [
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
    ]
    with pytest.raises(ValueError, match="before FROM"):
        days_between(dt.date(2024, 3, 2), dt.date(2024, 3, 1))


def test_a_day_starts_as_the_s3_event_of_its_first_file_marked_backfill() -> None:
    event = day_input("landing", "daily_flights/date=2024-01-01/a.csv")
    assert event["detail"] == {
        "bucket": {"name": "landing"},
        "object": {"key": "daily_flights/date=2024-01-01/a.csv"},
    }
    assert event["flightline"] == {"backfill": True}


def test_the_report_table_and_verdict() -> None:
    report = Report(
        [
            Outcome("2024-01-01", "LOADED", 2, 1900, 31.4, "arn:1", "3 rejected"),
            Outcome(
                "2024-01-02", "NO FILES", detail="nothing under daily_flights/date=2024-01-02/"
            ),
        ],
        Outcome("dbt build", "BUILT", 1, None, 12.0, "arn:2", "build b-1"),
    )
    lines = report.table().splitlines()
    assert lines[0].split() == ["day", "outcome", "files", "rows", "loaded", "seconds", "detail"]
    assert lines[2].split()[:5] == ["2024-01-01", "LOADED", "2", "1,900", "31"]
    assert lines[-1].split()[:3] == ["dbt", "build", "BUILT"]
    assert report.ok
    report.days[0].status = "FAILED"
    assert not report.ok


def test_cli_parses_dates_and_concurrency() -> None:
    args = parse_args(["--env", "dev", "--from", "2024-01-01", "--to", "2024-01-05"])
    assert (args.first, args.last, args.concurrency) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 5),
        None,  # from the deployed job
    )
    with pytest.raises(SystemExit):
        parse_args(["--env", "dev", "--from", "2024-13-01", "--to", "2024-01-05"])


def test_the_cli_refuses_a_range_longer_than_backfill_max_days_before_any_aws_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_aws(*_: object) -> None:
        raise AssertionError("called AWS")

    monkeypatch.setattr(cli, "make_session", no_aws)
    # 2024 is a leap year: 2024-01-01..2025-01-01 is 367 days, one more than the default.
    template = cfn_yaml.load(TEMPLATE_DIR / "orchestration.yaml")
    assert template["Parameters"]["BackfillMaxDays"]["Default"] == "366"
    assert max_days("prod") == 366  # its parameter file keeps the default
    long = ["--env", "prod", "--from", "2024-01-01", "--to", "2025-01-01"]
    assert cli.main(long) == 2
    error = capsys.readouterr().err
    assert "is 367 days; a backfill covers at most 366 (BackfillMaxDays in prod" in error
    # One day fewer passes the check and goes on to AWS.
    with pytest.raises(AssertionError, match="called AWS"):
        cli.main([*long[:-1], "2024-12-31"])


def test_an_env_without_a_parameter_file_gets_the_templates_backfill_max_days() -> None:
    template = cfn_yaml.load(TEMPLATE_DIR / "orchestration.yaml")
    assert max_days("nosuchenv") == int(template["Parameters"]["BackfillMaxDays"]["Default"])


def test_a_superseded_day_is_not_counted_as_loaded() -> None:
    # The execution ended in Superseded: no notice; a later event of the day loads it.
    outcome = _day_outcome("2024-01-03", 1, "arn:3", "SUCCEEDED", {"event": {}}, 2.0)
    assert outcome.status == "SUPERSEDED"
    loaded = _day_outcome(
        "2024-01-04",
        1,
        "arn:4",
        "SUCCEEDED",
        {"notice": {"status": "SUCCEEDED", "summary": {"rows_loaded": 5}}},
        9.0,
    )
    assert (loaded.status, loaded.rows_loaded) == ("LOADED", 5)


def test_concurrency_leaves_the_job_a_run_for_daily_loads(localstack_client) -> None:
    glue = localstack_client("glue")
    job = unique("backfill-job")
    glue.create_job(
        Name=job,
        Role="arn:aws:iam::000000000000:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
        ExecutionProperty={"MaxConcurrentRuns": 2},
    )
    try:
        assert allowed_concurrency(glue, job) == 1
        glue.update_job(
            JobName=job,
            JobUpdate={
                "Role": "arn:aws:iam::000000000000:role/glue",
                "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
                "ExecutionProperty": {"MaxConcurrentRuns": 1},
            },
        )
        assert allowed_concurrency(glue, job) == 1  # never zero
    finally:
        glue.delete_job(JobName=job)

"""JSONata states run in LocalStack (the plugin's evaluator: services/stepfunctions/
jsonata_evaluator.py), and the missed-day check's day-before expression gives the calendar's
answer at the edges hand-written arithmetic gets wrong: a month's, a year's, a leap day, a
century that is not a leap year and one that is."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.helpers import unique, wait_for
from tools.deploy.config import REPO_ROOT

ROLE = "arn:aws:iam::000000000000:role/states"
MISSED_DAY = REPO_ROOT / "stepfunctions" / "missed_day.asl.json"


@pytest.fixture(scope="module")
def day_before(localstack_client):
    """A machine of the missed-day check's DayBefore state alone, as the ASL has it."""
    sfn = localstack_client("stepfunctions")
    state = dict(json.loads(MISSED_DAY.read_text())["States"]["DayBefore"])
    state.pop("Next")
    state["End"] = True
    arn = sfn.create_state_machine(
        name=unique("day-before"),
        definition=json.dumps({"StartAt": "DayBefore", "States": {"DayBefore": state}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    yield sfn, arn
    sfn.delete_state_machine(stateMachineArn=arn)


@pytest.mark.parametrize(
    "check_time",
    [
        "2024-01-04T06:00:00Z",
        "2024-01-01T06:00:00Z",  # the year before
        "2024-03-01T06:00:00Z",  # a leap day
        "2023-03-01T06:00:00Z",
        "2100-03-01T06:00:00Z",  # 2100 is not a leap year
        "2000-03-01T06:00:00Z",  # 2000 is
        "2024-12-31T23:59:59Z",
    ],
)
def test_the_missed_day_check_takes_the_calendar_day_before(day_before, check_time) -> None:
    sfn, arn = day_before
    started = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"flightline": {"check_time": check_time}})
    )["executionArn"]
    run = wait_for(
        lambda: sfn.describe_execution(executionArn=started),
        "the execution to end",
        lambda d: d["status"] != "RUNNING",
    )
    assert run["status"] == "SUCCEEDED", run
    output = json.loads(run["output"])
    moment = dt.datetime.fromisoformat(check_time.replace("Z", "+00:00"))
    assert output["check"] == {
        "flight_date": (moment - dt.timedelta(days=1)).date().isoformat(),
        "checked_at": check_time,
    }
    assert output["flightline"] == {"check_time": check_time}  # the input is kept

"""The day load's crawl and dbt build run at once (day_load's CatalogAndBuild, a Parallel
state), for real in LocalStack's Step Functions: the nested machines are stand-ins that end
as the real ones can (succeed, or fail after sending their own notice), so each test shows
which way the day load leaves and that a failed branch never cuts the other short."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import entered, unique
from tools.e2e.follow import history

from .asl_fragment import ROLE, fragment, run

FAILED = {"F": {"Type": "Fail", "Error": "Flightline.StandIn", "Cause": "a stand-in failed"}}
CRAWLED = {"C": {"Type": "Pass", "Result": {"ran": True}, "ResultPath": "$.crawl", "End": True}}
# The build outlasts a failing crawl: if the failure stopped the other branch, it would show.
BUILT = {
    "Wait": {"Type": "Wait", "Seconds": 3, "Next": "B"},
    "B": {"Type": "Pass", "Result": {"build_id": "b-1"}, "ResultPath": "$.dbt", "End": True},
}


@pytest.fixture
def stand_in(localstack_client) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Creates a machine with the given states (started at the first); deleted afterwards."""
    sfn, made = localstack_client("stepfunctions"), []

    def create(states: dict[str, Any]) -> str:
        definition = {"StartAt": next(iter(states)), "States": states}
        made.append(
            sfn.create_state_machine(
                name=unique("stand-in"), definition=json.dumps(definition), roleArn=ROLE
            )["stateMachineArn"]
        )
        return made[-1]

    yield create
    for arn in made:
        sfn.delete_state_machine(stateMachineArn=arn)


def _load(localstack_client, machines, crawl: str, build: str, flightline=None) -> dict:
    """The day load from CatalogAndBuild to wherever it leaves, with these nested machines."""
    definition = fragment(
        machines["day_load"],
        ["CatalogAndBuild", "CatalogAndBuildSucceeded"],
        {"DayCrawlStateMachineArn": crawl, "MartsBuildStateMachineArn": build},
    )
    payload = {"flightline": flightline or {}, "event": {"bucket": "b", "key": "k"}}
    return run(localstack_client("stepfunctions"), definition, payload)


def _runs(localstack_client, machine: str) -> list[str]:
    sfn = localstack_client("stepfunctions")
    return [e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]


def test_both_succeeded_records_the_day_as_built(localstack_client, machines, stand_in):
    ended = _load(localstack_client, machines, stand_in(CRAWLED), stand_in(BUILT))
    assert ended["status"] == "SUCCEEDED", ended
    assert ended["output"]["left_to"] == "RecordDayBuilt"
    assert ended["output"]["branches"] == [{"crawl": {"ran": True}}, {"dbt": {"build_id": "b-1"}}]
    # The followed history shows both children's states in place of the tasks that ran them
    # (their events interleave in the parent's history).
    followed = entered(history(localstack_client("stepfunctions"), ended["executionArn"]))
    assert {"C", "Wait", "B"} <= set(followed)
    assert not {"CrawlOrRegisterPartition", "BuildMarts"} & set(followed)


def test_a_failed_crawl_fails_the_day_after_the_build_ended(localstack_client, machines, stand_in):
    build = stand_in(BUILT)
    ended = _load(localstack_client, machines, stand_in(FAILED), build)
    assert ended["output"]["left_to"] == "NestedRunFailed"  # not built: loaded again later
    assert ended["output"]["branches"][0]["error"]["Error"] == "States.TaskFailed"
    assert ended["output"]["branches"][1] == {"dbt": {"build_id": "b-1"}}
    assert _runs(localstack_client, build) == ["SUCCEEDED"]  # the build was not stopped


def test_a_failed_build_fails_the_day(localstack_client, machines, stand_in):
    ended = _load(localstack_client, machines, stand_in(CRAWLED), stand_in(FAILED))
    assert ended["output"]["left_to"] == "NestedRunFailed"
    assert ended["output"]["branches"][0] == {"crawl": {"ran": True}}
    assert "error" in ended["output"]["branches"][1]


def test_a_backfill_day_is_crawled_and_its_build_deferred(localstack_client, machines, stand_in):
    build = stand_in(BUILT)
    ended = _load(
        localstack_client, machines, stand_in(CRAWLED), build, flightline={"backfill": "b-1"}
    )
    assert ended["output"]["left_to"] == "BuildSuccessNotice"  # not recorded: the backfill does
    assert ended["output"]["branches"][1]["dbt"]["status"] == "DEFERRED"
    assert _runs(localstack_client, build) == []

"""Every service error a Retry or Catch names is one the integration can raise.

"Handling errors in Step Functions workflows" and "AWS SDK service integrations": a service
error reaches the workflow as `<Service>.<Error>Exception`, the error being one the service's
API model declares; an error the model does not declare (S3's SlowDown, InternalError,
AccessDenied) reaches it as the SDK's generic `<Service>.<Service>Exception`
(`S3.S3Exception`). A Retry on a name that cannot occur never fires. botocore's models are the
services' API models, so they say which names can occur.
"""

from __future__ import annotations

from typing import Any

import botocore.session

# The ASL's error prefix -> botocore's service name.
SERVICES = {
    "S3": "s3",
    "Glue": "glue",
    "DynamoDB": "dynamodb",
    "SNS": "sns",
    "Sfn": "stepfunctions",
    "CodeBuild": "codebuild",
}


def _declared(service: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    names = {shape.name.removesuffix("Exception") for shape in model.error_shapes}
    return {f"{name}Exception" for name in names}


def _named_errors(states: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for name, state in states.items():
        for handler in [*state.get("Retry", []), *state.get("Catch", [])]:
            found += [(name, error) for error in handler["ErrorEquals"]]
        if "ItemProcessor" in state:
            found += _named_errors(state["ItemProcessor"]["States"])
    return found


def _every_named_error(machines: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (f"{machine}.{state}", error)
        for machine, asl in machines.items()
        for state, error in _named_errors(asl["States"])
    ]


def test_retries_and_catches_name_errors_the_services_raise(machines: dict[str, Any]) -> None:
    unknown = []
    for state, error in _every_named_error(machines):
        prefix, _, name = error.partition(".")
        if prefix not in SERVICES:
            assert prefix in ("States", "Flightline"), (state, error)
            continue
        generic = f"{prefix}Exception"
        if name != generic and name not in _declared(SERVICES[prefix]):
            unknown.append((state, error))
    assert unknown == []


def test_s3_throttling_and_server_errors_are_retried_by_their_real_name(
    machines: dict[str, Any],
) -> None:
    for state, error in _every_named_error(machines):
        assert error not in ("S3.SlowDownException", "S3.InternalErrorException"), state
    listings = {
        "day": "CountDayFiles",
        "day_fingerprint": "ListDayFiles",
        "day_load": "ReadRunSummary",
    }
    for machine, name in listings.items():
        retried = {e for r in machines[machine]["States"][name]["Retry"] for e in r["ErrorEquals"]}
        assert "S3.S3Exception" in retried, name

"""`make smoke` (tools/deploy/smoke.py): the read-only checks of a deployed environment.

The integration tests deploy their own environment (unique EnvName) to the real LocalStack
once for the module, check that smoke passes, then break one thing at a time (disable the
EventBridge rule, delete the Glue job's script), check that smoke fails naming it, and put
it back. The fast tests pin the CI role's permissions and the stack outputs smoke relies on,
and the pass/fail reporting against stand-in clients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from tests.fixtures.pipeline import drop_env_users, local_logins
from tools.deploy import smoke
from tools.deploy.config import load_env
from tools.deploy.disposable import Deployment, deployed
from tools.local import postgres as localpg

# --- fast: what smoke relies on ------------------------------------------------------------


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_the_deploy_role_grants_every_smoke_call_scoped_to_the_environment(
    templates: dict[str, dict[str, Any]],
) -> None:
    role = templates["ci-deploy-role"]["Resources"]["DeployRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    for action in smoke.REQUIRED_ACTIONS:
        granting = [s for s in statements if s["Effect"] == "Allow" and action in _actions(s)]
        assert granting, f"the deploy role does not grant {action}"
        for statement in granting:
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            for resource in resources:
                assert resource != "*", f"{action} is not scoped"
                assert "${Project}-${EnvName}-" in resource["Fn::Sub"], (action, resource)


def test_every_crawler_and_rule_is_a_stack_output(templates: dict[str, dict[str, Any]]) -> None:
    # smoke finds crawlers and rules through the *CrawlerName / *RuleName outputs.
    for stack, resource_type, suffix in [
        ("glue", "AWS::Glue::Crawler", "CrawlerName"),
        ("orchestration", "AWS::Events::Rule", "RuleName"),
        ("orchestration", "AWS::StepFunctions::StateMachine", "StateMachineArn"),
    ]:
        template = templates[stack]
        declared = [r for r in template["Resources"].values() if r["Type"] == resource_type]
        outputs = [k for k in template["Outputs"] if k.endswith(suffix)]
        assert len(outputs) == len(declared), (stack, outputs)
    for stack, key in [
        ("storage", "ArtifactsBucketName"),
        ("glue", "JobName"),
        ("orchestration", "DayStateMachineArn"),
        ("orchestration", "NoticeTopicArn"),
    ]:
        assert key in templates[stack]["Outputs"], (stack, key)


class _Fake:
    """Stand-in boto3 clients answering from a dict of resources."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    @staticmethod
    def _missing(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "Call")

    def __call__(self, service: str) -> _Fake:
        return self

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if StackName not in self.state["stacks"]:
            raise self._missing("ValidationError", f"Stack with id {StackName} does not exist")
        status, outputs = self.state["stacks"][StackName]
        pairs = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
        return {"Stacks": [{"StackStatus": status, "Outputs": pairs}]}

    def describe_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        return {"status": "ACTIVE"}

    def get_job(self, JobName: str) -> dict[str, Any]:
        return {"Job": self.state["job"]}

    def get_crawler(self, Name: str) -> dict[str, Any]:
        if Name not in self.state["crawlers"]:
            raise self._missing("EntityNotFoundException", f"Crawler {Name} not found")
        return {"Crawler": {"Name": Name, "State": "READY"}}

    def describe_rule(self, Name: str) -> dict[str, Any]:
        return {"State": self.state["rule_state"]}

    def get_topic_attributes(self, TopicArn: str) -> dict[str, Any]:
        return {"Attributes": {}}

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if (Bucket, Key) not in self.state["objects"]:
            raise self._missing("404", "Not Found")
        return {"ContentLength": 10}


def _fake_env() -> dict[str, Any]:
    config = load_env("dev")
    stacks = {config.stack_name(s): ("UPDATE_COMPLETE", {}) for s in config.stacks}
    stacks["flightline-dev-storage"] = ("CREATE_COMPLETE", {"ArtifactsBucketName": "art"})
    stacks["flightline-dev-glue"] = (
        "UPDATE_COMPLETE",
        {"JobName": "flightline-dev-load", "DailyFlightsCrawlerName": "flightline-dev-daily"},
    )
    stacks["flightline-dev-orchestration"] = (
        "UPDATE_COMPLETE",
        {
            "DayStateMachineArn": "arn:sm",
            "NoticeTopicArn": "arn:topic",
            "DailyFileRuleName": "flightline-dev-daily-file-created",
        },
    )
    return {
        "stacks": stacks,
        "job": {
            "Command": {"ScriptLocation": "s3://art/artifacts/glue/a/glue_entry.py"},
            "DefaultArguments": {"--extra-py-files": "s3://art/artifacts/glue/b/lib.zip"},
        },
        "crawlers": {"flightline-dev-daily"},
        "rule_state": "ENABLED",
        "objects": {("art", "artifacts/glue/a/glue_entry.py"), ("art", "artifacts/glue/b/lib.zip")},
    }


def _run(state: dict[str, Any]) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    code = smoke.smoke(load_env("dev"), _Fake(state), out.append, err.append)
    return code, out, err


def test_a_healthy_environment_passes_with_one_line_per_check() -> None:
    code, out, err = _run(_fake_env())
    assert code == 0, out
    assert err == []
    checks = out[:-1]
    assert all(line.startswith("OK ") for line in checks)
    # 5 stacks, state machine, rule, topic, job, script, library, crawler
    assert len(checks) == 12
    assert out[-1] == "smoke passed for env dev: 12 checks"


def test_failures_are_named_and_the_rest_still_checked() -> None:
    state = _fake_env()
    outputs = state["stacks"]["flightline-dev-orchestration"][1]
    state["stacks"]["flightline-dev-orchestration"] = ("UPDATE_ROLLBACK_COMPLETE", outputs)
    del state["stacks"]["flightline-dev-warehouse"]
    state["rule_state"] = "DISABLED"
    state["crawlers"] = set()
    state["objects"].discard(("art", "artifacts/glue/b/lib.zip"))
    state["job"]["Command"]["ScriptLocation"] = "s3://elsewhere/glue_entry.py"
    code, out, err = _run(state)
    assert code == 1
    failed = [line for line in out if line.startswith("FAIL")]
    assert failed == [
        "FAIL stack flightline-dev-warehouse: stack does not exist",
        "FAIL stack flightline-dev-orchestration: UPDATE_ROLLBACK_COMPLETE",
        "FAIL rule flightline-dev-daily-file-created: DISABLED, expected ENABLED",
        "FAIL glue job script: s3://elsewhere/glue_entry.py is not in the artifacts bucket art",
        "FAIL glue job --extra-py-files: s3://art/artifacts/glue/b/lib.zip does not exist",
        "FAIL crawler flightline-dev-daily: crawler does not exist",
    ]
    (summary,) = err
    assert summary.startswith("smoke FAILED for env dev: 6 of 12 checks: ")
    assert "rule flightline-dev-daily-file-created (DISABLED, expected ENABLED)" in summary


def test_a_missing_stack_fails_the_checks_of_its_resources() -> None:
    state = _fake_env()
    del state["stacks"]["flightline-dev-orchestration"]
    code, out, _ = _run(state)
    assert code == 1
    assert (
        "FAIL state machine (*StateMachineArn): no DayStateMachineArn output from stack "
        in "\n".join(out)
    )
    assert any(line.startswith("FAIL topic (NoticeTopicArn)") for line in out)


def test_missing_credentials_stop_at_the_first_call() -> None:
    class NoCredentials(_Fake):
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            raise NoCredentialsError

    out: list[str] = []
    err: list[str] = []
    assert smoke.smoke(load_env("dev"), NoCredentials(_fake_env()), out.append, err.append) == 1
    assert out == []
    assert err == ["smoke FAILED for env dev: cannot reach AWS: Unable to locate credentials"]


def test_an_unknown_environment_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke.main(["--env", "nosuchenv"]) == 1
    assert "smoke failed: no parameter file" in capsys.readouterr().err


# --- LocalStack ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployment(
    localstack_client: Callable[..., Any], pipeline_database: localpg.ConnInfo
) -> Iterator[Deployment]:
    # Its own database, as each env has its own namespace on AWS: the deploy bootstraps it.
    with deployed("sm", localstack_client, **local_logins(pipeline_database)) as deployment:
        yield deployment
    drop_env_users(pipeline_database, deployment.env)


def run_smoke(deployment: Deployment) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    code = smoke.smoke(deployment.config, deployment.client, out.append, err.append)
    return code, out, err


def failures(out: list[str]) -> list[str]:
    return [line for line in out if line.startswith("FAIL")]


def test_smoke_passes_after_a_deploy(deployment: Deployment) -> None:
    code, out, err = run_smoke(deployment)
    assert code == 0, "\n".join(out + err)
    assert failures(out) == []
    text = "\n".join(out)
    for result in deployment.first:
        assert f"OK   stack {result.stack}: CREATE_COMPLETE" in text
    env = deployment.env
    machines = [v for k, v in deployment.outputs("orchestration").items() if k.endswith("Arn")]
    assert deployment.state_machine("MissedDay") in machines
    for name in (
        *(f"state machine {arn}" for arn in machines if ":stateMachine:" in arn),
        f"rule flightline-{env}-daily-file-created: ENABLED",
        f"rule flightline-{env}-airports-file-created: ENABLED",
        f"rule flightline-{env}-missed-day-check: ENABLED",
        f"topic {deployment.outputs('orchestration')['NoticeTopicArn']}",
        f"glue job flightline-{env}-load",
        "glue job script: s3://",
        "glue job --extra-py-files: s3://",
        f"crawler flightline-{env}-daily-flights",
        f"crawler flightline-{env}-staging-airports",
        f"crawler flightline-{env}-staging-flights",
    ):
        assert f"OK   {name}" in text, name


def test_smoke_names_a_disabled_rule(deployment: Deployment) -> None:
    events = deployment.client("events")
    rule = deployment.outputs("orchestration")["DailyFileRuleName"]
    events.disable_rule(Name=rule)
    try:
        code, out, err = run_smoke(deployment)
    finally:
        events.enable_rule(Name=rule)
    assert code == 1
    assert failures(out) == [f"FAIL rule {rule}: DISABLED, expected ENABLED"]
    assert f"rule {rule} (DISABLED, expected ENABLED)" in err[-1]


def test_smoke_names_a_deleted_glue_script(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    job = deployment.client("glue").get_job(JobName=f"flightline-{deployment.env}-load")["Job"]
    bucket, key = smoke.parse_s3_uri(job["Command"]["ScriptLocation"])
    assert bucket == deployment.outputs("storage")["ArtifactsBucketName"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    try:
        code, out, err = run_smoke(deployment)
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert code == 1
    assert failures(out) == [f"FAIL glue job script: s3://{bucket}/{key} does not exist"]
    assert "glue job script" in err[-1]
    # Put back: smoke passes again (the deployment is shared by the module's tests).
    assert run_smoke(deployment)[0] == 0


def test_fake_env_matches_the_dev_stack_list() -> None:
    # The stand-in above mirrors dev's stack list; a new stack there needs a new entry.
    assert load_env("dev").stacks == ("storage", "network", "warehouse", "glue", "orchestration")

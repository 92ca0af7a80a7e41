"""The declared calls of tools/iam_check/calls.py are the code's own AWS calls: every boto3
operation the Glue job and the deploy tool call has its IAM action declared for the role
that runs it, and the ASL's integrations all have declared permissions."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
import pytest

from tools.iam_check import asl, calls

REPO_ROOT = Path(__file__).resolve().parents[2]
# boto3 conveniences and the IAM action that authorizes the call they make.
CONVENIENCE = {
    ("s3", "download_file"): "s3:GetObject",
    ("s3", "upload_file"): "s3:PutObject",
    ("s3", "head_object"): "s3:GetObject",
    ("s3", "list_objects_v2"): "s3:ListBucket",
}
IAM_PREFIX = {"stepfunctions": "states"}
# Run against emulators only (LocalStack), never by an AWS principal: not declared.
EMULATOR_ONLY = {"tools/deploy/disposable.py"}


def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> IAM action, from botocore's service model."""
    model = botocore.session.get_session().get_service_model(service)
    prefix = IAM_PREFIX.get(service, model.signing_name)
    names = {}
    for operation in model.operation_names:
        snake = botocore.xform_name(operation)
        names[snake] = CONVENIENCE.get((service, snake), f"{prefix}:{operation}")
    for (svc, method), action in CONVENIENCE.items():
        if svc == service:
            names[method] = action
    return names


def _called_methods(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                found.add(node.func.attr)
                # get_paginator("list_objects_v2") calls the named operation.
                if node.func.attr == "get_paginator" and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def _needed(paths: list[Path], services: list[str]) -> set[str]:
    methods = _called_methods(paths)
    needed = set()
    for service in services:
        for method, action in _operations(service).items():
            if method in methods and method not in {"get_paginator", "close"}:
                needed.add(action)
    return needed


@pytest.mark.parametrize(
    ("code", "services", "declared"),
    [
        (
            ["glue/flightline_glue/storage.py", "glue/flightline_glue/warehouse"],
            ["s3", "secretsmanager", "redshift-data"],
            calls.GLUE_JOB,
        ),
        (
            ["tools/deploy"],
            ["cloudformation", "s3", "stepfunctions", "glue", "events", "sns"],
            calls.DEPLOY_TOOL,
        ),
        (
            # The warehouse bootstrap runs the job package's Data API session (sql.py).
            [
                "tools/deploy/warehouse.py",
                "tools/deploy/rotation.py",
                "glue/flightline_glue/warehouse/sql.py",
            ],
            ["redshift-serverless", "secretsmanager", "redshift-data"],
            calls.DEPLOY_TOOL,
        ),
    ],
    ids=["glue-job", "deploy-tool", "deploy-tool-warehouse-bootstrap"],
)
def test_every_aws_call_of_the_code_is_declared(
    code: list[str], services: list[str], declared: list[calls.Call]
) -> None:
    paths: list[Path] = []
    for entry in code:
        path = REPO_ROOT / entry
        paths += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    paths = [p for p in paths if p.relative_to(REPO_ROOT).as_posix() not in EMULATOR_ONLY]
    needed = _needed(paths, services)
    assert needed, "the scan found no AWS call: the test would prove nothing"
    missing = needed - {c.action for c in declared}
    assert not missing, f"called but not declared in tools/iam_check/calls.py: {sorted(missing)}"


def test_the_scan_sees_a_call_the_declaration_lacks(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("def f(c):\n    c.delete_object(Bucket='b', Key='k')\n")
    assert _needed([source], ["s3"]) == {"s3:DeleteObject"}


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "stepfunctions").glob("*.asl.json")), ids=lambda p: p.name
)
def test_every_asl_integration_has_declared_permissions(path: Path) -> None:
    definition = json.loads(path.read_text())
    resources = set(asl.task_resources(definition))
    assert resources
    integrations = {r.removeprefix(asl.TASK_PREFIX) for r in resources}
    assert integrations <= {*asl.INTEGRATIONS, asl.NESTED_SYNC}
    # A nested run's permissions come from the child it names (asl.nested_calls).
    started = {
        c.resource for c in asl.state_machine_calls(path) if c.action == "states:StartExecution"
    }
    children = asl.nested_children(definition, path)
    assert started == {"{" + child + "}" for child in children}
    assert bool(children) == (asl.NESTED_SYNC in integrations)


def test_an_undeclared_integration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.asl.json"
    path.write_text(
        json.dumps(
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "End": True,
                    }
                },
            }
        )
    )
    with pytest.raises(asl.UnknownIntegration, match="lambda:invoke"):
        asl.state_machine_calls(path)

"""Unit tests of the deploy tool's pure parts: config, artifacts, template parameters."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tools.deploy import artifacts, cfn_yaml, config, stacks
from tools.deploy.config import TEMPLATE_DIR
from tools.deploy.stacks import StackDeployer, template_parameters


def make_tree(root: Path) -> None:
    (root / "glue" / "flightline_glue" / "warehouse").mkdir(parents=True)
    (root / "glue" / "glue_entry.py").write_text("print('entry')\n")
    (root / "glue" / "flightline_glue" / "__init__.py").write_text("")
    (root / "glue" / "flightline_glue" / "warehouse" / "base.py").write_text("X = 1\n")
    (root / "glue" / "flightline_glue" / "__pycache__").mkdir()
    (root / "glue" / "flightline_glue" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (root / "stepfunctions").mkdir()
    (root / "stepfunctions" / "day.asl.json").write_text('{"StartAt": "A"}')
    (root / "stepfunctions" / "marts_build.asl.json").write_text('{"StartAt": "B"}')
    dbt = root / "dbt_project"
    for sub in ("models", "target", "logs"):
        (dbt / sub).mkdir(parents=True)
    (dbt / "dbt_project.yml").write_text("name: x\n")
    (dbt / "models" / "m.sql").write_text("select 1\n")
    (dbt / "target" / "manifest.json").write_text("{}")
    (dbt / "logs" / "dbt.log").write_text("log")
    (root / "requirements.txt").write_text(
        "pyspark==3.5.4\ndbt-core==1.11.16\ndbt-redshift==1.11.2\n"
    )


def zip_names(artifact: artifacts.Artifact) -> list[str]:
    return sorted(zipfile.ZipFile(io.BytesIO(artifact.body)).namelist())


def test_library_zip_holds_the_package_without_caches(tmp_path: Path) -> None:
    make_tree(tmp_path)
    library = artifacts.glue_library(tmp_path)
    assert zip_names(library) == [
        "flightline_glue/__init__.py",
        "flightline_glue/warehouse/base.py",
    ]
    assert library.key.startswith("artifacts/glue/")
    assert library.key.endswith("/flightline_glue.zip")


def test_dbt_bundle_skips_build_output_and_carries_the_dbt_pins(tmp_path: Path) -> None:
    make_tree(tmp_path)
    bundle = artifacts.dbt_bundle(tmp_path)
    assert zip_names(bundle) == ["dbt_project.yml", "models/m.sql", "requirements-dbt.txt"]
    pins = zipfile.ZipFile(io.BytesIO(bundle.body)).read("requirements-dbt.txt").decode()
    assert pins == "dbt-core==1.11.16\ndbt-redshift==1.11.2\n"


def test_keys_are_stable_and_change_only_with_content(tmp_path: Path) -> None:
    make_tree(tmp_path)
    first = artifacts.build_all(tmp_path)
    (tmp_path / "dbt_project" / "target" / "manifest.json").write_text('{"changed": 1}')
    again = artifacts.build_all(tmp_path)
    assert [a.key for a in first] == [a.key for a in again]
    assert [a.body for a in first] == [a.body for a in again]  # byte-identical zips
    (tmp_path / "dbt_project" / "models" / "m.sql").write_text("select 2\n")
    changed = {a.parameter: a.key for a in artifacts.build_all(tmp_path)}
    before = {a.parameter: a.key for a in first}
    assert changed["DbtBundleKey"] != before["DbtBundleKey"]
    assert {k: v for k, v in changed.items() if k != "DbtBundleKey"} == {
        k: v for k, v in before.items() if k != "DbtBundleKey"
    }


def test_artifact_parameters_match_the_templates() -> None:
    declared = set()
    for stack in ("glue", "orchestration"):
        declared |= template_parameters((config.TEMPLATE_DIR / f"{stack}.yaml").read_text())
    assert {a.parameter for a in artifacts.build_all()} <= declared


def test_missing_entry_script_is_a_clear_error(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "glue" / "glue_entry.py").unlink()
    with pytest.raises(artifacts.ArtifactError, match="Glue entry script not found"):
        artifacts.build_all(tmp_path)


def write_env(directory: Path, name: str, body: dict) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(body))


def test_env_file_values_may_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    write_env(
        tmp_path / "p",
        "t",
        {
            "stacks": ["storage"],
            "parameters": {
                "EnvName": "t",
                "PostgresPort": {"env": "FLIGHTLINE_PG_PORT", "default": "54329"},
                "Unset": {"env": "FLIGHTLINE_TEST_UNSET_VARIABLE", "default": "fallback"},
            },
        },
    )
    monkeypatch.setenv("FLIGHTLINE_PG_PORT", "54400")
    monkeypatch.delenv("FLIGHTLINE_TEST_UNSET_VARIABLE", raising=False)
    env = config.load_env("t", tmp_path / "p", root=tmp_path)
    assert env.parameters == {"EnvName": "t", "PostgresPort": "54400", "Unset": "fallback"}


def test_env_file_values_may_come_from_a_local_file(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cr3t\n")
    write_env(
        tmp_path / "p",
        "t",
        {
            "stacks": ["storage", "warehouse"],
            "parameters": {
                "EnvName": "t",
                "PostgresPassword": {"file": "secret.txt", "default": ""},
                "Other": {"file": "missing.txt", "default": "fallback"},
                "Port": 5432,
            },
        },
    )
    env = config.load_env("t", tmp_path / "p", root=tmp_path)
    assert env.parameters == {
        "EnvName": "t",
        "PostgresPassword": "s3cr3t",
        "Other": "fallback",
        "Port": "5432",
    }
    assert env.stack_name("storage") == "flightline-t-storage"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"stacks": ["glue", "storage"], "parameters": {"EnvName": "t"}}, "must come first"),
        ({"stacks": ["storage", "glue", "network"], "parameters": {"EnvName": "t"}}, "order"),
        ({"stacks": ["storage", "lambda"], "parameters": {"EnvName": "t"}}, "unknown stacks"),
        ({"parameters": {"EnvName": "other"}}, "EnvName must be 't'"),
    ],
)
def test_env_file_mistakes_are_reported(tmp_path: Path, body: dict, message: str) -> None:
    write_env(tmp_path, "t", body)
    with pytest.raises(config.ConfigError, match=message):
        config.load_env("t", tmp_path, root=tmp_path)


def test_unknown_env_lists_the_known_ones(tmp_path: Path) -> None:
    write_env(tmp_path, "dev", {"parameters": {"EnvName": "dev"}})
    with pytest.raises(config.ConfigError, match=r"environments: dev"):
        config.load_env("nope", tmp_path, root=tmp_path)


def test_failure_message_names_the_failing_resources() -> None:
    stack = {"StackStatus": "ROLLBACK_COMPLETE", "StackStatusReason": "rolled back"}
    events = [
        {
            "LogicalResourceId": "Bucket",
            "ResourceType": "AWS::S3::Bucket",
            "ResourceStatus": "CREATE_FAILED",
            "ResourceStatusReason": "already exists",
        },
        {"LogicalResourceId": "s", "ResourceType": "AWS::CloudFormation::Stack"},
    ]
    message = StackDeployer._failure_message("s", stack, events)
    assert message.splitlines() == [
        "s: ROLLBACK_COMPLETE (rolled back)",
        "  failed: Bucket (AWS::S3::Bucket): already exists",
    ]


def test_unknown_stack_names_are_rejected_before_any_aws_call() -> None:
    from tools.deploy.environment import deploy_env

    def no_aws(service: str) -> None:
        raise AssertionError(f"called AWS ({service})")

    with pytest.raises(config.ConfigError, match=r"unknown stacks \['lambda'\]"):
        deploy_env(config.load_env("dev"), no_aws, stacks=["lambda"])


def test_a_template_over_the_body_limit_is_sent_in_its_compact_json_form() -> None:
    # The orchestration stack (eight machines, a role each) is over 51,200 bytes as written,
    # comments included; CloudFormation would refuse that TemplateBody.
    text = (TEMPLATE_DIR / "orchestration.yaml").read_text(encoding="utf-8")
    assert len(text.encode()) > stacks.TEMPLATE_BODY_LIMIT
    body = stacks.template_body("orchestration", text)
    assert len(body.encode()) <= stacks.TEMPLATE_BODY_LIMIT
    assert json.loads(body) == cfn_yaml.loads(text)  # the same template
    small = (TEMPLATE_DIR / "storage.yaml").read_text(encoding="utf-8")
    assert stacks.template_body("storage", small) == small  # as written when it fits


def test_a_template_over_the_limit_even_as_json_is_refused() -> None:
    resources = {f"Topic{n:05d}": {"Type": "AWS::SNS::Topic"} for n in range(2000)}
    text = json.dumps({"Resources": resources}, indent=1)
    with pytest.raises(stacks.DeployError, match="over 51200 bytes; split it"):
        stacks.template_body("big", text)

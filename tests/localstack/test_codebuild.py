"""CodeBuild in LocalStack: builds run the buildspec phases locally."""

from __future__ import annotations

import io
import textwrap
import zipfile

import pytest
import yaml

from tests.helpers import unique, wait_for, zip_bytes

ROLE = "arn:aws:iam::000000000000:role/codebuild"


def _project(
    codebuild, buildspec: str | None = None, source: dict | None = None, env=None, **extra
) -> str:
    name = unique("test-project")
    codebuild.create_project(
        **extra,
        name=name,
        source=source or {"type": "NO_SOURCE", "buildspec": buildspec},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": env or [],
        },
        serviceRole=ROLE,
    )
    return name


def _wait_build(codebuild, build_id: str) -> dict:
    return wait_for(
        lambda: codebuild.batch_get_builds(ids=[build_id])["builds"][0],
        f"build {build_id}",
        lambda build: build["buildStatus"] != "IN_PROGRESS",
    )


def _build(codebuild, project: str) -> dict:
    """Start a build of the project and wait for its end."""
    return _wait_build(codebuild, codebuild.start_build(projectName=project)["build"]["id"])


def _buildspec(**phases: list[str]) -> str:
    """A buildspec with these commands per phase, e.g. _buildspec(build=["make"])."""
    spec = {name: {"commands": commands} for name, commands in phases.items()}
    return yaml.safe_dump({"version": 0.2, "phases": spec}, sort_keys=False)


def _phases(build: dict) -> dict[str, dict]:
    return {phase["phaseType"]: phase for phase in build["phases"]}


def _log(localstack_state_dir, build: dict) -> str:
    project, build_uuid = build["id"].split(":", 1)
    return (localstack_state_dir / "codebuild-runs" / project / f"{build_uuid}.log").read_text()


def test_build_runs_phases_with_project_and_override_variables(
    codebuild, localstack_client, localstack_bucket, localstack_state_dir
):
    put_object = (
        "import boto3; boto3.client('s3').put_object("
        f"Bucket='{localstack_bucket}', Key='built.txt', Body=b'$FLIGHT_DATE')"
    )
    buildspec = textwrap.dedent(
        f"""
        version: 0.2
        env:
          variables:
            FROM_SPEC: spec-value
        phases:
          install:
            commands:
              - echo "installing"
          pre_build:
            commands:
              - export FROM_PRE=carried
              - mkdir -p work && cd work
          build:
            commands:
              - echo "says $GREETING for $FLIGHT_DATE with $FROM_PRE and $FROM_SPEC in ${{PWD##*/}}"
              - python -c "{put_object}"
          post_build:
            commands:
              - echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"
        """
    )
    project = _project(
        codebuild,
        buildspec,
        env=[
            {"name": "GREETING", "value": "hello", "type": "PLAINTEXT"},
            {"name": "FLIGHT_DATE", "value": "unset", "type": "PLAINTEXT"},
        ],
    )

    started = codebuild.start_build(
        projectName=project,
        environmentVariablesOverride=[
            {"name": "FLIGHT_DATE", "value": "2024-01-01", "type": "PLAINTEXT"},
            {"name": "GREETING", "value": "hi", "type": "PLAINTEXT"},
        ],
    )["build"]
    assert started["buildStatus"] == "IN_PROGRESS"
    build = _wait_build(codebuild, started["id"])

    assert build["buildStatus"] == "SUCCEEDED"
    assert build["buildComplete"] is True
    phases = _phases(build)
    for phase in ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"):
        assert phases[phase]["phaseStatus"] == "SUCCEEDED"
    assert build["currentPhase"] == "COMPLETED"
    log = _log(localstack_state_dir, build)
    assert "says hi for 2024-01-01 with carried and spec-value in work" in log
    assert "post succeeding=1" in log
    s3 = localstack_client("s3")
    assert s3.get_object(Bucket=localstack_bucket, Key="built.txt")["Body"].read() == b"2024-01-01"


def test_exported_variables_take_their_values_when_post_build_ends(codebuild):
    # AWS CodeBuild API Reference, "ExportedEnvironmentVariable": values may change until
    # post_build ends; BatchGetBuilds then lists them.
    buildspec = textwrap.dedent(
        """
        version: 0.2
        env:
          exported-variables:
            - MEASURED
            - FROM_PROJECT
            - NEVER_SET
        phases:
          build:
            commands:
              - export MEASURED=1.5
          post_build:
            commands:
              - export MEASURED="$MEASURED then 2.5"
        """
    )
    project = _project(
        codebuild, buildspec, env=[{"name": "FROM_PROJECT", "value": "p", "type": "PLAINTEXT"}]
    )
    build = _build(codebuild, project)
    assert build["buildStatus"] == "SUCCEEDED"
    assert build["exportedEnvironmentVariables"] == [
        {"name": "MEASURED", "value": "1.5 then 2.5"},
        {"name": "FROM_PROJECT", "value": "p"},
        {"name": "NEVER_SET"},
    ]
    # a buildspec that exports nothing lists nothing
    plain = _build(codebuild, _project(codebuild, _buildspec(build=["export MEASURED=1"])))
    assert "exportedEnvironmentVariables" not in plain


def test_failing_build_command_fails_the_build_and_still_runs_post_build(
    codebuild, localstack_state_dir
):
    buildspec = _buildspec(
        build=['echo "before"', "exit 3", 'echo "never printed"'],
        post_build=['echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"'],
    )

    build = _build(codebuild, _project(codebuild, buildspec))

    assert build["buildStatus"] == "FAILED"
    phases = _phases(build)
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert "exit 3" in phases["BUILD"]["contexts"][0]["message"]
    assert "exit status 3" in phases["BUILD"]["contexts"][0]["message"]
    assert phases["POST_BUILD"]["phaseStatus"] == "SUCCEEDED"
    log = _log(localstack_state_dir, build)
    assert "before" in log
    assert "never printed" not in log
    assert "post succeeding=0" in log


def test_failing_pre_build_skips_build_and_post_build(codebuild, localstack_state_dir):
    buildspec = _buildspec(
        pre_build=["false"], build=['echo "build ran"'], post_build=['echo "post ran"']
    )

    build = _build(codebuild, _project(codebuild, buildspec))

    phases = _phases(build)
    assert build["buildStatus"] == "FAILED"
    assert phases["PRE_BUILD"]["phaseStatus"] == "FAILED"
    assert "BUILD" not in phases
    assert "POST_BUILD" not in phases
    log = _log(localstack_state_dir, build)
    assert "build ran" not in log
    assert "post ran" not in log


def test_s3_zip_source_with_buildspec_file(
    codebuild, localstack_client, localstack_bucket, localstack_state_dir
):
    s3 = localstack_client("s3")
    bundle = zip_bytes(
        {
            "buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - sh run.sh\n",
            "run.sh": 'echo "from the bundle: $(cat data/value.txt)"\n',
            "data/value.txt": "42",
        }
    )
    s3.put_object(Bucket=localstack_bucket, Key="bundles/dbt.zip", Body=bundle)
    project = _project(
        codebuild, source={"type": "S3", "location": f"{localstack_bucket}/bundles/dbt.zip"}
    )

    build = _build(codebuild, project)

    assert build["buildStatus"] == "SUCCEEDED"
    assert "from the bundle: 42" in _log(localstack_state_dir, build)


def test_missing_source_is_a_fault(codebuild, localstack_bucket):
    project = _project(
        codebuild, source={"type": "S3", "location": f"{localstack_bucket}/bundles/none.zip"}
    )

    build = _build(codebuild, project)

    assert build["buildStatus"] == "FAULT"
    assert _phases(build)["DOWNLOAD_SOURCE"]["phaseStatus"] == "FAILED"


def test_build_listing_and_unknown_ids(codebuild):
    project = _project(codebuild, _buildspec(build=["true"]))
    build_id = codebuild.start_build(projectName=project)["build"]["id"]
    _wait_build(codebuild, build_id)

    assert codebuild.list_builds_for_project(projectName=project)["ids"] == [build_id]
    response = codebuild.batch_get_builds(ids=[build_id, f"{project}:nope"])
    assert [b["id"] for b in response["builds"]] == [build_id]
    assert response["buildsNotFound"] == [f"{project}:nope"]
    projects = codebuild.batch_get_projects(names=[project])["projects"]
    assert projects[0]["source"]["type"] == "NO_SOURCE"
    assert "location" not in projects[0]["source"]


SLOW_BUILD = _buildspec(build=["sleep 3"])


def test_build_limit_refuses_a_build_while_the_project_is_at_its_limit(codebuild):
    # AWS CodeBuild User Guide, "Builds in AWS CodeBuild": with a project concurrent build
    # limit set, StartBuild returns an error at the limit; builds are not queued.
    project = _project(codebuild, SLOW_BUILD, concurrentBuildLimit=1, queuedTimeoutInMinutes=30)
    assert codebuild.batch_get_projects(names=[project])["projects"][0]["concurrentBuildLimit"] == 1

    first = codebuild.start_build(projectName=project)["build"]
    with pytest.raises(codebuild.exceptions.AccountLimitExceededException) as refused:
        codebuild.start_build(projectName=project)

    assert project in refused.value.response["Error"]["Message"]
    assert codebuild.list_builds_for_project(projectName=project)["ids"] == [first["id"]]
    first = _wait_build(codebuild, first["id"])
    assert first["buildStatus"] == "SUCCEEDED"
    # The slot is free again once the running build has ended.
    again = _build(codebuild, project)
    assert again["buildStatus"] == "SUCCEEDED"
    assert "QUEUED" in _phases(again)


def test_removing_the_build_limit_lets_builds_run_at_once(codebuild):
    project = _project(codebuild, SLOW_BUILD, concurrentBuildLimit=1)
    codebuild.update_project(name=project, concurrentBuildLimit=-1)
    ids = [codebuild.start_build(projectName=project)["build"]["id"] for _ in range(2)]

    first, second = (_wait_build(codebuild, build_id) for build_id in ids)

    assert first["buildStatus"] == second["buildStatus"] == "SUCCEEDED"
    assert _phases(second)["BUILD"]["startTime"] < first["endTime"]


def test_without_a_build_limit_builds_run_at_once(codebuild):
    project = _project(codebuild, SLOW_BUILD)
    ids = [codebuild.start_build(projectName=project)["build"]["id"] for _ in range(2)]

    first, second = (_wait_build(codebuild, build_id) for build_id in ids)

    assert first["buildStatus"] == second["buildStatus"] == "SUCCEEDED"
    assert _phases(second)["BUILD"]["startTime"] < first["endTime"]


def test_stop_build_ends_commands_that_ignore_sigterm(codebuild, localstack_state_dir):
    # StopBuild ends the running phase's processes: SIGTERM, then SIGKILL after a grace
    # period for those that ignore it (a dbt run stuck in a query must not outlive its build).
    buildspec = _buildspec(build=["trap '' TERM; echo \"ignoring $((6 * 7))\"; sleep 600"])
    project = _project(codebuild, buildspec)
    build_id = codebuild.start_build(projectName=project)["build"]["id"]
    log_path = localstack_state_dir / "codebuild-runs" / project / f"{build_id.split(':')[1]}.log"
    wait_for(
        lambda: log_path.read_text() if log_path.exists() else "",
        "the command to start",
        lambda log: "ignoring 42" in log,  # printed by the command once SIGTERM is ignored
    )

    codebuild.stop_build(id=build_id)
    build = _wait_build(codebuild, build_id)

    assert build["buildStatus"] == "STOPPED"
    assert _phases(build)["BUILD"]["phaseStatus"] == "STOPPED"


def _cached_buildspec(build: list[str], **section) -> str:
    spec = {
        "version": 0.2,
        "phases": {"build": {"commands": build}},
        "cache": {"paths": ["target/*.msgpack"], **section},
    }
    return yaml.safe_dump(spec, sort_keys=False)


def test_s3_cache_carries_the_cache_paths_to_the_next_build_after_success_only(
    codebuild, localstack_client, localstack_bucket, localstack_state_dir
):
    # "Amazon S3 caching" (AWS CodeBuild User Guide): the buildspec's cache paths are kept
    # in the project's S3 cache location and restored into the next build. Stored only after
    # a build that succeeded (what AWS does after a failure is not documented).
    step = (
        "mkdir -p target; cat target/parse.msgpack 2>/dev/null || echo none;"
        ' echo "$STEP" > target/parse.msgpack; echo other > target/other.txt; exit "${FAIL:-0}"'
    )
    cache = {"type": "S3", "location": f"{localstack_bucket}/cache/dbt"}
    project = _project(codebuild, _cached_buildspec([step]), cache=cache)

    def build(step: str, fail: str = "0") -> dict:
        variables = [{"name": "STEP", "value": step}, {"name": "FAIL", "value": fail}]
        started = codebuild.start_build(projectName=project, environmentVariablesOverride=variables)
        return _wait_build(codebuild, started["build"]["id"])

    first = build("first")
    assert first["buildStatus"] == "SUCCEEDED"
    assert first["cache"] == cache
    s3 = localstack_client("s3")
    stored = s3.list_objects_v2(Bucket=localstack_bucket, Prefix="cache/dbt/")["Contents"]
    assert [o["Key"] for o in stored] == [f"cache/dbt/{project}.zip"]
    assert build("failed", fail="3")["buildStatus"] == "FAILED"
    third = build("third")
    assert third["buildStatus"] == "SUCCEEDED"
    # The third build found the first's file (the failed build stored nothing) ...
    printed = _log(localstack_state_dir, third).split("Running command", 2)[-1]
    assert "first" in printed
    assert "failed" not in printed
    # ... and only what the buildspec's paths match is kept (not other.txt).
    archive = s3.get_object(Bucket=localstack_bucket, Key=f"cache/dbt/{project}.zip")
    names = zipfile.ZipFile(io.BytesIO(archive["Body"].read())).namelist()
    assert names == ["target/parse.msgpack"]


def test_s3_cache_restores_before_install(codebuild, localstack_bucket, localstack_state_dir):
    cache = {"type": "S3", "location": f"{localstack_bucket}/cache/order"}
    write = "mkdir -p target && echo kept > target/parse.msgpack"
    project = _project(codebuild, _cached_buildspec([write]), cache=cache)
    assert _build(codebuild, project)["buildStatus"] == "SUCCEEDED"
    spec = yaml.safe_load(_cached_buildspec(["true"]))
    spec["phases"] = {"install": {"commands": ["cat target/parse.msgpack"]}}
    codebuild.update_project(
        name=project, source={"type": "NO_SOURCE", "buildspec": yaml.safe_dump(spec)}
    )

    build = _build(codebuild, project)

    assert build["buildStatus"] == "SUCCEEDED"
    assert "kept" in _log(localstack_state_dir, build)


@pytest.mark.parametrize(
    ("cache", "section", "reason"),
    [
        ({"type": "S3", "location": "b/c"}, {"key": "deps-1"}, "cache key"),
        ({"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE"]}, {}, "cache type LOCAL"),
    ],
)
def test_cache_features_not_emulated_fail_the_build(codebuild, cache, section, reason):
    # Fail closed: a cache this emulator cannot keep as AWS does is an error, not a no-op.
    project = _project(codebuild, _cached_buildspec(["true"], **section), cache=cache)

    build = _build(codebuild, project)

    assert build["buildStatus"] == "FAULT"
    assert reason in _phases(build)["DOWNLOAD_SOURCE"]["contexts"][0]["message"]

"""LocalStack's state reset reaches the plugin's services, as it reaches LocalStack's own:
the Glue catalog, jobs and runs, and CodeBuild projects and builds are forgotten, and what
was running is stopped (localstack/flightline_localstack/state_reset.py)."""

from __future__ import annotations

import json
import subprocess
import textwrap
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.localstack import client_for
from tests.helpers import job_run, unique, wait_for

SLEEPER = textwrap.dedent(
    """
    import time
    time.sleep(600)
    """
)
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 600\n"


def reset(endpoint: str, service: str) -> dict:
    """POST /_localstack/state/<service>/reset (the endpoint is always http on loopback)."""
    url = f"{endpoint}/_localstack/state/{service}/reset"
    request = urllib.request.Request(url, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def processes_named(text: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True, check=False)
    return found.stdout.split()


def test_a_glue_reset_forgets_the_catalog_and_jobs_and_stops_their_runs(private_localstack):
    glue, s3 = client_for(private_localstack, "glue"), client_for(private_localstack, "s3")
    bucket, job, database = unique("reset"), unique("reset-job"), unique("reset_db")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="sleeper.py", Body=SLEEPER.encode())
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_job(
        Name=job,
        Role="arn:aws:iam::000000000000:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/sleeper.py"},
        GlueVersion="6.0",
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    wait_for(lambda: job_run(glue, job, run_id)["JobRunState"] == "RUNNING", "the run to start")
    wait_for(lambda: processes_named(job), "the run's process")

    assert reset(private_localstack, "glue") == {"reset": ["glue"]}

    with pytest.raises(ClientError, match="EntityNotFoundException"):
        glue.get_job(JobName=job)
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        glue.get_database(Name=database)
    assert wait_for(lambda: not processes_named(job), "the run's process to end")
    assert s3.head_bucket(Bucket=bucket)  # other services keep their state


def test_a_codebuild_reset_forgets_projects_and_builds(private_localstack):
    codebuild = client_for(private_localstack, "codebuild")
    project = unique("reset-project")
    codebuild.create_project(
        name=project,
        source={"type": "NO_SOURCE", "buildspec": BUILDSPEC},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:8.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::000000000000:role/codebuild",
    )
    build = codebuild.start_build(projectName=project)["build"]["id"]

    def phase() -> str:
        return codebuild.batch_get_builds(ids=[build])["builds"][0]["currentPhase"]

    wait_for(lambda: phase() == "BUILD", "the build phase")

    assert reset(private_localstack, "codebuild") == {"reset": ["codebuild"]}

    assert project not in codebuild.list_projects()["projects"]
    assert codebuild.batch_get_builds(ids=[build])["buildsNotFound"] == [build]

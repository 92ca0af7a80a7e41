"""Glue job runs in LocalStack run the real script with the pipeline's Python."""

from __future__ import annotations

import json
import textwrap

import pytest
from botocore.exceptions import ClientError

from tests.helpers import (
    job_run,
    unique,
    wait_for,
    wait_job_run_done,
    zip_bytes,
)

# A job script as Glue runs it: `--key value` pairs on argv, AWS settings in the environment.
WRITER = textwrap.dedent(
    """
    import json, os, sys
    import boto3
    import flhelper

    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    print("writer starting", flush=True)
    body = {
        "argv": sys.argv[1:],
        "args": args,
        "helper": flhelper.shout("ok"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "runtime": os.environ.get("FLIGHTLINE_GLUE_RUNTIME"),
    }
    boto3.client("s3").put_object(
        Bucket=args["--output_bucket"],
        Key=f"runs/{args['--JOB_RUN_ID']}/out.json",
        Body=json.dumps(body).encode(),
    )
    print("writer done", flush=True)
    """
)

FAILING = textwrap.dedent(
    """
    import sys
    print("about to fail", flush=True)
    print("some progress on stderr", file=sys.stderr)
    raise ValueError("missing column DepDelay in daily_flights/date=2024-01-01/flights.csv")
    """
)

# Runs until an object `release` exists in the bucket: lets a test hold a run in RUNNING
# for as long as it needs, with no sleeps in the test.
WAITER = textwrap.dedent(
    """
    import sys, time
    import boto3

    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    s3 = boto3.client("s3")
    for _ in range(1200):
        if s3.list_objects_v2(Bucket=args["--output_bucket"], Prefix="release").get("KeyCount"):
            sys.exit(0)
        time.sleep(0.1)
    sys.exit("never released")
    """
)


def _job(glue, s3, bucket: str, script: str, **extra) -> str:
    name = unique("test-job")
    s3.put_object(Bucket=bucket, Key=f"scripts/{name}.py", Body=script.encode())
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::000000000000:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{bucket}/scripts/{name}.py"},
        GlueVersion="6.0",
        **extra,
    )
    return name


def test_run_executes_the_script_with_merged_arguments(
    glue, s3, localstack_bucket, localstack_state_dir
):
    bucket = localstack_bucket
    s3.put_object(
        Bucket=bucket,
        Key="lib/helper.zip",
        Body=zip_bytes({"flhelper.py": "def shout(text):\n    return text.upper() + '!'\n"}),
    )
    job = _job(
        glue,
        s3,
        bucket,
        WRITER,
        DefaultArguments={
            "--output_bucket": bucket,
            "--greeting": "default",
            "--source_root": f"s3://{bucket}",
            "--extra-py-files": f"s3://{bucket}/lib/helper.zip",
        },
    )
    run_id = glue.start_job_run(
        JobName=job, Arguments={"--greeting": "override", "--flight_date": "2024-01-01"}
    )["JobRunId"]

    run = wait_job_run_done(glue, job, run_id)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert "ErrorMessage" not in run
    assert run["CompletedOn"] >= run["StartedOn"]
    assert run["ExecutionClass"] == "STANDARD"  # the notice's usage reads it, as on AWS
    out = json.loads(s3.get_object(Bucket=bucket, Key=f"runs/{run_id}/out.json")["Body"].read())
    assert out["args"]["--greeting"] == "override"  # run arguments override defaults
    assert out["args"]["--flight_date"] == "2024-01-01"
    assert out["args"]["--source_root"] == f"s3://{bucket}"  # defaults still there
    assert out["argv"][:4] == ["--JOB_NAME", job, "--JOB_RUN_ID", run_id]  # reserved first
    assert out["helper"] == "OK!"  # --extra-py-files zip is importable
    assert out["endpoint"].startswith("http://127.0.0.1:")
    assert out["runtime"] == "localstack"
    log = (localstack_state_dir / "glue-runs" / job / f"{run_id}.log").read_text()
    assert "writer starting" in log
    assert "writer done" in log
    runs = glue.get_job_runs(JobName=job)["JobRuns"]
    assert [r["Id"] for r in runs] == [run_id]
    assert runs[0]["JobRunState"] == "SUCCEEDED"


def test_failing_script_fails_the_run_with_its_exception(
    glue, s3, localstack_bucket, localstack_state_dir
):
    job = _job(glue, s3, localstack_bucket, FAILING)
    run_id = glue.start_job_run(JobName=job)["JobRunId"]

    run = wait_job_run_done(glue, job, run_id)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == (
        "ValueError: missing column DepDelay in daily_flights/date=2024-01-01/flights.csv"
    )
    log = (localstack_state_dir / "glue-runs" / job / f"{run_id}.log").read_text()
    assert "Traceback (most recent call last)" in log
    assert "about to fail" in log


# Spark's JVM logs to stderr before and after the Python error; the run's ErrorMessage is the
# error, as in AWS, not the last line of chatter.
JVM_START = "print('26/11/27 13:52:01 WARN NativeCodeLoader: no native-hadoop', file=sys.stderr)"
JVM_SHUTDOWN = (
    "atexit.register(print, '26/11/27 13:52:03 INFO ShutdownHookManager: Shutdown hook called',"
    " file=sys.stderr)"
)


@pytest.mark.parametrize(
    ("ending", "error"),
    [
        (
            "raise LookupError('NoSuchKey: daily_flights/date=2024-01-01/flights.csv')",
            "LookupError: NoSuchKey: daily_flights/date=2024-01-01/flights.csv",
        ),
        (
            "sys.exit('error: missing job argument(s): --flight_date')",
            "error: missing job argument(s): --flight_date",
        ),
    ],
    ids=["traceback", "exit-message"],
)
def test_error_message_is_the_error_not_the_jvm_chatter(glue, s3, localstack_bucket, ending, error):
    script = "\n".join(["import atexit, sys", JVM_START, JVM_SHUTDOWN, ending]) + "\n"
    job = _job(glue, s3, localstack_bucket, script)

    run = wait_job_run_done(glue, job, glue.start_job_run(JobName=job)["JobRunId"])

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == error


def test_silent_crash_names_the_exit_code(glue, s3, localstack_bucket):
    job = _job(glue, s3, localstack_bucket, "import os\nos._exit(137)\n")

    run = wait_job_run_done(glue, job, glue.start_job_run(JobName=job)["JobRunId"])

    assert run["JobRunState"] == "FAILED"
    assert "exited with code 137" in run["ErrorMessage"]


def test_the_projects_package_comes_only_from_extra_py_files(glue, s3, localstack_bucket):
    # AWS Glue provides pyspark and boto3, never this project's package: a job that forgets
    # its --extra-py-files zip fails there, so it must fail here too instead of importing the
    # package installed in the local venv.
    script = "import boto3\nimport pyspark\nimport flightline_glue\n"
    job = _job(glue, s3, localstack_bucket, script)
    run_id = glue.start_job_run(JobName=job)["JobRunId"]

    run = wait_job_run_done(glue, job, run_id)

    assert run["JobRunState"] == "FAILED"
    assert "No module named 'flightline_glue'" in run["ErrorMessage"]


WHO_AM_I = textwrap.dedent(
    """
    import sys
    import boto3

    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    boto3.client("s3").put_object(Bucket=args["--output_bucket"], Key="whoami", Body=arn.encode())
    """
)


def test_a_run_calls_aws_as_the_jobs_role(glue, s3, localstack_bucket, localstack_client):
    # Glue runs the script with the job's IAM role ("Setting up IAM permissions for AWS
    # Glue": the role the job assumes to call other services), never the account's root:
    # the Redshift Data API maps that role to the job's IAMR: database user.
    iam = localstack_client("iam")
    role = unique("test-job-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
             "Action": "sts:AssumeRole"}
        ],
    }  # fmt: skip
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    job = _job(glue, s3, localstack_bucket, WHO_AM_I)
    # UpdateJob replaces the whole definition: the job as _job made it, with this role.
    definition = glue.get_job(JobName=job)["Job"]
    glue.update_job(JobName=job, JobUpdate={
        "Role": arn, "Command": definition["Command"], "GlueVersion": "6.0",
        "DefaultArguments": {"--output_bucket": localstack_bucket}})  # fmt: skip

    run = wait_job_run_done(glue, job, glue.start_job_run(JobName=job)["JobRunId"])

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    caller = s3.get_object(Bucket=localstack_bucket, Key="whoami")["Body"].read().decode()
    assert caller.startswith(f"arn:aws:sts::000000000000:assumed-role/{role}/")


def test_missing_script_fails_the_run(glue, localstack_bucket):
    job = unique("test-job")
    glue.create_job(
        Name=job,
        Role="arn:aws:iam::000000000000:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{localstack_bucket}/nope.py"},
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]

    run = wait_job_run_done(glue, job, run_id)

    assert run["JobRunState"] == "FAILED"
    assert f"s3://{localstack_bucket}/nope.py" in run["ErrorMessage"]


def test_max_concurrent_runs_is_honoured(glue, s3, localstack_bucket):
    job = _job(
        glue,
        s3,
        localstack_bucket,
        WAITER,
        DefaultArguments={"--output_bucket": localstack_bucket},
        ExecutionProperty={"MaxConcurrentRuns": 1},
    )
    first = glue.start_job_run(JobName=job)["JobRunId"]
    assert job_run(glue, job, first)["JobRunState"] == "RUNNING"

    with pytest.raises(ClientError) as refused:
        glue.start_job_run(JobName=job)
    assert refused.value.response["Error"]["Code"] == "ConcurrentRunsExceededException"

    s3.put_object(Bucket=localstack_bucket, Key="release", Body=b"")
    assert wait_job_run_done(glue, job, first)["JobRunState"] == "SUCCEEDED"
    second = glue.start_job_run(JobName=job)["JobRunId"]  # free again
    assert wait_job_run_done(glue, job, second)["JobRunState"] == "SUCCEEDED"


def test_batch_stop_job_run_stops_a_running_job(glue, s3, localstack_bucket):
    job = _job(
        glue, s3, localstack_bucket, WAITER, DefaultArguments={"--output_bucket": localstack_bucket}
    )
    run_id = glue.start_job_run(JobName=job)["JobRunId"]
    wait_for(lambda: job_run(glue, job, run_id), "RUNNING", lambda r: r["JobRunState"] == "RUNNING")

    response = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])

    assert response["SuccessfulSubmissions"] == [{"JobName": job, "JobRunId": run_id}]
    assert wait_job_run_done(glue, job, run_id)["JobRunState"] == "STOPPED"


def test_catalog_operations_fall_through_to_moto(glue):
    database = unique("test_db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}},
    )
    assert glue.get_table(DatabaseName=database, Name="t")["Table"]["Name"] == "t"
    glue.delete_database(Name=database)

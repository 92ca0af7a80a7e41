"""The plugin's answers to the calls the pipeline depends on, as they travel, against
botocore's API model (the AWS API reference in machine form) and against the example
recording (tests/fixtures/parity_example/; a real sandbox recording replaces it, see
docs/sandbox-runbook.md). Each call here is made on a real job run, crawl, build or
statement, made as the other tests of this folder make them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import wait_job_run_done
from tests.localstack.test_codebuild import _buildspec, _project, _wait_build
from tests.localstack.test_glue_crawlers import FLIGHTS_DAY1, _crawl_to_ready, _crawler, database
from tests.localstack.test_glue_jobs import FAILING, _job
from tests.localstack.test_redshift_data import iam_user, wait
from tools.parity import calls, compare, shapes

__all__ = ["database", "iam_user"]  # fixtures shared with the modules they come from

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "parity_example"
SUCCEEDS = "print('loaded', flush=True)\n"


def assert_parity(call: calls.Call, recorded_label: str) -> None:
    """(a) the body fits the model; (b) no member has another JSON type than recorded."""
    assert shapes.problems(call.service, call.operation, call.response) == [], call.response
    recorded = calls.read(EXAMPLE / f"{call.service}.{call.operation}.{recorded_label}.json")
    difference = compare.difference(call.service, call.operation, recorded.response, call.response)
    assert difference.types == [], call.response


@pytest.mark.parametrize("script", [SUCCEEDS, FAILING], ids=["succeeded", "failed"])
def test_get_job_run_fits_the_model(glue, s3, localstack_bucket, script):
    # Sized as the pipeline's job is (cloudformation/glue.yaml): its day machine reads the
    # run's WorkerType and NumberOfWorkers into the notice (day_load's RunGlueJob).
    job = _job(glue, s3, localstack_bucket, script, WorkerType="G.1X", NumberOfWorkers=2)
    run_id = glue.start_job_run(JobName=job, Arguments={"--flight_date": "2024-01-01"})["JobRunId"]
    running = calls.call(glue, "GetJobRun", "running", JobName=job, RunId=run_id)
    ended = wait_job_run_done(glue, job, run_id)

    assert_parity(running, "day")
    assert_parity(calls.call(glue, "GetJobRun", "day", JobName=job, RunId=run_id), "day")
    assert ended["JobRunState"] in ("SUCCEEDED", "FAILED")
    read_by_the_pipeline = ("Id", "JobRunState", "ExecutionTime", "ExecutionClass")
    assert {k: ended[k] for k in ("WorkerType", "NumberOfWorkers")} == {
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
    }
    assert all(k in ended for k in read_by_the_pipeline)


def test_get_crawler_fits_the_model(glue, s3, database, localstack_bucket):
    s3.put_object(
        Bucket=localstack_bucket,
        Key="daily_flights/date=2024-01-01/flights.csv",
        Body=FLIGHTS_DAY1.encode(),
    )
    crawler = _crawler(glue, database, f"s3://{localstack_bucket}/daily_flights/")
    assert_parity(calls.call(glue, "GetCrawler", "day", Name=crawler), "day")  # never crawled

    glue.start_crawler(Name=crawler)
    assert_parity(calls.call(glue, "GetCrawler", "day", Name=crawler), "day")  # running
    _crawl_to_ready(glue, crawler)
    after = calls.call(glue, "GetCrawler", "day", Name=crawler)

    assert_parity(after, "day")
    assert after.response["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"


def test_batch_get_builds_fits_the_model(codebuild):
    passing = _project(codebuild, _buildspec(build=["echo built"]))
    failing = _project(codebuild, _buildspec(build=["exit 3"], post_build=["echo after"]))
    ids = [codebuild.start_build(projectName=p)["build"]["id"] for p in (passing, failing)]
    assert_parity(calls.call(codebuild, "BatchGetBuilds", "day", ids=ids), "day")  # running
    for build_id in ids:
        _wait_build(codebuild, build_id)
    ended = calls.call(codebuild, "BatchGetBuilds", "day", ids=ids)

    assert_parity(ended, "day")
    statuses = [b["buildStatus"] for b in ended.response["builds"]]
    assert statuses == ["SUCCEEDED", "FAILED"]


def test_redshift_data_statements_fit_the_model(warehouse, iam_user):
    _, client = iam_user
    target = {"WorkgroupName": warehouse.workgroup, "Database": warehouse.database}
    query = client.execute_statement(
        **target, Sql="select 'run-1' as run_id, 42 as rows_loaded, 1.5::float8 as seconds"
    )["Id"]
    batch = client.batch_execute_statement(**target, Sqls=["select 1", "select 2"])["Id"]
    failed = client.execute_statement(**target, Sql="select * from no_such_table")["Id"]
    for statement_id in (query, batch, failed):
        wait(client, statement_id)

    described = {
        "query": calls.call(client, "DescribeStatement", "query", Id=query),
        "batch": calls.call(client, "DescribeStatement", "batch", Id=batch),
        "batch-sub": calls.call(client, "DescribeStatement", "batch-sub", Id=f"{batch}:1"),
        "failed": calls.call(client, "DescribeStatement", "failed", Id=failed),
    }
    for label, call in described.items():
        assert_parity(call, label)
    assert_parity(calls.call(client, "GetStatementResult", "query", Id=query), "query")
    assert described["failed"].response["Status"] == "FAILED"
    assert [s["Id"] for s in described["batch"].response["SubStatements"]] == [
        f"{batch}:1",
        f"{batch}:2",
    ]

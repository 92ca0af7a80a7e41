"""The Glue service for LocalStack community: moto's Glue plus real job runs and crawls.

Every Glue operation goes to moto (catalog, connections, jobs, crawlers, ...); the handlers
here take over what moto only pretends: StartJobRun / GetJobRun(s) / BatchStopJobRun and
StartCrawler / StopCrawler / GetCrawler(s). moto's own state progression for job runs and
crawls is frozen ("manual" with no ticks) so the state it reports is the one set here.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider
from localstack.state import StateVisitor

from flightline_localstack.dispatch import aws_error, existing, full_moto_dispatch_table
from flightline_localstack.processes import stop_runs
from flightline_localstack.services.glue import crawl_events, crawler_runner, job_runner
from flightline_localstack.services.glue.models import (
    GlueStore,
    cancel_running_crawls,
    glue_stores,
    running_job_runs,
)

FROZEN = {"progression": "manual", "times": 10**12}
ACTIVE_RUN_STATES = {"STARTING", "RUNNING", "STOPPING", "WAITING"}
# UpdateJob's JobUpdate keys -> moto FakeJob attributes.
JOB_ATTRIBUTES = {
    "Description": "description",
    "LogUri": "log_uri",
    "Role": "role",
    "ExecutionProperty": "execution_property",
    "Command": "command",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "WorkerType": "worker_type",
    "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "CodeGenConfigurationNodes": "code_gen_configuration_nodes",
    "SourceControlDetails": "source_control_details",
}
# UpdateCrawler keys -> moto FakeCrawler attributes.
CRAWLER_ATTRIBUTES = {
    "Role": "role",
    "DatabaseName": "database_name",
    "Description": "description",
    "Targets": "targets",
    "Schedule": "schedule",
    "Classifiers": "classifiers",
    "TablePrefix": "table_prefix",
    "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy",
    "LineageConfiguration": "lineage_configuration",
    "Configuration": "configuration",
    "CrawlerSecurityConfiguration": "crawler_security_configuration",
}


def _backend(context: RequestContext):
    from moto.glue.models import glue_backends

    return glue_backends[context.account_id][context.region]


def _store(context: RequestContext) -> GlueStore:
    return glue_stores[context.account_id][context.region]


def _crawler(context: RequestContext, name: str):
    return existing(
        _backend(context).crawlers,
        name,
        "EntityNotFoundException",
        f"Crawler entry with name {name} does not exist",
    )


def _call_and_decorate(context: RequestContext, key: str, decorate) -> dict:
    """moto's answer, with decorate(context, item) applied to each item under `key` (one
    dict, or a list of them)."""
    response = call_moto(context)
    items = response.get(key) or []
    for item in items if isinstance(items, list) else [items]:
        decorate(context, item)
    return response


class GlueProvider(ServiceLifecycleHook):
    service = "glue"

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # --- state: LocalStack's reset and shutdown reach moto's catalog and our runs ------------

    def accept_state_visitor(self, visitor: StateVisitor) -> None:
        from moto.glue.models import glue_backends

        visitor.visit(glue_backends)
        visitor.visit(glue_stores)

    def on_before_state_reset(self) -> None:
        # Nothing that ran before a reset may write back into the state after it.
        stop_runs(running_job_runs())
        cancel_running_crawls()

    def on_before_stop(self) -> None:
        stop_runs(running_job_runs())
        cancel_running_crawls()

    # --- job runs ---------------------------------------------------------------------------

    @handler("StartJobRun", expand=False)
    def start_job_run(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            # AWS Glue API, "ExecutionProperty": MaxConcurrentRuns defaults to 1 and an error is
            # returned at the threshold (ConcurrentRunsExceededException, "StartJobRun"). moto
            # validates, merges the arguments and counts STARTING and RUNNING runs; a run still
            # STOPPING is counted here too (AWS does not document it: fail closed).
            job = _backend(context).jobs.get(request["JobName"])
            if job is not None:
                limit = (job.execution_property or {}).get("MaxConcurrentRuns", 1)
                active = [r for r in job.job_runs if r.status in ACTIVE_RUN_STATES]
                if len(active) >= limit:
                    raise aws_error(
                        "ConcurrentRunsExceededException",
                        f"Job with name {job.name} already running",
                    )
            response = call_moto(context)
            job = _backend(context).jobs[request["JobName"]]
            fake_run = next(r for r in job.job_runs if r.job_run_id == response["JobRunId"])
            fake_run.status = "RUNNING"
            job_runner.start(job, fake_run, context.account_id, context.region)
        return response

    @handler("GetJobRun", expand=False)
    def get_job_run(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "JobRun", self._decorate_run)

    @handler("GetJobRuns", expand=False)
    def get_job_runs(self, context: RequestContext, request: dict) -> dict:
        response = _call_and_decorate(context, "JobRuns", self._decorate_run)
        response["JobRuns"] = sorted(
            response.get("JobRuns", []), key=lambda r: r["StartedOn"], reverse=True
        )
        return response

    @handler("BatchStopJobRun", expand=False)
    def batch_stop_job_run(self, context: RequestContext, request: dict) -> dict:
        job_name = request["JobName"]
        stopped, errors = [], []
        job = _backend(context).jobs.get(job_name)
        for run_id in request.get("JobRunIds", []):
            fake_run = (
                next((r for r in job.job_runs if r.job_run_id == run_id), None) if job else None
            )
            record = _store(context).job_runs.get(run_id)
            if fake_run is not None and record is not None and job_runner.stop(record, fake_run):
                stopped.append({"JobName": job_name, "JobRunId": run_id})
            else:
                errors.append(
                    {
                        "JobName": job_name,
                        "JobRunId": run_id,
                        "ErrorDetail": {
                            "ErrorCode": "InvalidInputException",
                            "ErrorMessage": f"Job run {run_id} is not running",
                        },
                    }
                )
        return {"SuccessfulSubmissions": stopped, "Errors": errors}

    @staticmethod
    def _decorate_run(context: RequestContext, run: dict[str, Any]) -> None:
        record = _store(context).job_runs.get(run["Id"])
        if record is None:
            return
        job = _backend(context).jobs.get(record.job_name)
        run["StartedOn"] = record.started_on
        run["ExecutionTime"] = record.execution_seconds
        run["LogGroupName"] = "/aws-glue/jobs"
        if job is not None and job.glue_version:
            run["GlueVersion"] = job.glue_version
        if job is not None:
            # AWS Glue API, "JobRun": ExecutionClass is the run's (the job's, here); moto
            # leaves it out.
            run["ExecutionClass"] = job.execution_class or "STANDARD"
        if record.completed_on is not None:
            run["CompletedOn"] = record.completed_on
            run["LastModifiedOn"] = record.completed_on
        else:
            run.pop("CompletedOn", None)
        if record.error_message:
            run["ErrorMessage"] = record.error_message

    # --- updates moto lacks (CloudFormation stack updates need them) -----------------------

    @handler("UpdateJob", expand=False)
    def update_job(self, context: RequestContext, request: dict) -> dict:
        name = request["JobName"]
        job = existing(
            _backend(context).jobs, name, "EntityNotFoundException", f"Job {name} not found"
        )
        update = request.get("JobUpdate") or {}
        # As in AWS, the new definition replaces the old one entirely.
        for key, attribute in JOB_ATTRIBUTES.items():
            default = {} if attribute in ("execution_property", "default_arguments") else None
            setattr(job, attribute, update.get(key, default))
        job.execution_class = update.get("ExecutionClass") or "STANDARD"
        job.last_modified_on = datetime.now(UTC)
        return {"JobName": name}

    @handler("CreateCrawler", expand=False)
    def create_crawler(self, context: RequestContext, request: dict) -> dict:
        _check_event_mode(request.get("Targets"), request.get("RecrawlPolicy"))
        return call_moto(context)

    @handler("UpdateCrawler", expand=False)
    def update_crawler(self, context: RequestContext, request: dict) -> dict:
        name = request["Name"]
        crawler = _crawler(context, name)
        if crawler.status != "READY":
            raise aws_error("CrawlerRunningException", f"Crawler with name {name} is running")
        _check_event_mode(
            request.get("Targets", crawler.targets),
            request.get("RecrawlPolicy", crawler.recrawl_policy),
        )
        for key, attribute in CRAWLER_ATTRIBUTES.items():
            if key in request:
                setattr(crawler, attribute, request[key])
        # A new version: in event mode the next crawl lists the whole target again
        # (crawler_runner, "Crawl is not running in S3 event mode").
        crawler.version += 1
        crawler.last_updated = datetime.now(UTC)
        return {}

    @handler("UpdateConnection", expand=False)
    def update_connection(self, context: RequestContext, request: dict) -> dict:
        name = request["Name"]
        fake = existing(
            _backend(context).connections,
            name,
            "EntityNotFoundException",
            f"Connection {name} not found",
        )
        connection_input = request["ConnectionInput"]
        fake.connection_input = connection_input
        fake.description = connection_input.get("Description")
        fake.connection_properties = connection_input.get("ConnectionProperties", {})
        fake.updated_time = datetime.now(UTC)
        if connection_input.get("Name") and connection_input["Name"] != name:
            backend = _backend(context)
            backend.connections[connection_input["Name"]] = backend.connections.pop(name)
            fake.name = connection_input["Name"]
        return {}

    @handler("DeleteConnection", expand=False)
    def delete_connection(self, context: RequestContext, request: dict) -> dict:
        name = request["ConnectionName"]
        if _backend(context).connections.pop(name, None) is None:
            raise aws_error("EntityNotFoundException", f"Connection {name} not found")
        return {}

    # --- connections: moto returns the input under "Connection" and drops ConnectionType -----

    @handler("GetConnection", expand=False)
    def get_connection(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "Connection", self._decorate_connection)

    @handler("GetConnections", expand=False)
    def get_connections(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "ConnectionList", self._decorate_connection)

    @staticmethod
    def _decorate_connection(context: RequestContext, data: dict[str, Any]) -> None:
        fake = _backend(context).connections.get(data.get("Name"))
        if fake is None:
            return
        connection_input = fake.connection_input or {}
        for key in ("ConnectionType", "MatchCriteria", "Description"):
            if connection_input.get(key) is not None:
                data[key] = connection_input[key]
        data.pop("Connection", None)

    # --- crawlers ---------------------------------------------------------------------------

    @handler("StartCrawler", expand=False)
    def start_crawler(self, context: RequestContext, request: dict) -> dict:
        name = request["Name"]
        with self._lock:
            crawler = _crawler(context, name)
            if crawler.status != "READY":
                # AWS Glue API, "StartCrawler": CrawlerRunningException while the crawler runs.
                # Refused while STOPPING too: the crawl is not over until READY (AWS does not
                # say; fail closed).
                raise aws_error(
                    "CrawlerRunningException", f"Crawler with name {name} has already started"
                )
            call_moto(context)
            crawler_runner.start(crawler, crawler.crawls[-1], context.account_id, context.region)
        return {}

    @handler("StopCrawler", expand=False)
    def stop_crawler(self, context: RequestContext, request: dict) -> dict:
        name = request["Name"]
        crawler = _backend(context).crawlers.get(name)
        if crawler is not None and crawler.status == "STOPPING":
            raise aws_error("CrawlerStoppingException", f"Crawler with name {name} is stopping")
        response = call_moto(context)  # CrawlerNotRunningException when it is not running
        crawls = _store(context).crawls.get(name)
        if crawls:
            crawls[-1].cancel_requested = True
        return response

    @handler("GetCrawler", expand=False)
    def get_crawler(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "Crawler", self._decorate_crawler)

    @handler("GetCrawlers", expand=False)
    def get_crawlers(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "Crawlers", self._decorate_crawler)

    @handler("BatchGetCrawlers", expand=False)
    def batch_get_crawlers(self, context: RequestContext, request: dict) -> dict:
        return _call_and_decorate(context, "Crawlers", self._decorate_crawler)

    @staticmethod
    def _decorate_crawler(context: RequestContext, data: dict[str, Any]) -> None:
        history = _store(context).crawls.get(data["Name"], [])
        finished = [record for record in history if record.completed_on is not None]
        if not finished:
            data.pop("LastCrawl", None)
            return
        last = finished[-1]
        data["LastCrawl"] = {
            "Status": last.status,
            "LogGroup": "/aws-glue/crawlers",
            "LogStream": data["Name"],
            "MessagePrefix": last.crawl_id,
            "StartTime": last.started_on,
        }
        if last.error_message:
            data["LastCrawl"]["ErrorMessage"] = last.error_message


def _check_event_mode(targets: dict | None, recrawl_policy: dict | None) -> None:
    """Refuse what "Accelerating crawls using Amazon S3 event notifications" rules out
    (crawl_events.check_config), as the Glue API refuses invalid input."""
    try:
        crawl_events.check_config(targets, recrawl_policy)
    except crawl_events.EventModeConfigError as error:
        raise aws_error("InvalidInputException", str(error)) from error


@aws_provider(api="glue")
def glue() -> Service:
    from moto.moto_api import state_manager

    state_manager.set_transition("glue::job_run", FROZEN)
    state_manager.set_transition("glue::crawl", FROZEN)
    provider = GlueProvider()
    return Service.for_provider(provider, dispatch_table_factory=full_moto_dispatch_table("glue"))

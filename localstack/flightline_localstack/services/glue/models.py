"""What the Glue emulator knows beyond moto's backend, in LocalStack's stores.

moto keeps the catalog, jobs, crawlers and their FakeJobRun / FakeCrawl entries; a run's
process, timings and error, and a crawl's outcome and log are kept here, per account and
region (`glue_stores[account_id][region]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

from flightline_localstack.processes import ProcessRun


@dataclass
class JobRun(ProcessRun):
    """A job run's process and outcome (moto's FakeJobRun carries the state AWS reports)."""

    job_name: str
    run_id: str
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    error_message: str | None = None
    exit_code: int | None = None

    @property
    def execution_seconds(self) -> int:
        end = self.completed_on or datetime.now(UTC)
        return int((end - self.started_on).total_seconds())

    @property
    def running(self) -> bool:
        return self.completed_on is None


@dataclass
class Crawl:
    """One crawl of a crawler: its outcome for LastCrawl, and its log."""

    crawler_name: str
    crawl_id: str
    log_path: Path
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    status: str = "RUNNING"  # RUNNING, SUCCEEDED, FAILED, CANCELLED
    error_message: str | None = None
    cancel_requested: bool = False
    tables_created: int = 0
    tables_updated: int = 0
    partitions_created: int = 0
    crawler_version: int = 0  # the crawler definition's version the crawl ran with
    folders_listed: int | None = None  # S3 event mode: the folders its events named

    def log(self, message: str) -> None:
        line = f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {message}"
        with self.log_path.open("a") as handle:
            handle.write(line + "\n")


class GlueStore(BaseStore):
    # job run id -> the run
    job_runs: dict[str, JobRun] = LocalAttribute(default=dict)
    # crawler name -> its crawls, oldest first
    crawls: dict[str, list[Crawl]] = LocalAttribute(default=dict)


glue_stores = AccountRegionBundle("glue", GlueStore)


def running_job_runs() -> list[JobRun]:
    """Every job run still running, in every account and region."""
    return [
        run for _, _, store in glue_stores.iter_stores() for run in store.job_runs.values()
        if run.running
    ]  # fmt: skip


def cancel_running_crawls() -> None:
    """Ask every running crawl to stop (crawls run on threads; they check this flag)."""
    for _, _, store in glue_stores.iter_stores():
        for crawls in store.crawls.values():
            for crawl in crawls:
                if crawl.status == "RUNNING":
                    crawl.cancel_requested = True

"""CodeBuild builds as the emulator keeps them, in LocalStack's stores.

Projects are moto's (`codebuild_backends`); builds are ours: moto's BatchGetBuilds would mark
them SUCCEEDED by itself. One store per account and region: `codebuild_stores[account][region]`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

from flightline_localstack.processes import ProcessRun


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Build(ProcessRun):
    """A build: what BatchGetBuilds reports, and its process while a phase runs."""

    id: str
    arn: str
    project: str
    build_number: int
    source: dict
    environment: dict
    service_role: str
    timeout_minutes: int
    queued_timeout_minutes: int
    initiator: str
    source_version: str | None = None
    start_time: datetime = field(default_factory=_now)
    end_time: datetime | None = None
    status: str = "IN_PROGRESS"
    current_phase: str = "SUBMITTED"
    phases: list[dict] = field(default_factory=list)
    env_overrides: list[dict] = field(default_factory=list)
    buildspec_override: str | None = None
    # The project's cache (ProjectCache: NO_CACHE, S3 with a location, LOCAL).
    cache: dict = field(default_factory=lambda: {"type": "NO_CACHE"})
    # The buildspec's env/exported-variables, fixed once post_build has ended.
    exported_variables: list[dict] | None = None

    @property
    def running(self) -> bool:
        return self.end_time is None

    def begin_phase(self, phase: str) -> dict:
        entry = {"phaseType": phase, "startTime": _now()}
        self.phases.append(entry)
        self.current_phase = phase
        return entry

    @staticmethod
    def end_phase(entry: dict, status: str, context: str | None = None) -> None:
        entry["endTime"] = _now()
        entry["durationInSeconds"] = int((entry["endTime"] - entry["startTime"]).total_seconds())
        entry["phaseStatus"] = status
        if context:
            code = "COMMAND_EXECUTION_ERROR" if status == "FAILED" else status
            entry["contexts"] = [{"statusCode": code, "message": context}]

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "arn": self.arn,
            "buildNumber": self.build_number,
            "startTime": self.start_time,
            "currentPhase": self.current_phase,
            "buildStatus": self.status,
            "projectName": self.project,
            "phases": [dict(p) for p in self.phases],
            "source": self.source,
            "secondarySources": [],
            "secondarySourceVersions": [],
            "artifacts": {"location": ""},
            "cache": dict(self.cache),
            "environment": self.environment,
            "serviceRole": self.service_role,
            "logs": {
                "groupName": f"/aws/codebuild/{self.project}",
                "streamName": self.id.split(":", 1)[1],
                "deepLink": f"file://{self.log_path}",
            },
            "timeoutInMinutes": self.timeout_minutes,
            "queuedTimeoutInMinutes": self.queued_timeout_minutes,
            "buildComplete": self.end_time is not None,
            "initiator": self.initiator,
        }
        if self.source_version:
            data["sourceVersion"] = self.source_version
        if self.end_time is not None:
            data["endTime"] = self.end_time
        if self.exported_variables is not None:
            data["exportedEnvironmentVariables"] = [dict(v) for v in self.exported_variables]
        return data


class CodeBuildStore(BaseStore):
    # build id (`<project>:<uuid>`) -> the build
    builds: dict[str, Build] = LocalAttribute(default=dict)
    # project name -> the number of its last build (CODEBUILD_BUILD_NUMBER)
    build_numbers: dict[str, int] = LocalAttribute(default=dict)

    def builds_of(self, project: str | None = None) -> list[Build]:
        """The builds (of one project), newest first."""
        builds = [b for b in self.builds.values() if project is None or b.project == project]
        return sorted(builds, key=lambda b: b.start_time, reverse=True)

    def find(self, build_id: str) -> Build | None:
        """A build by id or ARN."""
        return self.builds.get(build_id) or next(
            (b for b in self.builds.values() if b.arn == build_id), None
        )


# Held while a build is registered against its project's limit and while one ends, so a
# StartBuild never counts a build that has just ended, nor misses one just started.
BUILDS_LOCK = threading.RLock()

codebuild_stores = AccountRegionBundle("codebuild", CodeBuildStore)


def running_builds() -> list[Build]:
    """Every build still running, in every account and region."""
    return [
        build for _, _, store in codebuild_stores.iter_stores() for build in store.builds.values()
        if build.running
    ]  # fmt: skip

"""StartBuild's admission: the project's concurrentBuildLimit, then a new build registered.

The project's `concurrentBuildLimit` is honoured as CodeBuild does (AWS CodeBuild User Guide,
"Builds in AWS CodeBuild"): StartBuild while the project already runs that many builds is
refused with AccountLimitExceededException; nothing is queued. The account-level queue that
CodeBuild keeps for projects without a limit is not modelled: such builds all run at once.
"""

from __future__ import annotations

import json
import re
import uuid

from flightline_localstack import settings
from flightline_localstack.dispatch import aws_error
from flightline_localstack.services.codebuild.models import (
    BUILDS_LOCK,
    Build,
    codebuild_stores,
)

DEFAULT_TIMEOUT_MINUTES = 60  # CodeBuild's default
DEFAULT_QUEUED_TIMEOUT_MINUTES = 480  # CodeBuild's default
PLACEHOLDER_LOCATION = "flightline-no-source"  # moto wants a location even for NO_SOURCE


def build_limit(metadata: dict) -> int | None:
    limit = metadata.get("concurrentBuildLimit")
    return int(limit) if limit not in (None, "", -1, "-1") else None


def register(account_id: str, region: str, name: str, metadata: dict, request: dict) -> Build:
    """A new build of project `name` (moto's project_metadata), QUEUED phase done, stored.

    AWS CodeBuild User Guide, "Builds in AWS CodeBuild": a project with a concurrent build
    limit returns an error once that many of its builds run; it does not queue them. The
    error StartBuild documents for limits is AccountLimitExceededException."""
    store = codebuild_stores[account_id][region]
    with BUILDS_LOCK:
        limit = build_limit(metadata)
        running = sum(1 for build in store.builds_of(name) if build.running)
        if limit is not None and running >= limit:
            raise aws_error(
                "AccountLimitExceededException",
                f"Build concurrency limit of {limit} reached for project {name}",
            )
        store.build_numbers[name] = store.build_numbers.get(name, 0) + 1
        build = _new_build(account_id, region, name, store.build_numbers[name], metadata, request)
        for phase in ("SUBMITTED", "QUEUED"):
            Build.end_phase(build.begin_phase(phase), "SUCCEEDED")
        # stored under the lock: the next StartBuild counts it as running
        store.builds[build.id] = build
    return build


def _new_build(
    account_id: str, region: str, name: str, number: int, metadata: dict, request: dict
) -> Build:
    build_uuid = str(uuid.uuid4())
    build_id = f"{name}:{build_uuid}"
    folder = settings.CODEBUILD_RUNS_DIR / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    environment = json.loads(json.dumps(metadata.get("environment") or {}, default=str))
    env_overrides = list(request.get("environmentVariablesOverride") or [])
    environment["environmentVariables"] = _merge_env_lists(
        environment.get("environmentVariables") or [], env_overrides
    )
    return Build(
        id=build_id,
        arn=f"arn:aws:codebuild:{region}:{account_id}:build/{build_id}",
        project=name,
        build_number=number,
        account_id=account_id,
        region=region,
        source=_source(metadata, request),
        environment=environment,
        service_role=metadata.get("serviceRole", ""),
        timeout_minutes=int(
            request.get("timeoutInMinutesOverride")
            or metadata.get("timeoutInMinutes")
            or DEFAULT_TIMEOUT_MINUTES
        ),
        queued_timeout_minutes=int(
            request.get("queuedTimeoutInMinutesOverride")
            or metadata.get("queuedTimeoutInMinutes")
            or DEFAULT_QUEUED_TIMEOUT_MINUTES
        ),
        log_path=folder / f"{build_uuid}.log",
        initiator="flightline-localstack",
        source_version=request.get("sourceVersion"),
        env_overrides=env_overrides,
        buildspec_override=request.get("buildspecOverride"),
        cache=dict(request.get("cacheOverride") or metadata.get("cache") or {"type": "NO_CACHE"}),
    )


def _source(metadata: dict, request: dict) -> dict:
    """The project's source with StartBuild's type and location overrides."""
    source = dict(metadata.get("source") or {})
    if source.get("location") == PLACEHOLDER_LOCATION:
        source.pop("location")
    if request.get("sourceTypeOverride"):
        source["type"] = request["sourceTypeOverride"]
    if request.get("sourceLocationOverride"):
        source["location"] = request["sourceLocationOverride"]
    return source


def _merge_env_lists(base: list[dict], overrides: list[dict]) -> list[dict]:
    merged = {item["name"]: dict(item) for item in base}
    for item in overrides:
        merged[item["name"]] = dict(item)
    return list(merged.values())

"""CodeBuild for LocalStack community: moto's projects, builds that really run locally.

Projects (CreateProject, BatchGetProjects, UpdateProject, ...) are moto's. Builds are ours:
StartBuild runs the buildspec (project's, or buildspecOverride) in a bash subprocess on this
host, phase by phase (install, pre_build, build, post_build, with `finally` blocks and
`on-failure`), with the environment variables of the project, the buildspec's `env`, and the
StartBuild overrides (environmentVariablesOverride). BatchGetBuilds reports the real status
and phases. Sources: NO_SOURCE (inline buildspec) or S3 (`bucket/key.zip` or `bucket/prefix/`).
Logs: `.state/localstack/codebuild-runs/<project>/<build uuid>.log`.

The project's `concurrentBuildLimit` is honoured as CodeBuild does (AWS CodeBuild User Guide,
"Builds in AWS CodeBuild"): StartBuild while the project already runs that many builds is
refused with AccountLimitExceededException; nothing is queued. The account-level queue that
CodeBuild keeps for projects without a limit is not modelled: such builds all run at once.
moto does not keep `concurrentBuildLimit`: CreateProject stores it on the project here.

As in CodeBuild: a failing install or pre_build ends the build; a failing build phase still
runs post_build (CODEBUILD_BUILD_SUCCEEDING=0). Exported variables and the working directory
carry over from phase to phase. On PATH first: the pipeline's venv (`.venv/bin`), so `dbt`
and `python` are the project's; FLIGHTLINE_CODEBUILD_LOCAL=1 lets a buildspec skip installs.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto, call_moto_with_request
from localstack.services.plugins import Service, aws_provider

from flightline_localstack import settings
from flightline_localstack.dispatch import aws_error, full_moto_dispatch_table

LOG = logging.getLogger(__name__)

PHASES_BEFORE = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE")
COMMAND_PHASES = ("install", "pre_build", "build", "post_build")
PLACEHOLDER_LOCATION = "flightline-no-source"  # moto wants a location even for NO_SOURCE


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Build:
    id: str
    arn: str
    project: str
    build_number: int
    account_id: str
    region: str
    source: dict
    environment: dict
    service_role: str
    timeout_minutes: int
    queued_timeout_minutes: int
    log_path: Path
    initiator: str
    source_version: str | None = None
    start_time: datetime = field(default_factory=_now)
    end_time: datetime | None = None
    status: str = "IN_PROGRESS"
    current_phase: str = "SUBMITTED"
    phases: list[dict] = field(default_factory=list)
    env_overrides: list[dict] = field(default_factory=list)
    buildspec_override: str | None = None
    process: subprocess.Popen | None = None
    stop_requested: bool = False
    timed_out: bool = False

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
            "cache": {"type": "NO_CACHE"},
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
        return data


BUILDS: dict[str, Build] = {}
_counters: dict[tuple[str, str, str], int] = {}
_lock = threading.RLock()
DEFAULT_QUEUED_TIMEOUT_MINUTES = 480  # CodeBuild's default


def _backend(context: RequestContext):
    from moto.codebuild.models import codebuild_backends

    return codebuild_backends[context.account_id][context.region]


class CodeBuildProvider:
    service = "codebuild"

    @handler("CreateProject", expand=False)
    def create_project(self, context: RequestContext, request: dict) -> dict:
        response = call_moto_with_request(context, _with_placeholder(request))
        if request.get("concurrentBuildLimit") is not None:  # moto drops it
            project = _backend(context).codebuild_projects[request["name"]]
            project.project_metadata["concurrentBuildLimit"] = request["concurrentBuildLimit"]
            response["project"]["concurrentBuildLimit"] = request["concurrentBuildLimit"]
        response["project"] = _project_view(response["project"])
        return response

    @handler("UpdateProject", expand=False)
    def update_project(self, context: RequestContext, request: dict) -> dict:
        name = request["name"]
        project = _backend(context).codebuild_projects.get(name)
        if project is None:
            raise aws_error("ResourceNotFoundException", f"Project cannot be found: {name}")
        metadata = project.project_metadata
        for key, value in request.items():
            if key == "name" or value is None:
                continue
            metadata[key] = value
        if "source" in request:
            metadata["source"] = _with_placeholder({"source": request["source"]})["source"]
        if request.get("concurrentBuildLimit") == -1:  # as in CodeBuild: -1 removes the limit
            metadata.pop("concurrentBuildLimit", None)
        metadata["lastModifiedDate"] = time.time()  # moto keeps epoch seconds
        return {"project": _project_view(metadata)}

    @handler("BatchGetProjects", expand=False)
    def batch_get_projects(self, context: RequestContext, request: dict) -> dict:
        response = call_moto(context)
        response["projects"] = [_project_view(p) for p in response.get("projects", [])]
        return response

    @handler("StartBuild", expand=False)
    def start_build(self, context: RequestContext, request: dict) -> dict:
        name = request["projectName"]
        project = _backend(context).codebuild_projects.get(name)
        if project is None:
            arn = f"arn:aws:codebuild:{context.region}:{context.account_id}:project/{name}"
            raise aws_error("ResourceNotFoundException", f"Project cannot be found: {arn}")
        metadata = project.project_metadata
        source = dict(metadata.get("source") or {})
        if source.get("location") == PLACEHOLDER_LOCATION:
            source.pop("location")
        if request.get("sourceTypeOverride"):
            source["type"] = request["sourceTypeOverride"]
        if request.get("sourceLocationOverride"):
            source["location"] = request["sourceLocationOverride"]
        environment = json.loads(json.dumps(metadata.get("environment") or {}, default=str))
        with _lock:
            _refuse_at_limit(context, name, metadata)
            key = (context.account_id, context.region, name)
            _counters[key] = _counters.get(key, 0) + 1
            number = _counters[key]
            build_uuid = str(uuid.uuid4())
            build_id = f"{name}:{build_uuid}"
            folder = settings.CODEBUILD_RUNS_DIR / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            folder.mkdir(parents=True, exist_ok=True)
            build = Build(
                id=build_id,
                arn=f"arn:aws:codebuild:{context.region}:{context.account_id}:build/{build_id}",
                project=name,
                build_number=number,
                account_id=context.account_id,
                region=context.region,
                source=source,
                environment=environment,
                service_role=metadata.get("serviceRole", ""),
                timeout_minutes=int(
                    request.get("timeoutInMinutesOverride")
                    or metadata.get("timeoutInMinutes")
                    or 60
                ),
                queued_timeout_minutes=int(
                    request.get("queuedTimeoutInMinutesOverride")
                    or metadata.get("queuedTimeoutInMinutes")
                    or DEFAULT_QUEUED_TIMEOUT_MINUTES
                ),
                log_path=folder / f"{build_uuid}.log",
                initiator="flightline-localstack",
                source_version=request.get("sourceVersion"),
                env_overrides=list(request.get("environmentVariablesOverride") or []),
                buildspec_override=request.get("buildspecOverride"),
            )
            build.environment["environmentVariables"] = _merge_env_lists(
                environment.get("environmentVariables") or [], build.env_overrides
            )
            for phase in ("SUBMITTED", "QUEUED"):
                Build.end_phase(build.begin_phase(phase), "SUCCEEDED")
            # registered under the lock: the next StartBuild counts it as running
            BUILDS[build_id] = build
            response = {"build": build.as_dict()}
        threading.Thread(
            target=_run_build, args=(build,), name=f"codebuild-{name}", daemon=True
        ).start()
        return response

    @handler("BatchGetBuilds", expand=False)
    def batch_get_builds(self, context: RequestContext, request: dict) -> dict:
        found, missing = [], []
        for build_id in request.get("ids", []):
            build = BUILDS.get(build_id) or next(
                (b for b in BUILDS.values() if b.arn == build_id), None
            )
            if build is None or build.account_id != context.account_id:
                missing.append(build_id)
            else:
                found.append(build.as_dict())
        return {"builds": found, "buildsNotFound": missing}

    @handler("ListBuilds", expand=False)
    def list_builds(self, context: RequestContext, request: dict) -> dict:
        ids = [
            b.id
            for b in sorted(BUILDS.values(), key=lambda b: b.start_time, reverse=True)
            if b.account_id == context.account_id and b.region == context.region
        ]
        return {"ids": ids}

    @handler("ListBuildsForProject", expand=False)
    def list_builds_for_project(self, context: RequestContext, request: dict) -> dict:
        name = request["projectName"]
        if name not in _backend(context).codebuild_projects:
            raise aws_error(
                "ResourceNotFoundException", f"The provided project arn {name} does not exist"
            )
        ids = [
            b.id
            for b in sorted(BUILDS.values(), key=lambda b: b.start_time, reverse=True)
            if b.project == name
            and b.account_id == context.account_id
            and b.region == context.region
        ]
        return {"ids": ids}

    @handler("StopBuild", expand=False)
    def stop_build(self, context: RequestContext, request: dict) -> dict:
        build = BUILDS.get(request["id"])
        if build is None:
            raise aws_error("ResourceNotFoundException", f"Build {request['id']} does not exist")
        if build.end_time is None:
            build.stop_requested = True
            _kill(build.process)
        return {"build": build.as_dict()}


def _with_placeholder(request: dict) -> dict:
    request = dict(request)
    source = dict(request.get("source") or {})
    if source.get("type") == "NO_SOURCE" and not source.get("location"):
        source["location"] = PLACEHOLDER_LOCATION
    request["source"] = source
    return request


def _project_view(project: dict) -> dict:
    """A project as the API shows it: no placeholder location, `lastModified` (not moto's
    `lastModifiedDate`)."""
    project = copy.deepcopy(project)
    source = project.get("source") or {}
    if source.get("location") == PLACEHOLDER_LOCATION:
        source.pop("location")
    if "lastModifiedDate" in project:
        project["lastModified"] = project.pop("lastModifiedDate")
    for key in ("created", "lastModified"):
        if isinstance(project.get(key), int | float):
            project[key] = datetime.fromtimestamp(project[key], UTC)
    return project


def _merge_env_lists(base: list[dict], overrides: list[dict]) -> list[dict]:
    merged = {item["name"]: dict(item) for item in base}
    for item in overrides:
        merged[item["name"]] = dict(item)
    return list(merged.values())


# --- the project's concurrentBuildLimit ---------------------------------------------------


def _build_limit(metadata: dict) -> int | None:
    limit = metadata.get("concurrentBuildLimit")
    return int(limit) if limit not in (None, "", -1, "-1") else None


def _refuse_at_limit(context: RequestContext, name: str, metadata: dict) -> None:
    """AWS CodeBuild User Guide, "Builds in AWS CodeBuild": a project with a concurrent build
    limit returns an error once that many of its builds run; it does not queue them. The
    error StartBuild documents for limits is AccountLimitExceededException. Called with
    _lock held."""
    limit = _build_limit(metadata)
    if limit is None:
        return
    running = sum(
        1
        for b in BUILDS.values()
        if b.project == name
        and b.account_id == context.account_id
        and b.region == context.region
        and b.end_time is None
    )
    if running >= limit:
        raise aws_error(
            "AccountLimitExceededException",
            f"Build concurrency limit of {limit} reached for project {name}",
        )


# --- running a build ----------------------------------------------------------------------


class BuildError(Exception):
    """The build cannot run (source, buildspec): status FAULT/FAILED with this message."""


def _run_build(build: Build) -> None:
    workdir = build.log_path.with_suffix("")
    src = workdir / "src"
    state = workdir / "state"
    src.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    clients = settings.clients(build.account_id, build.region)
    with build.log_path.open("a", buffering=1) as log:
        try:
            Build.end_phase(build.begin_phase("PROVISIONING"), "SUCCEEDED")
            entry = build.begin_phase("DOWNLOAD_SOURCE")
            try:
                _download_source(clients, build.source, src)
                spec = _load_buildspec(clients, build, src)
                env = _build_env(clients, build, spec, src)
            except BuildError as error:
                log.write(f"[Container] {error}\n")
                Build.end_phase(entry, "FAILED", str(error))
                entry["contexts"][0]["statusCode"] = "CLIENT_ERROR"
                _complete(build, "FAULT")
                return
            Build.end_phase(entry, "SUCCEEDED")
            (state / "env.sh").write_text("")
            (state / "cwd").write_text(str(src))
            succeeded = True
            phases = spec.get("phases") or {}
            for name in COMMAND_PHASES:
                phase_type = name.upper()
                entry = build.begin_phase(phase_type)
                definition = phases.get(name) or {}
                env["CODEBUILD_BUILD_SUCCEEDING"] = "1" if succeeded else "0"
                ok, message = _run_phase(build, name, definition, env, state, log)
                if build.stop_requested or build.timed_out:
                    Build.end_phase(
                        entry, "STOPPED" if build.stop_requested else "TIMED_OUT", message
                    )
                    _finish_phases(build)
                    _complete(build, "STOPPED" if build.stop_requested else "TIMED_OUT")
                    return
                Build.end_phase(entry, "SUCCEEDED" if ok else "FAILED", message)
                if not ok:
                    succeeded = False
                    on_failure = str(definition.get("on-failure", "ABORT")).upper()
                    if name in ("install", "pre_build") and not on_failure.startswith("CONTINUE"):
                        break  # as in CodeBuild: no build/post_build after these fail
            _finish_phases(build)
            _complete(build, "SUCCEEDED" if succeeded else "FAILED")
        except Exception as error:  # the emulator's own failure: never leave a build running
            LOG.exception("build %s failed in the emulator", build.id)
            log.write(f"[flightline] emulator error: {error}\n")
            _complete(build, "FAULT")


def _finish_phases(build: Build) -> None:
    for phase in ("UPLOAD_ARTIFACTS", "FINALIZING"):
        Build.end_phase(build.begin_phase(phase), "SUCCEEDED")


def _complete(build: Build, status: str) -> None:
    with _lock:
        build.begin_phase("COMPLETED")
        build.status = status
        build.end_time = _now()
        LOG.info("CodeBuild %s: %s", build.id, status)


def _parse_s3_location(location: str) -> tuple[str, str]:
    location = location.removeprefix("arn:aws:s3:::").removeprefix("s3://")
    bucket, _, key = location.partition("/")
    return bucket, key


def _download_source(clients, source: dict, target: Path) -> None:
    kind = source.get("type", "NO_SOURCE")
    if kind == "NO_SOURCE":
        return
    if kind != "S3":
        raise BuildError(f"source type {kind} is not supported locally (use S3 or NO_SOURCE)")
    bucket, key = _parse_s3_location(source.get("location") or "")
    if not bucket:
        raise BuildError("S3 source without a location")
    s3 = clients.s3
    try:
        if key and not key.endswith("/"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            if zipfile.is_zipfile(io.BytesIO(body)):
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    archive.extractall(target)
            else:
                (target / Path(key).name).write_bytes(body)
            return
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key):
            for item in page.get("Contents", []):
                relative = item["Key"][len(key) :]
                if not relative or relative.endswith("/"):
                    continue
                path = target / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    except BuildError:
        raise
    except Exception as error:
        raise BuildError(f"cannot download source s3://{bucket}/{key}: {error}") from error


def _load_buildspec(clients, build: Build, src: Path) -> dict:
    text = build.buildspec_override or build.source.get("buildspec") or "buildspec.yml"
    if "\n" not in text and "phases" not in text:
        if text.startswith("arn:aws:s3:::") or text.startswith("s3://"):
            bucket, key = _parse_s3_location(text)
            text = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        else:
            path = src / text
            if not path.exists():
                raise BuildError(f"YAML_FILE_ERROR: buildspec {text} not found in the source")
            text = path.read_text()
    try:
        spec = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise BuildError(f"YAML_FILE_ERROR: {error}") from error
    if not isinstance(spec, dict) or "phases" not in spec:
        raise BuildError("YAML_FILE_ERROR: the buildspec has no phases")
    return spec


def _secret_value(clients, reference: str) -> str:
    secret_id, _, json_key = reference.partition(":")
    if reference.startswith("arn:"):  # arn:aws:secretsmanager:region:acct:secret:name[:key]
        parts = reference.split(":")
        secret_id, json_key = ":".join(parts[:7]), (parts[7] if len(parts) > 7 else "")
    value = clients.secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"]
    return str(json.loads(value)[json_key]) if json_key else value


def _build_env(clients, build: Build, spec: dict, src: Path) -> dict[str, str]:
    env = settings.subprocess_env(build.account_id, build.region)
    venv_bin = settings.REPO_ROOT / ".venv" / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["HOME"] = str(src.parent / "home")
    Path(env["HOME"]).mkdir(exist_ok=True)
    spec_env = spec.get("env") or {}
    try:
        for name, value in (spec_env.get("variables") or {}).items():
            env[str(name)] = str(value)
        for name, reference in (spec_env.get("secrets-manager") or {}).items():
            env[str(name)] = _secret_value(clients, str(reference))
        for name, parameter in (spec_env.get("parameter-store") or {}).items():
            env[str(name)] = clients.ssm.get_parameter(Name=str(parameter), WithDecryption=True)[
                "Parameter"
            ]["Value"]
        # Project variables and StartBuild overrides win over the buildspec's.
        for item in build.environment.get("environmentVariables") or []:
            kind = item.get("type", "PLAINTEXT")
            value = str(item.get("value", ""))
            if kind == "SECRETS_MANAGER":
                value = _secret_value(clients, value)
            elif kind == "PARAMETER_STORE":
                value = clients.ssm.get_parameter(Name=value, WithDecryption=True)["Parameter"][
                    "Value"
                ]
            env[item["name"]] = value
    except Exception as error:
        raise BuildError(f"cannot resolve environment variables: {error}") from error
    env.update(
        {
            "CODEBUILD_BUILD_ID": build.id,
            "CODEBUILD_BUILD_ARN": build.arn,
            "CODEBUILD_BUILD_NUMBER": str(build.build_number),
            "CODEBUILD_INITIATOR": build.initiator,
            "CODEBUILD_SRC_DIR": str(src),
            "CODEBUILD_SOURCE_VERSION": build.source_version or "",
            "CODEBUILD_PROJECT_NAME": build.project,
            "FLIGHTLINE_CODEBUILD_LOCAL": "1",
        }
    )
    return env


def _commands(definition: dict, key: str) -> list[str]:
    value = definition.get(key) or []
    return [str(c) for c in value] if isinstance(value, list) else [str(value)]


def _phase_script(commands: list[str], state: Path, log_prefix: str, succeeding: str) -> str:
    lines = [
        "set +e",
        f"source {shlex.quote(str(state / 'env.sh'))} 2>/dev/null",
        # set by the build, not carried over from the previous phase's shell
        f"export CODEBUILD_BUILD_SUCCEEDING={shlex.quote(succeeding)}",
        f'cd "$(cat {shlex.quote(str(state / "cwd"))})"',
        f"trap 'export -p > {shlex.quote(str(state / 'env.sh'))}; "
        f"pwd > {shlex.quote(str(state / 'cwd'))}' EXIT",
    ]
    for index, command in enumerate(commands):
        quoted = shlex.quote(command)
        lines += [
            # the index first: a command may end the shell itself (`exit 3`)
            f"echo {index} > {shlex.quote(str(state / 'current'))}",
            f"echo {shlex.quote(f'[Container] {log_prefix} Running command ')}{quoted}",
            command,
            "__flightline_rc=$?",
            "if [ $__flightline_rc -ne 0 ]; then exit $__flightline_rc; fi",
        ]
    return "\n".join(lines) + "\n"


def _run_phase(build, name, definition, env, state: Path, log) -> tuple[bool, str | None]:
    """Run one phase's commands (then its `finally`); return (succeeded, failure message)."""
    commands = _commands(definition, "commands")
    ok, message = True, None
    log.write(f"[Container] Entering phase {name.upper()}\n")
    if commands:
        ok, message = _run_commands(build, commands, env, state, log, name)
    final = _commands(definition, "finally")
    if final and not (build.stop_requested or build.timed_out):
        final_ok, final_message = _run_commands(build, final, env, state, log, name)
        if ok and not final_ok:
            ok, message = final_ok, final_message
    if not ok and str(definition.get("on-failure", "ABORT")).upper().startswith("CONTINUE"):
        log.write(f"[Container] Phase {name.upper()} failed; on-failure CONTINUE\n")
    log.write(
        f"[Container] Phase complete: {name.upper()} State: {'SUCCEEDED' if ok else 'FAILED'}\n"
    )
    return ok, message


def _run_commands(build, commands, env, state: Path, log, phase: str) -> tuple[bool, str | None]:
    (state / "current").unlink(missing_ok=True)
    script = state / f"{phase}.sh"
    succeeding = env.get("CODEBUILD_BUILD_SUCCEEDING", "1")
    script.write_text(_phase_script(commands, state, phase, succeeding))
    remaining = build.timeout_minutes * 60 - (_now() - build.start_time).total_seconds()
    process = subprocess.Popen(
        ["bash", str(script)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    build.process = process
    timer = threading.Timer(max(remaining, 1), _on_timeout, args=(build, process))
    timer.daemon = True
    timer.start()
    try:
        code = process.wait()
    finally:
        timer.cancel()
        build.process = None
    if code == 0:
        return True, None
    current = state / "current"
    command = commands[int(current.read_text())] if current.exists() else commands[0]
    message = f"Error while executing command: {command}. Reason: exit status {code}"
    log.write(f"[Container] Command did not exit successfully {command} exit status {code}\n")
    return False, message


def _on_timeout(build: Build, process: subprocess.Popen) -> None:
    build.timed_out = True
    _kill(process)


def _kill(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)


@aws_provider(api="codebuild")
def codebuild() -> Service:
    provider = CodeBuildProvider()
    return Service.for_provider(
        provider, dispatch_table_factory=full_moto_dispatch_table("codebuild")
    )

"""Running a build: the buildspec's phases in bash on this host, as CodeBuild runs them.

Phases install, pre_build, build and post_build run in order, each with its `finally` block
and `on-failure`. As in CodeBuild: a failing install or pre_build ends the build; a failing
build phase still runs post_build (CODEBUILD_BUILD_SUCCEEDING=0). Exported variables and the
working directory carry over from phase to phase. The buildspec's `env: exported-variables`
take their values when post_build ends, and BatchGetBuilds lists them from then on
(AWS CodeBuild API Reference, "ExportedEnvironmentVariable"); a stopped or timed-out build
lists none, which AWS does not document. The build's log is
`.state/localstack/codebuild-runs/<project>/<build uuid>.log`.
"""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

from flightline_localstack import processes, settings
from flightline_localstack.services.codebuild import build_cache
from flightline_localstack.services.codebuild.build_inputs import (
    BuildError,
    build_env,
    download_source,
    load_buildspec,
)
from flightline_localstack.services.codebuild.models import BUILDS_LOCK, Build

LOG = logging.getLogger(__name__)

SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COMMAND_PHASES = ("install", "pre_build", "build", "post_build")


def _now() -> datetime:
    return datetime.now(UTC)


def start(build: Build) -> None:
    """Run the build on a thread of its own."""
    threading.Thread(
        target=_run_build, args=(build,), name=f"codebuild-{build.project}", daemon=True
    ).start()


def stop(build: Build) -> None:
    """StopBuild: end the running phase; the build ends STOPPED."""
    if build.running:
        build.stop_requested = True
        processes.terminate_in_background(build.process)


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
                download_source(clients, build.source, src)
                spec = load_buildspec(clients, build, src)
                env = build_env(clients, build, spec, src)
                cached = build_cache.cache_paths(spec, build.cache)
                restored = build_cache.restore(clients.s3, build.cache, build.project, cached, src)
                if cached:
                    log.write(f"[Container] cache: {restored} file(s) restored\n")
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
            build.exported_variables = _exported_variables(spec, state)
            _finish_phases(build, lambda: _store_cache(clients, build, cached, src, succeeded, log))
            _complete(build, "SUCCEEDED" if succeeded else "FAILED")
        except Exception as error:  # the emulator's own failure: never leave a build running
            LOG.exception("build %s failed in the emulator", build.id)
            log.write(f"[flightline] emulator error: {error}\n")
            _complete(build, "FAULT")


def _exported_variables(spec: dict, state: Path) -> list[dict] | None:
    """The values the last phase's shell left for the buildspec's exported variables (None
    when it declares none). One never set, or not a shell name, is listed by name only (the
    API's `value` is optional)."""
    names = [str(n) for n in ((spec.get("env") or {}).get("exported-variables") or [])]
    if not names:
        return None
    shell_names = [n for n in names if SHELL_NAME.fullmatch(n)]
    # An empty environment: only what the build's shell exported may answer.
    script = (
        'source "$1" 2>/dev/null; shift; '
        'for n; do [ "${!n+set}" ] && printf "%s\\0%s\\0" "$n" "${!n}"; done; true'
    )
    listed = subprocess.run(
        ["bash", "-c", script, "exported", str(state / "env.sh"), *shell_names],
        capture_output=True, check=True, text=True, env={},
    ).stdout.split("\0")  # fmt: skip
    values = dict(zip(listed[0::2], listed[1::2], strict=False))
    return [{"name": n, "value": values[n]} if n in values else {"name": n} for n in names]


def _finish_phases(build: Build, upload=None) -> None:
    """UPLOAD_ARTIFACTS (the cache, `upload`) and FINALIZING."""
    entry = build.begin_phase("UPLOAD_ARTIFACTS")
    if upload is not None:
        upload()
    Build.end_phase(entry, "SUCCEEDED")
    Build.end_phase(build.begin_phase("FINALIZING"), "SUCCEEDED")


def _store_cache(clients, build: Build, paths: list[str], src: Path, succeeded: bool, log) -> None:
    """The build's cache paths into the project's cache, after a build that succeeded only
    (build_cache.py)."""
    if paths and succeeded:
        stored = build_cache.store(clients.s3, build.cache, build.project, paths, src)
        log.write(f"[Container] cache: {stored} file(s) stored\n")


def _complete(build: Build, status: str) -> None:
    with BUILDS_LOCK:
        build.begin_phase("COMPLETED")
        build.status = status
        build.end_time = _now()
        LOG.info("CodeBuild %s: %s", build.id, status)


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
    process = processes.start_group(
        ["bash", str(script)], env=env, stdout=log, stderr=subprocess.STDOUT
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
    processes.terminate([process])

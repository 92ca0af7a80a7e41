"""Glue job runs for real: the job script from S3, run by the pipeline's Python.

A run is a subprocess `<job python> -S <script> --JOB_NAME <job> --JOB_RUN_ID <run> --k v ...`
with the job's DefaultArguments merged with the run's Arguments as Glue merges them (run
arguments override defaults, NonOverridableArguments override both; moto does the merge),
`--extra-py-files` zips from S3 on PYTHONPATH before the job Python's site-packages (`-S`:
the project's package installed in that venv is not importable, as on Glue), and
AWS_ENDPOINT_URL pointing at this LocalStack with temporary credentials of the job's Role
(`role_session`: the script calls AWS as its role, as on Glue). The exit code becomes
JobRunState, the last meaningful stderr line ErrorMessage. Each run logs stdout and stderr to
`.state/localstack/glue-runs/<job>/<run id>.log`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from flightline_localstack import processes, role_session, settings
from flightline_localstack.services.glue.models import JobRun, glue_stores

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MINUTES = 2880  # Glue's default job timeout
TERMINAL_STATES = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}
_PY_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Failure)\b.*")
_LOG_NOISE = re.compile(r"^\d{2,4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}:\d{2}|\b(INFO|WARN|DEBUG)\b")


_lock = threading.Lock()


def run_dir(job_name: str) -> Path:
    return settings.GLUE_RUNS_DIR / _safe(job_name)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", name)


def error_from_stderr(lines: list[str], exit_code: int) -> str:
    """The last meaningful stderr line: the exception, not the JVM's shutdown chatter.

    After the last Python traceback, the first unindented line is `Type: message`; without
    a traceback (sys.exit("...")), the last line that is not a log record."""
    raw = [line.rstrip("\n") for line in lines]
    starts = [i for i, line in enumerate(raw) if line.startswith("Traceback (most recent call")]
    if starts:
        for line in raw[starts[-1] + 1 :]:
            if line.strip() and not line.startswith((" ", "\t")):
                return line.strip()[:2048]
    stripped = [line.strip() for line in lines if line.strip()]
    for line in reversed(stripped):
        if _PY_EXCEPTION.match(line):
            return line[:2048]
    for line in reversed(stripped):
        if not _LOG_NOISE.search(line):
            return line[:2048]
    if stripped:
        return stripped[-1][:2048]
    return f"Job script exited with code {exit_code} and wrote nothing to stderr"


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// location: {uri}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _download(s3, uri: str, target_dir: Path) -> Path:
    bucket, key = _split_s3(uri)
    target = target_dir / (Path(key).name or "object")
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:
        raise FileNotFoundError(f"cannot read {uri}: {error}") from error
    target.write_bytes(body)
    return target


def argv_for(script: Path, job_name: str, run_id: str, arguments: dict[str, str]) -> list[str]:
    """Glue's argv: the reserved JOB_NAME / JOB_RUN_ID, then every argument as `--key value`."""
    # -S: no site-packages and no .pth files, so the project's own package, installed
    # editable in the venv, is not importable; only its --extra-py-files zip is, as on Glue.
    python = settings.job_python()
    argv = [python, "-S", str(script), "--JOB_NAME", job_name, "--JOB_RUN_ID", run_id]
    for key, value in arguments.items():
        if key in ("--JOB_NAME", "--JOB_RUN_ID"):
            continue
        argv += [key if key.startswith("--") else f"--{key}", str(value)]
    return argv


def start(job, fake_run, account_id: str, region: str) -> JobRun:
    """Start a run of moto job `job` whose FakeJobRun is `fake_run` (status already RUNNING)."""
    log_path = run_dir(job.name) / f"{_safe(fake_run.job_run_id)}.log"
    record = JobRun(
        job_name=job.name,
        run_id=fake_run.job_run_id,
        account_id=account_id,
        region=region,
        log_path=log_path,
    )
    with _lock:
        glue_stores[account_id][region].job_runs[record.run_id] = record
    command = dict(job.command or {})
    timeout = fake_run.timeout or job.timeout or DEFAULT_TIMEOUT_MINUTES
    arguments = dict(fake_run.arguments or {})
    thread = threading.Thread(
        target=_execute,
        args=(record, fake_run, command, arguments, int(timeout), job.role),
        name=f"glue-run-{job.name}",
        daemon=True,
    )
    thread.start()
    return record


def stop(record: JobRun, fake_run) -> bool:
    """BatchStopJobRun: a running run becomes STOPPING, then its process ends (STOPPED);
    False when it has already ended. The state changes under the lock `_finish` takes, so a
    run that ends while it is being stopped is never put back to STOPPING."""
    with _lock:
        if not record.running:
            return False
        record.stop_requested = True
        fake_run.status = "STOPPING"
        process = record.process
    # A run still fetching its script has no process yet: it sees stop_requested and stops.
    processes.terminate_in_background(process)
    return True


def _finish(record: JobRun, fake_run, state: str, error: str | None = None) -> None:
    with _lock:
        record.completed_on = datetime.now(UTC)
        record.error_message = error
        fake_run.status = state
        fake_run.modified_on = record.completed_on
        fake_run.completed_on = record.completed_on
    LOG.info("Glue job %s run %s: %s %s", record.job_name, record.run_id, state, error or "")


def _fetch_script(record: JobRun, command: dict, arguments: dict, workdir: Path):
    """Download the script and its --extra-py-files / --extra-files; return (script, path)."""
    record.log_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    s3 = settings.clients(record.account_id, record.region).s3
    script = _download(s3, command.get("ScriptLocation") or "", workdir)
    python_path = [str(workdir)]
    for uri in _uris(arguments, "--extra-py-files"):
        library = _download(s3, uri, workdir / "pylib")
        # a zip goes on the path itself; a plain .py file through its folder
        entry = library if library.suffix in (".zip", ".egg", ".whl") else library.parent
        if str(entry) not in python_path:
            python_path.append(str(entry))
    for uri in _uris(arguments, "--extra-files"):
        _download(s3, uri, workdir)
    return script, python_path


def _uris(arguments: dict, key: str) -> list[str]:
    return [uri.strip() for uri in arguments.get(key, "").split(",") if uri.strip()]


def _execute(
    record, fake_run, command: dict, arguments: dict, timeout_minutes: int, role: str
) -> None:
    workdir = record.log_path.with_suffix("")
    try:
        script, python_path = _fetch_script(record, command, arguments, workdir)
    except (FileNotFoundError, ValueError) as error:
        record.log_path.write_text(f"[flightline] job run not started: {error}\n")
        _finish(record, fake_run, "FAILED", f"Job run not started: {error}")
        return

    python = settings.job_python()
    if not Path(python).exists():
        message = (
            f"Job Python {python} not found: create the pipeline venv (make venv) "
            "or set FLIGHTLINE_JOB_PYTHON"
        )
        record.log_path.write_text(f"[flightline] {message}\n")
        _finish(record, fake_run, "FAILED", message)
        return

    env = settings.subprocess_env(record.account_id, record.region)
    try:
        env.update(role_session.credentials_env(
            role, record.account_id, record.region, f"GlueJobRunnerSession-{record.run_id}"
        ))  # fmt: skip
    except role_session.RoleError as error:
        record.log_path.write_text(f"[flightline] job run not started: {error}\n")
        _finish(record, fake_run, "FAILED", f"Job run not started: {error}")
        return
    # The zips first, then what Glue provides (pyspark, boto3...): -S left site-packages out.
    env["PYTHONPATH"] = os.pathsep.join([*python_path, settings.job_site_packages(python)])
    env["FLIGHTLINE_GLUE_RUNTIME"] = "localstack"  # the script may skip GlueContext on this
    env["TMPDIR"] = str(workdir)
    argv = argv_for(script, record.job_name, record.run_id, arguments)
    if record.stop_requested:
        _finish(record, fake_run, "STOPPED", "Job run stopped by BatchStopJobRun")
        return
    exit_code, stderr_tail = _run_process(record, argv, env, workdir, timeout_minutes)
    record.exit_code = exit_code
    if exit_code == 0:
        _finish(record, fake_run, "SUCCEEDED")
    elif record.stop_requested:
        _finish(record, fake_run, "STOPPED", "Job run stopped by BatchStopJobRun")
    elif record.timed_out:
        _finish(record, fake_run, "TIMEOUT", f"Job run timed out after {timeout_minutes} minutes")
    else:
        _finish(record, fake_run, "FAILED", error_from_stderr(stderr_tail, exit_code))


def _run_process(record: JobRun, argv, env, workdir: Path, timeout_minutes: int):
    """Run the job's process to its end; return its exit code and last stderr lines."""
    stderr_tail: deque[str] = deque(maxlen=200)
    with record.log_path.open("a", buffering=1) as log:
        log.write(f"[flightline] {' '.join(argv)}\n")
        process = processes.start_group(
            argv,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        with _lock:
            record.process = process
            stop_now = record.stop_requested
        if stop_now:  # stopped between the check before the spawn and the spawn
            processes.terminate_in_background(process)
        timer = threading.Timer(timeout_minutes * 60, _on_timeout, args=(record, process))
        timer.daemon = True
        timer.start()
        try:
            for line in process.stderr:  # type: ignore[union-attr]
                log.write(line)
                stderr_tail.append(line)
            exit_code = process.wait()
        finally:
            timer.cancel()
        log.write(f"[flightline] exit code {exit_code}\n")
    return exit_code, list(stderr_tail)


def _on_timeout(record: JobRun, process: subprocess.Popen) -> None:
    record.timed_out = True
    processes.terminate([process])

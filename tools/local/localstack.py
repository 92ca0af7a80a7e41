"""LocalStack for Flightline: install, start, stop, status. Standard library only.

`python -m tools.local localstack install|start|stop|restart|status|env|url|logs|python` (any Python
>= 3.11: LocalStack itself runs in its own Python 3.13 venv, which `install` creates).

- install: creates `.venv-localstack` (Python 3.13, which localstack-core 2026.x requires)
  with `localstack/requirements.txt` and the project's plugin package
  (`localstack/flightline_localstack`, giving LocalStack a real Glue and CodeBuild). A stamp
  file records what was installed; nothing happens when it is current.
- start: idempotent. Reuses a healthy instance on the port, otherwise installs if needed and
  starts `python -m localstack.runtime.main` in host mode (no Docker, no auth token), bound
  to 127.0.0.1 only, with all of its state under `.state/localstack/`.
- stop: stops the instance this tool started (pid file), never anything else.
- python: prints the Python 3.13 interpreter it uses (the Makefile builds every venv with it).

Environment: FLIGHTLINE_LOCALSTACK_PORT (default 4566), FLIGHTLINE_PYTHON_313 (interpreter
for the venv; found through pyenv otherwise), FLIGHTLINE_STATE_DIR (default `.state`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.local.process import (
    HOST,
    REPO_ROOT,
    ServiceError,
    env_port,
    port_open,
    service_lock,
    state_root,
    tail,
)

LOCALSTACK_DIR = REPO_ROOT / "localstack"
REQUIREMENTS = LOCALSTACK_DIR / "requirements.txt"
PLUGIN_DIR = LOCALSTACK_DIR  # pyproject.toml + the flightline_localstack package
PLUGIN_PYPROJECT = LOCALSTACK_DIR / "pyproject.toml"
VENV = Path(os.environ.get("FLIGHTLINE_LOCALSTACK_VENV", REPO_ROOT / ".venv-localstack"))
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".flightline-installed"
DEFAULT_PORT = 4566  # LocalStack's own default; FLIGHTLINE_LOCALSTACK_PORT picks another


def port() -> int:
    return env_port("FLIGHTLINE_LOCALSTACK_PORT", DEFAULT_PORT)


# One state dir per port: a second instance (another port) never touches the first one's
# pid file, log or data.
STATE_DIR = state_root() / ("localstack" if port() == DEFAULT_PORT else f"localstack-{port()}")
LOG_FILE = STATE_DIR / "localstack.log"
INSTALL_LOG = STATE_DIR / "install.log"
PID_FILE = STATE_DIR / "localstack.pid"
PYTHON_VERSION = "3.13"
START_TIMEOUT_S = float(os.environ.get("FLIGHTLINE_LOCALSTACK_START_TIMEOUT", "90"))


class LocalStackError(ServiceError):
    """LocalStack cannot be installed or started; the message says what to do."""


def endpoint_url() -> str:
    """The one place the local LocalStack's URL is spelled: make, tools and tests ask here."""
    return f"http://{HOST}:{port()}"


# --- install -----------------------------------------------------------------------------


def _python_version(python: str) -> str | None:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _python_313_candidates() -> list[str]:
    candidates: list[str] = []
    explicit = os.environ.get("FLIGHTLINE_PYTHON_313")
    if explicit:
        return [explicit]  # an explicit choice is never second-guessed
    pyenv = shutil.which("pyenv")
    if pyenv:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            found = subprocess.run(
                [pyenv, "which", "python3.13"],
                capture_output=True,
                text=True,
                timeout=30,
                env={**os.environ, "PYENV_VERSION": "3.13.0"},
            )
            if found.returncode == 0 and found.stdout.strip():
                candidates.append(found.stdout.strip())
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            root = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
            if root:
                candidates += sorted(glob.glob(f"{root}/versions/3.13*/bin/python3.13"))
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        candidates += sorted(glob.glob(f"{root}/versions/3.13*/bin/python3.13"))
    on_path = shutil.which("python3.13")
    if on_path:
        candidates.append(on_path)
    return list(dict.fromkeys(candidates))


def find_python_313() -> str:
    """The project's one Python, 3.13: AWS Glue 6.0 runs it, LocalStack 2026.x needs it."""
    tried = _python_313_candidates()
    for candidate in tried:
        if _python_version(candidate) == PYTHON_VERSION:
            return candidate
    raise LocalStackError(
        "Python 3.13 not found (Glue 6.0 parity and LocalStack 2026.x need it). Tried: "
        + (", ".join(tried) or "pyenv, ~/.pyenv, python3.13 on PATH")
        + ". Install it (e.g. `pyenv install 3.13.0`) or set FLIGHTLINE_PYTHON_313 to its path."
    )


def _code_fingerprint() -> str:
    """What the running LocalStack loaded: the install plus the plugin's sources."""
    digest = hashlib.sha256(_install_fingerprint().encode())
    for path in sorted((LOCALSTACK_DIR / "flightline_localstack").rglob("*.py")):
        digest.update(path.relative_to(LOCALSTACK_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stale_code() -> bool:
    """True when the plugin changed since the running instance started (restart to load it)."""
    started = STATE_DIR / "started-code"
    return started.exists() and started.read_text().strip() != _code_fingerprint()


def _install_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, PLUGIN_PYPROJECT):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def is_installed() -> bool:
    return (
        VENV_PYTHON.exists()
        and STAMP.exists()
        and STAMP.read_text().strip() == _install_fingerprint()
        and _python_version(str(VENV_PYTHON)) == PYTHON_VERSION
    )


def _pip(args: list[str], what: str) -> None:
    with INSTALL_LOG.open("a") as log:
        log.write(f"\n$ pip {' '.join(args)}\n")
        log.flush()
        result = subprocess.run(
            [str(VENV_PYTHON), "-m", "pip", *args], stdout=log, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise LocalStackError(
            f"{what} failed; the last lines of {INSTALL_LOG}:\n{tail(INSTALL_LOG)}"
        )


def install(force: bool = False) -> bool:
    """Create or update .venv-localstack; return True when something was installed."""
    if not force and is_installed():
        return False
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    INSTALL_LOG.write_text("")
    if VENV_PYTHON.exists() and _python_version(str(VENV_PYTHON)) != PYTHON_VERSION:
        shutil.rmtree(VENV)  # a venv on the wrong Python cannot be repaired in place
    if not VENV_PYTHON.exists():
        python = find_python_313()
        print(f"Creating {VENV.name} with {python}", flush=True)
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    STAMP.unlink(missing_ok=True)
    started = time.monotonic()
    print(f"Installing LocalStack and the plugin into {VENV.name} (new venv: ~1-2 min)", flush=True)
    _pip(["install", "--quiet", "--upgrade", "pip"], "pip upgrade")
    _pip(["install", "--quiet", "-r", str(REQUIREMENTS)], "LocalStack install")
    if PLUGIN_PYPROJECT.exists():
        # Editable: code changes need only a LocalStack restart; entry points are re-read
        # by plux at the next start because entry_points.txt changes on install.
        _pip(
            ["install", "--quiet", "--no-deps", "-e", str(PLUGIN_DIR)],
            "plugin install",
        )
    STAMP.write_text(_install_fingerprint())
    print(f"LocalStack installed in {time.monotonic() - started:.0f} s", flush=True)
    return True


# --- start / stop ------------------------------------------------------------------------


def health(timeout: float = 1.0) -> dict | None:
    """The instance's /_localstack/health answer, or None when nothing healthy listens."""
    try:
        url = f"{endpoint_url()}/_localstack/health"  # always http://127.0.0.1:<port>
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310
            if r.status != 200:
                return None
            return json.loads(r.read().decode() or "{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _read_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def runtime_env() -> dict[str, str]:
    """The environment LocalStack runs with: host mode, 127.0.0.1 only, state in .state/."""
    dirs = {
        "FILESYSTEM_ROOT": STATE_DIR / "filesystem",
        "CONFIG_DIR": STATE_DIR / "config",
        "TMPDIR": STATE_DIR / "tmp",
        "HOME": STATE_DIR / "home",
    }
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        # The caller's AWS settings must not leak into the emulator's own clients.
        if not key.startswith(("AWS_", "LOCALSTACK_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update({key: str(path) for key, path in dirs.items()})
    env.update(
        {
            "GATEWAY_LISTEN": f"{HOST}:{port()}",
            # The default server binds 0.0.0.0 whatever GATEWAY_LISTEN says; hypercorn does not.
            "GATEWAY_SERVER": "hypercorn",
            # URLs LocalStack hands out (queue URLs, ...) must work without DNS.
            "LOCALSTACK_HOST": f"{HOST}:{port()}",
            "SQS_ENDPOINT_STRATEGY": "path",
            "DNS_ADDRESS": "0",  # no DNS server on port 53
            "DISABLE_EVENTS": "1",  # no analytics
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "PERSISTENCE": "0",
            # moto's DynamoDB (flightline_localstack/services/dynamodb/): the bundled one
            # needs a download that cannot happen here.
            "PROVIDER_OVERRIDE_DYNAMODB": "flightline",
            "FLIGHTLINE_REPO_ROOT": str(REPO_ROOT),
            "FLIGHTLINE_LOCALSTACK_STATE_DIR": str(STATE_DIR),
        }
    )
    return env


def start() -> str:
    """Ensure a healthy LocalStack on the port (reused if running); return its endpoint URL."""
    if health() is not None:
        return endpoint_url()
    with service_lock(f"localstack-{port()}"):
        return _start()


def _start() -> str:
    if health() is not None:
        return endpoint_url()
    pid = _read_pid()
    if pid is not None:
        # Ours, but not healthy (still starting, or stuck): give it the start timeout.
        return _wait_healthy(pid)
    if port_open(port()):
        raise LocalStackError(
            f"Port {port()} on {HOST} is taken by a process that is not a healthy LocalStack; "
            "stop it or set FLIGHTLINE_LOCALSTACK_PORT to a free port."
        )
    install()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with LOG_FILE.open("a") as log:
        log.write(f"\n===== start {time.strftime('%Y-%m-%dT%H:%M:%S')} on {endpoint_url()}\n")
        log.flush()
        process = subprocess.Popen(
            [str(VENV_PYTHON), "-m", "localstack.runtime.main"],
            cwd=STATE_DIR,  # not the repo: its `localstack/` folder must not shadow the package
            env=runtime_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the make/pytest process that started it
        )
    PID_FILE.write_text(str(process.pid))
    (STATE_DIR / "started-code").write_text(_code_fingerprint())
    return _wait_healthy(process.pid)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our exited child
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_healthy(pid: int) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if health() is not None:
            return endpoint_url()
        if not _alive(pid):
            PID_FILE.unlink(missing_ok=True)
            raise LocalStackError(
                f"LocalStack exited during start-up; the last lines of {LOG_FILE}:\n"
                f"{tail(LOG_FILE)}"
            )
        time.sleep(0.2)
    raise LocalStackError(
        f"LocalStack (pid {pid}) not healthy after {START_TIMEOUT_S:.0f} s; it keeps running, "
        f"stop it with `make localstack-down`. The last lines of {LOG_FILE}:\n{tail(LOG_FILE)}"
    )


def stop(timeout: float = 30.0) -> bool:
    """Stop the instance this tool started; return False when none was running."""
    pid = _read_pid()
    if pid is None:
        PID_FILE.unlink(missing_ok=True)
        if health() is not None:
            raise LocalStackError(
                f"A LocalStack answers on {endpoint_url()} but was not started by this tool "
                f"(no pid file in {STATE_DIR}); stop it where it was started."
            )
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)  # its own session: the runtime and its children
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    return True


def env_lines() -> list[str]:
    """Shell exports that point the AWS CLI / SDKs at this LocalStack."""
    return [
        f"export AWS_ENDPOINT_URL={endpoint_url()}",
        "export AWS_ACCESS_KEY_ID=test",
        "export AWS_SECRET_ACCESS_KEY=test",
        "export AWS_DEFAULT_REGION=us-east-1",
    ]

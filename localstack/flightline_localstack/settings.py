"""Where the plugin finds the repository, keeps its run files and reaches LocalStack."""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# tools/local/localstack.py passes the repository root; the fallback is this editable
# install's location.
REPO_ROOT = Path(os.environ.get("FLIGHTLINE_REPO_ROOT", Path(__file__).resolve().parents[2]))
STATE_DIR = Path(
    os.environ.get("FLIGHTLINE_LOCALSTACK_STATE_DIR", REPO_ROOT / ".state" / "localstack")
)
GLUE_RUNS_DIR = STATE_DIR / "glue-runs"
CRAWLS_DIR = STATE_DIR / "glue-crawls"
CODEBUILD_RUNS_DIR = STATE_DIR / "codebuild-runs"


@dataclass(frozen=True)
class PostgresServer:
    """The local PostgreSQL that stands in for Redshift Serverless namespaces."""

    host: str
    port: int
    user: str  # the cluster owner: the emulator's own login, and the namespaces' admin
    password_file: Path


def local_postgres() -> PostgresServer:
    """The project's cluster as tools/local/postgres.py lays it out (FLIGHTLINE_PG_PORT,
    FLIGHTLINE_STATE_DIR: the environment LocalStack was started with)."""
    state_root = Path(os.environ.get("FLIGHTLINE_STATE_DIR", REPO_ROOT / ".state"))
    port = int(os.environ.get("FLIGHTLINE_PG_PORT", "54329"))
    return PostgresServer("127.0.0.1", port, "flightline", state_root / "postgres" / "password")


# Environment variables of the LocalStack process that must not reach job and build
# subprocesses: they configure the emulator itself or its Python.
_EMULATOR_ONLY_PREFIXES = (
    "GATEWAY_",
    "LOCALSTACK_",
    "PROVIDER_OVERRIDE_",
    "PYTHON",
    "VIRTUAL_ENV",
    "AWS_",
    "FLIGHTLINE_LOCALSTACK_",
)
_EMULATOR_ONLY_KEYS = {
    "FILESYSTEM_ROOT",
    "CONFIG_DIR",
    "DNS_ADDRESS",
    "DISABLE_EVENTS",
    "SKIP_SSL_CERT_DOWNLOAD",
    "PERSISTENCE",
    "SQS_ENDPOINT_STRATEGY",
    "SFN_MOCK_CONFIG",
    "DEBUG",
    "LS_LOG",
}


def job_python() -> str:
    """The pipeline's Python (3.13 + pyspark 4.1, as Glue 6.0) that runs job scripts."""
    return os.environ.get("FLIGHTLINE_JOB_PYTHON", str(REPO_ROOT / ".venv" / "bin" / "python"))


@functools.cache
def job_site_packages(python: str) -> str:
    """Where the job Python's packages are (pyspark, boto3: what Glue itself provides)."""
    query = "import sysconfig; print(sysconfig.get_path('purelib'))"
    return subprocess.run(
        [python, "-c", query], capture_output=True, text=True, check=True
    ).stdout.strip()


def endpoint_url() -> str:
    """How a subprocess on this host reaches LocalStack (the gateway's first listen address)."""
    from localstack import config

    listen = config.GATEWAY_LISTEN[0]
    host = "127.0.0.1" if listen.host in ("0.0.0.0", "", "localhost") else listen.host  # noqa: S104
    return f"http://{host}:{listen.port}"


def subprocess_env(account_id: str, region: str) -> dict[str, str]:
    """A clean environment for a job or build: the host's, minus the emulator's own settings,
    plus credentials and endpoint for LocalStack (the access key selects the account)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _EMULATOR_ONLY_KEYS and not key.startswith(_EMULATOR_ONLY_PREFIXES)
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url(),
            "AWS_ACCESS_KEY_ID": "test" if account_id == "000000000000" else account_id,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


DUMMY_SECRET = "test"  # noqa: S105 (LocalStack accepts any secret; the key id picks the account)


def clients(account_id: str, region: str):
    """LocalStack's internal boto clients for one account and region (`.s3`, `.glue`, ...)."""
    from localstack.aws.connect import connect_to

    return connect_to(
        aws_access_key_id=account_id, aws_secret_access_key=DUMMY_SECRET, region_name=region
    )

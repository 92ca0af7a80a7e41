"""The LocalStack runtime itself: reachable on 127.0.0.1 only, S3 works, start is idempotent."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tools.deploy.config import REPO_ROOT
from tools.local import localstack as manager


def test_health_reports_the_pinned_version(localstack: str) -> None:
    url = f"{localstack}/_localstack/health"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http to 127.0.0.1)
        body = json.loads(response.read())
    assert body["version"].startswith("2026.3.0")
    assert localstack.startswith("http://127.0.0.1:")


def test_listens_on_loopback_only(localstack: str) -> None:
    port = int(localstack.rsplit(":", 1)[1])
    # An address of this host that is not loopback, if it has one, must refuse the port.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            pytest.skip("this host has no non-loopback IPv4 address to probe")
    if address.startswith("127."):
        pytest.skip("this host has no non-loopback IPv4 address to probe")
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex((address, port)) != 0


def test_s3_round_trip(localstack_client, localstack_bucket: str) -> None:
    s3 = localstack_client("s3")
    s3.put_object(Bucket=localstack_bucket, Key="dim/airports.csv", Body=b"airport_id,city\n1,A\n")
    body = s3.get_object(Bucket=localstack_bucket, Key="dim/airports.csv")["Body"].read()
    assert body == b"airport_id,city\n1,A\n"


def local_services(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.local", "localstack", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def test_start_reuses_the_running_instance(localstack: str) -> None:
    pid_file = Path(manager.PID_FILE)
    pid_before = pid_file.read_text() if pid_file.exists() else None
    assert "already running" in local_services("start").stdout
    pid_after = pid_file.read_text() if pid_file.exists() else None
    assert pid_before == pid_after


def test_the_url_command_names_the_running_instance(localstack: str) -> None:
    # make files ask this command instead of spelling the port (FLIGHTLINE_LOCALSTACK_PORT).
    assert local_services("url").stdout.strip() == localstack


def test_env_helper_is_scoped_to_one_test(localstack_env: dict[str, str]) -> None:
    import boto3

    # A client built with no explicit endpoint reaches LocalStack through the env.
    sts = boto3.client("sts")
    assert sts.get_caller_identity()["Account"] == "000000000000"
    assert localstack_env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")

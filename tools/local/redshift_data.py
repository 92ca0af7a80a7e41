"""Registers a Redshift Serverless workgroup with the local Redshift Data API emulator.

The emulator (localstack/flightline_localstack/services/redshiftdata/) runs Data API
statements on the local PostgreSQL; Redshift Serverless itself is not emulated, so the local
deploy tells it, per workgroup, which PostgreSQL stands in for the namespace and which IAM
roles the namespace has (COPY ... IAM_ROLE accepts only those). The file format is the one
`services/redshiftdata/workgroups.py` reads. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tools.local import localstack as localstack_manager
from tools.local import postgres as localpg

DEFAULT_ACCOUNT, DEFAULT_REGION = "000000000000", "us-east-1"


def registration_path(
    workgroup: str, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION
) -> Path:
    return (
        localstack_manager.STATE_DIR / "redshift-data" / "workgroups" / account / region
        / f"{workgroup}.json"
    )  # fmt: skip


def register_workgroup(
    workgroup: str, namespace: str, iam_roles: Sequence[str], *,
    account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION,
) -> Path:  # fmt: skip
    """Point `workgroup` at the local PostgreSQL (tools/local/postgres) with the namespace's
    IAM roles; replaces an earlier registration. Returns the file written."""
    info = localpg.conninfo()
    path = registration_path(workgroup, account, region)
    path.parent.mkdir(parents=True, exist_ok=True)
    registration = {
        "namespace": namespace,
        "postgres": {
            "host": info.host,
            "port": info.port,
            "user": info.user,
            "password_file": str(localpg.PASSWORD_FILE),
        },
        "iam_roles": list(iam_roles),
    }
    path.write_text(json.dumps(registration, indent=1) + "\n")
    return path


def admin_secret_value() -> str:
    """What the namespace's admin secret holds (`username`, `password`: as Redshift's
    managed admin secret): locally the cluster owner's login."""
    info = localpg.conninfo()
    return json.dumps({"username": info.user, "password": info.password})

"""Where a workgroup's database is: registrations the local deploy writes for the emulator.

The emulated Redshift Serverless (services/redshiftserverless: CreateWorkgroup, hence the
warehouse stack's AWS::RedshiftServerless::Workgroup) registers each workgroup it creates, and
tests may register one directly (`tools/local/redshift_data.py`): one file per workgroup,
`<state dir>/redshift-data/workgroups/<account>/<region>/<workgroup>.json`. It holds

- `namespace`: the namespace the workgroup belongs to (COPY's error names it);
- `postgres`: the local PostgreSQL standing in for the namespace: `host`, `port`, and the
  emulator's own login (`user`, `password_file`, the cluster owner). That login is used only
  to take an IAM caller's database identity (`set session authorization`), as Redshift's
  GetCredentials does for it; SQL never runs with it as such;
- `iam_roles`: the IAM role ARNs associated with the namespace (the warehouse stack's
  `Namespace.IamRoles`): COPY ... IAM_ROLE accepts only these.

Read at every call, so a registration takes effect without restarting LocalStack. An
unregistered workgroup fails closed (ValidationException).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from flightline_localstack import settings

WORKGROUPS_DIR = settings.STATE_DIR / "redshift-data" / "workgroups"
_NAME = re.compile(r"^[a-z0-9-]{3,64}$")  # "CreateWorkgroup", Redshift Serverless API


class UnknownWorkgroup(LookupError):
    pass


@dataclass(frozen=True)
class ServiceLogin:
    host: str
    port: int
    user: str
    password: str


@dataclass(frozen=True)
class Workgroup:
    name: str
    namespace: str
    account: str
    region: str
    login: ServiceLogin
    iam_roles: tuple[str, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account}:workgroup/{self.name}"


def registration_path(account: str, region: str, name: str) -> Path:
    return WORKGROUPS_DIR / account / region / f"{name}.json"


def register(account: str, region: str, name: str, namespace: str, iam_roles: list[str]) -> Path:
    """Point workgroup `name` at the local PostgreSQL (settings.local_postgres)."""
    server = settings.local_postgres()
    path = registration_path(account, region, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    registration = {
        "namespace": namespace,
        "postgres": {"host": server.host, "port": server.port, "user": server.user,
                     "password_file": str(server.password_file)},
        "iam_roles": list(iam_roles),
    }  # fmt: skip
    path.write_text(json.dumps(registration, indent=1) + "\n")
    return path


def unregister(account: str, region: str, name: str) -> None:
    registration_path(account, region, name).unlink(missing_ok=True)


def workgroup(account: str, region: str, name: str) -> Workgroup:
    path = registration_path(account, region, name) if _NAME.match(name or "") else None
    if path is None or not path.is_file():
        raise UnknownWorkgroup(f"workgroup {name} not found")
    data = json.loads(path.read_text())
    postgres = data["postgres"]
    password = Path(postgres["password_file"]).read_text().strip()
    return Workgroup(
        name=name,
        namespace=data["namespace"],
        account=account,
        region=region,
        login=ServiceLogin(postgres["host"], int(postgres["port"]), postgres["user"], password),
        iam_roles=tuple(data.get("iam_roles", ())),
    )

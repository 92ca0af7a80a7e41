"""Which warehouse to load: a PostgreSQL URL locally, or a Secrets Manager secret anywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from ..storage import Storage
from .base import WarehouseLoader


@dataclass(frozen=True)
class WarehouseConfig:
    engine: str  # "postgres" | "redshift"
    settings: dict = field(default_factory=dict, repr=False)  # may hold a password

    @classmethod
    def from_url(cls, url: str) -> WarehouseConfig:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("a warehouse URL must be postgresql://...; use a secret for Redshift")
        return cls("postgres", {"url": url})

    @classmethod
    def from_secret(cls, secret_id: str, client=None) -> WarehouseConfig:
        """The secret's JSON: {"engine": "redshift", "workgroup", "database", "copy_role_arn"}
        or {"engine": "postgres", "host", "port", "username", "password", "dbname"}."""
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        value = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
        engine = value.get("engine")
        if engine not in ("postgres", "redshift"):
            raise ValueError(f"secret {secret_id}: engine must be postgres or redshift")
        return cls(engine, value)

    def postgres_url(self) -> str:
        if "url" in self.settings:
            return self.settings["url"]
        s = self.settings
        user = quote(s["username"], safe="")
        password = quote(s.get("password", ""), safe="")
        return f"postgresql://{user}:{password}@{s['host']}:{s.get('port', 5432)}/{s['dbname']}"


def loader_for(config: WarehouseConfig, staged_storage: Storage) -> WarehouseLoader:
    if config.engine == "postgres":
        from .postgres import PostgresLoader

        return PostgresLoader(config.postgres_url(), staged_storage)
    import boto3

    from .redshift import RedshiftLoader

    s = config.settings
    return RedshiftLoader(
        boto3.client("redshift-data"), s["workgroup"], s["database"], s["copy_role_arn"],
        staged_storage,
    )  # fmt: skip

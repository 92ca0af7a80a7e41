"""Clients for the deploy tool and the programs built on it: AWS, or an emulator endpoint.

Against AWS: boto3's own credential and region chain. Against an emulator (LocalStack,
`--endpoint-url http://host:port`): clients from `localstack-client`, with dummy credentials,
so real ones are never sent to it. The local LocalStack's URL itself comes from the local
service manager (`python -m tools.local localstack url`, tools/local/localstack.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from localstack_client.session import Session as LocalStackSession

from tools.deploy.config import ConfigError, EnvConfig, load_env

ClientFactory = Callable[[str], Any]
RETRIES = Config(retries={"max_attempts": 8, "mode": "adaptive"})


def make_session(region: str | None, endpoint_url: str | None) -> tuple[ClientFactory, str]:
    """A client factory bound to the region (and emulator endpoint, when given)."""
    region = boto3.session.Session(region_name=region).region_name
    if not region:
        raise ConfigError("no region: pass --region, set AWS_REGION or the env file's 'region'")
    if endpoint_url:
        session = emulator_session(endpoint_url, region)
        return (lambda service: session.client(service, config=RETRIES)), region
    session = boto3.session.Session(region_name=region)
    return (lambda service: session.client(service, config=RETRIES)), region


class _EmulatorSession(LocalStackSession):
    """localstack-client's session for every service: its list of services lacks some the
    project emulates (redshift-serverless); all of them are behind the one gateway."""

    def client(self, service_name: str, **kwargs: Any) -> Any:
        gateway = self._service_endpoint_mapping["s3"]
        self._service_endpoint_mapping.setdefault(service_name, gateway)
        return super().client(service_name, **kwargs)


def emulator_session(endpoint_url: str, region: str) -> LocalStackSession:
    """A localstack-client session bound to the LocalStack at `endpoint_url` (http://host:port).

    localstack-client takes the address as `localstack_host`, but lets AWS_ENDPOINT_URL and
    USE_SSL from the environment win over it; a URL it would not use is refused here rather
    than silently replaced."""
    parts = urlsplit(endpoint_url)
    if (
        parts.scheme != "http"
        or not parts.hostname
        or not parts.port
        or parts.path not in ("", "/")
    ):
        raise ConfigError(f"emulator endpoint {endpoint_url!r}: expected http://host:port")
    from_env = os.environ.get("AWS_ENDPOINT_URL", "").strip().rstrip("/")
    if from_env and from_env != endpoint_url.rstrip("/"):
        raise ConfigError(
            f"AWS_ENDPOINT_URL={from_env} overrides the endpoint {endpoint_url}: unset it "
            "or pass the same URL"
        )
    if os.environ.get("USE_SSL") in ("1", "true"):
        raise ConfigError(f"USE_SSL is set: the emulator at {endpoint_url} speaks http")
    return _EmulatorSession(
        aws_access_key_id="test",  # emulators take any credentials; never send real ones
        aws_secret_access_key="test",  # noqa: S106
        region_name=region,
        localstack_host=f"{parts.hostname}:{parts.port}",
    )


@dataclasses.dataclass(frozen=True)
class Target:
    """An environment to act on: its settings, a client factory and where it lives."""

    config: EnvConfig
    client: ClientFactory
    where: str  # "AWS <region>" or the emulator's URL, for messages


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """--env, --endpoint-url, --region: what every command on a deployed environment takes."""
    parser.add_argument("--env", required=True, help="cloudformation/parameters/<env>.json")
    parser.add_argument("--endpoint-url", help="an emulator, e.g. the local LocalStack")
    parser.add_argument("--region", help="default: the env file's region, then AWS config")


def open_target(args: argparse.Namespace) -> Target:
    """The environment the parsed target arguments name (ConfigError when it cannot be)."""
    config = load_env(args.env)
    client, region = make_session(args.region or config.region, args.endpoint_url)
    return Target(config, client, args.endpoint_url or f"AWS {region}")

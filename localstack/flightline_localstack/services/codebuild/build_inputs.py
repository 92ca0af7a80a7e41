"""What a build starts from: its source, its buildspec and its environment variables.

Sources: NO_SOURCE (inline buildspec) or S3 (`bucket/key.zip` or `bucket/prefix/`). The
buildspec is the StartBuild override, the project's, or `buildspec.yml` in the source.
Variables: the buildspec's `env` (variables, secrets-manager, parameter-store), then the
project's and StartBuild's, which win. On PATH first: the pipeline's venv (`.venv/bin`), so
`dbt` and `python` are the project's; FLIGHTLINE_CODEBUILD_LOCAL=1 lets a buildspec skip
installs.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import yaml

from flightline_localstack import settings
from flightline_localstack.services.codebuild.models import Build


class BuildError(Exception):
    """The build cannot run (source, buildspec): status FAULT/FAILED with this message."""


def parse_s3_location(location: str) -> tuple[str, str]:
    location = location.removeprefix("arn:aws:s3:::").removeprefix("s3://")
    bucket, _, key = location.partition("/")
    return bucket, key


def download_source(clients, source: dict, target: Path) -> None:
    kind = source.get("type", "NO_SOURCE")
    if kind == "NO_SOURCE":
        return
    if kind != "S3":
        raise BuildError(f"source type {kind} is not supported locally (use S3 or NO_SOURCE)")
    bucket, key = parse_s3_location(source.get("location") or "")
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


def load_buildspec(clients, build: Build, src: Path) -> dict:
    text = build.buildspec_override or build.source.get("buildspec") or "buildspec.yml"
    if "\n" not in text and "phases" not in text:
        if text.startswith("arn:aws:s3:::") or text.startswith("s3://"):
            bucket, key = parse_s3_location(text)
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


def build_env(clients, build: Build, spec: dict, src: Path) -> dict[str, str]:
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

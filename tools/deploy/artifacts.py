"""Build the deployable artifacts and upload them under content-hashed keys.

Keys look like `artifacts/<kind>/<sha256 prefix>/<file name>`: a changed input gives a new
key, so the stack parameter changes and CloudFormation updates exactly what uses it; an
unchanged input gives the same key, nothing is uploaded and the stacks stay as they are.
The hash is over file names and contents (not zip bytes), so it is the same on every machine.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.deploy.config import REPO_ROOT

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", "target", "logs", "dbt_packages", ".venv"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
EXCLUDED_NAMES = {".user.yml", ".DS_Store"}


class ArtifactError(RuntimeError):
    """An input the deployment needs is missing."""


@dataclass(frozen=True)
class Artifact:
    parameter: str  # the template parameter that receives the key
    key: str
    body: bytes
    content_type: str

    @property
    def digest(self) -> str:
        return self.key.split("/")[2]


def _digest(entries: Iterable[tuple[str, bytes]]) -> str:
    sha = hashlib.sha256()
    for name, data in entries:
        sha.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return sha.hexdigest()[:20]


def _files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in EXCLUDED_DIRS for part in rel.parts[:-1]) or path.is_dir():
            continue
        if path.suffix in EXCLUDED_SUFFIXES or path.name in EXCLUDED_NAMES:
            continue
        if rel.parts and rel.parts[0] in EXCLUDED_DIRS:
            continue
        found.append(path)
    return found


def deterministic_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on the entries (fixed timestamps and modes, sorted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise ArtifactError(f"{what} not found at {path}")
    return path


def glue_script(root: Path = REPO_ROOT) -> Artifact:
    path = _require(root / "glue" / "glue_entry.py", "the Glue entry script")
    data = path.read_bytes()
    digest = _digest([(path.name, data)])
    return Artifact("ScriptKey", f"artifacts/glue/{digest}/glue_entry.py", data, "text/x-python")


def glue_library(root: Path = REPO_ROOT) -> Artifact:
    package = _require(root / "glue" / "flightline_glue", "the flightline_glue package")
    entries = _tree(package, relative_to=package.parent)
    return _zipped("LibraryKey", "glue", "flightline_glue.zip", entries)


def definition_parameter(asl: Path) -> str:
    """The orchestration stack's parameter for an ASL file's key: day_load.asl.json ->
    DayLoadDefinitionKey (cloudformation/orchestration.yaml, one per state machine)."""
    stem = asl.name.removesuffix(".asl.json")
    return "".join(part.capitalize() for part in stem.split("_")) + "DefinitionKey"


def state_machines(root: Path = REPO_ROOT) -> list[Artifact]:
    """Every state machine definition, stepfunctions/*.asl.json, one artifact each."""
    folder = _require(root / "stepfunctions", "the state machines folder")
    found = []
    for path in sorted(folder.glob("*.asl.json")):
        data = path.read_bytes()
        digest = _digest([(path.name, data)])
        found.append(
            Artifact(
                definition_parameter(path),
                f"artifacts/stepfunctions/{digest}/{path.name}",
                data,
                "application/json",
            )
        )
    if not found:
        raise ArtifactError(f"no state machine definitions (*.asl.json) in {folder}")
    return found


def dbt_requirements(requirements: Path) -> bytes:
    """The dbt pins of requirements.txt: the build installs exactly what developers run."""
    lines = [
        line.strip()
        for line in requirements.read_text(encoding="utf-8").splitlines()
        if line.strip().lower().startswith("dbt-")
    ]
    if not lines:
        raise ArtifactError(f"no dbt-* pins in {requirements}")
    return ("\n".join(lines) + "\n").encode()


def dbt_bundle(root: Path = REPO_ROOT) -> Artifact:
    project = _require(root / "dbt_project", "the dbt project")
    _require(project / "dbt_project.yml", "dbt_project/dbt_project.yml")
    entries = _tree(project, relative_to=project)
    entries.append(("requirements-dbt.txt", dbt_requirements(root / "requirements.txt")))
    return _zipped("DbtBundleKey", "dbt", "dbt_project.zip", entries)


def _tree(folder: Path, relative_to: Path) -> list[tuple[str, bytes]]:
    """(archive name, content) of every file _files keeps under folder."""
    return [
        (path.relative_to(relative_to).as_posix(), path.read_bytes()) for path in _files(folder)
    ]


def _zipped(parameter: str, kind: str, name: str, entries: list[tuple[str, bytes]]) -> Artifact:
    """A zip artifact under a key named by the hash of its entries."""
    digest = _digest(sorted(entries))
    return Artifact(
        parameter,
        f"artifacts/{kind}/{digest}/{name}",
        deterministic_zip(entries),
        "application/zip",
    )


def build_all(root: Path = REPO_ROOT) -> list[Artifact]:
    return [glue_script(root), glue_library(root), *state_machines(root), dbt_bundle(root)]


def upload(s3: Any, bucket: str, artifacts: list[Artifact], log: Any = print) -> int:
    """Upload the artifacts not in the bucket yet; returns how many were uploaded."""
    uploaded = 0
    for artifact in artifacts:
        try:
            s3.head_object(Bucket=bucket, Key=artifact.key)
            log(f"  artifact present  s3://{bucket}/{artifact.key}")
            continue
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        s3.put_object(
            Bucket=bucket, Key=artifact.key, Body=artifact.body, ContentType=artifact.content_type
        )
        uploaded += 1
        log(f"  artifact uploaded s3://{bucket}/{artifact.key} ({len(artifact.body)} bytes)")
    return uploaded

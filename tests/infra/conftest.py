"""Shared helpers for the infrastructure tests: the parsed templates and the state machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import cfn_yaml
from tools.deploy.config import TEMPLATE_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_DIR = REPO_ROOT / "stepfunctions"
# One state machine per job (cloudformation/orchestration.yaml), by file stem.
ASL_PATHS = {
    path.name.removesuffix(".asl.json"): path for path in sorted(ASL_DIR.glob("*.asl.json"))
}
TEMPLATE_PATHS = sorted(TEMPLATE_DIR.glob("*.yaml"))


@pytest.fixture(scope="session")
def templates() -> dict[str, dict[str, Any]]:
    return {path.stem: cfn_yaml.load(path) for path in TEMPLATE_PATHS}


def load_machine(name: str) -> dict[str, Any]:
    return json.loads(ASL_PATHS[name].read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def machines() -> dict[str, dict[str, Any]]:
    """Every machine's definition by name: day, day_load, marts_build, missed_day, ..."""
    return {name: load_machine(name) for name in ASL_PATHS}


def machine_fixture(name: str) -> Any:
    """A module's `asl` fixture: the machine its states live in (`asl = machine_fixture("day")`)."""

    @pytest.fixture(scope="module")
    def asl() -> dict[str, Any]:
        return load_machine(name)

    return asl

"""Shared helpers for the infrastructure tests: the parsed templates and the ASL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import cfn_yaml
from tools.deploy.config import TEMPLATE_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = REPO_ROOT / "stepfunctions" / "pipeline.asl.json"
TEMPLATE_PATHS = sorted(TEMPLATE_DIR.glob("*.yaml"))


@pytest.fixture(scope="session")
def templates() -> dict[str, dict[str, Any]]:
    return {path.stem: cfn_yaml.load(path) for path in TEMPLATE_PATHS}


@pytest.fixture(scope="session")
def asl() -> dict[str, Any]:
    return json.loads(ASL_PATH.read_text(encoding="utf-8"))

"""Run IAM requests through @cloud-copilot/iam-simulate (evaluate.cjs, one Node process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("evaluate.cjs")
REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / ".state" / "node" / "node_modules"


class EvaluatorError(RuntimeError):
    """The evaluator is missing or failed."""


def run(payload: dict[str, Any], node_modules: Path = NODE_MODULES) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise EvaluatorError("node not found: the IAM check needs Node.js 18+ (make check-iam)")
    if not (node_modules / "@cloud-copilot" / "iam-simulate").is_dir():
        raise EvaluatorError(f"@cloud-copilot/iam-simulate is not installed in {node_modules}")
    completed = subprocess.run(  # a fixed script, the requests as JSON on stdin
        [node, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(node_modules)},
        check=False,
    )
    if completed.returncode != 0:
        raise EvaluatorError(f"iam-simulate failed: {completed.stderr.strip()}")
    return json.loads(completed.stdout)

"""Environment settings: cloudformation/parameters/<env>.json.

```json
{
  "region": "us-east-1",                       (optional; else --region / AWS config)
  "stacks": ["storage", "network", ...],       (deployed in this order; `dashboards` is
                                                added when EnableDashboards is "true")
  "parameters": {"EnvName": "dev", ...}        (one map for all stacks; each stack gets the
}                                               keys its template declares)
```
A parameter value is a string, `{"file": "<repo-relative path>", "default": "..."}` for a
value read from a local file when it exists (the local PostgreSQL password), or
`{"env": "NAME", "default": "..."}` for a value from the environment (the local PostgreSQL
port, FLIGHTLINE_PG_PORT, as tools/local/postgres.py reads it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "cloudformation"
PARAMETER_DIR = TEMPLATE_DIR / "parameters"

# Dependency order: each stack imports only exports of stacks before it. ci-deploy-role
# comes first: it holds the permissions boundary every workload role is created with (an
# administrator deploys it once per account and env; CI never deploys it).
CI_STACK = "ci-deploy-role"
# dashboards (QuickSight) is opt-in: deployed only where the env sets EnableDashboards=true.
DASHBOARDS_STACK = "dashboards"
STACK_ORDER = (
    CI_STACK, "storage", "network", "warehouse", "glue", "orchestration", DASHBOARDS_STACK,
)  # fmt: skip


class ConfigError(ValueError):
    """The environment's parameter file is missing or malformed."""


@dataclass(frozen=True)
class EnvConfig:
    env: str
    stacks: tuple[str, ...]
    parameters: dict[str, str]
    region: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.parameters.get("Project", "flightline")

    def stack_name(self, stack: str) -> str:
        return f"{self.project}-{self.parameters['EnvName']}-{stack}"


def _resolve(key: str, value: Any, root: Path) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and "file" in value:
        path = root / value["file"]
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        return str(value.get("default", ""))
    if isinstance(value, dict) and "env" in value:
        return os.environ.get(value["env"]) or str(value.get("default", ""))
    raise ConfigError(
        f"parameter {key}: expected a string, {{'file': ...}} or {{'env': ...}}, got {value!r}"
    )


def load_env(env: str, parameter_dir: Path = PARAMETER_DIR, root: Path = REPO_ROOT) -> EnvConfig:
    path = parameter_dir / f"{env}.json"
    if not path.is_file():
        known = sorted(p.stem for p in parameter_dir.glob("*.json"))
        raise ConfigError(f"no parameter file {path} (environments: {', '.join(known)})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    raw = data.get("parameters", {})
    parameters = {key: _resolve(key, value, root) for key, value in raw.items()}
    default = tuple(s for s in STACK_ORDER if s != DASHBOARDS_STACK)
    stacks = tuple(data.get("stacks", default))
    dashboards = parameters.get("EnableDashboards", "false") == "true"
    if DASHBOARDS_STACK in stacks and not dashboards:
        raise ConfigError(
            f"{path}: the {DASHBOARDS_STACK} stack is opt-in: set parameters.EnableDashboards "
            'to "true" (and DashboardViewerArn) instead of listing it'
        )
    if dashboards and DASHBOARDS_STACK not in stacks:
        stacks = (*stacks, DASHBOARDS_STACK)
    unknown = [s for s in stacks if s not in STACK_ORDER]
    if unknown:
        raise ConfigError(f"{path}: unknown stacks {unknown} (known: {list(STACK_ORDER)})")
    if [s for s in stacks if s != CI_STACK][:1] != ["storage"]:
        raise ConfigError(
            f"{path}: 'storage' must come first after {CI_STACK} (it holds the artifacts bucket)"
        )
    if list(stacks) != sorted(stacks, key=STACK_ORDER.index):
        raise ConfigError(f"{path}: stacks must follow the dependency order {list(STACK_ORDER)}")
    if parameters.get("EnvName") != env:
        raise ConfigError(f"{path}: parameters.EnvName must be {env!r}")
    return EnvConfig(
        env=env,
        stacks=stacks,
        parameters=parameters,
        region=data.get("region"),
        description=data.get("description", ""),
    )


def stack_parameter_values(config: EnvConfig, template: dict[str, Any]) -> dict[str, str]:
    """The values a stack of this environment is deployed with: the env file's for the
    parameters the template declares, the template's `Default` for the others (a parameter
    with neither, such as an artifact key the deploy tool sets, is left out)."""
    values = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in config.parameters:
            values[name] = config.parameters[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
    return values

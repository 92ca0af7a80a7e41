"""Local responses against the model and against a recording of the same calls on AWS.

For a recorded body and a local body of one operation, the comparison lists the member paths
(`JobRun.Arguments{}`, `builds[].phases[].contexts[].message`) that the recording has and
local lacks, those local adds, and those whose JSON types differ (string, number, boolean,
object, array, null). Map keys are data (job arguments, tags), so a map's entries count as
one path `{}`; list items are merged, so `[]` stands for every item.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from botocore.model import Shape

from tools.parity import calls, shapes


@dataclasses.dataclass
class Difference:
    """How a local body differs from the recorded body of the same call."""

    lacks: list[str] = dataclasses.field(default_factory=list)
    adds: list[str] = dataclasses.field(default_factory=list)
    types: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lacks or self.adds or self.types)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def member_types(body: Any, shape: Shape | None, path: str = "") -> dict[str, set[str]]:
    """Every member path in `body` with the JSON types seen there."""
    found: dict[str, set[str]] = {}
    _walk(body, shape, path, found)
    return found


def _walk(value: Any, shape: Shape | None, path: str, found: dict[str, set[str]]) -> None:
    if path:
        found.setdefault(path, set()).add(json_type(value))
    kind = shape.type_name if shape is not None else None
    if isinstance(value, list):
        member = shape.member if kind == "list" else None
        for item in value:
            _walk(item, member, f"{path}[]", found)
    elif isinstance(value, dict) and kind == "map":
        for item in value.values():
            _walk(item, shape.value, f"{path}{{}}", found)
    elif isinstance(value, dict):
        members = shapes.members_on_wire(shape) if kind == "structure" else {}
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            _walk(item, members[key][1] if key in members else None, f"{prefix}{key}", found)


def difference(service: str, operation: str, recorded: Any, local: Any) -> Difference:
    shape = shapes.output_shape(service, operation)
    want, got = member_types(recorded, shape), member_types(local, shape)
    return Difference(
        lacks=sorted(want.keys() - got.keys()),
        adds=sorted(got.keys() - want.keys()),
        types=[
            f"{path}: recorded {'/'.join(sorted(want[path]))}, local {'/'.join(sorted(got[path]))}"
            for path in sorted(want.keys() & got.keys())
            if not want[path] & got[path]
        ],
    )


# ---- two recording directories --------------------------------------------------------------


@dataclasses.dataclass
class CallReport:
    """One local call: what the model finds wrong, and how it differs from the recording."""

    name: str
    problems: list[str]
    difference: Difference | None  # None: nothing recorded for this call
    missing: bool = False  # recorded on AWS, not made locally

    @property
    def failed(self) -> bool:
        """Wrong against the model, a type that differs, or a call local did not make."""
        return bool(self.problems or self.missing or (self.difference and self.difference.types))

    def lines(self) -> list[str]:
        if self.missing:
            return [f"{self.name}: recorded, but no local call of that name"]
        status = "FAILED" if self.failed else "ok"
        out = [f"{self.name}: {status}"]
        out += [f"  model: {p}" for p in self.problems]
        if self.difference is not None:
            out += [f"  type differs: {t}" for t in self.difference.types]
            out += [f"  local lacks: {p}" for p in self.difference.lacks]
            out += [f"  local adds: {p}" for p in self.difference.adds]
        return out


def compare_dirs(local: Path, recorded: Path | None = None) -> list[CallReport]:
    """Every local call checked against the model, and against the recorded call of the same
    file name when a recording directory is given."""
    local_calls = calls.read_dir(local)
    recorded_calls = calls.read_dir(recorded) if recorded is not None else {}
    reports = []
    for name, call in local_calls.items():
        other = recorded_calls.get(name)
        reports.append(
            CallReport(
                name,
                shapes.problems(call.service, call.operation, call.response),
                None
                if other is None
                else difference(call.service, call.operation, other.response, call.response),
            )
        )
    reports += [
        CallReport(name, [], None, missing=True)
        for name in sorted(recorded_calls.keys() - local_calls.keys())
    ]
    return reports

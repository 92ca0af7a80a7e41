"""The AWS API model shipped with botocore, applied to response bodies as they travel (JSON).

Three uses of one walk over an operation's output shape:
- `problems(...)`: what a body gets wrong against the model (a required member missing, a
  member the model does not name, a value of the wrong type, an enum value the model does not
  list, a timestamp that is not in the protocol's wire format);
- `example(...)`: a body with every member the model names (the committed synthetic example
  of a recording, tests/fixtures/parity_example/);
- `to_wire(...)`: a parsed response (what boto3 returns) back in wire form, for responses that
  never had a wire form (botocore's Stubber).

Only the JSON protocols are handled: Glue, CodeBuild, the Redshift Data API and Step
Functions all speak `json`. Wire timestamps there are epoch seconds unless the shape says
otherwise (botocore's `timestampFormat`; the protocol default is `unixTimestamp`).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.utils import parse_timestamp

JSON_PROTOCOLS = {"json", "rest-json"}
EXAMPLE_TIME = 1704067200.5  # 2024-01-01T00:00:00.5Z, as epoch seconds on the wire


class UnsupportedService(ValueError):
    """A service whose protocol is not JSON (its bodies are not compared here)."""


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def operation(service: str, name: str) -> OperationModel:
    """The botocore model of one operation, e.g. operation("glue", "GetJobRun")."""
    model = _session().get_service_model(service)
    if model.protocol not in JSON_PROTOCOLS:
        raise UnsupportedService(f"{service}: protocol {model.protocol} (JSON only)")
    return model.operation_model(name)


def output_shape(service: str, name: str) -> Shape:
    shape = operation(service, name).output_shape
    if shape is None:
        raise UnsupportedService(f"{service} {name} has no output")
    return shape


def wire_name(member_name: str, member: Shape) -> str:
    return member.serialization.get("name", member_name)


def members_on_wire(shape: Shape) -> dict[str, tuple[str, Shape]]:
    """A structure's members by the name they have in a body: wire name -> (model name, shape)."""
    return {wire_name(name, member): (name, member) for name, member in shape.members.items()}


def timestamp_format(shape: Shape) -> str:
    return shape.serialization.get("timestampFormat", "unixTimestamp")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---- what a body gets wrong -----------------------------------------------------------------


def problems(service: str, name: str, body: Any) -> list[str]:
    """Every way `body` (a decoded JSON response) departs from the operation's output shape,
    as `<path>: <what>` lines; empty when it conforms."""
    found: list[str] = []
    _check(body, output_shape(service, name), name, found)
    return found


def _check(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    kind = shape.type_name
    if value is None:
        found.append(f"{path}: null where the model's type is {kind}")
        return
    check = _CHECKS.get(kind)
    if check is not None:
        check(value, shape, path, found)


def _check_structure(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: {type(value).__name__} where the model's type is structure")
        return
    known = members_on_wire(shape)
    required = {wire_name(m, shape.members[m]) for m in shape.required_members}
    for key in sorted(required - value.keys()):
        found.append(f"{path}.{key}: required member missing")
    for key, item in value.items():
        if key not in known:
            found.append(f"{path}.{key}: not a member of {shape.name}")
        else:
            _check(item, known[key][1], f"{path}.{key}", found)


def _check_list(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, list):
        found.append(f"{path}: {type(value).__name__} where the model's type is list")
        return
    for index, item in enumerate(value):
        _check(item, shape.member, f"{path}[{index}]", found)


def _check_map(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: {type(value).__name__} where the model's type is map")
        return
    for key, item in value.items():
        _check(key, shape.key, f"{path}{{key}}", found)
        _check(item, shape.value, f"{path}{{{key}}}", found)


def _check_string(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, str):
        found.append(f"{path}: {type(value).__name__} where the model's type is string")
    elif shape.enum and value not in shape.enum:
        found.append(f"{path}: {value!r} is not one of {shape.name}'s values")


def _check_integer(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        found.append(f"{path}: {value!r} where the model's type is {shape.type_name}")


def _check_float(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not is_number(value):
        found.append(f"{path}: {value!r} where the model's type is {shape.type_name}")


def _check_boolean(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    if not isinstance(value, bool):
        found.append(f"{path}: {value!r} where the model's type is boolean")


def _check_timestamp(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    wanted = timestamp_format(shape)
    if wanted == "unixTimestamp":
        if not is_number(value):
            found.append(f"{path}: {value!r} is not epoch seconds (the {wanted} wire format)")
        return
    try:
        parse_timestamp(value)
    except (TypeError, ValueError):
        found.append(f"{path}: {value!r} does not parse as a {wanted} timestamp")


def _check_blob(value: Any, shape: Shape, path: str, found: list[str]) -> None:
    try:
        base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        found.append(f"{path}: not base64 where the model's type is blob")


_CHECKS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "float": _check_float,
    "double": _check_float,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "blob": _check_blob,
}


# ---- a body with every member ---------------------------------------------------------------


def example(service: str, name: str) -> dict[str, Any]:
    """A synthetic response with every member of the output shape (a shape that contains
    itself is expanded once), each value of its model type: the first enum value, "example"
    for other strings, one item per list and map."""
    return _example(output_shape(service, name), ())


def _example(shape: Shape, seen: tuple[str, ...]) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if shape.name in seen:
            return {}
        inside = (*seen, shape.name)
        return {
            wire_name(m, member): _example(member, inside) for m, member in shape.members.items()
        }
    if kind == "list":
        return [_example(shape.member, seen)]
    if kind == "map":
        return {_example(shape.key, seen): _example(shape.value, seen)}
    if kind == "string":
        return shape.enum[0] if shape.enum else "example"
    if kind in ("integer", "long"):
        return 1
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        if timestamp_format(shape) == "unixTimestamp":
            return EXAMPLE_TIME
        return dt.datetime.fromtimestamp(EXAMPLE_TIME, dt.UTC).isoformat()
    if kind == "blob":
        return base64.b64encode(b"example").decode()
    return {}  # document


# ---- parsed back to wire --------------------------------------------------------------------


def to_wire(service: str, name: str, parsed: dict[str, Any]) -> dict[str, Any]:
    """A parsed response (boto3's dict) as it would have travelled: wire member names,
    timestamps in the protocol's format, blobs base64; ResponseMetadata dropped."""
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    return _to_wire(body, output_shape(service, name))


def _to_wire(value: Any, shape: Shape) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            wire_name(k, shape.members[k]) if k in shape.members else k: (
                _to_wire(v, shape.members[k]) if k in shape.members else v
            )
            for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [_to_wire(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _to_wire(v, shape.value) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, dt.datetime):
        if timestamp_format(shape) == "unixTimestamp":
            return value.timestamp()
        return value.isoformat()
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value

"""Redaction of recorded AWS responses: keys and value types stay, identities and data go.

A recording is committed or shared to compare shapes, not values, so before a response is
written:

1. every 12-digit account id inside a string (ARNs, owner fields, role names) becomes
   ACCOUNT (`000000000000`, the account LocalStack answers with);
2. a string whose model shape is marked `sensitive` in botocore's API model, or whose member
   name says it is a secret (`password`, `secret` but not an ARN of one, `token`,
   `credentials`, access keys), becomes REDACTED;
3. user data becomes a placeholder of the same type: the value of every CodeBuild
   environment variable (`value` beside `name` and `type`), the rows of a Data API result
   (`Records`: strings REDACTED, numbers 0, booleans kept), and the execution data Step
   Functions carries as JSON text (`input`, `output`, `parameters`, `cause`, `result`).

Nothing else is touched: statuses, error codes and messages, names, timings and SQL text of
the pipeline's own statements stay as AWS returned them.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.model import Shape

from tools.parity.shapes import members_on_wire, output_shape

ACCOUNT = "000000000000"
REDACTED = "<redacted>"

_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_SECRET_NAME = re.compile(
    r"password|secret(?!arn)|token|credential|accesskey|sessionkey", re.IGNORECASE
)
# JSON text that Step Functions carries between states and in failures: the pipeline's data.
_EXECUTION_DATA = {"input", "output", "parameters", "cause", "result"}


def redact(service: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """A copy of `body` (an operation's wire response) with the rules above applied."""
    return _redact(body, output_shape(service, operation), name="")


def redact_request(params: dict[str, Any]) -> dict[str, Any]:
    """The call's parameters with account ids and secret-named values redacted."""
    return _redact(params, None, name="")


def _redact(value: Any, shape: Shape | None, name: str) -> Any:
    if isinstance(value, dict):
        if _is_variable(value):
            return {**_redact_plain(value), "value": REDACTED}
        members = (
            members_on_wire(shape) if shape is not None and shape.type_name == "structure" else {}
        )
        inner = shape.value if shape is not None and shape.type_name == "map" else None
        return {
            k: _redact(v, members[k][1] if k in members else inner, name=k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        if name == "Records":
            return [_blank(row) for row in value]
        kind = shape.type_name if shape is not None else None
        member = shape.member if kind == "list" else None
        return [_redact(item, member, name=name) for item in value]
    if isinstance(value, str):
        if _SECRET_NAME.search(name) or (shape is not None and shape.metadata.get("sensitive")):
            return REDACTED
        if name in _EXECUTION_DATA:
            return REDACTED
        return _ACCOUNT_ID.sub(ACCOUNT, value)
    return value


def _redact_plain(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _redact(v, None, name=k) for k, v in value.items()}


def _is_variable(value: dict[str, Any]) -> bool:
    """A CodeBuild EnvironmentVariable or ExportedEnvironmentVariable: its value is user data
    (possibly a secret: PLAINTEXT variables are stored as given)."""
    return "name" in value and "value" in value and set(value) <= {"name", "value", "type"}


def _blank(value: Any) -> Any:
    """Result rows: every value replaced by a placeholder of its type."""
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        return REDACTED
    return value

"""Responses as they travel, and the directory of recorded calls.

A recording is a directory of JSON files, one per call, named
`<service>.<Operation>.<label>.json` (e.g. `glue.GetJobRun.day.json`):

    {"service": "glue", "operation": "GetJobRun", "label": "day",
     "request": {...}, "response": {...}}

`response` is the body the service sent (decoded JSON, wire member names, wire timestamps),
redacted (tools/parity/redact.py). The same calls made on LocalStack make a directory of the
same names, so two recordings compare file by file (tools/parity/compare.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore import xform_name

from tools.parity import redact, shapes


class RecordingError(ValueError):
    """A recording file that cannot be read as one."""


@dataclasses.dataclass(frozen=True)
class Call:
    """One call and the body it answered with."""

    service: str
    operation: str
    label: str
    request: dict[str, Any]
    response: dict[str, Any]

    @property
    def file_name(self) -> str:
        return f"{self.service}.{self.operation}.{self.label}.json"

    def redacted(self) -> Call:
        return dataclasses.replace(
            self,
            request=redact.redact_request(self.request),
            response=redact.redact(self.service, self.operation, self.response),
        )


def write(directory: Path, call: Call) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / call.file_name
    path.write_text(
        json.dumps(dataclasses.asdict(call), indent=2, sort_keys=True, default=str) + "\n"
    )
    return path


def read(path: Path) -> Call:
    try:
        body = json.loads(path.read_text())
        call = Call(**{f.name: body[f.name] for f in dataclasses.fields(Call)})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RecordingError(f"{path}: not a recorded call ({error})") from error
    if path.name != call.file_name:
        raise RecordingError(f"{path}: holds {call.file_name}")
    return call


def read_dir(directory: Path) -> dict[str, Call]:
    """Every recorded call in `directory`, by file name."""
    if not directory.is_dir():
        raise RecordingError(f"{directory}: no such recording directory")
    return {path.name: read(path) for path in sorted(directory.glob("*.json"))}


# ---- capturing bodies from a boto3 client ---------------------------------------------------


class Capture:
    """The body of every response a client receives while capturing, in order: the bytes
    the service sent when there are any, else (botocore's Stubber sends none) the parsed
    response put back in wire form with the model."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def _after_call(self, http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
        raw = getattr(http_response, "raw", None) and http_response.content
        if raw:
            body = json.loads(raw)
        else:
            service = model.service_model.service_name
            body = shapes.to_wire(service, model.name, parsed)
        self.bodies.append((model.name, body))

    def last(self, operation: str) -> dict[str, Any]:
        for name, body in reversed(self.bodies):
            if name == operation:
                return body
        raise LookupError(f"no {operation} response captured")


@contextlib.contextmanager
def capturing(client: Any) -> Iterator[Capture]:
    capture = Capture(client)
    events = client.meta.events
    events.register("after-call", capture._after_call, unique_id=f"parity-{id(capture)}")
    try:
        yield capture
    finally:
        events.unregister("after-call", unique_id=f"parity-{id(capture)}")


def call(client: Any, operation: str, label: str, **params: Any) -> Call:
    """Make one call on a boto3 client and keep the body it answered with."""
    model = client.meta.service_model
    method = getattr(client, xform_name(operation))
    with capturing(client) as capture:
        method(**params)
    return Call(model.service_name, operation, label, params, capture.last(operation))

"""Run a few states of a state machine (stepfunctions/*.asl.json) for real in LocalStack.

`fragment(asl, names, substitutions)` keeps the named states; every transition to a state
outside them ends the run in a Pass named `Left to <state>` that records where it went
(`$.left_to`), so a test sees which way the fragment left and with what data. The states run
unchanged: their intrinsic functions, paths, retries and service calls are the deployed ones.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.helpers import unique, wait_for

ROLE = "arn:aws:iam::000000000000:role/states"


def _exits(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object in a state that carries a `Next` (the state, its choices and catchers)."""
    holders = [state, *state.get("Choices", []), *state.get("Catch", [])]
    return [holder for holder in holders if "Next" in holder]


def reachable(asl: dict[str, Any], start: str, stop: tuple[str, ...] = ()) -> list[str]:
    """The states a run entering `start` can go through before any of `stop`, `start` first."""
    seen = [start, *stop]
    for name in seen:
        if name in stop:
            continue
        state = asl["States"][name]
        targets = [holder["Next"] for holder in _exits(state)]
        seen += [t for t in [*targets, state.get("Default")] if t and t not in seen]
    return [name for name in seen if name not in stop]


def fragment(
    asl: dict[str, Any], names: list[str], substitutions: dict[str, str] | None = None
) -> dict[str, Any]:
    text = json.dumps({name: asl["States"][name] for name in names})
    for placeholder, value in (substitutions or {}).items():
        text = text.replace("${" + placeholder + "}", value)
    states = json.loads(text)
    for state in list(states.values()):
        default = state.get("Default")
        targets = [holder["Next"] for holder in _exits(state)] + ([default] if default else [])
        for target in targets:
            if target not in names:
                states.setdefault(
                    f"Left to {target}",
                    {"Type": "Pass", "Result": target, "ResultPath": "$.left_to", "End": True},
                )
        for holder in _exits(state):
            if holder["Next"] not in names:
                holder["Next"] = f"Left to {holder['Next']}"
        if default and default not in names:
            state["Default"] = f"Left to {default}"
    return {"StartAt": names[0], "States": copy.deepcopy(states)}


def run(
    sfn: Any, definition: dict[str, Any], payload: dict[str, Any], seconds: float = 120
) -> dict[str, Any]:
    """Create, run to its end and delete a state machine; the described execution, with
    `output` parsed."""
    machine = sfn.create_state_machine(
        name=unique("fragment"), definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    try:
        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))[
            "executionArn"
        ]
        described = wait_for(
            lambda: sfn.describe_execution(executionArn=arn),
            "the fragment to end",
            until=lambda d: d["status"] != "RUNNING",
            seconds=seconds,
        )
        described["output"] = json.loads(described.get("output") or "null")
        return described
    finally:
        sfn.delete_state_machine(stateMachineArn=machine)

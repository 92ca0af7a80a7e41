"""Offline checks of an Amazon States Language file (there is no offline AWS validator).

`python -m tools.deploy.asl_check stepfunctions/*.asl.json [--template T.yaml]`

Checks: valid JSON; StartAt and every Next/Default/Catch target exist; every state is
reachable and every path can end; Choice states have no End/Next; every Task has a
TimeoutSeconds (or TimeoutSecondsPath) and a Catch ending in States.ALL; Retry/Catch lists
put States.ALL alone and last; `.$` fields hold a path or an intrinsic; Wait states use one
duration field. With --template, the `${Name}` placeholders must match exactly the
DefinitionSubstitutions of the state machine that loads the file (the resource whose
`Metadata: DefinitionFile` names it), and no machine may write 25,000 history events or more
in any environment of the template's `parameters/` (tools/deploy/asl_history.py: every loop
bounded, its rounds times its events counted).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.deploy import cfn_yaml

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
TERMINAL_TYPES = {"Succeed", "Fail"}
KNOWN_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
# One state machine per job, each small enough to read at once (docs/architecture.md).
MAX_STATES = 30


@dataclass(frozen=True)
class Edge:
    """One way out of a state: `kind` is "next", "choice", "default" or "catch"; `source` is
    the Choice rule or Catcher it comes from (None for Next and Default)."""

    target: str
    kind: str
    source: dict[str, Any] | None = None


def edges(state: dict[str, Any]) -> list[Edge]:
    """Every way out of a state, in the order the definition lists them."""
    found: list[Edge] = []
    if "Next" in state:
        found.append(Edge(state["Next"], "next"))
    if state.get("Type") == "Choice":
        for rule in state.get("Choices", []):
            if "Next" in rule:
                found.append(Edge(rule["Next"], "choice", rule))
        if "Default" in state:
            found.append(Edge(state["Default"], "default"))
    for catcher in state.get("Catch", []):
        if "Next" in catcher:
            found.append(Edge(catcher["Next"], "catch", catcher))
    return found


def transitions(state: dict[str, Any]) -> list[str]:
    """Every state name this state can move to."""
    return [edge.target for edge in edges(state)]


def nested_machines(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The state machines inside a Map (ItemProcessor, or the older Iterator) or a Parallel
    (Branches): each has its own StartAt and States."""
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [inner] if inner else []
    if state.get("Type") == "Parallel":
        return list(state.get("Branches", []))
    return []


def load(path: Path) -> dict[str, Any]:
    """The definition in an ASL file; ValueError naming the file when it is not one."""
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON: {error}") from error
    if not isinstance(definition, dict):
        raise ValueError(f"{path}: not a state machine definition (a JSON object)")
    return definition


def _check_error_lists(name: str, field: str, entries: list[dict[str, Any]]) -> list[str]:
    problems = []
    for index, entry in enumerate(entries):
        errors = entry.get("ErrorEquals", [])
        if not errors:
            problems.append(f"{name}: {field}[{index}] has no ErrorEquals")
        if "States.ALL" in errors and (len(errors) > 1 or index != len(entries) - 1):
            problems.append(f"{name}: {field}[{index}] States.ALL must be alone and last")
    return problems


def _walk_dollar_fields(name: str, value: Any, where: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else key
            if key.endswith(".$"):
                ok = isinstance(item, str) and (item.startswith("$") or item.startswith("States."))
                if not ok:
                    yield f"{name}: {here} must be a JSONPath or intrinsic, got {item!r}"
            else:
                yield from _walk_dollar_fields(name, item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_dollar_fields(name, item, f"{where}[{index}]")


def count_states(states: dict[str, Any]) -> int:
    """States of a machine, those inside Map and Parallel states included."""
    total = 0
    for state in states.values():
        total += 1
        for inner in (
            state.get("ItemProcessor"),
            state.get("Iterator"),
            *state.get("Branches", []),
        ):
            if inner:
                total += count_states(inner.get("States") or {})
    return total


def check_definition(definition: dict[str, Any]) -> list[str]:
    """All problems found (empty when the definition passes)."""
    problems: list[str] = []
    states: dict[str, Any] = definition.get("States") or {}
    start = definition.get("StartAt")
    if not states:
        return ["no States"]
    if start not in states:
        problems.append(f"StartAt {start!r} is not a state")
    if (total := count_states(states)) > MAX_STATES:
        problems.append(
            f"{total} states (Map and Parallel states' own included): at most {MAX_STATES}"
        )
    for name, state in states.items():
        kind = state.get("Type")
        if kind not in KNOWN_TYPES:
            problems.append(f"{name}: unknown Type {kind!r}")
            continue
        for target in transitions(state):
            if target not in states:
                problems.append(f"{name}: transition to missing state {target!r}")
        if kind == "Choice":
            if "End" in state or "Next" in state:
                problems.append(f"{name}: a Choice state has neither End nor Next")
            if not state.get("Choices"):
                problems.append(f"{name}: Choice without Choices")
        elif kind not in TERMINAL_TYPES and not state.get("End") and "Next" not in state:
            problems.append(f"{name}: needs Next or End")
        if kind == "Task":
            if "TimeoutSeconds" not in state and "TimeoutSecondsPath" not in state:
                problems.append(f"{name}: Task without TimeoutSeconds")
            catchers = state.get("Catch", [])
            if not catchers or catchers[-1].get("ErrorEquals") != ["States.ALL"]:
                problems.append(f"{name}: Task without a final Catch of States.ALL")
        if kind == "Wait" and sum(f in state for f in WAIT_FIELDS) != 1:
            problems.append(f"{name}: Wait needs exactly one of {', '.join(WAIT_FIELDS)}")
        problems += _check_error_lists(name, "Retry", state.get("Retry", []))
        problems += _check_error_lists(name, "Catch", state.get("Catch", []))
        for field in ("Parameters", "ResultSelector"):
            problems += list(_walk_dollar_fields(name, state.get(field, {}), field))
    if problems:
        return problems
    # Reachability from StartAt, and every reachable state can reach an end.
    reachable: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in reachable:
            continue
        reachable.add(current)
        todo.extend(transitions(states[current]))
    problems += [f"{name}: unreachable from StartAt" for name in states if name not in reachable]
    ends = {n for n, s in states.items() if s.get("Type") in TERMINAL_TYPES or s.get("End")}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for name, state in states.items():
            if name not in can_end and any(t in can_end for t in transitions(state)):
                can_end.add(name)
                changed = True
    problems += [f"{name}: no path to an end state" for name in reachable if name not in can_end]
    return problems


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def template_substitutions(template: Path, path: Path) -> tuple[set[str], str | None]:
    """The DefinitionSubstitutions of the one state machine in `template` that loads `path`,
    or a problem when none or several do."""
    resources = cfn_yaml.load(template).get("Resources", {})
    loading = [
        resource
        for resource in resources.values()
        if resource.get("Type") == "AWS::StepFunctions::StateMachine"
        and Path(str((resource.get("Metadata") or {}).get("DefinitionFile", ""))).name == path.name
    ]
    if len(loading) != 1:
        found = f"{len(loading)} state machines of {template}"
        return set(), f"{found} load it (Metadata DefinitionFile)"
    return set(loading[0]["Properties"].get("DefinitionSubstitutions", {})), None


def check_file(path: Path, template: Path | None = None) -> list[str]:
    try:
        definition = load(path)
    except ValueError as error:
        return [str(error)]
    text = path.read_text(encoding="utf-8")
    problems = check_definition(definition)
    if template is not None:
        substitutions, problem = template_substitutions(template, path)
        if problem:
            return [*problems, problem]
        used = placeholders(text)
        for missing in sorted(used - substitutions):
            problems.append(f"placeholder ${{{missing}}} has no DefinitionSubstitutions entry")
        for unused in sorted(substitutions - used):
            problems.append(f"DefinitionSubstitutions {unused} is not used by the ASL")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.asl_check")
    parser.add_argument("asl", type=Path, nargs="+")
    parser.add_argument("--template", type=Path, help="stack whose substitutions must match")
    args = parser.parse_args(argv)
    failed = False
    for path in args.asl:
        problems = check_file(path, args.template)
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        if not problems:
            states = count_states(json.loads(path.read_text(encoding="utf-8"))["States"])
            print(f"{path}: OK ({states} states)")
        failed = failed or bool(problems)
    if args.template is not None and not failed:
        from tools.deploy import asl_history  # it reads the ASL through this module

        lines, problems = asl_history.check(args.asl, args.template)
        print("\n".join(lines))
        for problem in problems:
            print(f"history: {problem}", file=sys.stderr)
        failed = bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

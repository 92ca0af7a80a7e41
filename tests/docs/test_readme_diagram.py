"""The README's overview diagram is drawn by hand (it shows what no single ASL file does: the
rules, the schedule, the backfill command and the nested runs), so it is checked against the
sources: every state machine appears, the nested-execution arrows are exactly the ones the
ASL starts, and every EventBridge rule of the orchestration stack is drawn."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tools.deploy import asl_diagram, cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
NODE_LABEL = re.compile(r'\b([A-Z][A-Z0-9]*)\["([a-z_]+)\b')
NESTED_ARROW = re.compile(r'\b([A-Z][A-Z0-9]*)(?:\[[^\]]*\])? -- "\.sync:2" --> ([A-Z][A-Z0-9]*)\b')
CHILD_ARN = re.compile(r"^\$\{([A-Za-z]+)StateMachineArn\}$")


def readme_diagram() -> str:
    found = re.search(r"```mermaid\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert found, "the README has no mermaid diagram"
    return found.group(1)


def machine_of_node(diagram: str) -> dict[str, str]:
    """Node id -> machine name, for nodes labelled with a machine's name first."""
    names = {m.name for m in asl_diagram.machines()}
    return {node: word for node, word in NODE_LABEL.findall(diagram) if word in names}


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def states(definition: dict[str, Any]):
    for state in definition.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from states(branch)
        if "ItemProcessor" in state or "Iterator" in state:
            yield from states(state.get("ItemProcessor") or state["Iterator"])


def nested_runs_in_asl() -> set[tuple[str, str]]:
    found = set()
    for machine in asl_diagram.machines():
        for state in states(machine.definition):
            if asl_diagram.is_nested_execution(state):
                arn = state.get("Parameters", state.get("Arguments", {})).get("StateMachineArn")
                child = CHILD_ARN.match(str(arn))
                assert child, f"{machine.name}: a nested run of an unnamed machine ({arn})"
                found.add((machine.name, snake(child.group(1))))
    return found


def test_every_state_machine_is_in_the_readme_diagram() -> None:
    drawn = set(machine_of_node(readme_diagram()).values())
    assert {m.name for m in asl_diagram.machines()} - drawn == set()


def test_the_readme_draws_exactly_the_nested_runs_the_asl_starts() -> None:
    diagram = readme_diagram()
    node = machine_of_node(diagram)
    drawn = {(node[parent], node[child]) for parent, child in NESTED_ARROW.findall(diagram)}
    assert drawn == nested_runs_in_asl()


def test_every_eventbridge_rule_is_in_the_readme_diagram() -> None:
    template = cfn_yaml.load(ROOT / "cloudformation" / "orchestration.yaml")
    rules = [
        resource["Properties"]["Name"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Events::Rule"
    ]
    assert rules, "no rules found"
    diagram = readme_diagram()
    for name in rules:
        suffix = str(name.get("Fn::Sub", name) if isinstance(name, dict) else name)
        suffix = suffix.removeprefix("${Project}-${EnvName}-")
        assert re.search(rf"\b(rule|schedule) {re.escape(suffix)}\b", diagram), suffix

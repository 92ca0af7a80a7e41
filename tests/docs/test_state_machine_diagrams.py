"""The state machine pictures (tools/deploy/asl_diagram.py): the committed pages are what the
ASL draws today, every state is on its page, and the Mermaid it writes stays within the
grammar (safe ids, labels without syntax characters) whatever the state names are."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import asl_diagram

ID = r"[A-Za-z_][A-Za-z0-9_]*"
NODE = rf"(?:{ID}|\[\*\])"
TEXT = r"[^\";{}]+"
# Every statement the generator may write, as the stateDiagram-v2 grammar reads it.
STATEMENTS = [
    re.compile(p)
    for p in (
        r"stateDiagram-v2",
        rf'state "{TEXT}" as {ID}',
        rf"{ID}: {TEXT}",
        rf"{ID}",
        rf"state {ID} \{{",
        r"\}",
        r"--",
        rf"{NODE} --> {NODE}(: {TEXT})?",
        rf"classDef {ID} [a-z-]+:[#a-z0-9:,-]+",
        rf"class {ID}(,{ID})* {ID}",
    )
]


def mermaid_block(page: str) -> str:
    found = re.search(r"```mermaid\n(.*?)```", page, re.S)
    assert found, "no mermaid block"
    return found.group(1)


def ungrammatical(diagram: str) -> list[str]:
    return [
        line
        for line in diagram.splitlines()
        if not any(p.fullmatch(line.strip()) for p in STATEMENTS)
    ]


def names_shown(diagram: str) -> set[str]:
    """The state names a reader sees: aliases' labels, and ids that have no alias."""
    aliased = dict(re.findall(rf'state "({TEXT})" as ({ID})', diagram))
    ids = set(re.findall(rf"(?m)^\s*({ID})(?:$|:| -->)", diagram))
    ids |= set(re.findall(rf"--> ({ID})", diagram))
    return set(aliased) | (ids - set(aliased.values()))


def test_the_committed_pages_are_what_the_asl_draws_today() -> None:
    problems = asl_diagram.stale(asl_diagram.expected_pages())
    assert not problems, f"run `make diagrams`: {problems}"


@pytest.mark.parametrize("machine", asl_diagram.machines(), ids=lambda m: m.name)
def test_every_state_is_on_its_page(machine: asl_diagram.Machine) -> None:
    page = (asl_diagram.OUT_DIR / machine.page_name).read_text(encoding="utf-8")
    diagram = mermaid_block(page)
    missing = set(asl_diagram.all_state_names(machine.definition)) - names_shown(diagram)
    assert not missing
    assert machine.source in page  # the page names the file it was drawn from
    assert ungrammatical(diagram) == []


TRICKY: dict[str, Any] = {
    "StartAt": "Load day-1",
    "States": {
        "Load day-1": {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Catch": [
                {"ErrorEquals": ["Glue.ConcurrentRunsExceededException"], "Next": "end"},
                {"ErrorEquals": ["States.ALL"], "Next": "Failed #1"},
            ],
            "Next": "Enough?",
        },
        "Enough?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.listed.count", "NumericGreaterThanEquals": 10, "Next": "Both"},
                {
                    "Not": {"Variable": "$.day.Item.loaded.S", "IsPresent": True},
                    "Next": "state",
                },
                {"Condition": "{% $states.input.n < 3 %}", "Next": "Nested"},
            ],
            "Default": "2nd try",
        },
        "2nd try": {"Type": "Wait", "Seconds": 1, "Next": "Load day-1"},
        "state": {"Type": "Pass", "End": True},
        "end": {"Type": "Succeed"},
        "Failed #1": {"Type": "Fail", "Error": "X"},
        "Nested": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "End": True,
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
            ],
            "Next": "Each day",
        },
        "Each day": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Record",
                "States": {"Record": {"Type": "Pass", "End": True}},
            },
            "End": True,
        },
    },
}


def test_names_mermaid_cannot_take_get_safe_ids_and_keep_their_labels() -> None:
    diagram = asl_diagram.mermaid(TRICKY)
    assert ungrammatical(diagram) == []
    assert names_shown(diagram) == set(asl_diagram.all_state_names(TRICKY))
    assert 'state "Failed #1" as Failed__1' in diagram
    assert 'state "Load day-1" as Load_day_1' in diagram
    assert 'state "end" as s_end' in diagram  # `end` is a keyword of the grammar
    assert 'state "2nd try" as s_2nd_try' in diagram
    assert "Load_day_1: glue:startJobRun.sync" in diagram


def test_transitions_carry_what_decides_them() -> None:
    diagram = asl_diagram.mermaid(TRICKY)
    assert "[*] --> Load_day_1" in diagram
    assert "Load_day_1 --> Enough_: next" not in diagram
    assert "Load_day_1 --> Enough_\n" in diagram
    assert "Load_day_1 --> s_end: catch ConcurrentRunsExceededException" in diagram
    assert "Load_day_1 --> Failed__1: catch any error" in diagram
    assert "Enough_ --> Both: count ≥ 10" in diagram
    assert "Enough_ --> s_state: not (loaded present)" in diagram
    assert "Enough_ --> Nested: $states.input.n < 3" in diagram
    assert "Enough_ --> s_2nd_try: otherwise" in diagram
    for terminal in ("s_state", "s_end", "Failed__1", "Nested", "Each_day"):
        assert f"{terminal} --> [*]" in diagram


def test_map_and_parallel_are_composite_states() -> None:
    diagram = asl_diagram.mermaid(TRICKY)
    both = re.search(r"state Both \{\n(.*?)\n    \}", diagram, re.S)
    assert both, diagram
    assert "[*] --> s_Left" in both.group(1)  # `left` and `right` are keywords too
    assert "--\n" in both.group(1)  # the branches side by side
    assert "[*] --> s_Right" in both.group(1)
    assert re.search(r"state Each_day \{\n\s+Record\n\s+\[\*\] --> Record", diagram)
    assert re.search(r"class [A-Za-z_,]*Nested[A-Za-z_,]* nested", diagram)
    assert re.search(r"class [A-Za-z_,]*Failed__1[A-Za-z_,]* failed", diagram)


def test_a_changed_added_or_removed_machine_makes_the_pages_stale(tmp_path: Path) -> None:
    asl_dir, out_dir = tmp_path / "stepfunctions", tmp_path / "docs" / "state-machines"
    asl_dir.mkdir()
    shutil.copy(asl_diagram.ASL_DIR / "day.asl.json", asl_dir)

    def draw() -> dict[Path, str]:
        return asl_diagram.expected_pages(asl_dir, out_dir, root=tmp_path)

    asl_diagram.write(draw(), out_dir)
    assert asl_diagram.stale(draw(), out_dir) == []

    definition = json.loads((asl_dir / "day.asl.json").read_text())
    definition["States"]["Brand new"] = {"Type": "Succeed"}
    (asl_dir / "day.asl.json").write_text(json.dumps(definition))
    (asl_dir / "marts.asl.json").write_text(json.dumps(TRICKY))
    problems = asl_diagram.stale(draw(), out_dir)
    assert any(p.endswith("day.md: stale") for p in problems)
    assert any(p.endswith("marts.md: missing") for p in problems)
    assert any(p.endswith("README.md: stale") for p in problems)  # the index lists machines

    asl_diagram.write(draw(), out_dir)
    assert 'state "Brand new" as Brand_new' in (out_dir / "day.md").read_text()
    assert "[marts](marts.md)" in (out_dir / "README.md").read_text()

    (asl_dir / "marts.asl.json").unlink()
    assert any(
        p.endswith("marts.md: no such state machine any more")
        for p in asl_diagram.stale(draw(), out_dir)
    )
    asl_diagram.write(draw(), out_dir)
    assert not (out_dir / "marts.md").exists()

"""The offline validator of state machine definitions (tools/deploy/asl_check.py): each kind
of problem it reports, on mutated copies of the machines in stepfunctions/ (marts_build
unless a test names another)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import asl_check

from .conftest import REPO_ROOT, load_machine, machine_fixture

asl = machine_fixture("marts_build")


def problems_after(asl: dict[str, Any], change: Any) -> list[str]:
    broken = copy.deepcopy(asl)
    change(broken["States"])
    return asl_check.check_definition(broken)


def test_validator_reports_a_missing_target(asl: dict[str, Any]) -> None:
    problems = problems_after(asl, lambda s: s["RunDbt"].update(Next="Nowhere"))
    assert problems == ["RunDbt: transition to missing state 'Nowhere'"]


def test_validator_reports_a_task_without_timeout_or_catch(asl: dict[str, Any]) -> None:
    def change(states: dict[str, Any]) -> None:
        del states["RunDbt"]["TimeoutSeconds"]
        del states["RunDbt"]["Catch"]

    problems = problems_after(asl, change)
    assert "RunDbt: Task without TimeoutSeconds" in problems
    assert "RunDbt: Task without a final Catch of States.ALL" in problems


def test_validator_reports_unreachable_states(asl: dict[str, Any]) -> None:
    problems = problems_after(asl, lambda s: s.update(Orphan={"Type": "Succeed"}))
    assert problems == ["Orphan: unreachable from StartAt"]


def test_validator_reports_a_loop_with_no_way_out(asl: dict[str, Any]) -> None:
    def change(states: dict[str, Any]) -> None:
        states["Spin"] = {"Type": "Wait", "Seconds": 1, "Next": "Spin"}
        states["DbtBuildScope"]["Default"] = "Spin"

    assert "Spin: no path to an end state" in problems_after(asl, change)


def test_validator_reports_states_all_not_last() -> None:
    def change(states: dict[str, Any]) -> None:
        states["StartCrawler"]["Catch"].reverse()

    problems = problems_after(load_machine("day_crawl"), change)
    assert "StartCrawler: Catch[0] States.ALL must be alone and last" in problems


def test_validator_reports_a_bad_path_field(asl: dict[str, Any]) -> None:
    def change(states: dict[str, Any]) -> None:
        states["RunDbt"]["Parameters"]["ProjectName.$"] = "not-a-path"

    assert any("ProjectName.$ must be a JSONPath" in p for p in problems_after(asl, change))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{", "not JSON"), ("[]", "not a state machine definition"), ("{}", "no States")],
)
def test_validator_rejects_non_definitions(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "x.asl.json"
    path.write_text(text)
    (problem,) = asl_check.check_file(path)
    assert expected in problem


def test_validator_cli_reports_placeholder_mismatch(tmp_path: Path, asl: dict[str, Any]) -> None:
    broken = copy.deepcopy(asl)
    for state in ("RunDbt", "RebuildAirportsDimension"):  # every use of DbtProjectName
        broken["States"][state]["Parameters"]["ProjectName"] = "${Unknown}"
    path = tmp_path / "marts_build.asl.json"  # the template's substitutions by file name
    path.write_text(json.dumps(broken))
    template = REPO_ROOT / "cloudformation" / "orchestration.yaml"
    problems = asl_check.check_file(path, template)
    assert "placeholder ${Unknown} has no DefinitionSubstitutions entry" in problems
    assert "DefinitionSubstitutions DbtProjectName is not used by the ASL" in problems
    assert asl_check.main([str(path), "--template", str(template)]) == 1

"""The GitHub Actions workflows: what they call, what they may do, what they need configured.

Reads .github/workflows/*.yml and the local composite actions in .github/actions/ as YAML
(PyYAML) and as text. Static checks only: actionlint itself runs in `make lint-actions`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ci.workflows import (
    ALL_FILES,
    BUILT_IN_SECRETS,
    CI_DOC,
    CI_DOC_SECTION,
    CONFIG_REFERENCE,
    DEPLOY_WORKFLOW,
    PINNED_USES,
    PR_WORKFLOW,
    REPO_ROOT,
    WORKFLOWS,
    all_make_calls,
    ids,
    load,
    make_invocations,
    make_targets_in_database,
    markdown_section,
    project_make_targets,
    steps,
)

# --- the helpers themselves: the checks below are only as good as these -----------------


def test_make_invocations_reads_targets_variables_and_chains() -> None:
    script = "make deploy ENV=dev\nmake -s lint && echo ok; make test PYTEST_ARGS='-m slow'\n"
    script += "echo make nothing\nmake a \\\n  b X=1  # comment\n"
    script += 'x=$(dirname "$(ls a | sort | head -n 1)") && (make c)\n'
    assert make_invocations(script) == [
        (["deploy"], {"ENV": "dev"}),
        (["lint"], {}),
        (["test"], {"PYTEST_ARGS": "-m slow"}),
        (["a", "b"], {"X": "1"}),
        (["c"], {}),
    ]


def test_make_targets_in_database_skips_non_targets() -> None:
    database = "lint: venv\n\n# Not a target:\nMakefile:\n\nVAR := x\nVAR2 ?= y\ndeploy:\n"
    assert make_targets_in_database(database) == {"lint", "deploy"}


def test_project_make_database_has_the_root_targets() -> None:
    assert {"help", "venv", "lint", "test", "lint-actions"} <= project_make_targets()
    assert "no-such-target" not in project_make_targets()


def test_markdown_section_stops_at_the_next_heading_of_its_level() -> None:
    text = "# A\n## CI/CD configuration\nx `VAR`\n### sub\n```bash\n# not a heading\n```\n"
    text += "y\n## Next\nz `OTHER`\n"
    section = markdown_section(text, "CI/CD configuration")
    assert section == "x `VAR`\n### sub\n```bash\n# not a heading\n```\ny\n"
    assert markdown_section(text, "Missing") is None


# --- the workflows ----------------------------------------------------------------------


def test_the_two_workflows_exist() -> None:
    assert PR_WORKFLOW in WORKFLOWS
    assert DEPLOY_WORKFLOW in WORKFLOWS


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_every_make_target_called_exists(path: Path) -> None:
    known = project_make_targets()
    called = [
        target
        for step in steps(load(path))
        for targets, _ in make_invocations(step.get("run", ""))
        for target in targets
    ]
    missing = sorted(set(called) - known)
    assert not missing, f"{path.name} calls make targets that no Makefile defines: {missing}"


def test_workflows_call_make_at_all() -> None:
    # Guards the test above against a parser that finds nothing.
    assert len(all_make_calls()) >= 6


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_workflow_sets_permissions_at_the_top(path: Path) -> None:
    permissions = load(path).get("permissions")
    assert permissions == {"contents": "read"}, (
        f"{path.name}: workflow-level permissions must be exactly `contents: read`; "
        "jobs widen them where needed"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_every_job_has_a_timeout(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"{path.name}: job {name} has no timeout-minutes"
        assert 0 < timeout <= 90, f"{path.name}: job {name} timeout {timeout} out of range"


@pytest.mark.parametrize("path", ALL_FILES, ids=ids(ALL_FILES))
def test_every_action_is_pinned_to_a_commit_and_release(path: Path) -> None:
    lines = path.read_text().splitlines()
    uses_lines = [line for line in lines if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses_lines, f"{path.name} uses no action"
    for line in uses_lines:
        ref = line.split("uses:", 1)[1].strip()
        if ref.startswith("./"):
            assert (REPO_ROOT / ref).is_dir(), f"{path.name}: local action {ref} not found"
            continue
        assert not ref.startswith("docker://") or "@sha256:" in ref, f"{path.name}: {ref}"
        assert PINNED_USES.match(ref), (
            f"{path.name}: `{ref}` is not pinned: use owner/repo@<full commit sha> # vX.Y.Z"
        )


def test_each_action_has_one_pin_across_files() -> None:
    pins: dict[str, set[str]] = {}
    for path in ALL_FILES:
        for line in path.read_text().splitlines():
            match = (
                PINNED_USES.match(line.split("uses:", 1)[1].strip()) if "uses:" in line else None
            )
            if match:
                pins.setdefault(match["action"], set()).add(line.split("@", 1)[1].strip())
    assert pins, "no pinned actions found"
    drift = {action: refs for action, refs in pins.items() if len(refs) > 1}
    assert not drift, f"the same action pinned to different commits: {drift}"


def test_every_secret_and_variable_is_documented_on_the_ci_page() -> None:
    names = sorted(
        {
            name
            for path in ALL_FILES
            for _, name in CONFIG_REFERENCE.findall(path.read_text())
            if name not in BUILT_IN_SECRETS
        }
    )
    assert "AWS_DEPLOY_ROLE_ARN" in names
    assert "AWS_REGION" in names
    assert CI_DOC.exists(), f"{CI_DOC.name} is missing"
    section = markdown_section(CI_DOC.read_text(), CI_DOC_SECTION)
    assert section is not None, f'{CI_DOC.name} has no "{CI_DOC_SECTION}" section'
    undocumented = [name for name in names if f"`{name}`" not in section]
    assert not undocumented, (
        f'{CI_DOC.name} "{CI_DOC_SECTION}" does not name these secrets/variables: {undocumented}'
    )

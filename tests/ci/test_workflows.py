"""The GitHub Actions workflows: what they call, what they may do, what they need configured.

Reads .github/workflows/*.yml and the local composite actions in .github/actions/ as YAML
(PyYAML) and as text. Static checks only: actionlint itself runs in `make lint-actions`.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
ACTION_DIR = REPO_ROOT / ".github" / "actions"
PR_WORKFLOW = WORKFLOW_DIR / "pr.yml"
DEPLOY_WORKFLOW = WORKFLOW_DIR / "deploy.yml"
README = REPO_ROOT / "README.md"
README_SECTION = "CI/CD configuration"

WORKFLOWS = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
ACTIONS = sorted([*ACTION_DIR.glob("*/action.yml"), *ACTION_DIR.glob("*/action.yaml")])
ALL_FILES = WORKFLOWS + ACTIONS

# owner/repo[/path]@<40 hex> followed by a comment naming the exact release: # v1.2.3
PINNED_USES = re.compile(
    r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})\s+#\s+v\d+\.\d+\.\d+\s*$"
)
CONFIG_REFERENCE = re.compile(r"\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)")
# Provided by GitHub to every run: nothing to configure or document.
BUILT_IN_SECRETS = {"GITHUB_TOKEN"}


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO_ROOT)) for path in paths]


@cache
def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), f"unexpected `on:` {on!r}"
    return on


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of a workflow (all jobs) or of a composite action."""
    if "jobs" in document:
        return [step for job in document["jobs"].values() for step in job.get("steps", [])]
    return list(document.get("runs", {}).get("steps", []))


def _shell_commands(line: str) -> list[list[str]]:
    """Split one shell line into simple commands at `&&`, `||`, `;`, `|` and parentheses."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= set("&|;()<>"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


def make_invocations(script: str) -> list[tuple[list[str], dict[str, str]]]:
    """The `make` commands in a shell script: (targets, variables) for each.

    Handles line continuations, `&&`/`;`/`||`/`|` chains and VAR=value arguments. Flags
    (`-s`, `-k`) are skipped; `-C`/`-f` are refused: workflows call the root Makefile.
    """
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        try:
            commands = _shell_commands(line)
        except ValueError as error:
            if re.search(r"\bmake\b", line):
                raise AssertionError(f"cannot parse `{line}`: {error}") from error
            continue
        for words in commands:
            if words[0] != "make":
                continue
            targets: list[str] = []
            variables: dict[str, str] = {}
            for word in words[1:]:
                if word in {"-C", "-f", "--directory", "--file"}:
                    raise AssertionError(f"make {word} in a workflow: call the root Makefile")
                if word.startswith("-"):
                    continue
                if "=" in word:
                    name, value = word.split("=", 1)
                    variables[name] = value
                else:
                    targets.append(word)
            calls.append((targets, variables))
    return calls


def make_targets_in_database(database: str) -> set[str]:
    """Target names from `make -pRrq` output, leaving out the "# Not a target:" entries."""
    targets = set()
    lines = database.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9_./-]*):(?!=)", line)
        if not match:
            continue
        if index > 0 and lines[index - 1].startswith("# Not a target"):
            continue
        targets.add(match.group(1))
    return targets


@cache
def project_make_targets() -> frozenset[str]:
    result = subprocess.run(
        ["make", "-pRrq", "--no-print-directory"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # -q runs nothing for the default goal and exits 1 ("not up to date") or 0; 2 means the
    # makefiles failed to parse.
    assert result.returncode in (0, 1), result.stderr
    return frozenset(make_targets_in_database(result.stdout))


def _all_make_calls() -> list[tuple[str, list[str], dict[str, str]]]:
    calls = []
    for path in ALL_FILES:
        for step in _steps(_load(path)):
            for targets, variables in make_invocations(step.get("run", "")):
                calls.append((str(path.relative_to(REPO_ROOT)), targets, variables))
    return calls


def _readme_section(text: str, title: str) -> str | None:
    """The body of a Markdown section: up to the next heading of its level or higher.

    Lines inside fenced code blocks are not headings (a shell comment starts with `#`).
    """
    level = None
    body: list[str] = []
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#+)\s+(.*?)\s*$", line)
        if level is None:
            if heading and heading.group(2) == title:
                level = len(heading.group(1))
            continue
        if heading and len(heading.group(1)) <= level:
            break
        body.append(line)
    return None if level is None else "".join(body)


def _permissions_grant(permissions: Any, scope: str, level: str = "write") -> bool:
    if permissions == f"{level}-all" or (level == "read" and permissions == "write-all"):
        return True
    return isinstance(permissions, dict) and permissions.get(scope) == level


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


def test_readme_section_stops_at_the_next_heading_of_its_level() -> None:
    text = "# A\n## CI/CD configuration\nx `VAR`\n### sub\n```bash\n# not a heading\n```\n"
    text += "y\n## Next\nz `OTHER`\n"
    section = _readme_section(text, "CI/CD configuration")
    assert section == "x `VAR`\n### sub\n```bash\n# not a heading\n```\ny\n"
    assert _readme_section(text, "Missing") is None


# --- the workflows ----------------------------------------------------------------------


def test_the_two_workflows_exist() -> None:
    assert PR_WORKFLOW in WORKFLOWS
    assert DEPLOY_WORKFLOW in WORKFLOWS


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_every_make_target_called_exists(path: Path) -> None:
    known = project_make_targets()
    called = [
        target
        for step in _steps(_load(path))
        for targets, _ in make_invocations(step.get("run", ""))
        for target in targets
    ]
    missing = sorted(set(called) - known)
    assert not missing, f"{path.name} calls make targets that no Makefile defines: {missing}"


def test_workflows_call_make_at_all() -> None:
    # Guards the test above against a parser that finds nothing.
    assert len(_all_make_calls()) >= 6


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_workflow_sets_permissions_at_the_top(path: Path) -> None:
    permissions = _load(path).get("permissions")
    assert permissions == {"contents": "read"}, (
        f"{path.name}: workflow-level permissions must be exactly `contents: read`; "
        "jobs widen them where needed"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_every_job_has_a_timeout(path: Path) -> None:
    for name, job in _load(path)["jobs"].items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"{path.name}: job {name} has no timeout-minutes"
        assert 0 < timeout <= 90, f"{path.name}: job {name} timeout {timeout} out of range"


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
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


def test_every_secret_and_variable_is_documented_in_the_readme() -> None:
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
    assert README.exists(), "README.md is missing"
    section = _readme_section(README.read_text(), README_SECTION)
    assert section is not None, f'README.md has no "{README_SECTION}" section'
    undocumented = [name for name in names if f"`{name}`" not in section]
    assert not undocumented, (
        f'README.md "{README_SECTION}" does not name these secrets/variables: {undocumented}'
    )


# --- pull requests ----------------------------------------------------------------------


def test_pr_workflow_runs_on_pull_requests_and_branch_pushes() -> None:
    triggers = _triggers(_load(PR_WORKFLOW))
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"] == {"branches-ignore": ["main"]}


def test_pr_workflow_never_gets_an_id_token_or_write_access() -> None:
    workflow = _load(PR_WORKFLOW)
    blocks = [("workflow", workflow.get("permissions"))] + [
        (name, job.get("permissions")) for name, job in workflow["jobs"].items()
    ]
    for where, permissions in blocks:
        assert permissions != "write-all", where
        if isinstance(permissions, dict):
            writes = {scope for scope, level in permissions.items() if level == "write"}
            assert not writes, f"{where} asks for write access: {sorted(writes)}"


def test_pr_workflow_cancels_superseded_runs_per_ref() -> None:
    concurrency = _load(PR_WORKFLOW)["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_pr_workflow_has_lint_unit_dbt_and_localstack_jobs() -> None:
    jobs = _load(PR_WORKFLOW)["jobs"]
    called = {
        name: [
            target
            for step in job["steps"]
            for targets, _ in make_invocations(step.get("run", ""))
            for target in targets
        ]
        for name, job in jobs.items()
    }
    assert "lint" in called["lint"]
    assert "test-unit" in called["unit"]
    # dbt reads the staging tables: the sample is loaded first.
    assert called["dbt"].index("load-sample") < called["dbt"].index("dbt-build")
    assert "docs" in called["dbt"]
    assert called["e2e"] == ["localstack-up", "test-integration", "localstack-down"]


def test_pr_jobs_upload_logs_on_failure() -> None:
    jobs = _load(PR_WORKFLOW)["jobs"]
    for name in ("unit", "dbt", "e2e"):
        uploads = [
            s for s in jobs[name]["steps"] if s.get("uses") == "./.github/actions/upload-logs"
        ]
        assert uploads, f"job {name} uploads no logs"
        assert uploads[0].get("if") == "failure()", f"job {name}: upload only on failure"


def test_log_upload_includes_hidden_state_dir() -> None:
    # .state/ is hidden: upload-artifact >= 4.4 drops it unless include-hidden-files is set.
    (step,) = _steps(_load(ACTION_DIR / "upload-logs" / "action.yml"))
    paths = set(step["with"]["path"].split())
    assert {
        ".state/localstack/*.log",
        ".state/localstack/glue-runs/**",
        ".state/postgres/postgres.log",
        "dbt_project/logs/**",
    } <= paths
    assert step["with"]["include-hidden-files"] is True


def test_localstack_is_stopped_even_when_tests_fail() -> None:
    steps = _load(PR_WORKFLOW)["jobs"]["e2e"]["steps"]
    (down,) = [s for s in steps if "localstack-down" in s.get("run", "")]
    assert down.get("if") == "always()"


# --- deployment -------------------------------------------------------------------------


def test_deploy_workflow_cannot_run_on_pull_requests() -> None:
    triggers = _triggers(_load(DEPLOY_WORKFLOW))
    assert not {"pull_request", "pull_request_target"} & set(triggers)
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    environment = triggers["workflow_dispatch"]["inputs"]["environment"]
    assert environment["type"] == "choice"
    assert environment["options"] == ["dev", "prod"]


def test_only_deploy_and_pages_jobs_get_an_id_token() -> None:
    jobs = _load(DEPLOY_WORKFLOW)["jobs"]
    with_token = {
        name for name, job in jobs.items() if _permissions_grant(job.get("permissions"), "id-token")
    }
    assert with_token == {"deploy-dev", "deploy-prod", "docs-publish"}
    with_pages = {
        name for name, job in jobs.items() if _permissions_grant(job.get("permissions"), "pages")
    }
    assert with_pages == {"docs-publish"}


def test_deploy_jobs_assume_the_role_and_deploy_their_environment() -> None:
    jobs = _load(DEPLOY_WORKFLOW)["jobs"]
    for env in ("dev", "prod"):
        job = jobs[f"deploy-{env}"]
        assert job["environment"] == env
        steps = job["steps"]
        (credentials,) = [
            s
            for s in steps
            if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        ]
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert credentials["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
        calls = [c for s in steps for c in make_invocations(s.get("run", ""))]
        assert calls == [(["deploy"], {"ENV": env}), (["smoke"], {"ENV": env})]
        # Credentials come before the first make call that needs them.
        index = steps.index(credentials)
        assert all("run" not in s for s in steps[:index])


def test_deployments_queue_per_environment() -> None:
    # One group per environment: a prod run waiting for its reviewers must not hold up the
    # dev deploys of later merges; a run in progress is never cancelled mid-update.
    workflow = _load(DEPLOY_WORKFLOW)
    assert "concurrency" not in workflow
    for env in ("dev", "prod"):
        concurrency = workflow["jobs"][f"deploy-{env}"]["concurrency"]
        assert concurrency == {"group": f"deploy-{env}", "cancel-in-progress": False}


def test_prod_waits_for_dev() -> None:
    prod = _load(DEPLOY_WORKFLOW)["jobs"]["deploy-prod"]
    assert prod["needs"] == "deploy-dev"
    assert prod["environment"] == "prod"


def test_docs_publish_to_pages() -> None:
    jobs = _load(DEPLOY_WORKFLOW)["jobs"]
    build_calls = [
        c for s in jobs["docs-build"]["steps"] for c in make_invocations(s.get("run", ""))
    ]
    assert (["docs"], {}) in build_calls
    (upload,) = [
        s for s in jobs["docs-build"]["steps"] if "upload-pages-artifact@" in s.get("uses", "")
    ]
    assert upload["with"]["path"] == "build/dbt-docs"
    publish = jobs["docs-publish"]
    assert publish["needs"] == "docs-build"
    assert publish["environment"]["name"] == "github-pages"
    assert any("deploy-pages@" in s.get("uses", "") for s in publish["steps"])

"""The GitHub Actions workflows as data, for the tests in tests/ci/: the files, their YAML,
the make targets and shell commands their steps run, the CI/CD page (docs/ci-cd.md).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
ACTION_DIR = REPO_ROOT / ".github" / "actions"
PR_WORKFLOW = WORKFLOW_DIR / "pr.yml"
DEPLOY_WORKFLOW = WORKFLOW_DIR / "deploy.yml"
NIGHTLY_WORKFLOW = WORKFLOW_DIR / "nightly.yml"
CI_DOC = REPO_ROOT / "docs" / "ci-cd.md"
CI_DOC_SECTION = "CI/CD configuration"

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


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO_ROOT)) for path in paths]


@cache
def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def workflow_triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), f"unexpected `on:` {on!r}"
    return on


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of a workflow (all jobs) or of a composite action."""
    if "jobs" in document:
        return [step for job in document["jobs"].values() for step in job.get("steps", [])]
    return list(document.get("runs", {}).get("steps", []))


def shell_commands(line: str) -> list[list[str]]:
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
            commands = shell_commands(line)
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


def all_make_calls() -> list[tuple[str, list[str], dict[str, str]]]:
    calls = []
    for path in ALL_FILES:
        for step in steps(load(path)):
            for targets, variables in make_invocations(step.get("run", "")):
                calls.append((str(path.relative_to(REPO_ROOT)), targets, variables))
    return calls


def markdown_section(text: str, title: str) -> str | None:
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


def permissions_grant(permissions: Any, scope: str, level: str = "write") -> bool:
    if permissions == f"{level}-all" or (level == "read" and permissions == "write-all"):
        return True
    return isinstance(permissions, dict) and permissions.get(scope) == level

"""The import rules of docs/architecture.md ("Import rules") hold in the code: each folder of
tools/ imports only what its row allows, tools/local/ needs only the standard library at import
time, and nothing but the tests imports tests/ or tools/ from the job and the emulator."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
TOOLS = REPO_ROOT / "tools"
WATCHED = ("tools", "tests", "flightline_glue")


def rules() -> dict[str, set[str]]:
    """Folder of tools/ -> the module prefixes its row allows (`deploy` means tools.deploy)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    allowed: dict[str, set[str]] = {}
    for row in section.splitlines():
        found = re.match(r"^\| `tools/([a-z0-9_]+)/` \|", row)
        if found:
            may_import = row.rstrip(" |").rsplit(" | ", 1)[1]
            names = re.findall(r"`([a-z0-9_.]+)`", may_import)
            allowed[found.group(1)] = {
                name if name.startswith("flightline_glue") else f"tools.{name}" for name in names
            }
    return allowed


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The absolute modules a file imports (relative imports stay in their package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def within(module: str, prefixes: set[str]) -> bool:
    return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)


def tool_folders() -> list[str]:
    return sorted(p.name for p in TOOLS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def test_every_tools_folder_has_a_rule() -> None:
    assert sorted(rules()) == tool_folders()


@pytest.mark.parametrize("folder", tool_folders())
def test_each_tool_imports_only_what_its_rule_allows(folder: str) -> None:
    allowed = rules()[folder] | {f"tools.{folder}"}
    broken = sorted(
        f"{path.relative_to(REPO_ROOT)}: {module}"
        for path in (TOOLS / folder).rglob("*.py")
        for module in imports(path)
        if module.split(".")[0] in WATCHED and not within(module, allowed)
    )
    assert broken == []


def test_the_local_service_manager_needs_only_the_standard_library_to_start() -> None:
    outside = sorted(
        f"{path.relative_to(REPO_ROOT)}: {module}"
        for path in (TOOLS / "local").rglob("*.py")
        for module in imports(path, top_level_only=True)
        if module.split(".")[0] not in sys.stdlib_module_names
        and not within(module, {"tools.local", "__future__"})
    )
    assert outside == []


@pytest.mark.parametrize("tree", ["glue", "localstack"])
def test_the_job_and_the_emulator_import_no_tools_and_no_tests(tree: str) -> None:
    broken = sorted(
        f"{path.relative_to(REPO_ROOT)}: {module}"
        for path in (REPO_ROOT / tree).rglob("*.py")
        for module in imports(path)
        if within(module, {"tools", "tests"})
    )
    assert broken == []


def test_the_rules_are_read_from_the_page() -> None:
    allowed = rules()
    assert allowed["demo"] == {"tools.deploy", "tools.local", "tools.e2e", "tools.dashboard"}
    assert allowed["actionlint"] == set()
    assert not within("tools.deploy", {"tools.e2e"})
    assert within("flightline_glue.warehouse.sql", {"flightline_glue.warehouse"})

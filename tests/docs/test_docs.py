"""The prose stays true: every link between the project's pages resolves (file and heading),
the README's repository map names only paths that exist and every folder that does, and the
README stays about a screen or two long."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
README_MAX_LINES = 160
PAGES = sorted(
    {
        README,
        REPO_ROOT / "CONTRIBUTING.md",
        *REPO_ROOT.glob("docs/**/*.md"),
        *REPO_ROOT.glob("*/README.md"),
    }
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#+)\s+(.*?)\s*$")


def without_code(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `#` there is a comment, not a heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found = set()
    for line in without_code(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            found.add(slug(heading.group(2)))
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for line in without_code(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:: not ours to check
                continue
            path_part, _, anchor = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            if not linked.exists():
                problems.append(f"{target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"{target}: no heading #{anchor} in {linked.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\n## Real heading\n")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md#real-heading) [gone](nope.md) [bad](a.md#nope) [self](#here)\n"
        "```\n[in code](ignored.md)\n```\n## Here\n"
    )
    assert broken_links(page) == ["nope.md: no such file", "a.md#nope: no heading #nope in a.md"]


def test_slugs_follow_githubs_rule() -> None:
    assert slug("dbt (`dbt_project/`)") == "dbt-dbt_project"
    assert slug("AWS behaviours the pipeline relies on (parity)") == (
        "aws-behaviours-the-pipeline-relies-on-parity"
    )


# ---- the README ---------------------------------------------------------------------------


def readme_section(title: str) -> str:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), None)
    return "\n".join(lines[start + 1 : end])


def map_paths() -> list[str]:
    """The backticked paths in the first column of the map's table."""
    paths = []
    for row in readme_section("Repository map").splitlines():
        if row.startswith("| `"):
            paths += re.findall(r"`([^`]+)`", row.split("|")[1])
    return paths


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return listed.stdout.splitlines()


def test_the_readme_fits_on_a_screen_or_two() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= README_MAX_LINES


def test_every_path_on_the_map_exists() -> None:
    paths = map_paths()
    assert len(paths) > 10
    missing = [path for path in paths if not list(REPO_ROOT.glob(path.rstrip("/")))]
    assert missing == []


def test_every_folder_is_on_the_map() -> None:
    section = readme_section("Repository map")
    tests_row = next(row for row in section.splitlines() if row.startswith("| `tests/`"))
    folders = {
        "/".join(path.split("/")[:depth]) + "/"
        for path in tracked_files()
        for depth in (1, 2)
        if path.count("/") >= depth and not path.startswith(".")
    }
    # Top-level folders, and each folder of tools/ and glue/, by their path.
    named = {f for f in folders if f.count("/") == 1 or f.startswith(("tools/", "glue/"))}
    assert sorted(f for f in named if f"`{f}" not in section) == []
    # The folders of tests/ mirror the tree: the tests row names each one.
    test_folders = {f.removeprefix("tests/") for f in folders if f.startswith("tests/")}
    test_folders.discard("")
    assert test_folders - set(re.findall(r"`([a-z0-9_]+/)`", tests_row)) == set()

"""The pull request's test selection (tools/ci/selection.py) on real changes."""

from __future__ import annotations

import subprocess

import pytest

from tools.ci import __main__ as cli
from tools.ci.selection import tiers_for


@pytest.mark.parametrize(
    "path",
    [
        "stepfunctions/marts_build.asl.json",
        "cloudformation/glue.yaml",
        "localstack/flightline_localstack/services/glue/job_runner.py",
        "glue/flightline_glue/job.py",
        "dbt_project/models/marts/fct_flights.sql",
        "tests/e2e/lanes.py",
        "requirements.txt",
        "make/glue.mk",
    ],
)
def test_what_the_lanes_exercise_selects_the_lanes(path: str) -> None:
    assert tiers_for([path]) == ["quick", "services", "lanes"]


def test_docs_and_unrelated_tests_run_the_quick_and_services_tiers_only() -> None:
    assert tiers_for(["README.md", "docs/tests.md", "tests/ci/test_workflows.py"]) == [
        "quick",
        "services",
    ]


def test_the_command_reads_the_change_from_git(tmp_path, monkeypatch, capsys) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "ci")
    (tmp_path / "README.md").write_text("x\n")
    git("add", "README.md")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "change")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("y\n")
    git("add", "docs/page.md")
    git("commit", "-qm", "docs only")
    monkeypatch.chdir(tmp_path)

    assert cli.main(["tiers", "--base", "main"]) == 0
    assert capsys.readouterr().out.splitlines() == ["quick=true", "services=true", "lanes=false"]

    (tmp_path / "glue").mkdir()
    (tmp_path / "glue" / "job.py").write_text("z\n")
    git("add", "glue/job.py")
    git("commit", "-qm", "job")
    assert cli.main(["tiers", "--base", "main"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "lanes=true"

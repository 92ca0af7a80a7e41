"""What a CodeBuild run of dbt builds (dbt_project/build_runner/plan.py), from the variables
the state machine sets, and the order of its dbt commands. The runner against the real
warehouse and dbt: tests/dbt/test_day_selection.py."""

from __future__ import annotations

import json

import pytest
from build_runner.__main__ import main
from build_runner.plan import DAY_SELECTION, BuildRequest, BuildRequestError
from build_runner.runner import run_build
from build_runner.session import DbtCommandError, DbtSession


def request(**env: str) -> BuildRequest:
    return BuildRequest.from_environment({"DBT_TARGET": "prod", **env})


def test_a_day_builds_its_branch_once_the_project_exists_else_everything() -> None:
    day = request(FLIGHT_DATE="2024-01-02", TRIGGER_KEY="daily_flights/date=2024-01-02/f.csv")
    assert (day.scope, day.dates, day.checks_unbuilt) == ("day", ("2024-01-02",), True)
    dates = ["--vars", json.dumps({"flight_dates": "2024-01-02"})]
    assert day.build_args() == ["build", *dates, "--select", DAY_SELECTION]
    # A fresh warehouse (or one without the airports branch yet): the whole project.
    assert day.build_args(["airports_snapshot", "dim_airports"]) == ["build", *dates]


def test_a_backfill_builds_the_whole_project_for_its_dates() -> None:
    backfill = request(FLIGHT_DATE="2024-01-01, 2024-01-02", TRIGGER_KEY="backfill")
    assert backfill.checks_unbuilt is False
    assert backfill.build_args() == [
        "build", "--vars", json.dumps({"flight_dates": "2024-01-01,2024-01-02"}),
    ]  # fmt: skip


def test_an_airports_upload_builds_the_whole_project_without_dates() -> None:
    airports = request(DBT_SCOPE="airports", FLIGHT_DATE="2024-01-02")
    assert (airports.scope, airports.checks_unbuilt) == ("airports", False)
    assert airports.build_args() == ["build"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "FLIGHT_DATE is not set"),
        ({"FLIGHT_DATE": " , "}, "FLIGHT_DATE is not set"),
        ({"FLIGHT_DATE": "2024-01-02,2024-1-3"}, "not a YYYY-MM-DD date: 2024-1-3"),
        # a quote would end the YAML string of --vars: refused before dbt sees it
        ({"FLIGHT_DATE": "2024-01-02'}"}, "not a YYYY-MM-DD date: 2024-01-02'}"),
    ],
)
def test_variables_that_name_no_build_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(BuildRequestError, match=message):
        request(**env)


def test_the_target_is_required() -> None:
    with pytest.raises(BuildRequestError, match="DBT_TARGET is not set"):
        BuildRequest.from_environment({"FLIGHT_DATE": "2024-01-02"})


class RecordingSession:
    """Stands in for dbt (build_runner.session.DbtSession) to follow the runner's order."""

    def __init__(self, target: str, common_args=(), unbuilt=(), fails: str | None = None):
        self.target, self.common_args = target, list(common_args)
        self.unbuilt, self.fails, self.calls = list(unbuilt), fails, []

    def _call(self, name: str, *args) -> None:
        self.calls.append((name, *args))
        if name == self.fails:
            raise DbtCommandError(f"dbt {name} failed")

    def parse(self) -> None:
        self._call("parse")

    def unbuilt_relations(self) -> list[str]:
        self._call("unbuilt")
        return self.unbuilt

    def run(self, args) -> None:
        self._call("run", *args)


def test_the_runner_parses_once_then_checks_then_builds() -> None:
    day = request(FLIGHT_DATE="2024-01-02")
    session = RecordingSession("prod", unbuilt=["dim_airports"])
    assert run_build(day, session) == ["dim_airports"]
    assert [c[0] for c in session.calls] == ["parse", "unbuilt", "run"]
    assert session.calls[-1][1:] == tuple(day.build_args(["dim_airports"]))
    airports = RecordingSession("prod")
    run_build(request(DBT_SCOPE="airports"), airports)
    assert airports.calls == [("parse",), ("run", "build")]


def test_a_failed_check_builds_nothing_and_the_build_fails(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DBT_TARGET", "prod")
    monkeypatch.setenv("FLIGHT_DATE", "2024-01-02")
    sessions: list[RecordingSession] = []

    def failing(target, args):
        sessions.append(RecordingSession(target, args, fails="unbuilt"))
        return sessions[-1]

    assert main(["--project-dir", "p"], session_for=failing) == 1
    assert [c[0] for c in sessions[0].calls] == ["parse", "unbuilt"]
    assert sessions[0].common_args == ["--project-dir", "p"]
    assert "dbt unbuilt failed" in capsys.readouterr().err
    monkeypatch.delenv("FLIGHT_DATE")
    assert main([], session_for=failing) == 2
    assert capsys.readouterr().err.strip() == "FLIGHT_DATE is not set"


def test_a_parse_that_fails_from_the_saved_one_is_retried_in_full(tmp_path) -> None:
    # dbt falls back to a full parse by itself when a saved parse does not match; a partial
    # parse that fails (a dbt bug) must not fail every later build through the cache.
    saved = tmp_path / "partial_parse.msgpack"
    saved.write_bytes(b"the last build's parse")
    attempts: list[bool] = []

    class FirstParseFails(DbtSession):
        def _invoke(self, args, callbacks=()):
            attempts.append(saved.exists())
            if len(attempts) == 1:
                raise DbtCommandError("dbt parse failed")
            return type("Result", (), {"result": "manifest"})()

    session = FirstParseFails("prod", saved_parse=saved)
    session.parse()
    assert attempts == [True, False]  # the retry ran without the saved parse
    assert (session.manifest, session.parsed_in_full) == ("manifest", True)
    # Without a saved parse there is nothing to retry without: the failure stands.
    attempts.clear()
    with pytest.raises(DbtCommandError):
        FirstParseFails("prod", saved_parse=tmp_path / "none.msgpack").parse()

"""Checking responses against botocore's model and against a recording (tools/parity/), on
the committed example recording (tests/fixtures/parity_example/)."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

import pytest

from tools.parity import calls, cli, compare, record, shapes

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "parity_example"


def _example(name: str) -> calls.Call:
    return calls.read(EXAMPLE / name)


def test_the_example_holds_every_recorded_call_and_each_fits_the_model():
    recorded = calls.read_dir(EXAMPLE)
    assert set(recorded) == {f"{s}.{o}.{label}.json" for s, o, label in record.RECORDED}
    for call in recorded.values():
        assert shapes.problems(call.service, call.operation, call.response) == [], call.file_name


def test_the_model_check_names_each_kind_of_departure():
    run = copy.deepcopy(_example("glue.GetJobRun.day.json").response)
    run["JobRun"]["JobRunState"] = "DONE"  # not an enum value
    run["JobRun"]["ExecutionTime"] = "61"  # a string for an integer
    run["JobRun"]["StartedOn"] = "2024-01-01T00:00:00Z"  # not the JSON protocol's epoch
    run["JobRun"]["Runtime"] = "local"  # not a member
    described = copy.deepcopy(_example("redshift-data.DescribeStatement.query.json").response)
    del described["Id"]  # required

    assert sorted(shapes.problems("glue", "GetJobRun", run)) == [
        "GetJobRun.JobRun.ExecutionTime: '61' where the model's type is integer",
        "GetJobRun.JobRun.JobRunState: 'DONE' is not one of JobRunState's values",
        "GetJobRun.JobRun.Runtime: not a member of JobRun",
        "GetJobRun.JobRun.StartedOn: '2024-01-01T00:00:00Z' is not epoch seconds "
        "(the unixTimestamp wire format)",
    ]
    assert shapes.problems("redshift-data", "DescribeStatement", described) == [
        "DescribeStatement.Id: required member missing"
    ]


def test_the_comparison_lists_what_local_lacks_adds_and_types_differently():
    recorded = _example("codebuild.BatchGetBuilds.day.json").response
    local = copy.deepcopy(recorded)
    build = local["builds"][0]
    del build["phases"][0]["contexts"]
    build["buildNumber"] = "1"
    build["environment"]["environmentVariables"].append(
        {"name": "X", "value": "y", "type": "PLAINTEXT", "origin": "local"}
    )
    build["exportedEnvironmentVariables"] = []  # an empty list has no items to compare

    difference = compare.difference("codebuild", "BatchGetBuilds", recorded, local)

    assert difference.lacks == [
        "builds[].exportedEnvironmentVariables[]",
        "builds[].exportedEnvironmentVariables[].name",
        "builds[].exportedEnvironmentVariables[].value",
        "builds[].phases[].contexts",
        "builds[].phases[].contexts[]",
        "builds[].phases[].contexts[].message",
        "builds[].phases[].contexts[].statusCode",
    ]
    assert difference.adds == ["builds[].environment.environmentVariables[].origin"]
    assert difference.types == ["builds[].buildNumber: recorded number, local string"]


def test_map_keys_are_data_not_members():
    recorded = _example("glue.GetJobRun.day.json").response
    local = copy.deepcopy(recorded)
    local["JobRun"]["Arguments"] = {"--flight_date": "2024-01-01", "--run_id": "r"}
    assert not compare.difference("glue", "GetJobRun", recorded, local)


def _copy_example(tmp_path: Path) -> Path:
    local = tmp_path / "local-20241204T000000Z"
    shutil.copytree(EXAMPLE, local)
    return local


def test_make_parity_passes_on_matching_recordings_and_fails_on_a_type(tmp_path, capsys):
    local = _copy_example(tmp_path)
    assert cli.main(["check", "--local", str(local), "--recorded", str(EXAMPLE)]) == 0
    assert "parity: 10 ok, 0 failed" in capsys.readouterr().out

    path = local / "glue.GetCrawler.day.json"
    crawler = calls.read(path)
    crawler.response["Crawler"]["Version"] = "1"
    calls.write(local, crawler)
    (local / "redshift-data.DescribeStatement.failed.json").unlink()

    assert cli.main(["check", "--local", str(local), "--recorded", str(EXAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "glue.GetCrawler.day.json: FAILED" in out
    assert "  model: GetCrawler.Crawler.Version: '1' where the model's type is long" in out
    assert "  type differs: Crawler.Version: recorded number, local string" in out
    assert "redshift-data.DescribeStatement.failed.json: recorded, but no local call" in out
    assert "parity: 8 ok, 2 failed" in out


def test_a_file_that_is_not_a_recorded_call_is_named(tmp_path, capsys):
    local = _copy_example(tmp_path)
    (local / "glue.GetJobRun.day.json").write_text('{"service": "glue"}')
    assert cli.main(["check", "--local", str(local)]) == 1
    assert "glue.GetJobRun.day.json: not a recorded call" in capsys.readouterr().err


def test_a_call_is_stored_under_its_own_name(tmp_path):
    call = _example("glue.GetJobRun.day.json")
    calls.write(tmp_path, dataclasses.replace(call, label="other"))
    (tmp_path / "glue.GetJobRun.other.json").rename(tmp_path / "glue.GetJobRun.day.json")
    with pytest.raises(calls.RecordingError, match=r"holds glue\.GetJobRun\.other\.json"):
        calls.read_dir(tmp_path)

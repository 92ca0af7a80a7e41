"""The dashboard definition: the committed one is valid and matches the dbt exposure; a broken
one fails with one line naming the file, the field and the reason."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tools.dashboard.definition import DEFAULT_DEFINITION, DefinitionError, load

EXPOSURES = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "exposures.yml"


def committed() -> dict:
    return yaml.safe_load(DEFAULT_DEFINITION.read_text())


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def error_of(tmp_path: Path, data: dict) -> str:
    path = write(tmp_path, data)
    with pytest.raises(DefinitionError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


def test_the_committed_definition_is_valid_and_has_every_page_the_issue_asks_for() -> None:
    definition = load()
    ids = {v.id for v in definition.visuals()}
    assert {
        "on_time_share_by_carrier", "on_time_share_by_day", "arr_delay_by_origin",
        "arr_delay_by_route", "cancellations_over_time", "delayed_flights_table",
        "rows_per_day", "rejects_by_reason", "unknown_airports_per_day", "runs_table",
        "day_checks_by_status", "day_checks_table",
    } <= ids  # fmt: skip
    assert {f.kind for f in definition.filters} == {"date_range", "values"}


def test_the_dbt_exposure_depends_on_exactly_the_models_the_datasets_read() -> None:
    exposure = yaml.safe_load(EXPOSURES.read_text())["exposures"][0]
    refs = sorted(ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"])
    assert refs == list(load().models)


def test_an_unknown_visual_kind_names_the_field(tmp_path: Path) -> None:
    data = committed()
    data["pages"][0]["visuals"][2]["kind"] = "pie"
    message = error_of(tmp_path, data)
    assert "pages[0].visuals[2].kind: 'pie' is not one of ['bar', 'line', 'table']" in message


def test_a_visual_on_a_dataset_that_does_not_exist(tmp_path: Path) -> None:
    data = committed()
    data["pages"][1]["visuals"][0]["dataset"] = "nothing_here"
    message = error_of(tmp_path, data)
    assert "pages[1].visuals[0].dataset: no dataset 'nothing_here'" in message


def test_a_measure_on_a_column_the_dataset_lacks(tmp_path: Path) -> None:
    data = committed()
    data["pages"][0]["visuals"][0]["measures"][0]["ratio"] = ["on_time_flights", "landed"]
    message = error_of(tmp_path, data)
    assert "pages[0].visuals[0]: field 'landed' is not a column of dataset" in message


def test_a_chart_without_x_and_a_table_with_measures_are_refused(tmp_path: Path) -> None:
    data = committed()
    del data["pages"][0]["visuals"][0]["x"]
    assert "pages[0].visuals[0]: 'x' is a required property" in error_of(tmp_path, data)
    data = committed()
    table = next(v for v in data["pages"][0]["visuals"] if v["kind"] == "table")
    table["measures"] = [{"field": "dep_delay", "aggregate": "sum"}]
    assert "pages[0].visuals[5].measures: not allowed here" in error_of(tmp_path, data)


def test_a_misspelt_key_is_named(tmp_path: Path) -> None:
    data = committed()
    data["datasets"]["delayed_flights"]["sqll"] = data["datasets"]["delayed_flights"].pop("sql")
    message = error_of(tmp_path, data)
    assert "datasets.delayed_flights:" in message
    assert "'sqll' was unexpected" in message


def test_sql_must_read_the_marts_through_the_placeholder(tmp_path: Path) -> None:
    data = copy.deepcopy(committed())
    data["datasets"]["delayed_flights"]["sql"] = "select * from staging.flights"
    message = error_of(tmp_path, data)
    assert "datasets.delayed_flights.sql: 'select * from staging.flights' does not match" in message


def test_a_filter_on_a_column_of_the_wrong_type(tmp_path: Path) -> None:
    data = committed()
    data["datasets"]["runs"]["columns"]["flight_date"] = "text"
    message = error_of(tmp_path, data)
    assert "datasets.runs.columns.flight_date: a date_range filter needs a date column" in message


def test_yaml_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ntitle: [unclosed\npages: []\n")
    with pytest.raises(DefinitionError, match=rf"^{path}, line \d+: not YAML: "):
        load(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"nope\.yaml: cannot read"):
        load(tmp_path / "nope.yaml")

"""The QuickSight template generated from the definition. Nothing in QuickSight runs here: the
resources are checked against the CloudFormation resource schemas cfn-lint ships (every
property, nested definition, enum and pattern of the AWS::QuickSight types)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from cfnlint.api import ManualArgs, lint

from tools.dashboard import quicksight
from tools.dashboard.definition import load

TEMPLATE = Path(__file__).resolve().parents[2] / "cloudformation" / "dashboards.yaml"


def schema_errors(template: dict) -> list[str]:
    matches = lint(yaml.safe_dump(template), config=ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message}" for m in matches]


def test_the_committed_template_is_what_the_definition_generates() -> None:
    assert TEMPLATE.read_text() == quicksight.template_text(load()), (
        "cloudformation/dashboards.yaml is stale: run `make dashboard-template`"
    )


def test_the_generated_resources_match_the_cloudformation_schemas() -> None:
    assert schema_errors(quicksight.template(load())) == []


def test_the_schema_check_catches_a_wrong_visual() -> None:
    template = copy.deepcopy(quicksight.template(load()))
    sheets = template["Resources"]["Dashboard"]["Properties"]["Definition"]["Sheets"]
    bar = sheets[0]["Visuals"][0]["BarChartVisual"]
    bar["ChartConfiguration"]["Orientation"] = "DIAGONAL"
    errors = schema_errors(template)
    assert any("DIAGONAL" in e for e in errors), errors


def test_every_sql_dataset_and_visual_is_in_quicksight_and_shared_with_the_viewer() -> None:
    definition = load()
    template = quicksight.template(definition)
    resources = template["Resources"]
    datasets = [r for r in resources.values() if r["Type"] == "AWS::QuickSight::DataSet"]
    assert len(datasets) == len(definition.datasets)
    for dataset in datasets:
        (table,) = dataset["Properties"]["PhysicalTableMap"].values()
        assert "analytics_marts." in table["CustomSql"]["SqlQuery"]
        assert "{{" not in table["CustomSql"]["SqlQuery"]
    dashboard = resources["Dashboard"]["Properties"]
    shown = {
        body["VisualId"]
        for sheet in dashboard["Definition"]["Sheets"]
        for visual in sheet["Visuals"]
        for body in visual.values()
    }
    # Every visual, the pipeline-health page's too: its runs are in the warehouse.
    assert shown == {v.id for v in definition.visuals()}
    assert [sheet["Name"] for sheet in dashboard["Definition"]["Sheets"]] == [
        page.title for page in definition.pages
    ]
    assert dashboard["Permissions"][0]["Principal"] == {"Ref": "DashboardViewerArn"}
    # The data source logs in as the read-only reader, through the VPC connection.
    source = resources["DataSource"]["Properties"]
    assert "DashboardReaderSecretArn" in str(source["Credentials"])
    assert source["VpcConnectionProperties"]["VpcConnectionArn"] == {
        "Fn::GetAtt": ["VpcConnection", "Arn"]
    }

"""The cost model on the real templates and parameter files (no AWS)."""

from __future__ import annotations

import dataclasses

import pytest

from tools.cost import cli as cost_cli
from tools.cost import prices
from tools.cost.model import (
    LOAD,
    LoadAssumptions,
    environment,
    fixed_lines,
    from_notice,
    load_lines,
    report,
    run_price,
    table,
)


def _line(lines, item):
    return next(line for line in lines if line.item.startswith(item))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_fixed_part_counts_what_the_templates_deploy(env: str) -> None:
    templates, params = environment(env)
    lines = fixed_lines(templates, params)
    network = templates["network"]["Resources"]
    interface = [
        r["Properties"]
        for r in network.values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and r["Properties"].get("VpcEndpointType") == "Interface"
    ]
    # each endpoint gets the environment's EndpointAzCount subnets (dev 1, prod 2)
    assert params["EndpointAzCount"] == {"dev": "1", "prod": "2"}[env]
    endpoint_azs = len(interface) * int(params["EndpointAzCount"])
    assert _line(lines, "interface endpoints").monthly == pytest.approx(
        endpoint_azs * prices.INTERFACE_ENDPOINT_AZ_HOUR * prices.HOURS_PER_MONTH
    )
    nat = _line(lines, "NAT gateway")
    assert nat.monthly == pytest.approx(
        (params["EnableNatGateway"] == "true") * prices.NAT_GATEWAY_HOUR * prices.HOURS_PER_MONTH
    )
    # the storage key; the two secrets of the warehouse stack plus Redshift's managed one
    assert _line(lines, "KMS keys").quantity == "1"
    assert _line(lines, "secrets").quantity == "3"


def test_variable_part_follows_the_parameters() -> None:
    templates, params = environment("dev")
    flex = _line(load_lines(templates, params), "Glue job")
    standard = _line(load_lines(templates, {**params, "ExecutionClass": "STANDARD"}), "Glue job")
    assert flex.item == "Glue job (FLEX)"
    assert flex.monthly / standard.monthly == pytest.approx(
        prices.GLUE_DPU_HOUR["FLEX"] / prices.GLUE_DPU_HOUR["STANDARD"]
    )
    doubled = _line(load_lines(templates, {**params, "BaseCapacity": "16"}), "Redshift")
    assert doubled.monthly == pytest.approx(
        2 * _line(load_lines(templates, params), "Redshift").monthly
    )
    # one crawl per header change, each billed alone
    two = dataclasses.replace(LOAD, header_changes_per_month=2)
    crawler = _line(load_lines(templates, params, two), "Glue crawler")
    assert crawler.monthly == pytest.approx(
        2 * _line(load_lines(templates, params), "Glue crawler").monthly
    )


def test_the_table_sums_fixed_and_variable() -> None:
    lines = report("prod")
    text = table(lines)
    total = sum(line.monthly for line in lines)
    assert text.splitlines()[-1].split()[-1] == f"{total:,.2f}"


def test_a_run_is_priced_from_its_notice() -> None:
    notice = {
        "crawler": {"ran": False, "reason": "same header"},
        "usage": {
            "glue": {
                "execution_seconds": 30,
                "execution_class": "FLEX",
                "worker_type": "G.1X",
                "workers": 2,
            },
            "dbt_build": {"phase_seconds": [0, 1, 0, 70, 15, 0, 0]},
        },
    }
    price = run_price(notice)
    assert price["glue_job"] == pytest.approx(round(2 * 60 / 3600 * 0.29, 4))  # 1-minute minimum
    assert price["crawler"] == 0
    assert price["dbt_build"] == pytest.approx(2 * 0.005)  # 86 s: two build minutes
    notice["crawler"]["ran"] = True
    assert run_price(notice)["crawler"] == pytest.approx(round(2 * 600 / 3600 * 0.44, 4))


def test_the_warehouse_is_priced_from_the_measured_load_and_says_what_it_assumed() -> None:
    notice = {
        "summary": {"warehouse_seconds": 4.2},
        "usage": {
            "glue": {"execution_seconds": 75, "execution_class": "STANDARD",
                     "worker_type": "G.1X", "workers": 2},
            "dbt_build": {"phase_seconds": [0, 1, 0, 70, 15, 0, 0]},
        },
    }  # fmt: skip
    price = run_price(notice, base_rpus=4)
    # Two busy periods (load, build), each billed at least 60 s, at 4 RPU.
    assert price["warehouse"] == pytest.approx(round(4 * 120 / 3600 * 0.375, 4))
    assert price["glue_job"] == pytest.approx(round(2 * 75 / 3600 * 0.44, 4))
    # The build's warehouse seconds are not in the notice: the model's figure stands in.
    assert price["assumed"] == ["build_warehouse_seconds"]
    measured = from_notice(notice)
    assert (measured.job_seconds, measured.dbt_build_minutes) == (75, 2)
    assert measured.label("load_warehouse_seconds") == "measured"
    assert measured.label("build_warehouse_seconds") == "assumed"
    templates, params = environment("dev")
    glue = _line(load_lines(templates, params, measured), "Glue job")
    assert "75 s (measured)" in glue.quantity


def test_the_builds_exported_warehouse_seconds_are_measured() -> None:
    notice = {
        "summary": {"warehouse_seconds": 4.2},
        "usage": {
            "glue": {"execution_seconds": 75, "execution_class": "STANDARD",
                     "worker_type": "G.1X", "workers": 2},
            "dbt_build": {
                "phase_seconds": [0, 1, 0, 70, 95, 0, 0],
                # as Step Functions passes BatchGetBuilds' exportedEnvironmentVariables on
                "exported_variables": [
                    {"Name": "OTHER", "Value": "9"},
                    {"Name": "DBT_WAREHOUSE_SECONDS", "Value": "84.5"},
                ],
            },
        },
    }  # fmt: skip
    price = run_price(notice, base_rpus=4)
    assert price["assumed"] == []
    # the load at its 60-second minimum, the build's measured 84.5 s
    assert price["warehouse"] == pytest.approx(round(4 * (60 + 84.5) / 3600 * 0.375, 4))
    measured = from_notice(notice)
    assert measured.build_warehouse_seconds == 84.5
    assert measured.label("build_warehouse_seconds") == "measured"
    # a build that exported nothing usable leaves the assumption in place
    notice["usage"]["dbt_build"]["exported_variables"] = [{"Name": "DBT_WAREHOUSE_SECONDS"}]
    assert run_price(notice)["assumed"] == ["build_warehouse_seconds"]


def test_crawls_follow_the_design_one_per_header_change_compressed_or_not() -> None:
    """The day crawl machine runs after the job and crawls only when the headers the job read
    (gzip included) are not the ones the table was crawled from (stepfunctions/day_crawl.asl.json,
    CompareHeaders): one crawl per header change, however the producer compresses its files.
    Each crawl is billed at least the 10-minute minimum."""
    templates, params = environment("dev")
    one = prices.CRAWLER_DPUS * prices.CRAWLER_MINIMUM_SECONDS / 3600 * prices.CRAWLER_DPU_HOUR
    steady = dataclasses.replace(LOAD, header_changes_per_month=0)
    assert _line(load_lines(templates, params, steady), "Glue crawler").monthly == 0
    two = dataclasses.replace(LOAD, header_changes_per_month=2)
    line = _line(load_lines(templates, params, two), "Glue crawler")
    assert line.monthly == pytest.approx(2 * one)
    assert "header changes" in line.quantity
    # No what-if makes a compressed producer crawl every day any more.
    assert "compressed_files" not in {f.name for f in dataclasses.fields(LoadAssumptions)}
    with pytest.raises(SystemExit):
        cost_cli.main(["--env", "dev", "--compressed"])


def test_a_crawl_reads_at_most_the_queue_retention_and_the_queue_costs_next_to_nothing() -> None:
    """S3 event mode: a crawl lists only the folders of events still queued, so its reach is
    the queue's retention, not the history; the queue itself bills a few dozen requests."""
    templates, params = environment("dev")
    crawler = _line(load_lines(templates, params), "Glue crawler")
    assert "at most 14 days of folders" in crawler.quantity
    shorter = {**params, "CrawlEventRetentionSeconds": str(3 * 86400)}
    assert "at most 3 days" in _line(load_lines(templates, shorter), "Glue crawler").quantity
    queue = _line(load_lines(templates, params), "SQS crawl events")
    # 30 events a month; one crawl receives the 14 queued (2 calls + the empty one) and
    # deletes them (2 batches): 35 SQS requests, 33 KMS requests (30 sends, 3 receives).
    assert queue.monthly == pytest.approx(35 * prices.SQS_REQUEST + 33 * prices.KMS_REQUEST)
    assert queue.monthly < 0.001
    busier = dataclasses.replace(LOAD, files_per_day=24, header_changes_per_month=4)
    assert _line(load_lines(templates, params, busier), "SQS crawl events").monthly < 0.01

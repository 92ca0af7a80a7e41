"""The monthly cost of an environment, modelled from its templates and parameters.

Fixed part: what runs whether or not a day loads (interface endpoints x the AZs of their
subnets, NAT gateways, KMS keys, secrets, alarms). Variable part: one daily load (Glue job
DPU-seconds at the job's execution class, the crawler when it runs, the dbt build's
CodeBuild minutes, Step Functions transitions, Redshift Serverless RPU-seconds), times the
days of a month. Durations are assumptions (LOAD below) unless a run's success notice gives
them (`from_notice`, `make cost NOTICE=...`); the table says which. Prices are `prices.py`;
`run_price()` prices one run from its notice.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from tools.cost import prices
from tools.deploy import cfn_yaml
from tools.deploy.config import load_env

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "cloudformation"


@dataclasses.dataclass(frozen=True)
class LoadAssumptions:
    """One daily load on AWS. Each figure is assumed unless named in `measured` (taken from a
    run's success notice: `from_notice`)."""

    job_seconds: float = 180  # Glue start-up included
    dbt_build_minutes: float = 4.0  # install from the wheelhouse included
    load_warehouse_seconds: float = 30  # the job's delete + COPY batch
    build_warehouse_seconds: float = 60  # the day's dbt build's queries
    state_transitions: int = 45  # the success path of the state machine, polls included
    # The day crawl machine, after the job, crawls only when the day's header lines (every
    # file's, as the job read them, gzip included) are not the ones the table was crawled
    # from: one crawl per header change, compressed files or not.
    header_changes_per_month: float = 1.0
    files_per_day: int = 1  # daily_flights/ objects a day lands: one S3 event each
    measured: frozenset[str] = frozenset()

    @property
    def crawls_per_month(self) -> float:
        return self.header_changes_per_month

    def label(self, name: str) -> str:
        return "measured" if name in self.measured else "assumed"


def from_notice(notice: dict[str, Any], base: LoadAssumptions | None = None) -> LoadAssumptions:
    """The figures a run's success notice measured (GetJobRun ExecutionTime, the build's
    phase durations, the load's Data API statement durations) over the assumptions."""
    base = base or LoadAssumptions()
    usage = notice.get("usage") or {}
    found: dict[str, float] = {}
    seconds = (usage.get("glue") or {}).get("execution_seconds")
    if seconds:
        found["job_seconds"] = float(seconds)
    phases = (usage.get("dbt_build") or {}).get("phase_seconds") or []
    if phases:
        found["dbt_build_minutes"] = float(-(-sum(phases) // 60))  # billed whole minutes
    load = (notice.get("summary") or {}).get("warehouse_seconds")
    if load:
        found["load_warehouse_seconds"] = float(load)
    build = build_warehouse_seconds(usage.get("dbt_build") or {})
    if build:
        found["build_warehouse_seconds"] = build
    return dataclasses.replace(base, **found, measured=frozenset(found))


# What the dbt build exports (orchestration.yaml's buildspec, env: exported-variables): the
# elapsed time dbt reports for the build (run_results.json), from its first query to its last,
# an upper bound of the warehouse's busy time for it.
BUILD_WAREHOUSE_VARIABLE = "DBT_WAREHOUSE_SECONDS"


def build_warehouse_seconds(dbt_build: dict[str, Any]) -> float | None:
    """The build's warehouse seconds from its exported variables (BatchGetBuilds
    `exportedEnvironmentVariables`, as Step Functions passes them on: Name and Value)."""
    for variable in dbt_build.get("exported_variables") or []:
        if variable.get("Name") == BUILD_WAREHOUSE_VARIABLE:
            try:
                return float(variable.get("Value") or "")
            except ValueError:
                return None
    return None


LOAD = LoadAssumptions()


@dataclasses.dataclass
class Line:
    part: str  # "fixed" or "per load"
    item: str
    quantity: str
    monthly: float


def _resources(
    templates: dict[str, dict], kind: str, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Properties of every resource of `kind`, with `Fn::If` resolved for `params`."""
    found = []
    for template in templates.values():
        conditions = template.get("Conditions") or {}
        for resource in (template.get("Resources") or {}).values():
            if resource.get("Type") != kind:
                continue
            # A resource whose Condition is false for these parameters is not deployed (the
            # postgres engine's local secrets on a Redshift environment, say).
            condition = resource.get("Condition")
            if params is not None and condition and not _deployed(condition, conditions, params):
                continue
            found.append(_resolve(resource.get("Properties") or {}, conditions, params or {}))
    return found


def _condition(name: str, conditions: dict, params: dict[str, str]) -> bool:
    """The template's simple conditions: Fn::Equals of a parameter and a literal."""
    left, right = conditions[name]["Fn::Equals"]
    value = params.get(left["Ref"], "") if isinstance(left, dict) else str(left)
    return value == str(right)


def _evaluate(expression: Any, conditions: dict, params: dict[str, str]) -> bool | None:
    """Fn::Equals of a parameter and a literal, and Fn::And / Fn::Or / Fn::Not / Condition
    over such; None for anything else."""
    if not isinstance(expression, dict) or len(expression) != 1:
        return None
    ((kind, args),) = expression.items()
    if kind == "Fn::Equals":
        return _condition_of(args, params)
    if kind == "Condition":
        return _evaluate(conditions.get(args), conditions, params)
    values = [_evaluate(a, conditions, params) for a in args]
    if None in values:
        return None
    if kind == "Fn::And":
        return all(values)
    if kind == "Fn::Or":
        return any(values)
    return not values[0] if kind == "Fn::Not" else None


def _condition_of(args: list, params: dict[str, str]) -> bool:
    left, right = args
    value = params.get(left["Ref"], "") if isinstance(left, dict) else str(left)
    return value == str(right)


def _deployed(name: str, conditions: dict, params: dict[str, str]) -> bool:
    """A condition's value; one the model cannot evaluate counts as deployed (the model errs
    towards the higher cost)."""
    value = _evaluate(conditions.get(name), conditions, params)
    return True if value is None else value


def _resolve(value: Any, conditions: dict, params: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, then, otherwise = value["Fn::If"]
            chosen = then if _condition(name, conditions, params) else otherwise
            return _resolve(chosen, conditions, params)
        return {k: _resolve(v, conditions, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, conditions, params) for v in value]
    return value


def _parameters(templates: dict[str, dict], values: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for template in templates.values():
        for name, spec in (template.get("Parameters") or {}).items():
            if "Default" in spec:
                merged.setdefault(name, str(spec["Default"]))
    merged.update({k: str(v) for k, v in values.items()})
    return merged


def environment(env: str) -> tuple[dict[str, dict], dict[str, str]]:
    config = load_env(env)
    templates = {s: cfn_yaml.load(TEMPLATES / f"{s}.yaml") for s in config.stacks}
    return templates, _parameters(templates, config.parameters)


def fixed_lines(templates: dict[str, dict], params: dict[str, str]) -> list[Line]:
    lines = []
    endpoints = [
        p
        for p in _resources(templates, "AWS::EC2::VPCEndpoint", params)
        if p.get("VpcEndpointType") == "Interface"
    ]
    endpoint_azs = sum(len(p.get("SubnetIds") or []) for p in endpoints)
    lines.append(
        Line(
            "fixed",
            "interface endpoints",
            f"{len(endpoints)} endpoints, {endpoint_azs} endpoint-AZs",
            endpoint_azs * prices.INTERFACE_ENDPOINT_AZ_HOUR * prices.HOURS_PER_MONTH,
        )
    )
    nat = len(_resources(templates, "AWS::EC2::NatGateway"))
    if params.get("EnableNatGateway", "false") != "true":
        nat = 0
    lines.append(
        Line(
            "fixed", "NAT gateway", str(nat), nat * prices.NAT_GATEWAY_HOUR * prices.HOURS_PER_MONTH
        )
    )
    keys = len(_resources(templates, "AWS::KMS::Key"))
    lines.append(Line("fixed", "KMS keys", str(keys), keys * prices.KMS_KEY_MONTH))
    secrets = len(_resources(templates, "AWS::SecretsManager::Secret", params))
    secrets += sum(
        1
        for p in _resources(templates, "AWS::RedshiftServerless::Namespace", params)
        if p.get("ManageAdminPassword") is True
    )
    lines.append(Line("fixed", "secrets", str(secrets), secrets * prices.SECRET_MONTH))
    alarms = len(_resources(templates, "AWS::CloudWatch::Alarm"))
    lines.append(Line("fixed", "CloudWatch alarms", str(alarms), alarms * prices.ALARM_MONTH))
    if _resources(templates, "AWS::QuickSight::Dashboard"):  # EnableDashboards: the stack is in
        lines.append(quicksight_line(params))
    return lines


def quicksight_line(params: dict[str, str]) -> Line:
    """QuickSight bills users, not resources: one author who owns the stack's assets and
    `DashboardReaders` readers (a what-if: --set DashboardReaders=N)."""
    readers = int(params.get("DashboardReaders", "1"))
    monthly = prices.QUICKSIGHT_AUTHOR_MONTH + readers * prices.QUICKSIGHT_READER_MONTH
    return Line("fixed", "QuickSight users", f"1 author, {readers} reader(s)", monthly)


def load_lines(
    templates: dict[str, dict], params: dict[str, str], load: LoadAssumptions = LOAD
) -> list[Line]:
    days = prices.DAYS_PER_MONTH
    execution_class = params.get("ExecutionClass", "STANDARD")
    dpus = (
        float(params.get("NumberOfWorkers", "2"))
        * prices.GLUE_DPU_PER_WORKER[params.get("WorkerType", "G.1X")]
    )
    job_seconds = max(load.job_seconds, prices.GLUE_MINIMUM_SECONDS)
    glue = dpus * job_seconds / 3600 * prices.GLUE_DPU_HOUR[execution_class]
    crawl = prices.CRAWLER_DPUS * prices.CRAWLER_MINIMUM_SECONDS / 3600 * prices.CRAWLER_DPU_HOUR
    projects = _resources(templates, "AWS::CodeBuild::Project")
    compute = (projects[0].get("Environment") or {}).get("ComputeType", "BUILD_GENERAL1_SMALL")
    build = load.dbt_build_minutes * prices.CODEBUILD_MINUTE[compute]
    rpus = float(params.get("BaseCapacity", "8"))
    # Two busy periods a day (the load, then the build minutes later), each billed at least
    # REDSHIFT_MINIMUM_SECONDS ("Billing for Amazon Redshift Serverless").
    busy = [
        max(load.load_warehouse_seconds, prices.REDSHIFT_MINIMUM_SECONDS),
        max(load.build_warehouse_seconds, prices.REDSHIFT_MINIMUM_SECONDS),
    ]
    warehouse = rpus * sum(busy) / 3600 * prices.REDSHIFT_RPU_HOUR
    transitions = load.state_transitions * prices.STATE_TRANSITION
    return [
        Line(
            "per load",
            f"Glue job ({execution_class})",
            f"{dpus:g} DPU x {job_seconds:g} s ({load.label('job_seconds')}) x {days} days",
            glue * days,
        ),
        Line(
            "per load",
            "Glue crawler",
            f"{load.crawls_per_month:g} crawl(s) (header changes)"
            f" x {prices.CRAWLER_DPUS} DPU x 10 min minimum, each reading at most"
            f" {_retention_days(params):g} days of folders (S3 event mode)",
            crawl * load.crawls_per_month,
        ),
        crawl_events_line(params, load),
        Line(
            "per load",
            "CodeBuild (dbt)",
            f"{load.dbt_build_minutes:g} min ({load.label('dbt_build_minutes')}) x {days} days"
            f" ({compute})",
            build * days,
        ),
        Line(
            "per load",
            "Redshift Serverless",
            f"{rpus:g} RPU x ({busy[0]:g} s load ({load.label('load_warehouse_seconds')})"
            f" + {busy[1]:g} s build ({load.label('build_warehouse_seconds')})) x {days} days",
            warehouse * days,
        ),
        Line(
            "per load",
            "Step Functions",
            f"{load.state_transitions} transitions (assumed) x {days} days",
            transitions * days,
        ),
    ]


def _retention_days(params: dict[str, str]) -> float:
    return float(params.get("CrawlEventRetentionSeconds", "1209600")) / 86400


def crawl_events_line(params: dict[str, str], load: LoadAssumptions = LOAD) -> Line:
    """The crawler's S3 event queue (storage.yaml, CrawlEventQueue): S3 sends one message
    per daily_flights/ object; a crawl receives and deletes the queued ones, at most the
    retention's worth (the events of days the state machine registered itself expire
    unread), ten per call; SSE-KMS adds a KMS request per send and per receive call (the
    data key is reused for 5 minutes, and sends are a day apart)."""
    sends = load.files_per_day * prices.DAYS_PER_MONTH
    queued = min(_retention_days(params), prices.DAYS_PER_MONTH) * load.files_per_day
    receives = math.ceil(queued / 10) + 1  # the last call finds the queue empty
    deletes = math.ceil(queued / 10)
    requests = sends + load.crawls_per_month * (receives + deletes)
    kms = sends + load.crawls_per_month * receives
    return Line(
        "per load",
        "SQS crawl events",
        f"{sends:g} events + {load.crawls_per_month * (receives + deletes):g} crawler calls"
        f" ({requests:g} requests, {kms:g} KMS requests)",
        requests * prices.SQS_REQUEST + kms * prices.KMS_REQUEST,
    )


def report(
    env: str, load: LoadAssumptions = LOAD, overrides: dict[str, str] | None = None
) -> list[Line]:
    """The environment's lines; `overrides` changes parameters (what-if)."""
    templates, params = environment(env)
    params = {**params, **(overrides or {})}
    return fixed_lines(templates, params) + load_lines(templates, params, load)


def table(lines: list[Line]) -> str:
    rows = [("part", "item", "quantity", "USD / month")]
    rows += [(line.part, line.item, line.quantity, f"{line.monthly:,.2f}") for line in lines]
    fixed = sum(line.monthly for line in lines if line.part == "fixed")
    variable = sum(line.monthly for line in lines if line.part != "fixed")
    rows += [
        ("", "fixed", "", f"{fixed:,.2f}"),
        ("", "variable (daily loads)", "", f"{variable:,.2f}"),
        ("", "total", "", f"{fixed + variable:,.2f}"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = [
        "  ".join(
            (c.rjust(w) if i == 3 else c.ljust(w))
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def run_price(notice: dict[str, Any], base_rpus: float = 8) -> dict[str, Any]:
    """The price of one run from what its success notice measured: the job's
    ExecutionTime x its workers' DPUs (AWS Glue API, "JobRun"; 1-minute minimum), the build's
    phase durations in whole minutes, the load's warehouse seconds (Data API `Duration`, in the
    run summary) and the build's (dbt's elapsed time, which the build exports) where the notice
    has them, at `base_rpus` (the workgroup's
    BaseCapacity) with Redshift Serverless' 60-second minimum per busy period. `assumed`
    names what the notice lacked (LOAD's figure stands in)."""
    usage = notice.get("usage") or {}
    glue = usage.get("glue") or {}
    measured = from_notice(notice)
    dpus = float(glue.get("workers") or 0) * prices.GLUE_DPU_PER_WORKER.get(
        glue.get("worker_type") or "G.1X", 1
    )
    seconds = max(float(glue.get("execution_seconds") or 0), prices.GLUE_MINIMUM_SECONDS)
    job = (
        dpus
        * seconds
        / 3600
        * prices.GLUE_DPU_HOUR.get(glue.get("execution_class") or "STANDARD", 0.44)
    )
    crawl = (
        prices.CRAWLER_DPUS * prices.CRAWLER_MINIMUM_SECONDS / 3600 * prices.CRAWLER_DPU_HOUR
        if (notice.get("crawler") or {}).get("ran")
        else 0.0
    )
    phases = (usage.get("dbt_build") or {}).get("phase_seconds") or []
    build_seconds = sum(phases) if isinstance(phases, list) else float(phases)
    # CodeBuild bills whole minutes, rounded up
    build = -(-build_seconds // 60) * prices.CODEBUILD_MINUTE["BUILD_GENERAL1_SMALL"]
    busy = [
        max(measured.load_warehouse_seconds, prices.REDSHIFT_MINIMUM_SECONDS),
        max(measured.build_warehouse_seconds, prices.REDSHIFT_MINIMUM_SECONDS) if phases else 0,
    ]
    warehouse = base_rpus * sum(busy) / 3600 * prices.REDSHIFT_RPU_HOUR
    parts = {
        "glue_job": round(job, 4),
        "crawler": round(crawl, 4),
        "dbt_build": round(build, 4),
        "warehouse": round(warehouse, 4),
    }
    assumed = sorted(
        name
        for name in ("load_warehouse_seconds", "build_warehouse_seconds")
        if name not in measured.measured and (phases or name.startswith("load"))
    )
    return {**parts, "total": round(sum(parts.values()), 4), "assumed": assumed}

"""Policy tests over the CloudFormation templates (parsed, short-form tags included)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tools.deploy.config import PARAMETER_DIR, STACK_ORDER, load_env
from tools.iam_check import resolve

from .conftest import TEMPLATE_PATHS


def resources_of(templates: dict[str, dict[str, Any]], kind: str) -> Iterator[tuple[str, str, Any]]:
    for stack, template in templates.items():
        for name, resource in template.get("Resources", {}).items():
            if resource.get("Type") == kind:
                yield stack, name, resource.get("Properties", {})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(templates: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every identity and resource policy document in every template."""
    for stack, template in templates.items():
        for name, resource in template.get("Resources", {}).items():
            props = resource.get("Properties", {})
            for policy in props.get("Policies", []):
                yield f"{stack}.{name}.{policy['PolicyName']}", policy["PolicyDocument"]
            for key in ("PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"):
                if key in props:
                    yield f"{stack}.{name}.{key}", props[key]


def test_every_stack_has_a_template_and_the_order_covers_them() -> None:
    assert sorted(p.stem for p in TEMPLATE_PATHS) == sorted(STACK_ORDER)


def test_templates_found_policies(templates: dict[str, dict[str, Any]]) -> None:
    # Guards the tests below against silently checking nothing.
    assert sum(1 for _ in policy_documents(templates)) >= 15


def test_no_iam_statement_allows_every_action_on_every_resource(
    templates: dict[str, dict[str, Any]],
) -> None:
    offenders = []
    for where, document in policy_documents(templates):
        for statement in as_list(document["Statement"]):
            if statement.get("Effect") != "Allow":
                continue
            if where.endswith("KeyPolicy") and statement.get("Action") == "kms:*":
                # A key policy's "kms:*" for the account root is how IAM gets control of the
                # key at all (its "*" resource is the key itself); checked separately below.
                continue
            actions = as_list(statement.get("Action", []))
            resources = as_list(statement.get("Resource", []))
            if any(a in ("*", "*:*") for a in actions) and "*" in resources:
                offenders.append(where)
            if any(a.endswith(":*") for a in actions if isinstance(a, str)) and "*" in resources:
                offenders.append(f"{where} (service wildcard on *)")
    assert offenders == []


def test_key_policy_root_statement_is_the_only_kms_wildcard(
    templates: dict[str, dict[str, Any]],
) -> None:
    (_, _, key) = next(resources_of(templates, "AWS::KMS::Key"))
    statements = key["KeyPolicy"]["Statement"]
    wildcard = [s for s in statements if s["Action"] == "kms:*"]
    assert len(wildcard) == 1
    assert wildcard[0]["Principal"]["AWS"]["Fn::Sub"].endswith(":root")
    assert key["EnableKeyRotation"] is True


def test_every_bucket_is_encrypted_versioned_private_and_tls_only(
    templates: dict[str, dict[str, Any]],
) -> None:
    buckets = list(resources_of(templates, "AWS::S3::Bucket"))
    assert len(buckets) == 3
    policies = {
        props["Bucket"]["Ref"]: props["PolicyDocument"]
        for _, _, props in resources_of(templates, "AWS::S3::BucketPolicy")
    }
    for _, name, props in buckets:
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256")
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
        deny = [
            s
            for s in policies[name]["Statement"]
            if s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert deny, f"{name} has no TLS-only statement"


def test_data_buckets_use_the_project_kms_key(templates: dict[str, dict[str, Any]]) -> None:
    storage = templates["storage"]["Resources"]
    for name in ("LandingBucket", "ArtifactsBucket"):
        default = storage[name]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ][0]["ServerSideEncryptionByDefault"]
        assert default == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
        }


def test_landing_bucket_emits_events_and_expires_temporary_data(
    templates: dict[str, dict[str, Any]],
) -> None:
    landing = templates["storage"]["Resources"]["LandingBucket"]["Properties"]
    assert landing["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }
    expiring = {r["Prefix"]: r for r in landing["LifecycleConfiguration"]["Rules"] if "Prefix" in r}
    assert set(expiring) == {"staged/", "rejects/"}
    assert all(r["Status"] == "Enabled" and "ExpirationInDays" in r for r in expiring.values())


def test_redshift_is_private_with_enhanced_routing_and_a_managed_password(
    templates: dict[str, dict[str, Any]],
) -> None:
    (_, _, workgroup) = next(resources_of(templates, "AWS::RedshiftServerless::Workgroup"))
    assert workgroup["PubliclyAccessible"] is False
    assert workgroup["EnhancedVpcRouting"] is True
    assert workgroup["BaseCapacity"] == {"Ref": "BaseCapacity"}
    params = templates["warehouse"]["Parameters"]
    assert params["BaseCapacity"]["Default"] == 8
    (_, _, namespace) = next(resources_of(templates, "AWS::RedshiftServerless::Namespace"))
    assert namespace["ManageAdminPassword"] is True
    assert "AdminUserPassword" not in namespace


def test_warehouse_admits_only_the_pipeline_security_group(
    templates: dict[str, dict[str, Any]],
) -> None:
    group = templates["warehouse"]["Resources"]["WarehouseSecurityGroup"]["Properties"]
    (rule,) = group["SecurityGroupIngress"]
    assert "CidrIp" not in rule
    assert rule["SourceSecurityGroupId"] == {
        "Fn::ImportValue": {"Fn::Sub": "${Project}-${EnvName}-PipelineSecurityGroupId"}
    }
    assert (rule["FromPort"], rule["ToPort"]) == (5439, 5439)


def test_warehouse_secret_follows_the_job_contract(templates: dict[str, dict[str, Any]]) -> None:
    secret = templates["warehouse"]["Resources"]["WarehouseSecret"]["Properties"]
    # One selector in every environment: locally the plugin's Data API serves the workgroup.
    redshift_json = secret["SecretString"]["Fn::Sub"][0]
    # Substitute placeholders with samples: the result must be JSON with the contract's keys.
    sample = redshift_json.replace("${Workgroup}", "wg").replace("${DatabaseName}", "db")
    sample = sample.replace("${CopyRoleArn}", "arn:aws:iam::1:role/r")
    assert json.loads(sample) == {
        "engine": "redshift",
        "workgroup": "wg",
        "database": "db",
        "copy_role_arn": "arn:aws:iam::1:role/r",
    }


def test_sns_topic_and_queues_and_logs_are_encrypted(templates: dict[str, dict[str, Any]]) -> None:
    topics = list(resources_of(templates, "AWS::SNS::Topic"))
    assert topics
    assert all("KmsMasterKeyId" in props for _, _, props in topics)
    assert all("KmsMasterKeyId" in p for _, _, p in resources_of(templates, "AWS::SQS::Queue"))
    log_groups = list(resources_of(templates, "AWS::Logs::LogGroup"))
    assert log_groups
    assert all("KmsKeyId" in p and "RetentionInDays" in p for _, _, p in log_groups)


def test_secrets_are_encrypted_with_the_project_key(templates: dict[str, dict[str, Any]]) -> None:
    secrets = list(resources_of(templates, "AWS::SecretsManager::Secret"))
    assert secrets
    assert all("KmsKeyId" in props for _, _, props in secrets)


def test_glue_job_matches_the_argument_contract(templates: dict[str, dict[str, Any]]) -> None:
    job = templates["glue"]["Resources"]["LoadJob"]["Properties"]
    assert job["GlueVersion"] == "6.0"
    assert job["WorkerType"] == {"Ref": "WorkerType"}
    assert job["NumberOfWorkers"] == {"Ref": "NumberOfWorkers"}
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == {"Ref": "MaxConcurrentRuns"}
    args = job["DefaultArguments"]
    assert {"--source_root", "--output_root", "--warehouse_secret_id", "--extra-py-files"} <= set(
        args
    )
    assert args["--job-bookmark-option"] == "job-bookmark-disable"
    # The VPC has no NAT and no monitoring endpoint: metrics must keep Glue's own proxy.
    assert args["--enable-metrics"] == "true"
    assert "--disable-proxy-v2" not in args
    # Per-run arguments belong to the state machine, not the job definition.
    assert not {"--flight_date", "--run_id", "--trigger_key"} & set(args)


@pytest.mark.parametrize("env", sorted(p.stem for p in PARAMETER_DIR.glob("*.json")))
def test_the_day_gates_reach_the_job_from_each_environment(
    env: str, templates: dict[str, dict[str, Any]]
) -> None:
    # The environment's parameter -> the job's default argument -> entry.job_config, which
    # parses it (tests/glue/test_day_checks.py); a day's run never overrides them.
    from flightline_glue.entry import OPTIONAL

    glue = templates["glue"]
    args = glue["Resources"]["LoadJob"]["Properties"]["DefaultArguments"]
    gates = {"--max_reject_share": "MaxRejectShare",
             "--row_count_outside_band": "RowCountOutsideBand"}  # fmt: skip
    for argument, parameter in gates.items():
        assert args[argument] == {"Ref": parameter}
        assert argument.removeprefix("--") in OPTIONAL
    band = glue["Parameters"]["RowCountOutsideBand"]
    assert (band["Default"], band["AllowedValues"]) == ("warn", ["warn", "fail"])
    # Off by default: every environment warns, and says so.
    assert load_env(env).parameters["RowCountOutsideBand"] == "warn"


def test_the_s3_crawler_can_learn_new_columns(templates: dict[str, dict[str, Any]]) -> None:
    # It runs only when the columns changed (the state machine decides), so it must be able
    # to add them: it merges new columns, never dropping or retyping old ones.
    crawlers = {n: p for _, n, p in resources_of(templates, "AWS::Glue::Crawler")}
    assert len(crawlers) == 3
    daily = crawlers["DailyFlightsCrawler"]
    assert daily["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    output = json.loads(daily["Configuration"])["CrawlerOutput"]
    assert output["Tables"] == {"AddOrUpdateBehavior": "MergeNewColumns"}
    assert output["Partitions"] == {"AddOrUpdateBehavior": "InheritFromTable"}
    jdbc_paths = sorted(
        p["Targets"]["JdbcTargets"][0]["Path"]["Fn::Sub"][0]
        for n, p in crawlers.items()
        if n != "DailyFlightsCrawler"
    )
    assert jdbc_paths == ["${Database}/staging/airports", "${Database}/staging/flights"]


def test_the_s3_crawler_reads_only_the_folders_its_queued_events_name(
    templates: dict[str, dict[str, Any]],
) -> None:
    # Event mode ("Accelerating crawls using Amazon S3 event notifications"): one S3 target,
    # no sampling, the queue the landing bucket notifies; a crawl no longer lists the history.
    daily = templates["glue"]["Resources"]["DailyFlightsCrawler"]["Properties"]
    assert daily["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVENT_MODE"}
    assert list(daily["Targets"]) == ["S3Targets"]
    (target,) = daily["Targets"]["S3Targets"]
    assert "SampleSize" not in target
    assert target["Path"]["Fn::Sub"][0] == "s3://${Bucket}/daily_flights/"
    assert target["EventQueueArn"] == {
        "Fn::ImportValue": {"Fn::Sub": "${Project}-${EnvName}-CrawlEventQueueArn"}
    }
    storage = templates["storage"]
    exported = storage["Outputs"]["CrawlEventQueueArn"]
    assert exported["Value"] == {"Fn::GetAtt": ["CrawlEventQueue", "Arn"]}
    assert exported["Export"]["Name"] == {"Fn::Sub": "${Project}-${EnvName}-CrawlEventQueueArn"}


def test_the_landing_bucket_notifies_the_crawl_queue_of_daily_flights_changes(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["storage"]["Resources"]
    landing = resources["LandingBucket"]
    notifications = landing["Properties"]["NotificationConfiguration"]
    # The pipeline runs on the EventBridge events: they stay.
    assert notifications["EventBridgeConfiguration"] == {"EventBridgeEnabled": True}
    queued = {c["Event"]: c for c in notifications["QueueConfigurations"]}
    assert set(queued) == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    for config in queued.values():
        assert config["Queue"] == {"Fn::GetAtt": ["CrawlEventQueue", "Arn"]}
        assert config["Filter"] == {
            "S3Key": {"Rules": [{"Name": "prefix", "Value": "daily_flights/"}]}
        }
    # S3 validates the destination when the notification is set: the policy comes first.
    assert landing["DependsOn"] == "CrawlEventQueuePolicy"


def test_the_crawl_queue_is_encrypted_and_only_the_landing_bucket_may_send(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["storage"]["Resources"]
    queue = resources["CrawlEventQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert queue["MessageRetentionPeriod"] == {"Ref": "CrawlEventRetentionSeconds"}
    retention = templates["storage"]["Parameters"]["CrawlEventRetentionSeconds"]
    assert retention["MaxValue"] == 1209600  # the SQS maximum, 14 days
    assert retention["MinValue"] <= retention["Default"] <= retention["MaxValue"]
    policy = resources["CrawlEventQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "CrawlEventQueue"}]
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "LandingBucketNotifications",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["CrawlEventQueue", "Arn"]},
            "Condition": {
                "ArnEquals": {
                    "aws:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:s3:::${Project}-${EnvName}-landing-"
                        "${AWS::AccountId}-${AWS::Region}"
                    }
                },
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            },
        }
    ]
    # The ARN in the condition is the landing bucket's, by the name it is given.
    assert resources["LandingBucket"]["Properties"]["BucketName"] == {
        "Fn::Sub": "${Project}-${EnvName}-landing-${AWS::AccountId}-${AWS::Region}"
    }
    # S3 encrypts what it sends with the queue's key: the key policy lets it, in this account.
    key = resources["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    (s3_use,) = [s for s in key if s.get("Principal", {}).get("Service") == "s3.amazonaws.com"]
    assert sorted(s3_use["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert s3_use["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_crawler_role_consumes_only_its_queue(templates: dict[str, dict[str, Any]]) -> None:
    role = templates["glue"]["Resources"]["CrawlerRole"]["Properties"]
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    consume = statements["ConsumeCrawlEvents"]
    # Exactly the actions "Accelerating crawls using Amazon S3 event notifications" lists.
    assert sorted(consume["Action"]) == sorted(
        [
            "sqs:DeleteMessage",
            "sqs:GetQueueUrl",
            "sqs:ListDeadLetterSourceQueues",
            "sqs:ReceiveMessage",
            "sqs:GetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:SetQueueAttributes",
            "sqs:PurgeQueue",
        ]
    )
    assert consume["Resource"] == {
        "Fn::ImportValue": {"Fn::Sub": "${Project}-${EnvName}-CrawlEventQueueArn"}
    }
    sqs_anywhere = [
        s["Sid"]
        for s in statements.values()
        if any(str(a).startswith("sqs:") for a in as_list(s["Action"]))
    ]
    assert sqs_anywhere == ["ConsumeCrawlEvents"]


def test_the_rules_route_daily_csv_files_and_the_airports_file_to_their_machines(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["orchestration"]["Resources"]
    routes = {
        "DailyFileRule": (
            [{"wildcard": "daily_flights/*.csv"}, {"wildcard": "daily_flights/*.csv.gz"}],
            "DayStateMachine",
        ),
        "AirportsFileRule": (["dim/airports.csv"], "AirportsStateMachine"),
    }
    for name, (keys, machine) in routes.items():
        rule = resources[name]["Properties"]
        pattern = rule["EventPattern"]
        assert pattern["source"] == ["aws.s3"], name
        assert pattern["detail-type"] == ["Object Created"], name
        assert pattern["detail"]["object"]["key"] == keys, name
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": machine}, name
        assert target["DeadLetterConfig"], name


def test_alarm_watches_every_machines_failed_executions(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["orchestration"]["Resources"]
    machines = {n for n, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"}
    failed = resources["ExecutionsFailedAlarm"]["Properties"]
    watched = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for m in failed["Metrics"]
        if "MetricStat" in m
    }
    assert watched == machines
    for metric in failed["Metrics"]:
        if "MetricStat" in metric:
            assert metric["MetricStat"]["Metric"]["Namespace"] == "AWS/States"
            assert metric["MetricStat"]["Metric"]["MetricName"] == "ExecutionsFailed"
    (total,) = [m for m in failed["Metrics"] if m.get("ReturnData", True)]
    assert total["Expression"].startswith("SUM(")
    assert failed["AlarmActions"] == [{"Ref": "NoticeTopic"}]


def test_ci_role_trusts_only_jobs_of_this_repository_environment(
    templates: dict[str, dict[str, Any]],
) -> None:
    role = templates["ci-deploy-role"]["Resources"]["DeployRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals"}  # no StringLike: no wildcards in the subject
    assert condition["StringEquals"]["token.actions.githubusercontent.com:aud"] == (
        "sts.amazonaws.com"
    )
    # A job with `environment:` presents only the environment subject (GitHub's OIDC
    # reference); trusting the branch subject too would let a job without the environment,
    # and so without its reviewers, assume the role.
    subject = condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert subject == {"Fn::Sub": "repo:${GitHubRepository}:environment:${GitHubEnvironment}"}


def test_suppressions_carry_a_reason(templates: dict[str, dict[str, Any]]) -> None:
    for template in templates.values():
        for name, resource in template["Resources"].items():
            metadata = resource.get("Metadata", {})
            for skip in metadata.get("checkov", {}).get("skip", []):
                assert skip["id"].startswith("CKV"), name
                assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} lacks a reason"
            for rule in metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []):
                pytest.fail(f"{name}: cfn-lint suppression {rule} (none expected)")


@pytest.mark.parametrize("env", sorted(p.stem for p in PARAMETER_DIR.glob("*.json")))
def test_parameter_files_only_set_declared_parameters(
    env: str, templates: dict[str, dict[str, Any]]
) -> None:
    config = load_env(env)
    declared = set().union(*(set(t.get("Parameters", {})) for t in templates.values()))
    assert set(config.parameters) <= declared
    for stack in config.stacks:
        assert stack in templates


def test_only_the_local_environment_swaps_the_warehouse() -> None:
    engines = {
        p.stem: load_env(p.stem).parameters.get("WarehouseEngine", "redshift")
        for p in PARAMETER_DIR.glob("*.json")
    }
    assert engines.pop("local") == "postgres"
    assert set(engines.values()) == {"redshift"}


def test_the_warehouse_engine_switches_only_the_postgresql_logins(
    templates: dict[str, dict[str, Any]],
) -> None:
    # The namespace, workgroup, COPY role and the job's selector exist in every environment
    # (locally the plugin emulates them); only dbt's and the crawlers' logins depend on it.
    resources = templates["warehouse"]["Resources"]
    conditional = {name: r["Condition"] for name, r in resources.items() if "Condition" in r}
    assert conditional == {
        "CrawlerSecret": "IsRedshift",
        "LocalDbtSecret": "IsPostgres",
        "LocalCrawlerSecret": "IsPostgres",
        "DashboardReaderSecret": "HasDashboards",
    }


def test_dbt_buildspec_runs_the_build_runner_with_its_parse_cached(
    templates: dict[str, dict[str, Any]],
) -> None:
    project = templates["orchestration"]["Resources"]["DbtProject"]["Properties"]
    spec = yaml.safe_load(project["Source"]["BuildSpec"])
    assert spec["version"] == 0.2
    install = spec["phases"]["install"]["commands"]
    # Offline, hash-checked install from the wheelhouse artifact (tools/deploy/wheelhouse.py).
    (script,) = install
    assert '"$WHEELHOUSE_URI"' in script
    assert "--no-index" in script
    assert "--require-hashes" in script
    assert "requirements-dbt.lock" in script
    # What the build covers is build_runner's (tests/dbt/test_build_runner.py): the build
    # phase runs it, then exports the warehouse time.
    build = spec["phases"]["build"]["commands"]
    assert build[0] == "python -m build_runner"
    assert build[1].startswith("export DBT_WAREHOUSE_SECONDS=")
    # dbt's saved parse goes from build to build through the project's S3 cache, in the
    # artifacts bucket, where the build role may read and write it.
    assert spec["cache"] == {"paths": ["target/partial_parse.msgpack"]}
    cache = project["Cache"]
    assert cache["Type"] == "S3"
    assert cache["Location"]["Fn::Sub"][0] == "${Bucket}/cache/dbt"
    policy = templates["orchestration"]["Resources"]["DbtBuildPolicy"]["Properties"]
    (statement,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "BuildCache"]
    assert statement["Resource"]["Fn::Sub"][0] == "${Bucket}/cache/dbt/*"
    variables = project["Environment"]["EnvironmentVariables"]
    env = {v["Name"]: v["Value"] for v in variables if "Name" in v}
    assert env["DBT_TARGET"] == {"Ref": "DbtTarget"}
    # Only the postgres engine (env local) adds the libpq variables, from the secret.
    conditional = [v["Fn::If"] for v in variables if "Fn::If" in v]
    assert [c[1]["Name"] for c in conditional] == [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGDATABASE",
    ]
    assert all(c[0] == "IsPostgres" and c[1]["Type"] == "SECRETS_MANAGER" for c in conditional)
    assert templates["orchestration"]["Parameters"]["DbtTarget"]["Default"] == "prod"


def test_iam_role_names_are_the_ones_the_warehouse_bootstrap_grants_to(
    templates: dict[str, dict[str, Any]],
) -> None:
    from flightline_glue.warehouse.bootstrap import iam_role_names

    expected = iam_role_names("${Project}", "${EnvName}")
    job = templates["glue"]["Resources"]["JobRole"]["Properties"]["RoleName"]
    dbt = templates["orchestration"]["Resources"]["DbtBuildRole"]["Properties"]["RoleName"]
    assert (job, dbt) == ({"Fn::Sub": expected["loader"]}, {"Fn::Sub": expected["dbt"]})


def test_local_secrets_give_each_principal_its_own_login(
    templates: dict[str, dict[str, Any]],
) -> None:
    resources = templates["warehouse"]["Resources"]
    dbt = resources["LocalDbtSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    crawler = resources["LocalCrawlerSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    # dbt's user is the IAMR: user its role maps to, as Redshift stores it (lower case).
    login = '"username": "iamr:${Project}-${EnvName}-dbt", "password": "${PostgresDbtPassword}"'
    assert login in dbt
    assert (
        crawler
        == '{"username": "${PostgresCrawlerUser}", "password": "${PostgresCrawlerPassword}"}'
    )
    # dbt's build reads its libpq variables from its own secret, never the job's.
    build_env = templates["orchestration"]["Resources"]["DbtProject"]["Properties"]["Environment"]
    pg_vars = [v["Fn::If"][1] for v in build_env["EnvironmentVariables"] if "Fn::If" in v]
    assert pg_vars
    for variable in pg_vars:
        secret = variable["Value"]["Fn::Sub"][1]["Secret"]["Fn::ImportValue"]["Fn::Sub"]
        assert secret == "${Project}-${EnvName}-DbtSecretArn", variable["Name"]


# ---- only the network the design needs (cloudformation/network.yaml, "endpoints") -----------

# What each component placed inside the VPC calls there, besides S3 (the gateway endpoint).
# dbt on Redshift Serverless: IAM credentials (GetCredentials, GetWorkgroup) and the build's
# log stream. The JDBC crawlers: the connection's secret, and STS (kept, fail closed).
VPC_CALLS = {
    "orchestration:DbtProject": {"redshift-serverless", "logs"},
    "glue:AirportsTableCrawler": {"secretsmanager", "sts"},
    "glue:FlightsTableCrawler": {"secretsmanager", "sts"},
}


def components_in_the_vpc(templates: dict[str, dict[str, Any]]) -> set[str]:
    """What the templates place in the VPC: CodeBuild projects with a VpcConfig, Glue jobs
    with connections, crawlers of JDBC targets (their connection's subnet)."""
    found = {f"{s}:{n}" for s, n, p in resources_of(templates, "AWS::CodeBuild::Project")
             if "VpcConfig" in p}  # fmt: skip
    found |= {f"{s}:{n}" for s, n, p in resources_of(templates, "AWS::Glue::Job")
              if p.get("Connections")}  # fmt: skip
    found |= {f"{s}:{n}" for s, n, p in resources_of(templates, "AWS::Glue::Crawler")
              if (p.get("Targets") or {}).get("JdbcTargets")}  # fmt: skip
    return found


def interface_endpoints(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """service name (the part after the region) -> the endpoint resource."""
    endpoints = {}
    for name, resource in templates["network"]["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::VPCEndpoint" and props["VpcEndpointType"] == "Interface":
            service = props["ServiceName"]["Fn::Sub"].removeprefix("com.amazonaws.${AWS::Region}.")
            endpoints[service] = {"name": name, **resource}
    return endpoints


def test_only_the_dbt_build_and_the_jdbc_crawlers_run_inside_the_vpc(
    templates: dict[str, dict[str, Any]],
) -> None:
    assert components_in_the_vpc(templates) == set(VPC_CALLS)
    # The load job calls only AWS APIs: no connection, so no ENI rights either.
    job = templates["glue"]["Resources"]["LoadJob"]["Properties"]
    assert "Connections" not in job
    (role,) = [p for _, n, p in resources_of(templates, "AWS::IAM::Role") if n == "JobRole"]
    actions = {
        a
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for a in as_list(statement["Action"])
    }
    assert not {a for a in actions if a.startswith("ec2:")}
    assert "glue:GetConnection" not in actions


def test_every_interface_endpoint_has_a_caller_inside_the_vpc(
    templates: dict[str, dict[str, Any]],
) -> None:
    endpoints = interface_endpoints(templates)
    inside = components_in_the_vpc(templates)
    for service, endpoint in endpoints.items():
        callers = endpoint.get("Metadata", {}).get("Callers", [])
        assert callers, f"{endpoint['name']}: no caller named"
        for caller in callers:
            assert caller in inside, f"{endpoint['name']}: {caller} does not run in the VPC"
            assert service in VPC_CALLS[caller], f"{caller} does not call {service}"
    # ...and every call from inside has its endpoint (no NAT to fall back on).
    assert set(endpoints) == set().union(*VPC_CALLS.values())
    # Removed: nothing inside calls these (the job, their only caller, left the VPC).
    assert not {"redshift", "redshift-data", "glue", "kms"} & set(endpoints)


def test_aws_environments_keep_the_nat_off_and_their_endpoint_az_counts() -> None:
    counts = {}
    for env in ("dev", "sandbox", "prod"):
        parameters = load_env(env).parameters
        assert parameters["EnableNatGateway"] == "false"
        counts[env] = parameters["EndpointAzCount"]
    assert counts == {"dev": "1", "sandbox": "1", "prod": "2"}


def test_glue_connections_are_created_before_the_job_and_crawlers_that_use_them(
    templates: dict[str, dict[str, Any]],
) -> None:
    """A connection named by a string gives CloudFormation no order: a crawler or job could be
    created (or survive a delete) without it. Each must Ref the connection or depend on it."""
    glue = templates["glue"]["Resources"]
    connections = {n for n, r in glue.items() if r["Type"] == "AWS::Glue::Connection"}
    assert connections
    users = 0
    for name, resource in glue.items():
        props = resource.get("Properties", {})
        named = [t["ConnectionName"] for t in props.get("Targets", {}).get("JdbcTargets", [])]
        named += as_list(props.get("Connections", {}).get("Connections", []))
        depends = set(as_list(resource.get("DependsOn", [])))
        for connection in named:
            users += 1
            referenced = isinstance(connection, dict) and connection.get("Ref") in connections
            assert referenced or depends & connections, f"{name}: connection {connection}"
    assert users == 2  # the two JDBC crawlers


def _glue_stack(env: str, **overrides: str) -> Any:
    config = load_env(env)
    config = dataclasses.replace(config, parameters={**config.parameters, **overrides})
    return resolve.load_env_stacks(config, {})["glue"]


@pytest.mark.parametrize("env", ["dev", "sandbox", "prod", "local"])
def test_flex_job_runs_retry_and_standard_ones_do_not(env: str) -> None:
    # Flex capacity may be reclaimed mid-run ("AWS Glue Flex execution class").
    job = _glue_stack(env).resources["LoadJob"].properties
    if job["ExecutionClass"] == "FLEX":
        assert job["MaxRetries"] >= 1
    else:
        assert job["MaxRetries"] == 0
    assert load_env("dev").parameters["ExecutionClass"] == "FLEX"  # the case this is about


def test_flex_is_refused_with_a_worker_type_it_does_not_support() -> None:
    # Every environment as configured passes the template's rules...
    for env in ("dev", "sandbox", "prod", "local"):
        assert resolve.failed_assertions(_glue_stack(env)) == [], env
    # ...and Flex passes only with G.1X and G.2X ("Job" structure, ExecutionClass).
    for worker, ok in (("G.1X", True), ("G.2X", True), ("G.4X", False), ("G.025X", False)):
        failed = resolve.failed_assertions(
            _glue_stack("dev", ExecutionClass="FLEX", WorkerType=worker)
        )
        assert (failed == []) is ok, (worker, failed)
    assert (
        resolve.failed_assertions(_glue_stack("dev", ExecutionClass="STANDARD", WorkerType="G.8X"))
        == []
    )

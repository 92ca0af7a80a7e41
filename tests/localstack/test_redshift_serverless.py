"""Redshift Serverless in LocalStack (services/redshiftserverless): the warehouse stack's
namespace and workgroup are real emulated resources, the namespace's managed admin secret
logs in through the Data API, and the workgroup is the Data API's target until deleted."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.helpers import unique, wait_for
from tools.local import postgres as localpg

COPY_ROLE = "arn:aws:iam::000000000000:role/flightline-test-copy"


def _template(name: str) -> str:
    namespace = {
        "NamespaceName": name, "DbName": "flightline", "AdminUsername": "flightline_admin",
        "ManageAdminPassword": True, "IamRoles": [COPY_ROLE], "DefaultIamRoleArn": COPY_ROLE,
    }  # fmt: skip
    workgroup = {
        "WorkgroupName": name, "NamespaceName": {"Ref": "Namespace"}, "BaseCapacity": 8,
        "Port": 5439, "ConfigParameters": [
            {"ParameterKey": "require_ssl", "ParameterValue": "true"}],
    }  # fmt: skip
    return json.dumps(
        {
            "Resources": {
                "Namespace": {"Type": "AWS::RedshiftServerless::Namespace",
                              "Properties": namespace},
                "Workgroup": {"Type": "AWS::RedshiftServerless::Workgroup",
                              "Properties": workgroup},
            },
            "Outputs": {
                "NamespaceName": {"Value": {"Ref": "Namespace"}},
                "WorkgroupName": {"Value": {"Ref": "Workgroup"}},
                "WorkgroupArn": {"Value": {"Fn::GetAtt": "Workgroup.Workgroup.WorkgroupArn"}},
                "Address": {"Value": {"Fn::GetAtt": "Workgroup.Workgroup.Endpoint.Address"}},
            },
        }
    )  # fmt: skip


def _wait_stack(cfn, name: str) -> dict:
    return wait_for(
        lambda: cfn.describe_stacks(StackName=name)["Stacks"][0],
        f"stack {name}",
        lambda s: not s["StackStatus"].endswith("IN_PROGRESS"),
    )


def _run(data_api, **target) -> dict:
    started = data_api.execute_statement(**target)
    return wait_for(
        lambda: data_api.describe_statement(Id=started["Id"]),
        "the statement",
        lambda d: d["Status"] in ("FINISHED", "FAILED", "ABORTED"),
    )


def test_the_stacks_namespace_and_workgroup_serve_the_data_api(localstack_client, pg_info):
    cfn = localstack_client("cloudformation")
    serverless, data_api = (
        localstack_client("redshift-serverless"),
        localstack_client("redshift-data"),
    )
    secrets = localstack_client("secretsmanager")
    name = unique("rs")

    cfn.create_stack(StackName=name, TemplateBody=_template(name))
    stack = _wait_stack(cfn, name)

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    namespace = serverless.get_namespace(namespaceName=outputs["NamespaceName"])["namespace"]
    workgroup = serverless.get_workgroup(workgroupName=outputs["WorkgroupName"])["workgroup"]
    assert (namespace["iamRoles"], namespace["dbName"]) == ([COPY_ROLE], "flightline")
    assert outputs["WorkgroupArn"] == workgroup["workgroupArn"]
    assert outputs["Address"] == workgroup["endpoint"]["address"]
    admin = json.loads(
        secrets.get_secret_value(SecretId=namespace["adminPasswordSecretArn"])["SecretString"]
    )
    assert set(admin) == {"username", "password"}
    # The admin secret logs in through the Data API (as the deploy tool's bootstrap does).
    described = _run(
        data_api, WorkgroupName=name, Database=pg_info.dbname,
        SecretArn=namespace["adminPasswordSecretArn"], Sql="select current_user",
    )  # fmt: skip
    assert described["Status"] == "FINISHED", described.get("Error")
    assert admin["username"] == localpg.USER

    cfn.delete_stack(StackName=name)
    wait_for(
        lambda: cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"],
        "the stack's deletion", lambda status: status == "DELETE_COMPLETE",
    )  # fmt: skip

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        serverless.get_workgroup(workgroupName=name)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        secrets.get_secret_value(SecretId=namespace["adminPasswordSecretArn"])
    with pytest.raises(ClientError, match=rf"workgroup {name} not found"):
        data_api.execute_statement(WorkgroupName=name, Database=pg_info.dbname, Sql="select 1")


def test_a_workgroup_needs_its_namespace(localstack_client):
    serverless = localstack_client("redshift-serverless")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        serverless.create_workgroup(workgroupName=unique("rs"), namespaceName=unique("none"))


def test_operations_not_emulated_fail_closed(localstack_client):
    serverless = localstack_client("redshift-serverless")
    with pytest.raises(ClientError) as raised:
        serverless.list_snapshots()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501

"""Redshift Serverless for LocalStack community: namespaces and workgroups whose database is
the local PostgreSQL, for the Redshift Data API emulator (services/redshiftdata).

Emulated: CreateNamespace, GetNamespace, UpdateNamespace, DeleteNamespace, CreateWorkgroup,
GetWorkgroup, UpdateWorkgroup, DeleteWorkgroup, and ListNamespaces/ListWorkgroups; what the
warehouse stack (its AWS::RedshiftServerless::* resources) and the deploy tool call. Every
other operation answers 501, as LocalStack does for a service it lacks (fail closed).

- A namespace with `manageAdminPassword` gets a Secrets Manager secret holding its admin
  login, whose ARN GetNamespace returns as `adminPasswordSecretArn` ("CreateNamespace",
  Redshift Serverless API reference). Locally that login is the PostgreSQL cluster owner
  (the namespaces share one cluster, so they cannot each have their own `adminUsername`);
  without `manageAdminPassword` no admin login exists (fail closed).
- A workgroup is registered with the Data API emulator (redshiftdata/workgroups.py) with its
  namespace's `iamRoles`, the only roles COPY ... IAM_ROLE accepts.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.aws.skeleton import DispatchTable, ServiceRequestDispatcher, create_dispatch_table
from localstack.aws.spec import load_service
from localstack.services.plugins import Service, aws_provider

from flightline_localstack import settings
from flightline_localstack.dispatch import aws_error
from flightline_localstack.services.redshiftdata import workgroups as registrations
from flightline_localstack.services.redshiftserverless.models import (
    LOCK,
    RedshiftServerlessStore,
    redshiftserverless_stores,
)

SERVICE = "redshift-serverless"


def _store(context: RequestContext) -> RedshiftServerlessStore:
    return redshiftserverless_stores[context.account_id][context.region]


def _not_found(kind: str, name: str) -> CommonServiceException:
    return aws_error("ResourceNotFoundException", f"{kind} {name} not found")


def _arn(context: RequestContext, kind: str, resource_id: str) -> str:
    return f"arn:aws:redshift-serverless:{context.region}:{context.account_id}:{kind}/{resource_id}"


def _admin_secret(context: RequestContext, namespace: str) -> str:
    server = settings.local_postgres()
    value = {"username": server.user, "password": server.password_file.read_text().strip()}
    secrets = settings.clients(context.account_id, context.region).secretsmanager
    created = secrets.create_secret(
        Name=f"redshift/{namespace}/admin", SecretString=json.dumps(value),
        Description=f"Admin login of the Redshift Serverless namespace {namespace} (emulated)",
    )  # fmt: skip
    return created["ARN"]


def _register(context: RequestContext, workgroup: dict, namespace: dict) -> None:
    registrations.register(
        context.account_id, context.region, workgroup["workgroupName"],
        namespace["namespaceName"], namespace.get("iamRoles", []),
    )  # fmt: skip


class RedshiftServerlessProvider:
    service = SERVICE

    # -- namespaces ---------------------------------------------------------------------------
    @handler("CreateNamespace", expand=False)
    def create_namespace(self, context: RequestContext, request: dict) -> dict:
        name = request["namespaceName"]
        if request.get("manageAdminPassword") and request.get("adminUserPassword"):
            raise aws_error(
                "ValidationException", "You can't use adminUserPassword with manageAdminPassword"
            )
        with LOCK:
            store = _store(context)
            if name in store.namespaces:
                raise aws_error("ConflictException", f"Namespace {name} already exists")
            namespace_id = str(uuid.uuid4())
            namespace = {
                "namespaceName": name,
                "namespaceId": namespace_id,
                "namespaceArn": _arn(context, "namespace", namespace_id),
                "dbName": request.get("dbName", "dev"),
                "adminUsername": request.get("adminUsername", "admin"),
                "iamRoles": list(request.get("iamRoles", [])),
                "logExports": list(request.get("logExports", [])),
                "status": "AVAILABLE",
                "creationDate": datetime.now(UTC),
            }
            for key in ("defaultIamRoleArn", "kmsKeyId", "adminPasswordSecretKmsKeyId"):
                if request.get(key):
                    namespace[key] = request[key]
            if request.get("manageAdminPassword"):
                namespace["adminPasswordSecretArn"] = _admin_secret(context, name)
            store.namespaces[name] = namespace
        return {"namespace": namespace}

    @handler("GetNamespace", expand=False)
    def get_namespace(self, context: RequestContext, request: dict) -> dict:
        namespace = _store(context).namespaces.get(request["namespaceName"])
        if namespace is None:
            raise _not_found("Namespace", request["namespaceName"])
        return {"namespace": namespace}

    @handler("ListNamespaces", expand=False)
    def list_namespaces(self, context: RequestContext, request: dict) -> dict:
        return {"namespaces": list(_store(context).namespaces.values())}

    @handler("UpdateNamespace", expand=False)
    def update_namespace(self, context: RequestContext, request: dict) -> dict:
        with LOCK:
            store = _store(context)
            namespace = store.namespaces.get(request["namespaceName"])
            if namespace is None:
                raise _not_found("Namespace", request["namespaceName"])
            for key in ("iamRoles", "logExports", "defaultIamRoleArn", "kmsKeyId"):
                if key in request:
                    namespace[key] = request[key]
            for workgroup in store.workgroups.values():
                if workgroup["namespaceName"] == namespace["namespaceName"]:
                    _register(context, workgroup, namespace)  # the roles COPY may use
        return {"namespace": namespace}

    @handler("DeleteNamespace", expand=False)
    def delete_namespace(self, context: RequestContext, request: dict) -> dict:
        name = request["namespaceName"]
        with LOCK:
            store = _store(context)
            namespace = store.namespaces.get(name)
            if namespace is None:
                raise _not_found("Namespace", name)
            if any(w["namespaceName"] == name for w in store.workgroups.values()):
                raise aws_error("ConflictException", f"Namespace {name} has a workgroup")
            del store.namespaces[name]
        if namespace.get("adminPasswordSecretArn"):  # the managed secret goes with it
            secrets = settings.clients(context.account_id, context.region).secretsmanager
            secrets.delete_secret(
                SecretId=namespace["adminPasswordSecretArn"], ForceDeleteWithoutRecovery=True
            )
        return {"namespace": {**namespace, "status": "DELETING"}}

    # -- workgroups ---------------------------------------------------------------------------
    @handler("CreateWorkgroup", expand=False)
    def create_workgroup(self, context: RequestContext, request: dict) -> dict:
        name = request["workgroupName"]
        with LOCK:
            store = _store(context)
            if name in store.workgroups:
                raise aws_error("ConflictException", f"Workgroup {name} already exists")
            namespace = store.namespaces.get(request["namespaceName"])
            if namespace is None:
                raise _not_found("Namespace", request["namespaceName"])
            workgroup_id = str(uuid.uuid4())
            port = int(request.get("port") or 5439)
            workgroup = {
                "workgroupName": name,
                "workgroupId": workgroup_id,
                "workgroupArn": _arn(context, "workgroup", workgroup_id),
                "namespaceName": namespace["namespaceName"],
                "baseCapacity": request.get("baseCapacity", 128),
                "enhancedVpcRouting": bool(request.get("enhancedVpcRouting")),
                "publiclyAccessible": bool(request.get("publiclyAccessible")),
                "configParameters": list(request.get("configParameters", [])),
                "securityGroupIds": list(request.get("securityGroupIds", [])),
                "subnetIds": list(request.get("subnetIds", [])),
                # The address AWS would give; locally the database is reached through the Data
                # API (and dbt through PostgreSQL), never through this endpoint.
                "endpoint": {
                    "address": f"{name}.{context.account_id}.{context.region}"
                    ".redshift-serverless.amazonaws.com",
                    "port": port,
                },
                "status": "AVAILABLE",
                "creationDate": datetime.now(UTC),
            }
            if request.get("maxCapacity"):
                workgroup["maxCapacity"] = request["maxCapacity"]
            _register(context, workgroup, namespace)
            store.workgroups[name] = workgroup
        return {"workgroup": workgroup}

    @handler("GetWorkgroup", expand=False)
    def get_workgroup(self, context: RequestContext, request: dict) -> dict:
        workgroup = _store(context).workgroups.get(request["workgroupName"])
        if workgroup is None:
            raise _not_found("Workgroup", request["workgroupName"])
        return {"workgroup": workgroup}

    @handler("ListWorkgroups", expand=False)
    def list_workgroups(self, context: RequestContext, request: dict) -> dict:
        return {"workgroups": list(_store(context).workgroups.values())}

    @handler("UpdateWorkgroup", expand=False)
    def update_workgroup(self, context: RequestContext, request: dict) -> dict:
        with LOCK:
            workgroup = _store(context).workgroups.get(request["workgroupName"])
            if workgroup is None:
                raise _not_found("Workgroup", request["workgroupName"])
            for key in ("baseCapacity", "maxCapacity", "enhancedVpcRouting", "configParameters",
                        "publiclyAccessible", "securityGroupIds", "subnetIds"):  # fmt: skip
                if key in request:
                    workgroup[key] = request[key]
        return {"workgroup": workgroup}

    @handler("DeleteWorkgroup", expand=False)
    def delete_workgroup(self, context: RequestContext, request: dict) -> dict:
        name = request["workgroupName"]
        with LOCK:
            workgroup = _store(context).workgroups.pop(name, None)
            if workgroup is None:
                raise _not_found("Workgroup", name)
            registrations.unregister(context.account_id, context.region, name)
        return {"workgroup": {**workgroup, "status": "DELETING"}}


def _not_emulated(context: RequestContext, request: dict):
    raise aws_error(
        "InternalFailure",
        f"The API action {context.operation.name} for service {SERVICE} is not emulated here",
        501,
    )


def _dispatch_table(provider: object) -> DispatchTable:
    # moto has no Redshift Serverless backend: what is not ours answers 501 (fail closed).
    table: DispatchTable = {
        name: ServiceRequestDispatcher(
            _not_emulated, operation=name, pass_context=True, expand_parameters=False
        )
        for name in load_service(SERVICE).operation_names
    }
    table.update(create_dispatch_table(provider))
    return table


@aws_provider(api=SERVICE)
def redshift_serverless() -> Service:
    return Service.for_provider(
        RedshiftServerlessProvider(), dispatch_table_factory=_dispatch_table
    )

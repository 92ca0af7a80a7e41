"""CloudFormation resource providers: Glue and CodeBuild resources become real ones.

Types: AWS::Glue::{Database, Connection, Crawler, Job, SecurityConfiguration} and
AWS::CodeBuild::Project. Without these, LocalStack community deploys AWS::Glue::* as
"fallback" placeholders
(physical id `unknown`). Each provider here calls the service API (our Glue / CodeBuild
providers on moto's backends) through CloudFormation's internal client, so a stack creates
resources that GetJob, StartCrawler, StartBuild, ... then see.

Template properties are mapped onto the API's input shape by name (case-insensitively, so
CodeBuild's PascalCase template keys reach its camelCase API); properties the API does not
take (e.g. CodeBuild Triggers, Visibility) are dropped, and logged.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from localstack.services.cloudformation.provider_utils import generate_default_name
from localstack.services.cloudformation.resource_provider import (
    CloudFormationResourceProviderPlugin,
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)

LOG = logging.getLogger(__name__)


def to_shape(value: Any, shape: Shape | None, dropped: list[str], path: str = "") -> Any:
    """Rename keys of `value` to the members of `shape` (case-insensitive), drop the rest."""
    if shape is None:
        return value
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        result = {}
        for key, item in value.items():
            member = members.get(key.lower())
            if member is None:
                dropped.append(f"{path}{key}")
                continue
            result[member] = to_shape(item, shape.members[member], dropped, f"{path}{key}.")
        return result
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [to_shape(item, shape.member, dropped, path) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: to_shape(v, shape.value, dropped, path) for k, v in value.items()}
    return value


def api_params(client, operation: str, properties: dict, skip: tuple[str, ...] = ()) -> dict:
    shape = client.meta.service_model.operation_model(operation).input_shape
    dropped: list[str] = []
    params = to_shape({k: v for k, v in properties.items() if k not in skip}, shape, dropped)
    if dropped:
        LOG.info("%s: template properties not emulated: %s", operation, ", ".join(dropped))
    return params


def _success(model: dict, request: ResourceRequest | None = None) -> ProgressEvent:
    return ProgressEvent(
        status=OperationStatus.SUCCESS,
        resource_model=model,
        custom_context=request.custom_context if request else {},
    )


def _ignore_missing(call, *args, **kwargs) -> None:
    try:
        call(*args, **kwargs)
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code not in ("EntityNotFoundException", "ResourceNotFoundException"):
            raise


def _schema(primary: str, create_only: list[str], read_only: list[str] | None = None) -> dict:
    return {
        "primaryIdentifier": [f"/properties/{primary}"],
        "createOnlyProperties": [f"/properties/{p}" for p in create_only],
        "readOnlyProperties": [f"/properties/{p}" for p in read_only or []],
    }


# --- Glue -------------------------------------------------------------------------------


class _Provider(ResourceProvider[dict]):
    """What every provider here shares: reads answer from the stored model (the resources
    live in moto's backends, which hold the truth) and unnamed resources get CFN's names."""

    def read(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        return _success(request.desired_state, request)

    @staticmethod
    def default_name(request: ResourceRequest[dict]) -> str:
        return generate_default_name(request.stack_name, request.logical_resource_id)


class GlueDatabaseProvider(_Provider):
    TYPE = "AWS::Glue::Database"
    SCHEMA = _schema("DatabaseName", ["CatalogId", "DatabaseName"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        database_input = dict(model.get("DatabaseInput") or {})
        name = model.get("DatabaseName") or database_input.get("Name")
        name = name or self.default_name(request)
        database_input["Name"] = name
        params = api_params(
            glue, "CreateDatabase", {**model, "DatabaseInput": database_input}, ("DatabaseName",)
        )
        glue.create_database(**params)
        model["DatabaseName"] = name
        return _success(model, request)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        name = request.previous_state.get("DatabaseName") or model.get("DatabaseName")
        database_input = {**(model.get("DatabaseInput") or {}), "Name": name}
        params = api_params(glue, "UpdateDatabase", {"DatabaseInput": database_input})
        glue.update_database(Name=name, **params)
        model["DatabaseName"] = name
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(request.aws_client_factory.glue.delete_database, Name=model["DatabaseName"])
        return _success(model, request)


class GlueConnectionProvider(_Provider):
    TYPE = "AWS::Glue::Connection"
    SCHEMA = _schema("Id", ["CatalogId"], ["Id"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        connection_input = dict(model.get("ConnectionInput") or {})
        connection_input.setdefault("Name", self.default_name(request))
        params = api_params(
            glue, "CreateConnection", {**model, "ConnectionInput": connection_input}
        )
        glue.create_connection(**params)
        model["Id"] = connection_input["Name"]
        return _success(model, request)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        name = request.previous_state.get("Id")
        connection_input = {**(model.get("ConnectionInput") or {})}
        connection_input.setdefault("Name", name)
        params = api_params(glue, "UpdateConnection", {"ConnectionInput": connection_input})
        glue.update_connection(Name=name, **params)
        model["Id"] = connection_input["Name"]
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(
            request.aws_client_factory.glue.delete_connection, ConnectionName=model["Id"]
        )
        return _success(model, request)


def _crawler_params(glue, operation: str, model: dict) -> dict:
    properties = dict(model)
    schedule = properties.pop("Schedule", None)
    params = api_params(glue, operation, properties)
    if isinstance(schedule, dict) and schedule.get("ScheduleExpression"):
        params["Schedule"] = schedule["ScheduleExpression"]
    return params


class GlueCrawlerProvider(_Provider):
    TYPE = "AWS::Glue::Crawler"
    SCHEMA = _schema("Name", ["Name"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        model.setdefault("Name", self.default_name(request))
        glue.create_crawler(**_crawler_params(glue, "CreateCrawler", model))
        return _success(model, request)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        model["Name"] = request.previous_state.get("Name") or model.get("Name")
        glue.update_crawler(**_crawler_params(glue, "UpdateCrawler", model))
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(request.aws_client_factory.glue.delete_crawler, Name=model["Name"])
        return _success(model, request)


class GlueJobProvider(_Provider):
    TYPE = "AWS::Glue::Job"
    SCHEMA = _schema("Name", ["Name"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        model.setdefault("Name", self.default_name(request))
        glue.create_job(**api_params(glue, "CreateJob", model))
        return _success(model, request)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        name = request.previous_state.get("Name") or model.get("Name")
        model["Name"] = name
        update_shape = glue.meta.service_model.operation_model("UpdateJob").input_shape.members[
            "JobUpdate"
        ]
        dropped: list[str] = []
        job_update = to_shape(
            {k: v for k, v in model.items() if k not in ("Name", "Tags")}, update_shape, dropped
        )
        glue.update_job(JobName=name, JobUpdate=job_update)
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(request.aws_client_factory.glue.delete_job, JobName=model["Name"])
        return _success(model, request)


class GlueSecurityConfigurationProvider(_Provider):
    TYPE = "AWS::Glue::SecurityConfiguration"
    # The API has no update: every property is create-only, a change replaces it.
    SCHEMA = _schema("Name", ["Name", "EncryptionConfiguration"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        glue = request.aws_client_factory.glue
        model.setdefault("Name", self.default_name(request))
        properties = copy.deepcopy(model)
        encryption = properties.get("EncryptionConfiguration") or {}
        if "S3Encryptions" in encryption:  # the template's plural is the API's S3Encryption
            encryption["S3Encryption"] = encryption.pop("S3Encryptions")
        glue.create_security_configuration(
            **api_params(glue, "CreateSecurityConfiguration", properties)
        )
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(
            request.aws_client_factory.glue.delete_security_configuration, Name=model["Name"]
        )
        return _success(model, request)


# --- CodeBuild --------------------------------------------------------------------------


class CodeBuildProjectProvider(_Provider):
    TYPE = "AWS::CodeBuild::Project"
    SCHEMA = _schema("Name", ["Name"], ["Arn"])

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        codebuild = request.aws_client_factory.codebuild
        model.setdefault("Name", self.default_name(request))
        params = api_params(codebuild, "CreateProject", model, ("Arn",))
        params.setdefault("artifacts", {"type": "NO_ARTIFACTS"})
        project = codebuild.create_project(**params)["project"]
        model["Arn"] = project["arn"]
        return _success(model, request)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        codebuild = request.aws_client_factory.codebuild
        model["Name"] = request.previous_state.get("Name") or model.get("Name")
        params = api_params(codebuild, "UpdateProject", model, ("Arn",))
        project = codebuild.update_project(**params)["project"]
        model["Arn"] = project["arn"]
        return _success(model, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        _ignore_missing(request.aws_client_factory.codebuild.delete_project, name=model["Name"])
        return _success(model, request)


# --- plugins (entry points in localstack/pyproject.toml) ----------------------------------


def _plugin(resource_type: str, provider: type[ResourceProvider]) -> type:
    class Plugin(CloudFormationResourceProviderPlugin):
        name = resource_type

        def __init__(self) -> None:
            self.factory: type[ResourceProvider] | None = None

        def load(self) -> None:
            self.factory = provider

    Plugin.__name__ = Plugin.__qualname__ = provider.__name__.replace("Provider", "Plugin")
    return Plugin


GlueDatabasePlugin = _plugin("AWS::Glue::Database", GlueDatabaseProvider)
GlueConnectionPlugin = _plugin("AWS::Glue::Connection", GlueConnectionProvider)
GlueCrawlerPlugin = _plugin("AWS::Glue::Crawler", GlueCrawlerProvider)
GlueJobPlugin = _plugin("AWS::Glue::Job", GlueJobProvider)
GlueSecurityConfigurationPlugin = _plugin(
    "AWS::Glue::SecurityConfiguration", GlueSecurityConfigurationProvider
)
CodeBuildProjectPlugin = _plugin("AWS::CodeBuild::Project", CodeBuildProjectProvider)

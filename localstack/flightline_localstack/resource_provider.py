"""CloudFormation resource providers that create real resources through the service API.

Without them, LocalStack community deploys AWS::Glue::* as "fallback" placeholders (physical
id `unknown`). Each type (services/<service>/resource_providers/aws_<service>_<type>.py) names
its API operations and says where its template differs from the API; `ApiResourceProvider`
does the rest the same way for all: it calls our Glue / CodeBuild providers through
CloudFormation's internal client, names unnamed resources as CloudFormation does, keeps the
physical name across updates, and treats a resource already gone as deleted.

Template properties are mapped onto the API's input shape by name (case-insensitively, so
CodeBuild's PascalCase template keys reach its camelCase API); properties the API does not
take (e.g. CodeBuild Triggers, Visibility) are dropped, and logged.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError
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

NOT_FOUND = ("EntityNotFoundException", "ResourceNotFoundException")


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
    """`properties` as the input of `operation`, minus `skip` and what the API does not take."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    dropped: list[str] = []
    params = to_shape({k: v for k, v in properties.items() if k not in skip}, shape, dropped)
    if dropped:
        LOG.info("%s: template properties not emulated: %s", operation, ", ".join(dropped))
    return params


def schema(primary: str, create_only: list[str], read_only: list[str] | None = None) -> dict:
    """The part of a type's schema LocalStack's engine reads."""
    return {
        "primaryIdentifier": [f"/properties/{primary}"],
        "createOnlyProperties": [f"/properties/{p}" for p in create_only],
        "readOnlyProperties": [f"/properties/{p}" for p in read_only or []],
    }


class ApiResourceProvider(ResourceProvider[dict]):
    """Create, update, read and delete one resource type through its service's API.

    A type names its operations (CREATE, UPDATE, DELETE: None for UPDATE when every property
    is create-only) and the model property holding the physical name (IDENTIFIER); it
    overrides `physical_name`, `params` or `created` only where its template differs from
    the API. Reads answer from the stored model: the resources live in moto's backends,
    which hold the truth."""

    TYPE: str
    SCHEMA: dict
    CREATE: str
    UPDATE: str | None = None
    DELETE: str
    IDENTIFIER = "Name"
    DELETE_KEY = "Name"  # the DELETE parameter that names the resource
    SKIP: tuple[str, ...] = ()  # model properties no API call takes

    def physical_name(self, model: dict, default_name: str) -> str:
        return model.get(self.IDENTIFIER) or default_name

    def params(self, client, operation: str, model: dict) -> dict:
        """The input of CREATE or UPDATE from the model."""
        return api_params(client, operation, model, self.SKIP)

    def created(self, model: dict, response: dict) -> None:
        """Set read-only properties from the CREATE or UPDATE answer."""

    def create(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = copy.deepcopy(request.desired_state)
        default_name = generate_default_name(request.stack_name, request.logical_resource_id)
        model[self.IDENTIFIER] = self.physical_name(model, default_name)
        return self._call(request, self.CREATE, model)

    def update(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        if self.UPDATE is None:
            raise NotImplementedError(f"{self.TYPE} has no update: a change replaces it")
        model = copy.deepcopy(request.desired_state)
        previous = request.previous_state or {}
        # the physical name it was created with, whatever the template says now
        model[self.IDENTIFIER] = previous.get(self.IDENTIFIER) or model.get(self.IDENTIFIER)
        return self._call(request, self.UPDATE, model)

    def read(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        return self._success(request.desired_state, request)

    def delete(self, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        model = request.desired_state
        client = self._client(request)
        try:
            getattr(client, xform_name(self.DELETE))(**{self.DELETE_KEY: model[self.IDENTIFIER]})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in NOT_FOUND:
                raise
        return self._success(model, request)

    def _call(self, request: ResourceRequest[dict], operation: str, model: dict) -> ProgressEvent:
        client = self._client(request)
        response = getattr(client, xform_name(operation))(**self.params(client, operation, model))
        self.created(model, response)
        return self._success(model, request)

    def _client(self, request: ResourceRequest[dict]):
        service = self.TYPE.split("::")[1].lower()  # AWS::Glue::Job -> glue
        return getattr(request.aws_client_factory, service)

    @staticmethod
    def _success(model: dict, request: ResourceRequest[dict]) -> ProgressEvent[dict]:
        return ProgressEvent(
            status=OperationStatus.SUCCESS,
            resource_model=model,
            custom_context=request.custom_context,
        )


def plugin_for(provider: type[ApiResourceProvider]) -> type[CloudFormationResourceProviderPlugin]:
    """The plux plugin that hands LocalStack `provider` for its TYPE (see pyproject.toml)."""

    class Plugin(CloudFormationResourceProviderPlugin):
        name = provider.TYPE

        def __init__(self) -> None:
            self.factory: type[ResourceProvider] | None = None

        def load(self) -> None:
            self.factory = provider

    Plugin.__name__ = Plugin.__qualname__ = provider.__name__.replace("Provider", "Plugin")
    return Plugin

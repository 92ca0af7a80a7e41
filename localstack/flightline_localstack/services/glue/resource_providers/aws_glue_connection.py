"""AWS::Glue::Connection: Id (read-only) is the connection's name, ConnectionInput.Name."""

from __future__ import annotations

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class GlueConnectionProvider(ApiResourceProvider):
    TYPE = "AWS::Glue::Connection"
    SCHEMA = schema("Id", ["CatalogId"], ["Id"])
    CREATE, UPDATE, DELETE = "CreateConnection", "UpdateConnection", "DeleteConnection"
    IDENTIFIER = "Id"
    DELETE_KEY = "ConnectionName"
    SKIP = ("Id",)

    def physical_name(self, model: dict, default_name: str) -> str:
        return (model.get("ConnectionInput") or {}).get("Name") or default_name

    def params(self, client, operation: str, model: dict) -> dict:
        name = model["Id"]
        connection_input = {"Name": name, **(model.get("ConnectionInput") or {})}
        properties = {**model, "ConnectionInput": connection_input}
        if operation == self.UPDATE:
            properties = {"Name": name, "ConnectionInput": connection_input}
        return super().params(client, operation, properties)

    def created(self, model: dict, response: dict) -> None:
        # an update that names the connection anew renames it
        model["Id"] = (model.get("ConnectionInput") or {}).get("Name") or model["Id"]


GlueConnectionPlugin = plugin_for(GlueConnectionProvider)

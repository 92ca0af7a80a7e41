"""AWS::Glue::Database: the name is DatabaseInput.Name (or CloudFormation's default name)."""

from __future__ import annotations

from flightline_localstack.resource_provider import (
    ApiResourceProvider,
    api_params,
    plugin_for,
    schema,
)


class GlueDatabaseProvider(ApiResourceProvider):
    TYPE = "AWS::Glue::Database"
    SCHEMA = schema("DatabaseName", ["CatalogId", "DatabaseName"])
    CREATE, UPDATE, DELETE = "CreateDatabase", "UpdateDatabase", "DeleteDatabase"
    IDENTIFIER = "DatabaseName"
    SKIP = ("DatabaseName",)

    def physical_name(self, model: dict, default_name: str) -> str:
        named = model.get("DatabaseName") or (model.get("DatabaseInput") or {}).get("Name")
        return named or default_name

    def params(self, client, operation: str, model: dict) -> dict:
        name = model["DatabaseName"]
        database_input = {**(model.get("DatabaseInput") or {}), "Name": name}
        if operation == self.UPDATE:
            return api_params(client, operation, {"Name": name, "DatabaseInput": database_input})
        return super().params(client, operation, {**model, "DatabaseInput": database_input})


GlueDatabasePlugin = plugin_for(GlueDatabaseProvider)

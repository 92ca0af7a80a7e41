"""AWS::CodeBuild::Project: PascalCase template keys onto the camelCase API; Arn read-only."""

from __future__ import annotations

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class CodeBuildProjectProvider(ApiResourceProvider):
    TYPE = "AWS::CodeBuild::Project"
    SCHEMA = schema("Name", ["Name"], ["Arn"])
    CREATE, UPDATE, DELETE = "CreateProject", "UpdateProject", "DeleteProject"
    DELETE_KEY = "name"
    SKIP = ("Arn",)

    def params(self, client, operation: str, model: dict) -> dict:
        params = super().params(client, operation, model)
        if operation == self.CREATE:
            params.setdefault("artifacts", {"type": "NO_ARTIFACTS"})
        return params

    def created(self, model: dict, response: dict) -> None:
        model["Arn"] = response["project"]["arn"]


CodeBuildProjectPlugin = plugin_for(CodeBuildProjectProvider)

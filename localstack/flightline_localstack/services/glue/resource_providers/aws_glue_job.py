"""AWS::Glue::Job: UpdateJob takes the whole new definition as JobUpdate (no Name, no Tags)."""

from __future__ import annotations

from flightline_localstack.resource_provider import (
    ApiResourceProvider,
    plugin_for,
    schema,
    to_shape,
)


class GlueJobProvider(ApiResourceProvider):
    TYPE = "AWS::Glue::Job"
    SCHEMA = schema("Name", ["Name"])
    CREATE, UPDATE, DELETE = "CreateJob", "UpdateJob", "DeleteJob"
    DELETE_KEY = "JobName"

    def params(self, client, operation: str, model: dict) -> dict:
        if operation != self.UPDATE:
            return super().params(client, operation, model)
        shape = client.meta.service_model.operation_model(operation).input_shape
        definition = {k: v for k, v in model.items() if k not in ("Name", "Tags")}
        job_update = to_shape(definition, shape.members["JobUpdate"], [])
        return {"JobName": model["Name"], "JobUpdate": job_update}


GlueJobPlugin = plugin_for(GlueJobProvider)

"""AWS::Glue::SecurityConfiguration: the API has no update, so every property is create-only
(a change replaces the resource)."""

from __future__ import annotations

import copy

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class GlueSecurityConfigurationProvider(ApiResourceProvider):
    TYPE = "AWS::Glue::SecurityConfiguration"
    SCHEMA = schema("Name", ["Name", "EncryptionConfiguration"])
    CREATE, DELETE = "CreateSecurityConfiguration", "DeleteSecurityConfiguration"

    def params(self, client, operation: str, model: dict) -> dict:
        properties = copy.deepcopy(model)
        encryption = properties.get("EncryptionConfiguration") or {}
        if "S3Encryptions" in encryption:  # the template's plural is the API's S3Encryption
            encryption["S3Encryption"] = encryption.pop("S3Encryptions")
        return super().params(client, operation, properties)


GlueSecurityConfigurationPlugin = plugin_for(GlueSecurityConfigurationProvider)

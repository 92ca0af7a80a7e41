"""AWS::RedshiftServerless::Namespace through the emulated Redshift Serverless API; the
`Namespace` attribute (Fn::GetAtt Namespace.Namespace.NamespaceArn, ...) from its answer."""

from __future__ import annotations

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class RedshiftServerlessNamespaceProvider(ApiResourceProvider):
    TYPE = "AWS::RedshiftServerless::Namespace"
    SCHEMA = schema("NamespaceName", ["NamespaceName"], ["Namespace"])
    CREATE, UPDATE, DELETE = "CreateNamespace", "UpdateNamespace", "DeleteNamespace"
    IDENTIFIER, DELETE_KEY = "NamespaceName", "namespaceName"
    SKIP = ("Namespace",)

    def physical_name(self, model: dict, default_name: str) -> str:
        return model.get("NamespaceName") or default_name.lower()  # names are lower case

    def created(self, model: dict, response: dict) -> None:
        namespace = response["namespace"]
        model["Namespace"] = {
            "NamespaceName": namespace["namespaceName"],
            "NamespaceId": namespace["namespaceId"],
            "NamespaceArn": namespace["namespaceArn"],
            "DbName": namespace.get("dbName"),
            "AdminUsername": namespace.get("adminUsername"),
            "Status": namespace["status"],
        }

    def _client(self, request):
        return request.aws_client_factory.get_client("redshift-serverless")


RedshiftServerlessNamespacePlugin = plugin_for(RedshiftServerlessNamespaceProvider)

"""AWS::RedshiftServerless::Workgroup through the emulated Redshift Serverless API (which
registers it with the Data API emulator); the `Workgroup` attribute (Fn::GetAtt
Workgroup.Workgroup.WorkgroupArn, Workgroup.Workgroup.Endpoint.Address) from its answer."""

from __future__ import annotations

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class RedshiftServerlessWorkgroupProvider(ApiResourceProvider):
    TYPE = "AWS::RedshiftServerless::Workgroup"
    SCHEMA = schema("WorkgroupName", ["WorkgroupName", "NamespaceName"], ["Workgroup"])
    CREATE, UPDATE, DELETE = "CreateWorkgroup", "UpdateWorkgroup", "DeleteWorkgroup"
    IDENTIFIER, DELETE_KEY = "WorkgroupName", "workgroupName"
    SKIP = ("Workgroup",)

    def physical_name(self, model: dict, default_name: str) -> str:
        return model.get("WorkgroupName") or default_name.lower()  # names are lower case

    def params(self, client, operation: str, model: dict) -> dict:
        if operation == self.UPDATE:  # the namespace is create-only
            model = {k: v for k, v in model.items() if k != "NamespaceName"}
        return super().params(client, operation, model)

    def created(self, model: dict, response: dict) -> None:
        workgroup = response["workgroup"]
        endpoint = workgroup.get("endpoint") or {}
        model["Workgroup"] = {
            "WorkgroupName": workgroup["workgroupName"],
            "WorkgroupId": workgroup["workgroupId"],
            "WorkgroupArn": workgroup["workgroupArn"],
            "NamespaceName": workgroup["namespaceName"],
            "Status": workgroup["status"],
            "Endpoint": {"Address": endpoint.get("address"), "Port": endpoint.get("port")},
        }

    def _client(self, request):
        return request.aws_client_factory.get_client("redshift-serverless")


RedshiftServerlessWorkgroupPlugin = plugin_for(RedshiftServerlessWorkgroupProvider)

"""AWS::Glue::Crawler: the template's Schedule is an object, the API's a cron string."""

from __future__ import annotations

from flightline_localstack.resource_provider import ApiResourceProvider, plugin_for, schema


class GlueCrawlerProvider(ApiResourceProvider):
    TYPE = "AWS::Glue::Crawler"
    SCHEMA = schema("Name", ["Name"])
    CREATE, UPDATE, DELETE = "CreateCrawler", "UpdateCrawler", "DeleteCrawler"

    def params(self, client, operation: str, model: dict) -> dict:
        properties = dict(model)
        schedule = properties.pop("Schedule", None)
        params = super().params(client, operation, properties)
        if isinstance(schedule, dict) and schedule.get("ScheduleExpression"):
            params["Schedule"] = schedule["ScheduleExpression"]
        return params


GlueCrawlerPlugin = plugin_for(GlueCrawlerProvider)

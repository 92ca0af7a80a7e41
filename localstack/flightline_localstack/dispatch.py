"""Dispatch tables: every operation of the service model goes to moto, ours override some.

`MotoFallbackDispatcher(provider)` only routes operations the provider declares, so a provider
with a few handlers would answer 501 for everything else. Here the table is built from the
whole botocore service model first.
"""

from __future__ import annotations

from collections.abc import Callable

from localstack.aws.api import CommonServiceException, RequestContext, ServiceResponse
from localstack.aws.skeleton import DispatchTable, ServiceRequestDispatcher, create_dispatch_table
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto


def _to_moto(context: RequestContext, request: dict) -> ServiceResponse:
    return call_moto(context)


def full_moto_dispatch_table(service: str) -> Callable[[object], DispatchTable]:
    """A dispatch_table_factory for Service.for_provider: moto for all, provider on top."""

    def factory(provider: object) -> DispatchTable:
        table: DispatchTable = {
            name: ServiceRequestDispatcher(
                _to_moto, operation=name, pass_context=True, expand_parameters=False
            )
            for name in load_service(service).operation_names
        }
        table.update(create_dispatch_table(provider))
        return table

    return factory


def aws_error(code: str, message: str, status: int = 400) -> CommonServiceException:
    return CommonServiceException(code, message, status_code=status)


def moto_error(error: Exception) -> CommonServiceException:
    """moto's exceptions (JsonRESTError) as the AWS error the client expects."""
    code = getattr(error, "error_type", None) or type(error).__name__
    message = getattr(error, "message", None) or str(error)
    return aws_error(code, message, getattr(error, "code", 400))


def existing(entities: dict, name: str, code: str, message: str):
    """entities[name] from a moto backend, or the AWS not-found error `code`."""
    entity = entities.get(name)
    if entity is None:
        raise aws_error(code, message)
    return entity

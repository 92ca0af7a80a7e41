"""LocalStack's state reset endpoints, for the services this plugin provides and all others.

LocalStack's state management (`POST /_localstack/state/reset`, and
`/_localstack/state/<service>/reset` for one service) is not part of localstack-core 2026.3.0.
This serves the same two endpoints through the core's own pieces: each loaded service's
lifecycle hooks (`on_before_state_reset`, `on_after_state_reset`) and its state visitor
(`accept_state_visitor`), which reaches the LocalStack stores and moto backends a provider
declares. The plugin's Glue and CodeBuild providers declare theirs (job runs, crawls and
builds stop and are forgotten), so a test can reset instead of redeploying.
"""

from __future__ import annotations

import logging
from functools import singledispatchmethod
from typing import Any

from localstack.http import Request, Resource, Response
from localstack.runtime import hooks
from localstack.services.stores import AccountRegionBundle
from localstack.state import StateVisitor
from moto.core.base_backend import BackendDict

LOG = logging.getLogger(__name__)


class ResetStateVisitor(StateVisitor):
    """Empties every state container it is shown; the containers themselves stay."""

    @singledispatchmethod
    def visit(self, state_container: Any) -> None:
        LOG.debug("state reset: nothing to reset in %r", type(state_container))

    @visit.register(AccountRegionBundle)
    def _(self, state_container: AccountRegionBundle) -> None:
        state_container.reset()

    @visit.register(BackendDict)
    def _(self, state_container: BackendDict) -> None:
        state_container.reset()


def reset_service(service: Any) -> None:
    """Reset one loaded service as LocalStack does: hooks around the visitor."""
    hook = service.lifecycle_hook
    hook.on_before_state_reset()
    service.accept_state_visitor(ResetStateVisitor())
    hook.on_after_state_reset()


def loaded_services() -> dict[str, Any]:
    from localstack.services.plugins import SERVICE_PLUGINS

    names = SERVICE_PLUGINS.list_loaded_services()
    return {name: SERVICE_PLUGINS.get_service(name) for name in names}


class StateResetResource:
    def on_post(self, request: Request, service: str | None = None) -> Response:
        services = loaded_services()
        if service is not None:
            if service not in services:
                return Response.for_json({"error": f"service {service} is not loaded"}, 404)
            services = {service: services[service]}
        for name, loaded in services.items():
            reset_service(loaded)
            LOG.info("state reset: %s", name)
        return Response.for_json({"reset": sorted(services)})


@hooks.on_infra_start()
def serve_state_reset() -> None:
    from localstack.services.internal import get_internal_apis

    resource = StateResetResource()
    get_internal_apis().add(Resource("/_localstack/state/reset", resource))
    get_internal_apis().add(Resource("/_localstack/state/<service>/reset", resource))

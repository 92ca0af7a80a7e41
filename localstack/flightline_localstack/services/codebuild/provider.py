"""CodeBuild for LocalStack community: moto's projects, builds that really run locally.

Projects (CreateProject, BatchGetProjects, UpdateProject, ...) are moto's; moto does not keep
`concurrentBuildLimit`, so CreateProject stores it on the project here. Builds are ours:
StartBuild admits a build against the project's limit (`builds`) and runs its buildspec on
this host (`buildspec_runner`); BatchGetBuilds, ListBuilds(ForProject) and StopBuild answer
from the store (`models`).
"""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime

from localstack.aws.api import RequestContext, handler
from localstack.services.moto import call_moto, call_moto_with_request
from localstack.services.plugins import Service, ServiceLifecycleHook, aws_provider
from localstack.state import StateVisitor

from flightline_localstack.dispatch import aws_error, existing, full_moto_dispatch_table
from flightline_localstack.processes import stop_runs
from flightline_localstack.services.codebuild import builds, buildspec_runner
from flightline_localstack.services.codebuild.builds import PLACEHOLDER_LOCATION
from flightline_localstack.services.codebuild.models import (
    CodeBuildStore,
    codebuild_stores,
    running_builds,
)


def _backend(context: RequestContext):
    from moto.codebuild.models import codebuild_backends

    return codebuild_backends[context.account_id][context.region]


def _store(context: RequestContext) -> CodeBuildStore:
    return codebuild_stores[context.account_id][context.region]


def _project(context: RequestContext, name: str, shown_as: str | None = None):
    return existing(
        _backend(context).codebuild_projects,
        name,
        "ResourceNotFoundException",
        f"Project cannot be found: {shown_as or name}",
    )


class CodeBuildProvider(ServiceLifecycleHook):
    service = "codebuild"

    # --- state: LocalStack's reset and shutdown reach moto's projects and our builds ---------

    def accept_state_visitor(self, visitor: StateVisitor) -> None:
        from moto.codebuild.models import codebuild_backends

        visitor.visit(codebuild_backends)
        visitor.visit(codebuild_stores)

    def on_before_state_reset(self) -> None:
        stop_runs(running_builds())  # a reset build must not write back into the new state

    def on_before_stop(self) -> None:
        stop_runs(running_builds())

    @handler("CreateProject", expand=False)
    def create_project(self, context: RequestContext, request: dict) -> dict:
        response = call_moto_with_request(context, _with_placeholder(request))
        if request.get("concurrentBuildLimit") is not None:  # moto drops it
            project = _backend(context).codebuild_projects[request["name"]]
            project.project_metadata["concurrentBuildLimit"] = request["concurrentBuildLimit"]
            response["project"]["concurrentBuildLimit"] = request["concurrentBuildLimit"]
        response["project"] = _project_view(response["project"])
        return response

    @handler("UpdateProject", expand=False)
    def update_project(self, context: RequestContext, request: dict) -> dict:
        metadata = _project(context, request["name"]).project_metadata
        for key, value in request.items():
            if key == "name" or value is None:
                continue
            metadata[key] = value
        if "source" in request:
            metadata["source"] = _with_placeholder({"source": request["source"]})["source"]
        if request.get("concurrentBuildLimit") == -1:  # as in CodeBuild: -1 removes the limit
            metadata.pop("concurrentBuildLimit", None)
        metadata["lastModifiedDate"] = time.time()  # moto keeps epoch seconds
        return {"project": _project_view(metadata)}

    @handler("BatchGetProjects", expand=False)
    def batch_get_projects(self, context: RequestContext, request: dict) -> dict:
        response = call_moto(context)
        response["projects"] = [_project_view(p) for p in response.get("projects", [])]
        return response

    @handler("StartBuild", expand=False)
    def start_build(self, context: RequestContext, request: dict) -> dict:
        name = request["projectName"]
        arn = f"arn:aws:codebuild:{context.region}:{context.account_id}:project/{name}"
        metadata = _project(context, name, shown_as=arn).project_metadata
        build = builds.register(context.account_id, context.region, name, metadata, request)
        response = {"build": build.as_dict()}
        buildspec_runner.start(build)
        return response

    @handler("BatchGetBuilds", expand=False)
    def batch_get_builds(self, context: RequestContext, request: dict) -> dict:
        store = _store(context)
        found, missing = [], []
        for build_id in request.get("ids", []):
            build = store.find(build_id)
            if build is None:
                missing.append(build_id)
            else:
                found.append(build.as_dict())
        return {"builds": found, "buildsNotFound": missing}

    @handler("ListBuilds", expand=False)
    def list_builds(self, context: RequestContext, request: dict) -> dict:
        return {"ids": [build.id for build in _store(context).builds_of()]}

    @handler("ListBuildsForProject", expand=False)
    def list_builds_for_project(self, context: RequestContext, request: dict) -> dict:
        name = request["projectName"]
        if name not in _backend(context).codebuild_projects:
            raise aws_error(
                "ResourceNotFoundException", f"The provided project arn {name} does not exist"
            )
        return {"ids": [build.id for build in _store(context).builds_of(name)]}

    @handler("StopBuild", expand=False)
    def stop_build(self, context: RequestContext, request: dict) -> dict:
        build = _store(context).builds.get(request["id"])
        if build is None:
            raise aws_error("ResourceNotFoundException", f"Build {request['id']} does not exist")
        buildspec_runner.stop(build)
        return {"build": build.as_dict()}


def _with_placeholder(request: dict) -> dict:
    request = dict(request)
    source = dict(request.get("source") or {})
    if source.get("type") == "NO_SOURCE" and not source.get("location"):
        source["location"] = PLACEHOLDER_LOCATION
    request["source"] = source
    return request


def _project_view(project: dict) -> dict:
    """A project as the API shows it: no placeholder location, `lastModified` (not moto's
    `lastModifiedDate`)."""
    project = copy.deepcopy(project)
    source = project.get("source") or {}
    if source.get("location") == PLACEHOLDER_LOCATION:
        source.pop("location")
    if "lastModifiedDate" in project:
        project["lastModified"] = project.pop("lastModifiedDate")
    for key in ("created", "lastModified"):
        if isinstance(project.get(key), int | float):
            project[key] = datetime.fromtimestamp(project[key], UTC)
    return project


@aws_provider(api="codebuild")
def codebuild() -> Service:
    provider = CodeBuildProvider()
    return Service.for_provider(
        provider, dispatch_table_factory=full_moto_dispatch_table("codebuild")
    )

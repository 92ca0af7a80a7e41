"""Step Functions `arn:aws:states:::codebuild:startBuild(.sync)` for LocalStack community.

Community lists codebuild among the services it only forwards with `.waitForTaskToken`. An
on_infra_start hook wraps the task-service factory so `codebuild` gets a task service that
supports request-response and `.sync`: StartBuild, then BatchGetBuilds until the build ends;
SUCCEEDED gives `{"Build": {...}}` as output, any other end fails the task with
States.TaskFailed and the build as cause (as AWS does). This leans on LocalStack internals:
localstack-core is pinned and tests/localstack covers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

START_BUILD_PARAMETERS = {
    "ProjectName",
    "ArtifactsOverride",
    "BuildspecOverride",
    "BuildStatusConfigOverride",
    "CacheOverride",
    "CertificateOverride",
    "ComputeTypeOverride",
    "DebugSessionEnabled",
    "EncryptionKeyOverride",
    "EnvironmentTypeOverride",
    "EnvironmentVariablesOverride",
    "GitCloneDepthOverride",
    "GitSubmodulesConfigOverride",
    "IdempotencyToken",
    "ImageOverride",
    "ImagePullCredentialsTypeOverride",
    "InsecureSslOverride",
    "LogsConfigOverride",
    "PrivilegedModeOverride",
    "QueuedTimeoutInMinutesOverride",
    "RegistryCredentialOverride",
    "ReportBuildStatusOverride",
    "SecondaryArtifactsOverride",
    "SecondarySourcesOverride",
    "SecondarySourcesVersionOverride",
    "ServiceRoleOverride",
    "SourceAuthOverride",
    "SourceLocationOverride",
    "SourceTypeOverride",
    "SourceVersion",
    "TimeoutInMinutesOverride",
}
TERMINAL_OK = "SUCCEEDED"


def _task_service_class() -> type:
    from botocore.exceptions import ClientError
    from localstack.aws.api.stepfunctions import HistoryEventType, TaskFailedEventDetails
    from localstack.services.stepfunctions.asl.component.common.error_name.custom_error_name import (  # noqa: E501
        CustomErrorName,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name import (  # noqa: E501
        StatesErrorName,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name_type import (  # noqa: E501
        StatesErrorNameType,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.resource import (  # noqa: E501
        ResourceCondition,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service_callback import (  # noqa: E501
        StateTaskServiceCallback,
    )
    from localstack.services.stepfunctions.asl.eval.event.event_detail import EventDetails
    from localstack.services.stepfunctions.asl.utils.boto_client import boto_client_for
    from localstack.services.stepfunctions.asl.utils.encoding import to_json_str

    class StateTaskServiceCodeBuild(StateTaskServiceCallback):
        def __init__(self) -> None:
            super().__init__(supported_integration_patterns={ResourceCondition.Sync})

        def _get_supported_parameters(self) -> set[str] | None:
            if self.resource.api_action.lower() == "startbuild":
                return START_BUILD_PARAMETERS
            return None

        def _client(self, resource_runtime_part, state_credentials):
            return boto_client_for(
                service="codebuild",
                region=resource_runtime_part.region,
                state_credentials=state_credentials,
            )

        def _from_error(self, env, ex: Exception):
            if isinstance(ex, ClientError):
                error_name = f"CodeBuild.{ex.response['Error']['Code']}"
                return FailureEvent(
                    env=env,
                    error_name=CustomErrorName(error_name),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            error=error_name,
                            cause=ex.response["Error"]["Message"],
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                        )
                    ),
                )
            return super()._from_error(env=env, ex=ex)

        def _eval_service_task(
            self, env, resource_runtime_part, normalised_parameters, state_credentials
        ) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            response = client.start_build(**normalised_parameters)
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _build_sync_resolver(
            self, env, resource_runtime_part, normalised_parameters, state_credentials
        ) -> Callable[[], Any | None]:
            start_output: dict = env.stack.pop()
            build_id = start_output["Build"]["Id"]  # normalised (SFN-cased) StartBuild output
            client = self._client(resource_runtime_part, state_credentials)

            def resolve() -> Any | None:
                build = client.batch_get_builds(ids=[build_id])["builds"][0]
                status = build["buildStatus"]
                if status == "IN_PROGRESS":
                    return None
                output = {"build": build}  # normalised in place to {"Build": {"BuildStatus": ...}}
                self._normalise_response(output, service_action_name="startBuild")
                if status == TERMINAL_OK:
                    return output
                raise FailureEventException(
                    FailureEvent(
                        env=env,
                        error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(
                            taskFailedEventDetails=TaskFailedEventDetails(
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                                error=StatesErrorNameType.StatesTaskFailed.to_name(),
                                cause=to_json_str(output),
                            )
                        ),
                    )
                )

            return resolve

    return StateTaskServiceCodeBuild


@hooks.on_infra_start()
def register_codebuild_task_service() -> None:
    """Route `codebuild` service tasks to our task service instead of the unsupported one."""
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task import (
        state_task_factory,
    )

    original = state_task_factory.state_task_service_for
    if getattr(original, "flightline", False):
        return
    task_class = _task_service_class()

    def state_task_service_for(service_name: str):
        if service_name == "codebuild":
            return task_class()
        return original(service_name=service_name)

    state_task_service_for.flightline = True  # type: ignore[attr-defined]
    state_task_factory.state_task_service_for = state_task_service_for
    LOG.info("Flightline: Step Functions codebuild:startBuild(.sync) enabled")

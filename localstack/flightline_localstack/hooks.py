"""Start-up hooks that adapt LocalStack's runtime to a project-owned, multi-instance host."""

from __future__ import annotations

import logging

from localstack.runtime import hooks

from flightline_localstack import settings

LOG = logging.getLogger(__name__)


@hooks.on_infra_start()
def keep_s3_objects_in_state_dir() -> None:
    """S3 object data goes under .state/localstack*/s3-storage, not the fixed, machine-wide
    /tmp/localstack-s3-storage that two instances on one host would share."""
    from localstack.services.s3 import provider

    storage = settings.STATE_DIR / "s3-storage"
    storage.mkdir(parents=True, exist_ok=True)
    provider.DEFAULT_S3_TMP_DIR = str(storage)
    LOG.info("Flightline: S3 object data in %s", storage)


@hooks.on_infra_start()
def refuse_sns_subjects_aws_refuses() -> None:
    """SNS Publish checks its subject as AWS does (services/sns/publish_limits.py)."""
    from flightline_localstack.services.sns.publish_limits import check_publish_subjects

    check_publish_subjects()


@hooks.on_infra_start()
def opaque_etags_for_encrypted_objects() -> None:
    """S3 ETags of SSE-KMS and SSE-C objects are not content MD5s, as on AWS
    (services/s3/etags.py)."""
    from flightline_localstack.services.s3.etags import give_encrypted_objects_opaque_etags

    give_encrypted_objects_opaque_etags()


@hooks.on_infra_start()
def wildcard_json_paths_select_lists() -> None:
    """`$.Contents[*].Key` of one object is a one-element list, as on AWS; and each path is
    parsed once, not on every evaluation (services/stepfunctions/json_paths.py)."""
    from flightline_localstack.services.stepfunctions.json_paths import (
        parse_each_path_once,
        wildcard_paths_select_lists,
    )

    wildcard_paths_select_lists()
    parse_each_path_once()


@hooks.on_infra_shutdown()
def stop_running_jobs_and_builds() -> None:
    """Job runs and builds run in their own process groups: end them with LocalStack, so a
    stop or restart leaves no orphaned Spark or bash processes behind."""
    from flightline_localstack.processes import stop_runs
    from flightline_localstack.services.codebuild.models import running_builds
    from flightline_localstack.services.glue.models import running_job_runs

    stop_runs([*running_job_runs(), *running_builds()])


@hooks.on_infra_start()
def jsonata_without_the_jvm() -> None:
    """JSONata states evaluate with the pure-Python port of LocalStack's own engine, whose Java
    jars cannot be downloaded here (services/stepfunctions/jsonata_evaluator.py)."""
    from flightline_localstack.services.stepfunctions.jsonata_evaluator import (
        evaluate_jsonata_in_process,
    )

    evaluate_jsonata_in_process()

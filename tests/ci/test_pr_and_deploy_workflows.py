"""The workflows' jobs: pull requests (lint and the test tiers, the lanes when the change
needs them), deployment (the full suite, then dev, then prod; docs to Pages) and the nightly
full suite. Static checks of .github/workflows/ as YAML.
"""

from __future__ import annotations

from tests.ci.workflows import (
    ACTION_DIR,
    DEPLOY_WORKFLOW,
    NIGHTLY_WORKFLOW,
    PR_WORKFLOW,
    load,
    make_invocations,
    permissions_grant,
    steps,
    workflow_triggers,
)

# --- pull requests ----------------------------------------------------------------------


def test_pr_workflow_runs_on_pull_requests_and_branch_pushes() -> None:
    triggers = workflow_triggers(load(PR_WORKFLOW))
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"] == {"branches-ignore": ["main"]}


def test_pr_workflow_never_gets_an_id_token_or_write_access() -> None:
    workflow = load(PR_WORKFLOW)
    blocks = [("workflow", workflow.get("permissions"))] + [
        (name, job.get("permissions")) for name, job in workflow["jobs"].items()
    ]
    for where, permissions in blocks:
        assert permissions != "write-all", where
        if isinstance(permissions, dict):
            writes = {scope for scope, level in permissions.items() if level == "write"}
            assert not writes, f"{where} asks for write access: {sorted(writes)}"


def test_pr_workflow_cancels_superseded_runs_per_ref() -> None:
    concurrency = load(PR_WORKFLOW)["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def called_targets(workflow) -> dict[str, list[str]]:
    return {
        name: [
            target
            for step in job["steps"]
            for targets, _ in make_invocations(step.get("run", ""))
            for target in targets
        ]
        for name, job in load(workflow)["jobs"].items()
    }


def test_pr_workflow_runs_lint_and_every_tier_as_parallel_jobs() -> None:
    called = called_targets(PR_WORKFLOW)
    assert "lint" in called["lint"]
    assert called["quick"] == ["test-quick"]
    assert called["services"] == ["test-services"]
    assert called["lanes"] == ["test-lanes"]
    # dbt reads the staging tables: the sample is loaded first.
    assert called["dbt"].index("load-sample") < called["dbt"].index("dbt-build")
    assert "docs" in called["dbt"]
    jobs = load(PR_WORKFLOW)["jobs"]
    # Only the lanes wait, and only for the selection: the rest start at once.
    assert {name for name, job in jobs.items() if "needs" in job} == {"lanes"}


def test_the_lanes_run_when_the_selection_says_so() -> None:
    jobs = load(PR_WORKFLOW)["jobs"]
    assert jobs["lanes"]["needs"] == "changes"
    assert jobs["lanes"]["if"] == "needs.changes.outputs.lanes == 'true'"
    (tiers,) = [s for s in jobs["changes"]["steps"] if s.get("id") == "tiers"]
    assert [t for t, _ in make_invocations(tiers["run"])] == [["test-tiers"]]
    assert jobs["changes"]["outputs"]["lanes"] == "${{ steps.tiers.outputs.lanes }}"
    (checkout,) = [s for s in jobs["changes"]["steps"] if "checkout@" in s.get("uses", "")]
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base branch's history


def test_every_lane_runs_in_exactly_one_pr_job() -> None:
    from tests.e2e.lanes import LANES

    groups = load(PR_WORKFLOW)["jobs"]["lanes"]["strategy"]["matrix"]["lanes"]
    named = [lane for group in groups for lane in group.split(",")]
    assert sorted(named) == sorted(LANES)


def test_pr_jobs_upload_logs_on_failure() -> None:
    jobs = load(PR_WORKFLOW)["jobs"]
    for name in ("quick", "services", "dbt", "lanes"):
        uploads = [
            s for s in jobs[name]["steps"] if s.get("uses") == "./.github/actions/upload-logs"
        ]
        assert uploads, f"job {name} uploads no logs"
        assert uploads[0].get("if") == "failure()", f"job {name}: upload only on failure"


def test_log_upload_includes_hidden_state_dir() -> None:
    # .state/ is hidden: upload-artifact >= 4.4 drops it unless include-hidden-files is set.
    (step,) = steps(load(ACTION_DIR / "upload-logs" / "action.yml"))
    paths = set(step["with"]["path"].split())
    assert {
        ".state/localstack/*.log",
        ".state/localstack/glue-runs/**",
        ".state/postgres/postgres.log",
        "dbt_project/logs/**",
    } <= paths
    assert step["with"]["include-hidden-files"] is True


def test_the_full_suite_runs_before_any_deploy_and_nightly() -> None:
    for workflow in (DEPLOY_WORKFLOW, NIGHTLY_WORKFLOW):
        full = load(workflow)["jobs"]["full-suite"]
        assert any(s.get("run") == "bash .ci/run" for s in full["steps"]), workflow
        assert not permissions_grant(full.get("permissions"), "id-token")
    assert load(DEPLOY_WORKFLOW)["jobs"]["deploy-dev"]["needs"] == "full-suite"
    triggers = workflow_triggers(load(NIGHTLY_WORKFLOW))
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"]


# --- deployment -------------------------------------------------------------------------


def test_deploy_workflow_cannot_run_on_pull_requests() -> None:
    triggers = workflow_triggers(load(DEPLOY_WORKFLOW))
    assert not {"pull_request", "pull_request_target"} & set(triggers)
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    environment = triggers["workflow_dispatch"]["inputs"]["environment"]
    assert environment["type"] == "choice"
    assert environment["options"] == ["dev", "prod"]


def test_only_deploy_and_pages_jobs_get_an_id_token() -> None:
    jobs = load(DEPLOY_WORKFLOW)["jobs"]
    with_token = {
        name for name, job in jobs.items() if permissions_grant(job.get("permissions"), "id-token")
    }
    assert with_token == {"deploy-dev", "deploy-prod", "docs-publish"}
    with_pages = {
        name for name, job in jobs.items() if permissions_grant(job.get("permissions"), "pages")
    }
    assert with_pages == {"docs-publish"}


def test_deploy_jobs_assume_the_role_and_deploy_their_environment() -> None:
    jobs = load(DEPLOY_WORKFLOW)["jobs"]
    for env in ("dev", "prod"):
        job = jobs[f"deploy-{env}"]
        assert job["environment"] == env
        steps = job["steps"]
        (credentials,) = [
            s
            for s in steps
            if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        ]
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert credentials["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
        calls = [c for s in steps for c in make_invocations(s.get("run", ""))]
        assert calls == [(["deploy"], {"ENV": env}), (["smoke"], {"ENV": env})]
        # Credentials come before the first make call that needs them.
        index = steps.index(credentials)
        assert all("run" not in s for s in steps[:index])


def test_deployments_queue_per_environment() -> None:
    # One group per environment: a prod run waiting for its reviewers must not hold up the
    # dev deploys of later merges; a run in progress is never cancelled mid-update.
    workflow = load(DEPLOY_WORKFLOW)
    assert "concurrency" not in workflow
    for env in ("dev", "prod"):
        concurrency = workflow["jobs"][f"deploy-{env}"]["concurrency"]
        assert concurrency == {"group": f"deploy-{env}", "cancel-in-progress": False}


def test_prod_waits_for_dev() -> None:
    prod = load(DEPLOY_WORKFLOW)["jobs"]["deploy-prod"]
    assert prod["needs"] == "deploy-dev"
    assert prod["environment"] == "prod"


def test_docs_publish_to_pages() -> None:
    jobs = load(DEPLOY_WORKFLOW)["jobs"]
    build_calls = [
        c for s in jobs["docs-build"]["steps"] for c in make_invocations(s.get("run", ""))
    ]
    assert (["docs"], {}) in build_calls
    (upload,) = [
        s for s in jobs["docs-build"]["steps"] if "upload-pages-artifact@" in s.get("uses", "")
    ]
    assert upload["with"]["path"] == "build/dbt-docs"
    publish = jobs["docs-publish"]
    assert publish["needs"] == "docs-build"
    assert publish["environment"]["name"] == "github-pages"
    assert any("deploy-pages@" in s.get("uses", "") for s in publish["steps"])

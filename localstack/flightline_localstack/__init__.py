"""Flightline's plugin for LocalStack community: a real Glue and CodeBuild.

Loaded by LocalStack (plux entry points in localstack/pyproject.toml), never by the pipeline.
Laid out as LocalStack lays out its own services:
- `services/glue/`: the Glue API on moto's backend (catalog, connections, jobs, crawlers) with
  job runs that execute the job script with the pipeline's Python (`job_runner`) and crawlers
  that crawl LocalStack S3 (`crawler_runner`, `crawler_tables`); state in `models`.
- `services/codebuild/`: projects on moto's backend; builds admitted against the project's
  limit (`builds`) run the buildspec phases locally (`buildspec_runner`, `build_inputs`).
- `services/dynamodb/`: DynamoDB on moto's backend (LocalStack's own needs a download).
- `services/stepfunctions/`: Step Functions `codebuild:startBuild(.sync)`, which community
  refuses.
- `services/<service>/resource_providers/`: CloudFormation types, on `resource_provider`.
- `processes`: starting and ending job runs and builds as process groups; `dispatch`: moto
  for every operation a provider does not override; `settings`: paths and the job/build
  environment; `hooks`: LocalStack start-up and shutdown.
"""

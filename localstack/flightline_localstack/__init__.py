"""Flightline's plugin for LocalStack community: a real Glue and CodeBuild.

Loaded by LocalStack (plux entry points in localstack/pyproject.toml), never by the pipeline:
- `glue_provider`: the Glue API on moto's backend (catalog, connections, jobs, crawlers) with
  job runs that execute the job script with the pipeline's Python and crawlers that crawl
  LocalStack S3 (`glue_jobs`, `glue_crawler`).
- `codebuild_provider`: projects on moto's backend; builds run the buildspec phases locally.
- `sfn_codebuild`: Step Functions `codebuild:startBuild(.sync)`, which community refuses.
- `cfn`: CloudFormation resource providers for AWS::Glue::{Database,Connection,Crawler,Job}
  and AWS::CodeBuild::Project.
"""

"""Deploy Flightline's CloudFormation stacks (cloudformation/) with their artifacts.

`python -m tools.deploy --env dev [--endpoint-url URL] [--region R] [--stacks a,b]`:

1. packages the Glue entry script, the `flightline_glue` library zip, the state machine ASL
   and the dbt project bundle, each under a content-hashed key;
2. deploys the storage stack (it holds the artifacts bucket) and uploads what is missing;
3. deploys the other stacks of the environment in dependency order through change sets:
   a stack whose change set has no changes is left alone (the empty change set is deleted),
   progress is printed from the stack events, and a failure names the failing resources.

The environment's settings come from cloudformation/parameters/<env>.json.
`python -m tools.deploy.smoke --env dev` (`make smoke`) checks a deployed environment, read-only.
"""

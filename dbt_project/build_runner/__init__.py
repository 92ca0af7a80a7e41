"""The dbt build of one CodeBuild run (cloudformation/orchestration.yaml, the DbtProject's
buildspec): `python -m build_runner` in the bundle's root.

`plan` decides what the build covers from the variables the state machine sets; `session`
runs dbt in this one process, parsing once for every command.
"""

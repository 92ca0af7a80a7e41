"""The local services the pipeline runs against on a developer's machine and in CI.

- postgres.py: a throwaway PostgreSQL 15 cluster, the local stand-in for Redshift;
- localstack.py: LocalStack in host mode with the project's plugin (a real Glue and CodeBuild);
- process.py: what both share (state dir, ports, log tails);
- cli.py: `python -m tools.local postgres|localstack <command>`, the only command line.

Standard library only at import time: `make localstack-up` runs this with the system Python,
before any venv exists.
"""

"""Command line for the local services; only parses arguments over postgres.py / localstack.py.

    python -m tools.local postgres start|set-up|stop|destroy|status|env|url [--as PRINCIPAL]
    python -m tools.local localstack install|start|stop|restart|status|env|url|logs|python [--force]
    python -m tools.local around -- COMMAND...   (stops the services COMMAND started)
    python -m tools.local spark-classes          (the class-data archive Spark starts from)

`python` prints the project's one Python (3.13), which the Makefile builds every venv with.

`start` leaves the database as a new namespace's (the deploy bootstraps it through the Data
API); `set-up` also applies the bootstrap and migrations directly, for the commands that load
PostgreSQL without a deploy.
`url` is the one way to get a service's address (make files ask it rather than spell it).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from tools.local import localstack, postgres
from tools.local.around import run_around
from tools.local.process import ServiceError, tail

POSTGRES_COMMANDS = ("start", "set-up", "stop", "destroy", "status", "env", "url")
LOCALSTACK_COMMANDS = (
    "install", "start", "stop", "restart", "status", "env", "url", "logs", "python",
)  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    services = parser.add_subparsers(dest="service", required=True)
    pg = services.add_parser("postgres", help="the local PostgreSQL (stand-in for Redshift)")
    pg.add_argument("command", choices=POSTGRES_COMMANDS)
    pg.add_argument(
        "--as",
        dest="principal",
        choices=postgres.PRINCIPAL_KEYS,
        help="env/url: log in as this principal's role instead of the admin",
    )
    ls = services.add_parser("localstack", help="LocalStack with the project's plugin")
    ls.add_argument("command", choices=LOCALSTACK_COMMANDS)
    ls.add_argument("--force", action="store_true", help="install: reinstall even if current")
    around = services.add_parser(
        "around", help="run a command, then stop the local services it started"
    )
    around.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    services.add_parser(
        "spark-classes", help="write the class-data archive local Spark starts from, if missing"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.service == "around":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            print("usage: python -m tools.local around -- COMMAND [ARG ...]", file=sys.stderr)
            return 2
        return run_around(command)
    if args.service == "spark-classes":
        return run_spark_classes()
    run = run_postgres if args.service == "postgres" else run_localstack
    try:
        return run(args)
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def run_spark_classes() -> int:
    from tools.local.spark_classes import SparkClassesError, ensure_archive

    try:
        archive, written = ensure_archive()
    except SparkClassesError as error:  # only slower sessions: say so, do not stop the run
        print(f"warning: {error}", file=sys.stderr)
        return 0
    if written:
        print(f"Spark class-data archive written: {archive}")
    return 0


def run_postgres(args: argparse.Namespace) -> int:
    if args.command in ("start", "set-up"):
        info = postgres.start()
        print(
            f"PostgreSQL running on {info.host}:{info.port} (database {info.dbname}); "
            f"logs in {postgres.LOG_FILE}"
        )
        if args.command == "set-up":
            print(f"warehouse set up directly: {postgres.set_up(info)}")
    elif args.command == "stop":
        postgres.stop()
        print("PostgreSQL stopped")
    elif args.command == "destroy":
        postgres.destroy()
        print(f"PostgreSQL cluster removed from {postgres.PG_DIR}")
    elif args.command == "status":
        running = postgres.is_running()
        print("running" if running else "stopped")
        return 0 if running else 3
    else:
        info = postgres.conninfo()
        info = info.login(args.principal) if args.principal else info
        if args.command == "url":
            print(info.url)
        else:
            for key, value in info.env().items():
                print(f"export {key}={shlex.quote(value)}")
    return 0


def run_localstack(args: argparse.Namespace) -> int:
    if args.command == "install":
        if not localstack.install(force=args.force):
            print(f"{localstack.VENV.name} is up to date")
    elif args.command in ("start", "restart"):
        if args.command == "restart":
            localstack.stop()
        started = time.monotonic()
        was_running = localstack.health() is not None
        url = localstack.start()
        how = "already running" if was_running else f"healthy in {time.monotonic() - started:.1f} s"
        print(f"LocalStack {how} on {url}; logs in {localstack.LOG_FILE}")
        if was_running and localstack.stale_code():
            print(
                "warning: the LocalStack plugin changed since this instance started; "
                "`make localstack-restart` loads it (and drops all LocalStack state)",
                file=sys.stderr,
            )
    elif args.command == "stop":
        print("LocalStack stopped" if localstack.stop() else "LocalStack was not running")
    elif args.command == "status":
        state = localstack.health()
        if state is None:
            print("stopped")
            return 3
        running = sorted(k for k, v in state.get("services", {}).items() if v == "running")
        print(
            f"running on {localstack.endpoint_url()} (version {state.get('version', '?')}); "
            f"services started: {', '.join(running) or 'none yet'}"
        )
    elif args.command == "env":
        print("\n".join(localstack.env_lines()))
    elif args.command == "url":
        print(localstack.endpoint_url())
    elif args.command == "python":
        print(localstack.find_python_313())
    else:
        print(tail(localstack.LOG_FILE, 200))
    return 0

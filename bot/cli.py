"""The `licensebot` command line."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.config import Settings

EXIT_BAD_INPUT = 2


def _simulate(args: argparse.Namespace) -> int:
    from bot.config import retry_days
    from bot.simulate import simulate
    from bot.timeline import TimelineError, load_timeline

    try:
        days = retry_days(os.environ.get("LICENSEBOT_RETRY_DAYS", ""))
    except ValueError as error:
        print(f"licensebot simulate: LICENSEBOT_RETRY_DAYS: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = simulate(load_timeline(Path(args.file)), retry_days=days)
    except TimelineError as error:
        print(f"licensebot simulate: {args.file}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "text":
        from bot.statement import statement

        sys.stdout.write(statement(result))
        return 0
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    upgrade(args.database_url)
    return 0


def _settings(socket_mode: bool) -> Settings:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings(socket_mode=socket_mode)
    except ConfigError as error:
        print(f"licensebot: {error}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None


def _run(args: argparse.Namespace) -> int:
    from bot.runtime import run

    settings = _settings(socket_mode=not args.http)
    return run(settings, http=args.http, port=args.port, scheduler=not args.no_scheduler)


def _scheduler(args: argparse.Namespace) -> int:
    from bot.runtime import run_scheduler

    return run_scheduler(_settings(socket_mode=False))


def _sandbox(args: argparse.Namespace) -> int:
    from bot.logs import configure
    from bot.sandbox.run import run_sandbox

    configure(level="WARNING")
    return run_sandbox(args.port, Path(args.database) if args.database else None)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="licensebot", description="Licences and billing for Slack admins."
    )
    commands = top.add_subparsers(dest="command", required=True)
    sim = commands.add_parser(
        "simulate", help="replay a what-if timeline and print the outcome as JSON"
    )
    sim.add_argument("file", help="timeline in YAML or JSON")
    sim.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="json (default), or text: a statement a person reads",
    )
    sim.set_defaults(run=_simulate)
    mig = commands.add_parser("migrate", help="bring the database schema up to date")
    mig.add_argument(
        "--database-url", default=None, help="defaults to DATABASE_URL or the SQLite file"
    )
    mig.set_defaults(run=_migrate)
    run = commands.add_parser("run", help="run the Slack bot (Socket Mode by default)")
    run.add_argument(
        "--http", action="store_true", help="serve POST /slack/events and GET /healthz instead"
    )
    run.add_argument("--port", type=int, default=3000)
    run.add_argument(
        "--no-scheduler", action="store_true", help="a replica that only answers Slack"
    )
    run.set_defaults(run=_run)
    sched = commands.add_parser("scheduler", help="run the billing jobs and alert delivery alone")
    sched.set_defaults(run=_scheduler)
    box = commands.add_parser(
        "sandbox", help="try the bot in a browser, with a local stand-in for Slack"
    )
    box.add_argument("--port", type=int, default=8080)
    box.add_argument(
        "--database", default=None, help="SQLite file (default: licensebot-sandbox.sqlite3)"
    )
    box.set_defaults(run=_sandbox)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except (OSError, SQLAlchemyError) as error:
        print(f"licensebot {args.command}: {_why(error, args)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _why(error: OSError | SQLAlchemyError, args: argparse.Namespace) -> str:
    """A failure to start, in one line: a port taken, a file or a database out of reach. The
    database's own message is left out: it can quote the URL, password included."""
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        return f"the database cannot be used ({type(cause).__name__}); check DATABASE_URL"
    if error.errno == errno.EADDRINUSE:
        return f"port {args.port} is already in use; choose another with --port"
    where = f": {error.filename}" if error.filename else ""
    return f"{error.strerror or type(error).__name__}{where}"


if __name__ == "__main__":
    sys.exit(main())

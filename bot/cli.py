"""The `licensebot` command line."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

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


def _catalogue(args: argparse.Namespace) -> int:
    """List the catalogue, or set products in it (the operator's, audited)."""
    from datetime import UTC, datetime

    from bot.timeline import TimelineError, parse_document
    from services.catalogue import Catalogue, CatalogueError, edit, edits_of, table
    from storage.db import DEFAULT_URL, make_engine
    from storage.migrate import pending
    from storage.store import SqlStore

    def bad(message: str) -> int:
        print(f"licensebot catalogue: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    edits = []
    try:
        if args.action == "set":
            if args.file is not None:
                if args.code is not None or any(
                    value is not None
                    for value in (args.name, args.annual, args.flexible, args.currency)
                ):
                    return bad("give either --file or a product code and its options, not both")
                path = Path(args.file)
                try:
                    edits = edits_of(parse_document(path.read_text(encoding="utf-8"), path.name))
                except TimelineError as error:
                    return bad(f"{args.file}: {error}")
                except CatalogueError as error:
                    return bad(f"{args.file}: {error}")
            elif args.code is None:
                return bad("give a product code, or --file catalogue.yml")
            else:
                edits = [
                    edit(
                        args.code,
                        name=args.name,
                        annual=args.annual,
                        flexible=args.flexible,
                        currency=args.currency,
                    )
                ]
        elif args.code is not None or args.file is not None:
            return bad("give `set` before a product code or --file")
    except CatalogueError as error:
        return bad(str(error))
    engine = make_engine(args.database_url or os.environ.get("DATABASE_URL", DEFAULT_URL))
    if pending(engine):
        return bad("the database schema is not up to date: run `licensebot migrate` first")
    catalogue = Catalogue(SqlStore(engine, workers=0))
    if edits:
        try:
            catalogue.set(edits, datetime.now(UTC))
        except CatalogueError as error:
            return bad(str(error))
    sys.stdout.write(table(catalogue.products()))
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


class _Parser(argparse.ArgumentParser):
    """Bad arguments in one line, exit status 2, as every other refusal of the command line."""

    def error(self, message: str) -> NoReturn:
        command = self.prog if self.prog != "licensebot" else "licensebot COMMAND"
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see `{command} --help`)\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="licensebot", description="Licences and billing for Slack admins.")
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
    cat = commands.add_parser(
        "catalogue",
        help="list the products and their prices, or set one (`set CODE --annual 60.00`)",
        description="The catalogue is the operator's: customers in OAuth mode cannot change it. "
        "A new price applies to new subscriptions; each subscription keeps the price it "
        "started at. Every change is audited.",
    )
    cat.add_argument("action", nargs="?", choices=("set",), help="set: add or change products")
    cat.add_argument("code", nargs="?", help="the product's code, e.g. chrome_enterprise")
    cat.add_argument("--name", help="the product's name (required for a new product)")
    cat.add_argument("--annual", metavar="AMOUNT", help="per licence per year, e.g. 60.00")
    cat.add_argument("--flexible", metavar="AMOUNT", help="per user per month, e.g. 6.00")
    cat.add_argument("--currency", help="USD (the default, and the only one billed)")
    cat.add_argument(
        "--file", help="YAML or JSON: `products:` then {code, name, annual, flexible}, all at once"
    )
    cat.add_argument(
        "--database-url", default=None, help="defaults to DATABASE_URL or the SQLite file"
    )
    cat.set_defaults(run=_catalogue)
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
    for sub in commands.choices.values():
        sub.set_defaults(parser=sub)  # an unknown option is named with its command's help
    return top


def main(argv: list[str] | None = None) -> int:
    args, unknown = parser().parse_known_args(argv)
    if unknown:
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
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

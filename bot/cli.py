"""The `licensebot` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def _simulate(args: argparse.Namespace) -> int:
    from bot.simulate import simulate
    from bot.timeline import TimelineError, load_timeline

    try:
        result = simulate(load_timeline(Path(args.file)))
    except TimelineError as error:
        print(f"licensebot simulate: {args.file}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    upgrade(args.database_url)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="licensebot", description="Licences and billing for Slack admins."
    )
    commands = top.add_subparsers(dest="command", required=True)
    sim = commands.add_parser(
        "simulate", help="replay a what-if timeline and print the outcome as JSON"
    )
    sim.add_argument("file", help="timeline in YAML or JSON")
    sim.set_defaults(run=_simulate)
    mig = commands.add_parser("migrate", help="bring the database schema up to date")
    mig.add_argument(
        "--database-url", default=None, help="defaults to DATABASE_URL or the SQLite file"
    )
    mig.set_defaults(run=_migrate)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

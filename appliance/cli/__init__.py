"""The `appliance` command: one subcommand module per job, each registering its own parser.

Errors a person can act on (ApplianceError) are printed as one line with exit status 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from appliance import __version__
from appliance.errors import ApplianceError

# Each module defines register(subparsers) and sets `func` on its parser.
SUBCOMMANDS = (
    "appliance.cli.check",
    "appliance.cli.code",
    "appliance.cli.ingest",
    "appliance.cli.doctor",
    "appliance.cli.run",
    "appliance.cli.operator",
    "appliance.cli.produce",
    "appliance.cli.sheet",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="appliance", description="Graduation-photo capture booth")
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    parser.add_argument(
        "--settings", type=Path, default=None, help="settings TOML file (default: built-in defaults)"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ApplianceError as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`appliance check --demo | head`): that is how pipes end, not an
        # error. Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

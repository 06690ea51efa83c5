"""`appliance check`: the photo-rule verdict for photos (placeholder until the engine lands)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check photos against the graduation-photo rules")
    parser.add_argument("photos", nargs="*")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError

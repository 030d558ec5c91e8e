"""The ``aiot`` command line: one sub-command per module of :mod:`app.cli`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app.cli.errors import fail
from app.settings import unknown_variables

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES = (
    "broker",
    "worker",
    "simulate",
    "tail",
    "run",
    "schemas",
    "settings",
    "detect",
    "detect_falls",
    "rul",
    "edge",
    "topics",
    "console",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(prog="aiot", description="aiot stream intelligence")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of a failure (not one line)"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"app.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"app.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aiot`` console script; returns the process exit code (a failure
    is one line on stderr, see :mod:`app.cli.errors`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "settings":
        _warn_unknown_variables()
    try:
        result = args.handler(args)
        sys.stdout.flush()
    except BaseException as exc:
        return fail(args.command, exc, args.debug)
    return int(result or 0)


def _warn_unknown_variables() -> None:
    """One line on stderr naming the ``AIOT_*`` variables that are no setting (typos)."""
    unknown = unknown_variables()
    if unknown:
        print(
            f"aiot: warning: {'; '.join(unknown)} - ignored (`aiot settings` lists the settings)",
            file=sys.stderr,
            flush=True,
        )

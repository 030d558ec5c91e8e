"""The ``aiot`` command line: one sub-command per module of :mod:`app.cli`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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
    "rul",
    "edge",
    "console",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(prog="aiot", description="aiot stream intelligence")
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
    """Entry point of the ``aiot`` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.handler(args)
    sys.stdout.flush()
    return int(result or 0)

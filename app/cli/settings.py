"""``aiot settings``: list every AIOT_* environment variable, its default and current value,
then report what is wrong with the environment: invalid values and ``AIOT_*`` names that are
no setting (a typo falls back to the default). Exits 2 when anything is wrong."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from app.cli.errors import EXIT_CONFIG
from app.settings import Settings, SettingsError, load_settings, unknown_variables

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    for env, default, doc in Settings.documented():
        if args.markdown:
            print(f"| `{env}` | `{default}` | {doc} |")
        else:
            current = os.environ.get(env)
            shown = f" (set: {current!r})" if current is not None else ""
            print(f"{env}={default}{shown}\n    {doc}")
    sys.stdout.flush()
    problems: list[str] = []
    try:
        load_settings()
    except SettingsError as exc:
        problems.extend(exc.problems)
    problems.extend(unknown_variables())
    for problem in problems:
        print(f"aiot settings: {problem}", file=sys.stderr)
    return EXIT_CONFIG if problems else 0


def register(subparsers: Any) -> None:
    """Add the ``settings`` sub-command."""
    parser = subparsers.add_parser(
        "settings",
        help="list the AIOT_* settings and defaults; report invalid values and unknown names",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.set_defaults(handler=_run)

"""``aiot schemas``: write the JSON Schema of every topic record."""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas.jsonschema import SCHEMA_DIR, write_json_schemas

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    """Write the schemas into ``args.out`` and print each written path."""
    for path in write_json_schemas(args.out):
        print(path)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``aiot schemas [--out DIR]`` to the CLI's sub-parsers."""
    parser = subparsers.add_parser(
        "schemas",
        help="write the JSON Schema of every topic record",
        description="Write one JSON Schema (draft 2020-12) file per topic record.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=SCHEMA_DIR,
        help="output directory (default: the package's schemas/jsonschema)",
    )
    parser.set_defaults(handler=_run)

"""``aiot schemas``: the JSON Schema files of every topic record, written where asked."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.schemas import register
from schemas.jsonschema import SCHEMA_DIR
from schemas.topics import TOPICS


def test_cli_subcommand_writes_schemas_and_prints_paths(tmp_path: Path, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["schemas", "--out", str(tmp_path)])
    assert args.handler(args) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(printed) == sorted(str(path) for path in tmp_path.glob("*.json"))
    assert len(printed) == len(TOPICS)


def test_cli_default_output_is_the_package_schema_dir():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["schemas"]).out == SCHEMA_DIR

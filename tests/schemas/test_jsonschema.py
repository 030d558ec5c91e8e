"""The committed JSON Schemas match the code and accept exactly what the records produce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.jsonschema import SCHEMA_DIR, json_schema, render, schema_name, write_json_schemas
from schemas.topics import TOPICS
from tests.schemas.samples import telemetry_dict
from tests.schemas.test_records import ALERT, GROUND_TRUTH, PREDICTION, TELEMETRY

jsonschema = pytest.importorskip("jsonschema")


def _validator(record_cls: type) -> Any:
    schema = json_schema(record_cls)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("spec", TOPICS.values(), ids=list(TOPICS))
def test_committed_schema_file_equals_freshly_generated(spec):
    path = SCHEMA_DIR / f"{schema_name(spec.record)}.v1.json"
    assert path.read_bytes() == render(json_schema(spec.record))


def test_no_stale_schema_files_are_committed():
    expected = {f"{schema_name(spec.record)}.v1.json" for spec in TOPICS.values()}
    assert {path.name for path in SCHEMA_DIR.glob("*.json")} == expected


def test_schema_identity_and_openness():
    schema = json_schema(type(TELEMETRY))
    assert schema["$id"] == "https://aiot.dev/schemas/machine_telemetry.v1.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is True
    assert schema["properties"]["vibration_rms"]["maximum"] == 200


@pytest.mark.parametrize("record", [TELEMETRY, PREDICTION, ALERT, GROUND_TRUTH])
def test_record_wire_forms_are_valid_against_their_schema(record):
    _validator(type(record)).validate(orjson.loads(record.to_json()))


@pytest.mark.parametrize(
    "changes",
    [
        {"vibration_rms": 512.0},
        {"asset_id": "motor 001"},
        {"load_pct": True},
        {"ts": "now"},
    ],
)
def test_schema_rejects_what_the_validator_rejects(changes):
    validator = _validator(type(TELEMETRY))
    assert not validator.is_valid(telemetry_dict(**changes))


def test_schema_accepts_unknown_extra_fields():
    assert _validator(type(TELEMETRY)).is_valid(telemetry_dict(firmware="2.1"))


def test_write_json_schemas_writes_one_file_per_topic(tmp_path: Path):
    paths = write_json_schemas(tmp_path / "out")
    assert len(paths) == len(TOPICS)
    assert all(orjson.loads(path.read_bytes())["$id"].endswith(path.name) for path in paths)

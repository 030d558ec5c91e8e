"""JSON Schema (draft 2020-12) export of the topic records, for non-Python producers.

The schemas are derived from the dataclass fields (types, defaults, ``metadata["doc"]``), the
records' range tables, enums and the id pattern, so they cannot disagree with the code. The
generated files are committed under ``schemas/jsonschema/`` and a test keeps them current.
"""

from __future__ import annotations

import re
import types
from dataclasses import MISSING, Field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import orjson

from schemas.base import ID_PATTERN, WireRecord
from schemas.topics import TOPICS

__all__ = ["SCHEMA_DIR", "json_schema", "schema_name", "write_json_schemas"]

SCHEMA_DIR = Path(__file__).resolve().parent / "jsonschema"
"""Directory of the committed schema files (shipped as package data)."""

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_URL = "https://aiot.dev/schemas/"

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    float: {"type": "number"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    Any: {},
}


def schema_name(record_cls: type) -> str:
    """Return the snake_case schema name of a record class (``MachineTelemetry`` ->
    ``machine_telemetry``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", record_cls.__name__).lower()


def _summary(obj: type) -> str:
    """Return the first paragraph of a class docstring, on one line."""
    text = (obj.__doc__ or "").strip().split("\n\n", 1)[0]
    return " ".join(text.split())


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Translate a field type annotation to a JSON Schema fragment."""
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Literal:
        return {"type": "string", "enum": list(args)}
    if origin in (Union, types.UnionType) and type(None) in args:
        others = [arg for arg in args if arg is not type(None)]
        if len(others) != 1:
            raise TypeError(f"no JSON Schema mapping for union {tp!r}")
        inner = _type_schema(others[0], defs)
        if set(inner) == {"type"}:
            return {"type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return {"type": "array", "items": _type_schema(args[0], defs)}
    if origin is dict:
        return {"type": "object"}
    if isinstance(tp, type) and is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema mapping for field type {tp!r}")


def _bounded(schema: dict[str, Any], low: float, high: float) -> dict[str, Any]:
    """Add ``minimum``/``maximum`` to a number schema, or to the items of an array schema
    (also inside an optional ``anyOf``)."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_bounded(part, low, high) for part in schema["anyOf"]]}
    if schema.get("type") == "null":
        return schema
    if schema.get("type") == "array":
        return {**schema, "items": _bounded(schema["items"], low, high)}
    return {**schema, "minimum": low, "maximum": high}


def _sized(schema: dict[str, Any], length: int) -> dict[str, Any]:
    """Fix the length of an array schema (also inside an optional ``anyOf``)."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_sized(part, length) for part in schema["anyOf"]]}
    if schema.get("type") == "array":
        return {**schema, "minItems": length, "maxItems": length}
    return schema


def _field_schema(cls: type, item: Field[Any], tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Build the property schema of one dataclass field (``metadata["json_schema"]``, when a
    field accepts more on input than its type says, e.g. event times as text)."""
    schema = dict(item.metadata.get("json_schema") or _type_schema(tp, defs))
    bounds = getattr(cls, "RANGES", {}).get(item.name)
    description = item.metadata.get("doc") or (bounds.doc if bounds else "")
    if bounds is not None:
        unit = f" Unit: {bounds.unit}." if bounds.unit else ""
        schema = _bounded(schema, bounds.low, bounds.high)
        description = f"{description}{unit}"
    length = getattr(cls, "LENGTHS", {}).get(item.name)
    if length is not None:
        schema = _sized(schema, length)
    if item.name in getattr(cls, "ID_FIELDS", ()):
        schema = {**schema, "pattern": ID_PATTERN}
    if item.default is not MISSING:
        schema["default"] = item.default
    elif item.default_factory is not MISSING:
        schema["default"] = item.default_factory()
    return {"description": description, **schema} if description else schema


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    """Build the object schema of a dataclass (properties, required, open to extra keys)."""
    hints = get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    if issubclass(cls, WireRecord):
        properties["v"] = {
            "description": "Schema version; may be absent on input (read as 1).",
            "const": cls.SCHEMA_VERSION,
        }
    for item in fields(cls):
        properties[item.name] = _field_schema(cls, item, hints[item.name], defs)
        if item.default is MISSING and item.default_factory is MISSING:
            required.append(item.name)
    return {
        "title": cls.__name__,
        "description": _summary(cls),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
    }


def json_schema(record_cls: type[WireRecord]) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a topic record's wire form.

    Unknown extra properties are allowed (``additionalProperties: true``), matching the
    validators, which ignore them for forward compatibility.
    """
    defs: dict[str, Any] = {}
    body = _object_schema(record_cls, defs)
    name = schema_name(record_cls)
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"{BASE_URL}{name}.v{record_cls.SCHEMA_VERSION}.json",
        **body,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def render(schema: dict[str, Any]) -> bytes:
    """Serialise a schema the way the committed files are written (indented, final newline)."""
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2) + b"\n"


def write_json_schemas(out_dir: Path) -> list[Path]:
    """Write ``<name>.v<N>.json`` for every topic record into ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec in TOPICS.values():
        record = spec.record
        path = out_dir / f"{schema_name(record)}.v{record.SCHEMA_VERSION}.json"
        path.write_bytes(render(json_schema(record)))
        written.append(path)
    return written

"""Shared building blocks of topic records: the wire base class, id pattern and value ranges.

Every record on an aiot topic is a frozen, slotted dataclass deriving from :class:`WireRecord`.
The wire form is a flat JSON object whose keys are exactly the dataclass field names plus the
schema version ``"v"``. Field documentation lives in each field's ``metadata["doc"]`` so the
JSON Schema export (:mod:`schemas.jsonschema`) and the docs read it from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self, cast

import orjson

__all__ = ["ID_PATTERN", "ID_REGEX", "FieldRange", "WireRecord", "doc", "field_names"]

ID_REGEX = "[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"
"""Identifier syntax (asset, asset class, event ids), without anchors for ``re.fullmatch``."""

ID_PATTERN = f"^{ID_REGEX}$"
"""Anchored identifier pattern, as written into the JSON Schemas."""


def doc(text: str) -> dict[str, str]:
    """Return dataclass field metadata carrying the field's one-line documentation."""
    return {"doc": text}


@dataclass(frozen=True, slots=True)
class FieldRange:
    """The physically plausible closed interval of a numeric field, with its unit.

    Validation rejects values outside it, the simulator draws inside it and the JSON Schemas
    publish it as ``minimum``/``maximum``.
    """

    low: float
    high: float
    unit: str
    doc: str

    def interval(self) -> str:
        """Render the interval with its unit for messages, e.g. ``[0, 200] mm/s``."""
        text = f"[{_number_text(self.low)}, {_number_text(self.high)}]"
        return f"{text} {self.unit}" if self.unit else text

    def contains(self, value: float) -> bool:
        """Return whether ``value`` lies inside the closed interval."""
        return self.low <= value <= self.high


def _number_text(value: float) -> str:
    """Format a bound without a spurious ``.0`` or exponent (``200``, ``100000``, ``0.5``)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(record_cls: type) -> tuple[str, ...]:
    """Return the dataclass field names of ``record_cls`` in declaration order (cached)."""
    names = _FIELD_NAMES.get(record_cls)
    if names is None:
        names = _FIELD_NAMES[record_cls] = tuple(f.name for f in fields(record_cls))
    return names


class WireRecord:
    """Base of every topic record: JSON wire form with the schema version ``"v"``.

    Subclasses are ``@dataclass(frozen=True, slots=True)`` and set ``SCHEMA_VERSION``; they
    may declare ``RANGES`` (numeric bounds) and ``ID_FIELDS`` (fields holding identifiers) so
    validation and the JSON Schema export share the same constraints.
    """

    __slots__ = ()

    SCHEMA_VERSION: ClassVar[int]
    RANGES: ClassVar[Mapping[str, FieldRange]] = {}
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form: ``{"v": SCHEMA_VERSION, <field>: <value>, ...}``."""
        out: dict[str, Any] = {"v": self.SCHEMA_VERSION}
        for name in field_names(type(self)):
            out[name] = getattr(self, name)
        return out

    def to_json(self) -> bytes:
        """Return the wire form serialised as compact UTF-8 JSON (orjson)."""
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a record from its wire form produced by aiot itself (trusted input).

        No validation happens here; external input goes through :mod:`schemas.validation`.
        ``"v"`` and unknown keys are ignored; absent fields take their defaults.
        """
        values = {name: data[name] for name in field_names(cls) if name in data}
        return cast(Any, cls)(**values)

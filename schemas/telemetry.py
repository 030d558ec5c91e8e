"""Machine telemetry: one condition-monitoring reading of one asset (topic ``telemetry``).

``TELEMETRY_RANGES`` is the table of physically plausible ranges of the numeric sensor fields;
validation enforces it, the simulator stays inside it and the JSON Schema publishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from schemas.base import FieldRange, WireRecord, doc
from schemas.timestamps import event_time

__all__ = ["FEATURE_FIELDS", "TELEMETRY_RANGES", "MachineTelemetry"]

TELEMETRY_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "vibration_rms": FieldRange(0, 200, "mm/s", "RMS vibration velocity."),
        "kurtosis": FieldRange(1, 1000, "", "Kurtosis of the vibration signal (impulsiveness)."),
        "crest_factor": FieldRange(1, 100, "", "Peak over RMS of the vibration signal."),
        "dominant_freq_hz": FieldRange(0, 50000, "Hz", "Frequency of the strongest peak."),
        "bearing_temp_c": FieldRange(-50, 250, "°C", "Bearing housing temperature."),
        "ambient_temp_c": FieldRange(-60, 70, "°C", "Ambient temperature near the asset."),
        "load_pct": FieldRange(0, 200, "%", "Load relative to the rated load."),
        "speed_rpm": FieldRange(0, 100000, "rpm", "Shaft speed."),
    }
)
"""Numeric sensor field name -> its plausible range, unit and meaning (in wire order)."""

FEATURE_FIELDS: tuple[str, ...] = tuple(TELEMETRY_RANGES)
"""The 8 numeric sensor fields, in wire order: the model's raw feature vector."""


@dataclass(frozen=True, slots=True)
class MachineTelemetry(WireRecord):
    """One reading of a rotating machine's condition sensors at event time ``ts``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = TELEMETRY_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id", "asset_class"})

    asset_id: str = field(metadata=doc("Asset identifier; the Kafka message key."))
    asset_class: str = field(metadata=doc("Asset class, e.g. a motor model; selects baselines."))
    ts: float = field(metadata=event_time("Event time of the reading, Unix seconds."))
    # The sensor fields below are documented (meaning, unit, range) in TELEMETRY_RANGES.
    vibration_rms: float
    kurtosis: float
    crest_factor: float
    dominant_freq_hz: float
    bearing_temp_c: float
    ambient_temp_c: float
    load_pct: float
    speed_rpm: float

    def features(self) -> tuple[float, ...]:
        """Return the numeric sensor values in ``FEATURE_FIELDS`` order."""
        return (
            self.vibration_rms,
            self.kurtosis,
            self.crest_factor,
            self.dominant_freq_hz,
            self.bearing_temp_c,
            self.ambient_temp_c,
            self.load_pct,
            self.speed_rpm,
        )

"""Predictions: the per-asset risk estimate the maintenance agent emits (topic ``predictions``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Self

from schemas.base import FieldRange, WireRecord, doc

__all__ = ["PREDICTION_RANGES", "FeatureEvidence", "Prediction"]

PREDICTION_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "anomaly_score": FieldRange(0, 1, "", "How unusual the asset's recent readings are."),
        "failure_probability": FieldRange(0, 1, "", "P(failure within horizon_h hours)."),
        "risk_score": FieldRange(
            0,
            1,
            "",
            "The score the failure-risk alert compares with its thresholds: "
            "failure_probability once the class model is ready, the asset's baseline "
            "deviation before (cold start); null from producers that do not send it.",
        ),
    }
)
"""Bounded numeric fields of :class:`Prediction`."""


@dataclass(frozen=True, slots=True)
class FeatureEvidence:
    """One feature's contribution to a score: its value against the asset's baseline."""

    name: str = field(metadata=doc("Feature name, e.g. vibration_rms."))
    value: float = field(metadata=doc("Current (smoothed) value."))
    baseline: float = field(metadata=doc("The asset's learned normal value."))
    z: float = field(metadata=doc("Deviation from the baseline in baseline standard deviations."))

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form (a plain object, no version: it is nested in records)."""
        return {"name": self.name, "value": self.value, "baseline": self.baseline, "z": self.z}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from the wire form produced by aiot (trusted input)."""
        return cls(data["name"], data["value"], data["baseline"], data["z"])


@dataclass(frozen=True, slots=True)
class Prediction(WireRecord):
    """The current failure-risk estimate of one asset, with the evidence behind it."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = PREDICTION_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id", "asset_class"})

    domain: str = field(metadata=doc("Producing domain: 'maintenance'."))
    asset_id: str = field(metadata=doc("Asset identifier; the Kafka message key."))
    asset_class: str = field(metadata=doc("Asset class."))
    ts: float = field(metadata=doc("Event time of the reading this prediction is based on."))
    emitted_at: float = field(metadata=doc("Wall-clock time the prediction was emitted."))
    anomaly_score: float = field(metadata=doc("How unusual the recent readings are, 0..1."))
    failure_probability: float = field(metadata=doc("P(failure within horizon_h hours), 0..1."))
    horizon_h: float = field(metadata=doc("Prediction horizon in hours."))
    time_to_failure_h: float | None = field(
        metadata=doc("Estimated hours to failure; null when no degradation trend is seen.")
    )
    top_features: tuple[FeatureEvidence, ...] = field(
        metadata=doc("The most deviating features, strongest first.")
    )
    model_version: str = field(metadata=doc("Version of the model that produced the scores."))
    risk_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form, with ``top_features`` as a list of objects."""
        out = WireRecord.to_dict(self)
        out["top_features"] = [evidence.to_dict() for evidence in self.top_features]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from the wire form produced by aiot (trusted input)."""
        values = dict(data)
        values["top_features"] = tuple(
            FeatureEvidence.from_dict(item) for item in data.get("top_features", ())
        )
        return super(Prediction, cls).from_dict(values)

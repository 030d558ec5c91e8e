"""The output of one :meth:`MotorFleet.advance` call: column arrays plus events, and encoders.

Readings stay as numpy columns (one element per reading, in time order) so analysis and
tests can work on them directly; the encoders turn them into Kafka ``(key, value)`` pairs
only when they are about to be sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.simulator.wire import SENSOR_FIELDS, WIRE_VERSION, encode

__all__ = ["SimBatch"]

_TELEMETRY_KEYS = ("v", "asset_id", "asset_class", "ts", *SENSOR_FIELDS)


@dataclass(slots=True)
class SimBatch:
    """Readings and events due in one ``(previous, until]`` span of simulated time.

    ``asset`` holds fleet indices into ``asset_ids``/``asset_classes``; ``ts`` and every
    array in ``columns`` (keyed by sensor field name) are aligned with it.
    """

    asset: np.ndarray
    ts: np.ndarray
    columns: dict[str, np.ndarray]
    asset_ids: np.ndarray
    asset_classes: np.ndarray
    maintenance: list[dict[str, Any]] = field(default_factory=list)
    ground_truth: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def concat(
        cls,
        parts: Sequence[SimBatch],
        asset_ids: np.ndarray,
        asset_classes: np.ndarray,
    ) -> SimBatch:
        """Join batches (in order) into one; an empty sequence gives an empty batch."""
        if not parts:
            empty = np.empty(0)
            return cls(
                asset=np.empty(0, dtype=np.intp),
                ts=empty,
                columns={name: empty for name in SENSOR_FIELDS},
                asset_ids=asset_ids,
                asset_classes=asset_classes,
            )
        if len(parts) == 1:
            return parts[0]
        return cls(
            asset=np.concatenate([p.asset for p in parts]),
            ts=np.concatenate([p.ts for p in parts]),
            columns={
                name: np.concatenate([p.columns[name] for p in parts]) for name in SENSOR_FIELDS
            },
            asset_ids=asset_ids,
            asset_classes=asset_classes,
            maintenance=[e for p in parts for e in p.maintenance],
            ground_truth=[e for p in parts for e in p.ground_truth],
        )

    def __len__(self) -> int:
        """Number of telemetry readings in the batch."""
        return int(self.ts.shape[0])

    def telemetry_records(self) -> Iterator[dict[str, Any]]:
        """Yield each reading as its telemetry wire dict."""
        ids = self.asset_ids[self.asset].tolist()
        classes = self.asset_classes[self.asset].tolist()
        values = [self.columns[name].tolist() for name in SENSOR_FIELDS]
        for row in zip(ids, classes, self.ts.tolist(), *values, strict=True):
            yield dict(zip(_TELEMETRY_KEYS, (WIRE_VERSION, *row), strict=True))

    def telemetry_messages(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, value)`` Kafka messages of the readings."""
        for record in self.telemetry_records():
            yield encode(record)

    def maintenance_messages(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, value)`` Kafka messages of the maintenance events."""
        for record in self.maintenance:
            yield encode(record)

    def ground_truth_messages(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, value)`` Kafka messages of the ground-truth events."""
        for record in self.ground_truth:
            yield encode(record)

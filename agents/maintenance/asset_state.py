"""One asset's whole maintenance state and its compact binary form (the table value).

The state is what the engine needs to continue an asset after a restart without a cold start:
its feature tracker (baseline, levels, trends), its anomaly detector (per-feature tails and
the joint model of the channels), the feature snapshots awaiting a delayed label, its alert
lifecycle, the open alert awaiting a verdict and whether a derate command is standing (so a
restart or a rebalance neither repeats nor forgets it). Encoded as a small header plus
length-prefixed sections, it stays under 4 KB (see the tests and ``make bench``), so 100k
assets fit in a few hundred MB of table store.

A value of another format version raises :class:`StateFormatError` (the engine then starts the
asset fresh, logged); versions are never guessed, since two different layouts were once both
numbered 3.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from agents.maintenance.config import ALERT_TYPE, MaintenanceConfig
from app.core.alerting import AlertState
from app.core.models.anomaly import AnomalyDetector
from app.core.models.features import FeatureTracker
from app.core.models.labels import SnapshotBuffer

__all__ = ["AssetState", "StateFormatError"]

_HEADER = struct.Struct("<BHHHHHddIB")
_VERSION = 4
"""2: the anomaly detector state grew (anomaly-tails-7); 3 meant either of two formats (the
derate flag in the header, or the detector's joint model, anomaly-joint-8); 4 holds both."""


class StateFormatError(ValueError):
    """A table value could not be decoded as an :class:`AssetState`."""


@dataclass(slots=True)
class AssetState:
    """Everything the engine keeps per asset.

    Attributes:
        asset_class: the class whose shared models score this asset.
        tracker: rolling features against the asset's own baseline.
        detector: the asset's online anomaly detector.
        snapshots: model inputs awaiting a delayed label (failure or horizon passed).
        alert: lifecycle of the asset's failure-risk alert.
        open_alert_ts: event time of a raised alert not yet judged (a failure within the
            horizon makes it a true positive, else it becomes a false positive); NaN if none.
        readings: readings since the last prediction record.
        derated: a derate command was issued and the failure probability has not yet fallen
            back below the re-arm level (one command per crossing).
    """

    asset_class: str
    tracker: FeatureTracker
    detector: AnomalyDetector
    snapshots: SnapshotBuffer
    alert: AlertState
    open_alert_ts: float = math.nan
    last_failure_ts: float = math.nan
    readings: int = 0
    derated: bool = False

    @classmethod
    def new(cls, asset_class: str, config: MaintenanceConfig) -> AssetState:
        """A fresh state for an asset seen for the first time (or just repaired)."""
        return cls(
            asset_class=asset_class,
            tracker=config.new_tracker(),
            detector=config.new_detector(),
            snapshots=config.new_snapshots(),
            alert=AlertState(),
        )

    def reset_condition(self, config: MaintenanceConfig) -> None:
        """Forget the learned condition after a repair: new part, new baseline, re-armed
        derate."""
        self.tracker.reset()
        self.detector = config.new_detector()
        self.snapshots = config.new_snapshots()
        self.derated = False

    def alerts(self) -> Mapping[str, AlertState]:
        """The asset's alert lifecycle states by alert type."""
        return {ALERT_TYPE: self.alert}

    def to_bytes(self) -> bytes:
        """Encode the state for the table."""
        cls_b = self.asset_class.encode()
        parts = (
            self.tracker.to_bytes(),
            self.detector.to_bytes(),
            self.snapshots.to_bytes(),
            self.alert.to_bytes(),
        )
        header = _HEADER.pack(
            _VERSION,
            len(cls_b),
            *(len(p) for p in parts),
            self.open_alert_ts,
            self.last_failure_ts,
            self.readings,
            self.derated,
        )
        return b"".join((header, cls_b, *parts))

    @classmethod
    def from_bytes(cls, data: bytes, config: MaintenanceConfig) -> AssetState:
        """Decode a table value written by :meth:`to_bytes`."""
        try:
            version, n_cls, n_tr, n_det, n_snap, n_alert, open_ts, fail_ts, readings, derated = (
                _HEADER.unpack_from(data)
            )
        except struct.error as exc:
            raise StateFormatError(f"asset state header unreadable: {exc}") from exc
        if version != _VERSION:
            raise StateFormatError(f"asset state version {version} is not {_VERSION}")
        pos = _HEADER.size
        view = memoryview(data)
        sections = []
        for size in (n_cls, n_tr, n_det, n_snap, n_alert):
            sections.append(bytes(view[pos : pos + size]))
            pos += size
        if pos != len(data):
            raise StateFormatError(f"asset state has {len(data)} bytes, header says {pos}")
        cls_b, tr_b, det_b, snap_b, alert_b = sections
        return cls(
            asset_class=cls_b.decode(),
            tracker=FeatureTracker.from_bytes(tr_b, config.n_channels, config.features),
            detector=AnomalyDetector.from_bytes(det_b, config.channels, config.anomaly),
            snapshots=config.snapshots_from_bytes(snap_b),
            alert=AlertState.from_bytes(alert_b),
            open_alert_ts=open_ts,
            last_failure_ts=fail_ts,
            readings=readings,
            derated=bool(derated),
        )

"""Maintenance events: failures, repairs and inspections of an asset (topic ``maintenance``).

They are the delayed labels of predictive maintenance: a failure labels the asset's recent
feature snapshots as positives, a repair resets its degradation state. An inspection may carry
its ``outcome`` (``fault_confirmed``, ``no_fault_found``), e.g. recorded on an alarm in the
operations console: a confirmed fault labels like a failure, a fault not found judges the
asset's open alert a false one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Literal

from schemas.alert import InspectionOutcome
from schemas.base import WireRecord, doc
from schemas.timestamps import event_time

__all__ = ["MAINTENANCE_KINDS", "MaintenanceEvent", "MaintenanceKind", "MaintenanceKindName"]

MaintenanceKindName = Literal["failure", "repair", "inspection"]
"""The wire values of :class:`MaintenanceKind` as a type."""


class MaintenanceKind(StrEnum):
    """What happened to the asset."""

    FAILURE = "failure"
    REPAIR = "repair"
    INSPECTION = "inspection"


MAINTENANCE_KINDS: tuple[str, ...] = tuple(kind.value for kind in MaintenanceKind)
"""Accepted values of ``MaintenanceEvent.kind``."""


@dataclass(frozen=True, slots=True)
class MaintenanceEvent(WireRecord):
    """A failure, repair or inspection of an asset at event time ``ts``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"event_id", "asset_id", "asset_class"})

    event_id: str = field(metadata=doc("Unique id of this event (deduplication)."))
    asset_id: str = field(metadata=doc("Asset identifier; the Kafka message key."))
    asset_class: str = field(metadata=doc("Asset class, e.g. a motor model."))
    ts: float = field(metadata=event_time("Event time, Unix seconds."))
    kind: MaintenanceKindName = field(metadata=doc("What happened."))
    component: str | None = field(default=None, metadata=doc("Component concerned, if known."))
    note: str | None = field(default=None, metadata=doc("Free-text technician note."))
    outcome: InspectionOutcome | None = field(
        default=None,
        metadata=doc("What an inspection found: fault_confirmed or no_fault_found (else null)."),
    )

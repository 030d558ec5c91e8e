"""Simulator ground truth: what the simulator really did, for scoring detection runs.

Never consumed by the agents (that would leak the answer); only by scoring tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from schemas.base import WireRecord, doc

__all__ = ["GroundTruthEvent"]


@dataclass(frozen=True, slots=True)
class GroundTruthEvent(WireRecord):
    """One scheduled or injected event of the simulation, e.g. a failure precursor starting."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id"})

    domain: str = field(metadata=doc("Simulated domain, e.g. 'maintenance'."))
    asset_id: str = field(metadata=doc("Asset the event concerns."))
    kind: str = field(
        metadata=doc("e.g. 'precursor_start', 'failure', 'repair', 'disturbance_start'.")
    )
    ts: float = field(metadata=doc("Simulated event time, Unix seconds."))
    episode_id: str = field(metadata=doc("Groups the events of one episode (precursor..repair)."))
    detail: dict[str, Any] = field(
        default_factory=dict, metadata=doc("Kind-specific parameters, e.g. the failure mode.")
    )

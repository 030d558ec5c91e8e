"""One step of an alert's life as emitted on the Alert topic: :class:`AlertTransition`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.alerting.evidence import Evidence
from app.core.alerting.severity import Severity

__all__ = ["RECORD_VERSION", "AlertTransition", "TransitionState"]

RECORD_VERSION = 1


class TransitionState(StrEnum):
    """Which step of the lifecycle a transition records."""

    RAISED = "raised"
    UPDATED = "updated"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """A raised, updated or cleared alert; all transitions of one episode share ``alert_id``.

    ``ts`` is the event time of the transition and ``first_ts`` the start of the episode.
    ``threshold`` is the raise threshold for raised/updated and the clear threshold for cleared,
    i.e. the one the score was compared against.
    """

    alert_id: str
    domain: str
    alert_type: str
    asset_id: str
    severity: Severity
    state: TransitionState
    ts: float
    first_ts: float
    score: float
    threshold: float
    message: str
    evidence: Evidence

    def to_record(self) -> dict[str, Any]:
        """Return the Alert topic record (wire version ``v`` = 1) as plain JSON-able data."""
        return {
            "v": RECORD_VERSION,
            "alert_id": self.alert_id,
            "domain": self.domain,
            "alert_type": self.alert_type,
            "asset_id": self.asset_id,
            "severity": self.severity.value,
            "state": self.state.value,
            "ts": self.ts,
            "first_ts": self.first_ts,
            "score": self.score,
            "threshold": self.threshold,
            "message": self.message,
            "evidence": self.evidence.to_dict(),
        }

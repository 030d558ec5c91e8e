"""One step of an alert's life, and the one way it becomes a record on the alerts topic.

Every domain's alerts go through :meth:`AlertTransition.to_alert` (the typed
:class:`schemas.Alert`) and :func:`alert_output` (the engine output keyed by the entity), so
alerts of all domains share one record type, one severity vocabulary and one key rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.alerting.evidence import Evidence
from app.core.alerting.severity import Severity
from app.core.records import Output
from schemas.alert import Alert

__all__ = ["ALERTS", "AlertTransition", "TransitionState", "alert_output"]

ALERTS = "alerts"
"""Logical output of every domain's alerts."""


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

    def to_alert(self) -> Alert:
        """The alerts-topic record of this transition."""
        return Alert(
            alert_id=self.alert_id,
            domain=self.domain,
            alert_type=self.alert_type,
            asset_id=self.asset_id,
            severity=self.severity.value,
            state=self.state.value,
            ts=self.ts,
            first_ts=self.first_ts,
            score=self.score,
            threshold=self.threshold,
            message=self.message,
            evidence=self.evidence.to_dict(),
        )


def alert_output(transition: AlertTransition) -> Output:
    """The engine output of ``transition``: its alert record keyed by the alerted entity."""
    return Output(ALERTS, transition.asset_id, transition.to_alert())

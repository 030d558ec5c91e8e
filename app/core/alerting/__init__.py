"""Alert lifecycle shared by every aiot domain: policies, compact state, transitions.

Plain Python, no Kafka: stream agents call :func:`evaluate` (score-driven) or
:func:`raise_event` / :func:`clear_event` (discrete) per event with the asset's
:class:`AlertState`, and publish ``transition.to_record()`` on the Alert topic when a
transition is returned.
"""

from app.core.alerting.evidence import Evidence, FeatureEvidence
from app.core.alerting.ids import alert_id
from app.core.alerting.lifecycle import EvidenceSource, clear_event, evaluate, raise_event
from app.core.alerting.messages import format_duration, transition_message
from app.core.alerting.policy import AlertPolicy
from app.core.alerting.severity import Severity
from app.core.alerting.state import AlertState
from app.core.alerting.transition import RECORD_VERSION, AlertTransition, TransitionState

__all__ = [
    "RECORD_VERSION",
    "AlertPolicy",
    "AlertState",
    "AlertTransition",
    "Evidence",
    "EvidenceSource",
    "FeatureEvidence",
    "Severity",
    "TransitionState",
    "alert_id",
    "clear_event",
    "evaluate",
    "format_duration",
    "raise_event",
    "transition_message",
]

"""Alert lifecycle shared by every aiot domain: policies, compact state, transitions.

Plain Python, no Kafka: domain engines call :func:`evaluate` (score-driven) or
:func:`raise_event` / :func:`clear_event` (discrete) per event with the entity's
:class:`AlertState`, and return :func:`alert_output` of the transition when one is returned -
the one alert record (:class:`schemas.Alert`) of every domain.
"""

from app.core.alerting.evidence import Evidence, FeatureEvidence
from app.core.alerting.ids import alert_id
from app.core.alerting.lifecycle import EvidenceSource, clear_event, evaluate, raise_event
from app.core.alerting.messages import format_duration, transition_message
from app.core.alerting.policy import AlertPolicy
from app.core.alerting.severity import Severity
from app.core.alerting.state import AlertState
from app.core.alerting.transition import ALERTS, AlertTransition, TransitionState, alert_output

__all__ = [
    "ALERTS",
    "AlertPolicy",
    "AlertState",
    "AlertTransition",
    "Evidence",
    "EvidenceSource",
    "FeatureEvidence",
    "Severity",
    "TransitionState",
    "alert_id",
    "alert_output",
    "clear_event",
    "evaluate",
    "format_duration",
    "raise_event",
    "transition_message",
]

"""Alert lifecycle shared by every aiot domain: policies, compact state, transitions.

Plain Python, no Kafka: stream agents call :func:`evaluate` (score-driven) or
:func:`raise_event` / :func:`clear_event` (discrete) per event with the asset's
:class:`AlertState`, and publish ``transition.to_record()`` on the Alert topic when a
transition is returned.
"""

from alerting.evidence import Evidence, FeatureEvidence
from alerting.ids import alert_id
from alerting.lifecycle import EvidenceSource, clear_event, evaluate, raise_event
from alerting.messages import format_duration, transition_message
from alerting.policy import AlertPolicy
from alerting.severity import Severity
from alerting.state import AlertState
from alerting.transition import RECORD_VERSION, AlertTransition, TransitionState

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

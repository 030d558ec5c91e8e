"""Alerts: state transitions of an alert episode, from every domain (topic ``alerts``).

An episode is raised once, may be updated while it lasts and is cleared once; all transitions
share ``alert_id`` and ``first_ts``. These three *condition* transitions come from the domain
engines. The alarm agent adds the *alarm-handling* transitions of the same episode (ISA-18.2,
:mod:`agents.alarms.alarm`): ``acknowledged``, ``shelved``, ``unshelved``, ``escalated``, ``noted``
and ``inspected``, each with a deterministic ``transition_id``, who acted (``by``) and the
facts of the action (``note``, ``shelved_until``, ``outcome``, ``level``). Those fields are
null on condition transitions.

``evidence`` is free-form per domain but always follows these conventions:

* ``top_features``: list of :class:`~schemas.prediction.FeatureEvidence` objects
  (``{"name", "value", "baseline", "z"}``), strongest first;
* ``model_version``: version of the model whose score crossed the threshold;
* further keys specific to the domain (e.g. ``failure_probability``, ``time_to_failure_h``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

from schemas.base import WireRecord, doc

__all__ = [
    "ALERT_STATES",
    "CONDITION_STATES",
    "INSPECTION_OUTCOMES",
    "SEVERITIES",
    "Alert",
    "AlertState",
    "InspectionOutcome",
    "Severity",
]

Severity = Literal["info", "warning", "critical"]
"""How urgently a human should look."""

AlertState = Literal[
    "raised",
    "updated",
    "cleared",
    "acknowledged",
    "shelved",
    "unshelved",
    "escalated",
    "noted",
    "inspected",
]
"""Which transition of the episode this record announces (condition or alarm handling)."""

InspectionOutcome = Literal["fault_confirmed", "no_fault_found"]
"""What an inspection prompted by an alarm found."""

SEVERITIES: tuple[str, ...] = get_args(Severity)
ALERT_STATES: tuple[str, ...] = get_args(AlertState)
CONDITION_STATES: tuple[str, ...] = ALERT_STATES[:3]
"""The transitions of the alerted condition itself, written by the domain engines."""
INSPECTION_OUTCOMES: tuple[str, ...] = get_args(InspectionOutcome)


@dataclass(frozen=True, slots=True)
class Alert(WireRecord):
    """One transition (raised, updated, cleared) of an alert episode on an asset."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id"})

    alert_id: str = field(metadata=doc("Id of the alert episode, shared by its transitions."))
    domain: str = field(metadata=doc("Producing domain, e.g. 'maintenance'."))
    alert_type: str = field(metadata=doc("What is alerted on, e.g. 'failure_risk'."))
    asset_id: str = field(metadata=doc("Asset identifier; the Kafka message key."))
    severity: Severity = field(metadata=doc("How urgently a human should look."))
    state: AlertState = field(metadata=doc("Which transition of the episode this is."))
    ts: float = field(metadata=doc("Event time of this transition, Unix seconds."))
    first_ts: float = field(metadata=doc("Event time the episode started, Unix seconds."))
    score: float = field(metadata=doc("The score compared with the threshold."))
    threshold: float = field(metadata=doc("The threshold in force for this transition."))
    message: str = field(metadata=doc("Human-readable summary."))
    evidence: dict[str, Any] = field(
        metadata=doc("Supporting data: top_features, model_version, domain-specific keys.")
    )
    transition_id: str | None = field(
        default=None,
        metadata=doc("Deterministic id of an alarm-handling transition; null on condition ones."),
    )
    by: str | None = field(
        default=None, metadata=doc("Who acted: the operator, or 'aiot' for timer transitions.")
    )
    note: str | None = field(default=None, metadata=doc("Operator's note (noted, inspected)."))
    shelved_until: float | None = field(
        default=None, metadata=doc("Wall-clock end of the shelving, Unix seconds (shelved).")
    )
    outcome: InspectionOutcome | None = field(
        default=None, metadata=doc("Inspection outcome (inspected).")
    )
    level: int | None = field(
        default=None, metadata=doc("Escalation level reached, from 1 (escalated).")
    )

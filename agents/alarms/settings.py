"""Settings of alarm handling: the operator-action topic, escalation and alarm-load figures.

A section of the one settings object (:class:`app.settings.Settings`), declared here so the
domain owns its knobs; each field is read from ``AIOT_<FIELD NAME IN CAPS>``. The figures'
settings (flood, standing alarms) are read by the operations console, which computes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import setting

__all__ = ["AlarmSettings"]


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    """Topics, escalation policy and alarm-management figures of the alarms domain."""

    topic_alert_acks: str = setting(
        "aiot.alerts.acks.v1",
        "Operator actions on alarms (acknowledge, shelve, note, inspection outcome) with who "
        "and when (key: the alert's asset).",
    )
    topic_alarm_labels: str = setting(
        "aiot.machine.maintenance.v1",
        "Where inspection outcomes of maintenance alarms go as delayed labels: the maintenance "
        "events topic (keep it equal to AIOT_TOPIC_MAINTENANCE).",
    )
    alarm_escalate_after_s: float = setting(
        300.0,
        "Wall-clock seconds an unacknowledged critical alarm waits before it re-notifies and "
        "escalates one level (and again after each further period).",
    )
    alarm_max_escalations: int = setting(
        3, "Escalation levels an alarm reaches at most (re-notifications stop after it)."
    )
    alarm_flood_per_10min: int = setting(
        10, "More alarms than this in 10 minutes is an alarm flood (ISA-18.2 / EEMUA 191)."
    )
    alarm_stale_after_h: float = setting(
        24.0, "An alarm still active this many hours after it was raised is a standing alarm."
    )

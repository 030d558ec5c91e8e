"""Automated reactions on the workers' wearables: haptic warnings and the man-down alarm.

Commands go to the ``commands`` topic keyed by the wearable's device id (the edge gateway of
the site relays them to ``site/<site>/device/<device>/command``); when the device id is not
known the worker's pseudonym is the target. Ids are deterministic (who, what, which trigger),
so a replay after a crash produces the same command id and the wearable deduplicates.
Commands carry pseudonyms and derived facts only.
"""

from __future__ import annotations

from app.core import Output
from schemas.command import Command, command_id

__all__ = ["SOURCE", "command_output", "haptic_warning", "man_down_alarm"]

SOURCE = "safety"

HAPTIC_PATTERNS: dict[str, tuple[float, float]] = {
    "fatigue": (2.0, 400.0),
    "cluster": (3.0, 250.0),
    "fall_check": (4.0, 600.0),
}
"""Kind of warning -> (pulses, pulse length in ms) of the vibration pattern."""


def haptic_warning(
    kind: str,
    *,
    worker: str,
    device: str,
    site: str,
    reason: str,
    trigger_ts: float,
    now: float,
) -> Command:
    """A haptic warning (``notify`` with a vibration pattern) for one worker's wearable."""
    pulses, pulse_ms = HAPTIC_PATTERNS[kind]
    target = device or worker
    return Command(
        command_id=command_id(f"{SOURCE}:{kind}", target, "notify", trigger_ts),
        asset_id=target,
        action="notify",
        reason=f"haptic warning ({kind}) for worker {worker}: {reason}",
        source=SOURCE,
        trigger_ts=trigger_ts,
        issued_at=now,
        site=site or None,
        params={"haptic_pulses": pulses, "haptic_pulse_ms": pulse_ms},
    )


def man_down_alarm(
    *, worker: str, device: str, site: str, reason: str, trigger_ts: float, now: float
) -> Command:
    """The wearable's audible alarm (and the site alarm through the edge) for a worker down."""
    target = device or worker
    return Command(
        command_id=command_id(f"{SOURCE}:man_down", target, "alarm", trigger_ts),
        asset_id=target,
        action="alarm",
        reason=f"man-down of worker {worker}: {reason}",
        source=SOURCE,
        trigger_ts=trigger_ts,
        issued_at=now,
        site=site or None,
    )


def command_output(command: Command) -> Output:
    """The commands-topic output of ``command``, keyed by its target device."""
    return Output("commands", command.asset_id, command)

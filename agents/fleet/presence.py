"""Geofence presence of a vehicle: entered / left / dwell events and the restricted-zone alert.

The vehicle's state lists the fences it is inside (:class:`PresenceEntry`, at most
:data:`MAX_INSIDE`). Each fix compares them with the fences containing it: a fence left gives a
``left`` event with the time spent inside, a new one an ``entered`` event, and a stay past the
fence's ``max_dwell_s`` one ``dwell`` event. Entering a restricted zone raises the
``restricted_zone_entry`` alert at once; leaving it clears the alert.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.fleet.config import DOMAIN, RESTRICTED
from agents.fleet.kinds import FenceEvent, FenceKind
from agents.fleet.outputs import alert_outputs, geofence_output
from agents.fleet.vehicle_state import PresenceEntry
from app.core import Output
from app.core.alerting import (
    AlertPolicy,
    AlertState,
    Evidence,
    Severity,
    clear_event,
    raise_event,
)
from schemas.vehicle import Geofence, VehicleTelemetry

__all__ = ["MAX_INSIDE", "RESTRICTED_POLICY", "update_presence"]

MAX_INSIDE = 8
"""Fences a vehicle is followed inside at once (bounds the state)."""

RESTRICTED_POLICY = AlertPolicy(
    alert_type=RESTRICTED,
    domain=DOMAIN,
    raise_threshold=0.5,
    clear_threshold=0.1,
    min_duration_s=0.0,
    cooldown_s=0.0,
    severities=((0.5, Severity.CRITICAL),),
)
"""A restricted-zone entry is critical at once and never suppressed."""


def update_presence(
    inside: list[PresenceEntry],
    fix: VehicleTelemetry,
    fences: Sequence[Geofence],
    alert: AlertState,
) -> tuple[list[PresenceEntry], list[Output]]:
    """The fences the vehicle is inside after ``fix``, and the events and alerts it gives.

    ``inside`` is the vehicle's presence before the fix, ``fences`` the geofences containing
    the fix and ``alert`` the vehicle's restricted-zone alert lifecycle (updated in place).
    """
    outputs: list[Output] = []
    here = {f.geofence_id: f for f in fences}
    kept: list[PresenceEntry] = []
    for entry in inside:
        fence = here.get(entry.geofence_id)
        if fence is not None:
            dwell = fix.ts - entry.enter_ts
            if (
                fence.max_dwell_s is not None
                and not entry.dwell_sent
                and dwell >= fence.max_dwell_s
            ):
                entry.dwell_sent = True
                outputs.append(geofence_output(fix, entry, FenceEvent.DWELL, dwell))
            kept.append(entry)
            continue
        outputs.append(geofence_output(fix, entry, FenceEvent.LEFT, fix.ts - entry.enter_ts))
        if entry.kind == FenceKind.RESTRICTED:
            transition = clear_event(
                RESTRICTED_POLICY,
                alert,
                asset_id=fix.vehicle_id,
                ts=fix.ts,
                detail=f"left {entry.geofence_id}",
            )
            outputs.extend(alert_outputs(transition))
    known = {entry.geofence_id for entry in kept}
    for gid, fence in here.items():
        if gid in known or len(kept) >= MAX_INSIDE:
            continue
        entry = PresenceEntry(gid, FenceKind(fence.kind), fix.ts)
        kept.append(entry)
        outputs.append(geofence_output(fix, entry, FenceEvent.ENTERED, 0.0))
        if entry.kind == FenceKind.RESTRICTED:
            evidence = Evidence(
                top_features=(),
                score=1.0,
                threshold=RESTRICTED_POLICY.raise_threshold,
                model_version="geofence",
                extra={"geofence_id": gid, "lat": fix.lat, "lon": fix.lon},
            )
            transition = raise_event(
                RESTRICTED_POLICY,
                alert,
                asset_id=fix.vehicle_id,
                ts=fix.ts,
                evidence=evidence,
                detail=f"entered {gid}",
            )
            outputs.extend(alert_outputs(transition))
    return kept, outputs

"""The records the fleet engine emits: episodes, geofence events, alerts and commands.

Building them is kept apart from the engine's state machine: each function turns a decision
into the typed :class:`~app.core.records.Output` that carries it to its topic, keyed by the
vehicle (alerts go through :func:`app.core.alerting.alert_output` like every domain's).
"""

from __future__ import annotations

from hashlib import blake2b
from typing import cast

from agents.fleet.classifier import Classification
from agents.fleet.config import DOMAIN
from agents.fleet.episode import EpisodeRecord, OpenEpisode
from agents.fleet.kinds import FenceEvent, Status
from agents.fleet.vehicle_state import PresenceEntry
from app.core import Output
from app.core.alerting import AlertTransition, Evidence, FeatureEvidence, alert_output
from schemas.command import Command, command_id
from schemas.vehicle import (
    EpisodeClass,
    EpisodeStatus,
    FleetEpisode,
    GeofenceEvent,
    GeofenceKind,
    GeofenceTransition,
    VehicleTelemetry,
)

__all__ = [
    "alert_outputs",
    "closed_episode_output",
    "episode_id",
    "geofence_output",
    "immobilizer_request",
    "notify_command",
    "ongoing_episode_output",
    "unauthorized_evidence",
]

_INDICATOR_FEATURE = {
    "stop_unknown": "stop_unknown_min",
    "long_stop_unknown": "stop_unknown_min",
    "stop_known": "stop_known_min",
    "restricted": "restricted",
    "unassigned": "unassigned_frac",
    "unusual_hour": "unusual_hour_frac",
    "detour_shape": "rejoin_km",
    "detour_with_area": "area_vehicles",
    "far_off": "max_off_corridor_m",
}


def episode_id(vehicle_id: str, start_ts: float) -> str:
    """Deterministic id of a vehicle's episode (replays give the same id)."""
    key = f"{vehicle_id}\x1f{round(start_ts * 1000)}"
    return blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _episode_output(
    vehicle_id: str,
    verdict: Classification,
    *,
    episode_id: str,
    start_ts: float,
    end_ts: float | None,
    status: Status,
    features: dict[str, float],
    route_id: str | None,
    area_id: str | None,
    revision: int,
) -> Output:
    """One publication of an episode with its classification."""
    record = FleetEpisode(
        episode_id=episode_id,
        vehicle_id=vehicle_id,
        start_ts=start_ts,
        end_ts=end_ts,
        status=cast(EpisodeStatus, status.value),
        label=cast(EpisodeClass, verdict.label.value),
        confidence=round(verdict.confidence, 4),
        probabilities=verdict.probabilities,
        reasons=verdict.reasons,
        features=dict(features),
        max_off_corridor_m=features.get("max_off_corridor_m", 0.0),
        area_id=area_id,
        route_id=route_id,
        revision=revision,
        model_version=verdict.model_version,
    )
    return Output("episodes", vehicle_id, record)


def ongoing_episode_output(
    vehicle_id: str, episode: OpenEpisode, verdict: Classification, features: dict[str, float]
) -> Output:
    """The publication of the open episode classified so far (no end, no area yet)."""
    return _episode_output(
        vehicle_id,
        verdict,
        episode_id=episode_id(vehicle_id, episode.start_ts),
        start_ts=episode.start_ts,
        end_ts=None,
        status=Status.ONGOING,
        features=features,
        route_id=episode.route_id,
        area_id=None,
        revision=episode.revision,
    )


def closed_episode_output(
    vehicle_id: str, record: EpisodeRecord, verdict: Classification
) -> Output:
    """The publication of a closed episode kept in the vehicle's state."""
    return _episode_output(
        vehicle_id,
        verdict,
        episode_id=record.episode_id,
        start_ts=record.start_ts,
        end_ts=record.end_ts,
        status=record.status,
        features=record.features,
        route_id=record.route_id,
        area_id=record.area_id,
        revision=record.revision,
    )


def geofence_output(
    fix: VehicleTelemetry, entry: PresenceEntry, event: FenceEvent, dwell_s: float
) -> Output:
    """A vehicle's geofence event: ``event`` for the fence of ``entry`` at ``fix``."""
    record = GeofenceEvent(
        fix.vehicle_id,
        entry.geofence_id,
        cast(GeofenceKind, entry.kind.value),
        cast(GeofenceTransition, event.value),
        fix.ts,
        round(dwell_s, 1),
        fix.lat,
        fix.lon,
    )
    return Output("geofence_events", fix.vehicle_id, record)


def alert_outputs(transition: AlertTransition | None) -> list[Output]:
    """The alert record of a lifecycle transition, if any."""
    return [] if transition is None else [alert_output(transition)]


def unauthorized_evidence(
    eid: str, verdict: Classification, features: dict[str, float], threshold: float
) -> Evidence:
    """Evidence of an unauthorized-use alert: the indicators that decided, reasons, odds."""
    top = tuple(
        FeatureEvidence(
            name=name,
            value=float(features.get(_INDICATOR_FEATURE.get(name, name), 0.0)),
            baseline=0.0,
            z=round(push, 3),
        )
        for name, push in verdict.contributions
    )
    return Evidence(
        top_features=top,
        score=verdict.confidence,
        threshold=threshold,
        model_version=verdict.model_version,
        extra={
            "episode_id": eid,
            "reasons": list(verdict.reasons),
            "probabilities": dict(verdict.probabilities),
        },
    )


def notify_command(vid: str, ts: float, verdict: Classification, now: float) -> Output:
    """Tell the dispatcher about a likely unauthorized use."""
    command = Command(
        command_id=command_id(DOMAIN, vid, "notify", ts),
        asset_id=vid,
        action="notify",
        reason=f"possible unauthorized use ({verdict.confidence:.0%}): "
        + "; ".join(verdict.reasons),
        source=DOMAIN,
        trigger_ts=ts,
        issued_at=now,
        params={"confidence": round(verdict.confidence, 4)},
    )
    return Output("commands", vid, command)


def immobilizer_request(
    fix: VehicleTelemetry, eid: str, verdict: Classification, now: float
) -> Output:
    """A request to the dispatcher to confirm immobilisation - never an immobilisation."""
    source = f"{DOMAIN}.immobilizer"
    command = Command(
        command_id=command_id(source, fix.vehicle_id, "notify", fix.ts),
        asset_id=fix.vehicle_id,
        action="notify",
        reason=(
            f"confirm immobilizer for {fix.vehicle_id}? unauthorized use "
            f"{verdict.confidence:.0%} likely, vehicle moving (episode {eid})"
        ),
        source=source,
        trigger_ts=fix.ts,
        issued_at=now,
        params={"immobilizer_confirmation_requested": 1.0, "confidence": verdict.confidence},
    )
    return Output("commands", fix.vehicle_id, command)

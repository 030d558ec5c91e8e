"""The unauthorized-use alert of a vehicle and the dispatcher requests that go with it.

A confident ``unauthorized`` classification - while the episode runs or when it closes - raises
the ``unauthorized_use`` alert through :mod:`app.core.alerting` and, on the raise, a ``notify``
command to the dispatcher; a strong one (no assignment, or a restricted zone) on a moving
vehicle also asks the dispatcher to confirm immobilisation, once per episode (a request -
nothing is ever executed silently). The alert clears once the vehicle has been back to its
usual behaviour for ``alert_clear_after_s`` of event time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agents.fleet.classifier import Classification
from agents.fleet.config import DOMAIN, UNAUTHORIZED, FleetConfig
from agents.fleet.episode import OpenEpisode
from agents.fleet.kinds import Label
from agents.fleet.outputs import (
    alert_outputs,
    immobilizer_request,
    notify_command,
    unauthorized_evidence,
)
from agents.fleet.vehicle_state import VehicleState
from app.core import Output
from app.core.alerting import AlertPolicy, Severity, clear_event, raise_event
from schemas.vehicle import VehicleTelemetry

__all__ = ["UnauthorizedAlert"]


class UnauthorizedAlert:
    """Raises and clears a vehicle's unauthorized-use alert (see the module docstring)."""

    def __init__(self, config: FleetConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.policy = AlertPolicy(
            alert_type=UNAUTHORIZED,
            domain=DOMAIN,
            raise_threshold=config.alert_confidence,
            clear_threshold=min(0.3, config.alert_confidence / 2),
            min_duration_s=0.0,
            cooldown_s=0.0,
            severities=(
                (config.alert_confidence, Severity.WARNING),
                (0.85, Severity.CRITICAL),
            ),
        )

    def confident(self, verdict: Classification) -> bool:
        """Whether ``verdict`` is an unauthorized use confident enough to alert."""
        return (
            verdict.label == Label.UNAUTHORIZED
            and verdict.confidence >= self.config.alert_confidence
        )

    def raise_for(
        self, state: VehicleState, vehicle_id: str, ts: float, eid: str, verdict: Classification
    ) -> list[Output]:
        """Raise (or update) the alert for episode ``eid``; notify the dispatcher on a raise."""
        features = {} if state.open is None else state.open.features(ts)
        for record in state.recent:
            if record.episode_id == eid:
                features = record.features
        threshold = self.policy.raise_threshold
        transition = raise_event(
            self.policy,
            state.unauthorized_alert,
            asset_id=vehicle_id,
            ts=ts,
            score=verdict.confidence,
            evidence=lambda: unauthorized_evidence(eid, verdict, features, threshold),
            detail="; ".join(verdict.reasons),
        )
        outputs = alert_outputs(transition)
        if transition is not None and transition.state.value == "raised":
            outputs.append(notify_command(vehicle_id, ts, verdict, self.clock()))
        return outputs

    def ask_immobilizer(
        self,
        episode: OpenEpisode,
        fix: VehicleTelemetry,
        eid: str,
        verdict: Classification,
        features: dict[str, float],
    ) -> list[Output]:
        """Ask once per episode to confirm immobilisation of a moving, clearly unauthorized use."""
        strong = features["unassigned_frac"] >= 0.5 or features["restricted"] > 0
        if (
            strong
            and not episode.immobilizer_asked
            and verdict.confidence >= self.config.immobilizer_confidence
            and fix.ignition
        ):
            episode.immobilizer_asked = True
            return [immobilizer_request(fix, eid, verdict, self.clock())]
        return []

    def clear_when_back(self, state: VehicleState, fix: VehicleTelemetry) -> list[Output]:
        """Clear the alert once the vehicle is back to normal for a while."""
        if not state.unauthorized_alert.active or state.open is not None:
            return []
        until = state.unauthorized_until
        if until is None or fix.ts < until:
            return []
        transition = clear_event(
            self.policy,
            state.unauthorized_alert,
            asset_id=fix.vehicle_id,
            ts=fix.ts,
            detail="vehicle back to its usual behaviour",
        )
        return alert_outputs(transition)

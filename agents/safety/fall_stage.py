"""Two-stage man-down of wearables whose motion the edge computes from raw IMU samples.

1. **fall_suspected**: an impact reading (the edge's features around an impact, sent at a few
   ages of it) whose P(fall) from the fall model (:mod:`agents.safety.fall_model`) reaches the
   threshold raises a ``fall_suspected`` alert (warning) with its evidence - probability,
   threshold, model version, the inputs that pushed it most, the impact and where - and a
   haptic check on the wearable; the worker's man-down detector is armed at the impact's time.
   While a suspicion is open, further impact readings are not scored.
2. **man_down**: the summary windows that start after the impact either show a recovery -
   walking again, or an upright posture when the wearable reports one - which clears the
   suspicion (and a man-down, if raised), or none for ``fall_confirm_s`` seconds after the
   impact: then the man-down is confirmed (:func:`follow_fall` returns ``DOWN``; the engine
   raises the critical alert and the alarm).

A wearable that goes silent during a suspicion is reported down by the worker engine's
signal-lost timer, as after an impact. Timing is event time throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.safety.commands import haptic_warning
from agents.safety.config import FALL_SUSPECTED, SafetyConfig
from agents.safety.fall_model import FallModel, impact_inputs
from agents.safety.man_down import ManDownDetector, ManDownStep
from agents.safety.worker_state import WorkerState
from app.core.alerting import AlertTransition, Evidence, FeatureEvidence, raise_event
from schemas.command import Command
from schemas.wearable import WearableTelemetry

__all__ = ["FallJudge", "Suspicion", "follow_fall", "recovered"]


@dataclass(frozen=True, slots=True)
class Suspicion:
    """A raised ``fall_suspected``: the alert transition, the haptic check, P(fall)."""

    transition: AlertTransition
    command: Command
    probability: float


def recovered(reading: WearableTelemetry, config: SafetyConfig) -> bool:
    """The window shows the worker up again: walking, or upright when the tilt is reported."""
    walking = (
        reading.steps >= config.walking_min_steps_per_s * reading.window_s
        and reading.cadence_spm > 0
    )
    upright = reading.tilt_deg is not None and reading.tilt_deg < config.lying_tilt_deg
    return walking or upright


def follow_fall(
    detector: ManDownDetector, reading: WearableTelemetry, config: SafetyConfig
) -> ManDownStep:
    """Advance a suspected fall with one summary window of an edge-motion wearable.

    Windows reaching back before the impact (they hold the fall itself) are not judged.
    ``RECOVERED`` means the suspicion is over (whether or not a man-down was raised).
    """
    if not detector.armed or reading.ts - reading.window_s < detector.impact_ts:
        return ManDownStep.NOTHING
    if recovered(reading, config):
        detector.disarm()
        return ManDownStep.RECOVERED
    if not detector.down and reading.ts - detector.impact_ts >= config.fall_confirm_s:
        detector.down = True
        return ManDownStep.DOWN
    return ManDownStep.NOTHING


class FallJudge:
    """Scores impact readings with the fall model and raises ``fall_suspected``.

    The threshold is ``config.fall_threshold`` when set, else the model's own.
    """

    def __init__(self, config: SafetyConfig, model: FallModel) -> None:
        self.config = config
        self.model = model
        self.threshold = config.fall_threshold or model.threshold

    def judge(self, reading: WearableTelemetry, state: WorkerState, now: float) -> Suspicion | None:
        """Score one impact reading of ``state``'s worker; the suspicion it raises, if any."""
        impact = reading.impact
        if impact is None or state.fall_alert.active:
            return None
        inputs = impact_inputs(impact)
        p = self.model.predict_proba_one(inputs)[True]
        if p < self.threshold:
            return None
        impact_ts = reading.ts - impact.age_s
        zone = self.config.site_map.zone_at(reading.x_m, reading.y_m)
        evidence = Evidence(
            top_features=tuple(
                FeatureEvidence(c.name, round(c.value, 3), round(c.typical, 3), round(c.z, 2))
                for c in self.model.contributions(inputs)
            ),
            score=round(p, 4),
            threshold=self.threshold,
            model_version=self.model.version,
            extra={
                "basis": "fall_model",
                "impact_ts": impact_ts,
                "impact_g": impact.peak_g,
                "age_s": impact.age_s,
                "zone": zone.id,
                "zone_name": zone.name,
                "zone_risk": zone.risk,
                "x_m": round(reading.x_m, 1),
                "y_m": round(reading.y_m, 1),
            },
        )
        detail = f"P(fall) {p:.2f} after a {impact.peak_g:.1f} g impact in {zone.id} ({zone.name})"
        transition = raise_event(
            self.config.policies[FALL_SUSPECTED],
            state.fall_alert,
            asset_id=reading.worker_id,
            ts=reading.ts,
            evidence=evidence,
            detail=detail,
        )
        if transition is None:
            return None
        if not state.man_down.armed:
            state.man_down.arm(impact_ts, impact.peak_g, reading.x_m, reading.y_m)
        command = haptic_warning(
            "fall_check",
            worker=reading.worker_id,
            device=state.device_id,
            site=state.site,
            reason=(
                f"{detail}; the alarm follows unless the worker is up and walking within "
                f"{self.config.fall_confirm_s:.0f} s"
            ),
            trigger_ts=reading.ts,
            now=now,
        )
        return Suspicion(transition, command, p)

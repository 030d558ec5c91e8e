"""The safety worker engine: wearable readings in, zone presence, alerts and commands out.

Per reading (keyed by pseudonymous worker): validate (rejects become redacted dead letters),
detect a new shift, then

* fatigue: fresh walking windows teach the worker's own baseline; later walking windows move
  the smoothed levels and the fatigue score, whose alert lifecycle (raise level held for
  ``fatigue_min_duration_s``) raises ``worker_fatigue`` with a haptic warning;
* man-down: impact, then no motion for N seconds -> ``man_down`` (critical) with the wearable's
  alarm, cleared when the worker moves again;
* presence: the worker's zone (from the site map, at the stationary anchor when stationary) and
  stationary spell go to the ``zone_presence`` topic keyed by zone - on a change of zone; with
  every reading of a worker stationary in a high-risk zone for nearly T seconds or more (the
  zone's dwell clock); when a spell the zone knows of ends; otherwise as a heartbeat every
  ``presence_heartbeat_s`` (occupancy, and so a zone forgets nobody who is still there). A
  worker's short pauses in a high-risk zone cost no records.

Nothing here touches Kafka or Faust; outputs carry pseudonyms and derived scores only.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agents.safety.commands import command_output, haptic_warning, man_down_alarm
from agents.safety.config import FATIGUE, MAN_DOWN, SafetyConfig
from agents.safety.fatigue import CHANNELS
from agents.safety.man_down import ManDownStep
from agents.safety.redaction import redact_key, redact_wearable
from agents.safety.worker_state import WorkerState
from app.core import (
    Entry,
    KeyedEngine,
    Output,
    RecordMeta,
    Route,
    StateLoader,
    StreamLimits,
    dead_letter,
)
from app.core.alerting import (
    Evidence,
    FeatureEvidence,
    alert_output,
    clear_event,
    evaluate,
    raise_event,
)
from schemas import ValidationError
from schemas.wearable import PresenceState, WearableTelemetry, ZonePresence, decode_wearable

__all__ = ["MODEL_VERSION", "PRESENCE", "WorkerEngine"]

log = logging.getLogger(__name__)

MODEL_VERSION = "safety-1"
PRESENCE = "zone_presence"


class WorkerEngine(KeyedEngine[WorkerState]):
    """Stateful processor of one worker-agent's partitions (see the module docstring)."""

    def __init__(
        self,
        config: SafetyConfig,
        limits: StreamLimits,
        load_state: StateLoader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(load_state, WorkerState.from_bytes, limits, clock)
        self.config = config
        self.out_of_order = 0
        self._heard: dict[str, float] = {}  # worker -> wall time its last reading was taken in
        self.route(
            "wearables",
            Route(
                decode=self.timed(decode_wearable),
                key=lambda reading: reading.worker_id,
                create=lambda reading: WorkerState(),
                apply=self._on_reading,
                event_ts=lambda reading: reading.ts,
                newest_ts=lambda state: state.last_ts,
            ),
        )

    def _on_reading(
        self, reading: WearableTelemetry, entry: Entry[WorkerState], now: float
    ) -> list[Output]:
        """One wearable reading: a redelivered or reordered window was already accounted for."""
        last = entry.state.last_ts
        if not math.isnan(last) and reading.ts <= last:
            self.out_of_order += 1
            return []
        entry.touch()
        self._heard[reading.worker_id] = now
        return self._process(reading, entry, now)

    def tick(self) -> list[Output]:
        """Man-down for wearables silent after an impact (:meth:`signal_lost`)."""
        return self.signal_lost()

    def signal_lost(self) -> list[Output]:
        """Man-down for workers whose wearable went silent after an impact.

        A fall can break the wearable or its radio, and then no still window ever completes the
        condition. A worker whose detector is armed (an impact, no motion since) and from whom
        nothing has arrived for ``signal_lost_s`` seconds of wall clock is reported down, with
        ``basis: signal_lost_after_impact`` in the evidence and an alarm command to the site.
        The alert is stamped with the last reading's event time, so a reading that arrives
        later (motion: recovered) still clears it. Called by the agent's timer. Arrival times
        are kept in memory only: after a restart a worker is judged from its next reading on.
        """
        now = self._clock()
        cfg = self.config
        out: list[Output] = []
        for worker, heard in list(self._heard.items()):
            entry = self.cache.get(worker)
            if entry is None:
                del self._heard[worker]  # the partition moved to another worker
                continue
            state = entry.state
            detector = state.man_down
            silent = now - heard
            if silent < cfg.signal_lost_s or not detector.armed or state.man_down_alert.active:
                continue
            zone = cfg.site_map.zone_at(detector.impact_x, detector.impact_y)
            detail = (
                f"impact {detector.impact_peak:.1f} g, then the wearable went silent for "
                f"{silent:.0f} s in {zone.id} ({zone.name})"
            )
            facts = {"basis": "signal_lost_after_impact", "silent_s": round(silent, 1)}
            x, y = detector.impact_x, detector.impact_y
            raised = self._raise_man_down(
                worker, entry, state.last_ts, (x, y), facts, detail, now, out
            )
            if raised:
                detector.mark_down()
        return out

    def dead_letter(self, raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Output:
        """Dead letters of wearable input are redacted: no biometrics, no raw ids or keys."""
        safe_raw = redact_wearable(raw, self.config.biometric_fields)
        safe_meta = replace(meta, key=redact_key(meta.key))
        return dead_letter(safe_raw, err, safe_meta, now)

    def _process(self, r: WearableTelemetry, entry: Entry[WorkerState], now: float) -> list[Output]:
        cfg = self.config
        state = entry.state
        out: list[Output] = []
        previous = state.last_ts
        if math.isnan(previous) or r.ts - previous >= cfg.shift_gap_s:
            self._new_shift(r, entry, out)
            previous = math.nan
        state.last_ts = r.ts
        gap = 0.0 if math.isnan(previous) else r.ts - previous
        if r.device_id:
            state.device_id = r.device_id
        if r.site:
            state.site = r.site
        self._fatigue(r, entry, gap, now, out)
        self._man_down(r, entry, now, gap, out)
        self._presence(r, state, out)
        return out

    def _new_shift(
        self, r: WearableTelemetry, entry: Entry[WorkerState], out: list[Output]
    ) -> None:
        """A new shift: fatigue levels back to the baseline (rest resets fatigue), so a fatigue
        alert left open at the end of the last shift is closed, and so is a man-down."""
        state = entry.state
        state.shift_start = r.ts
        state.fatigue.new_shift()
        state.man_down.disarm()
        for kind, alert in ((FATIGUE, state.fatigue_alert), (MAN_DOWN, state.man_down_alert)):
            transition = clear_event(
                self.config.policies[kind],
                alert,
                asset_id=r.worker_id,
                ts=r.ts,
                detail="wearable back at the start of a new shift",
            )
            if transition is not None:
                entry.touch()
                out.append(alert_output(transition))

    # ---- fatigue ----------------------------------------------------------------------------

    def _fatigue(
        self,
        r: WearableTelemetry,
        entry: Entry[WorkerState],
        gap: float,
        now: float,
        out: list[Output],
    ) -> None:
        cfg = self.config
        state = entry.state
        walking = r.steps >= cfg.walking_min_steps_per_s * r.window_s and r.cadence_spm > 0
        steady = walking and state.walking and 0.0 < gap <= 1.5 * r.window_s
        state.walking = walking
        if not steady:
            return  # only steady walking is comparable (the heart rate lags a bout's start)
        values = (r.cadence_spm, r.stride_cv, r.hr_ratio)
        tracker = state.fatigue
        shift_time = r.ts - state.shift_start
        trusted = tracker.trusted(0, cfg.baseline_warmup)
        if shift_time < cfg.fresh_window_s or (not trusted and shift_time < cfg.fresh_window_max_s):
            tracker.learn(values, cfg.baseline_warmup)
            return
        score = tracker.observe(values, cfg.fatigue_alpha, cfg.baseline_warmup)
        if score is None:
            return
        transition = evaluate(
            cfg.policies[FATIGUE],
            state.fatigue_alert,
            asset_id=r.worker_id,
            score=score,
            ts=r.ts,
            evidence=lambda: self._fatigue_evidence(state, score, r.ts),
        )
        if transition is None:
            return
        entry.touch()
        out.append(alert_output(transition))
        if transition.state == "raised":
            out.append(
                command_output(
                    haptic_warning(
                        "fatigue",
                        worker=r.worker_id,
                        device=state.device_id,
                        site=state.site,
                        reason=f"fatigue score {score:.2f} against own baseline; take a break",
                        trigger_ts=transition.first_ts,
                        now=now,
                    )
                )
            )

    def _fatigue_evidence(self, state: WorkerState, score: float, ts: float) -> Evidence:
        tracker = state.fatigue
        warmup = self.config.baseline_warmup
        features = []
        for i, name in enumerate(CHANNELS):
            if not tracker.trusted(i, warmup) or math.isnan(tracker.level[i]):
                continue
            z = (tracker.level[i] - tracker.mean[i]) / tracker.std(i)
            # Heart rate is a biometric: only its deviation leaves, never its level.
            biometric = name == "hr_ratio"
            features.append(
                FeatureEvidence(
                    name=name,
                    value=0.0 if biometric else round(tracker.level[i], 4),
                    baseline=0.0 if biometric else round(tracker.mean[i], 4),
                    z=round(z, 2),
                )
            )
        features.sort(key=lambda f: -abs(f.z))
        return Evidence(
            top_features=tuple(features),
            score=round(score, 3),
            threshold=self.config.fatigue_raise,
            model_version=MODEL_VERSION,
            extra={
                "basis": "own_baseline",
                "shift_hours": round((ts - state.shift_start) / 3600.0, 2),
            },
        )

    # ---- man-down ---------------------------------------------------------------------------

    def _man_down(
        self,
        r: WearableTelemetry,
        entry: Entry[WorkerState],
        now: float,
        gap: float,
        out: list[Output],
    ) -> None:
        cfg = self.config
        state = entry.state
        detector = state.man_down
        step = detector.update(r, cfg, gap)
        policy = cfg.policies[MAN_DOWN]
        if step is ManDownStep.ARMED:
            entry.touch()
        elif step is ManDownStep.DOWN:
            zone = cfg.site_map.zone_at(r.x_m, r.y_m)
            still = r.ts - detector.impact_ts
            detail = (
                f"impact {detector.impact_peak:.1f} g then no motion for {still:.0f} s "
                f"in {zone.id} ({zone.name})"
            )
            facts = {"still_s": round(still, 1)}
            self._raise_man_down(r.worker_id, entry, r.ts, (r.x_m, r.y_m), facts, detail, now, out)
        elif step is ManDownStep.RECOVERED:
            transition = clear_event(
                policy,
                state.man_down_alert,
                asset_id=r.worker_id,
                ts=r.ts,
                detail="motion resumed",
            )
            if transition is not None:
                entry.touch()
                out.append(alert_output(transition))

    def _raise_man_down(
        self,
        worker: str,
        entry: Entry[WorkerState],
        ts: float,
        position: tuple[float, float],
        facts: dict[str, Any],
        detail: str,
        now: float,
        out: list[Output],
    ) -> bool:
        """Raise the man-down alert with its evidence and send the alarm; False if it was
        already raised (dedup by the alert lifecycle)."""
        state = entry.state
        detector = state.man_down
        zone = self.config.site_map.zone_at(*position)
        evidence = Evidence(
            top_features=(),
            score=1.0,
            threshold=1.0,
            model_version=MODEL_VERSION,
            extra={
                **facts,
                "impact_g": round(detector.impact_peak, 2),
                "impact_ts": detector.impact_ts,
                "zone": zone.id,
                "zone_name": zone.name,
                "zone_risk": zone.risk,
                "x_m": round(position[0], 1),
                "y_m": round(position[1], 1),
            },
        )
        transition = raise_event(
            self.config.policies[MAN_DOWN],
            state.man_down_alert,
            asset_id=worker,
            ts=ts,
            evidence=evidence,
            detail=detail,
        )
        if transition is None:
            return False
        entry.touch()
        out.append(alert_output(transition))
        alarm = man_down_alarm(
            worker=worker,
            device=state.device_id,
            site=state.site,
            reason=detail,
            trigger_ts=ts,
            now=now,
        )
        out.append(command_output(alarm))
        return True

    # ---- presence ---------------------------------------------------------------------------

    def _presence(self, r: WearableTelemetry, state: WorkerState, out: list[Output]) -> None:
        cfg = self.config
        tracker = state.stationary
        tracker.update(r, cfg.still_radius_m)
        x, y = tracker.position()
        zone = cfg.site_map.zone_at(x, y)
        kind: PresenceState = "stationary" if tracker.stationary else "moving"
        since = tracker.since if tracker.stationary else r.ts
        previous = state.presence_zone
        near_dwell = cfg.cluster_min_dwell_s - r.window_s
        sent_stationary = state.presence_state == "stationary"
        due = (
            zone.id != previous
            or r.ts - state.presence_ts >= cfg.presence_heartbeat_s
            or (zone.high_risk and tracker.stationary and tracker.dwell(r.ts) >= near_dwell)
            or (sent_stationary and (kind != "stationary" or since != state.presence_since))
        )
        if not due:
            return
        if previous and zone.id != previous:
            out.append(self._presence_emit(r, state, previous, "left", r.ts, x, y))
        out.append(self._presence_emit(r, state, zone.id, kind, since, x, y))
        state.presence_zone = zone.id
        state.presence_state = kind
        state.presence_ts = r.ts
        state.presence_since = since

    def _presence_emit(
        self,
        r: WearableTelemetry,
        state: WorkerState,
        zone: str,
        kind: PresenceState,
        since: float,
        x: float,
        y: float,
    ) -> Output:
        record = ZonePresence(
            zone_id=zone,
            worker_id=r.worker_id,
            ts=r.ts,
            state=kind,
            since=since,
            x_m=round(x, 2),
            y_m=round(y, 2),
            device_id=state.device_id or None,
            site=state.site or None,
        )
        return Output(PRESENCE, zone, record)

"""The maintenance engine: raw telemetry and maintenance bytes in, output records out.

Per telemetry reading: validate (rejects become dead letters with the reason), update the
asset's features against its own baseline and its anomaly detector, score the failure risk
with the shared class model, run the alert lifecycle, keep a snapshot for the delayed label and
emit a prediction every few readings. Per maintenance event: a failure turns the asset's recent
snapshots into positive examples for the class model and judges the open alert; a repair resets
the asset's learned condition and clears its alert.

The engine never touches Kafka or Faust. The agent feeds it records with their Kafka metadata,
sends the returned :class:`Emit` records and writes the states :meth:`take_flushes` hands out -
not on every event but every ``flush_every`` events of an asset or on a timer, which is what
keeps changelog traffic far below one message per event.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import orjson

from alerting import (
    AlertTransition,
    Evidence,
    FeatureEvidence,
    clear_event,
    evaluate,
)
from analytics.failure import MODEL_VERSION as FAILURE_MODEL_VERSION
from analytics.failure import failure_inputs
from maintenance.asset_state import AssetState
from maintenance.channels import channel_values
from maintenance.class_models import ClassModels
from maintenance.config import DOMAIN, MaintenanceConfig
from maintenance.quality import AlertQuality
from schemas import (
    MachineTelemetry,
    MaintenanceEvent,
    ValidationError,
    check_lateness,
    decode_maintenance,
    decode_telemetry,
)
from streams import Emit, Entry, KeyedEngine, RecordMeta

__all__ = ["EngineLimits", "MaintenanceEngine"]

log = logging.getLogger(__name__)

TOP_FEATURES = 3


@dataclass(frozen=True, slots=True)
class EngineLimits:
    """Validation bounds and the flush cadence, from settings."""

    min_event_time: float = 946684800.0
    max_future_skew_s: float = 300.0
    max_lateness_s: float = 86400.0
    flush_every: int = 32


class MaintenanceEngine(KeyedEngine[AssetState]):
    """Stateful processor of one worker's maintenance partitions (see module docstring)."""

    def __init__(
        self,
        config: MaintenanceConfig,
        limits: EngineLimits,
        load_state: Callable[[str], bytes | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            load_state,
            lambda data: AssetState.from_bytes(data, config),
            limits.flush_every,
            limits,
            clock,
        )
        self.config = config
        self.limits = limits
        self.models = ClassModels(config.new_failure_model)
        self.quality = AlertQuality()
        self.active_alerts = 0
        self._evidence_mask = (np.asarray(config.deviation.weights) > 0).astype(np.float64)

    @property
    def assets(self) -> int:
        """Assets held in memory."""
        return len(self.cache)

    def class_baselines(self, channel: int = 0) -> dict[str, list[float]]:
        """Baseline means of one channel (default vibration RMS) of warmed-up assets, by class."""
        out: dict[str, list[float]] = {}
        for state in self.cache.states():
            tracker = state.tracker
            if tracker.warmed_up:
                mean, _ = tracker.baseline()
                out.setdefault(state.asset_class, []).append(float(mean[channel]))
        return out

    # ---- input -----------------------------------------------------------------------------

    def handle_telemetry(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Process one raw telemetry message; never raises on bad input."""
        now = self._clock()
        try:
            reading = decode_telemetry(raw, now=now, **self.time_bounds)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, now)]
        entry = self._entry(reading.asset_id, reading.asset_class, meta.partition)
        try:
            check_lateness(reading.ts, entry.state.tracker.last_ts, self.limits.max_lateness_s)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, now)]
        return self._score(reading, entry, now)

    def handle_maintenance(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Process one raw maintenance event; never raises on bad input."""
        now = self._clock()
        try:
            event = decode_maintenance(raw, now=now, **self.time_bounds)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, now)]
        entry = self._entry(event.asset_id, event.asset_class, meta.partition)
        entry.flush_soon()  # labels are rare and precious: write them at once
        if event.kind == "failure":
            return self._on_failure(event, entry)
        if event.kind == "repair":
            return self._on_repair(event, entry)
        return self._on_inspection(event, entry)

    # ---- state flushing ---------------------------------------------------------------------

    def take_flush(self, asset_id: str) -> bytes | None:
        """The state bytes of ``asset_id`` if it is due for a table write, else None."""
        return self.cache.take_flush(asset_id)

    def take_dirty(self, partition: int | None = None) -> list[tuple[str, int, bytes]]:
        """Assets changed since their last write: ``(asset_id, partition, state bytes)``."""
        return self.cache.take_dirty(partition)

    def forget_partitions(self, partitions: set[int]) -> None:
        """Drop cached states of partitions this worker no longer owns (after a rebalance)."""
        self.cache.forget_partitions(partitions)

    # ---- internals --------------------------------------------------------------------------

    def _entry(self, asset_id: str, asset_class: str, partition: int) -> Entry[AssetState]:
        return self.cache.entry(
            asset_id, partition, lambda: AssetState.new(asset_class, self.config)
        )

    def _score(self, reading: MachineTelemetry, entry: Entry[AssetState], now: float) -> list[Emit]:
        cfg = self.config
        state = entry.state
        ts = reading.ts
        x = channel_values(reading)
        features = state.tracker.update(x, ts)
        anomaly = state.detector.update(dict(zip(cfg.channels, x.tolist(), strict=True)), ts)
        entry.touch()
        state.readings += 1
        out: list[Emit] = []
        model = self.models.get(state.asset_class)
        inputs = failure_inputs(features, anomaly.score, state.tracker, cfg.horizon_s)
        expired = state.snapshots.expired(ts)
        if expired:
            model.learn_many(expired)
            self.models.mark_learned(state.asset_class)
        if not state.tracker.warmed_up:
            return out
        state.snapshots.offer(ts, inputs)
        if model.ready:
            probability = model.predict_proba(inputs)
            ttf_s: float | None = model.predict_ttf(inputs)
            risk = probability
        else:
            probability = 0.0
            ttf_s = None
            risk, _ = cfg.deviation.score(features)
        self._judge_open_alert(state, ts)
        transition = evaluate(
            cfg.alert_policy,
            state.alert,
            asset_id=reading.asset_id,
            score=risk,
            ts=ts,
            evidence=lambda: self._evidence(state, risk, model.ready),
        )
        if transition is not None:
            out.append(self._alert_emit(transition, state))
        if state.readings >= cfg.prediction_every or transition is not None:
            state.readings = 0
            out.append(
                self._prediction(
                    reading, state, anomaly.score, probability, ttf_s, now, model, risk
                )
            )
        return out

    def _judge_open_alert(self, state: AssetState, ts: float) -> None:
        """An alert episode that is over and saw no failure within the horizon was false.

        Judged like the run summary (:mod:`maintenance.scoring`): a standing warning stays open
        while it is active, however long before the failure it was raised.
        """
        open_ts = state.open_alert_ts
        if math.isnan(open_ts) or state.alert.active:
            return
        if ts - max(open_ts, state.alert.cleared_at or open_ts) > self.config.horizon_s:
            self.quality.record_false_alert()
            state.open_alert_ts = math.nan

    def _alert_emit(self, transition: AlertTransition, state: AssetState) -> Emit:
        if transition.state == "raised":
            self.active_alerts += 1
            if math.isnan(state.open_alert_ts):
                state.open_alert_ts = transition.first_ts
        elif transition.state == "cleared":
            self.active_alerts = max(self.active_alerts - 1, 0)
        record = transition.to_record()
        return Emit(
            "alerts",
            transition.asset_id.encode(),
            orjson.dumps(record),
            (transition.alert_type, str(transition.severity), str(transition.state)),
        )

    def _evidence(self, state: AssetState, risk: float, supervised: bool) -> Evidence:
        return Evidence(
            top_features=self._top_features(state),
            score=risk,
            threshold=self.config.alert_policy.raise_threshold,
            model_version=self._model_version(supervised),
            extra={
                "basis": "failure_model" if supervised else "baseline_deviation_cold_start",
                "asset_class": state.asset_class,
            },
        )

    def _top_features(self, state: AssetState) -> tuple[FeatureEvidence, ...]:
        mean, std = state.tracker.baseline()
        level = state.tracker.level()
        z = (level - mean) / std
        # Rank by the deviation of condition channels; pure context (load) is not evidence.
        order = np.argsort(-np.abs(z) * self._evidence_mask)[:TOP_FEATURES]
        names = self.config.channels
        return tuple(
            FeatureEvidence(
                name=names[i],
                value=round(float(level[i]), 4),
                baseline=round(float(mean[i]), 4),
                z=round(float(z[i]), 2),
            )
            for i in order
        )

    def _model_version(self, supervised: bool) -> str:
        from analytics.anomaly import MODEL_VERSION as ANOMALY_MODEL_VERSION

        if supervised:
            return f"failure-{FAILURE_MODEL_VERSION}+{ANOMALY_MODEL_VERSION}"
        return f"deviation+{ANOMALY_MODEL_VERSION}"

    def _prediction(
        self,
        reading: MachineTelemetry,
        state: AssetState,
        anomaly_score: float,
        probability: float,
        ttf_s: float | None,
        now: float,
        model: object,
        risk: float,
    ) -> Emit:
        from schemas import FeatureEvidence as WireEvidence
        from schemas import Prediction

        supervised = bool(getattr(model, "ready", False))
        prediction = Prediction(
            domain=DOMAIN,
            asset_id=reading.asset_id,
            asset_class=reading.asset_class,
            ts=reading.ts,
            emitted_at=now,
            anomaly_score=round(float(anomaly_score), 4),
            failure_probability=round(float(probability), 4),
            horizon_h=self.config.horizon_s / 3600.0,
            time_to_failure_h=None if ttf_s is None else round(ttf_s / 3600.0, 2),
            top_features=tuple(
                WireEvidence(name=f.name, value=f.value, baseline=f.baseline, z=f.z)
                for f in self._top_features(state)
            ),
            model_version=self._model_version(supervised),
            risk_score=round(float(risk), 4),
        )
        return Emit("predictions", reading.asset_id.encode(), prediction.to_json())

    def _on_failure(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Emit]:
        state = entry.state
        model = self.models.get(state.asset_class)
        model.learn_failure(state.snapshots.on_failure(event.ts))
        self.models.mark_learned(state.asset_class, urgent=True)
        open_ts = state.open_alert_ts
        cleared = state.alert.cleared_at
        standing = state.alert.active or (
            cleared is not None and event.ts - cleared <= self.config.horizon_s
        )
        if not math.isnan(open_ts) and open_ts <= event.ts and standing:
            self.quality.record_hit(event.ts - open_ts)
        else:
            self.quality.record_miss()
        state.open_alert_ts = math.nan
        state.last_failure_ts = event.ts
        return []

    def _on_inspection(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Emit]:
        """An inspection's outcome is a delayed label (none: it teaches nothing).

        A confirmed fault labels like a failure at the inspection time: the snapshots of the
        horizon before it become positives (their time to failure is underestimated by what
        the fault had left, a safe error) and the open alert counts as a hit. A fault not found
        judges the asset's open alert a false alarm at once instead of when its horizon ends.
        """
        if event.outcome == "fault_confirmed":
            return self._on_failure(event, entry)
        state = entry.state
        if event.outcome == "no_fault_found" and not math.isnan(state.open_alert_ts):
            self.quality.record_false_alert()
            state.open_alert_ts = math.nan
        return []

    def _on_repair(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Emit]:
        state = entry.state
        state.reset_condition(self.config)
        out = []
        if state.alert.active:
            transition = clear_event(
                self.config.alert_policy,
                state.alert,
                asset_id=event.asset_id,
                ts=event.ts,
                detail="asset repaired",
            )
            if transition is not None:
                out.append(self._alert_emit(transition, state))
        return out

"""The maintenance engine: raw telemetry and maintenance bytes in, output records out.

Per telemetry reading: validate (rejects become dead letters with the reason), update the
asset's features against its own baseline and its anomaly detector, score the failure risk
with the shared class model, run the alert lifecycle, keep a snapshot for the delayed label and
emit a prediction every few readings. Per maintenance event: a failure turns the asset's recent
snapshots into positive examples for the class model and judges the open alert; a repair resets
the asset's learned condition and clears its alert.

A prediction whose failure probability reaches the derate level also yields a derate command,
once per crossing (the standing derate is part of the asset's state). On the runtime's timer
(:meth:`MaintenanceEngine.tick`) the class models that learned are published, and every minute
the per-class edge parameters derived from the learned baselines.

The engine never touches Kafka or Faust: the runtime feeds it records through the routes of
:class:`~app.core.engine.KeyedEngine` and sends the typed :class:`~app.core.records.Output`
records it returns; the runtime writes the asset states a batch of records changed from its
cache, once per asset and batch.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np

from agents.maintenance.asset_state import AssetState
from agents.maintenance.channels import channel_values
from agents.maintenance.class_models import ClassModels
from agents.maintenance.commands import REARM_RATIO, derate_command
from agents.maintenance.config import DOMAIN, MaintenanceConfig
from agents.maintenance.edge_params import EdgeParamsPolicy
from agents.maintenance.quality import AlertQuality
from app.core import Entry, KeyedEngine, Output, Route, StateLoader, StreamLimits
from app.core.alerting import (
    AlertTransition,
    Evidence,
    alert_output,
    clear_event,
    evaluate,
)
from app.core.models.anomaly import MODEL_VERSION as ANOMALY_MODEL_VERSION
from app.core.models.failure import MODEL_VERSION as FAILURE_MODEL_VERSION
from app.core.models.failure import failure_inputs
from schemas import (
    FeatureEvidence,
    MachineTelemetry,
    MaintenanceEvent,
    Prediction,
    decode_maintenance,
    decode_telemetry,
)

__all__ = ["MODEL_PUBLISH_EVERY", "MaintenanceEngine"]

log = logging.getLogger(__name__)

TOP_FEATURES = 3
MODEL_PUBLISH_EVERY = 12
"""Timer ticks between routine publications of class models and edge parameters (1 min)."""


class MaintenanceEngine(KeyedEngine[AssetState]):
    """Stateful processor of one worker's maintenance partitions (see module docstring)."""

    def __init__(
        self,
        config: MaintenanceConfig,
        limits: StreamLimits,
        load_state: StateLoader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            load_state, lambda data: AssetState.from_bytes(data, config), limits, clock
        )
        self.config = config
        self.models = ClassModels(config.new_failure_model)
        self.quality = AlertQuality()
        self.edge_policy = EdgeParamsPolicy()
        self._edge_versions: dict[str, int] = {}
        self._ticks = 0
        self._evidence_mask = (np.asarray(config.deviation.weights) > 0).astype(np.float64)

        def create(record: MachineTelemetry | MaintenanceEvent) -> AssetState:
            return AssetState.new(record.asset_class, config)

        self.route(
            "telemetry",
            Route(
                decode=self.timed(decode_telemetry),
                key=lambda reading: reading.asset_id,
                create=create,
                apply=self._on_reading,
                event_ts=lambda reading: reading.ts,
                newest_ts=lambda state: state.tracker.last_ts,
            ),
        )
        self.route(
            "maintenance",
            Route(
                decode=self.timed(decode_maintenance),
                key=lambda event: event.asset_id,
                create=create,
                apply=self._on_event,
                event_ts=lambda event: event.ts,
                waits_for="telemetry",
            ),
        )

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

    def tick(self) -> list[Output]:
        """The class models that learned since the last tick (at once after a failure, the
        rest every :data:`MODEL_PUBLISH_EVERY` ticks) and, as often, the edge parameters."""
        self._ticks += 1
        routine = self._ticks % MODEL_PUBLISH_EVERY == 0
        out = self._edge_params() if routine else []
        out.extend(
            Output("models", key.decode(), value)
            for key, value in self.models.take_dirty(routine=routine)
        )
        return out

    def _edge_params(self) -> list[Output]:
        """Model sync to the edge: per-class thresholds from the learned baselines."""
        now = self._clock()
        out = []
        for asset_class, baselines in self.class_baselines().items():
            version = self._edge_versions[asset_class] = self._edge_versions.get(asset_class, 0) + 1
            params = self.edge_policy.params(asset_class, baselines, version=version, now=now)
            if params is not None:
                out.append(Output("edge_params", asset_class, params))
        return out

    def _on_event(
        self, event: MaintenanceEvent, entry: Entry[AssetState], now: float
    ) -> list[Output]:
        """A maintenance event: a failure labels the asset's snapshots, a repair resets it."""
        entry.touch()
        if event.kind == "failure":
            return self._on_failure(event, entry)
        if event.kind == "repair":
            return self._on_repair(event, entry)
        return self._on_inspection(event, entry)

    # ---- internals --------------------------------------------------------------------------

    def _on_reading(
        self, reading: MachineTelemetry, entry: Entry[AssetState], now: float
    ) -> list[Output]:
        cfg = self.config
        state = entry.state
        ts = reading.ts
        x = channel_values(reading)
        features = state.tracker.update(x, ts)
        anomaly = state.detector.update(dict(zip(cfg.channels, x.tolist(), strict=True)), ts)
        entry.touch()
        state.readings += 1
        out: list[Output] = []
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
            out.append(self._alert(transition, state))
        if state.readings >= cfg.prediction_every or transition is not None:
            state.readings = 0
            prediction = self._prediction(
                reading, state, anomaly.score, probability, ttf_s, now, model.ready, risk
            )
            out.append(Output("predictions", reading.asset_id, prediction))
            command = self._derate(state, prediction, now)
            if command is not None:
                out.append(command)
        return out

    def _derate(self, state: AssetState, prediction: Prediction, now: float) -> Output | None:
        """A derate command when the failure probability crosses the derate level, once per
        crossing: the standing derate re-arms below :data:`REARM_RATIO` of the level."""
        level = self.config.derate_probability
        if state.derated:
            if prediction.failure_probability < level * REARM_RATIO:
                state.derated = False
            return None
        command = derate_command(prediction, level, now=now)
        if command is None:
            return None
        state.derated = True
        return Output("commands", command.asset_id, command)

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

    def _alert(self, transition: AlertTransition, state: AssetState) -> Output:
        if transition.state == "raised" and math.isnan(state.open_alert_ts):
            state.open_alert_ts = transition.first_ts
        return alert_output(transition)

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
        supervised: bool,
        risk: float,
    ) -> Prediction:
        return Prediction(
            domain=DOMAIN,
            asset_id=reading.asset_id,
            asset_class=reading.asset_class,
            ts=reading.ts,
            emitted_at=now,
            anomaly_score=round(float(anomaly_score), 4),
            failure_probability=round(float(probability), 4),
            horizon_h=self.config.horizon_s / 3600.0,
            time_to_failure_h=None if ttf_s is None else round(ttf_s / 3600.0, 2),
            top_features=self._top_features(state),
            model_version=self._model_version(supervised),
            risk_score=round(float(risk), 4),
        )

    def _on_failure(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Output]:
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

    def _on_inspection(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Output]:
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

    def _on_repair(self, event: MaintenanceEvent, entry: Entry[AssetState]) -> list[Output]:
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
                out.append(self._alert(transition, state))
        return out

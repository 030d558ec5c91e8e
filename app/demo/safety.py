"""The safety domain's part of ``make run``: a simulated shift on Kafka, its alerts, its score.

:meth:`SafetyDemo.simulate` compresses one shift (``AIOT_SAFETY_SIM_SHIFT_H``, default 8 h) of
``AIOT_SAFETY_SIM_WORKERS`` workers into the run's duration and publishes every wearable
window in the form the site's edge gateway forwards it (pseudonymised, raw biometrics dropped)
straight to the wearables topic, plus the ground truth and a few bad records (a raw worker
id, an impossible value, broken JSON) that must reach the dead-letter topic redacted.
Simulated time runs in the past and never ahead of the wall clock.

Real-time latency: for every man-down and stationary-group condition the simulator notes the
wall-clock moment it published the reading that completed the condition (the first reading of
an involved worker at or after the condition time); :meth:`SafetyDemo.collect` reads the
alerts with their Kafka timestamps, and the latency is the alert's timestamp minus that moment
- everything in between is Kafka, the worker agent, the repartition and the zone agent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from agents.safety.config import SafetyConfig
from agents.safety.scoring import KIND_OF_ALERT, SafetyScore, score_safety
from agents.safety.settings import SafetySettings
from app.kafka.clients import client_options, follow_topics
from app.kafka.topics import ensure_topics
from app.settings import Settings
from app.simulator.runner import pause
from app.simulator.safety.shift import SimEpisode, SiteSimulation

__all__ = ["SafetyDemo"]

log = logging.getLogger(__name__)

STEP_S = 0.1
DEFAULT_DURATION_S = 90.0
TAIL_S = 8.0
"""Real seconds left at the end of the run for the worker to catch up."""
BAD_EVERY = 2000
"""One bad record per this many readings."""
TIMED = frozenset({"man_down", "stationary_cluster"})


class SafetyDemo:
    """Simulator, collector and score of the safety domain for ``make run``."""

    name = "safety"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = SafetyConfig.from_settings(settings.of(SafetySettings))
        self.truth: list[dict[str, Any]] = []
        self.alerts: list[tuple[dict[str, Any], float]] = []
        self.commands = 0
        self.completed_at: dict[str, tuple[SimEpisode, float]] = {}
        self.readings = 0
        self.bad = 0

    async def simulate(self, bootstrap: str, stop: asyncio.Event, duration_s: float | None) -> None:
        """Publish one simulated shift, paced to end within ``duration_s`` real seconds."""
        s = self.settings
        duration = duration_s or DEFAULT_DURATION_S
        span = max(duration - TAIL_S, duration * 0.5)
        shift_s = s.safety_sim_shift_h * 3600.0
        speedup = shift_s / span
        start = time.time() - shift_s - 60.0
        sim = SiteSimulation.from_settings(
            s,
            self.config,
            seed=s.safety_sim_seed,
            workers=s.safety_sim_workers,
            start_ts=start,
        )
        topics = [s.of(SafetySettings).edge_topic_wearables, s.topic_ground_truth]
        await ensure_topics(
            bootstrap, s, [*topics, s.of(SafetySettings).topic_zone_presence, s.topic_alerts]
        )
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **client_options(s))
        await producer.start()
        real0 = time.monotonic()
        try:
            while not sim.done and not stop.is_set():
                elapsed = time.monotonic() - real0
                batch = sim.advance(start + speedup * elapsed)
                published = time.time()
                futures = [
                    await producer.send(
                        s.of(SafetySettings).edge_topic_wearables, key=key, value=value
                    )
                    for key, value in self._with_bad(batch.readings)
                ]
                futures += [
                    await producer.send(s.topic_ground_truth, key=key, value=value)
                    for key, value in batch.truth_messages()
                ]
                for episode in batch.completed:
                    if episode.kind in TIMED:
                        self.completed_at.setdefault(episode.episode_id, (episode, published))
                if futures:
                    await asyncio.gather(*futures)
                await pause(stop, STEP_S - (time.monotonic() - real0) % STEP_S)
            if sim.done:
                rest = sim.advance(sim.end_ts + 3600.0)
                for key, value in rest.truth_messages():
                    await producer.send(s.topic_ground_truth, key=key, value=value)
            await producer.flush()
        finally:
            await producer.stop()
        log.info("safety simulation: %d readings, %d bad, %.0fx", self.readings, self.bad, speedup)

    def _with_bad(self, readings: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The batch's readings plus, every ``BAD_EVERY`` readings, one bad record."""
        out = []
        for key, value in readings:
            out.append((key, value))
            self.readings += 1
            if self.readings % BAD_EVERY == 0:
                out.append(_bad_record(self.bad, value))
                self.bad += 1
        return out

    async def collect(self, bootstrap: str, stop: asyncio.Event) -> None:
        """Read the safety alerts (with Kafka timestamps), commands and ground truth."""
        s = self.settings
        topics = (s.topic_alerts, s.topic_ground_truth, s.topic_commands)
        await follow_topics(bootstrap, s, topics, stop, self._take)

    def _take(self, topic: str, value: bytes, kafka_ts: float) -> None:
        try:
            obj = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if type(obj) is not dict:
            return
        s = self.settings
        if topic == s.topic_alerts and obj.get("domain") == "safety":
            self.alerts.append((obj, kafka_ts))  # the run's feed prints every domain's alerts
        elif topic == s.topic_ground_truth and obj.get("domain") == "safety":
            self.truth.append(obj)
        elif topic == s.topic_commands and obj.get("source") == "safety":
            self.commands += 1

    def latencies(self) -> list[float]:
        """Real seconds from each completed man-down/cluster condition to its alert on Kafka."""
        out = []
        for episode, published in self.completed_at.values():
            alert_type = next(t for t, k in KIND_OF_ALERT.items() if k == episode.kind)
            low = episode.ts if episode.kind == "man_down" else episode.condition_ts - 30.0
            stamps = [
                kafka_ts
                for alert, kafka_ts in self.alerts
                if alert.get("alert_type") == alert_type
                and alert.get("state") == "raised"
                and alert.get("asset_id") == episode.subject
                and low <= float(alert.get("first_ts", 0.0)) <= episode.end_ts + 30.0
            ]
            if stamps:
                out.append(min(stamps) - published)
        return out

    def score(self) -> SafetyScore:
        """The score of what the worker emitted against the published ground truth."""
        return score_safety(
            self.truth,
            [alert for alert, _ in self.alerts],
            grace_s=3 * self.settings.safety_sim_interval_s,
            latencies_s=self.latencies(),
        )

    def summary(self) -> dict[str, Any]:
        """The ``safety`` part of the run summary (the keys of the issue)."""
        return self.score().summary()


def _bad_record(n: int, good: bytes) -> tuple[bytes, bytes]:
    """A bad wearable record of one of three kinds, derived from a good one."""
    obj = orjson.loads(good)
    kind = n % 3
    if kind == 0:
        obj["worker_id"] = "Jane.Doe"  # a raw id that escaped pseudonymisation
        obj["heart_rate_bpm"] = 131
        return b"Jane.Doe", orjson.dumps(obj)
    if kind == 1:
        obj["accel_peak_g"] = 512.0
        return str(obj["worker_id"]).encode(), orjson.dumps(obj)
    return str(obj["worker_id"]).encode(), orjson.dumps(obj)[:-7]

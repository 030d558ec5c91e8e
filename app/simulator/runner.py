"""Run the motor fleet against Kafka in accelerated, wall-clock-bounded simulated time.

Every ~100 ms of real time the simulated clock moves ``sim_speedup`` times the real time
elapsed, the fleet is advanced to it and everything due is produced to the telemetry,
maintenance and ground-truth topics. The simulated clock starts in the past (default: 60
days ago, on the hour) and is capped at the wall clock, so no event is ever stamped in the
future (bad records of kind ``future_ts`` excepted, on purpose).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from agents.maintenance.settings import MaintenanceSettings
from app.kafka.clients import client_options
from app.kafka.topics import ensure_topics
from app.settings import Settings
from app.simulator.batch import SimBatch
from app.simulator.episodes import Episode
from app.simulator.faults import BadRecordInjector
from app.simulator.motors import DAY, MotorFleet

__all__ = ["SimProgress", "SimReport", "default_start_ts", "pause", "run_simulation"]

STEP_S = 0.1
DEFAULT_LOOKBACK_S = 60 * DAY


@dataclass(frozen=True, slots=True)
class SimProgress:
    """Where a running simulation is: simulated clock, real time spent and what was sent."""

    sim_ts: float
    real_elapsed_s: float
    sent: dict[str, int]
    failures: int
    bad: int


@dataclass(slots=True)
class SimReport:
    """Outcome of :func:`run_simulation`: counts, the simulated span and the ground truth.

    ``start_ts``/``end_ts`` bound the simulated time covered; ``sent`` counts messages per
    topic; ``episodes`` are the ground-truth episodes that started during the run.
    """

    start_ts: float
    end_ts: float
    real_elapsed_s: float
    sent: dict[str, int]
    bad_by_kind: dict[str, int]
    episodes: list[Episode] = field(default_factory=list)

    @property
    def failures(self) -> list[Episode]:
        """Bearing-failure episodes whose failure happened within the run."""
        return [
            e
            for e in self.episodes
            if e.is_failure and e.failure_ts is not None and e.failure_ts <= self.end_ts
        ]


def default_start_ts(now: float) -> float:
    """The default simulation start: ``now`` minus 60 days, rounded down to midnight UTC.

    Whole days, so a run's motors start at the same phase of their daily load and temperature
    cycle whatever the hour it is started at: ``make run`` gives the same figures all day
    (starting at another hour changes what the cold-start baselines first see).
    """
    start = now - DEFAULT_LOOKBACK_S
    return start - start % DAY


async def _produce(
    producer: AIOKafkaProducer, topic: str, messages: Iterable[tuple[bytes, bytes]]
) -> list[asyncio.Future[object]]:
    """Queue ``messages`` on ``topic``; return the delivery futures (awaited by the caller)."""
    return [await producer.send(topic, value=value, key=key) for key, value in messages]


async def pause(stop: asyncio.Event | None, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    if seconds <= 0.0:
        return
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


TelemetrySink = Callable[[Sequence[tuple[bytes, bytes]]], Awaitable[None]]
"""Where telemetry goes instead of Kafka (e.g. MQTT devices feeding the edge gateway)."""


class _Sender:
    """Produces one :class:`SimBatch` to the three topics and keeps the counts."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        settings: Settings,
        injector: BadRecordInjector,
        telemetry_sink: TelemetrySink | None = None,
    ) -> None:
        self.producer = producer
        self.telemetry_sink = telemetry_sink
        self.injector = injector
        self.telemetry = settings.of(MaintenanceSettings).topic_telemetry
        self.maintenance = settings.of(MaintenanceSettings).topic_maintenance
        self.ground_truth = settings.topic_ground_truth
        self.sent = dict.fromkeys((self.telemetry, self.maintenance, self.ground_truth), 0)
        self.failures = 0

    async def send(self, batch: SimBatch) -> None:
        """Queue every message of ``batch``, then await their delivery together."""
        readings = self.injector.messages(batch.telemetry_records())
        if self.telemetry_sink is not None:
            messages = list(readings)
            await self.telemetry_sink(messages)
            self.sent[self.telemetry] += len(messages)
            futures: list[asyncio.Future[object]] = []
        else:
            futures = await _produce(self.producer, self.telemetry, readings)
            self.sent[self.telemetry] += len(futures)
        maintenance = await _produce(self.producer, self.maintenance, batch.maintenance_messages())
        self.sent[self.maintenance] += len(maintenance)
        truth = await _produce(self.producer, self.ground_truth, batch.ground_truth_messages())
        self.sent[self.ground_truth] += len(truth)
        self.failures += sum(1 for e in batch.maintenance if e["kind"] == "failure")
        if futures or maintenance or truth:
            await asyncio.gather(*futures, *maintenance, *truth)


async def run_simulation(
    bootstrap: str,
    settings: Settings,
    *,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    bad_fraction: float = 0.0,
    on_progress: Callable[[SimProgress], None] | None = None,
    start_ts: float | None = None,
    telemetry_sink: TelemetrySink | None = None,
) -> SimReport:
    """Simulate ``settings.sim_motors`` motors into Kafka at ``bootstrap`` until told to stop.

    Runs for ``duration_s`` real seconds (None: until ``stop`` is set). ``bad_fraction`` of
    the telemetry is replaced by bad records. ``on_progress`` is called after every step.
    The topics are created first if missing. With ``telemetry_sink`` (e.g. an MQTT publisher
    feeding the edge gateway) the readings go there instead of the telemetry topic.
    """
    clock = time.time
    start = default_start_ts(clock()) if start_ts is None else float(start_ts)
    fleet = MotorFleet(
        settings.sim_motors,
        seed=settings.sim_seed,
        start_ts=start,
        interval_s=settings.sim_interval_s,
        mtbf_days=settings.sim_mtbf_days,
    )
    injector = BadRecordInjector(bad_fraction, seed=settings.sim_seed, clock=clock)
    topics = [
        settings.of(MaintenanceSettings).topic_telemetry,
        settings.of(MaintenanceSettings).topic_maintenance,
        settings.topic_ground_truth,
    ]
    await ensure_topics(bootstrap, settings, topics)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="aiot-simulator",
        linger_ms=20,
        acks=1,
        compression_type=None,
        **client_options(settings),
    )
    await producer.start()
    sender = _Sender(producer, settings, injector, telemetry_sink)
    real0 = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - real0
            done = (stop is not None and stop.is_set()) or (
                duration_s is not None and elapsed >= duration_s
            )
            if duration_s is not None:
                elapsed = min(elapsed, duration_s)
            await sender.send(fleet.advance(min(start + settings.sim_speedup * elapsed, clock())))
            if on_progress is not None:
                on_progress(
                    SimProgress(
                        fleet.sim_ts, elapsed, dict(sender.sent), sender.failures, injector.total
                    )
                )
            if done:
                break
            await pause(stop, STEP_S - (time.monotonic() - real0) % STEP_S)
    finally:
        await producer.stop()
    return SimReport(
        start_ts=start,
        end_ts=fleet.sim_ts,
        real_elapsed_s=time.monotonic() - real0,
        sent=dict(sender.sent),
        bad_by_kind=dict(injector.counts),
        episodes=fleet.ground_truth,
    )

"""Replay a recorded trial through the product: edge gateway logic, then the safety engine.

Each trial is one fresh wearable on a fresh gateway and engine. Its samples are sent one by
one, as the wearable would (one MQTT message per accelerometer sample, carrying the gyroscope
samples taken since the previous one), to :class:`app.edge.processor.EdgeProcessor` -
validation, pseudonym, the motion features of :mod:`app.edge.motion` - and every record it
forwards goes to :class:`agents.safety.worker_engine.WorkerEngine` as Kafka would deliver it.
Alarms are the ``fall_suspected`` and ``man_down`` raises on the alerts topic. Times are the
recording's own clock (seconds) shifted to a fixed epoch on the way in and back on the way
out, so a replay is deterministic. Used by ``aiot detect-falls``, its benchmark and the fall
model's training (which needs only the impact readings: pass no model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import orjson

from agents.safety.config import FALL_SUSPECTED, MAN_DOWN, SafetyConfig
from agents.safety.fall_model import FallModel
from agents.safety.recordings import Recording
from agents.safety.settings import SafetySettings
from agents.safety.worker_engine import WorkerEngine
from app.core import Output, RecordMeta
from app.edge.config import EdgeConfig
from app.edge.processor import EdgeProcessor
from app.edge.topics import telemetry_topic
from app.settings import Settings
from schemas import Alert
from schemas.wearable import ImpactFeatures, decode_wearable

__all__ = ["EPOCH", "Alarm", "FallReplay", "ReplayResult"]

EPOCH = 1_700_000_000.0
"""Unix time of a recording's 0 s."""
SITE = "replay"
_ALARMS = frozenset({FALL_SUSPECTED, MAN_DOWN})
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True, slots=True)
class Alarm:
    """A raised fall alarm: seconds on the recording's clock and the alert type."""

    time_s: float
    kind: str


@dataclass(slots=True)
class ReplayResult:
    """What one trial led to: alarms in order, impact readings (recording seconds and their
    features, as the engine decoded them), dead letters and messages sent."""

    alarms: list[Alarm] = field(default_factory=list)
    impacts: list[tuple[float, ImpactFeatures]] = field(default_factory=list)
    dead_letters: int = 0
    messages: int = 0

    @property
    def first(self) -> Alarm | None:
        """The first alarm, if any."""
        return self.alarms[0] if self.alarms else None


class FallReplay:
    """Replays trials (see the module docstring); ``model`` None: the edge only."""

    def __init__(self, settings: Settings, model: FallModel | None = None) -> None:
        self.settings = settings.replace(edge_site=SITE)
        self.model = model
        self.edge_config = EdgeConfig.from_settings(self.settings, SITE)
        self.config = SafetyConfig.from_settings(self.settings.of(SafetySettings))
        self.limits = self.settings.limits
        self._clock = lambda: EPOCH + 10.0**6

    def run(self, recording: Recording) -> ReplayResult:
        """Replay one trial."""
        device = "w-" + _UNSAFE.sub(".", recording.name)[:60]
        edge = EdgeProcessor(self.edge_config, b"replay", clock=self._clock)
        engine = None
        if self.model is not None:
            engine = WorkerEngine(
                self.config, self.limits, lambda _: None, self._clock, fall_model=self.model
            )
        result = ReplayResult()
        topic = telemetry_topic(SITE, device)
        wearables = self.edge_config.topic_wearables
        offset = 0
        for payload in _messages(recording, device):
            result.messages += 1
            outcome = edge.handle(topic, payload)
            if outcome.rejected is not None:
                result.dead_letters += 1
            for record in outcome.outbound:
                if record.topic != wearables:
                    continue
                self._collect(record.value, result)
                if engine is not None:
                    meta = RecordMeta("wearables", wearables, 0, offset, record.key)
                    offset += 1
                    self._alarms(engine.handle(record.value, meta), result)
        return result

    def _collect(self, value: bytes, result: ReplayResult) -> None:
        """Keep the impact features of a forwarded record, decoded as the engine decodes them."""
        if b'"impact"' not in value:
            return
        reading = decode_wearable(value, now=self._clock(), **self.limits.time_bounds)
        if reading.impact is not None:
            result.impacts.append((reading.ts - EPOCH, reading.impact))

    @staticmethod
    def _alarms(outputs: list[Output], result: ReplayResult) -> None:
        """Note the fall alarms among an engine's outputs."""
        for output in outputs:
            alert = output.value
            if not isinstance(alert, Alert):
                continue
            if alert.state == "raised" and alert.alert_type in _ALARMS:
                result.alarms.append(Alarm(round(alert.ts - EPOCH, 3), alert.alert_type))


def _messages(recording: Recording, device: str) -> list[bytes]:
    """The wearable's MQTT payloads: one per accelerometer sample, with the gyroscope samples
    taken up to it that were not sent yet."""
    accel = recording.accel
    gyro = recording.gyro if recording.gyro is not None else np.empty((0, 4))
    order = np.maximum.accumulate(gyro[:, 0]) if len(gyro) else None
    split = np.searchsorted(order, accel[:, 0], "right") if order is not None else None
    out: list[bytes] = []
    sent = 0
    for j in range(len(accel)):
        t = float(accel[j, 0])
        imu: dict[str, object] = {"accel": [accel[j, 1:].tolist()]}
        stop = int(split[j]) if split is not None else 0
        start = t
        if stop > sent:
            part = gyro[sent:stop]
            start = min(t, float(part[:, 0].min()))
            imu["gyro"] = part[:, 1:].tolist()
            imu["gyro_t"] = [round(float(v) - start, 6) for v in part[:, 0]]
            sent = stop
        imu["t"] = [round(t - start, 6)]
        body = {
            "kind": "wearable",
            "worker_id": device,
            "ts": EPOCH + start,
            "x_m": 0.0,
            "y_m": 0.0,
            "imu": imu,
        }
        out.append(orjson.dumps(body))
    return out

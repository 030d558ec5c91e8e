"""The gateway's per-message logic, free of MQTT and Kafka clients (unit-testable).

:meth:`EdgeProcessor.handle` takes one MQTT message and returns what must happen: records to
buffer for Kafka (framed telemetry, wearable readings, acknowledgements, dead letters, the
audit copy of local commands) and local actions to publish on MQTT right away. Bad payloads
become dead letters with the reason, never exceptions. :meth:`EdgeProcessor.on_cloud_command`
decides whether a command from the cloud is for a device of this site.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from app.edge.config import EdgeConfig
from app.edge.motion import MotionBook
from app.edge.payloads import (
    WearableReading,
    decode_ack,
    decode_machine,
    decode_wearable,
    load_payload,
)
from app.edge.privacy import redact_payload
from app.edge.reactions import ManDownGuard, ParamsBook, VibrationGuard
from app.edge.topics import alarm_topic, command_topic, parse_device_topic
from schemas import DeadLetter, ValidationError
from schemas.command import Command

__all__ = ["DEAD_LETTER_SOURCE", "EdgeProcessor", "LocalAction", "Outbound", "Outcome"]

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 1024 * 1024
"""Larger MQTT payloads are rejected; their dead letter keeps the first ``KEEP_BYTES``."""
KEEP_BYTES = 4096

DEAD_LETTER_SOURCE = "mqtt"
"""Metrics label of dead letters rejected by the edge (the topic is in the dead letter)."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """A record for Kafka: topic, key, value; ``framed`` ones travel packed in frames."""

    topic: str
    key: bytes | None
    value: bytes
    framed: bool = False


@dataclass(frozen=True, slots=True)
class LocalAction:
    """A command to publish on MQTT now (a local reaction or a relayed cloud command)."""

    mqtt_topic: str
    command: Command


@dataclass(slots=True)
class Outcome:
    """What one MQTT message led to."""

    kind: str
    outbound: list[Outbound] = field(default_factory=list)
    actions: list[LocalAction] = field(default_factory=list)
    rejected: str | None = None


class EdgeProcessor:
    """Validation, features, privacy and local reactions of one site's gateway."""

    def __init__(
        self, config: EdgeConfig, secret: bytes, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.secret = secret
        self.clock = clock
        self.book = ParamsBook(config.defaults)
        self.vibration = VibrationGuard(config.site, self.book)
        self.man_down = ManDownGuard(config.site)
        self.motion = MotionBook(config.motion_summary_s)
        self.known_devices: set[str] = set()
        self.source = f"edge:{config.site}"

    def handle(self, topic: str, payload: bytes) -> Outcome:
        """Process one MQTT message from a device; never raises on bad input."""
        now = self.clock()
        parsed = parse_device_topic(topic)
        if parsed is None or parsed.site != self.config.site:
            err = ValidationError("bad_id", f"topic {topic[:120]!r} is not a device topic here")
            return self._reject("unknown", topic, None, payload, err, now)
        device = parsed.device
        if len(payload) > MAX_PAYLOAD_BYTES:
            err = ValidationError(
                "out_of_range",
                f"payload of {len(payload)} bytes > {MAX_PAYLOAD_BYTES}; {KEEP_BYTES} kept",
            )
            kept = redact_payload(payload, self.secret, self.config.biometric_fields)
            return self._reject(parsed.channel, topic, device, kept[:KEEP_BYTES], err, now)
        self.known_devices.add(device)
        try:
            if parsed.channel == "ack":
                return self._ack(device, payload, now)
            return self._telemetry(topic, device, payload, now)
        except ValidationError as err:
            return self._reject(parsed.channel, topic, device, payload, err, now)
        except Exception as exc:
            log.exception("edge failed on a message of %s", topic)
            failure = ValidationError("processing_error", f"{type(exc).__name__}: {exc}")
            return self._reject(parsed.channel, topic, device, payload, failure, now)

    def on_cloud_command(self, raw: bytes) -> LocalAction | None:
        """The MQTT action for a command from the commands topic, or None if not ours.

        Skipped: this gateway's own local commands (already executed), commands for another
        site, and site-less commands for devices this gateway has not seen.
        """
        obj, _ = load_payload(raw)
        command = Command.from_dict(obj)
        device = command.asset_id
        if command.source == self.source:
            return None
        if command.site is not None and command.site != self.config.site:
            return None
        if command.site is None and device not in self.known_devices:
            return None
        if command.action == "resume":
            self.vibration.resume(device)
        return LocalAction(command_topic(self.config.site, device), command)

    def _telemetry(self, topic: str, device: str, payload: bytes, now: float) -> Outcome:
        obj, lenient = load_payload(payload)
        kind = obj.get("kind", "machine")
        cfg = self.config
        if kind == "machine":
            reading = decode_machine(obj, device, now=now, limits=cfg.limits, lenient=lenient)
            out = Outcome("machine")
            out.outbound.append(
                Outbound(cfg.topic_telemetry, device.encode(), reading.to_json(), framed=True)
            )
            command = self.vibration.observe(reading, now)
            if command is not None:
                self._local(out, command_topic(cfg.site, device), command)
            return out
        if kind == "wearable":
            wearable = decode_wearable(
                obj,
                device,
                cfg.site,
                now=now,
                limits=cfg.limits,
                secret=self.secret,
                drop=cfg.biometric_fields,
            )
            out = Outcome("wearable")
            for record in self._wearable_records(device, wearable, now):
                out.outbound.append(
                    Outbound(cfg.topic_wearables, wearable.worker.encode(), record, framed=True)
                )
            command = self.man_down.observe(
                device, wearable.worker, wearable.man_down, wearable.ts, now
            )
            if command is not None:
                self._local(out, alarm_topic(cfg.site), command)
            return out
        raise ValidationError("bad_enum", f"kind={kind!r:.60} is not one of machine, wearable")

    def _wearable_records(self, device: str, wearable: WearableReading, now: float) -> list[bytes]:
        """The records a wearable reading forwards: itself, or for a raw IMU block one per
        motion window due (summaries and impact readings; none while a window fills)."""
        block = wearable.imu
        if block is None:
            return [orjson.dumps(wearable.record)]
        try:
            windows = self.motion.push(
                device, now, block.t, block.accel_g, block.gyro_t, block.gyro_dps
            )
        except ValueError as exc:
            raise ValidationError("timestamp_too_old", f"imu: {exc}") from None
        return [orjson.dumps({**wearable.record, **window.fields()}) for window in windows]

    def _ack(self, device: str, payload: bytes, now: float) -> Outcome:
        ack = decode_ack(payload, device, self.config.site, now=now)
        out = Outcome("ack")
        acks = self.config.topic_command_acks
        out.outbound.append(Outbound(acks, device.encode(), ack.to_json()))
        return out

    def _local(self, out: Outcome, mqtt_topic: str, command: Command) -> None:
        out.actions.append(LocalAction(mqtt_topic, command))
        out.outbound.append(
            Outbound(self.config.topic_commands, command.asset_id.encode(), command.to_json())
        )

    def _reject(
        self,
        kind: str,
        topic: str,
        device: str | None,
        payload: bytes,
        err: ValidationError,
        now: float,
    ) -> Outcome:
        key = device.encode() if device else None
        if kind == "telemetry":
            payload = redact_payload(payload, self.secret, self.config.biometric_fields)
        letter = DeadLetter.from_rejection(
            payload,
            err,
            source_topic=f"mqtt:{topic}",
            partition=-1,
            offset=-1,
            key=key,
            received_at=now,
        )
        log.warning("edge dead letter from %s: %s", topic[:120], err)
        out = Outcome(kind, rejected=err.reason)
        out.outbound.append(Outbound(self.config.topic_dead_letters, key, letter.to_json()))
        return out

"""Decode and validate what devices publish over MQTT (untrusted input).

Telemetry payloads (topic ``site/<site>/device/<device>/telemetry``) are JSON objects whose
``kind`` says what the device is:

* ``"machine"`` (the default): a rotating machine. Either the four vibration features are
  given, or a raw block ``"waveform": {"fs_hz": <Hz>, "samples": [<mm/s>, ...]}`` from which
  the gateway computes them (:mod:`edge.waveform`); plus ``asset_class``, ``ts`` and the other
  :class:`~schemas.telemetry.MachineTelemetry` fields. ``asset_id`` defaults to the device id
  of the topic and must equal it when given. The result is validated by the same code as the
  cloud's input (:func:`schemas.validation.decode_telemetry`).
* ``"wearable"``: a worker's wearable: ``worker_id``, ``ts``, optional ``man_down`` (bool),
  anything else (position, cadence, heart rate, raw signals). The worker id is pseudonymised and
  the configured raw biometric fields are dropped here, before anything is buffered. Instead of
  motion summaries a wearable may send a block of raw IMU samples (:func:`decode_imu`)::

      "imu": {"accel": [[x, y, z], ...],   # m/s^2, or g with "accel_unit": "g"
              "t": [s, ...],               # sample times, seconds after ts (else "fs_hz")
              "fs_hz": 50,                 # nominal rate, when "t" is absent
              "gyro": [[x, y, z], ...],    # optional, rad/s
              "gyro_t": [s, ...]}          # gyro times after ts (default: those of accel)

  ``ts`` is then the time the block's times count from; the gateway turns blocks into motion
  features (:mod:`app.edge.motion`) and raw samples never leave the site.

Acknowledgements (topic ``.../ack``): ``{"command_id": <id>, "status": <accepted|done|rejected|
failed>, "detail": <optional text>}``.

Every rejection raises :class:`~schemas.errors.ValidationError` with a reason code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson
from numpy.typing import NDArray

from app.edge.motion import G
from app.edge.privacy import pseudonymise, scrub
from app.edge.waveform import MAX_SAMPLES, MIN_SAMPLES, waveform_features
from schemas import MachineTelemetry, ValidationError, decode_telemetry
from schemas.base import ID_PATTERN, ID_REGEX
from schemas.command import ACK_STATUSES, AckStatus, CommandAck
from schemas.validation import _timestamp

__all__ = [
    "MAX_IMU_SAMPLES",
    "ImuBlock",
    "PayloadLimits",
    "WearableReading",
    "decode_ack",
    "decode_imu",
    "decode_machine",
    "decode_wearable",
    "load_payload",
]

_ID_MATCH = re.compile(ID_REGEX).fullmatch
_MAX_FS_HZ = 1_000_000.0
MAX_IMU_SAMPLES = 6000
"""Samples of one sensor in one IMU block, at most (two minutes at 50 Hz)."""
_MAX_IMU_SPAN_S = 600.0
_MAX_IMU_FS_HZ = 2000.0
_ACCEL_UNITS = {"m/s2": 1.0 / G, "g": 1.0}
_MAX_ACCEL_G = 64.0
_MAX_GYRO_RAD_S = math.radians(5000.0)


@dataclass(frozen=True, slots=True)
class PayloadLimits:
    """Event-time bounds of accepted readings (from settings, as in the cloud)."""

    min_event_time: float = 946684800.0
    max_future_skew_s: float = 300.0


@dataclass(frozen=True, slots=True)
class ImuBlock:
    """A validated block of raw motion: absolute sample times, acceleration in g, and the
    gyroscope's times and angular speed magnitudes in deg/s (None without a gyroscope)."""

    t: NDArray[np.float64]
    accel_g: NDArray[np.float64]
    gyro_t: NDArray[np.float64] | None
    gyro_dps: NDArray[np.float64] | None


@dataclass(frozen=True, slots=True)
class WearableReading:
    """A validated, privacy-scrubbed wearable reading ready to leave the site; ``imu`` holds
    the raw motion block it came with (which stays on the site), if any."""

    worker: str
    ts: float
    man_down: bool
    record: dict[str, Any]
    imu: ImuBlock | None = None


def load_payload(raw: bytes) -> tuple[dict[str, Any], bool]:
    """Parse ``raw`` to a JSON object; return it and whether the lenient parser was needed.

    The stdlib fallback accepts ``NaN``/``Infinity`` tokens so those fields are reported as
    ``not_finite`` later rather than the whole message as malformed.
    """
    lenient = False
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            obj = json.loads(bytes(raw).decode("utf-8"))
        except (ValueError, RecursionError):
            raise ValidationError("malformed_json", str(exc)) from None
        lenient = True
    if type(obj) is not dict:
        raise ValidationError(
            "not_an_object", f"top-level JSON value is {type(obj).__name__}, expected an object"
        )
    return cast(dict[str, Any], obj), lenient


def _identifier(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None and name not in obj:
        raise ValidationError("missing_field", f"{name} is missing")
    if type(value) is str and _ID_MATCH(value):
        return value
    raise ValidationError("bad_id", f"{name}={value!r:.60} does not match {ID_PATTERN}")


def _waveform(obj: dict[str, Any]) -> dict[str, float]:
    """Features of the ``waveform`` block of ``obj`` (validated)."""
    block = obj["waveform"]
    if type(block) is not dict:
        raise ValidationError("wrong_type", "waveform is not an object {fs_hz, samples}")
    fs = block.get("fs_hz")
    samples = block.get("samples")
    if fs is None or samples is None:
        missing = "waveform.fs_hz" if fs is None else "waveform.samples"
        raise ValidationError("missing_field", f"{missing} is missing")
    if type(fs) not in (int, float):
        raise ValidationError("wrong_type", f"waveform.fs_hz={fs!r:.60} is not a number")
    if not (math.isfinite(fs) and 0 < fs <= _MAX_FS_HZ):
        raise ValidationError("out_of_range", f"waveform.fs_hz={fs!r} outside (0, 1000000] Hz")
    if type(samples) is not list:
        raise ValidationError("wrong_type", "waveform.samples is not an array of numbers")
    if not MIN_SAMPLES <= len(samples) <= MAX_SAMPLES:
        raise ValidationError(
            "out_of_range",
            f"waveform has {len(samples)} samples, expected {MIN_SAMPLES}..{MAX_SAMPLES}",
        )
    try:
        x = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("wrong_type", "waveform.samples holds non-numbers") from None
    if x.ndim != 1:
        raise ValidationError("wrong_type", "waveform.samples is not a flat array of numbers")
    if not np.isfinite(x).all():
        raise ValidationError("not_finite", "waveform.samples holds NaN or infinite values")
    try:
        features = waveform_features(x, float(fs))
    except ValueError as exc:
        raise ValidationError("out_of_range", f"waveform: {exc}") from None
    return {
        "vibration_rms": features.vibration_rms,
        "kurtosis": features.kurtosis,
        "crest_factor": features.crest_factor,
        "dominant_freq_hz": features.dominant_freq_hz,
    }


def decode_machine(
    obj: dict[str, Any], device: str, *, now: float, limits: PayloadLimits, lenient: bool = False
) -> MachineTelemetry:
    """Validate a machine reading of ``device`` (raw waveform reduced to features first)."""
    fields = dict(obj)
    asset_id = fields.setdefault("asset_id", device)
    if asset_id != device:
        raise ValidationError(
            "bad_id", f"asset_id={asset_id!r:.60} differs from the topic's device {device!r}"
        )
    if "waveform" in fields:
        fields.update(_waveform(fields))
        del fields["waveform"]
    raw = json.dumps(fields).encode() if lenient else orjson.dumps(fields)
    return decode_telemetry(
        raw,
        now=now,
        min_event_time=limits.min_event_time,
        max_future_skew_s=limits.max_future_skew_s,
    )


def _event_time(obj: dict[str, Any], now: float, limits: PayloadLimits) -> float:
    """The reading's event time in Unix seconds, in any form the cloud accepts
    (:mod:`schemas.timestamps`), within the same window."""
    return _timestamp(obj, now, limits.min_event_time, limits.max_future_skew_s)


def decode_wearable(
    obj: dict[str, Any],
    device: str,
    site: str,
    *,
    now: float,
    limits: PayloadLimits,
    secret: bytes,
    drop: Iterable[str],
) -> WearableReading:
    """Validate a wearable reading; pseudonymise the worker and drop raw biometrics."""
    worker = pseudonymise(_identifier(obj, "worker_id"), secret)
    ts = _event_time(obj, now, limits)
    man_down = obj.get("man_down", False)
    if type(man_down) is not bool:
        raise ValidationError("wrong_type", f"man_down={man_down!r:.60} is not a boolean")
    imu = decode_imu(obj, ts) if obj.get("imu") is not None else None
    record = scrub(obj, drop)
    record.pop("imu", None)
    record.update({"v": 1, "worker_id": worker, "device_id": device, "site": site, "ts": ts})
    return WearableReading(worker, ts, man_down, record, imu)


def _rows(block: dict[str, Any], name: str) -> NDArray[np.float64]:
    """``block[name]``: an array of ``[x, y, z]`` samples as an ``(n, 3)`` float array."""
    value = block[name]
    if type(value) is not list or not value:
        raise ValidationError("wrong_type", f"imu.{name} is not a non-empty array of [x, y, z]")
    if len(value) > MAX_IMU_SAMPLES:
        raise ValidationError(
            "out_of_range", f"imu.{name} has {len(value)} samples, at most {MAX_IMU_SAMPLES}"
        )
    try:
        rows = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("wrong_type", f"imu.{name} holds non-numbers") from None
    if rows.ndim != 2 or rows.shape[1] != 3:
        raise ValidationError("wrong_type", f"imu.{name} samples are not [x, y, z] triples")
    if not np.isfinite(rows).all():
        raise ValidationError("not_finite", f"imu.{name} holds NaN or infinite values")
    return rows


def _offsets(block: dict[str, Any], name: str, n: int, fs: float | None) -> NDArray[np.float64]:
    """Sample times (seconds after ``ts``) of ``n`` samples: ``block[name]``, else ``i / fs``."""
    value = block.get(name)
    if value is None:
        if fs is None:
            raise ValidationError("missing_field", f"imu.{name} and imu.fs_hz are both missing")
        return np.arange(n) / fs
    if type(value) is not list or len(value) != n:
        raise ValidationError("wrong_type", f"imu.{name} is not an array of {n} sample times")
    try:
        offsets = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("wrong_type", f"imu.{name} holds non-numbers") from None
    if offsets.ndim != 1:
        raise ValidationError("wrong_type", f"imu.{name} is not a flat array of numbers")
    if not np.isfinite(offsets).all():
        raise ValidationError("not_finite", f"imu.{name} holds NaN or infinite values")
    if offsets.min() < 0.0 or offsets.max() > _MAX_IMU_SPAN_S:
        raise ValidationError(
            "out_of_range", f"imu.{name} outside [0, {_MAX_IMU_SPAN_S:g}] s after ts"
        )
    return offsets


def decode_imu(obj: dict[str, Any], ts: float) -> ImuBlock:
    """Validate the raw ``imu`` block of a wearable payload whose times count from ``ts``."""
    block = obj["imu"]
    if type(block) is not dict:
        raise ValidationError("wrong_type", "imu is not an object {accel, t | fs_hz, ...}")
    if "accel" not in block:
        raise ValidationError("missing_field", "imu.accel is missing")
    fs = block.get("fs_hz")
    if fs is not None:
        if type(fs) not in (int, float):
            raise ValidationError("wrong_type", f"imu.fs_hz={fs!r:.60} is not a number")
        if not (math.isfinite(fs) and 0 < fs <= _MAX_IMU_FS_HZ):
            raise ValidationError(
                "out_of_range", f"imu.fs_hz={fs!r} outside (0, {_MAX_IMU_FS_HZ:g}] Hz"
            )
        fs = float(fs)
    unit = block.get("accel_unit", "m/s2")
    if unit not in _ACCEL_UNITS:
        raise ValidationError("bad_enum", f"imu.accel_unit={unit!r:.60} is not one of m/s2, g")
    accel = _rows(block, "accel") * _ACCEL_UNITS[unit]
    if np.abs(accel).max() > _MAX_ACCEL_G:
        raise ValidationError("out_of_range", f"imu.accel beyond +-{_MAX_ACCEL_G:g} g")
    t = ts + _offsets(block, "t", len(accel), fs)
    if block.get("gyro") is None:
        return ImuBlock(t, accel, None, None)
    gyro = _rows(block, "gyro")
    if np.abs(gyro).max() > _MAX_GYRO_RAD_S:
        raise ValidationError("out_of_range", "imu.gyro beyond +-5000 deg/s")
    if block.get("gyro_t") is None and block.get("t") is not None:
        if len(gyro) != len(accel):
            raise ValidationError(
                "wrong_type", "imu.gyro has another length than imu.accel and no imu.gyro_t"
            )
        gyro_t = t
    else:
        gyro_t = ts + _offsets(block, "gyro_t", len(gyro), fs)
    speed = np.degrees(np.sqrt(np.einsum("ij,ij->i", gyro, gyro)))
    return ImuBlock(t, accel, gyro_t, speed)


def decode_ack(raw: bytes, device: str, site: str, *, now: float) -> CommandAck:
    """Validate a device's acknowledgement and build the :class:`CommandAck` to forward."""
    obj, _ = load_payload(raw)
    command = _identifier(obj, "command_id")
    status = obj.get("status")
    if status not in ACK_STATUSES:
        raise ValidationError(
            "bad_enum", f"status={status!r:.60} is not one of {', '.join(ACK_STATUSES)}"
        )
    detail = obj.get("detail", "")
    if detail is None:
        detail = ""
    if type(detail) is not str:
        raise ValidationError("wrong_type", f"detail={detail!r:.60} is not a string")
    return CommandAck(
        command_id=command,
        asset_id=device,
        site=site,
        status=cast(AckStatus, status),
        detail=detail[:500],
        received_at=now,
    )

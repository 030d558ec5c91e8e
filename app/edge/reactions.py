"""The edge's light per-device model: local reactions without a cloud round trip.

* Vibration guard (machines): per device, a streak counter per threshold and an EWMA of the
  device's normal vibration. ``min_consecutive`` readings at or above ``stop_rms`` -> a ``stop``
  command; at or above ``derate_rms`` -> ``derate``. A derated device re-arms once its RMS falls
  below 80 % of the derate level; a stopped one stays latched until a ``resume`` command for it
  passes through the gateway (a human or the cloud decides to restart a machine, never the edge).
* Man-down (wearables): the first reading of an episode with ``man_down`` true -> a local
  ``alarm``; re-armed when the wearable reports ``man_down`` false.

Thresholds are per asset class (:class:`ParamsBook`): the cloud publishes them on a compacted
topic and the gateway applies them live; classes without published parameters - and every
class while the gateway has never reached the cloud - use the local defaults from settings.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import orjson

from schemas import MachineTelemetry
from schemas.command import Command, EdgeParams, command_id

__all__ = ["DEFAULT_CLASS", "ManDownGuard", "ParamsBook", "VibrationGuard", "parse_edge_params"]

log = logging.getLogger(__name__)

DEFAULT_CLASS = "*"
REARM_RATIO = 0.8
BASELINE_ALPHA = 0.05

_NORMAL, _DERATED, _STOPPED = 0, 1, 2


def parse_edge_params(raw: bytes) -> EdgeParams:
    """Decode an edge-params record from the cloud; ``ValueError`` when unusable."""
    obj = orjson.loads(raw)
    if type(obj) is not dict:
        raise ValueError("edge params are not a JSON object")
    params = EdgeParams.from_dict(obj)
    numbers = (params.derate_rms, params.stop_rms, params.derate_pct)
    if not all(type(n) in (int, float) and math.isfinite(n) and n > 0 for n in numbers):
        raise ValueError(f"edge params of {params.asset_class!r}: non-positive threshold")
    if params.stop_rms < params.derate_rms:
        raise ValueError(f"edge params of {params.asset_class!r}: stop_rms below derate_rms")
    if type(params.min_consecutive) is not int or params.min_consecutive < 1:
        raise ValueError(f"edge params of {params.asset_class!r}: min_consecutive must be >= 1")
    return params


class ParamsBook:
    """Edge parameters per asset class: the cloud's newest, else the local defaults."""

    def __init__(self, defaults: EdgeParams) -> None:
        self.defaults = replace(defaults, asset_class=DEFAULT_CLASS)
        self._by_class: dict[str, EdgeParams] = {}

    def get(self, asset_class: str) -> EdgeParams:
        """Parameters for ``asset_class``."""
        return self._by_class.get(asset_class, self.defaults)

    def apply(self, params: EdgeParams) -> bool:
        """Adopt ``params`` unless an equal or newer version of its class is held."""
        held = self._by_class.get(params.asset_class)
        if held is not None and held.version >= params.version:
            return False
        self._by_class[params.asset_class] = params
        log.info(
            "edge params of %s v%d applied: derate %.2f, stop %.2f mm/s",
            params.asset_class,
            params.version,
            params.derate_rms,
            params.stop_rms,
        )
        return True

    def classes(self) -> list[str]:
        """Asset classes with cloud parameters."""
        return sorted(self._by_class)


@dataclass(slots=True)
class _DeviceState:
    level: int = _NORMAL
    derate_streak: int = 0
    stop_streak: int = 0
    baseline: float = math.nan


class VibrationGuard:
    """Per-device vibration state machine issuing stop/derate commands (module docstring)."""

    def __init__(self, site: str, book: ParamsBook) -> None:
        self.source = f"edge:{site}"
        self.site = site
        self.book = book
        self._devices: dict[str, _DeviceState] = {}

    def observe(self, reading: MachineTelemetry, now: float) -> Command | None:
        """Update the device's state with ``reading``; return a command when it must react."""
        state = self._devices.get(reading.asset_id)
        if state is None:
            state = self._devices[reading.asset_id] = _DeviceState()
        params = self.book.get(reading.asset_class)
        rms = reading.vibration_rms
        state.stop_streak = state.stop_streak + 1 if rms >= params.stop_rms else 0
        state.derate_streak = state.derate_streak + 1 if rms >= params.derate_rms else 0
        if state.level == _DERATED and rms < params.derate_rms * REARM_RATIO:
            state.level = _NORMAL
        if state.level == _NORMAL and rms < params.derate_rms:
            b = state.baseline
            state.baseline = rms if math.isnan(b) else b + BASELINE_ALPHA * (rms - b)
        need = params.min_consecutive
        if state.level < _STOPPED and state.stop_streak >= need:
            state.level = _STOPPED
            return self._command(reading, "stop", params.stop_rms, state, now, {})
        if state.level < _DERATED and state.derate_streak >= need:
            state.level = _DERATED
            extra = {"derate_pct": float(params.derate_pct)}
            return self._command(reading, "derate", params.derate_rms, state, now, extra)
        return None

    def resume(self, device: str) -> None:
        """Unlatch ``device`` after a ``resume`` command was relayed to it."""
        self._devices.pop(device, None)

    def _command(
        self,
        reading: MachineTelemetry,
        action: str,
        threshold: float,
        state: _DeviceState,
        now: float,
        params: dict[str, float],
    ) -> Command:
        baseline = "unknown" if math.isnan(state.baseline) else f"{state.baseline:.2f} mm/s"
        streak = state.stop_streak if action == "stop" else state.derate_streak
        reason = (
            f"vibration_rms {reading.vibration_rms:.2f} mm/s >= {action} level "
            f"{threshold:.2f} for {streak} readings (device baseline {baseline})"
        )
        return Command(
            command_id=command_id(self.source, reading.asset_id, action, reading.ts),
            asset_id=reading.asset_id,
            action=action,  # type: ignore[arg-type]
            reason=reason,
            source=self.source,
            trigger_ts=reading.ts,
            issued_at=now,
            site=self.site,
            params={**params, "vibration_rms": round(reading.vibration_rms, 3)},
        )


class ManDownGuard:
    """Raises one local alarm per man-down episode of a wearable."""

    def __init__(self, site: str) -> None:
        self.source = f"edge:{site}"
        self.site = site
        self._down: set[str] = set()

    def observe(
        self, device: str, worker: str, man_down: bool, ts: float, now: float
    ) -> Command | None:
        """Return an alarm command at the start of a man-down episode of ``device``."""
        if not man_down:
            self._down.discard(device)
            return None
        if device in self._down:
            return None
        self._down.add(device)
        return Command(
            command_id=command_id(self.source, device, "alarm", ts),
            asset_id=device,
            action="alarm",
            reason=f"man-down reported by wearable {device} (worker {worker})",
            source=self.source,
            trigger_ts=ts,
            issued_at=now,
            site=self.site,
        )

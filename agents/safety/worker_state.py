"""The compact per-worker state of the safety worker agent, as one binary table value.

| part | bytes |
|---|---|
| header: version, last event time, shift start, presence bookkeeping, walking | 35 |
| fatigue tracker (baseline, levels) | 84 |
| man-down detector | 35 |
| stationary tracker | 46 |
| alert states: fatigue, man-down | 2 x 48 |
| zone id, device id, site (length-prefixed UTF-8) | <= 3 x 65 |
| fall stage (version 2): newest impact reading's time, fall-suspected alert state | 8 + 48 |

About 360 bytes plus the three ids; the tests keep it under 1 KB. Version 1 values (before the
fall stage) are still read.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping

from agents.safety.config import FALL_SUSPECTED, FATIGUE, MAN_DOWN
from agents.safety.fatigue import FatigueTracker
from agents.safety.man_down import ManDownDetector
from agents.safety.stationary import StationaryTracker
from agents.safety.text_codec import pack_text, unpack_text
from app.core.alerting import AlertState

__all__ = ["WorkerState"]

_VERSION = 2
_HEADER = struct.Struct("<BddddBB")
_FALL = struct.Struct("<d")
_PRESENCE_CODES = ("", "moving", "stationary", "left")


class WorkerState:
    """Everything the worker agent remembers about one worker (see the module docstring).

    ``presence_state``/``presence_zone``/``presence_ts``/``presence_since`` describe the last
    zone-presence record sent for the worker, so the next one is sent only when needed;
    ``walking`` says whether the previous window was a walking window; ``last_impact_ts`` is
    the event time of the newest impact reading (they are ordered apart from the windows).
    """

    __slots__ = (
        "device_id",
        "fall_alert",
        "fatigue",
        "fatigue_alert",
        "last_impact_ts",
        "last_ts",
        "man_down",
        "man_down_alert",
        "presence_since",
        "presence_state",
        "presence_ts",
        "presence_zone",
        "shift_start",
        "site",
        "stationary",
        "walking",
    )

    def __init__(self) -> None:
        self.last_ts = math.nan
        self.shift_start = math.nan
        self.presence_ts = math.nan
        self.presence_since = math.nan
        self.presence_state = ""
        self.presence_zone = ""
        self.device_id = ""
        self.site = ""
        self.walking = False
        self.fatigue = FatigueTracker()
        self.man_down = ManDownDetector()
        self.stationary = StationaryTracker()
        self.fatigue_alert = AlertState()
        self.man_down_alert = AlertState()
        self.last_impact_ts = math.nan
        self.fall_alert = AlertState()

    def alerts(self) -> Mapping[str, AlertState]:
        """The worker's alert lifecycle states by alert type."""
        return {
            FATIGUE: self.fatigue_alert,
            MAN_DOWN: self.man_down_alert,
            FALL_SUSPECTED: self.fall_alert,
        }

    def to_bytes(self) -> bytes:
        """Encode the whole state."""
        head = _HEADER.pack(
            _VERSION,
            self.last_ts,
            self.shift_start,
            self.presence_ts,
            self.presence_since,
            _PRESENCE_CODES.index(self.presence_state),
            int(self.walking),
        )
        return b"".join(
            (
                head,
                self.fatigue.to_bytes(),
                self.man_down.to_bytes(),
                self.stationary.to_bytes(),
                self.fatigue_alert.to_bytes(),
                self.man_down_alert.to_bytes(),
                pack_text(self.presence_zone),
                pack_text(self.device_id),
                pack_text(self.site),
                _FALL.pack(self.last_impact_ts),
                self.fall_alert.to_bytes(),
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> WorkerState:
        """Decode :meth:`to_bytes` output (or a version 1 value); ``ValueError`` when malformed
        or of another version."""
        if len(data) < _HEADER.size or data[0] not in (1, _VERSION):
            raise ValueError("not a WorkerState of version 1 or 2")
        try:
            _, last_ts, shift_start, p_ts, p_since, code, walking = _HEADER.unpack_from(data)
            state = cls()
            state.last_ts, state.shift_start = last_ts, shift_start
            state.presence_ts, state.presence_since = p_ts, p_since
            state.presence_state = _PRESENCE_CODES[code]
            state.walking = bool(walking)
            offset = _HEADER.size
            parts: list[bytes] = []
            for size in (
                FatigueTracker.SIZE,
                ManDownDetector.SIZE,
                StationaryTracker.SIZE,
                AlertState.SIZE,
                AlertState.SIZE,
            ):
                parts.append(data[offset : offset + size])
                offset += size
            state.fatigue = FatigueTracker.from_bytes(parts[0])
            state.man_down = ManDownDetector.from_bytes(parts[1])
            state.stationary = StationaryTracker.from_bytes(parts[2])
            state.fatigue_alert = AlertState.from_bytes(parts[3])
            state.man_down_alert = AlertState.from_bytes(parts[4])
            state.presence_zone, offset = unpack_text(data, offset)
            state.device_id, offset = unpack_text(data, offset)
            state.site, offset = unpack_text(data, offset)
            if data[0] == _VERSION:
                (state.last_impact_ts,) = _FALL.unpack_from(data, offset)
                offset += _FALL.size
                state.fall_alert = AlertState.from_bytes(data[offset : offset + AlertState.SIZE])
        except (IndexError, struct.error, UnicodeDecodeError) as exc:
            raise ValueError(f"malformed WorkerState: {exc}") from exc
        return state

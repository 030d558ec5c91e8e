"""The compact per-zone state of the safety zone agent: who is in the zone, since when.

One :class:`Member` per worker currently in the zone (about 80 bytes each with its ids), the
zone's event-time watermark and the lifecycle of its stationary-group alert (48 bytes). A zone
with a dozen workers in it takes about 1 KB.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from agents.safety.config import STATIONARY_CLUSTER
from agents.safety.text_codec import pack_text, unpack_text
from app.core.alerting import AlertState

__all__ = ["Member", "ZoneState"]

_VERSION = 1
_HEADER = struct.Struct("<BdH")
_MEMBER = struct.Struct("<BBdddd")


@dataclass(slots=True)
class Member:
    """A worker in the zone: stationary or not since ``since``, last seen at ``last_ts``.

    ``x``/``y`` is the last site position (metres), ``device_id`` the wearable to warn, and
    ``warned`` whether its haptic warning for the current stationary spell was sent.
    """

    stationary: bool
    since: float
    last_ts: float
    x: float
    y: float
    device_id: str
    warned: bool = False


class ZoneState:
    """Members, watermark and group-alert lifecycle of one zone."""

    __slots__ = ("alert", "members", "watermark")

    def __init__(self) -> None:
        self.watermark = math.nan
        self.members: dict[str, Member] = {}
        self.alert = AlertState()

    def alerts(self) -> Mapping[str, AlertState]:
        """The zone's alert lifecycle states by alert type."""
        return {STATIONARY_CLUSTER: self.alert}

    def to_bytes(self) -> bytes:
        """Encode the whole state."""
        parts = [_HEADER.pack(_VERSION, self.watermark, len(self.members)), self.alert.to_bytes()]
        for worker, m in self.members.items():
            parts.append(pack_text(worker))
            parts.append(
                _MEMBER.pack(int(m.stationary), int(m.warned), m.since, m.last_ts, m.x, m.y)
            )
            parts.append(pack_text(m.device_id))
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> ZoneState:
        """Decode :meth:`to_bytes` output; ``ValueError`` when malformed or of another version."""
        if len(data) < _HEADER.size or data[0] != _VERSION:
            raise ValueError("not a ZoneState of version 1")
        try:
            _, watermark, count = _HEADER.unpack_from(data)
            state = cls()
            state.watermark = watermark
            offset = _HEADER.size
            state.alert = AlertState.from_bytes(data[offset : offset + AlertState.SIZE])
            offset += AlertState.SIZE
            for _ in range(count):
                worker, offset = unpack_text(data, offset)
                stationary, warned, since, last_ts, x, y = _MEMBER.unpack_from(data, offset)
                offset += _MEMBER.size
                device, offset = unpack_text(data, offset)
                state.members[worker] = Member(
                    bool(stationary), since, last_ts, x, y, device, bool(warned)
                )
        except (IndexError, struct.error, UnicodeDecodeError) as exc:
            raise ValueError(f"malformed ZoneState: {exc}") from exc
        return state

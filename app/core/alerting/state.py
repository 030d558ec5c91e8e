"""The per-(asset, alert type) memory of the alert lifecycle, in 48 bytes.

:class:`AlertState` lives inside each asset's compact state in a Faust table, so it is a
``__slots__`` object with a fixed-size binary form (:meth:`AlertState.to_bytes`) and a plain
tuple form (:meth:`AlertState.to_tuple`) for JSON-style codecs. ``AlertState()`` is the idle
state. Unset times are ``None`` in Python and NaN in the binary form.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from app.core.alerting.severity import Severity

__all__ = ["AlertState"]

# version, flags, severity code, pad, episodes, then five float64:
# first_ts, pending_since, last_ts, last_score, cleared_at.
_FORMAT = struct.Struct("<BBBxIddddd")
_VERSION = 1
_ACTIVE = 0x01
_CODES: tuple[Severity | None, ...] = (None, *Severity)
_CODE_OF: dict[Severity | None, int] = {sev: code for code, sev in enumerate(_CODES)}
_NAN = math.nan


def _pack_time(value: float | None) -> float:
    """Encode an optional time as a float, ``None`` as NaN."""
    return _NAN if value is None else value


def _unpack_time(value: float) -> float | None:
    """Decode a float time, NaN as ``None``."""
    return None if math.isnan(value) else value


class AlertState:
    """Lifecycle memory of one alert type on one asset; mutated in place by the lifecycle.

    Attributes:
        active: the alert is raised and not yet cleared.
        first_ts: event time the current (or last) episode started, i.e. the score first
            crossed the raise threshold; ``None`` before the first episode.
        pending_since: event time the score crossed the raise threshold while inactive and has
            stayed above it since; ``None`` when not pending.
        last_ts: newest event time processed; older events are ignored.
        last_score: score of the last emitted transition.
        severity: severity of the last emitted transition, ``None`` before the first.
        cleared_at: event time of the last clear, for the cooldown; ``None`` if never cleared.
        episodes: number of episodes raised on this asset for this alert type.
    """

    __slots__ = (
        "active",
        "cleared_at",
        "episodes",
        "first_ts",
        "last_score",
        "last_ts",
        "pending_since",
        "severity",
    )

    SIZE = _FORMAT.size

    def __init__(
        self,
        *,
        active: bool = False,
        first_ts: float | None = None,
        pending_since: float | None = None,
        last_ts: float | None = None,
        last_score: float = 0.0,
        severity: Severity | None = None,
        cleared_at: float | None = None,
        episodes: int = 0,
    ) -> None:
        """Create a state; with no arguments, the idle state of a never-alerted asset."""
        self.active = active
        self.first_ts = first_ts
        self.pending_since = pending_since
        self.last_ts = last_ts
        self.last_score = last_score
        self.severity = severity
        self.cleared_at = cleared_at
        self.episodes = episodes

    def to_tuple(self) -> tuple[Any, ...]:
        """Return the state as a tuple of JSON-able primitives (severity as its value)."""
        return (
            self.active,
            self.first_ts,
            self.pending_since,
            self.last_ts,
            self.last_score,
            None if self.severity is None else self.severity.value,
            self.cleared_at,
            self.episodes,
        )

    @classmethod
    def from_tuple(cls, data: tuple[Any, ...] | list[Any]) -> AlertState:
        """Rebuild a state from :meth:`to_tuple` output (a list is accepted, as JSON gives)."""
        if len(data) != 8:
            raise ValueError(f"AlertState tuple needs 8 fields, got {len(data)}")
        active, first_ts, pending, last_ts, last_score, severity, cleared_at, episodes = data
        return cls(
            active=bool(active),
            first_ts=first_ts,
            pending_since=pending,
            last_ts=last_ts,
            last_score=float(last_score),
            severity=None if severity is None else Severity(severity),
            cleared_at=cleared_at,
            episodes=int(episodes),
        )

    def to_bytes(self) -> bytes:
        """Return the fixed-size (``SIZE`` = 48 bytes) little-endian binary form."""
        return _FORMAT.pack(
            _VERSION,
            _ACTIVE if self.active else 0,
            _CODE_OF[self.severity],
            self.episodes & 0xFFFFFFFF,
            _pack_time(self.first_ts),
            _pack_time(self.pending_since),
            _pack_time(self.last_ts),
            self.last_score,
            _pack_time(self.cleared_at),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> AlertState:
        """Rebuild a state from :meth:`to_bytes` output; raises ``ValueError`` if malformed."""
        if len(data) != _FORMAT.size:
            raise ValueError(f"AlertState needs {_FORMAT.size} bytes, got {len(data)}")
        version, flags, code, episodes, first, pending, last, score, cleared = _FORMAT.unpack(data)
        if version != _VERSION:
            raise ValueError(f"unknown AlertState version {version}")
        if code >= len(_CODES):
            raise ValueError(f"unknown severity code {code}")
        return cls(
            active=bool(flags & _ACTIVE),
            first_ts=_unpack_time(first),
            pending_since=_unpack_time(pending),
            last_ts=_unpack_time(last),
            last_score=score,
            severity=_CODES[code],
            cleared_at=_unpack_time(cleared),
            episodes=episodes,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AlertState):
            return NotImplemented
        return self.to_tuple() == other.to_tuple()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"AlertState({fields})"

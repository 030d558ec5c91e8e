"""The base of every domain engine: per-entity states, validation time bounds and the clock.

Domain engines (maintenance assets, fleet vehicles and areas, safety workers and zones) differ
in what they compute per record, not in how they hold state: each keeps an
:class:`~streams.entity_cache.EntityCache` of its entities, validates event times against the
same bounds and reads the wall clock through an injectable function (tests pass a fixed one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from app.core.entity_cache import EncodableState, EntityCache
from app.core.records import Emit, RecordMeta, dead_letter_emit
from schemas import ValidationError

__all__ = ["KeyedEngine", "TimeBounds"]

S = TypeVar("S", bound=EncodableState)


class TimeBounds(Protocol):
    """Event-time validation bounds (a domain's limits or config object provides them)."""

    @property
    def min_event_time(self) -> float:
        """Event times before this (epoch seconds) are rejected as too old."""
        ...

    @property
    def max_future_skew_s(self) -> float:
        """Event times further than this ahead of the wall clock are rejected."""
        ...


class KeyedEngine(Generic[S]):
    """Holds a domain's entity states and the bounds its decoders validate event times with.

    ``self.cache`` is the :class:`EntityCache` the agent takes due table writes from;
    ``self.time_bounds`` is passed to the schema decoders as keyword arguments.
    """

    def __init__(
        self,
        load_state: Callable[[str], bytes | None],
        decode: Callable[[bytes], S],
        flush_every: int,
        bounds: TimeBounds,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self.cache: EntityCache[S] = EntityCache(load_state, decode, flush_every)
        self.time_bounds = {
            "min_event_time": bounds.min_event_time,
            "max_future_skew_s": bounds.max_future_skew_s,
        }

    def state_of(self, key: str) -> S | None:
        """The in-memory state of entity ``key`` (tests and diagnostics)."""
        entry = self.cache.get(key)
        return entry.state if entry else None

    def dead_letter(self, raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Emit:
        """The dead letter of rejected input; a domain whose input is sensitive (biometrics,
        personal ids) overrides it to redact the record before it leaves the engine."""
        return dead_letter_emit(raw, err, meta, now)

    def error_letter(self, raw: bytes, meta: RecordMeta, exc: Exception) -> Emit:
        """A dead letter for a record whose processing raised (a bug, not bad input).

        It goes through :meth:`dead_letter`, so a crash never leaks what validation would
        have redacted.
        """
        err = ValidationError("processing_error", f"{type(exc).__name__}: {exc}")
        return self.dead_letter(raw, err, meta, self._clock())

"""The base of every domain engine: routes of its inputs, entity states, bounds and dead letters.

Domain engines (maintenance assets, fleet vehicles and areas, safety workers and zones) differ
in what they do with a record, not in how a record reaches them. :class:`KeyedEngine` owns that
part once: each logical input has a :class:`Route` (how to decode the raw bytes, which entity a
record is keyed by, how to create the entity's state, which event time must not lag the
entity's newest by more than the allowed lateness, and what to apply); :meth:`KeyedEngine.handle`
decodes with the domain's time bounds, turns every rejection into a dead letter, looks the
entity up in its :class:`~app.core.entity_cache.EntityCache`, skips a record the entity has
already applied (delivered again after a crash or a rebalance: :mod:`app.core.positions`) and
applies the record exactly once. A route that ``waits_for`` another input (labels waiting for
readings) has its records held until the entity's stream of that input passes their event time
(:mod:`app.core.held`), so the entity sees its inputs in event-time order however the topics
arrive.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from app.core.alerting.state import AlertState
from app.core.entity_cache import EntityCache, Entry
from app.core.held import MAX_HELD, Held
from app.core.records import Output, RecordMeta, dead_letter
from schemas import ValidationError, check_lateness

__all__ = ["AlertingState", "KeyedEngine", "Route", "StateLoader", "StreamLimits"]

R = TypeVar("R")
S = TypeVar("S", bound="AlertingState")

log = logging.getLogger(__name__)

StateLoader = Callable[[str], bytes | None]
"""Reads the stored state bytes of an entity from its table (None when absent)."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Validation bounds shared by every domain's engine.

    Attributes:
        min_event_time: event times before this (Unix seconds) are rejected as too old.
        max_future_skew_s: event times further ahead of the wall clock are rejected.
        max_lateness_s: a record lagging its entity's newest event time by more is rejected.
        hold_grace_s: a held record (see :class:`Route` ``waits_for``) of an entity whose own
            stream has gone quiet is applied once its partition's stream time is this far past
            the record's event time.
    """

    min_event_time: float = 946684800.0
    max_future_skew_s: float = 300.0
    max_lateness_s: float = 86400.0
    hold_grace_s: float = 3600.0

    @property
    def time_bounds(self) -> dict[str, float]:
        """The keyword arguments the schema decoders validate event times with."""
        return {"min_event_time": self.min_event_time, "max_future_skew_s": self.max_future_skew_s}


class AlertingState(Protocol):
    """A per-entity state: encodable for its table, with its alerts by type."""

    def to_bytes(self) -> bytes:
        """Encode the state for the table (and its changelog)."""
        ...

    def alerts(self) -> Mapping[str, AlertState]:
        """The entity's alert lifecycle states by alert type (for the active-alert gauges)."""
        ...


@dataclass(frozen=True, slots=True)
class Route(Generic[R, S]):
    """How records of one logical input reach an entity's state.

    Attributes:
        decode: ``decode(raw, now)`` -> validated record; raises :class:`ValidationError`.
        key: the entity a record belongs to.
        create: the state of an entity seen for the first time (from its first record).
        apply: ``apply(record, entry, now)`` -> the outputs of the record.
        event_ts: the record's event time, checked against ``newest_ts`` of the entity's state
            with the allowed lateness (None: no lateness check for this input).
        newest_ts: the newest event time the entity's state has seen (None before the first).
        waits_for: the input whose event time this input's records must not run ahead of
            (labels wait for readings): a record whose ``event_ts`` is past the entity's
            ``newest_ts`` of that input is held and applied just before the first record of
            that input at or after its time (or after ``hold_grace_s`` of partition stream
            time). Needs ``event_ts`` here and ``event_ts``/``newest_ts`` on that input.
    """

    decode: Callable[[bytes, float], R]
    key: Callable[[R], str]
    create: Callable[[R], S]
    apply: Callable[[R, Entry[S], float], list[Output]]
    event_ts: Callable[[R], float] | None = None
    newest_ts: Callable[[S], float | None] | None = None
    waits_for: str | None = None


class KeyedEngine(Generic[S]):
    """A domain engine over entities of one kind (see the module docstring).

    Subclasses register a :class:`Route` per logical input with :meth:`route` and may
    override :meth:`dead_letter` (e.g. to redact personal data) and :meth:`tick` (periodic
    work on the wall clock). ``self.cache`` holds the entity states of this worker's
    partitions; the runtime writes the due ones to the table.
    """

    def __init__(
        self,
        load_state: StateLoader,
        decode_state: Callable[[bytes], S],
        limits: StreamLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self.limits = limits
        self.cache: EntityCache[S] = EntityCache(load_state, decode_state)
        self._routes: dict[str, Route[Any, S]] = {}
        self.replayed = 0
        """Records skipped because their entity had already applied them (redeliveries)."""
        self._drivers: set[str] = set()
        self._stream_time: dict[int, float] = {}

    def route(self, name: str, route: Route[Any, S]) -> None:
        """Register how records of logical input ``name`` are handled."""
        if route.waits_for is not None:
            driver = self._routes.get(route.waits_for)
            if route.event_ts is None or driver is None or driver.newest_ts is None:
                raise ValueError(
                    f"input {name!r} waits for {route.waits_for!r}: it needs event_ts, and "
                    f"{route.waits_for!r} must be registered first with event_ts and newest_ts"
                )
            self._drivers.add(route.waits_for)
        self._routes[name] = route

    @property
    def inputs(self) -> tuple[str, ...]:
        """The logical inputs this engine handles."""
        return tuple(self._routes)

    def timed(self, decode: Callable[..., R]) -> Callable[[bytes, float], R]:
        """A ``decode(raw, now)`` from a schema decoder validating event times with the
        engine's bounds (``decode(raw, now=..., min_event_time=..., max_future_skew_s=...)``)."""
        bounds = self.limits.time_bounds

        def decode_timed(raw: bytes, now: float) -> R:
            return decode(raw, now=now, **bounds)

        return decode_timed

    def handle(self, raw: bytes, meta: RecordMeta) -> list[Output]:
        """Process one raw record of input ``meta.input``; bad input becomes a dead letter.

        An unexpected exception of the domain's code propagates: the runtime turns it into
        :meth:`error_letter` and counts it.
        """
        now = self._clock()
        route = self._routes.get(meta.input)
        if route is None:
            raise KeyError(f"{type(self).__name__} has no input {meta.input!r}")
        try:
            record = route.decode(raw, now)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, now)]
        entry = self.cache.entry(route.key(record), meta.partition, lambda: route.create(record))
        positions = entry.positions
        kafka = meta.offset >= 0
        if kafka and positions.applied(meta.topic, meta.partition, meta.offset, meta.index):
            self.replayed += 1
            return []
        ts = route.event_ts(record) if route.event_ts is not None else None
        if ts is not None and route.newest_ts is not None:
            try:
                check_lateness(ts, route.newest_ts(entry.state), self.limits.max_lateness_s)
            except ValidationError as err:
                return [self.dead_letter(raw, err, meta, now)]
        outputs: list[Output] = []
        if ts is not None and route.waits_for is not None:
            reached = self._routes[route.waits_for].newest_ts(entry.state)  # type: ignore[misc]
            if reached is None or ts > reached:
                outputs = self._hold(entry, ts, meta, raw, now)
                if kafka:
                    positions.advance(meta.topic, meta.partition, meta.offset, meta.index)
                entry.touch()
                return outputs
        elif ts is not None and meta.input in self._drivers:
            if ts > self._stream_time.get(meta.partition, float("-inf")):
                self._stream_time[meta.partition] = ts
            if entry.held and entry.held[0].ts <= ts:
                due = [h for h in entry.held if h.ts <= ts]
                entry.held = [h for h in entry.held if h.ts > ts]
                outputs = self._apply_held(entry, due, now)
        outputs.extend(route.apply(record, entry, now))
        if kafka:
            positions.advance(meta.topic, meta.partition, meta.offset, meta.index)
        entry.touch()
        return outputs

    def _hold(
        self, entry: Entry[S], ts: float, meta: RecordMeta, raw: bytes, now: float
    ) -> list[Output]:
        """Hold a record until the entity's stream passes ``ts``; past :data:`MAX_HELD`, the
        oldest held record is applied at once (its outputs returned)."""
        entry.held.append(
            Held(ts, meta.input, meta.topic, meta.partition, meta.offset, meta.index, raw)
        )
        entry.held.sort(key=lambda h: h.ts)
        if len(entry.held) <= MAX_HELD:
            return []
        log.warning("%s holds %d records; applying the oldest", entry.key, MAX_HELD)
        return self._apply_held(entry, [entry.held.pop(0)], now)

    def _apply_held(self, entry: Entry[S], held: list[Held], now: float) -> list[Output]:
        """Apply records released from ``entry``'s hold, oldest first."""
        outputs: list[Output] = []
        for h in held:
            route = self._routes[h.input]
            meta = RecordMeta(h.input, h.topic, h.partition, h.offset, entry.key.encode(), h.index)
            try:
                record = route.decode(h.raw, now)
            except ValidationError as err:
                outputs.append(self.dead_letter(h.raw, err, meta, now))
                continue
            outputs.extend(route.apply(record, entry, now))
        entry.touch()
        return outputs

    def release_overdue(self) -> list[Output]:
        """Apply held records of quiet entities: those ``hold_grace_s`` of their partition's
        stream time old (the runtime's timer calls it)."""
        grace = self.limits.hold_grace_s
        now = self._clock()
        outputs: list[Output] = []
        for _, entry in self.cache.items():
            if not entry.held:
                continue
            stream_time = self._stream_time.get(entry.partition)
            if stream_time is None or entry.held[0].ts + grace > stream_time:
                continue
            due = [h for h in entry.held if h.ts + grace <= stream_time]
            entry.held = [h for h in entry.held if h.ts + grace > stream_time]
            outputs.extend(self._apply_held(entry, due, now))
        return outputs

    def tick(self) -> list[Output]:
        """Periodic work on the wall clock (the runtime's timer); none by default."""
        return []

    def reload(self, stored: Iterable[tuple[str, int]]) -> int:
        """Bring the stored states of ``(key, partition)`` pairs into memory; returns how many
        are held.

        The runtime calls it after a partition assignment, once the tables are recovered, with
        every entity stored on the worker's partitions - for an agent whose plan asks for it
        (:attr:`app.core.domain.AgentPlan.reload`): an engine whose :meth:`tick` acts on
        wall-clock deadlines must see entities that send nothing new. Each state loaded goes
        through :meth:`on_reload`.
        """
        held = 0
        for key, partition in stored:
            entry = self.cache.load(key, partition)
            if entry is not None:
                held += 1
                self.on_reload(key, entry)
        return held

    def on_reload(self, key: str, entry: Entry[S]) -> None:
        """A state :meth:`reload` brought into memory (or found there); nothing by default."""

    def state_of(self, key: str) -> S | None:
        """The in-memory state of entity ``key`` (tests and diagnostics)."""
        entry = self.cache.get(key)
        return entry.state if entry else None

    def active_alerts(self) -> Counter[str]:
        """Active alerts by type among the entities held, derived from their states."""
        counts: Counter[str] = Counter()
        for state in self.cache.states():
            counts.update(kind for kind, alert in state.alerts().items() if alert.active)
        return counts

    def dead_letter(self, raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Output:
        """The dead letter of rejected input; a domain whose input is sensitive (biometrics,
        personal ids) overrides it to redact the record before it leaves the engine."""
        return dead_letter(raw, err, meta, now)

    def error_letter(self, raw: bytes, meta: RecordMeta, exc: Exception) -> Output:
        """A dead letter for a record whose processing raised (a bug, not bad input).

        It goes through :meth:`dead_letter`, so a crash never leaks what validation would
        have redacted.
        """
        err = ValidationError("processing_error", f"{type(exc).__name__}: {exc}")
        return self.dead_letter(raw, err, meta, self._clock())

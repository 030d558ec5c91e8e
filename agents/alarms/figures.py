"""Alarm-management figures after ISA-18.2 / EEMUA 191: how loaded the operators are.

* alarm rate: alarms announced in the last 10 minutes, and the average per 10-minute period;
* flood: the share of 10-minute periods with more than ``flood_threshold`` alarms (ISA-18.2
  calls more than 10 per 10 minutes per operator a flood);
* standing alarms: alarms whose condition is still active; *stale* ones have been active for
  longer than ``stale_after_s`` (24 h by default);
* time to acknowledge: median and 90th percentile of the time from an alarm's announcement to
  its acknowledgement, over the last :data:`ACK_SAMPLES` acknowledgements.

Times are the records' own: an alarm is announced at the Kafka timestamp of its ``raised``
record (when aiot told the operators) and acknowledged at the ``ts`` of its ``acknowledged``
record (when the operator acted), so the figures do not depend on when they are read back.
Periods are fixed 10-minute buckets of announcement time; the span runs from the first bucket
seen to the one holding ``now``, at most :data:`HISTORY_BUCKETS` long. Plain Python, no I/O.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from agents.alarms.alarm import Alarm

__all__ = ["ACK_SAMPLES", "HISTORY_BUCKETS", "PERIOD_S", "AlarmFigures", "Figures"]

PERIOD_S = 600.0
"""Length of an alarm-rate period: 10 minutes."""

HISTORY_BUCKETS = 7 * 24 * 6
"""Periods kept for the averages: one week."""

ACK_SAMPLES = 1000
"""Acknowledgements the time-to-acknowledge figures are taken over (newest)."""


@dataclass(frozen=True, slots=True)
class Figures:
    """One reading of the alarm-management figures (seconds, counts and shares)."""

    alarms_last_10min: int
    alarms_per_10min: float
    flood_share: float
    flood_threshold: int
    standing: int
    stale: int
    unacknowledged: int
    shelved: int
    ack_median_s: float | None
    ack_p90_s: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain JSON-able data."""
        return {name: getattr(self, name) for name in self.__slots__}


class AlarmFigures:
    """Accumulates announcements and acknowledgements; :meth:`read` computes the figures.

    Feed it each alarm's announcement once (:meth:`announced`) and its acknowledgement once
    (:meth:`acknowledged`); repeats of the same alert id are ignored.
    """

    def __init__(self, flood_threshold: int = 10, stale_after_s: float = 86400.0) -> None:
        self.flood_threshold = flood_threshold
        self.stale_after_s = stale_after_s
        self._buckets: dict[int, int] = {}
        self._announced: dict[str, float] = {}
        self._acked: set[str] = set()
        self._ack_waits: deque[float] = deque(maxlen=ACK_SAMPLES)

    def announced(self, alert_id: str, at: float) -> None:
        """Count alarm ``alert_id`` announced at ``at`` (once)."""
        if alert_id in self._announced:
            return
        self._announced[alert_id] = at
        bucket = int(at // PERIOD_S)
        self._buckets[bucket] = self._buckets.get(bucket, 0) + 1
        if len(self._buckets) > HISTORY_BUCKETS:
            del self._buckets[min(self._buckets)]
        if len(self._announced) > 4 * HISTORY_BUCKETS * self.flood_threshold:
            oldest = sorted(self._announced, key=self._announced.__getitem__)
            for key in oldest[: len(oldest) // 2]:
                del self._announced[key]

    def acknowledged(self, alert_id: str, raised_at: float, acked_at: float) -> None:
        """Record how long ``alert_id`` waited for its acknowledgement (once)."""
        if alert_id in self._acked:
            return
        self._acked.add(alert_id)
        self._ack_waits.append(max(acked_at - raised_at, 0.0))
        if len(self._acked) > 4 * ACK_SAMPLES:
            self._acked.clear()  # only guards repeats; a very old repeat is harmless

    def read(self, now: float, alarms: Iterable[Alarm]) -> Figures:
        """The figures at wall-clock ``now`` given the current alarm states."""
        recent = sum(1 for at in self._announced.values() if now - PERIOD_S < at <= now)
        buckets = self._buckets
        if buckets:
            first = max(min(buckets), int(now // PERIOD_S) - HISTORY_BUCKETS + 1)
            span = max(int(now // PERIOD_S) - first + 1, 1)
            counted = [n for b, n in buckets.items() if b >= first]
            per_period = sum(counted) / span
            flood = sum(1 for n in counted if n > self.flood_threshold) / span
        else:
            per_period = flood = 0.0
        standing = stale = unacked = shelved = 0
        for alarm in alarms:
            if alarm.active:
                standing += 1
                stale += now - alarm.raised_at > self.stale_after_s
                unacked += alarm.acked_at is None
            shelved += alarm.shelved_until is not None and not alarm.closed
        waits = sorted(self._ack_waits)
        return Figures(
            alarms_last_10min=recent,
            alarms_per_10min=round(per_period, 2),
            flood_share=round(flood, 4),
            flood_threshold=self.flood_threshold,
            standing=standing,
            stale=stale,
            unacknowledged=unacked,
            shelved=shelved,
            ack_median_s=round(statistics.median(waits), 1) if waits else None,
            ack_p90_s=round(waits[min(int(0.9 * len(waits)), len(waits) - 1)], 1)
            if waits
            else None,
        )

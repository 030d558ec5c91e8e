"""Bad-input injection: replace a small fraction of telemetry by records the consumer must reject.

Each injected record is of one kind, cycled in a fixed order so a run covers them all, and
counted per kind so a demo can compare what was injected with what was dead-lettered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from app.simulator.wire import encode

__all__ = ["BAD_KINDS", "BadRecordInjector", "make_bad_record"]

BAD_KINDS: tuple[str, ...] = (
    "malformed_json",
    "missing_field",
    "wrong_type",
    "nan_value",
    "out_of_range",
    "future_ts",
    "bad_id",
)

_NAN_MARK = "__nan__"
_FUTURE_S = 86400.0


def make_bad_record(record: Mapping[str, Any], kind: str, now: float) -> tuple[bytes, bytes]:
    """Turn a valid telemetry record into a ``(key, value)`` message of bad ``kind``.

    ``now`` is the wall clock, used to stamp ``future_ts`` records a day ahead of it.
    """
    bad = dict(record)
    if kind == "malformed_json":
        key, value = encode(bad)
        return key, value[: len(value) // 2]
    if kind == "missing_field":
        del bad["vibration_rms"]
    elif kind == "wrong_type":
        bad["load_pct"] = "high"
    elif kind == "nan_value":
        bad["kurtosis"] = _NAN_MARK
        key, value = encode(bad)
        return key, value.replace(f'"{_NAN_MARK}"'.encode(), b"NaN")
    elif kind == "out_of_range":
        bad["vibration_rms"] = 999.0
    elif kind == "future_ts":
        bad["ts"] = round(max(float(bad["ts"]), now) + _FUTURE_S, 3)
    elif kind == "bad_id":
        bad["asset_id"] = f"??{bad['asset_id']} !"
    else:
        raise ValueError(f"unknown bad record kind {kind!r}")
    return encode(bad)


class BadRecordInjector:
    """Encode telemetry records, replacing each with probability ``fraction`` by a bad one.

    Kinds are taken in turn from :data:`BAD_KINDS`; :attr:`counts` holds how many of each
    were produced. The choice of which records to spoil is seeded (deterministic).
    """

    def __init__(
        self, fraction: float, *, seed: int = 0, clock: Callable[[], float] = time.time
    ) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be in [0, 1]")
        self.fraction = fraction
        self.counts: dict[str, int] = dict.fromkeys(BAD_KINDS, 0)
        self._rng = np.random.default_rng([seed, 2])
        self._clock = clock
        self._next = 0

    @property
    def total(self) -> int:
        """Bad records produced so far."""
        return sum(self.counts.values())

    def messages(self, records: Iterable[Mapping[str, Any]]) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, value)`` for each record, a few of them spoiled."""
        if self.fraction <= 0.0:
            for record in records:
                yield encode(record)
            return
        for record in records:
            if self._rng.random() < self.fraction:
                kind = BAD_KINDS[self._next % len(BAD_KINDS)]
                self._next += 1
                self.counts[kind] += 1
                yield make_bad_record(record, kind, self._clock())
            else:
                yield encode(record)

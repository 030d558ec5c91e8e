"""Faust-free building blocks shared by every domain and the runtime.

:mod:`app.core.records` holds what an engine takes in and hands out (record metadata, typed
outputs, dead letters); :mod:`app.core.engine` the engine base (input routes, time bounds,
dead letters, entity states); :mod:`app.core.entity_cache` the per-entity states of one
worker's partitions and which changed since their table write; :mod:`app.core.positions`
the input positions stored with each state (how a redelivered record is recognised);
:mod:`app.core.domain` the contract a domain declares to the runtime; :mod:`app.core.alerting`
the alert lifecycle and
:mod:`app.core.models` the online models. The runtime that runs them on Faust is
:mod:`app.runtime`.
"""

from app.core.engine import KeyedEngine, Route, StateLoader, StreamLimits
from app.core.entity_cache import EntityCache, Entry
from app.core.records import DEAD_LETTERS, OFFLINE, Output, RecordMeta, dead_letter

__all__ = [
    "DEAD_LETTERS",
    "OFFLINE",
    "EntityCache",
    "Entry",
    "KeyedEngine",
    "Output",
    "RecordMeta",
    "Route",
    "StateLoader",
    "StreamLimits",
    "dead_letter",
]

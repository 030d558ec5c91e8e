"""Faust-free building blocks shared by every domain's stream engine.

:mod:`streams.records` holds what an engine takes in and hands out (record metadata, output
records, dead letters); :mod:`streams.entity_cache` keeps the per-entity states of one worker's
partitions in memory and decides when each is due for a table write. The Faust glue that runs
an engine lives in :mod:`agents.glue`.
"""

from app.core.engine import KeyedEngine, TimeBounds
from app.core.entity_cache import EntityCache, Entry
from app.core.records import Emit, RecordMeta, dead_letter_emit

__all__ = [
    "Emit",
    "EntityCache",
    "Entry",
    "KeyedEngine",
    "RecordMeta",
    "TimeBounds",
    "dead_letter_emit",
]

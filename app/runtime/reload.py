"""Stored entity states brought back into an engine after each partition assignment.

An engine holds the states of the entities it has seen since the worker started; a state is
loaded from its table lazily, with the entity's next record. That is enough for engines that
act only on input, not for one whose timer acts on wall-clock deadlines (the alarms domain
escalates an unacknowledged alarm of an asset that may send nothing new). For an agent whose
plan asks for it (:attr:`app.core.domain.AgentPlan.reload`), :class:`StateReload` waits, after
each assignment, until the tables are recovered and then hands the engine every key of its
table - the worker's active partitions only - with the partition the key lives on
(:meth:`app.core.engine.KeyedEngine.reload`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust
from aiokafka.partitioner import murmur2

from app.core.engine import KeyedEngine

__all__ = ["StateReload", "partition_of", "tables_recovered"]

log = logging.getLogger(__name__)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as aiokafka, Faust and Java
    producers use) gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def tables_recovered(app: faust.App) -> bool:
    """True once Faust's table recovery has completed at least once and is not running."""
    recovery = app.tables.recovery  # type: ignore[attr-defined]
    return bool(recovery.completed.is_set()) and not app.in_recovery


class StateReload:
    """Reloads one agent's stored states into its engine after every assignment.

    ``topics`` are the agent's input topics: only keys on partitions of them this worker is
    assigned are handed over (another worker owns the rest).
    """

    def __init__(
        self,
        app: faust.App,
        name: str,
        engine: KeyedEngine[Any],
        table: Any,
        topics: Iterable[str],
        partitions: int,
    ) -> None:
        self.app = app
        self.name = name
        self.engine = engine
        self.table = table
        self.topics = frozenset(topics)
        self.partitions = partitions
        self.pending = True
        app.on_partitions_assigned.connect(self.on_assigned)  # type: ignore[arg-type]

    async def on_assigned(self, sender: Any, assigned: set[Any], **kwargs: Any) -> None:
        """A new assignment: reload once the tables are recovered."""
        self.pending = True

    def run(self) -> None:
        """On the worker's timer: reload if an assignment is pending and the worker is ready
        (tables recovered, no rebalance under way)."""
        app = self.app
        if not self.pending or app.rebalancing or not tables_recovered(app):
            return
        self.pending = False
        mine = {tp.partition for tp in app.consumer.assignment() if tp.topic in self.topics}
        stored = []
        for raw in self.table:
            key = bytes(raw)
            partition = partition_of(key, self.partitions)
            if partition in mine:
                stored.append((key.decode("utf-8", "replace"), partition))
        held = self.engine.reload(stored)
        log.info("%s: %d stored states reloaded after an assignment", self.name, held)

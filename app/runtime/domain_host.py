"""One domain on a worker: its plan declared on the Faust app, its feeds and its timer work.

:class:`DomainHost` is where the runtime meets a domain's :class:`~app.core.domain.Domain`: it
builds the domain's context (its settings section, limits, metrics, state tables), asks the
domain for its plan, declares one :class:`~app.runtime.agent_loop.AgentLoop` per agent, reads
the domain's feeds to their end before the first event and runs the timer work: feeds followed,
stored states reloaded after an assignment for agents that ask (:mod:`app.runtime.reload`), the
domain's and engines' ticks, the entity and active-alert gauges - derived from the states held,
so they cannot drift.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import faust

from app.core.domain import Domain, DomainContext, Topic
from app.core.metrics import Metrics
from app.kafka.topics import domain_topics
from app.runtime.agent_loop import AgentLoop, OutputSender, raw_topic, state_table, table_loader
from app.runtime.compacted import CompactedReader
from app.runtime.health import Watchdog
from app.runtime.reload import StateReload
from app.settings import Settings

__all__ = ["DomainHost"]

log = logging.getLogger(__name__)


class DomainHost:
    """A domain declared on the worker's Faust app (see the module docstring)."""

    def __init__(
        self,
        app: faust.App,
        domain: Domain[Any],
        settings: Settings,
        metrics: Metrics,
        watchdog: Watchdog,
    ) -> None:
        self.name = domain.name
        self.settings = settings
        self.metrics = metrics
        self.topics = domain_topics(settings, domain.name)
        self.tables: dict[str, Any] = {}

        def table(name: str, help: str) -> Any:
            self.tables[name] = state_table(
                app,
                name,
                help,
                app_id=settings.app_id,
                partitions=settings.partitions,
                compacted=settings.compact_topics,
            )
            return table_loader(self.tables[name])

        context = DomainContext(settings.of(domain.settings), settings.limits, metrics, table)
        self.plan = domain.declare(context)
        self.sender = OutputSender(
            domain.name, {name: self._topic(app, t) for name, t in self.topics.items()}, metrics
        )
        self.readers = [
            (feed, CompactedReader(settings, self.topics[feed.topic].name, feed.apply, feed.topic))
            for feed in self.plan.feeds
        ]
        self._started: asyncio.Future[None] | None = None
        self.loops = [
            AgentLoop(
                app,
                agent,
                {self.topics[topic].name: name for name, topic in agent.inputs.items()},
                self.tables[agent.table],
                self.sender,
                watchdog,
                self.started,
                batch_max=settings.batch_max,
                batch_wait_s=settings.batch_wait_s,
            )
            for agent in self.plan.agents
        ]
        self.reloads = [
            StateReload(
                app, loop.plan.name, loop.engine, loop.table, loop.inputs, settings.partitions
            )
            for loop in self.loops
            if loop.plan.reload
        ]

    def _topic(self, app: faust.App, topic: Topic) -> Any:
        partitions = self.settings.partitions if topic.keyed else 1
        return raw_topic(app, topic.name, partitions=partitions)

    async def started(self) -> None:
        """Read every feed to its end, once, before any agent of the domain sees an event."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._catch_up())
        await asyncio.shield(self._started)

    async def _catch_up(self) -> None:
        for feed, reader in self.readers:
            try:
                count = await reader.catch_up()
            finally:
                if not feed.follow:
                    await reader.stop()
            log.info("%s: %d records read from %s", self.name, count, reader.topic)
            await self.sender.send(reader.take_letters())
        if self.plan.restored is not None:
            log.info("%s restored: %s", self.name, self.plan.restored())

    async def tick(self) -> None:
        """The timer: follow the feeds, run the domain's and engines' periodic work, gauges."""
        for feed, reader in self.readers:
            if feed.follow:
                await reader.poll()
                await self.sender.send(reader.take_letters())
        for reload in self.reloads:
            reload.run()
        if self.plan.tick is not None:
            await self.sender.send(self.plan.tick())
        active: Counter[str] = Counter()
        for loop in self.loops:
            await loop.tick()
            engine = loop.engine
            self.metrics.entities_tracked.labels(self.name, loop.plan.name).set(len(engine.cache))
            active.update(engine.active_alerts())
        for alert_type in {*self.plan.alert_types, *active}:
            self.metrics.active_alerts.labels(self.name, alert_type).set(active[alert_type])

    async def stop(self) -> None:
        """Close the feed consumers (worker shutdown)."""
        for _, reader in self.readers:
            await reader.stop()

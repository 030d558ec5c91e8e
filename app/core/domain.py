"""The domain contract: what a domain declares, and all the runtime needs to run it.

A domain (maintenance, fleet, safety, ...) is a package under ``agents/`` with a
:class:`Domain` object in its ``domain.py`` and one line in :mod:`agents.registry`. The
declaration is plain Python - no Faust - and says:

* ``settings``: the domain's settings section (a dataclass of :func:`app.core.config.setting`
  fields), loaded from the environment into the one settings object;
* ``topics(settings)``: its own Kafka topics by logical name (inputs, outputs, compacted
  topics), with partitions and compaction - the topic plan of ``aiot`` is built from them;
* ``declare(context)``: its agents (each an engine over one kind of entity, the logical inputs
  it reads and the table its states live in), the compacted topics every worker reads whole
  (feeds), the alert types it raises and its periodic work (``tick``).

The runtime (:mod:`app.runtime`) declares every agent, table and topic on the Faust app, runs
the loop (decode, engine, outputs, state writes), serialises the typed output records, sends
them to the topics their logical names map to and keeps the metrics. Logical output names a
domain may use besides its own topics are the shared ones of :data:`SHARED_TOPICS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.core.engine import KeyedEngine, StateLoader, StreamLimits
from app.core.metrics import Metrics
from app.core.records import Output

__all__ = [
    "SHARED_TOPICS",
    "AgentPlan",
    "Domain",
    "DomainContext",
    "DomainPlan",
    "Feed",
    "Topic",
]

T = TypeVar("T")

SHARED_TOPICS = ("alerts", "dead_letters", "commands", "edge_params")
"""Logical topics every domain may write to, owned by the platform (core settings)."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A Kafka topic a domain uses.

    Attributes:
        name: the Kafka topic name (from the domain's settings).
        keyed: keyed by the domain's entities, with the worker's keyed partition count
            (``AIOT_PARTITIONS``), so an entity's records of every input meet on one worker.
        compacted: a log-compacted single-partition topic of shared state (models, fences).
    """

    name: str
    keyed: bool = True
    compacted: bool = False


@dataclass(frozen=True, slots=True)
class DomainContext(Generic[T]):
    """What the runtime hands a domain's :attr:`Domain.declare`.

    Attributes:
        settings: the domain's own settings section.
        limits: validation bounds and table-write cadence for its engines.
        metrics: the process's metrics, for the domain's own figures in ``tick``.
        table: ``table(name, help)`` declares the per-entity state table ``name`` and returns
            the loader its engine reads stored states with.
        clock: the wall clock (tests pass a fixed one).
    """

    settings: T
    limits: StreamLimits
    metrics: Metrics
    table: Callable[[str, str], StateLoader]
    clock: Callable[[], float] = time.time


@dataclass(frozen=True, slots=True)
class AgentPlan:
    """One agent: an engine over one kind of entity, its inputs and its state table.

    Attributes:
        name: the agent's name (Faust agent, watchdog and metric label).
        engine: the engine the runtime hands every record of the inputs to.
        inputs: logical input names of the engine (its routes) -> logical topic names.
        table: name of the state table (declared through :attr:`DomainContext.table`).
        key_field: the member field that names the entity of each reading in an edge frame.
        count: optional per-output hook for the domain's own counters (called after sending).
        reload: after each partition assignment, hand the engine every entity stored on the
            worker's partitions (:meth:`~app.core.engine.KeyedEngine.reload`): for an engine
            whose ``tick`` acts on wall-clock deadlines of entities that may send nothing new.
    """

    name: str
    engine: KeyedEngine[Any]
    inputs: Mapping[str, str]
    table: str
    key_field: str
    count: Callable[[Output], None] | None = None
    reload: bool = False


@dataclass(frozen=True, slots=True)
class Feed:
    """A compacted topic every worker reads whole: at start, and on the timer if ``follow``.

    ``apply(key, value)`` adopts one record (``value`` None is a tombstone); it raises
    ``ValueError`` (a :class:`schemas.ValidationError` keeps its reason) for a record it cannot
    adopt, which the runtime dead-letters.
    """

    topic: str
    apply: Callable[[bytes | None, bytes | None], None]
    follow: bool = False


@dataclass(frozen=True, slots=True)
class DomainPlan:
    """What a domain runs: agents, feeds, the alert types it raises and its periodic work.

    ``tick()`` runs on the runtime's timer (every few seconds of wall clock) after the feeds
    were polled; it returns outputs to send (e.g. model publications) and may set the
    domain's own metrics. ``restored()`` describes, for the worker's log, what the feeds
    brought back when the worker started (models, fences).
    """

    agents: tuple[AgentPlan, ...]
    feeds: tuple[Feed, ...] = ()
    alert_types: tuple[str, ...] = ()
    tick: Callable[[], list[Output]] | None = None
    restored: Callable[[], str] | None = None


@dataclass(frozen=True, slots=True)
class Domain(Generic[T]):
    """A domain's declaration (see the module docstring)."""

    name: str
    settings: type[T]
    topics: Callable[[T], Mapping[str, Topic]]
    declare: Callable[[DomainContext[T]], DomainPlan] = field(repr=False)

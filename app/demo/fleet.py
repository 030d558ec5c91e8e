"""The fleet part of ``make run``: simulate trucks into Kafka, read what the worker decided.

:class:`FleetDemo` is what ``app.demo`` drives: :meth:`FleetDemo.simulate` paces a seeded fleet
(``AIOT_FLEET_SIM_*``) into the fleet topics within the run's duration, :meth:`FleetDemo.collect`
reads the worker's fleet episodes, alerts and commands and the ground truth back from Kafka,
and :meth:`FleetDemo.summary` scores them (:mod:`fleet.scoring`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from agents.fleet.config import DOMAIN
from agents.fleet.scoring import score_fleet
from agents.fleet.settings import FleetSettings
from app.kafka.clients import follow_topics
from app.settings import Settings
from app.simulator.fleet.runner import FleetRunReport, run_fleet_simulation

__all__ = ["FleetDemo"]


class FleetDemo:
    """Simulation, collection and scoring of the fleet domain for ``make run``."""

    name = "fleet"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.report = FleetRunReport(start_ts=0.0)
        self.episodes: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.ground_truth: list[dict[str, Any]] = []

    async def simulate(self, bootstrap: str, stop: asyncio.Event, duration_s: float | None) -> None:
        """Produce the simulated fleet and its ground truth, ending within ``duration_s``."""
        s = self.settings
        await run_fleet_simulation(
            bootstrap,
            s,
            vehicles=s.fleet_sim_vehicles,
            days=s.fleet_sim_days,
            seed=s.fleet_sim_seed,
            duration_s=duration_s,
            stop=stop,
            report=self.report,
        )

    async def collect(self, bootstrap: str, stop: asyncio.Event) -> None:
        """Consume the fleet outputs and the ground truth (no consumer group) until ``stop``."""
        s = self.settings
        kinds = {
            s.of(FleetSettings).topic_fleet_episodes: self.episodes,
            s.topic_alerts: self.alerts,
            s.topic_commands: self.commands,
            s.topic_ground_truth: self.ground_truth,
        }
        await follow_topics(
            bootstrap, s, kinds, stop, lambda topic, value, _: self._take(kinds[topic], value)
        )

    def _take(self, sink: list[dict[str, Any]], value: bytes) -> None:
        try:
            record = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if not isinstance(record, dict):
            return
        if sink is self.alerts and record.get("domain") != DOMAIN:
            return
        if sink is self.ground_truth and record.get("domain") != DOMAIN:
            return
        if sink is self.commands and not str(record.get("source", "")).startswith(DOMAIN):
            return
        sink.append(record)

    def summary(self) -> dict[str, Any]:
        """``{"episodes", "classified_correctly", "macro_f1", "false_unauthorized",
        "vehicle_days"}`` scored from what the worker emitted."""
        score = score_fleet(
            self.ground_truth,
            self.episodes,
            self.alerts,
            vehicle_days=self.report.vehicle_days,
        )
        return score.to_dict()

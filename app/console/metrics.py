"""Prometheus metrics of the operations console, including the alarm-management figures.

The figures (:mod:`agents.alarms.figures`) are computed over everything the console reads -
every partition, every worker - so they are global, and the page shows the same numbers.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from agents.alarms.figures import Figures

__all__ = ["ConsoleMetrics"]


class ConsoleMetrics:
    """All console metrics, in their own registry (the console is its own process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.records = Counter(
            "aiot_console_records",
            "Records the console folded into its view, by topic kind.",
            ["topic"],
            registry=r,
        )
        self.skipped = Counter(
            "aiot_console_skipped_records",
            "Records the console could not show (invalid, or about something it never saw), by "
            "topic kind and reason; the worker dead-letters invalid input itself.",
            ["topic", "reason"],
            registry=r,
        )
        self.requests = Counter(
            "aiot_console_actions",
            "Operator requests to the console API, by action and HTTP status (202: published).",
            ["action", "status"],
            registry=r,
        )
        self.clients = Gauge(
            "aiot_console_clients", "Pages connected for live updates.", registry=r
        )
        self.ready = Gauge(
            "aiot_console_ready",
            "1 once the console has read the topics up to the end.",
            registry=r,
        )
        self.rate_10min = Gauge(
            "aiot_alarm_rate_last_10min",
            "Alarms announced in the last 10 minutes (ISA-18.2: more than 10 is a flood).",
            registry=r,
        )
        self.rate_avg = Gauge(
            "aiot_alarm_rate_per_10min",
            "Average alarms announced per 10-minute period (over up to a week).",
            registry=r,
        )
        self.flood = Gauge(
            "aiot_alarm_flood_ratio",
            "Share of 10-minute periods with more alarms than AIOT_ALARM_FLOOD_PER_10MIN.",
            registry=r,
        )
        self.standing = Gauge(
            "aiot_alarms_standing", "Alarms whose condition is active now.", registry=r
        )
        self.stale = Gauge(
            "aiot_alarms_stale",
            "Standing alarms active for longer than AIOT_ALARM_STALE_AFTER_H.",
            registry=r,
        )
        self.unacknowledged = Gauge(
            "aiot_alarms_active_unacknowledged",
            "Active alarms nobody acknowledged yet (every domain, every worker).",
            registry=r,
        )
        self.shelved = Gauge("aiot_alarms_shelved", "Alarms shelved now.", registry=r)
        self.time_to_ack = Gauge(
            "aiot_alarm_time_to_ack_seconds",
            "Time from an alarm's announcement to its acknowledgement (last 1000), by quantile.",
            ["quantile"],
            registry=r,
        )

    def set_figures(self, figures: Figures) -> None:
        """Publish one reading of the alarm-management figures."""
        self.rate_10min.set(figures.alarms_last_10min)
        self.rate_avg.set(figures.alarms_per_10min)
        self.flood.set(figures.flood_share)
        self.standing.set(figures.standing)
        self.stale.set(figures.stale)
        self.unacknowledged.set(figures.unacknowledged)
        self.shelved.set(figures.shelved)
        for quantile, value in (("0.5", figures.ack_median_s), ("0.9", figures.ack_p90_s)):
            if value is not None:
                self.time_to_ack.labels(quantile).set(value)

    def render(self) -> bytes:
        """Exposition text of every metric."""
        return generate_latest(self.registry)

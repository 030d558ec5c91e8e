"""Prometheus metrics of the worker (one registry per process; names are the public contract).

The Helm chart's PrometheusRule and Grafana dashboard reference exactly these names, and a test
reads a live worker's /metrics to keep them honest.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["METRICS", "Metrics"]


class Metrics:
    """All worker metrics, registered in :attr:`registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "aiot_events_in", "Records consumed, by topic.", ["topic"], registry=r
        )
        self.events_out = Counter(
            "aiot_events_out", "Records produced, by topic.", ["topic"], registry=r
        )
        self.dead_letters = Counter(
            "aiot_dead_letters",
            "Rejected records, by topic and reason.",
            ["topic", "reason"],
            registry=r,
        )
        self.latency = Histogram(
            "aiot_processing_latency_seconds",
            "Seconds from a record's Kafka timestamp (its arrival in the platform) to the emit "
            "of its result.",
            ["topic"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.alerts = Counter(
            "aiot_alerts",
            "Alert records written, by domain, type, severity and transition: the domains' "
            "raised/updated/cleared and the alarms domain's handling ones (acknowledged, "
            "escalated, ...; also counted in aiot_alarm_transitions).",
            ["domain", "alert_type", "severity", "transition"],
            registry=r,
        )
        self.active_alerts = Gauge(
            "aiot_active_alerts", "Alerts currently active.", ["domain", "alert_type"], registry=r
        )
        self.model_precision = Gauge(
            "aiot_model_precision",
            "Precision of failure alerts at the horizon (alerts followed by a failure).",
            ["domain"],
            registry=r,
        )
        self.model_recall = Gauge(
            "aiot_model_recall",
            "Recall of failures: share of failures preceded by an alert within the horizon.",
            ["domain"],
            registry=r,
        )
        self.lead_time = Histogram(
            "aiot_alert_lead_time_hours",
            "Event-time hours from an alert's raise to the failure it predicted.",
            ["domain"],
            buckets=(1, 6, 12, 24, 36, 48, 72, 96, 120),
            registry=r,
        )
        self.assets_tracked = Gauge(
            "aiot_assets_tracked", "Assets whose state this worker holds in memory.", registry=r
        )
        self.entities_tracked = Gauge(
            "aiot_entities_tracked",
            "Entities (assets, vehicles, workers, zones, areas) whose state this worker holds, "
            "by domain and agent.",
            ["domain", "agent"],
            registry=r,
        )
        self.state_flushes = Counter(
            "aiot_state_flushes", "Per-asset state writes to the table changelog.", registry=r
        )
        self.model_updates = Counter(
            "aiot_model_updates",
            "Labelled examples learned by shared models.",
            ["domain", "label"],
            registry=r,
        )
        self.agent_errors = Counter(
            "aiot_agent_errors", "Unexpected errors caught in an agent.", ["agent"], registry=r
        )
        self.agent_progress = Gauge(
            "aiot_agent_last_progress_timestamp_seconds",
            "Wall time an agent last finished a record or idled healthily.",
            ["agent"],
            registry=r,
        )
        self.worker_ready = Gauge(
            "aiot_worker_ready", "1 once recovery is done and partitions are consumed.", registry=r
        )
        self.recovery_done = Gauge(
            "aiot_table_recovery_done", "1 once table recovery finished.", registry=r
        )
        self.consumer_lag = Gauge(
            "aiot_consumer_lag",
            "Messages between the high watermark and the worker's position.",
            ["topic", "partition"],
            registry=r,
        )
        # fleet
        self.fleet_episodes = Counter(
            "aiot_fleet_episodes",
            "Fleet episodes published, by class (normal, traffic_detour, unauthorized) and "
            "status (ongoing, provisional, final).",
            ["class", "status"],
            registry=r,
        )
        self.fleet_geofence_events = Counter(
            "aiot_fleet_geofence_events",
            "Vehicle geofence events, by geofence kind and event (entered, left, dwell).",
            ["kind", "event"],
            registry=r,
        )
        self.fleet_verdicts = Counter(
            "aiot_fleet_verdicts",
            "Dispatcher verdicts received, by whether they matched an episode and agreed with it.",
            ["outcome"],
            registry=r,
        )
        self.fleet_stale_fixes = Counter(
            "aiot_fleet_stale_fixes",
            "Vehicle fixes not newer than the vehicle's newest one (redelivered or reordered; "
            "their effect is already in the state), skipped.",
            registry=r,
        )
        # safety
        self.safety_reordered = Counter(
            "aiot_safety_reordered_readings",
            "Wearable readings not newer than the worker's newest (redelivered or reordered "
            "within the lateness bound): counted and skipped, already accounted for.",
            registry=r,
        )
        # alarm handling (ISA-18.2)
        self.alarm_transitions = Counter(
            "aiot_alarm_transitions",
            "Alarm-handling transitions written to the alerts topic, by domain, alert type and "
            "transition (acknowledged, shelved, unshelved, escalated, noted, inspected).",
            ["domain", "alert_type", "transition"],
            registry=r,
        )
        self.alarm_actions = Counter(
            "aiot_alarm_actions",
            "Operator actions on alarms, by action and result (applied, duplicate, noop, "
            "rejected, waiting for an alarm not seen yet).",
            ["action", "result"],
            registry=r,
        )
        self.alarms_unacknowledged = Gauge(
            "aiot_alarms_unacknowledged",
            "Active alarms nobody acknowledged yet, held by this worker, by domain.",
            ["domain"],
            registry=r,
        )
        # edge
        self.edge_in = Counter(
            "aiot_edge_in",
            "MQTT messages received by the edge gateway, by kind.",
            ["kind"],
            registry=r,
        )
        self.edge_out = Counter(
            "aiot_edge_out",
            "Records the edge gateway delivered to Kafka, by topic.",
            ["topic"],
            registry=r,
        )
        self.edge_frames = Counter(
            "aiot_edge_frames", "Kafka messages (frames and single records) sent.", registry=r
        )
        self.edge_buffered = Gauge(
            "aiot_edge_buffered_records", "Records in the edge buffer not yet in Kafka.", registry=r
        )
        self.edge_buffered_bytes = Gauge(
            "aiot_edge_buffered_bytes", "Disk bytes of the edge buffer.", registry=r
        )
        self.edge_replayed = Counter(
            "aiot_edge_replayed",
            "Records delivered from the buffer after a Kafka outage or a gateway restart.",
            registry=r,
        )
        self.edge_dropped = Counter(
            "aiot_edge_dropped",
            "Buffered records dropped oldest-first because the disk budget was exceeded.",
            registry=r,
        )
        self.edge_kafka_up = Gauge(
            "aiot_edge_kafka_connected", "1 while the edge gateway reaches Kafka.", registry=r
        )
        self.edge_reactions = Counter(
            "aiot_edge_local_reactions",
            "Commands the edge issued locally without the cloud, by action.",
            ["action"],
            registry=r,
        )
        self.edge_reaction_latency = Histogram(
            "aiot_edge_reaction_latency_seconds",
            "Seconds from an MQTT message's arrival at the edge to its local command published.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
            registry=r,
        )
        self.edge_commands = Counter(
            "aiot_edge_commands_relayed",
            "Cloud commands the edge published to devices, by action.",
            ["action"],
            registry=r,
        )
        self.edge_acks = Counter(
            "aiot_edge_acks",
            "Device acknowledgements relayed to Kafka, by status.",
            ["status"],
            registry=r,
        )
        self.edge_params = Counter(
            "aiot_edge_params_applied", "Cloud edge-parameter records applied live.", registry=r
        )

    def render(self) -> bytes:
        """Return the exposition text of every metric."""
        return generate_latest(self.registry)


METRICS = Metrics()

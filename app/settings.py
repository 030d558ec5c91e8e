"""The one settings object of aiot, read from ``AIOT_*`` environment variables (12-factor).

Every setting is a field of :class:`Settings` with its default and a one-line meaning; the
README's settings table is generated from the same metadata (``aiot settings``), so the two
never drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Settings", "SettingsError", "load_settings"]

PREFIX = "AIOT_"


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take."""


def _setting(default: Any, doc: str) -> Any:
    """Declare a setting with its default and documentation."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True, slots=True)
class Settings:
    """All runtime configuration; each field maps to ``AIOT_<FIELD NAME IN CAPS>``."""

    broker_url: str = _setting(
        "", "Kafka bootstrap servers, e.g. kafka://host:9092. Empty: start the embedded broker."
    )
    broker_security_protocol: str = _setting(
        "PLAINTEXT", "Kafka security: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    broker_sasl_mechanism: str = _setting(
        "PLAIN", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512."
    )
    broker_sasl_username: str = _setting("", "SASL user name (from a Secret in Kubernetes).")
    broker_sasl_password: str = _setting("", "SASL password (from a Secret in Kubernetes).")
    broker_ssl_cafile: str = _setting("", "CA bundle file for TLS to the brokers; empty: system.")
    store: str = _setting(
        "memory://", "Faust table store: memory:// (dev/test) or rocksdb:// (production)."
    )
    data_dir: str = _setting("./data", "Directory for worker table state (RocksDB) and caches.")
    tansu_compat: bool = _setting(
        False,
        "The broker is Tansu (the embedded dev broker), whose latest offset is the last "
        "batch's base offset + 1: topic compaction and Faust's recovery consistency check "
        "are turned off. Set automatically when aiot starts the embedded broker.",
    )
    app_id: str = _setting("aiot", "Faust application id (consumer group, changelog prefix).")
    partitions: int = _setting(8, "Partitions of the keyed input and changelog topics.")
    replication_factor: int = _setting(1, "Replication factor for topics aiot creates.")
    dev_timeouts: bool = _setting(
        True, "Short consumer-group session/rebalance timeouts (3 s joins): dev and test only."
    )
    web_port: int = _setting(6066, "Worker HTTP port: /metrics, /healthz, /readyz.")
    web_host: str = _setting("0.0.0.0", "Worker HTTP bind address.")
    log_level: str = _setting("info", "Log level of the worker and tools.")

    topic_telemetry: str = _setting("aiot.machine.telemetry.v1", "Machine telemetry input.")
    topic_maintenance: str = _setting(
        "aiot.machine.maintenance.v1", "Maintenance events (failure, repair, inspection) input."
    )
    topic_predictions: str = _setting("aiot.machine.predictions.v1", "Predictions output.")
    topic_alerts: str = _setting("aiot.alerts.v1", "Alerts output, every domain.")
    topic_dead_letters: str = _setting("aiot.deadletter.v1", "Rejected input with the reason.")
    topic_models: str = _setting(
        "aiot.models.v1", "Compacted topic of shared per-class models (restored on start)."
    )
    topic_ground_truth: str = _setting(
        "aiot.sim.groundtruth.v1", "Simulator ground truth (failure schedule), for scoring."
    )

    horizon_h: float = _setting(72.0, "Prediction horizon: P(failure within this many hours).")
    snapshot_interval_h: float = _setting(
        3.0, "Event-time spacing of per-asset feature snapshots kept for delayed labels."
    )
    baseline_warmup: int = _setting(
        36, "Readings an asset needs before its baseline is trusted and it is scored."
    )
    state_flush_every: int = _setting(
        32, "Write an asset's state to its table after this many of its events (not each one)."
    )
    prediction_every: int = _setting(
        6, "Emit a prediction record every N readings of an asset (alerts are evaluated always)."
    )
    risk_alert_threshold: float = _setting(
        0.6, "Failure-risk alert raises when the combined risk score reaches this level."
    )
    risk_clear_threshold: float = _setting(
        0.35, "Failure-risk alert clears when the risk score falls below this (hysteresis)."
    )
    alert_min_duration_s: float = _setting(
        7200.0, "Event-time seconds the score must stay above the threshold before raising."
    )
    alert_cooldown_s: float = _setting(
        6 * 3600.0, "Event-time seconds after a clear before the same alert may raise again."
    )
    max_future_skew_s: float = _setting(
        300.0, "Reject readings stamped more than this many seconds ahead of the wall clock."
    )
    max_lateness_s: float = _setting(
        86400.0, "Reject readings older than the asset's newest event time minus this."
    )
    min_event_time: float = _setting(
        946684800.0, "Reject readings stamped before this Unix time (2000-01-01)."
    )

    run_via_edge: bool = _setting(
        True,
        "make run: devices publish over MQTT through the edge gateway (else straight to Kafka).",
    )
    run_domains: str = _setting(
        "maintenance,fleet,safety",
        "make run: the domains simulated and scored (comma-separated subset).",
    )
    sim_motors: int = _setting(50, "Simulated motors.")
    sim_speedup: float = _setting(7200.0, "Simulated seconds per real second.")
    sim_interval_s: float = _setting(600.0, "Simulated seconds between a motor's readings.")
    sim_seed: int = _setting(7, "Simulator random seed (deterministic runs).")
    sim_mtbf_days: float = _setting(
        40.0, "Mean simulated days between bearing failures of one motor."
    )

    # edge
    topic_commands: str = _setting(
        "aiot.commands.v1", "Commands to devices (stop, derate, alarm), relayed by edge gateways."
    )
    topic_command_acks: str = _setting(
        "aiot.commands.acks.v1", "Devices' acknowledgements of commands, from edge gateways."
    )
    topic_edge_params: str = _setting(
        "aiot.edge.params.v1", "Compacted per-asset-class parameters of the edge's local models."
    )
    edge_topic_wearables: str = _setting(
        "aiot.safety.wearable.v1", "Wearable readings forwarded by the edge (pseudonymised)."
    )
    derate_probability: float = _setting(
        0.8, "Maintenance derates a motor whose failure probability reaches this level."
    )
    edge_site: str = _setting("site-1", "Site id of this edge gateway (MQTT topic prefix).")
    edge_mqtt_url: str = _setting(
        "", "MQTT broker of the edge gateway, e.g. mqtt://host:1883. Empty: embedded amqtt."
    )
    edge_data_dir: str = _setting(
        "./data/edge", "Edge gateway data: store-and-forward buffer and site secret, per site."
    )
    edge_site_secret: str = _setting(
        "", "Key of worker-id pseudonyms. Empty: a random one kept in the edge data dir."
    )
    edge_biometric_fields: str = _setting(
        "heart_rate_bpm,ecg,ppg,rr_intervals_ms,spo2,skin_temp_c,hrv_ms",
        "Raw biometric fields of wearable readings dropped at the edge (comma-separated).",
    )
    edge_buffer_bytes: int = _setting(
        256 * 1024 * 1024, "Disk budget of the edge buffer; past it the oldest data is dropped."
    )
    edge_spool_fsync: bool = _setting(
        False, "fsync the edge buffer on every write (power-loss safe, slower)."
    )
    edge_frame_max_readings: int = _setting(200, "Readings per Kafka message (frame), at most.")
    edge_frame_linger_s: float = _setting(
        0.1, "Seconds the edge waits to fill a frame before sending it anyway."
    )
    edge_derate_rms: float = _setting(
        7.1, "Local default: vibration RMS (mm/s) from which the edge derates a motor."
    )
    edge_stop_rms: float = _setting(
        11.2, "Local default: vibration RMS (mm/s) from which the edge stops a motor."
    )
    edge_min_consecutive: int = _setting(
        2, "Local default: readings in a row above a level before the edge reacts."
    )
    edge_derate_pct: float = _setting(50.0, "Local default: load limit (%) of a derate command.")
    edge_web_port: int = _setting(6068, "Edge gateway HTTP port: /metrics.")

    # fleet
    topic_fleet_telemetry: str = _setting(
        "aiot.fleet.telemetry.v1", "Vehicle GPS fixes with ignition and assignment (key: vehicle)."
    )
    topic_fleet_verdicts: str = _setting(
        "aiot.fleet.verdicts.v1",
        "Dispatcher verdicts on fleet episodes, delayed labels (key: vehicle).",
    )
    topic_fleet_geofences: str = _setting(
        "aiot.fleet.geofences.v1",
        "Compacted geofences: depots, customers, services, restricted zones.",
    )
    topic_fleet_episodes: str = _setting(
        "aiot.fleet.episodes.v1", "Classified deviation episodes with confidence and reasons."
    )
    topic_fleet_geofence_events: str = _setting(
        "aiot.fleet.geofence-events.v1", "Vehicles entering, leaving or overstaying geofences."
    )
    topic_fleet_area: str = _setting(
        "aiot.fleet.area.v1", "Detour notices repartitioned by area for the area agent (internal)."
    )
    topic_fleet_context: str = _setting(
        "aiot.fleet.context.v1", "Area context back to the vehicle agent, by vehicle (internal)."
    )
    topic_fleet_models: str = _setting(
        "aiot.fleet.models.v1",
        "Compacted fleet classifier learned from verdicts (restored on start).",
    )
    fleet_cell_m: float = _setting(200.0, "Side (m) of the grid cells of learned route corridors.")
    fleet_warmup_days: int = _setting(
        3, "Driving days a vehicle's habits are learned before its episodes are classified."
    )
    fleet_long_stop_min: float = _setting(
        45.0, "A stop this long (minutes) at a place the vehicle does not know opens an episode."
    )
    fleet_hold_h: float = _setting(
        3.0, "Event-time hours a detour-shaped episode waits for other vehicles' area context."
    )
    fleet_area_km: float = _setting(2.0, "Side (km) of the areas of cross-vehicle context.")
    fleet_area_window_h: float = _setting(
        3.0, "Detours of other vehicles within this many hours in an area count as traffic."
    )
    fleet_alert_confidence: float = _setting(
        0.6, "Unauthorized-use alert (and dispatcher notification) from this confidence."
    )
    fleet_immobilizer_confidence: float = _setting(
        0.9,
        "Ask the dispatcher to confirm immobilisation of a moving vehicle from this confidence.",
    )
    fleet_learning_rate: float = _setting(
        0.05, "SGD step of the classifier's correction per dispatcher verdict."
    )
    fleet_utc_offset_h: float = _setting(0.0, "Fleet's local time offset from UTC (hour habits).")
    fleet_sim_vehicles: int = _setting(12, "make run: simulated trucks.")
    fleet_sim_days: int = _setting(16, "make run: simulated days, compressed into the run.")
    fleet_sim_seed: int = _setting(7, "Fleet simulator random seed.")

    # safety
    topic_zone_presence: str = _setting(
        "aiot.safety.zone-presence.v1",
        "Workers' zone presence, repartitioned by zone for the safety zone agent (internal).",
    )
    safety_site_map: str = _setting(
        "", "Site map TOML (zones, risk levels). Empty: the packaged safety/site_map.toml."
    )
    safety_cluster_min_workers: int = _setting(
        3, "K: a group alert needs at least this many workers stationary in a high-risk zone."
    )
    safety_cluster_min_dwell_s: float = _setting(
        120.0, "T: event-time seconds each of them must have been stationary."
    )
    safety_man_down_still_s: float = _setting(
        30.0, "N: event-time seconds without motion after an impact that make a man-down."
    )
    safety_signal_lost_s: float = _setting(
        60.0,
        "Wall-clock seconds of silence after an impact (no motion since) that raise a man-down: "
        "a fall can break the wearable or its radio.",
    )
    safety_impact_g: float = _setting(
        2.5, "Acceleration peak (g) of a wearable window counted as an impact (fall, collision)."
    )
    safety_fatigue_raise: float = _setting(
        1.2, "Fatigue score (mean one-sided deviation from the worker's baseline) that raises."
    )
    safety_fatigue_min_duration_s: float = _setting(
        600.0, "Event-time seconds the fatigue score must stay above the raise level."
    )
    safety_sim_workers: int = _setting(20, "make run: simulated workers on the site.")
    safety_sim_shift_h: float = _setting(
        8.0, "make run: simulated shift length, compressed into the run's duration."
    )
    safety_sim_interval_s: float = _setting(
        10.0, "Simulated seconds per wearable summary window (one reading per window)."
    )
    safety_sim_seed: int = _setting(7, "Safety simulator random seed.")

    # alarm handling (ISA-18.2) and the operations console
    topic_alert_acks: str = _setting(
        "aiot.alerts.acks.v1",
        "Operator actions on alarms (acknowledge, shelve, note, inspection outcome) with who "
        "and when (key: the alert's asset).",
    )
    alarm_escalate_after_s: float = _setting(
        300.0,
        "Wall-clock seconds an unacknowledged critical alarm waits before it re-notifies and "
        "escalates one level (and again after each further period).",
    )
    alarm_max_escalations: int = _setting(
        3, "Escalation levels an alarm reaches at most (re-notifications stop after it)."
    )
    alarm_flood_per_10min: int = _setting(
        10, "More alarms than this in 10 minutes is an alarm flood (ISA-18.2 / EEMUA 191)."
    )
    alarm_stale_after_h: float = _setting(
        24.0, "An alarm still active this many hours after it was raised is a standing alarm."
    )
    console_port: int = _setting(6070, "Operations console HTTP port (aiot console).")
    console_host: str = _setting(
        "127.0.0.1", "Operations console bind address (0.0.0.0 in the container image)."
    )
    console_tile_url: str = _setting(
        "",
        "Fleet map tiles from your tile server, e.g. https://tiles.example.com/{z}/{x}/{y}.png; "
        "empty: a plain drawn map (the console never fetches anything from the internet).",
    )
    console_user_header: str = _setting(
        "",
        "HTTP header naming the authenticated operator (e.g. X-Forwarded-User from an auth "
        "proxy); set, actions without it are refused (401). Empty: operators type their name.",
    )
    console_lookback_h: float = _setting(
        0.0,
        "Hours of alerts, predictions, episodes and commands the console reads back at start; "
        "0: everything the topics retain.",
    )
    console_positions_lookback_s: float = _setting(
        900.0, "Seconds of vehicle and worker positions the console reads back at start."
    )

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """Return ``(ENV_VAR, default, meaning)`` for every setting, for docs and ``--help``."""
        return [
            (PREFIX + f.name.upper(), repr(f.default), str(f.metadata.get("doc", "")))
            for f in fields(cls)
        ]

    @property
    def compact_topics(self) -> bool:
        """Whether changelog and model topics are log-compacted (always, except on Tansu)."""
        return not self.tansu_compat

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed (tests and tools)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def _parse(raw: str, default: Any, name: str) -> Any:
    """Convert an environment string to the type of the setting's default."""
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {type(default).__name__}") from exc
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = PREFIX + f.name.upper()
        if name in env:
            values[f.name] = _parse(env[name], f.default, name)
    return Settings(**values)

"""The one settings object of aiot, read from ``AIOT_*`` environment variables (12-factor).

Every setting is a field with its default and a one-line meaning: the core settings (broker,
store, partitions, shared topics, validation limits, the edge gateway, ``make run``) are the
fields of :class:`Settings`, and each domain declares its own section in its package
(``agents/<domain>/settings.py``), which :func:`load_settings` reads for every domain of the
registry (:mod:`agents.registry`). ``settings.of(FleetSettings)`` hands a domain its section.
The README's settings table is generated from the same metadata (``aiot settings``), so the
two never drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from agents.registry import DOMAINS
from app.core import config_checks as check
from app.core.config import SettingsError, documented, load_section, unknown_names
from app.core.config import setting as _setting
from app.core.engine import StreamLimits

__all__ = ["Settings", "SettingsError", "load_settings", "section_types", "unknown_variables"]

T = TypeVar("T")


def section_types() -> tuple[type, ...]:
    """The settings section of every registered domain, in registry order."""
    return tuple(domain.settings for domain in DOMAINS)


@dataclass(frozen=True, slots=True)
class Settings:
    """Core configuration plus every domain's section; each field maps to ``AIOT_<NAME>``."""

    broker_url: str = _setting(
        "",
        "Kafka bootstrap servers, e.g. kafka://host:9092. Empty: start the embedded broker.",
        check.kafka_servers,
    )
    broker_security_protocol: str = _setting(
        "PLAINTEXT",
        "Kafka security: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
        check.one_of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    )
    broker_sasl_mechanism: str = _setting(
        "PLAIN",
        "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.",
        check.one_of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
    )
    broker_sasl_username: str = _setting("", "SASL user name (from a Secret in Kubernetes).")
    broker_sasl_password: str = _setting("", "SASL password (from a Secret in Kubernetes).")
    broker_ssl_cafile: str = _setting("", "CA bundle file for TLS to the brokers; empty: system.")
    store: str = _setting(
        "memory://",
        "Faust table store: memory:// (dev/test) or rocksdb:// (production).",
        check.table_store,
    )
    data_dir: str = _setting("./data", "Directory for worker table state (RocksDB) and caches.")
    tansu_compat: bool = _setting(
        False,
        "The broker is Tansu (the embedded dev broker), whose latest offset is the last "
        "batch's base offset + 1: topic compaction and Faust's recovery consistency check "
        "are turned off. Set automatically when aiot starts the embedded broker.",
    )
    app_id: str = _setting("aiot", "Faust application id (consumer group, changelog prefix).")
    partitions: int = _setting(
        8, "Partitions of the keyed input and changelog topics.", check.at_least(1)
    )
    replication_factor: int = _setting(
        1, "Replication factor for topics aiot creates.", check.at_least(1)
    )
    create_topics: bool = _setting(
        True,
        "aiot worker creates its missing topics from its topic plan at start (false: a missing "
        "topic stops it - for topics managed elsewhere). A topic that exists but does not "
        "match the plan always stops it (see aiot topics check).",
    )
    dev_timeouts: bool = _setting(
        True, "Short consumer-group session/rebalance timeouts (3 s joins): dev and test only."
    )
    web_port: int = _setting(6066, "Worker HTTP port: /metrics, /healthz, /readyz.", check.port)
    web_host: str = _setting("0.0.0.0", "Worker HTTP bind address.")
    log_level: str = _setting(
        "info",
        "Log level of the worker and tools.",
        check.one_of("debug", "info", "warning", "error", "critical"),
    )

    topic_alerts: str = _setting("aiot.alerts.v1", "Alerts output, every domain.")
    topic_dead_letters: str = _setting("aiot.deadletter.v1", "Rejected input with the reason.")
    topic_ground_truth: str = _setting(
        "aiot.sim.groundtruth.v1", "Simulator ground truth (failure schedule), for scoring."
    )

    batch_max: int = _setting(
        1000,
        "Most messages an agent takes as one batch; the entities a batch changed are written "
        "to their tables before its offsets can be committed.",
        check.at_least(1),
    )
    batch_wait_s: float = _setting(
        0.1,
        "Longest wait for a batch to fill before the agent processes what it has.",
        check.at_least(0),
    )
    max_future_skew_s: float = _setting(
        300.0, "Reject readings stamped more than this many seconds ahead of the wall clock."
    )
    max_lateness_s: float = _setting(
        86400.0, "Reject readings older than the asset's newest event time minus this."
    )
    hold_grace_s: float = _setting(
        3600.0,
        "A label (maintenance event) waits for its asset's readings to pass its event time; "
        "for an asset gone quiet it applies once its partition's stream time is this many "
        "seconds past it.",
    )
    min_event_time: float = _setting(
        946684800.0, "Reject readings stamped before this Unix time (2000-01-01)."
    )

    run_via_edge: bool = _setting(
        True,
        "make run: devices publish over MQTT through the edge gateway (else straight to Kafka).",
    )
    domains: str = _setting(
        "maintenance,fleet,safety,alarms",
        "Domains this worker runs (comma-separated names from agents/registry.py); make run "
        "simulates and scores the same. alarms is the alarm handling (acknowledge, shelve, "
        "escalate) of every domain's alerts that the console acts through.",
    )
    sim_motors: int = _setting(50, "Simulated motors.")
    sim_speedup: float = _setting(7200.0, "Simulated seconds per real second.")
    sim_interval_s: float = _setting(600.0, "Simulated seconds between a motor's readings.")
    sim_seed: int = _setting(7, "Simulator random seed (deterministic runs).")
    sim_mtbf_days: float = _setting(
        40.0, "Mean simulated days between bearing failures of one motor."
    )

    topic_commands: str = _setting(
        "aiot.commands.v1", "Commands to devices (stop, derate, alarm), relayed by edge gateways."
    )
    topic_command_acks: str = _setting(
        "aiot.commands.acks.v1", "Devices' acknowledgements of commands, from edge gateways."
    )
    topic_edge_params: str = _setting(
        "aiot.edge.params.v1", "Compacted per-asset-class parameters of the edge's local models."
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
    edge_buffer_bytes: int = _setting(
        256 * 1024 * 1024, "Disk budget of the edge buffer; past it the oldest data is dropped."
    )
    edge_spool_fsync: bool = _setting(
        False, "fsync the edge buffer on every write (power-loss safe, slower)."
    )
    edge_frame_max_readings: int = _setting(
        200, "Readings per Kafka message (frame), at most.", check.at_least(1)
    )
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
    edge_web_port: int = _setting(6068, "Edge gateway HTTP port: /metrics.", check.port)
    edge_motion_summary_s: float = _setting(
        5.0,
        "Seconds of each motion summary the gateway computes from a wearable's raw IMU blocks "
        "(impact readings for the fall model are sent besides, as they happen).",
    )

    fleet_sim_vehicles: int = _setting(12, "make run: simulated trucks.")
    fleet_sim_days: int = _setting(16, "make run: simulated days, compressed into the run.")
    fleet_sim_seed: int = _setting(7, "Fleet simulator random seed.")

    safety_sim_workers: int = _setting(20, "make run: simulated workers on the site.")
    safety_sim_shift_h: float = _setting(
        8.0, "make run: simulated shift length, compressed into the run's duration."
    )
    safety_sim_interval_s: float = _setting(
        10.0, "Simulated seconds per wearable summary window (one reading per window)."
    )
    safety_sim_seed: int = _setting(7, "Safety simulator random seed.")

    # the operations console (aiot console)
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

    sections: tuple[Any, ...] = field(default=(), repr=False, compare=True)
    """The domains' settings sections (:func:`load_settings` fills them)."""

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """Return ``(ENV_VAR, default, meaning)`` for every setting, core then each domain's."""
        out = documented(cls)
        for section in section_types():
            out.extend(documented(section))
        return out

    def of(self, section: type[T]) -> T:
        """This configuration's instance of a domain's settings ``section`` (its defaults if
        it was not loaded)."""
        for value in self.sections:
            if isinstance(value, section):
                return value
        return section()

    def value(self, name: str) -> Any:
        """The value of setting ``name``, core or of any domain's section."""
        if name in _CORE_FIELDS:
            return getattr(self, name)
        for section in section_types():
            if name in _field_names(section):
                return getattr(self.of(section), name)
        raise AttributeError(f"no setting named {name!r}")

    @property
    def domain_names(self) -> list[str]:
        """The domains ``AIOT_DOMAINS`` names, in its order."""
        return [name.strip() for name in self.domains.split(",") if name.strip()]

    @property
    def compact_topics(self) -> bool:
        """Whether changelog and model topics are log-compacted (always, except on Tansu)."""
        return not self.tansu_compat

    @property
    def limits(self) -> StreamLimits:
        """The validation bounds every domain's engine applies."""
        return StreamLimits(
            min_event_time=self.min_event_time,
            max_future_skew_s=self.max_future_skew_s,
            max_lateness_s=self.max_lateness_s,
            hold_grace_s=self.hold_grace_s,
        )

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed, core or of any section (tests, tools)."""
        core = {name: value for name, value in changes.items() if name in _CORE_FIELDS}
        rest = {name: value for name, value in changes.items() if name not in _CORE_FIELDS}
        sections: list[Any] = []
        for section in section_types():
            mine = {name: rest.pop(name) for name in list(rest) if name in _field_names(section)}
            current: Any = self.of(section)
            sections.append(replace(current, **mine) if mine else current)
        if rest:
            raise TypeError(f"unknown settings: {', '.join(sorted(rest))}")
        return replace(self, sections=tuple(sections), **core)


_CORE_FIELDS = frozenset(f.name for f in fields(Settings) if f.name != "sections")


def _field_names(section: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(section))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` and every domain's section from ``environ`` (default
    ``os.environ``); raise one :class:`SettingsError` naming every invalid value."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    core = load_section(Settings, env, problems)
    known = {domain.name for domain in DOMAINS}
    unknown = [name for name in core.domain_names if name not in known]
    if unknown:
        problems.append(
            f"AIOT_DOMAINS names unknown domains {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    sections: tuple[Any, ...] = tuple(load_section(s, env, problems) for s in section_types())
    if problems:
        raise SettingsError(problems)
    return replace(core, sections=sections)


NOT_SETTINGS = ("AIOT_TEST_", "AIOT_TANSU_LOG")
"""``AIOT_*`` variables that are not settings: the test suite's (``AIOT_TEST_BROKER_URL``)
and the embedded broker's log level (``AIOT_TANSU_LOG``)."""


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per ``AIOT_*`` variable of ``environ`` (default ``os.environ``) that is no
    setting, with the closest setting name when one is close (a typo falls back to the
    default)."""
    env = os.environ if environ is None else environ
    known = [name for name, _, _ in Settings.documented()]
    return unknown_names(env, known, NOT_SETTINGS)

"""Registry of aiot topics: logical name -> record class, description and Settings field.

Docs, ``aiot tail`` and the JSON Schema export iterate it, so a new topic is declared once.
The actual topic name is configurable: the setting named by :attr:`TopicSpec.setting`, read
through any object with a ``value(name)`` method (:class:`app.settings.Settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from schemas.alarm import AlarmAction
from schemas.alert import Alert
from schemas.base import WireRecord
from schemas.command import Command, CommandAck, EdgeParams
from schemas.deadletter import DeadLetter
from schemas.groundtruth import GroundTruthEvent
from schemas.maintenance import MaintenanceEvent
from schemas.prediction import Prediction
from schemas.telemetry import MachineTelemetry
from schemas.vehicle import (
    AreaContext,
    AreaNotice,
    DispatcherVerdict,
    FleetEpisode,
    Geofence,
    GeofenceEvent,
    VehicleTelemetry,
)
from schemas.wearable import WearableTelemetry, ZonePresence

__all__ = ["TOPICS", "TopicSpec", "topic_spec"]


class SettingValues(Protocol):
    """Settings that give a setting's value by name."""

    def value(self, name: str) -> Any:
        """The value of setting ``name``."""
        ...


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its logical name, record class, meaning and the setting naming it."""

    name: str
    record: type[WireRecord]
    description: str
    setting: str

    def topic_name(self, settings: SettingValues) -> str:
        """Return the configured Kafka topic name of this topic."""
        return str(settings.value(self.setting))


TOPICS: Mapping[str, TopicSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            TopicSpec(
                "telemetry", MachineTelemetry, "Machine condition readings.", "topic_telemetry"
            ),
            TopicSpec(
                "maintenance",
                MaintenanceEvent,
                "Failures, repairs and inspections (delayed labels).",
                "topic_maintenance",
            ),
            TopicSpec(
                "predictions",
                Prediction,
                "Per-asset failure risk with evidence.",
                "topic_predictions",
            ),
            TopicSpec("alerts", Alert, "Alert transitions, every domain.", "topic_alerts"),
            TopicSpec(
                "dead_letters",
                DeadLetter,
                "Rejected input with the reason and the original bytes.",
                "topic_dead_letters",
            ),
            TopicSpec(
                "ground_truth",
                GroundTruthEvent,
                "Simulator ground truth, for scoring only.",
                "topic_ground_truth",
            ),
            TopicSpec(
                "commands",
                Command,
                "Commands to devices (stop, derate, alarm), relayed by edge gateways.",
                "topic_commands",
            ),
            TopicSpec(
                "command_acks",
                CommandAck,
                "Devices' acknowledgements of commands, from edge gateways.",
                "topic_command_acks",
            ),
            TopicSpec(
                "edge_params",
                EdgeParams,
                "Per-asset-class parameters of the edge's local models (compacted).",
                "topic_edge_params",
            ),
            TopicSpec(
                "fleet_telemetry",
                VehicleTelemetry,
                "Vehicle GPS fixes with ignition and assignment.",
                "topic_fleet_telemetry",
            ),
            TopicSpec(
                "fleet_verdicts",
                DispatcherVerdict,
                "Dispatcher verdicts on fleet episodes (delayed labels).",
                "topic_fleet_verdicts",
            ),
            TopicSpec(
                "fleet_geofences",
                Geofence,
                "Depots, customer sites, service stations and restricted zones (compacted).",
                "topic_fleet_geofences",
            ),
            TopicSpec(
                "fleet_episodes",
                FleetEpisode,
                "Vehicle deviation episodes classified with confidence and reasons.",
                "topic_fleet_episodes",
            ),
            TopicSpec(
                "fleet_geofence_events",
                GeofenceEvent,
                "Vehicles entering, leaving or overstaying geofences.",
                "topic_fleet_geofence_events",
            ),
            TopicSpec(
                "fleet_area",
                AreaNotice,
                "Detour notices repartitioned by area (internal).",
                "topic_fleet_area",
            ),
            TopicSpec(
                "fleet_context",
                AreaContext,
                "Concurrent detours in an area, back to each vehicle (internal).",
                "topic_fleet_context",
            ),
            TopicSpec(
                "wearables",
                WearableTelemetry,
                "Wearable readings from edge gateways (pseudonymised, no raw biometrics).",
                "edge_topic_wearables",
            ),
            TopicSpec(
                "zone_presence",
                ZonePresence,
                "Workers' zone presence repartitioned by zone (internal, safety).",
                "topic_zone_presence",
            ),
            TopicSpec(
                "alert_acks",
                AlarmAction,
                "Operator actions on alarms: acknowledge, shelve, note, inspection outcome.",
                "topic_alert_acks",
            ),
        )
    }
)
"""Logical topic name -> :class:`TopicSpec`."""


def topic_spec(name: str) -> TopicSpec:
    """Return the spec of logical topic ``name``; ``KeyError`` lists the known names."""
    try:
        return TOPICS[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {', '.join(TOPICS)}") from None

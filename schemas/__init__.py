"""Topic records of aiot, their validation and their JSON Schema export.

Records are frozen dataclasses whose wire form (``to_dict``/``to_json``) is a JSON object with
exactly the field names plus the schema version ``"v"``. Untrusted input is decoded with
:func:`decode_telemetry` / :func:`decode_maintenance`, which raise :class:`ValidationError`.
"""

from schemas.alarm import AlarmAction, decode_alarm_action, decode_alert
from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from schemas.errors import REASONS, ValidationError
from schemas.groundtruth import GroundTruthEvent
from schemas.maintenance import MaintenanceEvent, MaintenanceKind
from schemas.prediction import FeatureEvidence, Prediction
from schemas.telemetry import FEATURE_FIELDS, TELEMETRY_RANGES, MachineTelemetry
from schemas.topics import TOPICS, TopicSpec
from schemas.validation import check_lateness, decode_maintenance, decode_telemetry
from schemas.vehicle import (
    DispatcherVerdict,
    FleetEpisode,
    Geofence,
    GeofenceEvent,
    VehicleTelemetry,
    decode_geofence,
    decode_vehicle_telemetry,
    decode_verdict,
)
from schemas.wearable import WearableTelemetry, ZonePresence, decode_presence, decode_wearable

__all__ = [
    "FEATURE_FIELDS",
    "REASONS",
    "TELEMETRY_RANGES",
    "TOPICS",
    "AlarmAction",
    "Alert",
    "DeadLetter",
    "DispatcherVerdict",
    "FeatureEvidence",
    "FleetEpisode",
    "Geofence",
    "GeofenceEvent",
    "GroundTruthEvent",
    "MachineTelemetry",
    "MaintenanceEvent",
    "MaintenanceKind",
    "Prediction",
    "TopicSpec",
    "ValidationError",
    "VehicleTelemetry",
    "WearableTelemetry",
    "ZonePresence",
    "check_lateness",
    "decode_alarm_action",
    "decode_alert",
    "decode_geofence",
    "decode_maintenance",
    "decode_presence",
    "decode_telemetry",
    "decode_vehicle_telemetry",
    "decode_verdict",
    "decode_wearable",
]

"""Settings of the fleet domain: its topics and the tuning of habits, episodes and alerts.

A section of the one settings object (:class:`app.settings.Settings`), declared here so the
domain owns its knobs; each field is read from ``AIOT_<FIELD NAME IN CAPS>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import setting

__all__ = ["FleetSettings"]


@dataclass(frozen=True, slots=True)
class FleetSettings:
    """Topics and tuning of the fleet domain (``AIOT_TOPIC_FLEET_*``, ``AIOT_FLEET_*``)."""

    topic_fleet_telemetry: str = setting(
        "aiot.fleet.telemetry.v1", "Vehicle GPS fixes with ignition and assignment (key: vehicle)."
    )
    topic_fleet_verdicts: str = setting(
        "aiot.fleet.verdicts.v1",
        "Dispatcher verdicts on fleet episodes, delayed labels (key: vehicle).",
    )
    topic_fleet_geofences: str = setting(
        "aiot.fleet.geofences.v1",
        "Compacted geofences: depots, customers, services, restricted zones.",
    )
    topic_fleet_episodes: str = setting(
        "aiot.fleet.episodes.v1", "Classified deviation episodes with confidence and reasons."
    )
    topic_fleet_geofence_events: str = setting(
        "aiot.fleet.geofence-events.v1", "Vehicles entering, leaving or overstaying geofences."
    )
    topic_fleet_area: str = setting(
        "aiot.fleet.area.v1", "Detour notices repartitioned by area for the area agent (internal)."
    )
    topic_fleet_context: str = setting(
        "aiot.fleet.context.v1", "Area context back to the vehicle agent, by vehicle (internal)."
    )
    topic_fleet_models: str = setting(
        "aiot.fleet.models.v1",
        "Compacted fleet classifier learned from verdicts (restored on start).",
    )
    fleet_cell_m: float = setting(200.0, "Side (m) of the grid cells of learned route corridors.")
    fleet_warmup_days: int = setting(
        3, "Driving days a vehicle's habits are learned before its episodes are classified."
    )
    fleet_long_stop_min: float = setting(
        45.0, "A stop this long (minutes) at a place the vehicle does not know opens an episode."
    )
    fleet_hold_h: float = setting(
        3.0, "Event-time hours a detour-shaped episode waits for other vehicles' area context."
    )
    fleet_area_km: float = setting(2.0, "Side (km) of the areas of cross-vehicle context.")
    fleet_area_window_h: float = setting(
        3.0, "Detours of other vehicles within this many hours in an area count as traffic."
    )
    fleet_alert_confidence: float = setting(
        0.6, "Unauthorized-use alert (and dispatcher notification) from this confidence."
    )
    fleet_immobilizer_confidence: float = setting(
        0.9,
        "Ask the dispatcher to confirm immobilisation of a moving vehicle from this confidence.",
    )
    fleet_learning_rate: float = setting(
        0.05, "SGD step of the classifier's correction per dispatcher verdict."
    )
    fleet_utc_offset_h: float = setting(0.0, "Fleet's local time offset from UTC (hour habits).")

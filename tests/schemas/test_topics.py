"""The topic registry names every topic record and a real Settings field."""

from __future__ import annotations

import pytest

from app.settings import Settings
from schemas.topics import TOPICS, topic_spec


def test_registry_lists_the_logical_topics():
    assert list(TOPICS) == [
        "telemetry",
        "maintenance",
        "predictions",
        "alerts",
        "dead_letters",
        "ground_truth",
        "commands",
        "command_acks",
        "edge_params",
        "fleet_telemetry",
        "fleet_verdicts",
        "fleet_geofences",
        "fleet_episodes",
        "fleet_geofence_events",
        "fleet_area",
        "fleet_context",
        "wearables",
        "zone_presence",
        "alert_acks",
    ]


@pytest.mark.parametrize("spec", TOPICS.values(), ids=list(TOPICS))
def test_each_topic_reads_its_name_from_settings(spec):
    settings = Settings()
    assert spec.setting in (f"topic_{spec.name}", f"edge_topic_{spec.name}")
    assert spec.topic_name(settings) == settings.value(spec.setting)
    assert spec.topic_name(settings.replace(**{spec.setting: "custom"})) == "custom"


def test_unknown_topic_lists_known_names():
    with pytest.raises(KeyError, match="telemetry"):
        topic_spec("nope")

"""The worker's topic plan: its domains' topics, their changelogs, what must be co-partitioned."""

from __future__ import annotations

from agents.fleet.settings import FleetSettings
from agents.maintenance.settings import MaintenanceSettings
from app.kafka.worker_topics import changelog_name, worker_plan
from app.settings import Settings


def _by_name(settings: Settings) -> dict[str, object]:
    return {topic.name: topic for topic in worker_plan(settings)}


def test_plan_holds_inputs_outputs_feeds_and_the_changelog_of_every_table():
    settings = Settings(partitions=6, replication_factor=3, app_id="plant")
    plan = {topic.name: topic for topic in worker_plan(settings)}
    maintenance = settings.of(MaintenanceSettings)
    telemetry = plan[maintenance.topic_telemetry]
    changelog = plan["plant-asset_state-changelog"]
    models = plan[maintenance.topic_models]
    predictions = plan[maintenance.topic_predictions]
    assert (telemetry.partitions, telemetry.copartitioned, telemetry.compacted) == (6, True, False)
    assert (changelog.partitions, changelog.copartitioned, changelog.compacted) == (6, True, True)
    assert (models.partitions, models.copartitioned, models.compacted) == (1, False, True)
    assert (predictions.partitions, predictions.copartitioned) == (6, False)
    assert {t.replication_factor for t in plan.values()} == {3}
    for table in (
        "fleet_vehicle_state",
        "fleet_area_state",
        "safety_worker_state",
        "safety_zone_state",
    ):
        assert changelog_name(settings, table) in plan
    assert plan[settings.of(FleetSettings).topic_fleet_context].copartitioned


def test_plan_follows_the_domains_the_worker_runs():
    settings = Settings(domains="maintenance")
    names = set(_by_name(settings))
    assert settings.of(MaintenanceSettings).topic_telemetry in names
    assert settings.topic_alerts in names and settings.topic_dead_letters in names
    assert settings.of(FleetSettings).topic_fleet_telemetry not in names
    assert not any("fleet" in name or "safety" in name for name in names)


def test_plan_lists_each_topic_once_even_when_two_domains_share_it():
    maintenance = MaintenanceSettings().topic_telemetry
    settings = Settings().replace(topic_fleet_telemetry=maintenance)
    names = [topic.name for topic in worker_plan(settings)]
    assert names.count(maintenance) == 1


def test_nothing_is_planned_compacted_on_tansu():
    plan = worker_plan(Settings(tansu_compat=True))
    assert not any(topic.compacted for topic in plan)
    assert {topic.cleanup_policy for topic in plan} == {"delete"}

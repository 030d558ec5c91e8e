"""The predictive-maintenance domain as the runtime sees it: topics, one agent, models, figures.

One agent, ``maintenance``, reads telemetry and maintenance events (both keyed by asset id on
the keyed partition count, so an asset's readings and labels meet on one worker) through
:class:`~agents.maintenance.engine.MaintenanceEngine`, with each asset's compact state in the
``asset_state`` table. The shared per-class failure models are published to a compacted topic
and read back whole when a worker starts, so a restarted worker resumes the learned models.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.maintenance.config import ALERT_TYPE, DOMAIN, MaintenanceConfig
from agents.maintenance.engine import MaintenanceEngine
from agents.maintenance.settings import MaintenanceSettings
from app.core import Output
from app.core.domain import AgentPlan, Domain, DomainContext, DomainPlan, Feed, Topic

__all__ = ["MAINTENANCE"]

AGENT = "maintenance"
STATE_TABLE = "asset_state"


def topics(settings: MaintenanceSettings) -> Mapping[str, Topic]:
    """The maintenance topics: inputs and predictions keyed by asset, the compacted models."""
    return {
        "telemetry": Topic(settings.topic_telemetry),
        "maintenance": Topic(settings.topic_maintenance),
        "predictions": Topic(settings.topic_predictions),
        "models": Topic(settings.topic_models, keyed=False, compacted=True),
    }


def declare(ctx: DomainContext[MaintenanceSettings]) -> DomainPlan:
    """The maintenance agent, its model feed and the alert-quality figures."""
    engine = MaintenanceEngine(
        MaintenanceConfig.from_settings(ctx.settings),
        ctx.limits,
        ctx.table(STATE_TABLE, "Compact per-asset maintenance state (features, detector, alert)."),
        ctx.clock,
    )
    metrics = ctx.metrics

    def adopt_model(key: bytes | None, value: bytes | None) -> None:
        if key is not None and value is not None:
            engine.models.load(key, value)

    def figures() -> list[Output]:
        """Alert quality judged by the delayed labels, as gauges and lead times."""
        quality = engine.quality
        if quality.precision is not None:
            metrics.model_precision.labels(DOMAIN).set(quality.precision)
        if quality.recall is not None:
            metrics.model_recall.labels(DOMAIN).set(quality.recall)
        for lead_s in quality.drain_lead_times():
            metrics.lead_time.labels(DOMAIN).observe(lead_s / 3600.0)
        metrics.assets_tracked.set(len(engine.cache))
        return []

    return DomainPlan(
        agents=(
            AgentPlan(
                name=AGENT,
                engine=engine,
                inputs={"telemetry": "telemetry", "maintenance": "maintenance"},
                table=STATE_TABLE,
                key_field="asset_id",
            ),
        ),
        feeds=(Feed("models", adopt_model),),
        alert_types=(ALERT_TYPE,),
        tick=figures,
        restored=lambda: f"models of classes {engine.models.classes()}",
    )


MAINTENANCE: Domain[MaintenanceSettings] = Domain(
    name=DOMAIN,
    settings=MaintenanceSettings,
    topics=topics,
    declare=declare,
)

"""The safety domain's declaration: its agents and the alert types the runtime gauges."""

from __future__ import annotations

from agents.safety.domain import SAFETY, WORKERS
from agents.safety.settings import SafetySettings
from agents.safety.worker_engine import WorkerEngine
from agents.safety.worker_state import WorkerState
from app.core import StreamLimits
from app.core.domain import DomainContext
from app.core.metrics import Metrics
from tests.agents.safety.support import clock


def test_every_worker_alert_type_is_declared_for_the_active_alert_gauge() -> None:
    ctx = DomainContext(
        SafetySettings(), StreamLimits(), Metrics(), lambda name, help_: lambda key: None, clock
    )
    plan = SAFETY.declare(ctx)
    assert "fall_suspected" in plan.alert_types
    assert set(WorkerState().alerts()) <= set(plan.alert_types)
    [workers] = [agent for agent in plan.agents if agent.name == WORKERS]
    assert isinstance(workers.engine, WorkerEngine)
    assert workers.engine.falls.model.version  # the packaged fall model, loaded by default

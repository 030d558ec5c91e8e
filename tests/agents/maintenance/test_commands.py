"""The maintenance derate command: built when the failure probability reaches the level."""

from __future__ import annotations

from agents.maintenance.commands import derate_command
from schemas.prediction import Prediction


def _prediction(p: float, ts: float = 1.7e9) -> Prediction:
    return Prediction("maintenance", "m1", "motor-a", ts, ts, 0.5, p, 72.0, 30.0, (), "f1")


def test_a_probability_at_the_level_builds_a_derate_command() -> None:
    command = derate_command(_prediction(0.85), 0.8, now=5.0)
    assert command is not None and command.action == "derate" and command.asset_id == "m1"
    assert command.command_id == derate_command(_prediction(0.85), 0.8, now=9.0).command_id  # type: ignore[union-attr]
    assert derate_command(_prediction(0.79), 0.8, now=5.0) is None

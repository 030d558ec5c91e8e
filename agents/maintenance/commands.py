"""Automated maintenance decisions as commands: derate a motor whose failure risk is high.

When a prediction's failure probability reaches ``AIOT_DERATE_PROBABILITY`` the motor is asked
to derate (reduce its load) until a human has looked at it. The engine issues one command per
crossing of the level per asset - the asset's state remembers a standing derate until the
probability falls below :data:`REARM_RATIO` of the level or the asset is repaired - so a
standing risk does not flood the commands topic, and a restart or a rebalance neither repeats
nor forgets it. Command ids are deterministic (asset, action, prediction event time): a
re-processed prediction yields the same id and devices deduplicate.
"""

from __future__ import annotations

from schemas.command import Command, command_id
from schemas.prediction import Prediction

__all__ = ["REARM_RATIO", "SOURCE", "derate_command"]

SOURCE = "maintenance"
DEFAULT_DERATE_PCT = 50.0
REARM_RATIO = 0.8
"""A standing derate re-arms once the failure probability falls below this share of the level."""


def derate_command(
    prediction: Prediction,
    level: float,
    *,
    now: float,
    derate_pct: float = DEFAULT_DERATE_PCT,
) -> Command | None:
    """The derate command for ``prediction`` if its failure probability reaches ``level``."""
    probability = prediction.failure_probability
    if probability < level:
        return None
    return Command(
        command_id=command_id(SOURCE, prediction.asset_id, "derate", prediction.ts),
        asset_id=prediction.asset_id,
        action="derate",
        reason=(
            f"P(failure within {prediction.horizon_h:g} h) = {probability:.2f} >= "
            f"derate level {level:.2f} ({prediction.model_version})"
        ),
        source=SOURCE,
        trigger_ts=prediction.ts,
        issued_at=now,
        params={"derate_pct": derate_pct, "failure_probability": probability},
    )

"""Automated maintenance decisions as commands: derate a motor whose failure risk is high.

Faust-free policy used by the maintenance agent: when a prediction's failure probability
reaches ``AIOT_DERATE_PROBABILITY`` the motor is asked to derate (reduce its load) until a human
has looked at it. :class:`DerateGate` issues one command per crossing of the level per asset
(re-armed once the probability falls below ``rearm_ratio`` of the level), so a standing risk
does not flood the commands topic. Command ids are deterministic (asset, action, prediction
event time): a re-processed prediction yields the same id and devices deduplicate.
"""

from __future__ import annotations

from schemas.command import Command, command_id
from schemas.prediction import Prediction

__all__ = ["SOURCE", "DerateGate", "derate_command"]

SOURCE = "maintenance"
DEFAULT_DERATE_PCT = 50.0


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


class DerateGate:
    """One derate command per crossing of the level per asset (module docstring)."""

    def __init__(
        self, level: float, *, rearm_ratio: float = 0.8, derate_pct: float = DEFAULT_DERATE_PCT
    ) -> None:
        self.level = level
        self.rearm_ratio = rearm_ratio
        self.derate_pct = derate_pct
        self._derated: set[str] = set()

    def offer(self, prediction: Prediction, *, now: float) -> Command | None:
        """The command to issue for ``prediction``, or None (below level or already derated)."""
        asset = prediction.asset_id
        if asset in self._derated:
            if prediction.failure_probability < self.level * self.rearm_ratio:
                self._derated.discard(asset)
            return None
        command = derate_command(prediction, self.level, now=now, derate_pct=self.derate_pct)
        if command is not None:
            self._derated.add(asset)
        return command

    def forget(self, asset_id: str) -> None:
        """Re-arm ``asset_id`` (after a repair)."""
        self._derated.discard(asset_id)

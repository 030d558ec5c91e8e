"""Ground-truth episodes of the simulated fleet: bearing failures and healthy disturbances.

An :class:`Episode` is the scoring-side record of something that happened to an asset (or a
whole site): when a bearing precursor started, when the bearing failed and when it was
repaired, or when a harmless disturbance (overload, heat wave) began and ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BEARING_FAILURE", "HEAT_WAVE", "OVERLOAD", "Episode"]

BEARING_FAILURE = "bearing_failure"
OVERLOAD = "overload"
HEAT_WAVE = "heat_wave"


@dataclass(frozen=True, slots=True)
class Episode:
    """One ground-truth episode.

    For ``bearing_failure``: ``start_ts`` is the precursor start, ``failure_ts`` the failure
    and ``end_ts`` (= ``repair_ts``) the repair. For the disturbances ``overload`` (one asset)
    and ``heat_wave`` (every asset of ``site``; ``asset_id`` is None) ``start_ts``/``end_ts``
    bound the disturbance and the failure fields are None.
    """

    episode_id: str
    kind: str
    asset_id: str | None
    site: str
    start_ts: float
    end_ts: float
    failure_ts: float | None = None
    repair_ts: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def is_failure(self) -> bool:
        """True for a bearing-failure episode (as opposed to a healthy disturbance)."""
        return self.kind == BEARING_FAILURE

    @property
    def precursor_h(self) -> float | None:
        """Hours from precursor start to failure, for failure episodes."""
        if self.failure_ts is None:
            return None
        return (self.failure_ts - self.start_ts) / 3600.0

"""Per-class parameters for the edge's local vibration guard, derived from the learned baselines.

The cloud knows what *normal* vibration looks like for each asset class (the median of its warmed
up assets' baselines); the edge needs thresholds to react without a round trip. Following the
common practice of vibration monitoring - alarm levels set as multiples of the machine's normal
level rather than one absolute number for every machine - the derate level is
``derate_factor`` x and the stop level ``stop_factor`` x the class's normal RMS. The records go
to the compacted edge-params topic keyed by class; gateways apply the newest version live.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.command import EdgeParams

__all__ = ["EdgeParamsPolicy"]


@dataclass(frozen=True, slots=True)
class EdgeParamsPolicy:
    """How class baselines become edge thresholds.

    Attributes:
        derate_factor: derate when RMS exceeds this multiple of the class's normal RMS.
        stop_factor: stop when RMS exceeds this multiple (must exceed ``derate_factor``).
        min_assets: warmed-up assets a class needs before its parameters are published.
        min_consecutive: readings in a row above a level before the edge reacts.
        derate_pct: load limit a derate command asks for.
    """

    derate_factor: float = 2.5
    stop_factor: float = 4.0
    min_assets: int = 3
    min_consecutive: int = 2
    derate_pct: float = 50.0

    def params(
        self, asset_class: str, baseline_rms: Iterable[float], *, version: int, now: float
    ) -> EdgeParams | None:
        """The class's parameters from its assets' baseline RMS values, or None if too few."""
        values = [v for v in baseline_rms if v > 0.0]
        if len(values) < self.min_assets:
            return None
        normal = statistics.median(values)
        return EdgeParams(
            asset_class=asset_class,
            derate_rms=round(normal * self.derate_factor, 3),
            stop_rms=round(normal * self.stop_factor, 3),
            baseline_rms=round(normal, 3),
            min_consecutive=self.min_consecutive,
            derate_pct=self.derate_pct,
            version=version,
            published_at=now,
        )

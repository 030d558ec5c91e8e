"""Cold-start risk from an asset's deviation against its own baseline.

Before a class model has learned from labelled failures, the best evidence of a developing
fault is a *persistent* rise of condition channels above the asset's own healthy baseline. This
score takes each channel's slow z-score (from :class:`analytics.features.FeatureTracker`),
keeps rises only, weights channels by how specific they are to the fault (a defect raises
kurtosis and moves the dominant frequency; load and ambient changes also move vibration and
temperature, so those count for less), and maps the largest weighted rise ``D`` to [0, 1]:
``1 - exp(-max(D - onset, 0) / scale)``. Spikes average out in the slow level, so a single
outlier cannot raise it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.models.features import FEATURE_KINDS

__all__ = ["DeviationScorer"]

_Z_SLOW = FEATURE_KINDS.index("z_slow")


@dataclass(frozen=True, slots=True)
class DeviationScorer:
    """Maps tracker features to a persistent-deviation score in [0, 1].

    Attributes:
        weights: per-channel weight (0 ignores a channel, e.g. load as pure context).
        onset: weighted z below which the score is 0 (normal spread of a healthy asset).
        scale: z distance over which the score rises by ``1 - 1/e``.
    """

    weights: Sequence[float]
    onset: float = 3.0
    scale: float = 4.0

    def score(self, features: np.ndarray) -> tuple[float, int]:
        """Return ``(score, index of the channel driving it)`` for one feature vector."""
        z_slow = features.reshape(len(self.weights), len(FEATURE_KINDS))[:, _Z_SLOW]
        weighted = np.maximum(z_slow, 0.0) * np.asarray(self.weights)
        driver = int(np.argmax(weighted))
        excess = float(weighted[driver]) - self.onset
        if excess <= 0.0:
            return 0.0, driver
        return 1.0 - math.exp(-excess / self.scale), driver

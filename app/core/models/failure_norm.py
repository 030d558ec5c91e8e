"""Class-level normalisation of raw channels per operating condition, learned online.

Assets of one class run in several operating conditions (C-MAPSS FD002/FD004: six altitude /
Mach / throttle regimes; motors: load bands), and a raw reading means little until it is
compared with what the class shows *in the same condition*. :class:`ConditionNormaliser`
keeps a Welford mean and variance per condition key and channel, over every reading of the
class, and returns ``(x - mean) / std`` for that condition. Fed into a per-asset
:class:`analytics.features.FeatureTracker`, the tracker's z-scores stay per-asset while its
:meth:`~analytics.features.FeatureTracker.level` becomes a class-normalised level.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

__all__ = ["ConditionNormaliser", "condition_key"]


def condition_key(
    settings: Sequence[float] | np.ndarray, decimals: Sequence[int]
) -> tuple[float, ...]:
    """Key of an operating condition: the settings rounded to ``decimals`` places each.

    Parameters:
        settings: the operating settings of one reading.
        decimals: decimal places kept per setting (coarse enough to merge sensor jitter).
    """
    return tuple(round(float(s), d) + 0.0 for s, d in zip(settings, decimals, strict=True))


class ConditionNormaliser:
    """Running per-condition mean and std of ``n_channels`` channels.

    Parameters:
        n_channels: channels per reading.
        min_std: floor of a channel's std, so a constant channel maps to 0, not inf.
        warmup: readings of a condition before its statistics are used; before that the
            reading maps to zeros (no evidence yet).

    >>> norm = ConditionNormaliser(1, warmup=3)
    >>> [float(norm.update(("a",), np.array([v]))[0]) for v in (1.0, 3.0, 5.0)]
    [0.0, 0.0, 1.0]
    """

    __slots__ = ("_stats", "min_std", "n", "warmup")

    def __init__(self, n_channels: int, min_std: float = 1e-9, warmup: int = 10) -> None:
        self.n = n_channels
        self.min_std = min_std
        self.warmup = warmup
        # key -> rows: count, mean (n), M2 (n)
        self._stats: dict[Hashable, np.ndarray] = {}

    def __len__(self) -> int:
        """Number of operating conditions seen."""
        return len(self._stats)

    def update(self, key: Hashable, x: np.ndarray) -> np.ndarray:
        """Learn reading ``x`` of condition ``key`` and return it normalised."""
        s = self._stats.get(key)
        if s is None:
            s = np.zeros((3, self.n))
            self._stats[key] = s
        s[0, 0] += 1.0
        count = s[0, 0]
        delta = x - s[1]
        s[1] += delta / count
        s[2] += delta * (x - s[1])
        return self.transform(key, x)

    def transform(self, key: Hashable, x: np.ndarray) -> np.ndarray:
        """Return ``x`` normalised with the statistics of ``key`` without learning it."""
        s = self._stats.get(key)
        if s is None or s[0, 0] < max(self.warmup, 2):
            return np.zeros(self.n)
        std = np.sqrt(s[2] / (s[0, 0] - 1.0))
        return (x - s[1]) / np.maximum(std, self.min_std)

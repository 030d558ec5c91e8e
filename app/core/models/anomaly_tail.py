"""Streaming tail calibration of a non-negative surprise signal by four tracked quantiles.

A signal's raw values (a z-score, a prediction error ...) mean different things on different
streams: Gaussian noise rarely passes 4, a spiky counter passes 40 every hour, a cron job
spikes once a day. To put every signal on one scale, each keeps four floats in the caller's
state sequence, at ``i``: ``1 + q`` for the 0.9-, 0.99-, 0.999- and 0.9999-quantiles ``q``,
tracked online by stochastic approximation (Robbins-Monro) on the log scale (quantiles
commute with monotone maps, so a fixed log step is a relative move and the estimate is
scale-free): ``1 + q`` is multiplied by ``e^up`` when exceeded and by
``e^-(up (1 - level) / level)`` otherwise, which balances exactly at its level. Learning
needs no transcendental function, only comparisons and products.

The tail probability is then piecewise log-linear through ``P(Z > q_k) = 10^-k`` (the
exponential, shape-0 case of the generalised Pareto law of peaks over a threshold, as in
SPOT, Siffer et al., KDD 2017) and, beyond the deepest quantile, a generalised Pareto tail
whose shape is read from the widening of the quantile spacing (never lighter than
exponential). The surprise of ``z`` is ``-ln P(Z >= z)`` in nats, 0 below the 0.9-quantile,
capped at 50. Because the deep quantiles are quantiles and not means, an event that recurs
(a nightly job) is learned as normal however large it is, while a single outlier moves them
by one step only.

The functions work on any mutable sequence of floats (the detector keeps its tails in its
float32 ``array``, beside its profiles), so the state stays flat and cheaply serialisable.
"""

from __future__ import annotations

import math
from collections.abc import MutableSequence, Sequence

__all__ = ["TAIL_SLOTS", "tail_learn", "tail_quantiles", "tail_start", "tail_surprise"]

TAIL_SLOTS = 4
_LN10 = math.log(10.0)
_TEN = 10.0
_XI_MAX = 1.0
_MIN_RATIO = 0.5
_E_MAX = 50.0
# Up steps (log scale) of the 0.9, 0.99, 0.999 and 0.9999 quantiles, and the down steps
# that balance them at their levels; stored as the factors applied to ``1 + q``. Shallow
# quantiles are exceeded often, so small steps give them a long, stable memory; the deep
# ones are exceeded rarely and need larger steps to move at all.
_LEVELS = (0.9, 0.99, 0.999, 0.9999)
_UP = (0.005, 0.02, 0.1, 0.3)
_UP_F = tuple(math.exp(u) for u in _UP)
_DOWN_F = tuple(math.exp(-u * (1.0 - q) / q) for u, q in zip(_UP, _LEVELS, strict=True))
# Starting quantiles from a signal's mean (half-normal to exponential signals).
_INIT = (2.2, 4.0, 6.0, 8.0)


def tail_start(s: MutableSequence[float], i: int, mean: float) -> None:
    """Initialise the quantiles at ``s[i:i+4]`` for a signal of about this ``mean``."""
    for k in range(TAIL_SLOTS):
        s[i + k] = 1.0 + _INIT[k] * mean


def tail_quantiles(s: Sequence[float], i: int) -> tuple[float, ...]:
    """Return the four tracked quantiles (0.9 ... 0.9999) of the tail at ``s[i:i+4]``."""
    return tuple(s[i + k] - 1.0 for k in range(TAIL_SLOTS))


def tail_surprise(s: Sequence[float], i: int, z: float, floor: float) -> float:
    """Return ``-ln P(Z >= z)`` in nats under the tail at ``s[i:i+4]``, 0 below ``q1``."""
    q1 = s[i] - 1.0
    if z <= q1:
        return 0.0
    q2 = s[i + 1] - 1.0
    d2 = max(q2 - q1, floor)
    if z <= q2:
        return _LN10 * (1.0 + (z - q1) / d2)
    q3 = s[i + 2] - 1.0
    d3 = max(q3 - q2, _MIN_RATIO * d2)
    if z <= q3:
        return _LN10 * (2.0 + (z - q2) / d3)
    q4 = s[i + 3] - 1.0
    d4 = max(q4 - q3, _MIN_RATIO * d3)
    if z <= q4:
        return _LN10 * (3.0 + (z - q3) / d4)
    xi = min(math.log10(d4 / d3), _XI_MAX)
    if xi < 1e-3:
        return min(_LN10 * 4.0 + _LN10 * (z - q4) / d4, _E_MAX)
    scale = d4 * xi / (_TEN**xi - 1.0) + xi * d4  # GPD scale at q4, from that at q3
    arg = 1.0 + xi * (z - q4) / scale
    return min(_LN10 * 4.0 + math.log(arg) / xi, _E_MAX)


def tail_learn(s: MutableSequence[float], i: int, z: float) -> None:
    """Learn value ``z``: move each ``1 + q`` by its factor, keep the quantiles ordered."""
    u = 1.0 + z
    a = s[i] * (_UP_F[0] if u > s[i] else _DOWN_F[0])
    b = s[i + 1] * (_UP_F[1] if u > s[i + 1] else _DOWN_F[1])
    c = s[i + 2] * (_UP_F[2] if u > s[i + 2] else _DOWN_F[2])
    d = s[i + 3] * (_UP_F[3] if u > s[i + 3] else _DOWN_F[3])
    if b < a:
        b = a
    if c < b:
        c = b
    if d < c:
        d = c
    s[i] = a
    s[i + 1] = b
    s[i + 2] = c
    s[i + 3] = d

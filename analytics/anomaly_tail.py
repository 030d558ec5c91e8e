"""Streaming tail calibration of a non-negative surprise signal (peaks over threshold).

A signal's raw values (a z-score, a prediction error ...) mean different things on different
streams: Gaussian noise rarely passes 4, a spiky counter passes 40 every day. To put every
signal on one scale, each keeps three floats in the caller's state list, at ``i``:

- ``u``: its 0.9-quantile, tracked by stochastic approximation (Robbins-Monro);
- ``m1``, ``m2``: exponentially weighted first and second moments of the excess over ``u``.

The excess is modelled as a generalised Pareto distribution (the peaks-over-threshold theorem
of extreme value theory, as in SPOT, Siffer et al., KDD 2017), fitted by the method of
moments: ``xi = (1 - m1^2 / var) / 2`` and ``sigma = m1 (1 - xi)``, with ``xi`` kept in
``[0, XI_MAX]`` (exponential to heavy tails). The surprise of a value ``z`` is then the
negative log of its tail probability, ``-ln P(Z >= z)``, in nats; below ``u`` it is 0.

The functions work on a plain ``list[float]`` so the detector's whole state stays one flat,
cheaply serialisable vector.
"""

from __future__ import annotations

import math

__all__ = ["TAIL_SLOTS", "tail_learn", "tail_start", "tail_surprise"]

TAIL_SLOTS = 3
LEVEL = 0.9
LN_TAIL = -math.log(1.0 - LEVEL)
XI_MAX = 0.45
# A signal's 0.9-quantile is ~2.1-2.3 means for half-normal to exponential signals, and the
# mean excess above it 0.5-1 mean: the starting point before the moments are learned.
U_INIT = 2.2
M1_INIT = 0.75
EXCESS_CAP = 20.0


def tail_start(s: list[float], i: int, mean: float, floor: float) -> None:
    """Initialise the tail at ``s[i:i+3]`` from the signal's mean over a warm-up."""
    m1 = max(M1_INIT * mean, floor)
    s[i] = U_INIT * mean
    s[i + 1] = m1
    s[i + 2] = 2.0 * m1 * m1  # exponential excess: E[x^2] = 2 E[x]^2


def _shape(m1: float, m2: float) -> tuple[float, float]:
    """Return ``(xi, sigma)`` of the generalised Pareto excess from its two moments."""
    var = m2 - m1 * m1
    if var <= 0.0:
        return 0.0, m1
    xi = 0.5 * (1.0 - m1 * m1 / var)
    xi = 0.0 if xi < 0.0 else min(xi, XI_MAX)
    return xi, m1 * (1.0 - xi)


def tail_surprise(s: list[float], i: int, z: float, floor: float) -> float:
    """Return ``-ln P(Z >= z)`` in nats under the tail at ``s[i:i+3]``, 0 below ``u``."""
    u = s[i]
    if z <= u:
        return 0.0
    xi, sigma = _shape(s[i + 1], s[i + 2])
    sigma += floor
    excess = (z - u) / sigma
    if xi < 1e-6:
        return LN_TAIL + excess
    return LN_TAIL + math.log1p(xi * excess) / xi


def tail_learn(s: list[float], i: int, z: float, rate: float, step: float, floor: float) -> None:
    """Learn value ``z``: move the quantile by ``step`` mean excesses, update the moments.

    The excess is capped at ``EXCESS_CAP`` mean excesses so a single outlier cannot blow up
    the tail it is judged by.
    """
    u = s[i]
    m1 = s[i + 1] + floor
    if z > u:
        excess = min(z - u, EXCESS_CAP * m1)
        s[i + 1] += rate * (excess - s[i + 1])
        s[i + 2] += rate * (excess * excess - s[i + 2])
        s[i] = u + step * LEVEL * m1
    else:
        s[i] = u - step * (1.0 - LEVEL) * m1

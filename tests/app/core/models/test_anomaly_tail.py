"""Tail calibration: quantiles tracked online turn any signal into calibrated nats."""

import math
import random

from app.core.models.anomaly_tail import (
    TAIL_SLOTS,
    tail_learn,
    tail_quantiles,
    tail_start,
    tail_surprise,
)

FLOOR = 0.05


def _trained(values, mean=1.0):
    state = [0.0] * TAIL_SLOTS
    tail_start(state, 0, mean)
    for z in values:
        tail_learn(state, 0, z)
    return state


def test_quantiles_hover_around_their_levels_on_exponential_data():
    rng = random.Random(1)
    state = _trained([rng.expovariate(1.0) for _ in range(50_000)])
    sums = [0.0] * TAIL_SLOTS
    for _ in range(100_000):
        tail_learn(state, 0, rng.expovariate(1.0))
        for k, q in enumerate(tail_quantiles(state, 0)):
            sums[k] += math.log1p(q) / 100_000
    # Time-averaged log(1 + q) against log(1 + ln 10^k), the exact quantiles.
    for k, level in enumerate((10, 100, 1000)):
        assert abs(sums[k] - math.log1p(math.log(level))) < 0.15


def test_surprise_is_zero_below_the_90th_percentile_and_grows_with_the_value():
    rng = random.Random(2)
    state = _trained([abs(rng.gauss(0, 1)) for _ in range(50_000)])
    assert tail_surprise(state, 0, 0.5, FLOOR) == 0.0
    nats = [tail_surprise(state, 0, z, FLOOR) for z in (2.0, 3.0, 4.0, 6.0)]
    assert nats == sorted(nats)
    assert 4.0 < nats[1] < 9.0  # |N| > 3: p = 0.0027, 5.9 nats
    assert nats[3] > 12.0


def test_exceedance_rate_matches_the_claimed_probability():
    rng = random.Random(3)
    stream = [abs(rng.gauss(0, 1)) ** 1.5 for _ in range(60_000)]
    state = _trained(stream[:20_000])
    hits = 0
    for z in stream[20_000:]:
        if tail_surprise(state, 0, z, FLOOR) >= math.log(100):
            hits += 1
        tail_learn(state, 0, z)
    assert 0.005 < hits / 40_000 < 0.02


def test_a_recurring_large_event_is_learned_as_normal():
    state = _trained([0.1] * 2000)
    first = tail_surprise(state, 0, 50.0, FLOOR)
    for _day in range(40):
        for _ in range(287):
            tail_learn(state, 0, 0.1)
        tail_learn(state, 0, 50.0)
    assert first > 12.0
    assert tail_surprise(state, 0, 50.0, FLOOR) < 7.5  # a daily event: p ~ 1/288 = 5.7

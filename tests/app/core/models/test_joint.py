"""The joint (T²) model: relations, drift, freezing, episodes, state, and batch = single."""

import numpy as np
import pytest

from app.core.models.joint import (
    JointConfig,
    JointModel,
    joint_begin_episode,
    joint_end_episode,
    joint_learn,
    joint_nats,
    joint_new,
    joint_observe,
    joint_packed_size,
    joint_receded,
)

CFG = JointConfig()


def _levels(n, k, seed, tau=4.0):
    """Fast levels (EW over ``tau`` readings) of ``k`` correlated noisy channels."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(k, k)) / np.sqrt(k) + np.eye(k)
    level = np.zeros(k)
    out = np.empty((n, k))
    for i in range(n):
        level += max(1.0 / (i + 1), 1.0 / tau) * (mix @ rng.normal(size=k) - level)
        out[i] = level
    return out


def _train(model, levels):
    for row in levels:
        t2, _ = model.observe(row)
        model.learn(row, t2, alert_open=False)


def test_a_broken_relation_is_evidence_although_each_channel_stays_in_range():
    levels = _levels(2000, 2, seed=1, tau=4.0)
    levels[:, 1] = levels[:, 0] + 0.05 * levels[:, 1]  # the second follows the first
    model = JointModel(2)
    _train(model, levels)
    std = levels.std(axis=0)
    t2, live = model.observe(np.array([2.0 * std[0], -2.0 * std[1]]))  # two spreads each
    assert live
    assert model.nats(t2) > 10.0
    t2_ok, _ = model.observe(np.array([2.0 * std[0], 2.0 * std[0]]))
    assert model.nats(t2_ok) < 5.0


def test_slow_drift_is_followed_but_a_step_is_not_absorbed_while_the_alert_is_open():
    k = 3
    levels = _levels(4000, k, seed=2)
    spread = levels.std(axis=0)
    drift = np.linspace(0.0, 6.0, 4000)[:, None] * spread  # six spreads over the stream
    model = JointModel(k)
    nats = []
    for row in levels + drift:
        t2, live = model.observe(row)
        nats.append(model.nats(t2) if live else 0.0)
        model.learn(row, t2, alert_open=False)
    assert max(nats[500:]) < 12.0
    step = levels[-1] + drift[-1] + 8.0 * spread
    held = []
    for _ in range(300):
        t2, _ = model.observe(step)
        held.append(model.nats(t2))
        model.learn(step, t2, alert_open=True)
    assert min(held) == max(held) > 10.0  # frozen: the fault stays a fault for its duration


def test_learning_freezes_during_an_alert_only_once_mature():
    levels = _levels(600, 2, seed=3)
    young = JointModel(2, JointConfig(mature=10_000))
    grown = JointModel(2)
    _train(young, levels)
    _train(grown, levels)
    before_young, before_grown = young.to_array().copy(), grown.to_array().copy()
    for model in (young, grown):
        t2, _ = model.observe(levels[-1] + 5.0)
        model.learn(levels[-1] + 5.0, t2, alert_open=True)
    assert not np.array_equal(young.to_array(), before_young)
    assert np.array_equal(grown.to_array(), before_grown)


def test_episode_recedes_below_a_tenth_of_its_peak_and_a_long_one_rebases():
    model = JointModel(2)
    _train(model, _levels(600, 2, seed=4))
    model.begin_episode(1000.0)
    assert model.in_episode
    assert not model.receded(500.0, live=True, quiet=False)
    for _ in range(CFG.rebase_after):
        model.receded(500.0, live=True, quiet=False)
    assert model.receded(90.0, live=True, quiet=False)  # quiet only because it receded
    settled = np.array([3.0, -2.0])
    model.end_episode(settled)
    assert not model.in_episode
    t2, live = model.observe(settled)
    assert not live  # the restarted reference re-learns before it is scored
    for _ in range(CFG.relearn):
        t2, live = model.observe(settled)
        model.learn(settled, t2, alert_open=False)
    t2, live = model.observe(settled)
    assert live and model.nats(t2) < 3.0  # where the asset settled is its normal now


@pytest.mark.parametrize(
    ("config", "length", "quiet"),
    [(JointConfig(rebase_after=50), 3, False), (CFG, 200, True)],
    ids=["shorter than rebase_after", "ended back at the reference"],
)
def test_a_short_episode_or_one_back_at_the_reference_keeps_it(config, length, quiet):
    model = JointModel(2, config)
    _train(model, _levels(600, 2, seed=5))
    before = model.to_array().copy()
    model.begin_episode(100.0)
    for _ in range(length):
        model.receded(5.0, live=True, quiet=quiet)
    model.end_episode(np.array([9.0, 9.0]))
    after = model.to_array()
    assert np.array_equal(after[:4], before[:4])  # counts and re-learning untouched
    assert np.array_equal(after[6:], before[6:])  # reference and covariance unchanged


def test_packed_state_restores_a_model_that_continues_exactly():
    levels = _levels(900, 4, seed=6)
    original = JointModel(4)
    _train(original, levels[:500])
    packed = original.to_array()
    assert packed.shape == (joint_packed_size(4),) and packed.dtype == np.float32
    restored = JointModel.from_array(packed.copy(), 4)
    for row in levels[500:]:
        a, b = original.observe(row), restored.observe(row)
        assert a == b
        original.learn(row, a[0], alert_open=False)
        restored.learn(row, b[0], alert_open=False)
    assert np.array_equal(original.to_array(), restored.to_array())
    with pytest.raises(ValueError):
        JointModel.from_array(packed[:-1], 4)


def test_a_batch_of_assets_gets_the_same_figures_as_each_asset_alone():
    k, assets, n = 3, 5, 700
    streams = [_levels(n, k, seed=10 + a) for a in range(assets)]
    for a, s in enumerate(streams):  # faults of different size and timing
        s[300 + 40 * a : 420 + 40 * a] += (a + 1) * 0.6
    streams[0][300:420] += 30.0  # a large fault after which the asset settles elsewhere
    streams[0][420:] += 3.0
    singles = [JointModel(k) for _ in range(assets)]
    batch = joint_new(k, assets)
    for i in range(n):
        level = np.stack([s[i] for s in streams])
        t2_b, live_b = joint_observe(batch, level, CFG)
        nats_b = joint_nats(t2_b, k, CFG)
        joint_begin_episode(batch, t2_b, (nats_b > 8.0) & (batch[:, 4] < 0.0))
        ended = joint_receded(batch, t2_b, live_b, nats_b < 3.0, CFG)
        joint_end_episode(batch, level, ended, CFG)
        joint_learn(batch, level, t2_b, batch[:, 4] >= 0.0, CFG)
        for a, model in enumerate(singles):
            t2, live = model.observe(streams[a][i])
            assert t2 == pytest.approx(t2_b[a], rel=1e-9, abs=1e-12) and live == live_b[a]
            nats = model.nats(t2)
            assert nats == pytest.approx(nats_b[a], rel=1e-12, abs=1e-12)
            if nats_b[a] > 8.0 and not model.in_episode:
                model.begin_episode(t2)
            if model.receded(t2, live, bool(nats_b[a] < 3.0)):
                model.end_episode(streams[a][i])
            model.learn(streams[a][i], t2, model.in_episode)
    assert batch[0, 1] < 300  # stream 0 was rebased (its reference restarted)
    for a, model in enumerate(singles):
        assert np.array_equal(model.state, batch[a])

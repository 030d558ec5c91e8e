"""Joint normal behaviour of an asset's channels, learned online: a Hotelling T² detector.

Pump, motor and compressor faults often show as a shift in the relation between signals that
each stay in range alone: more current for the same flow, vibration up on one sensor but not
the other. A per-channel detector cannot see that; this model follows the channels together.

Per asset, over its ``k`` channels (any channel set, ``k >= 2`` in the detector), the input
of each observation is the channels' **fast level** ``m``: an exponentially weighted (EW)
mean over a few observations, which averages the noise out of a sustained change (the
per-feature detector keeps exactly these levels, so the joint model takes them from it and
does not store them twice). Learned:

- a **reference** ``mu``: where the levels normally are. An EW mean over ``ref_tau``
  observations whose steps are clipped to ``clip`` standard deviations per channel, so slow
  drift (a pump warming up over the day) is followed while a sudden change is not absorbed;
- the **covariance** ``C`` of the deviation ``d = m - mu`` in normal operation: EW over
  ``cov_tau`` observations (an exact average until then), robust (an observation whose
  ``T²`` passes ``huber * k`` counts with weight ``huber * k / T²``) and shrunk towards its
  diagonal before it is inverted, by ``shrink * k / n`` (``n``: observations learned, at most
  ``cov_tau``): the estimation error of a covariance grows with ``k / n`` (Ledoit-Wolf), so a
  young model leans on the channels' own variances while a mature one trusts strong relations
  - a shrinkage that stayed large would hide exactly the broken relations this model is for;
- the statistic ``T² = d' C⁻¹ d`` (Hotelling), turned into evidence ``-ln P(F >= T² / k)``
  under ``F(k, dof)`` (:mod:`app.core.models.fdist`): a covariance estimated from autocorrelated
  data with slow drift has far heavier tails than the chi-squared law, and a small ``dof``
  says so once, for every channel set.

Learning is the alert's business (:class:`app.core.models.anomaly.AnomalyDetector` decides):

- while an alert is open, the reference and the covariance are **frozen**, so a sustained
  fault stays a fault for its whole duration instead of becoming the new normal - once the
  model is mature (``mature`` observations); before that it keeps learning through alerts,
  because a young model's alarms are mostly its own ignorance of the asset;
- an open episode tracks its peak ``T²``; once ``T²`` falls below ``residue`` of that peak the
  fault has receded by an order of magnitude and the episode may clear even if the asset
  settles a little away from the old reference (a warmer pump after a fault);
- an episode of at least ``rebase_after`` observations that ended that way - settled away
  from the reference, not back at it - leaves a stale reference: it restarts from the
  current level and re-learns for ``relearn`` observations before it is scored again. An
  episode that ended back at the reference keeps it (and learning resumes from there).

The state is one float32 array (:func:`joint_size`: ``6 + k + k²`` values; serialised with
the covariance's upper triangle only, :func:`joint_pack`: 132 bytes for 6 channels). The
arithmetic is float64 and every write rounds to float32, so a restored copy continues
exactly like the original. Every operation works on a
batch of assets at once (arrays with a leading batch axis): :class:`JointModel` is the one-
asset view the per-reading path uses, and a vectorised engine can step many assets' states
with the very same functions and get the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.models.fdist import f_tail_nats, f_tail_nats_one

__all__ = [
    "JointConfig",
    "JointModel",
    "joint_begin_episode",
    "joint_end_episode",
    "joint_learn",
    "joint_nats",
    "joint_new",
    "joint_observe",
    "joint_pack",
    "joint_packed_size",
    "joint_receded",
    "joint_size",
    "joint_unpack",
]

# Header slots: observations the covariance and the reference have learned (the reference's
# count restarts at 1 on a rebase; both 0: not started); observations left before a
# re-learned reference is scored; peak T² and length of the open episode (-1: none); 1 while
# the episode's current quiet streak holds an observation that was quiet only because the
# fault receded (the asset settled away from the reference), else 0.
_NC, _NREF, _RELEARN, _PEAK, _EPISODE, _SETTLED = range(6)
_HEADER = 6
_VAR_FLOOR = 1e-12  # relative: variance floor (1e-6 std) per (|mean| + 1)^2, for flat lines
DTYPE = np.float32


@dataclass(frozen=True, slots=True)
class JointConfig:
    """The joint model's one configuration; time constants are in observations.

    Attributes:
        ref_tau: memory of the reference (drift following).
        cov_tau: memory of the covariance of deviations in normal operation.
        shrink: shrinkage of the covariance towards its diagonal, times ``k / n`` (``n``:
            observations learned, at most ``cov_tau``), capped at 1.
        huber: an observation with ``T² > huber * k`` teaches the covariance with weight
            ``huber * k / T²``.
        clip: a reference step is clipped to this many standard deviations per channel.
        warmup: observations the covariance learns before ``T²`` is scored.
        mature: observations learned before an open alert freezes learning.
        dof: denominator degrees of freedom of the ``F(k, dof)`` reference law.
        residue: an episode has receded once ``T²`` is below this fraction of its peak.
        rebase_after: an episode this long (observations) leaves a stale reference, which
            restarts from the current level when the episode ends.
        relearn: observations a restarted reference learns before it is scored again.
        weight: share of the alert's false-alarm budget given to the joint test (weighted
            Bonferroni against the per-channel tests).
    """

    ref_tau: float = 300.0
    cov_tau: float = 3000.0
    shrink: float = 1.0
    huber: float = 2.0
    clip: float = 3.0
    warmup: int = 100
    mature: int = 400
    dof: float = 10.0
    residue: float = 0.1
    rebase_after: int = 0
    relearn: int = 50
    weight: float = 0.5


def joint_size(k: int) -> int:
    """Length of one asset's in-memory state for ``k`` channels."""
    return _HEADER + k + k * k


def joint_packed_size(k: int) -> int:
    """Length (float32 values) of one asset's serialised state (:func:`joint_pack`)."""
    return _HEADER + k + k * (k + 1) // 2


def joint_new(k: int, batch: int | None = None) -> np.ndarray:
    """A fresh state for one asset (1-D) or a batch of assets (``(batch, size)``)."""
    shape = (joint_size(k),) if batch is None else (batch, joint_size(k))
    state = np.zeros(shape, dtype=DTYPE)
    state[..., _EPISODE] = -1.0
    return state


def _parts(state: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Views of ``(reference, covariance)`` of a ``(B, size)`` state."""
    mu = state[:, _HEADER : _HEADER + k]
    cov = state[:, _HEADER + k :].reshape(-1, k, k)
    return mu, cov


def joint_pack(state: np.ndarray, k: int) -> np.ndarray:
    """The serialised form of a ``(B, size)`` state: the covariance's upper triangle only."""
    _, cov = _parts(state, k)
    iu = np.triu_indices(k)
    return np.concatenate([state[:, : _HEADER + k], cov[:, iu[0], iu[1]]], axis=1)


def joint_unpack(packed: np.ndarray, k: int) -> np.ndarray:
    """Restore ``(B, size)`` states from :func:`joint_pack` (exact: the covariance is symmetric)."""
    packed = np.asarray(packed, dtype=DTYPE).reshape(-1, joint_packed_size(k))
    state = np.empty((packed.shape[0], joint_size(k)), dtype=DTYPE)
    head = _HEADER + k
    state[:, :head] = packed[:, :head]
    _, cov = _parts(state, k)
    iu = np.triu_indices(k)
    cov[:, iu[0], iu[1]] = packed[:, head:]
    cov[:, iu[1], iu[0]] = packed[:, head:]
    return state


def _t2(d: np.ndarray, cov: np.ndarray, mu: np.ndarray, shrink: np.ndarray) -> np.ndarray:
    """``d' C_s⁻¹ d`` per asset, with ``C_s`` the covariance whose off-diagonal part is shrunk
    by the fraction ``shrink`` (per asset) towards its (floored) diagonal."""
    cov = cov.astype(np.float64)
    diag = np.diagonal(cov, axis1=1, axis2=2)
    floor = _VAR_FLOOR * (np.abs(mu.astype(np.float64)) + 1.0) ** 2
    reg = (1.0 - shrink)[:, None, None] * cov
    idx = np.arange(cov.shape[1])
    reg[:, idx, idx] = np.maximum(diag, floor)
    solved = np.linalg.solve(reg, d[:, :, None])[:, :, 0]
    return np.maximum(np.sum(d * solved, axis=1), 0.0)


def joint_observe(
    state: np.ndarray, level: np.ndarray, config: JointConfig
) -> tuple[np.ndarray, np.ndarray]:
    """``(T², live)`` per asset of the channels' fast ``level`` (``(B, k)``); state untouched.

    ``T²`` compares the level with the reference and covariance learned so far (0 where the
    model is not ``live``: warming up, or re-learning after a rebase).
    """
    live = (state[:, _NC] >= config.warmup) & (state[:, _RELEARN] <= 0.0)
    t2 = np.zeros(level.shape[0])
    if live.all():  # the usual case: no copies
        sub, lvl = state, level
    elif live.any():
        sub, lvl = state[live], level[live]
    else:
        return t2, live
    mu, cov = _parts(sub, level.shape[1])
    n = np.minimum(sub[:, _NC].astype(np.float64), config.cov_tau)
    shrink = np.minimum(config.shrink * level.shape[1] / n, 1.0)
    t2[live] = _t2(lvl - mu, cov, mu, shrink)
    return t2, live


def joint_learn(
    state: np.ndarray,
    level: np.ndarray,
    t2: np.ndarray,
    alert_open: np.ndarray,
    config: JointConfig,
) -> None:
    """Learn the fast ``level`` into the reference and covariance, unless an alert freezes it.

    Call once per observation, after :func:`joint_observe` with its ``T²``. Assets with an
    open alert learn nothing once mature (see the module docstring); an asset's first
    observation only starts the reference. Counts down a re-learning period either way.
    """
    k = level.shape[1]
    state[:, _RELEARN] = np.maximum(state[:, _RELEARN] - 1.0, 0.0)
    fresh = (state[:, _NREF] == 0.0) & (state[:, _NC] == 0.0)
    if fresh.any():
        mu, _ = _parts(state, k)
        mu[fresh] = level[fresh]
        state[fresh, _NREF] = 1.0
    allow = (~alert_open | (state[:, _NC] < config.mature)) & ~fresh
    if allow.all():  # the usual case: learn in place
        sub, lvl, tt = state, level, t2
    elif allow.any():
        sub, lvl, tt = state[allow], level[allow], t2[allow]
    else:
        return
    mu, cov = _parts(sub, k)
    count = sub[:, _NC].astype(np.float64) + 1.0
    sub[:, _NC] = count
    trained = count > config.warmup
    limit = config.huber * k
    weight = np.where(trained & (tt > limit), limit / np.maximum(tt, limit), 1.0)
    d = lvl - mu
    a_cov = np.maximum(1.0 / count, 1.0 / config.cov_tau)[:, None, None]
    cov += a_cov * (weight[:, None, None] * (d[:, :, None] * d[:, None, :]) - cov)
    nref = sub[:, _NREF].astype(np.float64) + 1.0
    sub[:, _NREF] = nref
    clipped = trained & (nref > config.warmup)
    if clipped.any():
        bound = config.clip * np.sqrt(np.diagonal(cov, axis1=1, axis2=2).astype(np.float64))
        d = np.where(clipped[:, None], np.clip(d, -bound, bound), d)
    mu += np.maximum(1.0 / nref, 1.0 / config.ref_tau)[:, None] * d
    if sub is not state:
        state[allow] = sub


def joint_begin_episode(state: np.ndarray, t2: np.ndarray, raised: np.ndarray) -> None:
    """Start an episode where an alert was ``raised``: its peak is the current ``T²``."""
    state[raised, _PEAK] = t2[raised]
    state[raised, _EPISODE] = 0.0
    state[raised, _SETTLED] = 0.0


def joint_receded(
    state: np.ndarray,
    t2: np.ndarray,
    live: np.ndarray,
    quiet: np.ndarray,
    config: JointConfig,
) -> np.ndarray:
    """Advance open episodes by one observation; True where the fault receded (module doc).

    ``quiet`` says where the observation's evidence is already below the clearing level; an
    observation quiet only because the fault receded marks the episode as settled away from
    the reference, a loud one clears that mark.
    """
    open_ = state[:, _EPISODE] >= 0.0
    state[open_, _EPISODE] += 1.0
    state[:, _PEAK] = np.where(open_, np.maximum(state[:, _PEAK], t2), state[:, _PEAK])
    receded = open_ & live & (t2 < config.residue * state[:, _PEAK])
    settled = np.where(receded & ~quiet, 1.0, np.where(quiet, state[:, _SETTLED], 0.0))
    state[:, _SETTLED] = np.where(open_, settled, state[:, _SETTLED])
    return receded


def joint_end_episode(
    state: np.ndarray, level: np.ndarray, ended: np.ndarray, config: JointConfig
) -> None:
    """Close the episodes of assets whose alert ``ended``; a stale reference restarts at
    the current ``level`` (module docstring)."""
    k = level.shape[1]
    stale = (
        ended
        & (state[:, _EPISODE] >= config.rebase_after)
        & (state[:, _SETTLED] > 0.0)
        & (state[:, _NC] > 0.0)
    )
    if stale.any():
        mu, _ = _parts(state, k)
        mu[stale] = level[stale]
        state[stale, _NREF] = 1.0
        state[stale, _RELEARN] = float(config.relearn)
    state[ended, _EPISODE] = -1.0
    state[ended, _PEAK] = 0.0
    state[ended, _SETTLED] = 0.0


def joint_nats(t2: np.ndarray, k: int, config: JointConfig) -> np.ndarray:
    """Evidence of ``T²`` in nats: ``-ln P(F(k, dof) >= T² / k)`` (:mod:`app.core.models.fdist`)."""
    return f_tail_nats(np.asarray(t2, dtype=np.float64) / k, k, config.dof)


class JointModel:
    """One asset's joint model: the batch functions above on a batch of one.

    >>> rng = np.random.default_rng(0)
    >>> model = JointModel(2)
    >>> level = np.zeros(2)
    >>> for _ in range(300):   # two channels that move together, smoothed over 4 readings
    ...     z = rng.normal()
    ...     level += 0.25 * (np.array([z, z + 0.1 * rng.normal()]) - level)
    ...     t2, live = model.observe(level)
    ...     model.learn(level, t2, alert_open=False)
    >>> t2, live = model.observe(np.array([0.8, -0.8]))   # each in range, the relation broken
    >>> bool(live), round(model.nats(t2))
    (True, 22)
    """

    __slots__ = ("_batch", "config", "k", "state")

    def __init__(
        self, k: int, config: JointConfig = JointConfig(), state: np.ndarray | None = None
    ) -> None:
        self.k = k
        self.config = config
        if state is None:
            state = joint_new(k)
        elif state.shape != (joint_size(k),):
            raise ValueError(f"joint state has shape {state.shape}, expected ({joint_size(k)},)")
        self.state = state
        self._batch = state.reshape(1, -1)

    @property
    def learned(self) -> int:
        """Observations the covariance has learned."""
        return int(self.state[_NC])

    @property
    def in_episode(self) -> bool:
        """True while an alert episode is open."""
        return bool(self.state[_EPISODE] >= 0.0)

    def observe(self, level: np.ndarray) -> tuple[float, bool]:
        """:func:`joint_observe` for this asset: ``(T², live)``.

        The same arithmetic on one asset's arrays, without the batch axis (a few times
        faster per reading; a test checks it gives the batch functions' very figures).
        """
        cfg = self.config
        s = self.state
        if not (s[_NC] >= cfg.warmup and s[_RELEARN] <= 0.0):
            return 0.0, False
        k = self.k
        mu = s[_HEADER : _HEADER + k]
        cov = s[_HEADER + k :].reshape(k, k).astype(np.float64)
        shrink = min(cfg.shrink * k / min(float(s[_NC]), cfg.cov_tau), 1.0)
        d = level - mu
        floor = _VAR_FLOOR * (np.abs(mu.astype(np.float64)) + 1.0) ** 2
        reg = (1.0 - shrink) * cov
        np.fill_diagonal(reg, np.maximum(np.diagonal(cov), floor))
        solved = np.linalg.solve(reg, d)
        return max(float(np.sum(d * solved)), 0.0), True

    def learn(self, level: np.ndarray, t2: float, alert_open: bool) -> None:
        """:func:`joint_learn` for this asset (one-asset arithmetic, as :meth:`observe`)."""
        cfg = self.config
        s = self.state
        k = self.k
        s[_RELEARN] = max(s[_RELEARN] - 1.0, 0.0)
        mu = s[_HEADER : _HEADER + k]
        if s[_NREF] == 0.0 and s[_NC] == 0.0:
            mu[:] = level
            s[_NREF] = 1.0
            return
        if alert_open and s[_NC] >= cfg.mature:
            return
        cov = s[_HEADER + k :].reshape(k, k)
        count = float(s[_NC]) + 1.0
        s[_NC] = count
        trained = count > cfg.warmup
        limit = cfg.huber * k
        weight = limit / max(t2, limit) if trained and t2 > limit else 1.0
        d = level - mu
        a_cov = max(1.0 / count, 1.0 / cfg.cov_tau)
        cov += a_cov * (weight * (d[:, None] * d[None, :]) - cov)
        nref = float(s[_NREF]) + 1.0
        s[_NREF] = nref
        if trained and nref > cfg.warmup:
            bound = cfg.clip * np.sqrt(np.diagonal(cov).astype(np.float64))
            d = np.clip(d, -bound, bound)
        mu += max(1.0 / nref, 1.0 / cfg.ref_tau) * d

    def begin_episode(self, t2: float) -> None:
        """:func:`joint_begin_episode` for this asset."""
        s = self.state
        s[_PEAK] = t2
        s[_EPISODE] = 0.0
        s[_SETTLED] = 0.0

    def receded(self, t2: float, live: bool, quiet: bool) -> bool:
        """:func:`joint_receded` for this asset (one-asset arithmetic, as :meth:`observe`)."""
        s = self.state
        if s[_EPISODE] < 0.0:
            return False
        s[_EPISODE] += 1.0
        s[_PEAK] = max(float(s[_PEAK]), t2)
        receded = bool(live and t2 < self.config.residue * s[_PEAK])
        if receded and not quiet:
            s[_SETTLED] = 1.0
        elif not quiet:
            s[_SETTLED] = 0.0
        return receded

    def end_episode(self, level: np.ndarray) -> None:
        """:func:`joint_end_episode` for this asset, at its current fast ``level``."""
        s = self.state
        cfg = self.config
        if s[_EPISODE] >= cfg.rebase_after and s[_SETTLED] > 0.0 and s[_NC] > 0.0:
            s[_HEADER : _HEADER + self.k] = level
            s[_NREF] = 1.0
            s[_RELEARN] = float(cfg.relearn)
        s[_EPISODE] = -1.0
        s[_PEAK] = 0.0
        s[_SETTLED] = 0.0

    def nats(self, t2: float) -> float:
        """Evidence of ``t2`` in nats (:func:`joint_nats`, same table, to 1e-12)."""
        return f_tail_nats_one(t2 / self.k, self.k, self.config.dof)

    def to_array(self) -> np.ndarray:
        """The serialised state (:func:`joint_pack`), float32."""
        return joint_pack(self._batch, self.k)[0]

    @classmethod
    def from_array(
        cls, packed: np.ndarray, k: int, config: JointConfig = JointConfig()
    ) -> JointModel:
        """Restore a model serialised by :meth:`to_array`."""
        if packed.shape != (joint_packed_size(k),):
            raise ValueError(f"{packed.shape[0]} values do not hold the joint state of {k}")
        return cls(k, config, joint_unpack(packed, k)[0])

"""Streaming multivariate anomaly detector: one instance per asset, one pass, fixed memory.

Used by the maintenance agent (one call per telemetry event) and by ``aiot detect`` (one
fresh instance per file), so both run exactly the same code and configuration.

Method (one configuration for every stream, nothing tuned to a data set):

1. **Per-feature normalisation learned online.** Each feature keeps a slow exponentially
   weighted (EW) mean and variance, and the EW mean absolute one-step prediction error, so
   every signal below is unit-free.
2. **Several surprise signals at several time scales** per feature: the one-step prediction
   error against a fast EW level (spikes, jumps); the distance of a short EW level from the
   slow baseline (level shifts, values never seen); and a short EW average of the prediction
   error (bursts of volatility, in the spirit of Numenta's anomaly likelihood, which averages
   the raw error over a short window before judging it).
3. **Calibrated tail probabilities** (peaks-over-threshold, as in SPOT, Siffer et al. 2017):
   each signal tracks its own 0.9-quantile by stochastic approximation and the mean excess
   above it; the excess is modelled as exponential, so ``p = 0.1 exp(-(s - u) / sigma)``.
   Heavy- or light-tailed signals are thereby put on the same scale, ``-ln p`` (nats).
4. **Combination** with a Bonferroni correction over signals and features: the evidence of
   an observation is ``max(-ln p) - ln(#tests)``; ``score = E / (E + alert_nats)`` maps it into
   [0, 1) with 0.5 at the alert level.
5. **Online alert decision** with hysteresis: raise at ``alert_nats`` of evidence, clear after
   ``clear_rows`` consecutive observations below ``clear_nats``; after a raise, the reported
   score is damped for ``refractory_rows`` observations so one episode is reported once.

Everything is scored before it is learned, so a score depends only on the past. Time scales
are in observations (not seconds): unit-free and valid for any regular sampling. State is one
flat list of floats (``8 * (3 + 14 * features)`` bytes when packed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.anomaly_tail import TAIL_SLOTS, tail_learn, tail_start, tail_surprise

__all__ = ["MODEL_VERSION", "AnomalyConfig", "AnomalyDetector", "AnomalyResult"]

MODEL_VERSION = "anomaly-pot-1"

# Global slots.
_N, _ALERT, _SINCE_RAISE, _QUIET, _PEAK = range(5)
_N_GLOBAL = 5
# Per-feature slots: the baseline and predictors, then one tail (3 slots) per signal.
_LAST, _MEAN, _VAR, _FAST, _ERR, _VOL = range(6)
_N_SIGNALS = 3
_TAILS = 6
_JUMP, _LVL, _BURST = (_TAILS + k * TAIL_SLOTS for k in range(_N_SIGNALS))
_N_FEATURE = _TAILS + _N_SIGNALS * TAIL_SLOTS
_TAIL_FLOOR = 0.02


@dataclass(frozen=True, slots=True)
class AnomalyConfig:
    """The detector's one configuration; time constants are in observations.

    Attributes:
        warmup: observations learned before any score is given (score 0 until then).
        baseline_tau: memory of the per-feature baseline mean/variance and error scale.
        fast_tau: memory of the fast level used as the one-step prediction.
        vol_tau: memory of the short average of the prediction error (volatility burst).
        tail_tau: memory of the tail calibration (quantile and mean excess).
        quantile_step: stochastic-approximation step of the 0.9-quantile, in units of the
            current mean excess.
        alert_nats: evidence (``-ln p`` after the Bonferroni correction) that raises an alert.
        clear_nats: evidence below which the observation counts as quiet.
        clear_rows: consecutive quiet observations that clear an alert.
        refractory_rows: observations after a raise during which the score is damped.
        refractory_damping: factor applied to the evidence during the refractory period.
        rel_floor: floor of every scale, relative to the feature's |mean| (flat lines).
    """

    warmup: int = 30
    baseline_tau: float = 1000.0
    fast_tau: float = 2.0
    vol_tau: float = 8.0
    tail_tau: float = 500.0
    quantile_step: float = 0.02
    alert_nats: float = 9.0
    clear_nats: float = 4.0
    clear_rows: int = 12
    report_nats: float = 6.0
    refractory_rows: float = 100.0
    refractory_damping: float = 0.3
    rel_floor: float = 1e-6


class AnomalyResult:
    """What :meth:`AnomalyDetector.update` says about one observation.

    Attributes:
        score: anomaly score in [0, 1); 0.5 is the alert level.
        is_anomaly: the detector's online alert state (raised, not yet cleared).
        contributions: per feature, its share of the evidence (non-negative nats).
    """

    __slots__ = ("_detector", "contributions", "is_anomaly", "score")

    def __init__(
        self,
        score: float,
        is_anomaly: bool,
        contributions: dict[str, float],
        detector: AnomalyDetector,
    ) -> None:
        self.score = score
        self.is_anomaly = is_anomaly
        self.contributions = contributions
        self._detector = detector

    def baseline(self, name: str) -> tuple[float, float]:
        """Return ``(mean, std)`` of feature ``name``'s baseline, for evidence."""
        return self._detector.baseline(name)

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """Return the ``k`` features that drove the score most, strongest first."""
        return sorted(self.contributions.items(), key=lambda kv: -kv[1])[:k]

    def __repr__(self) -> str:
        return f"AnomalyResult(score={self.score:.3f}, is_anomaly={self.is_anomaly})"


class AnomalyDetector:
    """Per-asset streaming anomaly detector over named numeric features (module docstring)."""

    __slots__ = ("_index", "_k", "_peak_decay", "config", "feature_names", "state")

    def __init__(
        self,
        feature_names: Sequence[str],
        config: AnomalyConfig = AnomalyConfig(),
        state: Sequence[float] | None = None,
    ) -> None:
        self.feature_names = tuple(feature_names)
        if not self.feature_names:
            raise ValueError("at least one feature is needed")
        self.config = config
        self._k = len(self.feature_names)
        self._index = {name: i for i, name in enumerate(self.feature_names)}
        self._peak_decay = math.exp(-1.0 / config.refractory_rows)
        size = _N_GLOBAL + _N_FEATURE * self._k
        if state is None:
            self.state = [0.0] * size
        else:
            if len(state) != size:
                raise ValueError(f"state has {len(state)} values, expected {size}")
            self.state = [float(v) for v in state]

    # ------------------------------------------------------------------ state

    @property
    def warmed_up(self) -> bool:
        """True once ``config.warmup`` observations have been learned."""
        return self.state[_N] >= self.config.warmup

    @property
    def count(self) -> int:
        """Observations learned so far."""
        return int(self.state[_N])

    def baseline(self, name: str) -> tuple[float, float]:
        """Return ``(mean, std)`` of feature ``name``'s slow baseline."""
        o = _N_GLOBAL + _N_FEATURE * self._index[name]
        return self.state[o + _MEAN], math.sqrt(max(self.state[o + _VAR], 0.0))

    def to_bytes(self) -> bytes:
        """Pack the whole state as little-endian float64 (no pickle)."""
        return np.asarray(self.state, dtype="<f8").tobytes()

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        feature_names: Sequence[str],
        config: AnomalyConfig = AnomalyConfig(),
    ) -> AnomalyDetector:
        """Restore a detector packed by :meth:`to_bytes`; it scores exactly as the original."""
        values = np.frombuffer(data, dtype="<f8").tolist()
        return cls(feature_names, config, values)

    # ---------------------------------------------------------------- scoring

    def update(self, x: Mapping[str, float], ts: float = 0.0) -> AnomalyResult:
        """Score observation ``x`` using only the past, then learn from it.

        Missing or non-finite features are skipped (neither scored nor learned). ``ts`` is
        accepted for the agent's contract; the time scales count observations.
        """
        evidence = self._evidence(x, learn=True)
        return self._decide(evidence)

    def score_one(self, x: Mapping[str, float]) -> float:
        """River-style: the score ``x`` would get now, without learning or alerting."""
        evidence = self._evidence(x, learn=False)
        if not evidence:
            return 0.0
        e = max(evidence.values()) - math.log(_N_SIGNALS * self._k)
        e = max(e, 0.0)
        return e / (e + self.config.alert_nats)

    def learn_one(self, x: Mapping[str, float]) -> None:
        """River-style: learn ``x`` (and advance the alert state) without returning a score."""
        self.update(x)

    def _decide(self, evidence: dict[str, float]) -> AnomalyResult:
        """Turn per-feature evidence into the score and the online alert decision."""
        cfg = self.config
        s = self.state
        if evidence:
            e = max(evidence.values()) - math.log(_N_SIGNALS * self._k)
            e = max(e, 0.0)
        else:
            e = 0.0
        if s[_N] <= cfg.warmup:
            e = 0.0
        # Report what is new: evidence not above a recent, decaying peak is damped, so one
        # episode gives one high score (its onset) rather than a run of them.
        peak = s[_PEAK]
        reported = e if e > peak else e * cfg.refractory_damping
        peak *= self._peak_decay
        if e >= cfg.report_nats and e > peak:
            peak = e
        s[_PEAK] = peak
        if s[_ALERT] > 0.0:
            s[_SINCE_RAISE] += 1.0
            s[_QUIET] = s[_QUIET] + 1.0 if e < cfg.clear_nats else 0.0
            if s[_QUIET] >= cfg.clear_rows:
                s[_ALERT] = 0.0
        elif e >= cfg.alert_nats:
            s[_ALERT] = 1.0
            s[_SINCE_RAISE] = 0.0
            s[_QUIET] = 0.0
        score = reported / (reported + cfg.alert_nats)
        return AnomalyResult(score, s[_ALERT] > 0.0, evidence, self)

    def _evidence(self, x: Mapping[str, float], learn: bool) -> dict[str, float]:
        """Per-feature evidence in nats (max over signals of ``-ln p``); learns if asked."""
        cfg = self.config
        s = self.state
        n = s[_N] + 1.0
        if learn:
            s[_N] = n
        a_base = max(1.0 / n, 1.0 / cfg.baseline_tau)
        a_fast = max(1.0 / n, 1.0 / cfg.fast_tau)
        half = cfg.warmup // 2
        a_vol = max(1.0 / (n - half), 1.0 / cfg.vol_tau) if n > half else 1.0
        a_tail = max(1.0 / n, 1.0 / cfg.tail_tau)
        step = cfg.quantile_step
        warm = n > cfg.warmup
        out: dict[str, float] = {}
        o = _N_GLOBAL
        for name in self.feature_names:
            v = x.get(name)
            if v is None or not math.isfinite(v):
                o += _N_FEATURE
                continue
            if n == 1.0:
                if learn:
                    s[o + _LAST] = v
                    s[o + _MEAN] = v
                    s[o + _FAST] = v
                out[name] = 0.0
                o += _N_FEATURE
                continue
            mean = s[o + _MEAN]
            var = s[o + _VAR]
            floor = cfg.rel_floor * (abs(mean) + 1.0)
            std = math.sqrt(var) + floor
            err_scale = s[o + _ERR] + floor
            resid = abs(v - s[o + _FAST])
            z_jump = resid / err_scale
            vol = s[o + _VOL] + a_vol * (z_jump - s[o + _VOL]) if n > half else z_jump
            fast = s[o + _FAST] + a_fast * (v - s[o + _FAST])
            z_lvl = abs(fast - mean) / std
            e_best = 0.0
            if warm:
                for z, ti in ((z_jump, _JUMP), (z_lvl, _LVL), (vol, _BURST)):
                    e = tail_surprise(s, o + ti, z, _TAIL_FLOOR)
                    if e > e_best:
                        e_best = e
                    if learn:
                        tail_learn(s, o + ti, z, a_tail, step, _TAIL_FLOOR)
            elif learn and n > half:
                # Second half of the warm-up (the scales are set by then): the tail slots hold
                # the plain mean of each signal, and become its threshold and scale at the end.
                k = n - half
                for z, ti in ((z_jump, _JUMP), (z_lvl, _LVL), (vol, _BURST)):
                    s[o + ti] += (z - s[o + ti]) / k
                    if n == cfg.warmup:
                        tail_start(s, o + ti, s[o + ti], _TAIL_FLOOR)
            out[name] = e_best
            if learn:
                d = v - mean
                s[o + _MEAN] = mean + a_base * d
                s[o + _VAR] = (1.0 - a_base) * (var + a_base * d * d)
                s[o + _ERR] += a_base * (resid - s[o + _ERR])
                s[o + _FAST] = fast
                s[o + _VOL] = vol
                s[o + _LAST] = v
            o += _N_FEATURE
        return out

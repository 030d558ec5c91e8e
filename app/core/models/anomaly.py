"""Streaming multivariate anomaly detector: one instance per asset, one pass, fixed memory.

Used by the maintenance agent (one call per telemetry event) and by ``aiot detect`` (one
fresh instance per file), so both run exactly the same code and configuration.

Method (one configuration for every stream, nothing tuned to a data set):

1. **Per-feature normalisation learned online.** Each feature keeps a slow exponentially
   weighted (EW) mean and variance, and the EW mean absolute one-step prediction error, so
   every signal below is unit-free.
2. **Surprise signals at several time scales** per feature:

   - *level*: distance of a fast EW level from the slow baseline (level shifts, spikes);
   - *shift*: distance of the fast level from a medium-term EW level, in units of the
     one-step prediction error (a change point: a step small against the long-term spread
     but large against the short-term noise);
   - *season*: distance from a time-of-day profile (12 two-hour bins, interpolated) of the
     level smoothed over one bin (a value normal at noon but not at midnight, a daily peak
     that does not come), live after one day of data. A day-of-week profile (7 x 4 six-hour
     bins) learns what the time-of-day profile leaves over; once it has been learned for a
     week and then checked for a week, it is used whenever its tracked error is clearly
     below the time-of-day profile's (weekly streams: a holiday is a weekday that looks like
     a Sunday; elsewhere the daily residual is kept, so the choice is made online, per
     feature, by which model predicts better);
   - *record*: a value beyond the range seen so far (a new extreme, cf. the "spatial
     anomaly" of Numenta's NAB detector). The n-th observation is a record with
     probability 2/n for exchangeable data (or the recent rate of records, if higher: a
     trending feature), and its excess over the old record counts one nat per
     ``range / (4 ln n)``, the spacing of extremes of Gaussian-like data (Gumbel domain).

3. **Calibrated tail probabilities** (:mod:`app.core.models.anomaly_tail`): each of the first three
   signals tracks its own 0.9 ... 0.9999-quantiles and turns a value into ``-ln P`` (nats),
   so spiky counters and smooth temperatures speak the same unit, and events that recur (a
   nightly job) are learned as normal.
4. **Joint behaviour** (two or more features): a Hotelling T² of the features' fast level
   against a drifting reference and the covariance of normal deviations
   (:mod:`app.core.models.joint`), in nats under a heavy-tailed ``F`` law - a shift in the relation
   between signals that each stay in range alone, or a small shift of several at once.
5. **Combination** with a weighted Bonferroni correction over signals and features: the
   evidence of an observation is the larger of ``max(-ln p) - ln(#tests / (1 - w))`` over the
   per-feature signals and ``-ln p_joint - ln(1 / w)`` (``w``: the joint test's share, 0 with
   one feature: then it is ``max(-ln p) - ln(#tests)`` as before), capped at 50 nats.
6. **Reporting what is new**: evidence not an order of magnitude above a recent, decaying
   peak of evidence is damped, so one episode yields one high score (its onset) instead of
   a run of them; so is evidence not an order of magnitude above what the same time of day
   (hourly bins, +-1) usually holds: a per-bin exponentially weighted average, over days,
   of the evidence reported there, so a job that spikes every night at 3:00 stops being
   news after a few nights while a one-off event is remembered at a fraction of its size;
   ``score = E / (E + alert_nats)`` maps it into [0, 1) with 0.5 at the alert level.
7. **Online alert decision** with hysteresis: raise at ``alert_nats`` of evidence, clear
   after ``clear_rows`` consecutive quiet observations: below ``clear_nats``, or with the joint
   T² an order of magnitude below the episode's peak (the fault receded). While the alert is
   open the joint model does not learn, so a sustained fault is flagged for its duration
   (``is_anomaly`` is this alert state); after a long episode that ended with the asset
   settled away from the old reference, the reference restarts from where it settled.

Every observation is scored before it is learned, so a score depends only on the past. Time
constants count observations (unit-free, valid for any regular sampling), except the
time-of-day profile, which needs ``ts`` in seconds and stays inactive without it. The state
is one flat list of float64 plus one float32 array (the profiles, the tails and the
recurrence bins): ``176 + 312 * features`` bytes packed (2048 for 6 features), plus the
joint model's float32 array for two or more features (``4 * (6 + k + k(k+1)/2)`` bytes: 132
for 6 features).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.core.models.anomaly_tail import TAIL_SLOTS, tail_learn, tail_start, tail_surprise
from app.core.models.joint import JointConfig, JointModel, joint_packed_size

__all__ = ["MODEL_VERSION", "AnomalyConfig", "AnomalyDetector", "AnomalyResult"]

MODEL_VERSION = "anomaly-joint-8"

# Global slots. ``_ALERT`` is 0 while no alert is raised, else 1 + quiet observations since;
# ``_T0`` is NaN until the first timestamp; ``_SEA_N`` counts observations since the
# time-of-day profile became usable (0: not yet); ``_REC_BIN`` is the recurrence bin of the
# last observation (-1: none yet), entered at ``_REC_TS`` with its memory at ``_REC_BASE``;
# ``_WK_N`` counts observations since the day-of-week error began to be tracked.
_N, _ALERT, _PEAK, _T0, _LAST_TS, _SEA_N, _REC_BIN, _REC_TS, _REC_BASE, _WK_N = range(10)
_N_GLOBAL = 10
# Per-feature float64 slots: count, baseline and predictors, range, record rate, the
# day-of-week residual's error scale.
(_COUNT, _MEAN, _VAR, _FAST, _ERR, _MED, _SEA_LVL, _SEA_ERR, _LO, _HI, _REF, _RATE) = range(12)
_WK_ERR = 12
_N_FEATURE = 13
# The float32 block of each feature: _BINS time-of-day offsets from its first value (_REF),
# _WBINS day-of-week corrections to them, then one tail (four quantiles) per calibrated
# signal; after all features, _REC_BINS recurrence bins. Every write to it is rounded to
# float32, so a packed copy restores exactly.
_BINS = 12
_WBINS_DAY = 4
_WBINS = 7 * _WBINS_DAY
_LEVEL, _SHIFT, _SEASON = (_BINS + _WBINS + k * TAIL_SLOTS for k in range(3))
_PROFILE = _BINS + _WBINS + 3 * TAIL_SLOTS
_REC_BINS = 24

_DAY = 86400.0
_WEEK = 7.0 * _DAY
_BIN_S = _DAY / _BINS
_WBIN_S = _DAY / _WBINS_DAY
_REC_BIN_S = _DAY / _REC_BINS
_WEEK_CHECK = 8.0  # days: the day-of-week error is tracked from here (after a week of learning)
_WEEK_LIVE = 15.0  # days: and the day-of-week residual may be scored from here
_TAIL_FLOOR = 0.05  # smallest quantile spacing, in signal units
_REC_K = 4.0  # nats per range of excess, times ln n: the Gumbel spacing of records
_LN10 = math.log(10.0)  # an order of magnitude, in nats
_E_MAX = 50.0  # evidence cap per observation (p = e^-50 is certainty enough)


@dataclass(frozen=True, slots=True)
class AnomalyConfig:
    """The detector's one configuration; time constants are in observations.

    Attributes:
        warmup: observations learned before any score is given (score 0 until then).
        baseline_tau: memory of the per-feature baseline mean/variance and error scales.
        fast_tau: memory of the fast level (the one-step prediction and the level signal).
        shift_tau: memory of the medium level the fast level is compared with (shift signal).
        season_days: memory of the time-of-day profile, in days.
        week_memory: memory of the day-of-week profile, in weeks.
        week_gain: the day-of-week residual replaces the time-of-day one while its tracked
            error is below this fraction of the latter's.
        recur_decay: per-day weight kept by each time-of-day bin's average of reported
            evidence (the rest goes to the new day's evidence).
        alert_nats: evidence (``-ln p`` after the Bonferroni correction) raising an alert;
            also the evidence at which ``score`` is 0.5.
        clear_nats: evidence below which an observation counts as quiet.
        clear_rows: consecutive quiet observations that clear an alert.
        report_nats: evidence from which an observation sets the peak that damps later ones.
        refractory_rows: decay time of that peak, in observations.
        refractory_damping: factor applied to evidence not an order of magnitude above it.
        rel_floor: floor of every scale, relative to the feature's |mean| + 1 (flat lines).
        joint: configuration of the joint (multivariate) model.
        joint_min_features: features from which the joint model runs (one feature has no
            joint behaviour beyond its own).
    """

    warmup: int = 30
    baseline_tau: float = 3000.0
    fast_tau: float = 4.0
    shift_tau: float = 128.0
    season_days: float = 3.0
    week_memory: float = 3.0
    week_gain: float = 0.7
    recur_decay: float = 0.7
    alert_nats: float = 7.0
    clear_nats: float = 3.0
    clear_rows: int = 12
    report_nats: float = 6.0
    refractory_rows: float = 100.0
    refractory_damping: float = 0.3
    rel_floor: float = 1e-6
    joint: JointConfig = field(default_factory=JointConfig)
    joint_min_features: int = 2


class AnomalyResult:
    """What :meth:`AnomalyDetector.update` says about one observation.

    Attributes:
        score: anomaly score in [0, 1); 0.5 is the alert level.
        is_anomaly: the detector's online alert state (raised, not yet cleared).
        contributions: per feature, its evidence in nats (``-ln p`` of its most surprising
            signal); the agent turns the largest into "value vs baseline" evidence.
        joint: evidence of the joint test in nats (0 without a joint model or while it warms
            up).
    """

    __slots__ = ("_detector", "contributions", "is_anomaly", "joint", "score")

    def __init__(
        self,
        score: float,
        is_anomaly: bool,
        contributions: dict[str, float],
        detector: AnomalyDetector,
        joint: float = 0.0,
    ) -> None:
        self.score = score
        self.is_anomaly = is_anomaly
        self.contributions = contributions
        self.joint = joint
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
    """Per-asset streaming anomaly detector over named numeric features (module docstring).

    >>> d = AnomalyDetector(["temp"])
    >>> for i in range(500):
    ...     _ = d.update({"temp": 20.0 + 0.1 * (i % 5)}, 600.0 * i)
    >>> d.update({"temp": 35.0}, 600.0 * 500).is_anomaly
    True
    """

    __slots__ = (
        "_index",
        "_k",
        "_peak_decay",
        "config",
        "feature_names",
        "joint",
        "profile",
        "state",
    )

    def __init__(
        self,
        feature_names: Sequence[str],
        config: AnomalyConfig = AnomalyConfig(),
        state: Sequence[float] | None = None,
        profile: Sequence[float] | None = None,
        joint: JointModel | None = None,
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
            self.state[_T0] = math.nan
            self.state[_REC_BIN] = -1.0
        else:
            if len(state) != size:
                raise ValueError(f"state has {len(state)} values, expected {size}")
            self.state = [float(v) for v in state]
        n_prof = _PROFILE * self._k + _REC_BINS
        if profile is None:
            self.profile = array("f", [0.0] * n_prof)
            for i in range(self._k):
                for signal in (_LEVEL, _SHIFT, _SEASON):
                    tail_start(self.profile, _PROFILE * i + signal, 1.0)
        else:
            self.profile = array("f", profile)
        if len(self.profile) != n_prof:
            raise ValueError(f"profile has {len(self.profile)} values, expected {n_prof}")
        self.joint: JointModel | None = None
        if self._k >= config.joint_min_features:
            self.joint = joint if joint is not None else JointModel(self._k, config.joint)
            if self.joint.k != self._k:
                raise ValueError(f"joint model of {self.joint.k} features, expected {self._k}")

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
        """Pack the state: float64 scalars, the float32 profile, the float32 joint model.

        Little-endian, no pickle.
        """
        joint = b"" if self.joint is None else self.joint.to_array().astype("<f4").tobytes()
        return (
            np.asarray(self.state, dtype="<f8").tobytes()
            + np.asarray(self.profile, dtype="<f4").tobytes()
            + joint
        )

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        feature_names: Sequence[str],
        config: AnomalyConfig = AnomalyConfig(),
    ) -> AnomalyDetector:
        """Restore a detector packed by :meth:`to_bytes`; it scores exactly as the original."""
        k = len(feature_names)
        split = 8 * (_N_GLOBAL + _N_FEATURE * k)
        end = split + 4 * (_PROFILE * k + _REC_BINS)
        n_joint = joint_packed_size(k) if k >= config.joint_min_features else 0
        if len(data) != end + 4 * n_joint:
            raise ValueError(f"{len(data)} bytes do not hold the state of {k} features")
        state = np.frombuffer(data[:split], dtype="<f8").tolist()
        profile = np.frombuffer(data[split:end], dtype="<f4").tolist()
        joint = None
        if n_joint:
            packed = np.frombuffer(data[end:], dtype="<f4").astype(np.float32)
            joint = JointModel.from_array(packed, k, config.joint)
        return cls(feature_names, config, state, profile, joint)

    # ---------------------------------------------------------------- scoring

    def update(self, x: Mapping[str, float], ts: float | None = None) -> AnomalyResult:
        """Score observation ``x`` at event time ``ts`` (seconds) using only the past, then learn.

        Missing or non-finite features are skipped (neither scored nor learned). Without
        ``ts`` the time-of-day profile does not learn.
        """
        evidence, tests = self._evidence(x, ts, learn=True)
        level = self._joint_level(x, learned=True)
        t2, live = (0.0, False)
        if level is not None and self.joint is not None:
            t2, live = self.joint.observe(level)
        result = self._decide(evidence, tests, ts, level, t2, live)
        if level is not None and self.joint is not None:
            self.joint.learn(level, t2, result.is_anomaly)
        return result

    def score_one(self, x: Mapping[str, float]) -> float:
        """River-style: the score ``x`` would get now (at the last event time), learning nothing."""
        last = self.state[_LAST_TS]
        evidence, tests = self._evidence(x, None if math.isnan(self.state[_T0]) else last, False)
        level = self._joint_level(x, learned=False)
        t2, live = (0.0, False)
        if level is not None and self.joint is not None:
            t2, live = self.joint.observe(level)
        e = self._fuse(evidence, tests, t2, live)[0]
        return e / (e + self.config.alert_nats)

    def learn_one(self, x: Mapping[str, float]) -> None:
        """River-style: learn ``x`` (and advance the alert state) without returning a score."""
        self.update(x)

    def _fast_levels(self) -> np.ndarray:
        """Every feature's fast level (the joint model's input), as learned so far."""
        s = self.state
        return np.array(
            [s[_N_GLOBAL + _N_FEATURE * i + _FAST] for i in range(self._k)], dtype=np.float64
        )

    def _joint_level(self, x: Mapping[str, float], learned: bool) -> np.ndarray | None:
        """The fast levels for the joint model after ``x``, or None if it cannot take ``x``.

        The joint model needs every feature: a row with one missing or non-finite feature
        is neither scored nor learned by it (the per-feature signals still are). With
        ``learned`` the levels were just updated by :meth:`_evidence`; otherwise they are
        computed as that update would (scoring without learning).
        """
        if self.joint is None:
            return None
        values = [x.get(name) for name in self.feature_names]
        if any(v is None or not math.isfinite(v) for v in values):
            return None
        if learned:
            return self._fast_levels()
        s = self.state
        out = np.empty(self._k, dtype=np.float64)
        for i, v in enumerate(values):
            o = _N_GLOBAL + _N_FEATURE * i
            nf = s[o + _COUNT] + 1.0
            fast = s[o + _FAST]
            a = max(1.0 / nf, 1.0 / self.config.fast_tau)
            out[i] = v if nf == 1.0 else fast + a * (float(v) - fast)  # type: ignore[arg-type]
        return out

    def _fuse(
        self, evidence: dict[str, float], tests: int, t2: float, live: bool
    ) -> tuple[float, float]:
        """Evidence of the observation (weighted Bonferroni) and of the joint test alone.

        With a live joint model, the joint test gets the share ``w`` of the false-alarm budget
        and the per-feature tests share the rest; without one, this is the plain Bonferroni
        correction over the per-feature tests.
        """
        e = 0.0
        if evidence and self.state[_N] > self.config.warmup:
            e = min(max(evidence.values()), _E_MAX) - math.log(tests)
        joint = 0.0
        if live and self.joint is not None:
            w = self.config.joint.weight
            joint = self.joint.nats(t2)
            e = max(e + math.log1p(-w), min(joint, _E_MAX) + math.log(w))
        return (e if e > 0.0 else 0.0), joint

    def _recurrence(self, e: float, ts: float | None) -> float:
        """Return the evidence this time of day usually holds, then learn ``e`` into it.

        Each of the ``_REC_BINS`` bins keeps an exponentially weighted average over days of
        the largest evidence reported in it: on entering a bin (a new bin, or the same one
        at least half a day later) its memory is multiplied by ``recur_decay``, and evidence
        of at least ``report_nats`` raises it to ``base + (1 - recur_decay) * e``. The recall
        is the largest memory of the bin and its two neighbours (timing jitter).
        """
        if ts is None or not math.isfinite(ts):
            return 0.0
        s = self.state
        mem = self.profile
        base_i = _PROFILE * self._k
        b = int((ts % _DAY) / _REC_BIN_S)
        if b != s[_REC_BIN] or ts - s[_REC_TS] >= 0.5 * _DAY:
            mem[base_i + b] *= self.config.recur_decay
            s[_REC_BIN] = float(b)
            s[_REC_TS] = ts
            s[_REC_BASE] = mem[base_i + b]
        recall = max(
            mem[base_i + (b - 1) % _REC_BINS],
            mem[base_i + b],
            mem[base_i + (b + 1) % _REC_BINS],
        )
        if e >= self.config.report_nats:
            learned = s[_REC_BASE] + (1.0 - self.config.recur_decay) * e
            if learned > mem[base_i + b]:
                mem[base_i + b] = learned
        return recall

    def _decide(
        self,
        evidence: dict[str, float],
        tests: int,
        ts: float | None,
        level: np.ndarray | None,
        t2: float,
        live: bool,
    ) -> AnomalyResult:
        """Turn the evidence into the reported score and the online alert decision."""
        cfg = self.config
        s = self.state
        e, joint_nats = self._fuse(evidence, tests, t2, live)
        # Report what is new: evidence not an order of magnitude (ln 10 nats) above a recent,
        # decaying peak, or above what this time of day usually holds, is damped, so one
        # episode gives one high score (its onset) and a daily job stops being news.
        peak = s[_PEAK]
        recall = self._recurrence(e, ts)
        usual = peak if peak > recall else recall
        reported = e if e > usual + _LN10 else e * cfg.refractory_damping
        peak *= self._peak_decay
        if e >= cfg.report_nats and e > peak:
            peak = e
        s[_PEAK] = peak
        alert = s[_ALERT]
        joint = self.joint
        if alert > 0.0:
            quiet = e < cfg.clear_nats
            if joint is not None and level is not None and joint.receded(t2, live, quiet):
                quiet = True
            alert = alert + 1.0 if quiet else 1.0
            if alert > cfg.clear_rows:
                alert = 0.0
                if joint is not None:
                    joint.end_episode(self._fast_levels() if level is None else level)
        elif e >= cfg.alert_nats:
            alert = 1.0
            if joint is not None:
                joint.begin_episode(t2)
        s[_ALERT] = alert
        score = reported / (reported + cfg.alert_nats)
        return AnomalyResult(score, alert > 0.0, evidence, self, joint_nats)

    def _clock(self, ts: float | None, learn: bool) -> tuple[float, float, float]:
        """Advance event time; return (days seen, position in the day in bins, elapsed s).

        The elapsed time is clipped to one bin, so a gap in the data cannot wipe the profile.
        """
        s = self.state
        if ts is None or not math.isfinite(ts):
            return 0.0, -1.0, 0.0
        pos = (ts % _DAY) / _BIN_S
        if math.isnan(s[_T0]):
            if learn:
                s[_T0] = ts
                s[_LAST_TS] = ts
            return 0.0, pos, 0.0
        dt = ts - s[_LAST_TS]
        dt = 0.0 if dt < 0.0 else min(dt, _BIN_S)
        if learn and ts > s[_LAST_TS]:
            s[_LAST_TS] = ts
        days = (s[_LAST_TS] - s[_T0]) / _DAY
        return days, pos, dt

    def _evidence(
        self, x: Mapping[str, float], ts: float | None, learn: bool
    ) -> tuple[dict[str, float], int]:
        """Per-feature evidence in nats (max over signals of ``-ln p``) and the test count."""
        cfg = self.config
        s = self.state
        n = s[_N] + 1.0
        if learn:
            s[_N] = n
        days, pos, dt = self._clock(ts, learn)
        # The profile learns with a memory of ``season_days`` (shorter while fewer days have
        # been seen); it is compared with the level smoothed over one bin, its resolution.
        a_sea = min(dt / (_BIN_S * min(max(days, 0.5), cfg.season_days)), 0.5)
        a_sea_lvl = dt / (dt + _BIN_S)
        # The time-of-day profile is usable after a full day; from then its error scale
        # learns, and it is scored after a further warm-up.
        sea_n = s[_SEA_N]
        if learn and (sea_n > 0.0 or days >= 1.0):
            sea_n += 1.0
            s[_SEA_N] = sea_n
        sea_live = sea_n > cfg.warmup
        i0 = int(pos) if pos >= 0.0 else -1
        w1 = pos - i0
        i1 = (i0 + 1) % _BINS
        # The day-of-week profile: position in the week, learning rate (memory week_memory
        # weeks, shorter while fewer weeks have been seen), and whether its error is tracked
        # (after a week of learning) and its residual may be scored (after a further week).
        if i0 >= 0 and ts is not None:
            wpos = (ts % _WEEK) / _WBIN_S
            j0 = int(wpos) % _WBINS
            v1 = wpos - int(wpos)
            j1 = (j0 + 1) % _WBINS
        else:
            j0 = j1 = -1
            v1 = 0.0
        weeks = (days - 1.0) / 7.0
        a_wk = min(dt / (_WBIN_S * min(max(weeks, 0.5), cfg.week_memory)), 0.5)
        wk_check = days >= _WEEK_CHECK
        wk_live = days >= _WEEK_LIVE
        wk_n = s[_WK_N]
        if learn and wk_check and j0 >= 0:
            wk_n += 1.0
            s[_WK_N] = wk_n
        a_wk_err = max(1.0 / wk_n, 1.0 / cfg.baseline_tau) if wk_n > 0.0 else 0.0
        out: dict[str, float] = {}
        o = _N_GLOBAL
        prof = self.profile
        pb = 0
        for name in self.feature_names:
            v = x.get(name)
            if v is None or not math.isfinite(v):
                o += _N_FEATURE
                pb += _PROFILE
                continue
            # Rates from this feature's own count: exact averages until the time constant.
            nf = s[o + _COUNT] + 1.0
            if learn:
                s[o + _COUNT] = nf
            if nf == 1.0:
                if learn:
                    s[o + _MEAN] = s[o + _FAST] = s[o + _MED] = s[o + _SEA_LVL] = v
                    s[o + _LO] = s[o + _HI] = s[o + _REF] = v
                out[name] = 0.0
                o += _N_FEATURE
                pb += _PROFILE
                continue
            a_base = max(1.0 / nf, 1.0 / cfg.baseline_tau)
            a_fast = max(1.0 / nf, 1.0 / cfg.fast_tau)
            a_med = max(1.0 / nf, 1.0 / cfg.shift_tau)
            warm = nf > cfg.warmup
            mean = s[o + _MEAN]
            var = s[o + _VAR]
            fast = s[o + _FAST]
            lo = s[o + _LO]
            hi = s[o + _HI]
            floor = cfg.rel_floor * (abs(mean) + 1.0)
            resid = abs(v - fast)
            fast += a_fast * (v - fast)
            med = s[o + _MED]
            z_shift = abs(fast - med) / (s[o + _ERR] + floor)
            med += a_med * (v - med)
            z_level = abs(fast - mean) / (math.sqrt(var) + floor)
            if i0 >= 0:
                p0 = prof[pb + i0]
                sea_lvl = s[o + _SEA_LVL] + max(1.0 / nf, a_sea_lvl) * (v - s[o + _SEA_LVL])
                sea_resid = sea_lvl - s[o + _REF] - (p0 + w1 * (prof[pb + i1] - p0))
                q0 = prof[pb + _BINS + j0]
                wk_resid = sea_resid - (q0 + v1 * (prof[pb + _BINS + j1] - q0))
            else:
                sea_resid = wk_resid = 0.0
            best = 0.0
            if warm:
                for z, ti in ((z_level, _LEVEL), (z_shift, _SHIFT)):
                    e = tail_surprise(prof, pb + ti, z, _TAIL_FLOOR)
                    if e > best:
                        best = e
                    if learn:
                        tail_learn(prof, pb + ti, z)
                excess = v - hi if v > hi else lo - v
                rate = s[o + _RATE]
                if excess > 0.0:
                    # P(record) is 2/n for exchangeable data, more if records have been common.
                    base = math.log(0.5 * nf) if rate < 2.0 / nf else -math.log(rate)
                    e = base + _REC_K * math.log(nf) * excess / (hi - lo + floor)
                    if e > best:
                        best = e
                if learn:
                    s[o + _RATE] = rate + a_base * ((1.0 if excess > 0.0 else 0.0) - rate)
            if sea_n > 0.0:
                # The day-of-week residual is scored while it predicts clearly better.
                if wk_live and s[o + _WK_ERR] < cfg.week_gain * s[o + _SEA_ERR]:
                    z_sea = abs(wk_resid) / (s[o + _WK_ERR] + floor)
                else:
                    z_sea = abs(sea_resid) / (s[o + _SEA_ERR] + floor)
                if sea_live and warm:
                    e = tail_surprise(prof, pb + _SEASON, z_sea, _TAIL_FLOOR)
                    if e > best:
                        best = e
                    if learn:
                        tail_learn(prof, pb + _SEASON, z_sea)
                if learn:
                    a_sea_err = max(1.0 / min(sea_n, nf), 1.0 / cfg.baseline_tau)
                    s[o + _SEA_ERR] += a_sea_err * (abs(sea_resid) - s[o + _SEA_ERR])
                    if wk_check and i0 >= 0:
                        s[o + _WK_ERR] += a_wk_err * (abs(wk_resid) - s[o + _WK_ERR])
            out[name] = best
            if learn:
                d = v - mean
                s[o + _MEAN] = mean + a_base * d
                s[o + _VAR] = (1.0 - a_base) * (var + a_base * d * d)
                s[o + _ERR] += a_base * (resid - s[o + _ERR])
                s[o + _FAST] = fast
                s[o + _MED] = med
                if i0 >= 0:
                    s[o + _SEA_LVL] = sea_lvl
                if v > hi:
                    s[o + _HI] = v
                elif v < lo:
                    s[o + _LO] = v
                if a_sea > 0.0:
                    prof[pb + i0] += a_sea * (1.0 - w1) * sea_resid
                    prof[pb + i1] += a_sea * w1 * sea_resid
                if sea_n > 0.0 and a_wk > 0.0 and j0 >= 0:
                    prof[pb + _BINS + j0] += a_wk * (1.0 - v1) * wk_resid
                    prof[pb + _BINS + j1] += a_wk * v1 * wk_resid
            o += _N_FEATURE
            pb += _PROFILE
        return out, (4 if sea_live else 3) * self._k

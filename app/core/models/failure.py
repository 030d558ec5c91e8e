"""Failure-within-horizon and remaining-life model of one asset class, learned from delayed labels.

One :class:`FailureHorizonModel` is shared by all assets of a class (e.g. every 75 kW induction
motor). It learns only from the delayed labels of :mod:`analytics.labels`: an input vector
``x`` (built by :func:`failure_inputs`) and the time to failure observed after it, capped at
``cap`` (censored snapshots carry exactly ``cap``). It answers two questions per reading:

- :meth:`FailureHorizonModel.predict_ttf`: the expected capped time to failure (the usual
  piecewise-linear remaining-useful-life target: flat at ``cap`` while healthy, then falling);
- :meth:`FailureHorizonModel.predict_proba`: P(time to failure <= ``horizon``), calibrated
  online from the model's own prequential predictions (each label is scored before it is
  learned) by isotonic regression over binned predictions.

The regressor is kernel ridge regression approximated with random Fourier features (Rahimi &
Recht, 2007) plus the raw inputs and a bias, solved from sufficient statistics
``sum(w * phi phi^T)`` and ``sum(w * phi y)``. That makes learning exactly one-pass,
order-independent and bounded in memory (a few hundred KB per class whatever the number of
labels), the fit identical to the batch fit on the same labels, and prediction a few
microseconds of numpy. Positives (snapshots that preceded a failure within ``cap``) are far
rarer than censored negatives in a healthy fleet, so the two groups keep separate statistics
and are re-weighted to ``positive_share`` at solve time: the model cannot settle on
"everything is healthy". The state serialises to plain arrays (:meth:`~FailureHorizonModel.
to_bytes`), no pickle.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import orjson

from app.core.models.features import FeatureTracker

__all__ = [
    "MODEL_VERSION",
    "FailureHorizonModel",
    "FailureModelConfig",
    "failure_inputs",
    "n_failure_inputs",
]

MODEL_VERSION = 1
_MAGIC = b"AFHM"
_LEN = struct.Struct("<I")
# Slot of the first reading's time in FeatureTracker.state (no public accessor yet).


def n_failure_inputs(n_channels: int) -> int:
    """Length of the :func:`failure_inputs` vector for a tracker of ``n_channels`` channels."""
    return 4 * n_channels + 2


def failure_inputs(
    features: np.ndarray, anomaly_score: float, tracker: FeatureTracker, age_unit: float
) -> np.ndarray:
    """Build the model input of one asset; the one layout shared by the agent and ``aiot rul``.

    The vector holds, in order (see :func:`n_failure_inputs`):

    - the tracker features (``z_fast``, ``z_slow``, ``slope`` per channel, against the asset's
      own baseline), each squashed with ``sign(z) * log1p(|z|)`` so a wild reading cannot
      dominate the kernel;
    - the tracker's short-horizon level per channel, squashed the same way. Feed the tracker
      class-normalised channels (:class:`analytics.failure_norm.ConditionNormaliser`) and this
      is where the asset stands within its class (initial wear, manufacturing spread);
    - the asset's age (event time since the tracker's first reading, i.e. since install or the
      last reset at a repair) divided by ``age_unit``;
    - the anomaly score (0..1) of the asset's detector.

    Parameters:
        features: the output of :meth:`analytics.features.FeatureTracker.update`.
        anomaly_score: the asset's current anomaly score in [0, 1].
        tracker: the asset's tracker that produced ``features``.
        age_unit: time unit of the age input, e.g. the model's ``cap``, so it is O(1).
    """
    z = np.asarray(features, dtype=np.float64)
    n = z.shape[0]
    level = tracker.level()
    out = np.empty(n + level.shape[0] + 2, dtype=np.float64)
    out[:n] = z
    out[n:-2] = level
    body = out[:-2]
    sign = np.sign(body)
    np.log1p(np.abs(body), out=body)
    body *= sign
    out[-2] = tracker.age / age_unit
    out[-1] = anomaly_score
    return out


@dataclass(frozen=True, slots=True)
class FailureModelConfig:
    """Targets and hyper-parameters of a :class:`FailureHorizonModel`.

    Attributes:
        horizon: :meth:`FailureHorizonModel.predict_proba` gives P(time to failure <= horizon).
        cap: targets are ``min(time to failure, cap)``; must be >= ``horizon``. A label at
            ``cap`` is censored. A longer cap lets the regressor see earlier precursors but
            the snapshot buffers must then cover it (``cap / snapshot interval`` snapshots).
        n_components: random Fourier features (kernel resolution; state grows as its square).
        length_scale: RBF kernel length scale on the inputs; None: ``sqrt(n_inputs)``.
        ridge: L2 penalty, in units of one label's weight.
        positive_share: weight share of positives (target < cap) against censored labels at
            solve time; None keeps the natural proportions.
        min_positive_labels: labels with time to failure <= horizon needed before
            :attr:`FailureHorizonModel.ready`.
        calibration_bins: bins of the predicted time to failure for the probability.
        seed: seed of the random features.
    """

    horizon: float = 72 * 3600.0
    cap: float = 72 * 3600.0
    n_components: int = 192
    length_scale: float | None = None
    ridge: float = 1.0
    positive_share: float | None = 0.5
    min_positive_labels: int = 48
    calibration_bins: int = 25
    seed: int = 0


class FailureHorizonModel:
    """Online capped time-to-failure regressor with a calibrated horizon probability.

    See the module docstring for the method.

    Parameters:
        n_inputs: length of the input vectors (see :func:`n_failure_inputs`).
        config: targets and hyper-parameters.

    >>> m = FailureHorizonModel(1, FailureModelConfig(horizon=3, cap=10, min_positive_labels=4))
    >>> for unit in range(5):
    ...     for t in range(20):   # the input is the wear; failure at t = 19
    ...         m.learn_one(np.array([t / 19]), 19.0 - t)
    >>> m.ready, round(m.predict_ttf(np.array([0.1]))), round(m.predict_ttf(np.array([0.9])))
    (True, 10, 3)
    """

    def __init__(self, n_inputs: int, config: FailureModelConfig | None = None) -> None:
        cfg = config or FailureModelConfig()
        if cfg.cap < cfg.horizon or cfg.horizon <= 0:
            raise ValueError("need 0 < horizon <= cap")
        self.n_inputs = n_inputs
        self.config = cfg
        d = cfg.n_components
        ls = cfg.length_scale if cfg.length_scale is not None else math.sqrt(max(n_inputs, 1))
        rng = np.random.default_rng(cfg.seed)
        self._w = rng.normal(0.0, 1.0 / ls, size=(d, n_inputs))
        self._b = rng.uniform(0.0, 2.0 * math.pi, size=d)
        self._scale = math.sqrt(2.0 / d) if d else 0.0
        p = d + n_inputs + 1
        self._dim = p
        # Sufficient statistics per group: 0 = positives (target < cap), 1 = censored.
        self._a = np.zeros((2, p, p))
        self._c = np.zeros((2, p))
        self._weight = np.zeros(2)
        nb = cfg.calibration_bins
        self._cal_pos = np.zeros(nb)
        self._cal_tot = np.zeros(nb)
        self.n_labels = 0
        self.n_within_horizon = 0
        self.n_failures = 0
        self._theta: np.ndarray | None = None
        self._dirty = False
        self._cal_curve = self._calibration_curve()

    # ------------------------------------------------------------------ properties

    @property
    def ready(self) -> bool:
        """True once enough labels within the horizon were learned to trust the predictions."""
        return self.n_within_horizon >= self.config.min_positive_labels

    # ------------------------------------------------------------------ learning

    def learn_one(self, x: np.ndarray | Mapping[str, float], time_to_failure: float) -> None:
        """Learn one delayed label: input ``x`` was followed by a failure ``time_to_failure`` later.

        Censored labels pass ``cap`` (or more). The label is first scored with the current
        fit to update the probability calibration (prequential), then added to the statistics.
        """
        v = _as_vector(x)
        cfg = self.config
        ttf = min(max(float(time_to_failure), 0.0), cfg.cap)
        phi = self._phi(v)
        # A target at cap is censored (time to failure >= cap), never "within the horizon".
        within = ttf <= cfg.horizon and ttf < cfg.cap
        if self._theta is not None:
            k = self._bin(float(phi @ self._theta))
            self._cal_tot[k] += 1.0
            self._cal_pos[k] += within
        g = 0 if ttf < cfg.cap else 1
        self._a[g] += np.outer(phi, phi)
        self._c[g] += phi * (ttf / cfg.cap)
        self._weight[g] += 1.0
        self.n_labels += 1
        self.n_within_horizon += within
        self._dirty = True

    def learn_failure(self, labels: list[tuple[np.ndarray, float]]) -> None:
        """Learn the labels of one failure (from ``SnapshotBuffer.on_failure``) and count it."""
        for x, ttf in labels:
            self.learn_one(x, ttf)
        self.n_failures += 1

    def learn_many(self, labels: list[tuple[np.ndarray, float]]) -> None:
        """Learn several labels, e.g. censored ones from ``SnapshotBuffer.expired``."""
        for x, ttf in labels:
            self.learn_one(x, ttf)

    def refit(self) -> None:
        """Solve the ridge system from the statistics (done lazily by the predict methods)."""
        cfg = self.config
        w0, w1 = self._weight
        total = w0 + w1
        if total <= 0:
            self._theta = None
            self._dirty = False
            return
        share = cfg.positive_share
        if share is None or w0 == 0 or w1 == 0:
            a = self._a[0] + self._a[1]
            c = self._c[0] + self._c[1]
        else:
            f0 = share * total / w0
            f1 = (1.0 - share) * total / w1
            a = f0 * self._a[0] + f1 * self._a[1]
            c = f0 * self._c[0] + f1 * self._c[1]
        reg = np.full(self._dim, cfg.ridge)
        reg[-1] = 1e-9 * cfg.ridge  # the bias is not shrunk
        a = a + np.diag(reg)
        try:
            self._theta = np.linalg.solve(a, c)
        except np.linalg.LinAlgError:
            self._theta = np.linalg.lstsq(a, c, rcond=None)[0]
        self._cal_curve = self._calibration_curve()
        self._dirty = False

    # ------------------------------------------------------------------ prediction

    def predict_ttf(self, x: np.ndarray | Mapping[str, float]) -> float:
        """Expected time to failure after ``x``, in [0, cap] (``cap`` before any label)."""
        return self._predict_fraction(_as_vector(x)) * self.config.cap

    def predict_proba(self, x: np.ndarray | Mapping[str, float]) -> float:
        """P(time to failure <= horizon) given ``x``, calibrated on prequential predictions."""
        u = self._predict_fraction(_as_vector(x))
        centers, curve = self._cal_curve
        return float(np.interp(u, centers, curve))

    def predict_one(self, x: Mapping[str, float]) -> float:
        """River regressor protocol: :meth:`predict_ttf` of a feature dict (insertion order)."""
        return self.predict_ttf(x)

    def predict_proba_one(self, x: Mapping[str, float]) -> dict[bool, float]:
        """River classifier protocol: ``{True: P(failure within horizon), False: 1 - P}``."""
        p = self.predict_proba(x)
        return {True: p, False: 1.0 - p}

    def _predict_fraction(self, v: np.ndarray) -> float:
        """Predicted capped time to failure as a fraction of ``cap``, clipped to [0, 1]."""
        if self._dirty:
            self.refit()
        if self._theta is None:
            return 1.0
        u = float(self._phi(v) @ self._theta)
        return 0.0 if u < 0.0 else 1.0 if u > 1.0 else u

    def _phi(self, v: np.ndarray) -> np.ndarray:
        """Feature map: random Fourier features, the raw inputs and a bias of 1."""
        d = self.config.n_components
        out = np.empty(self._dim)
        np.cos(self._w @ v + self._b, out=out[:d])
        out[:d] *= self._scale
        out[d:-1] = v
        out[-1] = 1.0
        return out

    def _bin(self, fraction: float) -> int:
        """Calibration bin of a predicted fraction of ``cap``."""
        nb = self.config.calibration_bins
        return min(max(int(fraction * nb), 0), nb - 1)

    def _calibration_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Isotonic (non-increasing) P(within horizon) per bin of the predicted fraction.

        Each bin starts from a naive answer with the weight of two labels (1 up to the
        horizon, falling linearly to 0 at ``cap``), so an uncalibrated model answers sensibly.
        """
        cfg = self.config
        nb = cfg.calibration_bins
        centers = (np.arange(nb) + 0.5) / nb
        span = 1.0 - cfg.horizon / cfg.cap
        prior = np.clip((1.0 - centers) / (span if span > 0 else 1.0), 0.0, 1.0)
        weight = self._cal_tot + 2.0
        rate = (self._cal_pos + 2.0 * prior) / weight
        return centers, _isotonic_decreasing(rate, weight)

    # ------------------------------------------------------------------ persistence

    def to_bytes(self) -> bytes:
        """Serialise to a versioned header (JSON) plus float64 arrays; no pickle."""
        header = orjson.dumps(
            {
                "version": MODEL_VERSION,
                "n_inputs": self.n_inputs,
                "config": asdict(self.config),
                "n_labels": self.n_labels,
                "n_within_horizon": self.n_within_horizon,
                "n_failures": self.n_failures,
            }
        )
        iu = np.triu_indices(self._dim)
        arrays = (
            self._w,
            self._b,
            self._a[0][iu],
            self._a[1][iu],
            self._c,
            self._weight,
            self._cal_pos,
            self._cal_tot,
        )
        body = b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays)
        return _MAGIC + _LEN.pack(len(header)) + header + body

    @classmethod
    def from_bytes(cls, data: bytes) -> FailureHorizonModel:
        """Restore a model serialised by :meth:`to_bytes` (same :data:`MODEL_VERSION`)."""
        if data[:4] != _MAGIC:
            raise ValueError("not a FailureHorizonModel")
        (n,) = _LEN.unpack_from(data, 4)
        header = orjson.loads(data[8 : 8 + n])
        if header["version"] != MODEL_VERSION:
            raise ValueError(f"model version {header['version']} != {MODEL_VERSION}")
        model = cls(header["n_inputs"], FailureModelConfig(**header["config"]))
        p = model._dim
        iu = np.triu_indices(p)
        flat = np.frombuffer(data, dtype="<f8", offset=8 + n)
        pos = 0

        def take(count: int) -> np.ndarray:
            nonlocal pos
            out = flat[pos : pos + count].astype(np.float64)
            pos += count
            return out

        model._w = take(model._w.size).reshape(model._w.shape)
        model._b = take(model._b.size)
        for g in (0, 1):
            upper = np.zeros((p, p))
            upper[iu] = take(len(iu[0]))
            model._a[g] = upper + np.triu(upper, 1).T
        model._c = take(model._c.size).reshape(model._c.shape)
        model._weight = take(2)
        model._cal_pos = take(model._cal_pos.size)
        model._cal_tot = take(model._cal_tot.size)
        model.n_labels = header["n_labels"]
        model.n_within_horizon = header["n_within_horizon"]
        model.n_failures = header["n_failures"]
        model._dirty = model.n_labels > 0
        return model


def _as_vector(x: np.ndarray | Mapping[str, float]) -> np.ndarray:
    """Accept an array or a River-style feature dict (values in insertion order)."""
    if isinstance(x, Mapping):
        return np.fromiter(x.values(), dtype=np.float64, count=len(x))
    return np.asarray(x, dtype=np.float64)


def _isotonic_decreasing(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-increasing fit (pool adjacent violators)."""
    means: list[float] = []
    wts: list[float] = []
    sizes: list[int] = []
    for v, w in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(v)
        wts.append(w)
        sizes.append(1)
        while len(means) > 1 and means[-2] < means[-1]:
            w2 = wts[-2] + wts[-1]
            m2 = (means[-2] * wts[-2] + means[-1] * wts[-1]) / w2
            s2 = sizes[-2] + sizes[-1]
            del means[-1], wts[-1], sizes[-1]
            means[-1], wts[-1], sizes[-1] = m2, w2, s2
    return np.repeat(np.array(means), sizes)

"""The fall model: the probability that an impact reading is a fall, from its motion features.

The edge gateway sends, for a few ages of every impact a wearable feels, the features of a
candidate fall around it (:class:`schemas.wearable.ImpactFeatures`, computed by
:mod:`app.edge.motion`). :class:`FallModel` maps them to P(fall):

* inputs: the features flattened to named numbers (:func:`impact_inputs`, :data:`INPUTS`),
  standardised with the training set's mean and spread, clipped to +-6 standard deviations;
  a missing input (no gyroscope: no rotation) counts as the training mean;
* a small ensemble of one-hidden-layer networks (tanh), whose probabilities are averaged.

It follows River's classifier protocol (``predict_proba_one`` / ``learn_one`` on dicts; a
subclass of :class:`river.base.Classifier`) with a vectorised path for training
(:meth:`FallModel.predict_proba_array`, :meth:`FallModel.fit`). Learning online is one SGD
step per labelled reading (a site calibrating the model on its own confirmed falls and false
alarms); the shipped weights are learned offline by ``python -m benchmarks.train_fall_model``
from recordings the user points it at, and saved as a small versioned JSON file
(:meth:`FallModel.save`). The file also holds the alarm threshold chosen with subjects kept
apart, the features version it was trained for and where it came from.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from river import base

from schemas.base import field_names
from schemas.wearable import IMPACT_LENGTHS, ImpactFeatures

__all__ = [
    "INPUTS",
    "PACKAGED_MODEL",
    "Contribution",
    "FallModel",
    "TrainingConfig",
    "impact_inputs",
    "inputs_matrix",
]

FORMAT = 1
PACKAGED_MODEL = Path(__file__).resolve().with_name("fall_model.json")
"""The shipped weights, beside this module (package data)."""


def _input_names() -> tuple[str, ...]:
    """Names of the flattened impact features, in field order."""
    names: list[str] = []
    for name in field_names(ImpactFeatures):
        size = IMPACT_LENGTHS.get(name)
        names.extend(f"{name}_{i}" for i in range(size)) if size else names.append(name)
    return tuple(names)


INPUTS: tuple[str, ...] = _input_names()
"""Named model inputs: the impact features, arrays flattened (``descent_mean_g_0`` ...)."""


def impact_inputs(impact: ImpactFeatures) -> dict[base.typing.FeatureName, Any]:
    """The model inputs of one impact reading (rotation inputs absent without a gyroscope)."""
    out: dict[base.typing.FeatureName, Any] = {}
    for name in field_names(ImpactFeatures):
        value = getattr(impact, name)
        if value is None:
            continue
        if type(value) is tuple:
            for i, item in enumerate(value):
                out[f"{name}_{i}"] = float(item)
        else:
            out[name] = float(value)
    return out


def inputs_matrix(rows: Sequence[Mapping[Any, Any]]) -> NDArray[np.float64]:
    """Stack input dicts into a matrix in :data:`INPUTS` order (NaN where an input is absent)."""
    out = np.full((len(rows), len(INPUTS)), np.nan)
    for r, row in enumerate(rows):
        for c, name in enumerate(INPUTS):
            value = row.get(name)
            if value is not None:
                out[r, c] = value
    return out


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Hyper-parameters of :meth:`FallModel.fit`.

    Attributes:
        hidden: units of each network's hidden layer.
        members: networks in the ensemble (different seeds).
        epochs: passes over the training set.
        batch: minibatch size.
        learning_rate: Adam step size.
        l2: weight decay.
        seed: seed of the first member (the others follow).
    """

    hidden: int = 16
    members: int = 5
    epochs: int = 60
    batch: int = 256
    learning_rate: float = 3e-3
    l2: float = 1e-3
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one input pushed a reading's fall logit, with its standardised value."""

    name: str
    value: float
    typical: float
    z: float
    push: float


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic function, overflow-safe."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0))))


class _Net:
    """One tanh network: inputs -> hidden -> logit."""

    __slots__ = ("b1", "b2", "w1", "w2")

    def __init__(
        self, w1: NDArray[np.float64], b1: NDArray[np.float64], w2: NDArray[np.float64], b2: float
    ) -> None:
        self.w1, self.b1, self.w2, self.b2 = w1, b1, w2, b2

    @classmethod
    def initial(cls, n_in: int, hidden: int, rng: np.random.Generator) -> _Net:
        """Random start (scaled by fan-in)."""
        return cls(
            rng.normal(0.0, 1.0 / math.sqrt(n_in), (n_in, hidden)),
            np.zeros(hidden),
            rng.normal(0.0, 1.0 / math.sqrt(hidden), hidden),
            0.0,
        )

    def logit(self, z: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Hidden activations and logits of standardised inputs ``z`` (rows)."""
        h = np.tanh(z @ self.w1 + self.b1)
        return h, h @ self.w2 + self.b2

    def gradients(
        self, z: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64], l2: float
    ) -> list[Any]:
        """Gradients of the weighted log loss (plus L2) over a batch."""
        h, out = self.logit(z)
        g = (_sigmoid(out) - y) * w
        gh = np.outer(g, self.w2) * (1.0 - h * h)
        return [z.T @ gh + l2 * self.w1, gh.sum(axis=0), h.T @ g + l2 * self.w2, float(g.sum())]

    def step(self, deltas: list[Any]) -> None:
        """Apply parameter changes (already scaled) in the order of :meth:`gradients`."""
        self.w1 = self.w1 - deltas[0]
        self.b1 = self.b1 - deltas[1]
        self.w2 = self.w2 - deltas[2]
        self.b2 = float(self.b2 - deltas[3])

    def to_dict(self) -> dict[str, Any]:
        """Plain lists for JSON."""
        return {
            "w1": np.round(self.w1, 6).tolist(),
            "b1": np.round(self.b1, 6).tolist(),
            "w2": np.round(self.w2, 6).tolist(),
            "b2": round(self.b2, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], n_in: int) -> _Net:
        """Rebuild; ``ValueError`` on wrong shapes or non-finite weights."""
        w1 = np.asarray(data["w1"], dtype=np.float64)
        b1 = np.asarray(data["b1"], dtype=np.float64)
        w2 = np.asarray(data["w2"], dtype=np.float64)
        b2 = float(data["b2"])
        hidden = len(b1)
        if w1.shape != (n_in, hidden) or w2.shape != (hidden,):
            raise ValueError(f"network shapes {w1.shape}, {w2.shape} do not fit {n_in} inputs")
        if not all(np.isfinite(p).all() for p in (w1, b1, w2)) or not math.isfinite(b2):
            raise ValueError("network weights hold NaN or infinite values")
        return cls(w1, b1, w2, b2)


class FallModel(base.Classifier):
    """P(fall) of an impact reading (see the module docstring).

    Parameters:
        threshold: P(fall) from which the safety engine raises ``fall_suspected``.
        learning_rate: SGD step of :meth:`learn_one`.
        l2: weight decay of :meth:`learn_one`.
    """

    def __init__(self, threshold: float = 0.5, learning_rate: float = 0.01, l2: float = 1e-3):
        self.threshold = threshold
        self.learning_rate = learning_rate
        self.l2 = l2
        self.mean = np.zeros(len(INPUTS))
        self.scale = np.ones(len(INPUTS))
        self.nets: list[_Net] = []
        self.learned = 0
        self.info: dict[str, Any] = {}

    # ---- prediction -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """``fall-mlp-<digest of the weights>+<readings learned online>``."""
        digest = hashlib.sha256(self._weights_bytes()).hexdigest()[:10]
        return f"fall-mlp-{digest}+{self.learned}"

    def standardise(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Rows of raw inputs -> clipped z-scores (NaN, an absent input, -> 0)."""
        z = (x - self.mean) / self.scale
        return np.nan_to_num(np.clip(z, -6.0, 6.0), nan=0.0)

    def predict_proba_array(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """P(fall) of each row of raw inputs (columns in :data:`INPUTS` order)."""
        if not self.nets:
            return np.zeros(len(x))
        z = self.standardise(np.atleast_2d(x))
        return np.mean([_sigmoid(net.logit(z)[1]) for net in self.nets], axis=0)

    def predict_proba_one(
        self, x: dict[base.typing.FeatureName, Any], **kwargs: Any
    ) -> dict[base.typing.ClfTarget, float]:
        """River protocol: ``{True: P(fall), False: 1 - P(fall)}`` of one input dict."""
        p = float(self.predict_proba_array(inputs_matrix([x]))[0])
        return {True: p, False: 1.0 - p}

    def contributions(self, x: Mapping[Any, Any], top: int = 5) -> list[Contribution]:
        """The inputs that pushed this reading's fall logit most (gradient times input, from
        the training mean), for the alert's evidence."""
        z = self.standardise(inputs_matrix([x]))[0]
        push = np.zeros(len(INPUTS))
        for net in self.nets:
            h, _ = net.logit(z[None, :])
            push += (net.w1 @ (net.w2 * (1.0 - h[0] ** 2))) * z
        push /= max(len(self.nets), 1)
        order = np.argsort(-push)[:top]
        return [
            Contribution(
                name=INPUTS[i],
                value=float(x.get(INPUTS[i], math.nan)),
                typical=float(self.mean[i]),
                z=float(z[i]),
                push=float(push[i]),
            )
            for i in order
            if push[i] > 0.0 and INPUTS[i] in x
        ]

    # ---- learning ---------------------------------------------------------------------------

    def learn_one(
        self, x: dict[base.typing.FeatureName, Any], y: base.typing.ClfTarget, w: float = 1.0
    ) -> None:
        """River protocol: one SGD step of every network on one labelled reading.

        The standardisation stays as trained. Before :meth:`fit` there is nothing to adjust:
        ``ValueError``.
        """
        if not self.nets:
            raise ValueError("the fall model is untrained: fit it (or load weights) first")
        z = self.standardise(inputs_matrix([x]))
        target = np.array([1.0 if y else 0.0])
        weight = np.array([float(w)])
        for net in self.nets:
            grads = net.gradients(z, target, weight, self.l2)
            net.step([self.learning_rate * g for g in grads])
        self.learned += 1

    def fit(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        w: NDArray[np.float64] | None = None,
        config: TrainingConfig | None = None,
    ) -> FallModel:
        """Learn from scratch on rows ``x`` (:data:`INPUTS` columns), labels ``y`` (0/1) and
        sample weights ``w``: standardisation, then each network by minibatch Adam."""
        cfg = config or TrainingConfig()
        weights = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
        weights = weights / weights.mean()
        self.mean = np.nan_to_num(np.nanmean(x, axis=0), nan=0.0)
        spread = np.nan_to_num(np.nanstd(x, axis=0), nan=0.0)
        self.scale = np.where(spread > 1e-6, spread, 1.0)
        z = self.standardise(x)
        self.nets = [self._train_net(z, y, weights, cfg, cfg.seed + k) for k in range(cfg.members)]
        self.learned = 0
        return self

    @staticmethod
    def _train_net(
        z: NDArray[np.float64],
        y: NDArray[np.float64],
        w: NDArray[np.float64],
        cfg: TrainingConfig,
        seed: int,
    ) -> _Net:
        """One network by minibatch Adam (deterministic for a seed)."""
        rng = np.random.default_rng(seed)
        net = _Net.initial(z.shape[1], cfg.hidden, rng)
        first: list[Any] = [0.0, 0.0, 0.0, 0.0]
        second: list[Any] = [0.0, 0.0, 0.0, 0.0]
        t = 0
        for _ in range(cfg.epochs):
            order = rng.permutation(len(z))
            for s in range(0, len(z), cfg.batch):
                b = order[s : s + cfg.batch]
                grads = net.gradients(z[b], y[b], w[b] / len(b), cfg.l2)
                t += 1
                deltas = []
                for k, g in enumerate(grads):
                    first[k] = 0.9 * first[k] + 0.1 * g
                    second[k] = 0.999 * second[k] + 0.001 * g * g
                    m_hat = first[k] / (1.0 - 0.9**t)
                    v_hat = second[k] / (1.0 - 0.999**t)
                    deltas.append(cfg.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8))
                net.step(deltas)
        return net

    # ---- storage ----------------------------------------------------------------------------

    def _weights_bytes(self) -> bytes:
        """Canonical bytes of what the model computes (for the version digest)."""
        body = {
            "mean": np.round(self.mean, 6).tolist(),
            "scale": np.round(self.scale, 6).tolist(),
            "nets": [net.to_dict() for net in self.nets],
            "threshold": self.threshold,
        }
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the model, with its provenance (``info``)."""
        return {
            "format": FORMAT,
            "model": "fall-mlp",
            "version": self.version,
            "inputs": list(INPUTS),
            "threshold": self.threshold,
            "mean": np.round(self.mean, 6).tolist(),
            "scale": np.round(self.scale, 6).tolist(),
            "nets": [net.to_dict() for net in self.nets],
            "learned_online": self.learned,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FallModel:
        """Rebuild from :meth:`to_dict` output; ``ValueError`` when it does not fit this code."""
        try:
            if data.get("format") != FORMAT or data.get("model") != "fall-mlp":
                raise ValueError("not a fall-mlp model of format 1")
            if tuple(data["inputs"]) != INPUTS:
                raise ValueError("its inputs differ from this version's impact features")
            threshold = float(data["threshold"])
            if not 0.0 < threshold < 1.0:
                raise ValueError(f"threshold {threshold!r} outside (0, 1)")
            model = cls(threshold=threshold)
            model.mean = np.asarray(data["mean"], dtype=np.float64)
            model.scale = np.asarray(data["scale"], dtype=np.float64)
            if model.mean.shape != (len(INPUTS),) or model.scale.shape != (len(INPUTS),):
                raise ValueError("mean/scale do not have one value per input")
            if not (np.isfinite(model.mean).all() and (model.scale > 0).all()):
                raise ValueError("mean/scale hold non-finite or non-positive values")
            model.nets = [_Net.from_dict(net, len(INPUTS)) for net in data["nets"]]
            if not model.nets:
                raise ValueError("no network")
            model.learned = int(data.get("learned_online", 0))
            model.info = dict(data.get("info", {}))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed fall model: {exc!r}") from exc
        return model

    def save(self, path: Path) -> None:
        """Write the model as JSON: one line per top-level key (weights compact), the
        provenance indented for reading."""
        lines = []
        for key, value in self.to_dict().items():
            option = orjson.OPT_INDENT_2 if key == "info" else 0
            text = orjson.dumps(value, option=option).decode().replace("\n", "\n  ")
            lines.append(f"  {orjson.dumps(key).decode()}: {text}")
        path.write_text("{\n" + ",\n".join(lines) + "\n}\n")

    @classmethod
    def load(cls, path: str | Path = "") -> FallModel:
        """Read a model file; empty ``path``: the weights shipped with aiot.

        Raises ``ValueError`` naming the file when it cannot be used.
        """
        try:
            raw = Path(path or PACKAGED_MODEL).read_bytes()
            return cls.from_dict(orjson.loads(raw))
        except (OSError, orjson.JSONDecodeError, ValueError) as exc:
            where = path or f"the packaged {PACKAGED_MODEL.name}"
            raise ValueError(
                f"cannot use fall model {where}: {exc}; retrain it with "
                "python -m benchmarks.train_fall_model DIR or unset AIOT_SAFETY_FALL_MODEL"
            ) from exc

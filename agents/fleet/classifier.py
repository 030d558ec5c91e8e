"""Episode classifier: normal / traffic_detour / unauthorized with confidence and reasons.

The score of each class is an expert prior (a fixed, readable weight matrix over a few derived
indicators: a stop at an unknown place, a stop at a known legitimate place, a restricted zone,
driving without assignment or at unusual hours, a detour shape - left the route and rejoined it
further on without stopping - and concurrent deviations of other vehicles in the same area)
plus a learned correction: a multinomial logistic regression over the same indicators, updated
online by SGD from dispatcher verdicts (delayed labels). Probabilities are the softmax of the
sum, the confidence is the winner's probability, and the reasons are the indicators that pushed
the winner above the other classes most, rendered with the episode's own values.

One classifier is shared by every vehicle of a worker; it is small (3 x 10 weights) and is
published to a compacted topic so a restarted worker resumes with what dispatchers taught it.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from agents.fleet.kinds import Label

__all__ = [
    "CLASSES",
    "FEATURE_NAMES",
    "Classification",
    "EpisodeClassifier",
    "indicators",
]

CLASSES: tuple[Label, ...] = tuple(Label)
"""Class order of the probability vectors."""

FEATURE_NAMES: tuple[str, ...] = (
    "duration_min",
    "max_off_corridor_m",
    "rejoin_km",
    "stop_unknown_min",
    "stop_known_min",
    "restricted",
    "unassigned_frac",
    "unusual_hour_frac",
    "area_vehicles",
    "path_km",
)
"""Raw episode features, as published in :class:`schemas.vehicle.FleetEpisode`."""

INDICATORS: tuple[str, ...] = (
    "bias",
    "stop_unknown",
    "long_stop_unknown",
    "stop_known",
    "restricted",
    "unassigned",
    "unusual_hour",
    "detour_shape",
    "detour_with_area",
    "far_off",
)

# Expert prior: rows = CLASSES, columns = INDICATORS.
PRIOR = np.array(
    [
        # bias stopU longU stopK restr unass hour  detour d*area far
        [0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # normal
        [-1.5, -3.0, -2.0, -3.0, -2.0, -3.0, -1.5, 2.0, 4.0, 0.0],  # traffic_detour
        [-2.5, 5.0, 1.5, -1.0, 8.0, 6.0, 3.0, -1.0, -2.0, 0.5],  # unauthorized
    ],
    dtype=np.float64,
)

MODEL_FORMAT = 1
_HEADER = struct.Struct("<HHI")


def _sig(x: float) -> float:
    """Logistic function, overflow-safe."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def indicators(features: Mapping[str, float]) -> np.ndarray:
    """The classifier inputs (:data:`INDICATORS`) derived from raw episode features."""
    stop_u = float(features.get("stop_unknown_min", 0.0))
    stop_k = float(features.get("stop_known_min", 0.0))
    duration = float(features.get("duration_min", 0.0))
    rejoin = float(features.get("rejoin_km", 0.0))
    area = min(float(features.get("area_vehicles", 0.0)), 2.0) / 2.0
    stopped = _sig((stop_u + stop_k - 3.0) / 1.0)
    detour = (1.0 - stopped) * _sig((rejoin - 0.4) / 0.1) * _sig((45.0 - duration) / 5.0)
    return np.array(
        [
            1.0,
            _sig((stop_u - 12.0) / 3.0),
            _sig((stop_u - 40.0) / 5.0),
            _sig((stop_k - 4.0) / 2.0),
            1.0 if features.get("restricted", 0.0) > 0 else 0.0,
            float(features.get("unassigned_frac", 0.0)),
            float(features.get("unusual_hour_frac", 0.0)),
            detour,
            detour * area,
            _sig((float(features.get("max_off_corridor_m", 0.0)) - 1500.0) / 300.0),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class Classification:
    """A decided class with its probability, every class's probability and the reasons."""

    label: Label
    confidence: float
    probabilities: dict[str, float]
    reasons: tuple[str, ...]
    contributions: tuple[tuple[str, float], ...]
    model_version: str


def _reason(name: str, features: Mapping[str, float], label: Label) -> str:
    """Render one indicator as a sentence with the episode's values."""
    f = features
    if name == "stop_unknown" or name == "long_stop_unknown":
        return f"stopped {f.get('stop_unknown_min', 0):.0f} min at a place it never stops at"
    if name == "stop_known":
        return f"stopped {f.get('stop_known_min', 0):.0f} min at a known depot/customer/service"
    if name == "restricted":
        return "entered a restricted zone"
    if name == "unassigned":
        share = 100 * f.get("unassigned_frac", 0)
        return f"drove without an assigned route or driver shift ({share:.0f}% of the episode)"
    if name == "unusual_hour":
        share = 100 * f.get("unusual_hour_frac", 0)
        return f"drove at hours this vehicle does not drive ({share:.0f}% of the episode)"
    if name == "detour_shape":
        if label == Label.UNAUTHORIZED:
            return "no detour shape"
        return (
            f"left the route and rejoined it {f.get('rejoin_km', 0):.1f} km further on "
            f"without stopping ({f.get('duration_min', 0):.0f} min)"
        )
    if name == "detour_with_area":
        n = f.get("area_vehicles", 0)
        if n <= 0:
            return "no other vehicle deviated in the area"
        return f"{n:.0f} other vehicle(s) deviated in the same area at the same time"
    if name == "far_off":
        return f"went {f.get('max_off_corridor_m', 0) / 1000:.1f} km off its usual corridor"
    return "base rate"


class EpisodeClassifier:
    """Expert prior + online logistic correction (see the module docstring)."""

    def __init__(self, learning_rate: float = 0.05, l2: float = 1e-3) -> None:
        self.learning_rate = learning_rate
        self.l2 = l2
        self.weights = np.zeros_like(PRIOR)
        self.updates = 0
        self.dirty = False

    @property
    def version(self) -> str:
        """Model version: the prior plus the number of verdicts learned."""
        return f"fleet-prior1+sgd{self.updates}"

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of indicator vector ``x``."""
        logits = (PRIOR + self.weights) @ x
        logits -= logits.max()
        e = np.exp(logits)
        return np.asarray(e / e.sum())

    def probabilities_of(self, features: Mapping[str, float]) -> dict[str, float]:
        """Class probabilities of an episode's raw features."""
        p = self.probabilities(indicators(features))
        return {c.value: float(v) for c, v in zip(CLASSES, p, strict=True)}

    def classify(self, features: Mapping[str, float]) -> Classification:
        """Classify an episode's raw features."""
        x = indicators(features)
        p = self.probabilities(x)
        k = int(np.argmax(p))
        label = CLASSES[k]
        w = PRIOR + self.weights
        others = np.delete(w, k, axis=0).mean(axis=0)
        push = (w[k] - others) * x
        push[0] = 0.0
        order = [i for i in np.argsort(-push) if push[i] > 0.25 and x[i] >= 0.3][:3]
        reasons = tuple(dict.fromkeys(_reason(INDICATORS[i], features, label) for i in order))
        if not reasons:
            reasons = ("nothing points away from the vehicle's usual behaviour",)
        return Classification(
            label=label,
            confidence=float(p[k]),
            probabilities={c.value: round(float(v), 4) for c, v in zip(CLASSES, p, strict=True)},
            reasons=reasons,
            contributions=tuple((INDICATORS[i], float(push[i])) for i in order),
            model_version=self.version,
        )

    def learn(self, features: Mapping[str, float], label: str) -> bool:
        """One SGD step of the correction towards ``label``; False if the label is unknown."""
        if label not in CLASSES:
            return False
        x = indicators(features)
        p = self.probabilities(x)
        target = np.zeros(len(CLASSES))
        target[CLASSES.index(label)] = 1.0
        grad = np.outer(p - target, x) + self.l2 * self.weights
        self.weights -= self.learning_rate * grad
        np.clip(self.weights, -6.0, 6.0, out=self.weights)
        self.updates += 1
        self.dirty = True
        return True

    def to_bytes(self) -> bytes:
        """Encode the learned correction (the prior is code, not state)."""
        header = _HEADER.pack(MODEL_FORMAT, self.weights.shape[1], self.updates)
        return header + self.weights.astype("<f8").tobytes()

    def load(self, data: bytes) -> bool:
        """Adopt a published model if it learned more than this one; raises ValueError."""
        try:
            fmt, width, updates = _HEADER.unpack_from(data)
        except struct.error as exc:
            raise ValueError(f"fleet model header unreadable: {exc}") from exc
        expected = _HEADER.size + 8 * len(CLASSES) * width
        if fmt != MODEL_FORMAT or width != PRIOR.shape[1] or len(data) != expected:
            raise ValueError(f"fleet model record format {fmt}/{width} unsupported")
        if updates <= self.updates:
            return False
        weights = np.frombuffer(data, dtype="<f8", offset=_HEADER.size)
        if not np.isfinite(weights).all():
            raise ValueError("fleet model record holds non-finite weights")
        self.weights = weights.reshape(len(CLASSES), width).astype(np.float64)
        self.updates = updates
        return True

"""Why an alert fired: the evidence attached to every alert transition.

The features that drove a score are :class:`schemas.FeatureEvidence` (the same type a
prediction carries); :class:`Evidence` adds the score, threshold, model and domain facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from schemas.prediction import FeatureEvidence

__all__ = ["Evidence", "FeatureEvidence"]

_CORE_KEYS = frozenset({"top_features", "model_version", "score", "threshold"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """Evidence of one transition: top features, score vs threshold, model and domain extras.

    ``extra`` carries domain-specific facts (e.g. who and where for a safety cluster); its keys
    are merged into :meth:`to_dict` and so may not shadow the core keys.
    """

    top_features: tuple[FeatureEvidence, ...]
    score: float
    threshold: float
    model_version: str
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        """Reject extra keys that would overwrite the core evidence fields."""
        clash = _CORE_KEYS.intersection(self.extra)
        if clash:
            raise ValueError(f"evidence extra may not use reserved keys {sorted(clash)}")

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-able data: core fields plus the ``extra`` keys."""
        data: dict[str, Any] = {
            "top_features": [feature.to_dict() for feature in self.top_features],
            "model_version": self.model_version,
            "score": self.score,
            "threshold": self.threshold,
        }
        data.update(self.extra)
        return data

"""Shared failure-horizon models, one per asset class, and their publication format.

Heavy models are shared per class (not per asset) and learn from every asset's per-asset
normalised snapshots. They persist as records on a compacted Kafka topic keyed by class, so a
restarted worker (or a new one after scale-out) resumes from the latest published model
instead of a cold start; the value is a small header (format version, model version counter)
followed by the model's own bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from app.core.models.failure import FailureHorizonModel

__all__ = ["ClassModels", "ModelRecordError"]

_HEADER = struct.Struct("<BQ")
_FORMAT = 1


class ModelRecordError(ValueError):
    """A model record from the models topic could not be decoded."""


class ClassModels:
    """The worker's shared models by asset class, with dirty tracking for publication."""

    def __init__(self, factory: Callable[[], FailureHorizonModel]) -> None:
        self._factory = factory
        self._models: dict[str, FailureHorizonModel] = {}
        self._versions: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._urgent: set[str] = set()

    def get(self, asset_class: str) -> FailureHorizonModel:
        """The model of ``asset_class``, created fresh on first use."""
        model = self._models.get(asset_class)
        if model is None:
            model = self._models[asset_class] = self._factory()
            self._versions[asset_class] = 0
        return model

    def mark_learned(self, asset_class: str, urgent: bool = False) -> None:
        """Note that the class model learned something and should be republished.

        ``urgent`` (a failure was learned: rare and valuable) asks for publication at the next
        opportunity; routine censored labels wait for the periodic publication.
        """
        self._versions[asset_class] = self._versions.get(asset_class, 0) + 1
        self._dirty.add(asset_class)
        if urgent:
            self._urgent.add(asset_class)

    def version(self, asset_class: str) -> int:
        """Number of learning updates applied to the class model so far."""
        return self._versions.get(asset_class, 0)

    def classes(self) -> list[str]:
        """Classes with a model on this worker."""
        return sorted(self._models)

    def take_dirty(self, routine: bool = True) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, value)`` records of changed models: all of them, or with
        ``routine=False`` only those with an urgent change."""
        chosen = set(self._dirty) if routine else self._dirty & self._urgent
        self._dirty -= chosen
        self._urgent -= chosen
        for asset_class in sorted(chosen):
            model = self._models[asset_class]
            header = _HEADER.pack(_FORMAT, self._versions[asset_class])
            yield asset_class.encode(), header + model.to_bytes()

    def load(self, key: bytes, value: bytes) -> None:
        """Adopt a published model record when it is newer than what this worker holds."""
        try:
            fmt, version = _HEADER.unpack_from(value)
        except struct.error as exc:
            raise ModelRecordError(f"model record header unreadable: {exc}") from exc
        if fmt != _FORMAT:
            raise ModelRecordError(f"model record format {fmt} is not {_FORMAT}")
        asset_class = key.decode()
        if version <= self._versions.get(asset_class, -1):
            return
        self._models[asset_class] = FailureHorizonModel.from_bytes(value[_HEADER.size :])
        self._versions[asset_class] = version

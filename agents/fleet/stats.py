"""Running counters of the fleet vehicle engine, exported as metrics by the domain's timer."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.fleet.kinds import Label

__all__ = ["FleetStats"]


@dataclass(slots=True)
class FleetStats:
    """Counters for metrics and tests (keys of the dicts are the labels' wire spelling)."""

    fixes: int = 0
    stale: int = 0
    episodes: dict[str, int] = field(default_factory=dict)
    verdicts: int = 0
    verdicts_agreed: int = 0
    verdicts_unmatched: int = 0
    learned: dict[str, int] = field(default_factory=dict)

    def count_episode(self, label: Label) -> None:
        """One more episode decided (made final, or relabelled once final) as ``label``."""
        self.episodes[label.value] = self.episodes.get(label.value, 0) + 1

    def count_learned(self, label: Label) -> None:
        """One more verdict with ``label`` taught the classifier."""
        self.learned[label.value] = self.learned.get(label.value, 0) + 1

"""Online quality of failure alerts, judged by what actually happened (delayed labels).

An alert raised on an asset is a *true positive* when a failure of that asset follows within
the horizon, a *false positive* once the horizon passes without one. A failure with no alert
raised within the horizon before it is a *false negative*. Lead time is failure time minus the
raise time of the alert that predicted it, in event time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AlertQuality"]


@dataclass(slots=True)
class AlertQuality:
    """Counts of true/false positives and misses, and the lead times observed."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    new_lead_times_s: list[float] = field(default_factory=list)

    def record_hit(self, lead_s: float) -> None:
        """A failure arrived with an alert raised ``lead_s`` before it."""
        self.true_positives += 1
        self.new_lead_times_s.append(lead_s)

    def record_false_alert(self) -> None:
        """An alert's horizon passed without a failure."""
        self.false_positives += 1

    def record_miss(self) -> None:
        """A failure arrived with no alert raised within the horizon."""
        self.false_negatives += 1

    def drain_lead_times(self) -> list[float]:
        """Return and forget the lead times recorded since the last call."""
        out, self.new_lead_times_s = self.new_lead_times_s, []
        return out

    @property
    def precision(self) -> float | None:
        """Share of judged alerts that preceded a failure; None before any verdict."""
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else None

    @property
    def recall(self) -> float | None:
        """Share of failures preceded by an alert; None before any failure."""
        failures = self.true_positives + self.false_negatives
        return self.true_positives / failures if failures else None

"""What makes one alert type raise, escalate and clear: :class:`AlertPolicy`.

A policy is static configuration (typically built once from settings at worker start) and is
shared by every asset; the per-asset memory lives in :class:`alerting.state.AlertState`.
Thresholds, durations and cooldowns are in event time, so a replay or a fast simulator sees
exactly the alerts a real-time run would.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from app.core.alerting.severity import Severity

__all__ = ["AlertPolicy"]


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Thresholds and timing of one alert type.

    Attributes:
        alert_type: name of the alert, e.g. ``bearing_failure_risk``.
        domain: owning domain, e.g. ``maintenance``, ``fleet``, ``safety``.
        raise_threshold: score at or above which the alert becomes pending, then raised.
        clear_threshold: score below which an active alert clears; strictly below
            ``raise_threshold`` so a score hovering at the threshold does not flap.
        min_duration_s: event-time seconds the score must stay at or above
            ``raise_threshold`` before raising (0 raises on the first crossing).
        cooldown_s: event-time seconds after a clear during which the alert cannot raise.
        severities: ``(score level, severity)`` pairs with strictly ascending levels; a score
            gets the severity of the highest level it reaches, or the first one below all.
        update_min_delta: an active alert emits ``updated`` only on a severity change or when
            the score moved at least this much since the last emitted transition.
    """

    alert_type: str
    domain: str
    raise_threshold: float
    clear_threshold: float
    min_duration_s: float
    cooldown_s: float
    severities: tuple[tuple[float, Severity], ...]
    update_min_delta: float = 0.1

    def __post_init__(self) -> None:
        """Reject inconsistent configuration at start-up rather than mid-stream."""
        object.__setattr__(
            self, "severities", tuple((float(lvl), Severity(sev)) for lvl, sev in self.severities)
        )
        if not self.alert_type or not self.domain:
            raise ValueError("alert_type and domain must be non-empty")
        numbers = (self.raise_threshold, self.clear_threshold, self.min_duration_s)
        if not all(math.isfinite(x) for x in (*numbers, self.cooldown_s, self.update_min_delta)):
            raise ValueError("thresholds, durations and update_min_delta must be finite")
        if self.clear_threshold >= self.raise_threshold:
            raise ValueError(
                f"clear_threshold {self.clear_threshold} must be < "
                f"raise_threshold {self.raise_threshold} (hysteresis)"
            )
        if self.min_duration_s < 0 or self.cooldown_s < 0:
            raise ValueError("min_duration_s and cooldown_s must be >= 0")
        if self.update_min_delta <= 0:
            raise ValueError("update_min_delta must be > 0")
        self._check_severities()

    def _check_severities(self) -> None:
        """Severity levels must be non-empty, finite and strictly ascending."""
        if not self.severities:
            raise ValueError("severities must list at least one (level, severity)")
        levels = [level for level, _ in self.severities]
        if not all(math.isfinite(level) for level in levels):
            raise ValueError("severity levels must be finite")
        if any(a >= b for a, b in itertools.pairwise(levels)):
            raise ValueError("severity levels must be strictly ascending")

    def severity_for(self, score: float) -> Severity:
        """Severity of ``score``: that of the highest level reached, else the lowest listed."""
        severities = self.severities
        chosen = severities[0][1]
        for level, severity in severities:
            if score < level:
                break
            chosen = severity
        return chosen

"""Human-readable one-liners for alert transitions, for operators, chat and logs.

Example: ``bearing_failure_risk WARNING on motor-0007: score 0.72 >= 0.60 for 2.0 h; top:
kurtosis 7.9 vs 3.1 (z=+6.2)``. The lifecycle composes a *reason* (what happened to the score
or which event fired) and this module adds the head and the top features.
"""

from __future__ import annotations

from app.core.alerting.evidence import Evidence
from app.core.alerting.severity import Severity
from app.core.alerting.transition import TransitionState

__all__ = ["format_duration", "top_features_text", "transition_message"]

TOP_FEATURES_SHOWN = 3


def format_duration(seconds: float) -> str:
    """Format an event-time span compactly: ``45 s``, ``12 min``, ``2.0 h``, ``3.5 d``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def top_features_text(evidence: Evidence, limit: int = TOP_FEATURES_SHOWN) -> str:
    """Render the first ``limit`` features as ``name value vs baseline (z=+z)``, comma-joined."""
    return ", ".join(
        f"{f.name} {f.value:.3g} vs {f.baseline:.3g} (z={f.z:+.1f})"
        for f in evidence.top_features[:limit]
    )


def transition_message(
    state: TransitionState,
    *,
    alert_type: str,
    severity: Severity,
    asset_id: str,
    reason: str,
    evidence: Evidence,
) -> str:
    """Compose the one-liner: head, ``reason`` and (unless cleared) the top features."""
    if state is TransitionState.CLEARED:
        return f"{alert_type} cleared on {asset_id} (was {severity.name}): {reason}"
    head = f"{alert_type} {severity.name} on {asset_id}: {reason}"
    top = top_features_text(evidence)
    return f"{head}; top: {top}" if top else head

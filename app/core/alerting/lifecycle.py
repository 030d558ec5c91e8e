"""The alert lifecycle: per event, decide whether an alert raises, updates or clears.

Score-driven alerts (:func:`evaluate`) go idle -> pending (score >= raise threshold) -> raised
once the score has stayed >= the raise threshold for ``min_duration_s`` of event time (a dip
below it resets pending) -> updated (severity change, or the score moved by at least
``update_min_delta`` since the last emitted transition) -> cleared (score < clear threshold;
between the two thresholds the alert stays active) -> cooldown (no new raise for
``cooldown_s`` after the clear; pending may still accumulate meanwhile, so a score that stays
high raises as soon as the cooldown ends).

Discrete alerts (:func:`raise_event`, :func:`clear_event`, e.g. man-down or geofence entry)
share the same state, cooldown, dedup and id rules but skip the pending phase.

Ordering and redelivery: every call carries the event time ``ts``. An event older than the
newest one already processed for this state (``ts < state.last_ts``) is ignored entirely:
nothing is emitted and the state is not touched, so late or shuffled events cannot corrupt
it. An event with the same ``ts`` as the newest is processed normally; re-processing the same
event is idempotent (nothing new is emitted), so at-least-once redelivery after a crash yields
no duplicates, and a state restored from its bytes replays to the very same transitions and
ids. Non-finite scores or times are ignored the same way.

Hot path: when nothing changes no objects are allocated; evidence may be given as a callable
that is only invoked when a transition is emitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from app.core.alerting.evidence import Evidence
from app.core.alerting.ids import alert_id
from app.core.alerting.messages import format_duration, transition_message
from app.core.alerting.policy import AlertPolicy
from app.core.alerting.severity import Severity
from app.core.alerting.state import AlertState
from app.core.alerting.transition import AlertTransition, TransitionState

__all__ = ["EvidenceSource", "clear_event", "evaluate", "raise_event"]

EvidenceSource = Evidence | Callable[[], Evidence]
"""Evidence, or a zero-argument callable building it only when a transition is emitted."""

# Absorbs float rounding so a move of exactly ``update_min_delta`` (e.g. 0.7 -> 0.6) counts.
_DELTA_EPS = 1e-9


def evaluate(
    policy: AlertPolicy,
    state: AlertState,
    *,
    asset_id: str,
    score: float,
    ts: float,
    evidence: EvidenceSource,
) -> AlertTransition | None:
    """Advance the score-driven lifecycle by one event; return the transition, if any.

    ``state`` is updated in place. See the module docstring for the rules, including what
    happens to out-of-order events (ignored).
    """
    last_ts = state.last_ts
    if (last_ts is not None and ts < last_ts) or not (math.isfinite(score) and math.isfinite(ts)):
        return None
    state.last_ts = ts
    if state.active:
        if score < policy.clear_threshold:
            since = format_duration(ts - _first_ts(state, ts))
            reason = f"score {score:.2f} < {policy.clear_threshold:.2f} after {since}"
            return _clear(policy, state, asset_id, score, ts, evidence, reason)
        return _maybe_update(policy, state, asset_id, score, ts, evidence, "")
    if score < policy.raise_threshold:
        state.pending_since = None
        return None
    since_ts = state.pending_since
    if since_ts is None:
        since_ts = state.pending_since = ts
    if ts - since_ts < policy.min_duration_s or _cooling(policy, state, ts):
        return None
    reason = (
        f"score {score:.2f} >= {policy.raise_threshold:.2f} for {format_duration(ts - since_ts)}"
    )
    severity = policy.severity_for(score)
    return _raise(policy, state, asset_id, score, ts, since_ts, severity, evidence, reason)


def raise_event(
    policy: AlertPolicy,
    state: AlertState,
    *,
    asset_id: str,
    ts: float,
    score: float = 1.0,
    severity: Severity | None = None,
    evidence: EvidenceSource | None = None,
    detail: str = "",
) -> AlertTransition | None:
    """Raise a discrete alert (no pending phase); return the transition, if any.

    ``severity`` defaults to the policy's severity for ``score``. If the alert is already
    active this deduplicates: ``None``, or ``updated`` when severity changed or the score moved
    by at least ``update_min_delta``. During the cooldown after a clear the raise is suppressed
    (``None``); use ``cooldown_s=0`` for alerts that must never be suppressed. ``detail`` is
    appended to the message (e.g. ``"zone B3"``). Evidence defaults to score and threshold only.
    """
    last_ts = state.last_ts
    if (last_ts is not None and ts < last_ts) or not (math.isfinite(score) and math.isfinite(ts)):
        return None
    state.last_ts = ts
    source = evidence if evidence is not None else _bare_evidence(score, policy.raise_threshold)
    if state.active:
        return _maybe_update(policy, state, asset_id, score, ts, source, detail, severity)
    state.pending_since = None
    if _cooling(policy, state, ts):
        return None
    chosen = severity if severity is not None else policy.severity_for(score)
    reason = _with_detail("raised by event", detail)
    return _raise(policy, state, asset_id, score, ts, ts, chosen, source, reason)


def clear_event(
    policy: AlertPolicy,
    state: AlertState,
    *,
    asset_id: str,
    ts: float,
    score: float = 0.0,
    evidence: EvidenceSource | None = None,
    detail: str = "",
) -> AlertTransition | None:
    """Clear a discrete alert; return ``cleared`` if it was active, else ``None``.

    Clearing an inactive alert only resets a pending crossing; it does not start a cooldown.
    """
    last_ts = state.last_ts
    if (last_ts is not None and ts < last_ts) or not (math.isfinite(score) and math.isfinite(ts)):
        return None
    state.last_ts = ts
    if not state.active:
        state.pending_since = None
        return None
    source = evidence if evidence is not None else _bare_evidence(score, policy.clear_threshold)
    since = format_duration(ts - _first_ts(state, ts))
    reason = _with_detail(f"cleared by event after {since}", detail)
    return _clear(policy, state, asset_id, score, ts, source, reason)


def _cooling(policy: AlertPolicy, state: AlertState, ts: float) -> bool:
    """True while the cooldown after the last clear is still running at ``ts``."""
    cleared_at = state.cleared_at
    return cleared_at is not None and ts < cleared_at + policy.cooldown_s


def _first_ts(state: AlertState, ts: float) -> float:
    """Start of the current episode (``ts`` if somehow unknown)."""
    return ts if state.first_ts is None else state.first_ts


def _raise(
    policy: AlertPolicy,
    state: AlertState,
    asset_id: str,
    score: float,
    ts: float,
    first_ts: float,
    severity: Severity,
    evidence: EvidenceSource,
    reason: str,
) -> AlertTransition:
    """Start an episode at ``first_ts`` and emit ``raised``."""
    state.active = True
    state.first_ts = first_ts
    state.pending_since = None
    state.last_score = score
    state.severity = severity
    state.episodes += 1
    return _emit(
        policy,
        state,
        TransitionState.RAISED,
        asset_id,
        score,
        ts,
        policy.raise_threshold,
        severity,
        evidence,
        reason,
    )


def _maybe_update(
    policy: AlertPolicy,
    state: AlertState,
    asset_id: str,
    score: float,
    ts: float,
    evidence: EvidenceSource,
    detail: str,
    severity: Severity | None = None,
) -> AlertTransition | None:
    """Emit ``updated`` for an active alert on a severity change or a large enough score move."""
    new_severity = severity if severity is not None else policy.severity_for(score)
    previous = state.severity
    moved = abs(score - state.last_score) >= policy.update_min_delta - _DELTA_EPS
    if new_severity is previous and not moved:
        return None
    change = "" if previous is None or new_severity is previous else f" {previous.name}"
    reason = (
        f"score {score:.2f} (was {state.last_score:.2f}{change}) "
        f"active {format_duration(ts - _first_ts(state, ts))}"
    )
    state.last_score = score
    state.severity = new_severity
    return _emit(
        policy,
        state,
        TransitionState.UPDATED,
        asset_id,
        score,
        ts,
        policy.raise_threshold,
        new_severity,
        evidence,
        _with_detail(reason, detail),
    )


def _clear(
    policy: AlertPolicy,
    state: AlertState,
    asset_id: str,
    score: float,
    ts: float,
    evidence: EvidenceSource,
    reason: str,
) -> AlertTransition:
    """End the episode, start the cooldown and emit ``cleared``."""
    severity = state.severity if state.severity is not None else policy.severity_for(score)
    state.active = False
    state.pending_since = None
    state.cleared_at = ts
    state.last_score = score
    return _emit(
        policy,
        state,
        TransitionState.CLEARED,
        asset_id,
        score,
        ts,
        policy.clear_threshold,
        severity,
        evidence,
        reason,
    )


def _emit(
    policy: AlertPolicy,
    state: AlertState,
    kind: TransitionState,
    asset_id: str,
    score: float,
    ts: float,
    threshold: float,
    severity: Severity,
    evidence: EvidenceSource,
    reason: str,
) -> AlertTransition:
    """Build the transition, materialising lazily given evidence only now."""
    built = evidence if isinstance(evidence, Evidence) else evidence()
    first_ts = _first_ts(state, ts)
    message = transition_message(
        kind,
        alert_type=policy.alert_type,
        severity=severity,
        asset_id=asset_id,
        reason=reason,
        evidence=built,
    )
    return AlertTransition(
        alert_id=alert_id(policy.domain, asset_id, policy.alert_type, first_ts),
        domain=policy.domain,
        alert_type=policy.alert_type,
        asset_id=asset_id,
        severity=severity,
        state=kind,
        ts=ts,
        first_ts=first_ts,
        score=score,
        threshold=threshold,
        message=message,
        evidence=built,
    )


def _bare_evidence(score: float, threshold: float) -> Callable[[], Evidence]:
    """Lazy evidence with only score and threshold, for discrete events given none."""
    return lambda: Evidence(top_features=(), score=score, threshold=threshold, model_version="")


def _with_detail(reason: str, detail: str) -> str:
    """Append a caller-supplied detail to a reason."""
    return f"{reason}, {detail}" if detail else reason

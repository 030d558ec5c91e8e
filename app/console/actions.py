"""Turn console API requests into the records the console publishes - or a clear 4xx.

An operator's click becomes an :class:`~schemas.AlarmAction` (acks topic) or a
:class:`~schemas.DispatcherVerdict` (verdicts topic). Each is built, then run through the very
decoder the worker applies to it, then checked against the alarm's current state with the
alarm state machine - so the console never publishes what the worker would refuse, and a bad
request changes nothing: :class:`ApiError` carries the HTTP status and a message saying what
to send instead. Plain Python: no aiohttp, no Kafka.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, TypeVar

import orjson

from app.console.view import ConsoleView
from schemas import AlarmAction, DispatcherVerdict, ValidationError
from schemas.alarm import ALARM_ACTIONS, check_actor, decode_alarm_action
from schemas.alert import INSPECTION_OUTCOMES
from schemas.vehicle import EPISODE_CLASSES, decode_verdict

__all__ = ["ApiError", "Bounds", "alarm_action", "verdict"]

SHELVE_MINUTES_MAX = 7 * 24 * 60


class ApiError(Exception):
    """A request the console refuses: HTTP ``status`` (4xx) and a message for the operator."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Bounds:
    """The event-time bounds the worker validates with (from settings)."""

    min_event_time: float
    max_future_skew_s: float


def _operator(body: Mapping[str, Any], header_user: str | None) -> Any:
    """Who acts: the authenticated user from the proxy header, else the body's ``by``."""
    if header_user is not None:
        return header_user
    if "by" not in body:
        raise ApiError(400, 'who acts? send {"by": "<your name>"} with the request')
    return body["by"]


def _check(kind: str, error: ValidationError) -> ApiError:
    return ApiError(400, f"invalid {kind}: {error.detail}")


R = TypeVar("R")


def _validated(
    decode: Callable[..., R], kind: str, record: dict[str, Any], now: float, bounds: Bounds
) -> R:
    """``record`` through the worker's own decoder: what it would refuse is a 400 here."""
    try:
        return decode(
            orjson.dumps(record),
            now=now,
            min_event_time=bounds.min_event_time,
            max_future_skew_s=bounds.max_future_skew_s,
        )
    except ValidationError as err:
        raise _check(kind, err) from None


def alarm_action(
    view: ConsoleView,
    alert_id: str,
    action: str,
    body: Mapping[str, Any],
    *,
    header_user: str | None,
    ack_id: str,
    now: float,
    bounds: Bounds,
) -> AlarmAction:
    """The operator action to publish for ``POST /api/alarms/{alert_id}/{action}``.

    ``body``: ``by`` (unless the proxy header names the user); shelve: ``minutes``; note:
    ``note``; outcome: ``outcome`` (fault_confirmed / no_fault_found) and optional ``note``.
    """
    if action not in ALARM_ACTIONS:
        raise ApiError(404, f"unknown action {action!r}; one of {', '.join(ALARM_ACTIONS)}")
    alarm = view.alarm(alert_id)
    if alarm is None:
        raise ApiError(404, f"no alarm {alert_id!r} (it may be older than the console's view)")
    record: dict[str, Any] = {
        "v": 1,
        "ack_id": ack_id,
        "alert_id": alert_id,
        "asset_id": alarm.asset_id,
        "action": action,
        "by": _operator(body, header_user),
        "ts": now,
    }
    if action == "shelve":
        minutes: Any = body.get("minutes")
        if type(minutes) not in (int, float) or not math.isfinite(minutes):
            raise ApiError(400, 'shelve needs "minutes": how long, a number')
        if not 1 <= minutes <= SHELVE_MINUTES_MAX:
            raise ApiError(400, f"minutes={minutes!r} must be within 1..{SHELVE_MINUTES_MAX}")
        record["shelve_s"] = float(minutes) * 60.0
    elif action == "note":
        record["note"] = body.get("note")
    elif action == "outcome":
        outcome = body.get("outcome")
        if outcome not in INSPECTION_OUTCOMES:
            raise ApiError(400, f"outcome must be one of {', '.join(INSPECTION_OUTCOMES)}")
        record["outcome"] = outcome
        record["note"] = body.get("note")
    decoded = _validated(decode_alarm_action, "action", record, now, bounds)
    waiting = [
        p for p in view.pending_actions(alert_id, now) if p["action"] == action and not p["late"]
    ]
    if waiting and action in ("acknowledge", "unshelve", "outcome"):
        raise ApiError(409, f"{action} already sent by {waiting[0]['by']}, waiting for the worker")
    decision = alarm.decide(decoded)
    if decision.result != "applied":
        raise ApiError(409, f"{action} does not apply: {decision.reason or decision.result}")
    return decoded


def verdict(
    view: ConsoleView,
    episode_id: str,
    body: Mapping[str, Any],
    *,
    header_user: str | None,
    now: float,
    bounds: Bounds,
) -> DispatcherVerdict:
    """The dispatcher verdict to publish for ``POST /api/episodes/{episode_id}/verdict``.

    ``body``: ``label`` (normal, traffic_detour, unauthorized), ``by`` (unless the proxy header
    names the user), optional ``note``. The same label on the same episode has the same id, so
    a double click teaches the classifier once.
    """
    episode = view.episode(episode_id)
    if episode is None:
        raise ApiError(404, f"no fleet episode {episode_id!r} in the console's view")
    label = body.get("label")
    if label not in EPISODE_CLASSES:
        raise ApiError(400, f"label must be one of {', '.join(EPISODE_CLASSES)}")
    start = float(episode["start_ts"])
    end = episode["end_ts"]
    if end is None:
        latest = view.latest_fix_ts(episode["vehicle_id"])
        end = max(start, latest if latest is not None else start)
    digest = blake2b(f"{episode_id}\x1f{label}".encode(), digest_size=8).hexdigest()
    try:
        by = check_actor(_operator(body, header_user))
    except ValidationError as err:
        raise _check("verdict", err) from None
    record = {
        "v": 1,
        "verdict_id": f"v-{digest}",
        "vehicle_id": episode["vehicle_id"],
        "ts": now,
        "episode_start_ts": start,
        "episode_end_ts": float(end),
        "label": label,
        "episode_id": episode_id,
        "note": body.get("note"),
        "by": by,
    }
    return _validated(decode_verdict, "verdict", record, now, bounds)

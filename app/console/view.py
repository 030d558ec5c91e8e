"""The console's live view: every output record folded into a bounded in-memory picture.

:meth:`ConsoleView.apply` takes one record of a topic the console follows and returns the page
sections it changed; :meth:`ConsoleView.section` renders a section as JSON-able data for the
page. Nothing here does I/O, so the console rebuilds the same view from the topics on every
start, and the tests feed records directly.

Alarms are folded with the alarm agent's own state machine (:class:`agents.alarms.alarm.Alarm`):
condition records create and update them, alarm-handling transitions apply - so the page shows
the state the worker holds. Operator actions seen on the acks topic (or just sent by this
console) show as *pending* until their transition arrives.

Bounds (memory stays flat however long it runs): :data:`HISTORY_POINTS` points per asset,
:data:`MAX_ENTITIES` assets, vehicles and workers (the least recently updated go first),
:data:`MAX_CLOSED_ALARMS` closed alarms, :data:`MAX_EPISODES` fleet episodes,
:data:`MAX_COMMANDS` commands.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from agents.alarms.alarm import (
    ALARM_TRANSITIONS,
    Alarm,
    AlarmPhase,
    AlarmTransition,
    Transition,
    transition_id,
)
from agents.alarms.engine import PENDING_ACTION_S
from agents.alarms.figures import AlarmFigures
from agents.safety.site_map import SiteMap
from app.console.redact import Redactor
from schemas import (
    ValidationError,
    decode_alarm_action,
    decode_alert,
    decode_geofence,
    decode_presence,
    decode_vehicle_telemetry,
    decode_verdict,
)

__all__ = [
    "HISTORY_POINTS",
    "MAX_CLOSED_ALARMS",
    "MAX_COMMANDS",
    "MAX_ENTITIES",
    "MAX_EPISODES",
    "PENDING_TTL_S",
    "ConsoleView",
    "Section",
    "SkippedRecord",
    "TopicKind",
]

HISTORY_POINTS = 288
MAX_ENTITIES = 5000
MAX_CLOSED_ALARMS = 300
MAX_OPEN_ALARMS = 5000
MAX_EPISODES = 400
MAX_COMMANDS = 100
MAX_GEOFENCE_EVENTS = 50
MAX_ROWS = 200
PENDING_TTL_S = 120.0
"""Seconds an operator action may wait for its transition before the page says so."""


class Section(StrEnum):
    """A part of the page, updated as a whole."""

    MAINTENANCE = "maintenance"
    FLEET = "fleet"
    SAFETY = "safety"
    ALARMS = "alarms"
    FIGURES = "figures"
    COMMANDS = "commands"


class TopicKind(StrEnum):
    """What a followed topic carries (its logical name, as in :mod:`schemas.topics`)."""

    ALERTS = "alerts"
    ALERT_ACKS = "alert_acks"
    PREDICTIONS = "predictions"
    EPISODES = "fleet_episodes"
    GEOFENCE_EVENTS = "fleet_geofence_events"
    GEOFENCES = "fleet_geofences"
    FLEET_TELEMETRY = "fleet_telemetry"
    VERDICTS = "fleet_verdicts"
    ZONE_PRESENCE = "zone_presence"
    COMMANDS = "commands"
    COMMAND_ACKS = "command_acks"


class SkippedRecord(ValueError):
    """A record the view cannot show; ``reason`` is a short code for the metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ViewLimits:
    """Validation bounds for the raw inputs the view reads (positions)."""

    min_event_time: float = 946684800.0
    max_future_skew_s: float = 300.0


def _obj(value: bytes | None) -> dict[str, Any]:
    """A JSON object or :class:`SkippedRecord`."""
    if value is None:
        raise SkippedRecord("tombstone", "no value")
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise SkippedRecord("malformed_json", str(exc)) from None
    if type(obj) is not dict:
        raise SkippedRecord("not_an_object", type(obj).__name__)
    return obj


def _str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if type(value) is not str or not value:
        raise SkippedRecord("missing_field", f"{name} is not a non-empty string")
    return value


def _finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite JSON number (not a bool), else None."""
    if type(value) in (int, float) and math.isfinite(value):
        return float(value)
    return None


def _num(obj: Mapping[str, Any], name: str, default: float | None = None) -> float:
    value = obj.get(name)
    if value is None and default is not None:
        return default
    number = _finite(value)
    if number is None:
        raise SkippedRecord("wrong_type", f"{name}={value!r} is not a finite number")
    return number


def _opt_num(obj: Mapping[str, Any], name: str) -> float | None:
    return _finite(obj.get(name))


def _still_pending(alarm: Alarm, item: Mapping[str, Any], now: float) -> bool:
    """Whether an action seen on the acks topic may still get its transition: one that the
    alarm's state has made moot (a second acknowledgement, a second outcome, unshelving an
    unshelved alarm) never will, and the worker refuses any after ``PENDING_ACTION_S``."""
    action = item["action"]
    if now - float(item["at"]) > PENDING_ACTION_S:
        return False
    if action == "acknowledge":
        return alarm.acked_at is None
    if action == "unshelve":
        return alarm.shelved_until is not None
    if action == "outcome":
        return alarm.outcome is None
    if action == "shelve":
        return not alarm.closed
    return True


def _bounded_put(store: OrderedDict[str, Any], key: str, value: Any, cap: int) -> None:
    """Insert or refresh ``key`` as the most recent; drop the least recent beyond ``cap``."""
    store[key] = value
    store.move_to_end(key)
    while len(store) > cap:
        store.popitem(last=False)


class ConsoleView:
    """The bounded live picture of every domain (see the module docstring)."""

    def __init__(
        self,
        *,
        site_map: SiteMap | None,
        figures: AlarmFigures,
        redactor: Redactor,
        tile_url: str = "",
        limits: ViewLimits | None = None,
    ) -> None:
        self.site_map = site_map
        self.figures = figures
        self.redactor = redactor
        self.tile_url = tile_url
        self.limits = limits or ViewLimits()
        self.alarms: OrderedDict[str, Alarm] = OrderedDict()
        self.evidence: dict[str, Any] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.assets: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.history: dict[str, deque[tuple[float, float, float, float]]] = {}
        self.vehicles: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.geofences: dict[str, dict[str, Any]] = {}
        self.episodes: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.geofence_events: deque[dict[str, Any]] = deque(maxlen=MAX_GEOFENCE_EVENTS)
        self.workers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.commands: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._handlers: dict[str, Callable[[bytes | None, bytes | None, float, float], set[str]]]
        self._handlers = {
            TopicKind.ALERTS: self._alert,
            TopicKind.ALERT_ACKS: self._action,
            TopicKind.PREDICTIONS: self._prediction,
            TopicKind.EPISODES: self._episode,
            TopicKind.GEOFENCE_EVENTS: self._geofence_event,
            TopicKind.GEOFENCES: self._geofence,
            TopicKind.FLEET_TELEMETRY: self._fix,
            TopicKind.VERDICTS: self._verdict,
            TopicKind.ZONE_PRESENCE: self._presence,
            TopicKind.COMMANDS: self._command,
            TopicKind.COMMAND_ACKS: self._command_ack,
        }

    # ---- input ------------------------------------------------------------------------------

    def apply(
        self, kind: str, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        """Fold one record of topic ``kind``; return the sections it changed.

        ``kafka_ts`` is the record's Kafka timestamp (an alert's announcement time), ``now``
        the wall clock (validation of raw positions). Raises :class:`SkippedRecord` for a record
        the view cannot show (it is counted and logged by the caller, nothing changes).
        """
        try:
            return self._handlers[kind](key, value, kafka_ts, now)
        except ValidationError as err:
            raise SkippedRecord(err.reason, err.detail) from None

    def _alert(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        if value is None:
            raise SkippedRecord("tombstone", "no value")
        alert = decode_alert(value)
        record = alert.to_dict()
        alarm = self.alarms.get(alert.alert_id)
        if alert.state in ALARM_TRANSITIONS:
            if alarm is None:
                raise SkippedRecord("unknown_alarm", f"{alert.state} of unseen {alert.alert_id}")
            transition = Transition.from_record(record)
            if not alarm.apply(transition):
                return set()
            if transition.kind is AlarmTransition.ACKNOWLEDGED and alarm.acked_at is not None:
                self.figures.acknowledged(alarm.alert_id, alarm.raised_at, alarm.acked_at)
            waiting = self.pending.get(alarm.alert_id, [])
            left = [p for p in waiting if p["transition_id"] != transition.transition_id]
            if left:
                self.pending[alarm.alert_id] = left
            else:
                self.pending.pop(alarm.alert_id, None)
        else:
            if alarm is None:
                alarm = Alarm.from_condition(record, kafka_ts)
                self.alarms[alarm.alert_id] = alarm
                if alert.state == "raised":
                    self.figures.announced(alarm.alert_id, kafka_ts)
            elif not alarm.condition(record, kafka_ts):
                return set()
            if alert.state != "cleared" or alarm.alert_id not in self.evidence:
                self.evidence[alarm.alert_id] = self.redactor.evidence(alarm.domain, alert.evidence)
        self.alarms.move_to_end(alarm.alert_id)
        self._prune_alarms()
        return {Section.ALARMS, Section.FIGURES, self._domain_section(alarm.domain)}

    def _action(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        if value is None:
            raise SkippedRecord("tombstone", "no value")
        action = decode_alarm_action(value, now=now, **self._bounds())
        kind = {
            "acknowledge": "acknowledged",
            "shelve": "shelved",
            "unshelve": "unshelved",
            "note": "noted",
            "outcome": "inspected",
        }[action.action]
        tid = transition_id(action.alert_id, kind, action.ack_id)
        alarm = self.alarms.get(action.alert_id)
        if alarm is not None and tid in alarm.applied:
            return set()
        waiting = self.pending.setdefault(action.alert_id, [])
        if any(p["transition_id"] == tid for p in waiting):
            return set()
        waiting.append(
            {"transition_id": tid, "action": action.action, "by": action.by, "at": action.ts}
        )
        return {Section.ALARMS}

    def _prediction(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        obj = _obj(value)
        asset = _str(obj, "asset_id")
        ts = _num(obj, "ts")
        p_fail = _num(obj, "failure_probability")
        anomaly = _num(obj, "anomaly_score")
        risk = _opt_num(obj, "risk_score")
        risk = p_fail if risk is None else risk
        features = obj.get("top_features")
        row = {
            "asset_id": asset,
            "asset_class": str(obj.get("asset_class", "")),
            "ts": ts,
            "risk": risk,
            "failure_probability": p_fail,
            "horizon_h": _num(obj, "horizon_h", 0.0),
            "time_to_failure_h": _opt_num(obj, "time_to_failure_h"),
            "anomaly_score": anomaly,
            "model_version": str(obj.get("model_version", "")),
            "top_features": [
                {k: f.get(k) for k in ("name", "value", "baseline", "z")}
                for f in (features if isinstance(features, list) else [])[:3]
                if isinstance(f, dict)
            ],
        }
        _bounded_put(self.assets, asset, row, MAX_ENTITIES)
        points = self.history.get(asset)
        if points is None:
            points = self.history[asset] = deque(maxlen=HISTORY_POINTS)
        if not points or ts > points[-1][0]:
            points.append((ts, risk, anomaly, p_fail))
        for gone in [a for a in self.history if a not in self.assets]:
            del self.history[gone]
        return {Section.MAINTENANCE}

    def _episode(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        obj = _obj(value)
        eid = _str(obj, "episode_id")
        revision = int(_num(obj, "revision", 1.0))
        known = self.episodes.get(eid)
        if known is not None and known["revision"] >= revision:
            return set()
        reasons = obj.get("reasons")
        row = {
            "episode_id": eid,
            "vehicle_id": _str(obj, "vehicle_id"),
            "start_ts": _num(obj, "start_ts"),
            "end_ts": _opt_num(obj, "end_ts"),
            "status": _str(obj, "status"),
            "label": _str(obj, "label"),
            "confidence": _num(obj, "confidence", 0.0),
            "reasons": [str(r) for r in reasons][:5] if isinstance(reasons, list) else [],
            "max_off_corridor_m": _num(obj, "max_off_corridor_m", 0.0),
            "revision": revision,
            "seen_at": kafka_ts,
        }
        _bounded_put(self.episodes, eid, row, MAX_EPISODES)
        return {Section.FLEET}

    def _geofence_event(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        obj = _obj(value)
        self.geofence_events.appendleft(
            {
                "vehicle_id": _str(obj, "vehicle_id"),
                "geofence_id": _str(obj, "geofence_id"),
                "kind": _str(obj, "kind"),
                "event": _str(obj, "event"),
                "ts": _num(obj, "ts"),
                "dwell_s": _num(obj, "dwell_s", 0.0),
            }
        )
        return {Section.FLEET}

    def _geofence(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        if value is None:
            if key is None or self.geofences.pop(key.decode("utf-8", "replace"), None) is None:
                return set()
            return {Section.FLEET}
        fence = decode_geofence(value)
        if not fence.active:
            return {Section.FLEET} if self.geofences.pop(fence.geofence_id, None) else set()
        self.geofences[fence.geofence_id] = {
            "geofence_id": fence.geofence_id,
            "kind": fence.kind,
            "lat": fence.lat,
            "lon": fence.lon,
            "radius_m": fence.radius_m,
            "name": fence.name or fence.geofence_id,
        }
        return {Section.FLEET}

    def _fix(self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float) -> set[str]:
        if value is None:
            raise SkippedRecord("tombstone", "no value")
        fix = decode_vehicle_telemetry(value, now=now, **self._bounds())
        known = self.vehicles.get(fix.vehicle_id)
        if known is not None and known["ts"] >= fix.ts:
            return set()
        _bounded_put(
            self.vehicles,
            fix.vehicle_id,
            {
                "vehicle_id": fix.vehicle_id,
                "ts": fix.ts,
                "lat": fix.lat,
                "lon": fix.lon,
                "speed_kmh": fix.speed_kmh,
                "heading_deg": fix.heading_deg,
                "ignition": fix.ignition,
                "route_id": fix.route_id,
            },
            MAX_ENTITIES,
        )
        return {Section.FLEET}

    def _verdict(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        if value is None:
            raise SkippedRecord("tombstone", "no value")
        verdict = decode_verdict(value, now=now, **self._bounds())
        target = verdict.episode_id or next(
            (
                eid
                for eid, ep in self.episodes.items()
                if ep["vehicle_id"] == verdict.vehicle_id
                and ep["start_ts"] == verdict.episode_start_ts
            ),
            None,
        )
        if target is None:
            raise SkippedRecord("unknown_episode", f"verdict {verdict.verdict_id}")
        self.verdicts[target] = {"label": verdict.label, "by": verdict.by, "ts": verdict.ts}
        for gone in [e for e in self.verdicts if e not in self.episodes]:
            del self.verdicts[gone]
        return {Section.FLEET}

    def _presence(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        if value is None:
            raise SkippedRecord("tombstone", "no value")
        presence = decode_presence(value, now=now, **self._bounds())
        worker = presence.worker_id
        known = self.workers.get(worker)
        if known is not None and known["ts"] > presence.ts:
            return set()
        if presence.state == "left":
            if known is not None and known["zone"] == presence.zone_id:
                del self.workers[worker]
                return {Section.SAFETY}
            return set()
        _bounded_put(
            self.workers,
            worker,
            {
                "worker": worker,
                "zone": presence.zone_id,
                "state": presence.state,
                "since": presence.since,
                "x_m": presence.x_m,
                "y_m": presence.y_m,
                "ts": presence.ts,
            },
            MAX_ENTITIES,
        )
        return {Section.SAFETY}

    def _command(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        obj = _obj(value)
        cid = _str(obj, "command_id")
        source = str(obj.get("source", ""))
        target = _str(obj, "asset_id")
        if source.startswith("safety"):
            target = "wearable"  # a device id is linkable to a person: not shown
        _bounded_put(
            self.commands,
            cid,
            {
                "command_id": cid,
                "asset_id": target,
                "action": _str(obj, "action"),
                "reason": str(obj.get("reason", "")),
                "source": source,
                "issued_at": _num(obj, "issued_at", kafka_ts),
                "status": (self.commands.get(cid) or {}).get("status"),
            },
            MAX_COMMANDS,
        )
        return {Section.COMMANDS}

    def _command_ack(
        self, key: bytes | None, value: bytes | None, kafka_ts: float, now: float
    ) -> set[str]:
        obj = _obj(value)
        command = self.commands.get(_str(obj, "command_id"))
        if command is None:
            return set()
        command["status"] = _str(obj, "status")
        return {Section.COMMANDS}

    # ---- output -----------------------------------------------------------------------------

    def section(self, name: str, now: float) -> dict[str, Any]:
        """The JSON-able content of section ``name`` at wall-clock ``now``."""
        render: dict[str, Callable[[float], dict[str, Any]]] = {
            Section.MAINTENANCE: self._maintenance_section,
            Section.FLEET: self._fleet_section,
            Section.SAFETY: self._safety_section,
            Section.ALARMS: self._alarms_section,
            Section.FIGURES: lambda t: self.figures.read(t, self.alarms.values()).to_dict(),
            Section.COMMANDS: self._commands_section,
        }
        return render[name](now)

    def asset_history(self, asset_id: str) -> dict[str, Any] | None:
        """The risk and anomaly history of one asset (event time), or None if unknown."""
        points = self.history.get(asset_id)
        if points is None:
            return None
        return {
            "asset_id": asset_id,
            "ts": [p[0] for p in points],
            "risk": [p[1] for p in points],
            "anomaly": [p[2] for p in points],
            "failure_probability": [p[3] for p in points],
        }

    def pending_actions(self, alert_id: str, now: float) -> list[dict[str, Any]]:
        """Operator actions on ``alert_id`` still waiting for their transition."""
        alarm = self.alarms.get(alert_id)
        return [] if alarm is None else self._alarm_row(alarm, now)["pending"]

    def alarm(self, alert_id: str) -> Alarm | None:
        """The alarm ``alert_id`` if the view holds it."""
        return self.alarms.get(alert_id)

    def episode(self, episode_id: str) -> dict[str, Any] | None:
        """The newest revision of fleet episode ``episode_id`` if the view holds it."""
        return self.episodes.get(episode_id)

    def latest_fix_ts(self, vehicle_id: str) -> float | None:
        """Event time of the vehicle's newest fix seen, if any."""
        vehicle = self.vehicles.get(vehicle_id)
        return None if vehicle is None else float(vehicle["ts"])

    # ---- sections ---------------------------------------------------------------------------

    def _maintenance_section(self, now: float) -> dict[str, Any]:
        open_alarms = self._open_alarm_phases("maintenance")
        rows = sorted(self.assets.values(), key=lambda r: (-r["risk"], r["asset_id"]))
        return {
            "assets": [
                {**row, "alarm": open_alarms.get(row["asset_id"])} for row in rows[:MAX_ROWS]
            ],
            "tracked": len(self.assets),
        }

    def _fleet_section(self, now: float) -> dict[str, Any]:
        open_alarms = self._open_alarm_phases("fleet")
        episodes = sorted(
            self.episodes.values(),
            key=lambda e: (e["status"] == "final", -e["start_ts"]),
        )
        return {
            "tile_url": self.tile_url,
            "vehicles": [
                {**v, "alarm": open_alarms.get(v["vehicle_id"])} for v in self.vehicles.values()
            ],
            "geofences": list(self.geofences.values()),
            "episodes": [
                {**e, "verdict": self.verdicts.get(e["episode_id"])} for e in episodes[:MAX_ROWS]
            ],
            "open_episodes": sum(1 for e in self.episodes.values() if e["status"] != "final"),
            "geofence_events": list(self.geofence_events),
        }

    def _safety_section(self, now: float) -> dict[str, Any]:
        site = self.site_map
        return {
            "site": None
            if site is None
            else {
                "name": site.name,
                "extent": list(site.extent),
                "default_zone": site.default.id,
                "zones": [
                    {"id": z.id, "name": z.name, "risk": z.risk, "rect": list(z.rect or ())}
                    for z in site.zones
                ],
            },
            "workers": list(self.workers.values()),
        }

    def _alarms_section(self, now: float) -> dict[str, Any]:
        open_alarms = [a for a in self.alarms.values() if not a.closed]
        closed = [a for a in reversed(self.alarms.values()) if a.closed][:MAX_CLOSED_ALARMS]
        rank = {
            AlarmPhase.UNACKNOWLEDGED: 0,
            AlarmPhase.CLEARED_UNACKNOWLEDGED: 1,
            AlarmPhase.ACKNOWLEDGED: 2,
            AlarmPhase.SHELVED: 3,
            AlarmPhase.CLEARED: 4,
        }
        severity = {"critical": 0, "warning": 1, "info": 2}
        open_alarms.sort(key=lambda a: (rank[a.phase], severity.get(a.severity, 3), -a.raised_at))
        return {
            "alarms": [self._alarm_row(a, now) for a in [*open_alarms, *closed][: MAX_ROWS * 3]],
            "open": len(open_alarms),
        }

    def _alarm_row(self, alarm: Alarm, now: float) -> dict[str, Any]:
        shown = self.redactor.asset(alarm.domain, alarm.alert_type, alarm.asset_id)
        pending = [
            {**p, "late": now - float(p["at"]) > PENDING_TTL_S}
            for p in self.pending.get(alarm.alert_id, [])
            if _still_pending(alarm, p, now)
        ]
        return {
            "alert_id": alarm.alert_id,
            "domain": alarm.domain,
            "alert_type": alarm.alert_type,
            "asset_id": shown,
            "severity": alarm.severity,
            "phase": alarm.phase.value,
            "active": alarm.active,
            "message": self.redactor.message(alarm.message, alarm.asset_id, shown),
            "first_ts": alarm.first_ts,
            "raised_at": alarm.raised_at,
            "acked_at": alarm.acked_at,
            "acked_by": alarm.acked_by,
            "shelved_until": alarm.shelved_until,
            "shelved_by": alarm.shelved_by,
            "level": alarm.level,
            "outcome": alarm.outcome,
            "outcome_by": alarm.outcome_by,
            "notes": [{"ts": t, "by": b, "text": n} for t, b, n in alarm.notes],
            "evidence": self.evidence.get(alarm.alert_id, {}),
            "pending": pending,
        }

    def _commands_section(self, now: float) -> dict[str, Any]:
        return {"commands": list(reversed(self.commands.values()))}

    # ---- internals --------------------------------------------------------------------------

    def _open_alarm_phases(self, domain: str) -> dict[str, str]:
        """Asset -> phase of its most urgent open alarm in ``domain``."""
        order = {
            AlarmPhase.UNACKNOWLEDGED: 0,
            AlarmPhase.CLEARED_UNACKNOWLEDGED: 1,
            AlarmPhase.ACKNOWLEDGED: 2,
            AlarmPhase.SHELVED: 3,
        }
        out: dict[str, tuple[int, str]] = {}
        for alarm in self.alarms.values():
            phase = alarm.phase
            if alarm.domain != domain or phase is AlarmPhase.CLEARED:
                continue
            best = out.get(alarm.asset_id)
            if best is None or order[phase] < best[0]:
                out[alarm.asset_id] = (order[phase], phase.value)
        return {asset: phase for asset, (_, phase) in out.items()}

    def _prune_alarms(self) -> None:
        closed = [k for k, a in self.alarms.items() if a.closed]
        for key in closed[: max(len(closed) - MAX_CLOSED_ALARMS, 0)]:
            self._forget(key)
        while len(self.alarms) > MAX_OPEN_ALARMS + MAX_CLOSED_ALARMS:
            self._forget(next(iter(self.alarms)))

    def _forget(self, alert_id: str) -> None:
        del self.alarms[alert_id]
        self.evidence.pop(alert_id, None)
        self.pending.pop(alert_id, None)

    def _domain_section(self, domain: str) -> str:
        return {
            "maintenance": Section.MAINTENANCE,
            "fleet": Section.FLEET,
            "safety": Section.SAFETY,
        }.get(domain, Section.ALARMS)

    def _bounds(self) -> dict[str, float]:
        return {
            "min_event_time": self.limits.min_event_time,
            "max_future_skew_s": self.limits.max_future_skew_s,
        }

"""The safety zone engine: zone presence in (keyed by zone), stationary-group alerts out.

Each zone keeps its members - who is there, stationary since when, last heard of - and its
event-time watermark. A member's dwell is what its own newest record proves
(``last_ts - since``), never extrapolated. In a high-risk zone, when at least K members have
each been stationary for at least T seconds a ``stationary_cluster`` alert is raised with who
(pseudonyms), where (zone, centre of the group) and how long; it is updated when the group
grows or shrinks and cleared when fewer than K remain. A raise is stamped with the newest event
time among the group's own records (when the condition is proven; never past the wall clock),
not the zone's watermark, which readings of other workers from other partitions may have
moved ahead. Each member of
the group gets a haptic warning once per episode. Members not heard of for
``presence_stale_s`` before the watermark are dropped (a wearable switched off must not hold a
zone's state); the watermark never passes the wall clock, so one wearable with a fast clock
cannot make the others look stale. A rejected record is dead-lettered redacted like a wearable
reading (:mod:`safety.redaction`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from agents.safety.commands import command_output, haptic_warning
from agents.safety.config import STATIONARY_CLUSTER, SafetyConfig
from agents.safety.redaction import redact_wearable
from agents.safety.worker_engine import MODEL_VERSION
from agents.safety.zone_state import Member, ZoneState
from app.core import (
    Entry,
    KeyedEngine,
    Output,
    RecordMeta,
    Route,
    StateLoader,
    StreamLimits,
    dead_letter,
)
from app.core.alerting import AlertTransition, Evidence, alert_output, clear_event, raise_event
from schemas import ValidationError
from schemas.wearable import ZonePresence, decode_presence

__all__ = ["ZoneEngine"]


class ZoneEngine(KeyedEngine[ZoneState]):
    """Stateful processor of one zone-agent's partitions (see the module docstring)."""

    def __init__(
        self,
        config: SafetyConfig,
        limits: StreamLimits,
        load_state: StateLoader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(load_state, ZoneState.from_bytes, limits, clock)
        self.config = config
        self.route(
            "presence",
            Route(
                decode=self.timed(decode_presence),
                key=lambda presence: presence.zone_id,
                create=lambda presence: ZoneState(),
                apply=self._on_presence,
            ),
        )

    def dead_letter(self, raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Output:
        """Dead letters of presence records are redacted like wearable readings."""
        return dead_letter(redact_wearable(raw, self.config.biometric_fields), err, meta, now)

    def _on_presence(
        self, presence: ZonePresence, entry: Entry[ZoneState], now: float
    ) -> list[Output]:
        """One worker's presence in the zone: members, watermark, the group alert."""
        entry.touch()
        state = entry.state
        # Never ahead of the wall clock: a wearable whose clock runs fast (accepted up to
        # max_future_skew_s) must not make every other member look stale and blind the zone.
        event_ts = min(presence.ts, now)
        if math.isnan(state.watermark) or event_ts > state.watermark:
            state.watermark = event_ts
        self._update_member(state, presence)
        self._forget_stale(state)
        return self._evaluate(presence.zone_id, entry, now)

    def _update_member(self, state: ZoneState, p: ZonePresence) -> None:
        member = state.members.get(p.worker_id)
        if member is not None and p.ts < member.last_ts:
            return  # older than what the zone already knows of this worker
        if p.state == "left":
            state.members.pop(p.worker_id, None)
            return
        stationary = p.state == "stationary"
        if member is None:
            state.members[p.worker_id] = Member(
                stationary, p.since, p.ts, p.x_m, p.y_m, p.device_id or ""
            )
            return
        if not stationary or p.since != member.since:
            member.warned = False
        member.stationary, member.since, member.last_ts = stationary, p.since, p.ts
        member.x, member.y = p.x_m, p.y_m
        member.device_id = p.device_id or member.device_id

    def _forget_stale(self, state: ZoneState) -> None:
        horizon = state.watermark - self.config.presence_stale_s
        for worker in [w for w, m in state.members.items() if m.last_ts < horizon]:
            del state.members[worker]

    def _evaluate(self, zone_id: str, entry: Entry[ZoneState], now: float) -> list[Output]:
        cfg = self.config
        state = entry.state
        zone = cfg.site_map.zone(zone_id)
        if zone is None or not zone.high_risk:
            return []
        group = sorted(
            (
                (worker, m)
                for worker, m in state.members.items()
                if m.stationary and m.last_ts - m.since >= cfg.cluster_min_dwell_s
            ),
            key=lambda item: item[1].since,
        )
        policy = cfg.policies[STATIONARY_CLUSTER]
        transition: AlertTransition | None
        if len(group) >= cfg.cluster_min_workers:
            # When the group's own records prove it, but not past the wall clock (a fast
            # wearable clock) nor before the zone's last transition (a clear is stamped with the
            # watermark, which another partition may have moved on): the alert lifecycle
            # ignores a stamp older than its last one, and a later clear must not be ignored.
            ts = min(max(m.last_ts for _, m in group), now)
            if state.alert.last_ts is not None:
                ts = max(ts, state.alert.last_ts)
            dwells = [m.last_ts - m.since for _, m in group]
            group_dwell = sorted(dwells, reverse=True)[cfg.cluster_min_workers - 1]
            cx = sum(m.x for _, m in group) / len(group)
            cy = sum(m.y for _, m in group) / len(group)
            evidence = Evidence(
                top_features=(),
                score=float(len(group)),
                threshold=float(cfg.cluster_min_workers),
                model_version=MODEL_VERSION,
                extra={
                    "zone": zone.id,
                    "zone_name": zone.name,
                    "zone_risk": zone.risk,
                    "workers": [
                        {"worker_id": w, "stationary_s": round(d, 1)}
                        for (w, _), d in zip(group, dwells, strict=True)
                    ],
                    "group_stationary_s": round(group_dwell, 1),
                    "longest_stationary_s": round(max(dwells), 1),
                    "center_m": [round(cx, 1), round(cy, 1)],
                    "min_workers": cfg.cluster_min_workers,
                    "min_dwell_s": cfg.cluster_min_dwell_s,
                },
            )
            transition = raise_event(
                policy,
                state.alert,
                asset_id=zone_id,
                ts=ts,
                score=float(len(group)),
                evidence=evidence,
                detail=(
                    f"{len(group)} workers stationary for >= {group_dwell:.0f} s in "
                    f"{zone.id} ({zone.name})"
                ),
            )
        elif state.alert.active:
            transition = clear_event(
                policy,
                state.alert,
                asset_id=zone_id,
                ts=state.watermark,
                score=float(len(group)),
                detail=f"{len(group)} stationary workers left in {zone.id}",
            )
        else:
            transition = None  # nothing to clear (and the raise clock is not moved on)
        out: list[Output] = []
        if transition is not None:
            entry.touch()
            out.append(alert_output(transition))
        if state.alert.active:
            for worker, member in group:
                if member.warned:
                    continue
                member.warned = True
                command = haptic_warning(
                    "cluster",
                    worker=worker,
                    device=member.device_id,
                    site="",
                    reason=f"group stationary in high-risk zone {zone.id}: move on",
                    trigger_ts=member.since,
                    now=now,
                )
                out.append(command_output(command))
        return out

"""Alarm-management figures: rate per 10 minutes, flood share, standing alarms, time to ack."""

from __future__ import annotations

import orjson

from agents.alarms.alarm import Alarm
from agents.alarms.figures import PERIOD_S, AlarmFigures

T0 = 1_800_000_000.0 - (1_800_000_000.0 % PERIOD_S)  # the start of a 10-minute period


def alarm(alert_id: str, raised_at: float, active: bool = True) -> Alarm:
    record = {
        "alert_id": alert_id,
        "domain": "safety",
        "alert_type": "man_down",
        "asset_id": "p-0123456789abcdef0123",
        "severity": "critical",
        "state": "raised" if active else "cleared",
        "ts": raised_at,
        "first_ts": raised_at,
        "score": 1.0,
        "threshold": 1.0,
        "message": "m",
        "evidence": {},
    }
    return Alarm.from_condition(orjson.loads(orjson.dumps(record)), raised_at)


def test_flood_share_counts_periods_over_the_threshold():
    figures = AlarmFigures(flood_threshold=3)
    for i in range(5):  # period 0: 5 alarms, a flood
        figures.announced(f"a{i}", T0 + i)
    figures.announced("a0", T0 + 99)  # a repeat is not a new alarm
    figures.announced("b", T0 + PERIOD_S + 1)  # period 1: one alarm
    now = T0 + 3 * PERIOD_S + 5  # periods 0..3 observed
    read = figures.read(now, [])
    assert read.flood_share == 0.25
    assert read.alarms_per_10min == 1.5
    assert read.alarms_last_10min == 0
    assert figures.read(T0 + PERIOD_S - 1, []).alarms_last_10min == 5
    assert figures.read(T0 + PERIOD_S + 2, []).alarms_last_10min == 3  # a3, a4 and b


def test_standing_stale_unacknowledged_and_shelved():
    figures = AlarmFigures(stale_after_s=3600.0)
    old = alarm("old", T0)
    fresh = alarm("fresh", T0 + 7000.0)
    fresh.acked_at = T0 + 7010.0
    gone = alarm("gone", T0, active=False)
    shelved = alarm("shelved", T0 + 7100.0)
    shelved.shelved_until = T0 + 9000.0
    read = figures.read(T0 + 7200.0, [old, fresh, gone, shelved])
    assert (read.standing, read.stale, read.unacknowledged, read.shelved) == (3, 1, 2, 1)


def test_time_to_acknowledge_median_and_p90_once_per_alarm():
    figures = AlarmFigures()
    for i, wait in enumerate([10.0, 20.0, 30.0, 40.0, 500.0]):
        figures.acknowledged(f"a{i}", T0, T0 + wait)
    figures.acknowledged("a0", T0, T0 + 9999.0)
    read = figures.read(T0, [])
    assert (read.ack_median_s, read.ack_p90_s) == (30.0, 500.0)
    assert AlarmFigures().read(T0, []).ack_median_s is None

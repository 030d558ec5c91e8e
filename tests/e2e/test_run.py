"""``make run`` end to end: broker, worker, console, MQTT, edge and simulator, JSON summary last."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import orjson
import pytest

from app.embedded.worker_process import REPO

pytestmark = pytest.mark.e2e


def _orphans() -> set[str]:
    """Broker or aiot processes adopted by init: what a run that leaks children leaves behind
    (processes of other, still-running parents on the machine are not counted)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,cmd"], capture_output=True, text=True)
    return {
        line
        for line in out.stdout.splitlines()
        if line.split()[1:2] == ["1"] and ("tansu" in line or "app.cli" in line)
    }


def test_run_prints_the_summary_last_and_leaves_no_process_behind():
    env = dict(os.environ, AIOT_SIM_SPEEDUP="36000")
    env.pop("AIOT_BROKER_URL", None)
    before = _orphans()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", "--duration", "12"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"operations console at http://127\.0\.0\.1:\d+/", done.stdout)
    summary = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert set(summary) >= {"duration_s", "events", "dead_letters", "predictions", "alerts"}
    assert set(summary["maintenance"]) == {
        "failures",
        "predicted",
        "median_lead_hours",
        "false_alerts",
        "motor_months",
    }
    assert summary["events"] > 1000 and summary["predictions"] > 0
    assert summary["edge"]["readings_in"] > 1000  # motors publish through MQTT and the edge
    assert set(summary["fleet"]) == {
        "episodes",
        "classified_correctly",
        "macro_f1",
        "false_unauthorized",
        "vehicle_days",
    }
    assert set(summary["safety"]) == {
        "fatigue_episodes",
        "fatigue_detected",
        "man_down",
        "man_down_detected",
        "clusters",
        "clusters_detected",
        "false_alerts",
        "median_alert_latency_s",
    }
    assert summary["fleet"]["vehicle_days"] > 0
    assert summary["dead_letters"] > 0
    assert _orphans() - before == set()

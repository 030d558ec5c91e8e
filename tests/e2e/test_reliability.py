"""Same answer after a backlog, a crash or a rebalance; no record can crash an agent.

The scenarios are those of ``make bench-reliability`` (:mod:`benchmarks.reliability`), run on
the session broker: the same readings and maintenance labels processed as a stream in
event-time order, as a backlog with the labels first, with the worker killed (SIGKILL)
part-way, and with one of two workers stopped and restarted, end in byte-equal per-asset
states and the same alerts; poison pills become dead letters and the valid readings around them
are processed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benchmarks.reliability import ASSETS, poison, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def start() -> float:
    return float(int(time.time()) - 60 * 86400)


@pytest.fixture(scope="module")
def backlog(kafka_url: str, kafka_bootstrap: str, tmp_path_factory, start: float):
    """The reference: a backlog produced before the worker starts, labels first."""
    outcome = run(kafka_url, kafka_bootstrap, tmp_path_factory.mktemp("backlog"), start, "backlog")
    assert len(outcome.states) == len(ASSETS)
    assert outcome.alerts, "the drifting assets must raise alerts for the comparisons to mean much"
    return outcome


def test_a_backlog_with_labels_first_ends_like_the_stream_in_event_time_order(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path, start: float, backlog
) -> None:
    streamed = run(kafka_url, kafka_bootstrap, tmp_path, start, "stream")
    assert streamed.states == backlog.states, streamed.log[-3000:]
    assert streamed.alerts == backlog.alerts


def test_a_killed_and_restarted_worker_ends_in_the_same_states_and_alerts(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path, start: float, backlog
) -> None:
    crashed = run(kafka_url, kafka_bootstrap, tmp_path, start, "crash")
    assert crashed.states == backlog.states, crashed.log[-3000:]
    assert crashed.alerts == backlog.alerts
    assert crashed.restart_to_processing_s is not None


@pytest.mark.xfail(
    not os.environ.get("AIOT_TEST_BROKER_URL"),
    reason="Tansu answers ListOffsets with the last batch's base offset + 1, so Faust's "
    "recovery of a moved partition stops before the changelog's newest writes; holds on Kafka",
    strict=False,
)
def test_a_worker_leaving_and_rejoining_the_group_changes_nothing(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path, start: float, backlog
) -> None:
    rebalanced = run(kafka_url, kafka_bootstrap, tmp_path, start, "rebalance")
    assert rebalanced.states == backlog.states, rebalanced.log[-3000:]
    assert rebalanced.alerts == backlog.alerts


def test_poison_pills_become_dead_letters_and_the_readings_around_them_are_processed(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    pills = poison(kafka_url, kafka_bootstrap, tmp_path)
    assert sorted(str(d["reason"]) for d in pills.letters) == [
        "malformed_json",
        "nested_too_deep",
    ]
    assert pills.stored == {b"motor-p1", b"motor-p3"}  # both valid readings were applied
    assert "Crashed" not in pills.log
    assert pills.ok, pills.log[-3000:]

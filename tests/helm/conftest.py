"""Fixtures of the Helm chart tests: rendered manifests, an embedded broker, a live worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.embedded.broker import EmbeddedBroker
from app.embedded.worker_process import WorkerProcess
from tests.helm.support import Manifest, deep_merge, load_values, render

WORKER_START_TIMEOUT_S = 60.0
# Answers that may precede a serving /metrics while the web server starts.
RETRY_STATUSES = frozenset({404, 503})

# values-production.yaml plus every optional toggle it leaves off (HPA excluded: it is
# mutually exclusive with KEDA and rendered separately).
ALL_TOGGLES: dict[str, Any] = {
    "edge": {
        "enabled": True,
        "mqtt": {"url": "mqtt://mqtt.example.com:8883", "existingSecret": "aiot-mqtt"},
    },
}


@pytest.fixture(scope="session")
def default_manifests() -> list[Manifest]:
    """The chart rendered with its default values."""
    return render()


@pytest.fixture(scope="session")
def production_values() -> dict[str, Any]:
    """values-production.yaml with every optional toggle switched on."""
    return deep_merge(load_values("values-production.yaml"), ALL_TOGGLES)


@pytest.fixture(scope="session")
def production_manifests(production_values: dict[str, Any]) -> list[Manifest]:
    """The chart rendered with the production values and every toggle on."""
    return render(production_values)


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """One embedded Kafka-protocol broker for the tests that need a real cluster."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="session")
def worker_metrics(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The /metrics text of a real ``aiot worker`` running against the embedded broker."""
    workdir = tmp_path_factory.mktemp("worker")
    with WorkerProcess(broker.url, workdir, app_id="aiot-helm-metrics") as worker:
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while True:
            status, body = worker.get("/metrics")
            if status == 200:
                return body
            if status not in RETRY_STATUSES and status != 0:
                pytest.fail(f"/metrics answered HTTP {status}:\n{worker.log_tail()}")
            if worker.proc is None or worker.proc.poll() is not None:
                pytest.fail(f"aiot worker exited before serving /metrics:\n{worker.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"aiot worker did not serve /metrics in time:\n{worker.log_tail()}")
            time.sleep(0.25)

"""Fixtures of the Helm chart tests: rendered manifests, an embedded broker, a live worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded.broker import EmbeddedBroker, free_port
from tests.helm.support import REPO, Manifest, deep_merge, load_values, render

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


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the worker and wait for it; SIGKILL only if it ignores the request."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def worker_metrics(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The /metrics text of a real ``aiot worker`` running against the embedded broker."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("worker-data")
    log_path = Path(tmp_path_factory.mktemp("worker-log")) / "worker.log"
    env = dict(
        os.environ,
        AIOT_BROKER_URL=broker.url,
        AIOT_WEB_PORT=str(port),
        AIOT_WEB_HOST="127.0.0.1",
        AIOT_DATA_DIR=str(data_dir),
        AIOT_APP_ID="aiot-helm-metrics",
    )
    url = f"http://127.0.0.1:{port}/metrics"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + WORKER_START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"aiot worker exited with {proc.returncode} before serving /metrics:\n"
                        + log_path.read_text(errors="replace")[-4000:]
                    )
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        return response.read().decode("utf-8")
                except urllib.error.HTTPError as exc:
                    if exc.code not in RETRY_STATUSES:
                        pytest.fail(
                            f"{url} answered HTTP {exc.code}:\n"
                            + log_path.read_text(errors="replace")[-4000:]
                        )
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"aiot worker did not serve {url} within {WORKER_START_TIMEOUT_S:.0f} s:\n"
                        + log_path.read_text(errors="replace")[-4000:]
                    )
                time.sleep(0.25)
        finally:
            _stop(proc)

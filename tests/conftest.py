"""Shared fixtures: one Kafka-protocol broker per test session.

The embedded Tansu broker by default; set ``AIOT_TEST_BROKER_URL`` (e.g. kafka://host:9092) to
run the same tests against a real Apache Kafka instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.embedded.broker import EmbeddedBroker

SHARED_BENCHMARKS = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


@pytest.fixture(scope="session")
def kafka_url() -> Iterator[str]:
    """A ``kafka://host:port`` URL of a running broker for the whole session."""
    external = os.environ.get("AIOT_TEST_BROKER_URL")
    if external:
        yield external
        return
    with EmbeddedBroker() as broker:
        yield broker.url


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_url: str) -> str:
    """``host:port`` of the session broker, for aiokafka clients."""
    return kafka_url.split("://", 1)[1]

"""Every CLI mistake a person makes ends in one line saying what is wrong, and an exit code.

The table runs each mistake through the real ``aiot`` entry point (in process, for speed; the
last tests run the console command itself for what only a process shows: a closed pipe,
``--debug``). Exit codes: 2 configuration, 3 connection (see :mod:`app.cli.errors`).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from app.cli.main import main
from app.embedded.broker import free_port

REPO = Path(__file__).resolve().parents[3]
UNREACHABLE = "kafka://127.0.0.1:{free}"
MISSING_TOPIC = f"nosuchtopic-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Mistake:
    """One mistake: the command line, its environment, the exit code and the line expected."""

    name: str
    argv: list[str]
    code: int
    line: str
    env: dict[str, str] = field(default_factory=dict)
    broker: bool = False


MISTAKES = [
    Mistake(
        "wrong broker address",
        ["worker"],
        3,
        r"aiot worker: cannot reach Kafka at 127\.0\.0\.1:\d+: connection refused - is the "
        r"broker running",
        {"AIOT_BROKER_URL": UNREACHABLE},
    ),
    Mistake(
        "http:// broker URL",
        ["worker"],
        2,
        r"aiot worker: AIOT_BROKER_URL='http://localhost:9092': http:// is not a Kafka "
        r"address: give kafka://host:port",
        {"AIOT_BROKER_URL": "http://localhost:9092"},
    ),
    Mistake(
        "partitions not a number",
        ["settings"],
        2,
        r"aiot settings: AIOT_PARTITIONS='abc' is not a whole number",
        {"AIOT_PARTITIONS": "abc"},
    ),
    Mistake(
        "unknown table store",
        ["worker"],
        2,
        r"aiot worker: AIOT_STORE='foo://': must be memory:// \(development\) or rocksdb://",
        {"AIOT_STORE": "foo://"},
    ),
    Mistake(
        "unknown table store, in settings",
        ["settings"],
        2,
        r"aiot settings: AIOT_STORE='foo://': must be memory://",
        {"AIOT_STORE": "foo://"},
    ),
    Mistake(
        "misspelt setting name",
        ["settings"],
        2,
        r"aiot settings: AIOT_PARTITON is not a setting \(did you mean AIOT_PARTITIONS\?\)",
        {"AIOT_PARTITON": "4"},
    ),
    Mistake(
        "unknown domain",
        ["worker"],
        2,
        r"aiot worker: AIOT_DOMAINS names unknown domains pumps; known: alarms, fleet, maintenance",
        {"AIOT_DOMAINS": "maintenance,pumps"},
    ),
    Mistake(
        "security protocol misspelt",
        ["topics", "check"],
        2,
        r"aiot topics: AIOT_BROKER_SECURITY_PROTOCOL='SASL-SSL': must be one of PLAINTEXT, SSL",
        {"AIOT_BROKER_URL": "kafka://localhost:9092", "AIOT_BROKER_SECURITY_PROTOCOL": "SASL-SSL"},
    ),
    Mistake(
        "tail of a topic that does not exist",
        ["tail", MISSING_TOPIC],
        2,
        rf"aiot tail: topic '{MISSING_TOPIC}' does not exist on 127\.0\.0\.1:\d+; give a "
        r"logical name \(telemetry, ",
        broker=True,
    ),
    Mistake(
        "tail of a worker topic not created yet",
        ["tail", "predictions"],
        2,
        r"aiot tail: topic 'aiot\.machine\.predictions\.v1\.\w+' does not exist on "
        r"127\.0\.0\.1:\d+ yet: `aiot topics create` \(or `aiot worker`\) creates it",
        {"AIOT_TOPIC_PREDICTIONS": f"aiot.machine.predictions.v1.{uuid.uuid4().hex[:8]}"},
        broker=True,
    ),
    Mistake(
        "tail without a broker",
        ["tail", "alerts"],
        2,
        r"aiot tail: AIOT_BROKER_URL is not set: start `aiot broker` and export its URL",
    ),
    Mistake(
        "tail of an unreachable broker",
        ["tail", "alerts"],
        3,
        r"aiot tail: cannot reach Kafka at 127\.0\.0\.1:\d+: connection refused",
        {"AIOT_BROKER_URL": UNREACHABLE},
    ),
    Mistake(
        "topics of an unreachable broker",
        ["topics", "check"],
        3,
        r"aiot topics: cannot reach Kafka at 127\.0\.0\.1:\d+: connection refused",
        {"AIOT_BROKER_URL": UNREACHABLE},
    ),
    Mistake(
        "simulate into an unreachable broker",
        ["simulate", "--duration", "1"],
        3,
        r"aiot simulate: cannot reach Kafka at 127\.0\.0\.1:\d+: connection refused",
        {"AIOT_BROKER_URL": UNREACHABLE},
    ),
    Mistake(
        "edge with an http:// Kafka URL",
        ["edge", "--kafka-url", "http://localhost:9092"],
        2,
        r"aiot edge: --kafka-url 'http://localhost:9092': http:// is not a Kafka address",
    ),
    Mistake(
        "detect a file that does not exist",
        ["detect", "no-such-file.csv", "-o", "out.csv"],
        2,
        r"aiot detect: \[Errno 2\] No such file or directory: 'no-such-file.csv'",
    ),
    Mistake(
        "edge port out of range",
        ["edge", "--kafka-url", "kafka://localhost:9092"],
        2,
        r"aiot edge: AIOT_EDGE_WEB_PORT='70000': must be a TCP port, 0 to 65535",
        {"AIOT_EDGE_WEB_PORT": "70000"},
    ),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ``AIOT_*`` variable of the caller leaks into a case; the working dir is scratch."""
    for name in list(os.environ):
        if name.startswith("AIOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_ends_in_one_line_and_its_exit_code(
    mistake: Mistake, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], request
):
    env = dict(mistake.env)
    if mistake.broker:
        env["AIOT_BROKER_URL"] = request.getfixturevalue("kafka_url")
    for name, value in env.items():
        clean_env.setenv(name, value.format(free=free_port()))
    code = main(mistake.argv)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == mistake.code, lines
    assert len(lines) == 1, lines
    assert re.match(mistake.line, lines[0]), lines[0]


def _topics(bootstrap: str) -> list[str]:
    async def go() -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return list(await admin.list_topics())
        finally:
            await admin.close()

    return asyncio.run(go())


@pytest.mark.e2e
def test_tail_of_a_missing_topic_does_not_create_it(kafka_url, kafka_bootstrap, clean_env):
    clean_env.setenv("AIOT_BROKER_URL", kafka_url)
    name = f"nosuchtopic-{uuid.uuid4().hex[:8]}"
    assert main(["tail", name]) == 2
    assert name not in _topics(kafka_bootstrap)


def test_a_broker_port_in_use_is_refused(clean_env, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["broker", "--port", str(port)])
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.startswith(f"aiot broker: port {port} is in use")


def _aiot(*argv: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIOT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=REPO,
        env={**clean, **(env or {})},
        stderr=subprocess.PIPE,
        **kwargs,
    )


def test_a_reader_that_goes_away_ends_the_output_quietly():
    proc = _aiot("settings", stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # like `aiot settings | head -0`: nobody reads
    _, err = proc.communicate(timeout=60)
    assert err == b""
    assert proc.returncode == 141


def test_debug_shows_the_traceback_instead_of_one_line():
    proc = _aiot("--debug", "worker", env={"AIOT_STORE": "foo://"}, stdout=subprocess.DEVNULL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"Traceback" in err and b"SettingsError" in err


def test_an_unknown_name_is_a_one_line_warning_for_other_commands(clean_env, capsys):
    clean_env.setenv("AIOT_SIM_MOTRS", "3")
    assert main(["schemas", "--out", "."]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("aiot: warning: AIOT_SIM_MOTRS is not a setting (did you mean")

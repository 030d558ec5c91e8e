"""Start and stop an embedded MQTT broker (``amqtt``) for dev and tests.

Like :mod:`embedded.broker` does for Kafka: the broker listens on a free loopback port and
:class:`EmbeddedMqttBroker` hands out its ``mqtt://`` URL once it accepts connections. It runs
in a background thread with its own event loop, so synchronous code (the CLI, ``make run``) and
asyncio code alike can use it; stop ends the loop and the thread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any

from app.embedded.broker import free_port
from app.embedded.lifecycle import StartStop

__all__ = ["EmbeddedMqttBroker", "MqttBrokerStartError", "mqtt_reachable"]

log = logging.getLogger(__name__)


class MqttBrokerStartError(RuntimeError):
    """The embedded MQTT broker did not come up."""


def mqtt_reachable(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Return True when something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _broker_config(port: int) -> dict[str, Any]:
    """amqtt configuration: one loopback TCP listener, anonymous access, no $SYS topics."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


class EmbeddedMqttBroker(StartStop):
    """An ``amqtt`` broker on a free loopback port, in a background thread.

    Use as a context manager or call :meth:`start` / :meth:`stop`; :attr:`url` is
    ``mqtt://127.0.0.1:PORT``.
    """

    def __init__(self, port: int | None = None, startup_timeout_s: float = 15.0) -> None:
        self.port = port or free_port()
        self.startup_timeout_s = startup_timeout_s
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """``mqtt://host:port`` of the broker."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedMqttBroker:
        """Start the broker thread and wait until the port accepts connections."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="embedded-mqtt", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout_s
        ready.wait(self.startup_timeout_s)
        while time.monotonic() < deadline:
            if self._error is not None:
                raise MqttBrokerStartError(f"amqtt failed: {self._error!r}") from self._error
            if mqtt_reachable("127.0.0.1", self.port, 0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise MqttBrokerStartError(f"no MQTT broker at {self.url} after {self.startup_timeout_s} s")

    def _run(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._serve(ready))
        except BaseException as exc:
            self._error = exc
            ready.set()

    async def _serve(self, ready: threading.Event) -> None:
        from amqtt.broker import Broker

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        broker = Broker(_broker_config(self.port))
        await broker.start()
        ready.set()
        try:
            await self._stop.wait()
        finally:
            await broker.shutdown()

    def stop(self) -> None:
        """Shut the broker down and join its thread."""
        loop, stop, thread = self._loop, self._stop, self._thread
        self._thread = None
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                log.debug("embedded MQTT loop already closed")
        if thread is not None:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        """True while the broker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

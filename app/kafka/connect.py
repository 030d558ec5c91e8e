"""Start an aiokafka client and turn "cannot reach the broker" into one actionable error.

aiokafka logs every failed connection attempt on its own loggers and then raises a bare
``Unable to bootstrap from [...]``; a person sees the log line, the exception and a traceback.
:func:`start_client` holds those log records back while the client connects, and raises
:class:`BrokerUnreachable` whose message names the servers tried and the last reason aiokafka
gave (connection refused, unknown host, ...). Once a client is connected its logs flow as
before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from aiokafka.errors import KafkaConnectionError, KafkaError

__all__ = ["BrokerUnreachable", "held_back_logs", "start_client"]


class BrokerUnreachable(ConnectionError):
    """No broker of the bootstrap list answered (or it refused the client's security)."""

    def __init__(self, bootstrap: str, reason: str) -> None:
        super().__init__(f"cannot reach Kafka at {bootstrap}: {reason}")
        self.bootstrap = bootstrap
        self.reason = reason


class _HoldBack(logging.Filter):
    """A handler filter that stops the records of some logger hierarchies and keeps their
    messages (the last one explains a failure)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if any(record.name == n or record.name.startswith(n + ".") for n in self.names):
            self.messages.append(record.getMessage())
            return False
        return True


@contextlib.contextmanager
def held_back_logs(*names: str) -> Iterator[list[str]]:
    """Within the block, records of loggers ``names`` and their children are not printed by
    the root handlers (nor by the last-resort handler used when none is configured); the
    yielded list collects their messages."""
    hold = _HoldBack(names)
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    active = [handler for handler in handlers if handler is not None]
    for handler in active:
        handler.addFilter(hold)
    try:
        yield hold.messages
    finally:
        for handler in active:
            handler.removeFilter(hold)


async def start_client(client: Any, bootstrap: str) -> None:
    """``await client.start()`` for an aiokafka consumer, producer or admin client; raise
    :class:`BrokerUnreachable` with the reason when no broker answers (the client is closed)."""
    with held_back_logs("aiokafka") as messages:
        try:
            await client.start()
        except (KafkaConnectionError, OSError) as exc:
            await _close(client)
            last = messages[-1] if messages else str(exc) or type(exc).__name__
            reason = _reason(last, bootstrap)
            raise BrokerUnreachable(bootstrap, reason) from exc
        except KafkaError as exc:
            await _close(client)
            raise BrokerUnreachable(bootstrap, f"{type(exc).__name__}: {exc}") from exc


def _reason(message: str, bootstrap: str) -> str:
    """aiokafka's last connection message, shortened: a positive errno spelt out and the
    address dropped when it is the only one tried.

    >>> _reason('Unable connect to "h:1": [Errno 111] Connect call failed (h, 1)', "h:1")
    'connection refused'
    >>> _reason('Unable connect to "h:1": [Errno -2] Name or service not known', "h:1,g:1")
    'h:1: [Errno -2] Name or service not known'
    """
    found = re.fullmatch(r'Unable connect to "([^"]+)": (.*)', message)
    if found is not None:
        address, message = found.groups()
        if address != bootstrap:
            message = f"{address}: {message}"
    errno = re.search(r"\[Errno (\d+)\] .*$", message)
    if errno is None:
        return message
    return message[: errno.start()] + os.strerror(int(errno.group(1))).lower()


async def _close(client: Any) -> None:
    """Close a client that failed to start, whatever its kind."""
    closing = getattr(client, "stop", None) or client.close
    with contextlib.suppress(Exception):
        await closing()

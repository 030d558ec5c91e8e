"""One connection of the edge gateway (Kafka producer, a Kafka consumer, MQTT): its state,
logged once per change, and how long to wait before the next attempt.

While a broker is down the gateway keeps retrying; logging every attempt buried the log
(about nine lines a second with Kafka down). A :class:`Link` logs ``down`` when the connection
is lost or a first attempt fails, stays quiet while attempts keep failing, logs ``up`` when it
is back with the outage's length, and hands out exponentially growing waits between attempts
(reset when the link is up again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.kafka.connect import BrokerUnreachable

__all__ = ["Link"]


class Link:
    """State and backoff of one reconnecting connection (see the module docstring)."""

    def __init__(
        self,
        log: logging.Logger,
        name: str,
        first_wait_s: float = 0.5,
        max_wait_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.name = name
        self.first_wait_s = first_wait_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.up_now: bool | None = None
        self.attempts = 0
        self._wait_s = first_wait_s
        self._down_since = 0.0

    def down(self, reason: str) -> float:
        """A failed attempt or a lost connection: log it if the link was not already down;
        return the seconds to wait before the next attempt.

        >>> link = Link(logging.getLogger("doctest"), "kafka", first_wait_s=1, max_wait_s=4)
        >>> [link.down("refused") for _ in range(4)]
        [1, 2, 4, 4]
        """
        if self.up_now is not False:
            self.log.warning(
                "%s down (%s); retrying quietly, at most every %.0f s",
                self.name,
                reason,
                self.max_wait_s,
            )
            self._down_since = self.clock()
            self.attempts = 0
        self.up_now = False
        self.attempts += 1
        wait = self._wait_s
        self._wait_s = min(self._wait_s * 2, self.max_wait_s)
        return wait

    def failed(self, exc: BaseException, then: str = "") -> float:
        """:meth:`down` for an exception (an unreachable broker is named by its reason);
        ``then`` says what the gateway does meanwhile."""
        reason = exc.reason if isinstance(exc, BrokerUnreachable) else repr(exc)
        return self.down(f"{reason}; {then}" if then else reason)

    def up(self, detail: str = "") -> None:
        """The connection works: log it when it was down (with the outage's length and the
        failed attempts) or first comes up; reset the backoff."""
        extra = f"; {detail}" if detail else ""
        if self.up_now is False:
            self.log.info(
                "%s up again after %.0f s (%d failed attempts)%s",
                self.name,
                self.clock() - self._down_since,
                self.attempts,
                extra,
            )
        elif self.up_now is None:
            self.log.info("%s up%s", self.name, extra)
        self.up_now = True
        self._wait_s = self.first_wait_s

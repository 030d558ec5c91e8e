"""A small base for things that are started and stopped, usable as context managers."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["StartStop"]


class StartStop:
    """``with thing:`` calls :meth:`start` on entry (returning the started thing) and
    :meth:`stop` on exit; subclasses implement both."""

    def start(self) -> Self:
        """Start and return ``self``."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop; safe to call twice."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

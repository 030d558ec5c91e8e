"""Alert severities, ordered by urgency rather than alphabetically.

:class:`Severity` is a ``StrEnum`` so it serialises as its plain value (``"warning"``) on the
Alert topic, but it compares by rank (``INFO < WARNING < CRITICAL``) so policies and consumers
can ask "is this at least a warning?" without a lookup table of their own.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Severity"]


class Severity(StrEnum):
    """How urgent an alert is; ordered ``INFO < WARNING < CRITICAL``."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the urgency order: 0 for ``INFO`` up to 2 for ``CRITICAL``."""
        return _RANKS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANKS[self] < _RANKS[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANKS[self] <= _RANKS[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANKS[self] > _RANKS[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANKS[self] >= _RANKS[other]


_RANKS: dict[Severity, int] = {severity: rank for rank, severity in enumerate(Severity)}

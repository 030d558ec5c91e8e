"""The rejection error of input validation and its closed set of reason codes.

The reason code is machine-readable (metrics label, dead-letter ``reason``); the detail is
for humans and names the field, the offending value and the bound it broke.
"""

from __future__ import annotations

__all__ = ["REASONS", "ValidationError"]

REASONS: tuple[str, ...] = (
    "malformed_json",
    "not_an_object",
    "unsupported_version",
    "missing_field",
    "wrong_type",
    "not_finite",
    "out_of_range",
    "bad_id",
    "bad_enum",
    "timestamp_in_future",
    "timestamp_too_old",
    "processing_error",
    "not_applicable",
)
"""Every reason code a :class:`ValidationError` can carry.

``processing_error`` is not about the input's shape: a valid-looking record whose processing
raised unexpectedly is dead-lettered with it (and the exception text) instead of crashing.
``not_applicable`` is not about the shape either: a valid operator action on an alarm that does
not apply to it (an alert never seen, a second inspection outcome, shelving a closed alarm).
"""

_KNOWN = frozenset(REASONS)


class ValidationError(ValueError):
    """An input record was rejected; ``reason`` is one of :data:`REASONS`."""

    reason: str
    detail: str

    def __init__(self, reason: str, detail: str) -> None:
        """Create the error; an unknown ``reason`` is a programming error (``ValueError``)."""
        if reason not in _KNOWN:
            raise ValueError(f"unknown validation reason {reason!r}")
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        """Render as ``reason: detail``."""
        return f"{self.reason}: {self.detail}"

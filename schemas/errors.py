"""The rejection error of input validation and its closed set of reason codes.

The reason code is machine-readable (metrics label, dead-letter ``reason``); the detail is
for humans and names the field, the offending value and the bound it broke.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    "nested_too_deep",
    "processing_error",
    "not_applicable",
)
"""Every reason code a :class:`ValidationError` can carry.

``nested_too_deep`` is a member of an edge frame nested too deep to be a reading (it cannot be
re-encoded on its own); the frame's other members are processed.
``processing_error`` is not about the input's shape: a valid-looking record whose processing
raised unexpectedly is dead-lettered with it (and the exception text) instead of crashing.
``not_applicable`` is not about the shape either: a valid operator action on an alarm that does
not apply to it (an alert never seen, a second inspection outcome, shelving a closed alarm).
"""

_KNOWN = frozenset(REASONS)


class ValidationError(ValueError):
    """An input record was rejected; ``reason`` is one of :data:`REASONS`.

    A record with several problems is rejected once, naming all of them: :attr:`problems`
    holds one single-problem error per problem (in field order), ``reason`` is the first's
    and ``detail`` joins every detail with ``"; "`` (see :meth:`every`).
    """

    reason: str
    detail: str

    def __init__(self, reason: str, detail: str) -> None:
        """Create the error; an unknown ``reason`` is a programming error (``ValueError``)."""
        if reason not in _KNOWN:
            raise ValueError(f"unknown validation reason {reason!r}")
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail
        self._problems: tuple[ValidationError, ...] = ()

    @property
    def problems(self) -> tuple[ValidationError, ...]:
        """Every problem of the rejected record, each with its own reason and detail."""
        return self._problems or (self,)

    @classmethod
    def every(cls, errors: Sequence[ValidationError]) -> ValidationError:
        """One rejection naming every problem of ``errors`` (at least one).

        >>> err = ValidationError.every(
        ...     [ValidationError("missing_field", "a is missing"),
        ...      ValidationError("wrong_type", "b='x' is str, expected a number")])
        >>> err.reason, [p.reason for p in err.problems]
        ('missing_field', ['missing_field', 'wrong_type'])
        >>> err.detail
        "a is missing; b='x' is str, expected a number"
        """
        flat = [problem for error in errors for problem in error.problems]
        if len(flat) == 1:
            return flat[0]
        merged = cls(flat[0].reason, "; ".join(problem.detail for problem in flat))
        merged._problems = tuple(flat)
        return merged

    def __str__(self) -> str:
        """Render as ``reason: detail``."""
        return f"{self.reason}: {self.detail}"

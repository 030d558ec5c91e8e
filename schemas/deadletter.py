"""Dead letters: rejected input kept with the reason, for inspection and replay.

The original bytes travel base64-encoded so any payload (invalid UTF-8 included) survives. A
record with several problems is one dead letter: ``reason`` is the first problem's code (the
metrics label), ``detail`` joins every problem's detail and ``problems`` lists each problem
with its own code, for programs.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from schemas.base import WireRecord, doc
from schemas.errors import ValidationError

__all__ = ["DeadLetter", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a rejected record."""

    reason: str = field(metadata=doc("Reason code, one of schemas.errors.REASONS."))
    detail: str = field(metadata=doc("Which field, which value, which bound."))


@dataclass(frozen=True, slots=True)
class DeadLetter(WireRecord):
    """An input message that failed validation, with where it came from and why."""

    SCHEMA_VERSION: ClassVar[int] = 1

    source_topic: str = field(metadata=doc("Topic the message was read from."))
    partition: int = field(metadata=doc("Partition the message was read from."))
    offset: int = field(metadata=doc("Offset of the message in its partition."))
    key: str | None = field(metadata=doc("Message key as text (undecodable bytes escaped)."))
    reason: str = field(metadata=doc("Reason code, e.g. one of schemas.errors.REASONS."))
    detail: str = field(metadata=doc("Which field, which value, which bound."))
    original_b64: str = field(metadata=doc("The original message value, base64."))
    received_at: float = field(metadata=doc("Wall-clock time of rejection, Unix seconds."))
    problems: tuple[Problem, ...] = field(
        default=(),
        metadata=doc(
            "Every problem of the record, in field order (reason is the first's, detail all)."
        ),
    )

    @classmethod
    def from_rejection(
        cls,
        raw: bytes,
        error: ValidationError,
        *,
        source_topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        received_at: float,
    ) -> DeadLetter:
        """Build the dead letter of message ``raw`` rejected with ``error``."""
        return cls(
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key=None if key is None else key.decode("utf-8", errors="backslashreplace"),
            reason=error.reason,
            detail=error.detail,
            original_b64=base64.b64encode(raw).decode("ascii"),
            received_at=received_at,
            problems=tuple(Problem(p.reason, p.detail) for p in error.problems),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form, with ``problems`` as a list of objects."""
        out = WireRecord.to_dict(self)
        out["problems"] = [{"reason": p.reason, "detail": p.detail} for p in self.problems]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadLetter:
        """Rebuild a dead letter from its wire form (its problems as :class:`Problem`)."""
        letter = WireRecord.from_dict.__func__(cls, data)  # type: ignore[attr-defined]
        problems = tuple(Problem(**p) for p in data.get("problems") or ())
        return replace(letter, problems=problems)

    def original(self) -> bytes:
        """Return the original message bytes (for replay)."""
        return base64.b64decode(self.original_b64)

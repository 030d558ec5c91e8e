"""Dead letters: rejected input kept with the reason, for inspection and replay.

The original bytes travel base64-encoded so any payload (invalid UTF-8 included) survives. A
dead letter must always be deliverable, whatever arrived: the original is kept up to
:data:`MAX_ORIGINAL_BYTES` (its full size and SHA-256 travel beside it, so the sender can find
the message it sent) and the detail up to :data:`MAX_DETAIL_CHARS`, which keeps every dead
letter far below a producer's 1 MB request limit.

A record with several problems is one dead letter: ``reason`` is the first problem's code (the
metrics label), ``detail`` joins every problem's detail and ``problems`` lists each problem
with its own code, for programs (at most :data:`MAX_PROBLEMS`, each detail bounded as well).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from schemas.base import WireRecord, doc
from schemas.errors import ValidationError

__all__ = [
    "MAX_DETAIL_CHARS",
    "MAX_KEY_BYTES",
    "MAX_ORIGINAL_BYTES",
    "MAX_PROBLEMS",
    "DeadLetter",
    "Problem",
    "key_text",
]

MAX_ORIGINAL_BYTES = 64 * 1024
"""Most bytes of the original message a dead letter carries (base64 adds a third)."""

MAX_DETAIL_CHARS = 2000
"""Longest detail text a dead letter carries (a detail may quote the offending value)."""

MAX_KEY_BYTES = 1024
"""Most bytes of the original message key a dead letter (and its own key) carries."""

MAX_PROBLEMS = 64
"""Most problems a dead letter lists (a record has far fewer fields than this)."""


def key_text(key: bytes | None) -> str | None:
    """A message key as text for a dead letter: at most :data:`MAX_KEY_BYTES`, bytes escaped."""
    if key is None:
        return None
    return key[:MAX_KEY_BYTES].decode("utf-8", errors="backslashreplace")


def _bounded(detail: str) -> str:
    """``detail`` cut to :data:`MAX_DETAIL_CHARS`, saying how long it was."""
    if len(detail) <= MAX_DETAIL_CHARS:
        return detail
    return detail[:MAX_DETAIL_CHARS] + f"... ({len(detail)} chars)"


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
    original_b64: str = field(
        metadata=doc("The original message value, base64 (its first bytes when truncated).")
    )
    received_at: float = field(metadata=doc("Wall-clock time of rejection, Unix seconds."))
    original_size: int = field(default=-1, metadata=doc("Size of the original value in bytes."))
    original_sha256: str = field(
        default="", metadata=doc("SHA-256 of the whole original value, hex.")
    )
    truncated: bool = field(
        default=False,
        metadata=doc("True when original_b64 holds only the first bytes of the original."),
    )
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
        """Build the dead letter of message ``raw`` rejected with ``error`` (bounded in size)."""
        kept = raw[:MAX_ORIGINAL_BYTES]
        return cls(
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key=key_text(key),
            reason=error.reason,
            detail=_bounded(error.detail),
            original_b64=base64.b64encode(kept).decode("ascii"),
            received_at=received_at,
            original_size=len(raw),
            original_sha256=hashlib.sha256(raw).hexdigest(),
            truncated=len(kept) < len(raw),
            problems=tuple(
                Problem(p.reason, _bounded(p.detail)) for p in error.problems[:MAX_PROBLEMS]
            ),
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
        """Return the original message bytes kept (for replay; check :attr:`truncated`)."""
        return base64.b64decode(self.original_b64)

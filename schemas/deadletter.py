"""Dead letters: rejected input kept with the reason, for inspection and replay.

The original bytes travel base64-encoded so any payload (invalid UTF-8 included) survives. A
dead letter must always be deliverable, whatever arrived: the original is kept up to
:data:`MAX_ORIGINAL_BYTES` (its full size and SHA-256 travel beside it, so the sender can find
the message it sent) and the detail up to :data:`MAX_DETAIL_CHARS`, which keeps every dead
letter far below a producer's 1 MB request limit.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from schemas.base import WireRecord, doc
from schemas.errors import ValidationError

__all__ = ["MAX_DETAIL_CHARS", "MAX_KEY_BYTES", "MAX_ORIGINAL_BYTES", "DeadLetter", "key_text"]

MAX_ORIGINAL_BYTES = 64 * 1024
"""Most bytes of the original message a dead letter carries (base64 adds a third)."""

MAX_DETAIL_CHARS = 2000
"""Longest detail text a dead letter carries (a detail may quote the offending value)."""

MAX_KEY_BYTES = 1024
"""Most bytes of the original message key a dead letter (and its own key) carries."""


def key_text(key: bytes | None) -> str | None:
    """A message key as text for a dead letter: at most :data:`MAX_KEY_BYTES`, bytes escaped."""
    if key is None:
        return None
    return key[:MAX_KEY_BYTES].decode("utf-8", errors="backslashreplace")


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
        detail = error.detail
        if len(detail) > MAX_DETAIL_CHARS:
            detail = detail[:MAX_DETAIL_CHARS] + f"... ({len(error.detail)} chars)"
        return cls(
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key=key_text(key),
            reason=error.reason,
            detail=detail,
            original_b64=base64.b64encode(kept).decode("ascii"),
            received_at=received_at,
            original_size=len(raw),
            original_sha256=hashlib.sha256(raw).hexdigest(),
            truncated=len(kept) < len(raw),
        )

    def original(self) -> bytes:
        """Return the original message bytes kept (for replay; check :attr:`truncated`)."""
        return base64.b64decode(self.original_b64)

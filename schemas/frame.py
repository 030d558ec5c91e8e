"""Frames: many readings in one Kafka message, as edge gateways forward them.

Wire format (JSON object, keys in any order)::

    {"v": 1, "frame": [<reading>, <reading>, ...], "site": "<site id>", "count": <n>}

Every member is a complete reading as it would travel alone (e.g. a ``MachineTelemetry``
object). All members of a frame belong to the same Kafka partition (the gateway groups them by
the partition of their own key) and the frame's key is the first member's key, so per-device
order and the key-to-partition mapping of the cloud agents are unchanged.

Consumers accept frames and single readings alike with :func:`iter_frame`: it yields each
member's bytes, or the message itself when it is not a frame. A message that is not valid
JSON is yielded unchanged, so the consumer's own validation dead-letters it with the reason.
A member that cannot be re-encoded on its own (nested deeper than orjson writes) comes out of
:func:`iter_frame_keyed` as a :class:`~schemas.errors.ValidationError` in place of its bytes,
so the consumer dead-letters that member and goes on with the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from schemas.errors import ValidationError

__all__ = ["FRAME_VERSION", "encode_frame", "is_frame", "iter_frame", "iter_frame_keyed"]

FRAME_VERSION = 1
_MARK = b'"frame"'


def encode_frame(readings: Sequence[bytes], site: str) -> bytes:
    """Pack already-serialised JSON ``readings`` into one frame message (no re-encoding)."""
    head = orjson.dumps({"v": FRAME_VERSION, "site": site, "count": len(readings)})
    return head[:-1] + b',"frame":[' + b",".join(readings) + b"]}"


def _frame_members(raw: bytes) -> list[Any] | None:
    """The parsed member list when ``raw`` is a frame, else None (cheap for single readings)."""
    if _MARK not in raw:
        return None
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict:
        return None
    members = obj.get("frame")
    return members if type(members) is list else None


def is_frame(raw: bytes) -> bool:
    """Return whether ``raw`` is a frame message."""
    return _frame_members(raw) is not None


def iter_frame(raw: bytes) -> Iterator[bytes]:
    """Yield the bytes of each reading in ``raw``: its members if a frame, else ``raw`` itself.

    A single reading is yielded as is (no parsing beyond a substring test); frame members are
    re-serialised with orjson, so the consumer decodes each one like a single message.
    """
    members = _frame_members(raw)
    if members is None:
        yield raw
        return
    for member in members:
        yield orjson.dumps(member)


def iter_frame_keyed(
    raw: bytes, key: bytes | None, key_field: str = "asset_id"
) -> Iterator[tuple[bytes | None, bytes | ValidationError]]:
    """Like :func:`iter_frame`, with each reading's key: its ``key_field`` or the message key.

    Agents whose state is per entity (flushes, table writes) need the member's own key; a
    single reading keeps the Kafka message key. A member that cannot be re-encoded is yielded
    as the :class:`ValidationError` (``nested_too_deep``) to dead-letter it with.
    """
    members = _frame_members(raw)
    if members is None:
        yield key, raw
        return
    for member in members:
        member_key = key
        if type(member) is dict:
            value = member.get(key_field)
            if type(value) is str:
                member_key = value.encode("utf-8")
        try:
            yield member_key, orjson.dumps(member)
        except orjson.JSONEncodeError as exc:
            yield member_key, ValidationError("nested_too_deep", f"frame member: {exc}")

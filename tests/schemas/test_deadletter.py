"""Dead letters keep the original bytes and the precise rejection."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from schemas import DeadLetter, ValidationError, decode_telemetry
from schemas.deadletter import MAX_DETAIL_CHARS, MAX_KEY_BYTES, MAX_ORIGINAL_BYTES
from tests.schemas.samples import CLOCK


def _rejection(raw: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode_telemetry(raw, **CLOCK)
    return info.value


def test_dead_letter_keeps_reason_detail_and_original_bytes():
    raw = b"\xff{not json"
    error = _rejection(raw)
    letter = DeadLetter.from_rejection(
        raw,
        error,
        source_topic="aiot.machine.telemetry.v1",
        partition=3,
        offset=1234,
        key=b"motor-001",
        received_at=1.5,
    )
    assert (letter.reason, letter.detail) == ("malformed_json", error.detail)
    assert letter.original() == raw
    assert (letter.partition, letter.offset, letter.key) == (3, 1234, "motor-001")


def test_dead_letter_survives_undecodable_key_and_serialises():
    raw = b"[]"
    letter = DeadLetter.from_rejection(
        raw,
        _rejection(raw),
        source_topic="t",
        partition=0,
        offset=0,
        key=b"\xffm",
        received_at=0.0,
    )
    wire = orjson.loads(letter.to_json())
    assert wire["key"] == "\\xffm"
    assert wire["reason"] == "not_an_object"
    assert DeadLetter.from_dict(wire) == letter


def test_dead_letter_without_key_has_null_key():
    letter = DeadLetter.from_rejection(
        b"[]", _rejection(b"[]"), source_topic="t", partition=0, offset=7, key=None, received_at=0
    )
    assert letter.key is None


def test_a_huge_message_makes_a_bounded_dead_letter_with_its_size_and_hash():
    raw = b"\xfe" * 3_000_000
    letter = DeadLetter.from_rejection(
        raw,
        ValidationError("malformed_json", "x" * 50_000),
        source_topic="t",
        partition=0,
        offset=1,
        key=b"k" * 100_000,
        received_at=0.0,
    )
    assert letter.truncated and letter.original_size == len(raw)
    assert letter.original_sha256 == hashlib.sha256(raw).hexdigest()
    assert letter.original() == raw[:MAX_ORIGINAL_BYTES]
    assert len(letter.detail) < MAX_DETAIL_CHARS + 40 and letter.detail.endswith("(50000 chars)")
    assert letter.key == "k" * MAX_KEY_BYTES
    assert len(letter.to_json()) < 100_000


def test_a_small_message_is_kept_whole_and_not_marked_truncated():
    raw = b"[1]"
    letter = DeadLetter.from_rejection(
        raw, _rejection(raw), source_topic="t", partition=0, offset=1, key=None, received_at=0.0
    )
    assert not letter.truncated and letter.original() == raw and letter.original_size == 3

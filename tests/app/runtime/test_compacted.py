"""CompactedReader: a record the worker cannot adopt becomes a dead letter, never a crash."""

from __future__ import annotations

from types import SimpleNamespace

from app.runtime.compacted import CompactedReader
from app.settings import Settings
from schemas import ValidationError
from tests.outputs import rejection, wire


def _record(offset: int, value: bytes | None, key: bytes = b"k") -> SimpleNamespace:
    return SimpleNamespace(partition=0, offset=offset, key=key, value=value)


def test_unadoptable_records_become_dead_letters_with_their_reason():
    adopted = []

    def apply(key: bytes | None, value: bytes | None) -> None:
        if value == b"bad-id":
            raise ValidationError("bad_id", "geofence_id differs from the message key")
        if value == b"junk":
            raise ValueError("model record header unreadable")
        adopted.append(value)

    reader = CompactedReader(Settings(), "models.topic", apply)
    for offset, value in enumerate((b"ok", b"bad-id", b"junk", None)):
        reader._adopt(_record(offset, value))
    assert adopted == [b"ok", None]
    letters = reader.take_letters()
    assert [rejection(letter) for letter in letters] == [
        ("models.topic", "bad_id"),
        ("models.topic", "unsupported_version"),
    ]
    assert wire(letters[1])["offset"] == 2
    assert reader.take_letters() == []

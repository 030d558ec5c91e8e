"""Frames: packing by partition at the edge and unpacking with schemas.frame in the cloud."""

from __future__ import annotations

import orjson

from app.edge.framing import build_messages, partition_for
from app.edge.spool import SpoolEntry
from schemas import ValidationError
from schemas.frame import encode_frame, is_frame, iter_frame, iter_frame_keyed


def _reading(asset: str, i: int) -> bytes:
    return orjson.dumps({"v": 1, "asset_id": asset, "i": i})


def test_iter_frame_yields_each_member_and_single_readings_unchanged() -> None:
    members = [_reading("m1", 0), _reading("m2", 1)]
    frame = encode_frame(members, "site-a")
    assert is_frame(frame)
    assert [orjson.loads(m) for m in iter_frame(frame)] == [orjson.loads(m) for m in members]
    single = _reading("m1", 5)
    assert list(iter_frame(single)) == [single]
    assert list(iter_frame(b"{not json")) == [b"{not json"]


def test_iter_frame_keyed_gives_each_member_its_asset_key() -> None:
    frame = encode_frame([_reading("m1", 0), b"[1]", _reading("m2", 1)], "s")
    keys = [key for key, _ in iter_frame_keyed(frame, b"frame-key")]
    assert keys == [b"m1", b"frame-key", b"m2"]


def test_frames_hold_only_readings_of_one_partition_in_append_order() -> None:
    entries = [
        SpoolEntry(i + 1, "tel", f"m{i % 7}".encode(), _reading(f"m{i % 7}", i), True)
        for i in range(70)
    ]
    entries.append(SpoolEntry(71, "dlq", b"m1", b"{}", False))
    messages = build_messages(entries, site="s", max_readings=4, partitions=3)
    singles = [m for m in messages if m.topic == "dlq"]
    assert len(singles) == 1
    seen: dict[str, list[int]] = {}
    for message in (m for m in messages if m.topic == "tel"):
        assert message.records <= 4
        partition = partition_for(message.key or b"", 3)
        for raw in iter_frame(message.value):
            reading = orjson.loads(raw)
            assert partition_for(reading["asset_id"].encode(), 3) == partition
            seen.setdefault(reading["asset_id"], []).append(reading["i"])
    assert sum(len(v) for v in seen.values()) == 70
    for values in seen.values():
        assert values == sorted(values)


def test_a_member_too_deep_to_re_encode_is_an_error_between_its_neighbours() -> None:
    deep = b"[" * 300 + b"1" + b"]" * 300
    frame = encode_frame(
        [b'{"asset_id": "a"}', b'{"asset_id": "b", "x": ' + deep + b"}", b'{"asset_id": "c"}'],
        "site",
    )
    members = list(iter_frame_keyed(frame, b"frame-key"))
    assert [key for key, _ in members] == [b"a", b"b", b"c"]
    assert isinstance(members[0][1], bytes) and isinstance(members[2][1], bytes)
    error = members[1][1]
    assert isinstance(error, ValidationError) and error.reason == "nested_too_deep"

"""KeyedEngine: one path from raw bytes to an entity's state (decode, key, lateness, letters)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import pytest

from app.core import OFFLINE, Entry, KeyedEngine, Output, RecordMeta, Route, StreamLimits
from app.core.alerting import AlertState
from schemas import ValidationError
from tests.outputs import rejection, wire

NOW = 1_800_000_000.0


@dataclass
class Tally:
    """A test entity: the sum of its values and the newest event time."""

    total: float = 0.0
    newest: float | None = None
    alert: AlertState = field(default_factory=AlertState)

    def to_bytes(self) -> bytes:
        return orjson.dumps([self.total, self.newest])

    def alerts(self) -> Mapping[str, AlertState]:
        return {"too_high": self.alert}


def decode(raw: bytes, now: float) -> dict:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError("malformed_json", str(exc)) from exc
    if not isinstance(record, dict) or "id" not in record:
        raise ValidationError("missing_field", "id")
    return record


class TallyEngine(KeyedEngine[Tally]):
    def __init__(self) -> None:
        super().__init__(
            {}.get, lambda data: Tally(), StreamLimits(max_lateness_s=10.0), lambda: NOW
        )
        self.route(
            "values",
            Route(
                decode=decode,
                key=lambda r: r["id"],
                create=lambda r: Tally(),
                apply=self._add,
                event_ts=lambda r: r["ts"],
                newest_ts=lambda s: s.newest,
            ),
        )

    def _add(self, record: dict, entry: Entry[Tally], now: float) -> list[Output]:
        state = entry.state
        state.total += record["value"]
        state.newest = max(record["ts"], state.newest or record["ts"])
        state.alert.active = state.total > 10
        entry.touch()
        return []


def meta(input: str = "values", key: bytes = b"a") -> RecordMeta:
    return RecordMeta(input, f"topic-of-{input}", 1, OFFLINE, key)


def value(ts: float, v: float = 1.0, id: str = "a") -> bytes:
    return orjson.dumps({"id": id, "ts": ts, "value": v})


def test_records_reach_their_entity_through_the_route() -> None:
    engine = TallyEngine()
    engine.handle(value(100.0, 2.0), meta())
    engine.handle(value(101.0, 3.0, id="b"), meta())
    assert engine.state_of("a").total == 2.0 and engine.state_of("b").total == 3.0
    assert engine.inputs == ("values",)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"{nope", "malformed_json"), (b'{"ts": 1}', "missing_field")],
)
def test_rejected_input_is_a_dead_letter_naming_topic_and_reason(raw: bytes, reason: str) -> None:
    (letter,) = TallyEngine().handle(raw, meta())
    assert rejection(letter) == ("topic-of-values", reason)
    body = wire(letter)
    assert body["partition"] == 1 and body["offset"] == OFFLINE and body["key"] == "a"


def test_a_record_later_than_the_allowed_lateness_is_dead_lettered() -> None:
    engine = TallyEngine()
    engine.handle(value(100.0), meta())
    assert engine.handle(value(95.0), meta()) == []  # within 10 s: applied
    (letter,) = engine.handle(value(80.0), meta())
    assert rejection(letter) == ("topic-of-values", "timestamp_too_old")
    assert engine.state_of("a").total == 2.0


def test_an_unknown_input_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        TallyEngine().handle(value(1.0), meta("other"))


def test_a_crash_becomes_a_processing_error_letter() -> None:
    letter = TallyEngine().error_letter(b"x", meta(), RuntimeError("boom"))
    assert rejection(letter) == ("topic-of-values", "processing_error")
    assert "boom" in wire(letter)["detail"]


def test_active_alerts_are_derived_from_the_states_held() -> None:
    engine = TallyEngine()
    engine.handle(value(1.0, 20.0, id="a"), meta())
    engine.handle(value(1.0, 1.0, id="b"), meta())
    assert engine.active_alerts() == {"too_high": 1}
    engine.cache.forget_partitions({1})
    assert engine.active_alerts() == {}


def kafka_meta(offset: int, index: int = 0, partition: int = 1) -> RecordMeta:
    return RecordMeta("values", "topic-of-values", partition, offset, b"a", index)


def test_a_redelivered_record_is_not_applied_twice() -> None:
    engine = TallyEngine()
    engine.handle(value(100.0, 2.0), kafka_meta(5))
    engine.handle(value(101.0, 3.0), kafka_meta(6, index=0))
    engine.handle(value(101.5, 4.0), kafka_meta(6, index=1))  # next member of the same frame
    for offset, index in ((5, 0), (6, 0), (6, 1)):  # the same records again (a replay)
        assert engine.handle(value(100.0, 2.0), kafka_meta(offset, index)) == []
    assert engine.state_of("a").total == 9.0
    assert engine.replayed == 3
    engine.handle(value(102.0, 1.0), kafka_meta(7))
    assert engine.state_of("a").total == 10.0


def test_positions_are_per_partition_and_survive_a_restart_in_the_row() -> None:
    engine = TallyEngine()
    engine.handle(value(100.0, 2.0), kafka_meta(5, partition=1))
    engine.handle(value(100.5, 1.0), kafka_meta(3, partition=2))  # another partition's offsets
    assert engine.state_of("a").total == 3.0
    (dirty,) = engine.cache.take_dirty()
    restarted = TallyEngine()
    restarted.cache = type(engine.cache)({"a": dirty.row}.get, lambda data: Tally())
    assert restarted.handle(value(100.0, 2.0), kafka_meta(5, partition=1)) == []
    assert restarted.handle(value(100.5, 1.0), kafka_meta(3, partition=2)) == []
    assert restarted.replayed == 2


def test_offline_records_are_never_skipped() -> None:
    engine = TallyEngine()
    for _ in range(3):
        engine.handle(value(100.0, 1.0), meta())
    assert engine.state_of("a").total == 3.0

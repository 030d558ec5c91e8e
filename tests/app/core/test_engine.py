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


class LabelledTally(TallyEngine):
    """Values drive the entity's stream; a label (resetting the total) waits for them."""

    def __init__(self, grace: float = 50.0) -> None:
        super().__init__()
        self.limits = StreamLimits(max_lateness_s=10.0, hold_grace_s=grace)
        self.route(
            "labels",
            Route(
                decode=decode,
                key=lambda r: r["id"],
                create=lambda r: Tally(),
                apply=self._reset,
                event_ts=lambda r: r["ts"],
                waits_for="values",
            ),
        )

    def _reset(self, record: dict, entry: Entry[Tally], now: float) -> list[Output]:
        entry.state.total = 0.0
        return []


def label(ts: float, id: str = "a") -> bytes:
    return orjson.dumps({"id": id, "ts": ts})


def test_a_label_ahead_of_the_stream_waits_and_applies_before_the_first_later_record() -> None:
    engine = LabelledTally()
    engine.handle(value(100.0, 5.0), meta())
    engine.handle(label(105.0), meta("labels"))  # ahead of the values: held
    engine.handle(value(103.0, 2.0), meta())  # before the label: counted before the reset
    assert engine.state_of("a").total == 7.0
    engine.handle(value(106.0, 1.0), meta())  # passes the label: reset, then this value
    assert engine.state_of("a").total == 1.0
    assert engine.cache.get("a").held == []


def test_a_label_behind_the_stream_applies_at_once() -> None:
    engine = LabelledTally()
    engine.handle(value(100.0, 5.0), meta())
    engine.handle(label(99.0), meta("labels"))
    assert engine.state_of("a").total == 0.0


def test_a_quiet_entity_gets_its_label_after_the_grace_of_partition_stream_time() -> None:
    engine = LabelledTally(grace=50.0)
    engine.handle(value(100.0, 5.0), meta())
    engine.handle(label(110.0), meta("labels"))
    engine.handle(value(150.0, 1.0, id="b"), meta(key=b"b"))  # stream time 150 < 110 + 50
    assert engine.release_overdue() == [] and engine.state_of("a").total == 5.0
    engine.handle(value(161.0, 1.0, id="b"), meta(key=b"b"))
    engine.release_overdue()
    assert engine.state_of("a").total == 0.0 and engine.cache.get("a").held == []


def test_held_records_survive_a_restart_in_the_row() -> None:
    engine = LabelledTally()
    engine.handle(value(100.0, 5.0), kafka_meta(1))
    engine.handle(label(105.0), RecordMeta("labels", "topic-of-labels", 1, 4, b"a"))
    (dirty,) = engine.cache.take_dirty()
    restarted = LabelledTally()
    restarted.cache = type(engine.cache)({"a": dirty.row}.get, lambda data: Tally(total=5.0))
    assert restarted.handle(label(105.0), RecordMeta("labels", "topic-of-labels", 1, 4, b"a")) == []
    restarted.handle(value(106.0, 1.0), kafka_meta(2))
    assert restarted.state_of("a").total == 1.0  # the held label applied once, before the value


def test_a_waiting_input_needs_event_times() -> None:
    engine = TallyEngine()
    with pytest.raises(ValueError, match="waits for"):
        engine.route(
            "labels",
            Route(
                decode=decode,
                key=lambda r: r["id"],
                create=Tally,
                apply=lambda *a: [],
                waits_for="values",
            ),
        )

"""The bad-record injector spoils records in every documented way and counts them."""

from __future__ import annotations

import json
import math
import re

import orjson
import pytest

from app.simulator.faults import BAD_KINDS, BadRecordInjector, make_bad_record
from app.simulator.wire import PHYSICAL_RANGES, SENSOR_FIELDS
from tests.app.simulator.runs import START, simulate

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
NOW = START + 60 * 86400.0


def _records(n: int) -> list[dict]:
    batch = simulate(20, 1.0).batch
    records = list(batch.telemetry_records())
    assert len(records) >= n
    return records[:n]


def _is_bad(kind: str, key: bytes, value: bytes) -> bool:
    """Whether ``value`` shows the defect of ``kind`` (what a validator must catch)."""
    if kind == "malformed_json":
        try:
            json.loads(value)
        except ValueError:
            return True
        return False
    if kind == "nan_value":
        return b":NaN" in value and math.isnan(json.loads(value)["kurtosis"])
    record = orjson.loads(value)
    if kind == "missing_field":
        return not set(SENSOR_FIELDS) <= set(record)
    if kind == "wrong_type":
        return any(isinstance(record[f], str) for f in SENSOR_FIELDS)
    if kind == "out_of_range":
        return any(
            not lo <= record[f] <= hi for f, (lo, hi) in PHYSICAL_RANGES.items() if f in record
        )
    if kind == "future_ts":
        return record["ts"] > NOW + 3600.0
    if kind == "bad_id":
        return ID_RE.match(record["asset_id"]) is None and key == record["asset_id"].encode()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_each_bad_kind_breaks_the_record_as_named(kind: str) -> None:
    record = _records(1)[0]
    key, value = make_bad_record(record, kind, NOW)
    assert _is_bad(kind, key, value)


def test_full_fraction_cycles_through_every_kind_and_counts_them() -> None:
    records = _records(3 * len(BAD_KINDS))
    injector = BadRecordInjector(1.0, clock=lambda: NOW)
    messages = list(injector.messages(records))
    assert len(messages) == len(records)
    assert injector.counts == dict.fromkeys(BAD_KINDS, 3)
    kinds = BAD_KINDS * 3
    assert all(_is_bad(k, key, value) for k, (key, value) in zip(kinds, messages, strict=True))


def test_zero_fraction_passes_records_through_unchanged() -> None:
    batch = simulate(10, 0.5).batch
    injector = BadRecordInjector(0.0)
    assert list(injector.messages(batch.telemetry_records())) == list(batch.telemetry_messages())
    assert injector.total == 0


def test_small_fraction_spoils_about_that_share_deterministically() -> None:
    records = _records(2000)
    first = BadRecordInjector(0.05, seed=3, clock=lambda: NOW)
    second = BadRecordInjector(0.05, seed=3, clock=lambda: NOW)
    assert list(first.messages(records)) == list(second.messages(records))
    assert 50 <= first.total <= 150
    assert first.counts == second.counts


def test_fraction_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError):
        BadRecordInjector(1.5)

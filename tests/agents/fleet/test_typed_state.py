"""Typed vehicle and area state: enums in wire spelling, records that round-trip, fix facts."""

from __future__ import annotations

import orjson
import pytest

from agents.fleet.area import AreaState, NoticeRow


def test_area_state_reads_six_field_rows_of_the_one_point_format_as_point_stretches():
    old = orjson.dumps({"n": [["a", "e1", 1e9, 1e9 + 300, 45.0, 7.6]], "t": {"e1": 1}})
    state = AreaState.from_bytes(old)
    (row,) = state.notices
    assert row == NoticeRow("a", "e1", 1e9, 1e9 + 300, 45.0, 7.6, 45.0, 7.6)
    assert row.stretch == (45.0, 7.6, 45.0, 7.6)
    assert AreaState.from_bytes(state.to_bytes()).notices == [row]
    with pytest.raises(ValueError, match="area state unreadable"):
        AreaState.from_bytes(orjson.dumps({"n": [["a", "e1", 1e9]], "t": {}}))

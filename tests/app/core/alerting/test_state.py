"""AlertState binary and tuple round trips."""

from __future__ import annotations

import json

import pytest

from app.core.alerting import AlertState, Severity

BUSY = AlertState(
    active=True,
    first_ts=1_700_000_000.125,
    pending_since=None,
    last_ts=1_700_007_200.5,
    last_score=0.8723,
    severity=Severity.CRITICAL,
    cleared_at=1_699_000_000.0,
    episodes=7,
)
PENDING = AlertState(pending_since=1_700_000_000.0, last_ts=1_700_000_600.0, last_score=0.3)


def test_state_binary_form_is_fixed_size_and_at_most_64_bytes() -> None:
    assert len(AlertState().to_bytes()) == AlertState.SIZE == len(BUSY.to_bytes())
    assert AlertState.SIZE <= 64


@pytest.mark.parametrize("state", [AlertState(), BUSY, PENDING])
def test_state_bytes_round_trip_is_exact(state: AlertState) -> None:
    restored = AlertState.from_bytes(state.to_bytes())
    assert restored == state
    assert restored.to_tuple() == state.to_tuple()


@pytest.mark.parametrize("state", [AlertState(), BUSY, PENDING])
def test_state_tuple_round_trip_survives_json(state: AlertState) -> None:
    data = json.loads(json.dumps(state.to_tuple()))
    assert AlertState.from_tuple(data) == state


def test_default_state_is_idle() -> None:
    state = AlertState()
    assert not state.active
    assert state.pending_since is None
    assert state.cleared_at is None
    assert state.episodes == 0


def test_state_from_bytes_rejects_wrong_size_and_version() -> None:
    raw = BUSY.to_bytes()
    with pytest.raises(ValueError):
        AlertState.from_bytes(raw[:-1])
    with pytest.raises(ValueError):
        AlertState.from_bytes(b"\x09" + raw[1:])


def test_state_from_tuple_rejects_wrong_length() -> None:
    with pytest.raises(ValueError):
        AlertState.from_tuple((False, None))


def test_states_with_different_fields_are_not_equal() -> None:
    assert AlertState() != PENDING
    assert AlertState.from_bytes(BUSY.to_bytes()) != AlertState.from_bytes(PENDING.to_bytes())

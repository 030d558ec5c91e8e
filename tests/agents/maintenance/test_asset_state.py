"""The per-asset state codec: exact round trip, compactness and rejection of bad bytes."""

import struct

import numpy as np
import pytest

from agents.maintenance.asset_state import AssetState, StateFormatError
from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.settings import MaintenanceSettings

CFG = MaintenanceConfig.from_settings(MaintenanceSettings())


def _state_after(readings: int) -> AssetState:
    state = AssetState.new("motor-a", CFG)
    rng = np.random.default_rng(5)
    for i in range(readings):
        x = np.array([2.0, 3.0, 3.2, 1.0, 25.0, 70.0]) + rng.normal(0, 0.05, 6)
        ts = 1.7e9 + i * 600.0
        features = state.tracker.update(x, ts)
        state.detector.update(dict(zip(CFG.channels, x.tolist(), strict=True)), ts)
        state.snapshots.offer(ts, np.resize(features, CFG.n_inputs))
    state.open_alert_ts = 1.7e9 + 5.0
    return state


def test_round_trip_is_exact():
    state = _state_after(500)
    data = state.to_bytes()
    restored = AssetState.from_bytes(data, CFG)
    assert restored.to_bytes() == data
    assert restored.asset_class == "motor-a"
    assert restored.open_alert_ts == state.open_alert_ts


def test_full_state_stays_under_the_4kb_budget():
    assert len(_state_after(2000).to_bytes()) <= 4096


@pytest.mark.parametrize("data", [b"", b"\x02" + bytes(60), b"\x01" + bytes(200)])
def test_bad_bytes_raise_state_format_error(data):
    with pytest.raises(StateFormatError):
        AssetState.from_bytes(data, CFG)


def test_round_trip_keeps_the_joint_model_and_the_standing_derate():
    state = _state_after(500)
    state.derated = True
    joint = state.detector.joint
    assert joint is not None and joint.learned > 0
    restored = AssetState.from_bytes(state.to_bytes(), CFG)
    assert restored.derated is True
    assert restored.detector.joint is not None
    assert restored.detector.joint.learned == joint.learned
    assert restored.detector.joint.to_array().tobytes() == joint.to_array().tobytes()
    fresh = AssetState.from_bytes(_state_after(10).to_bytes(), CFG)
    assert fresh.derated is False


@pytest.mark.parametrize("version", [2, 3, 5])
def test_other_format_versions_are_refused_not_misread(version):
    data = bytearray(_state_after(50).to_bytes())
    assert data[0] == 4
    data[0] = version
    with pytest.raises(StateFormatError, match=f"version {version}"):
        AssetState.from_bytes(bytes(data), CFG)


def test_a_version_3_value_without_the_derate_byte_is_refused():
    """Format 3 of the joint model had no derate byte in its header; it must not be misread."""
    current = _state_after(50).to_bytes()
    old_header = struct.Struct("<BHHHHHddI")
    fields = list(struct.unpack_from("<BHHHHHddIB", current)[:-1])
    fields[0] = 3
    body = current[struct.calcsize("<BHHHHHddIB") :]
    with pytest.raises(StateFormatError):
        AssetState.from_bytes(old_header.pack(*fields) + body, CFG)

"""The per-asset state codec: exact round trip, compactness and rejection of bad bytes."""

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

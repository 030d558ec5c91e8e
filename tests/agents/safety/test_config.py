"""Safety configuration from settings: K, T, N, the site map and the alert policies."""

from __future__ import annotations

import pytest

from agents.safety.config import FATIGUE, MAN_DOWN, STATIONARY_CLUSTER, SafetyConfig
from agents.safety.settings import SafetySettings
from agents.safety.site_map import load_site_map
from app.settings import load_settings


def test_settings_set_k_t_n_and_the_policies():
    settings = load_settings(
        {
            "AIOT_SAFETY_CLUSTER_MIN_WORKERS": "4",
            "AIOT_SAFETY_CLUSTER_MIN_DWELL_S": "300",
            "AIOT_SAFETY_MAN_DOWN_STILL_S": "45",
            "AIOT_SAFETY_FATIGUE_RAISE": "1.5",
        }
    )
    config = SafetyConfig.from_settings(settings.of(SafetySettings))
    assert (config.cluster_min_workers, config.cluster_min_dwell_s) == (4, 300.0)
    assert config.man_down_still_s == 45.0
    assert config.policies[STATIONARY_CLUSTER].raise_threshold == 4.0
    assert config.policies[FATIGUE].raise_threshold == 1.5
    assert config.policies[FATIGUE].clear_threshold == 0.75
    assert config.policies[MAN_DOWN].cooldown_s == 0.0


def test_site_map_path_setting_is_used(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('extent = [0, 0, 9, 9]\ndefault_zone = { id = "open", risk = "low" }\n')
    config = SafetyConfig.from_settings(SafetySettings(safety_site_map=str(path)))
    assert config.site_map.default.id == "open" and not config.site_map.zones


def test_a_group_of_one_is_refused():
    with pytest.raises(ValueError, match="K"):
        SafetyConfig(site_map=load_site_map(), cluster_min_workers=1)

"""Settings from the environment."""

import pytest

from agents.maintenance.settings import MaintenanceSettings
from app.settings import Settings, SettingsError, load_settings


def test_defaults_without_environment():
    s = load_settings({})
    assert (
        s.broker_url == ""
        and s.of(MaintenanceSettings).horizon_h == 72.0
        and s.store == "memory://"
    )


def test_environment_overrides_with_types():
    s = load_settings({"AIOT_PARTITIONS": "12", "AIOT_HORIZON_H": "48", "AIOT_DEV_TIMEOUTS": "no"})
    assert (
        s.partitions == 12
        and s.of(MaintenanceSettings).horizon_h == 48.0
        and s.dev_timeouts is False
    )


def test_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match="AIOT_PARTITIONS"):
        load_settings({"AIOT_PARTITIONS": "many"})


def test_every_setting_is_documented():
    docs = Settings.documented()
    assert docs and all(env.startswith("AIOT_") and doc for env, _, doc in docs)


def test_readme_settings_table_lists_every_setting_with_its_default():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for env, default, _ in Settings.documented():
        assert f"| `{env}` | `{default}` |" in readme, env

"""Per-message logic of the gateway: validation, features, privacy, local reactions."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from app.edge.config import EdgeConfig
from app.edge.processor import EdgeProcessor
from app.edge.reactions import parse_edge_params
from app.settings import Settings
from schemas.command import Command, EdgeParams
from tests.app.edge.helpers import machine_payload, wearable_payload

SITE = "plant-7"
TEL = f"site/{SITE}/device/m1/telemetry"


@pytest.fixture()
def processor(tmp_path: Path) -> EdgeProcessor:
    settings = Settings(edge_data_dir=str(tmp_path), edge_min_consecutive=2)
    return EdgeProcessor(EdgeConfig.from_settings(settings, SITE), b"site-secret")


def test_a_waveform_reading_becomes_framed_machine_telemetry(processor: EdgeProcessor) -> None:
    out = processor.handle(TEL, machine_payload(2.0, 1))
    assert out.rejected is None and not out.actions
    [record] = out.outbound
    assert record.framed and record.topic == "aiot.machine.telemetry.v1" and record.key == b"m1"
    reading = orjson.loads(record.value)
    assert reading["asset_id"] == "m1"
    assert reading["vibration_rms"] == pytest.approx(2.0, rel=1e-3)
    assert "waveform" not in reading


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{oops", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (machine_payload(2.0, 1, asset_class=None), "bad_id"),
        (machine_payload(2.0, 1, waveform={"fs_hz": 5000}), "missing_field"),
        (machine_payload(2.0, 1, waveform={"fs_hz": 5000, "samples": ["a"] * 32}), "wrong_type"),
        (machine_payload(2.0, 1, waveform={"fs_hz": 5000, "samples": [1.0] * 32}), "out_of_range"),
        (machine_payload(2.0, 1, bearing_temp_c=900.0), "out_of_range"),
        (machine_payload(2.0, 1, ts=4102444800.0), "timestamp_in_future"),
        (machine_payload(2.0, 1, asset_id="other"), "bad_id"),
        (b'{"kind": "toaster"}', "bad_enum"),
    ],
)
def test_bad_payloads_become_dead_letters_with_their_reason(
    processor: EdgeProcessor, payload: bytes, reason: str
) -> None:
    out = processor.handle(TEL, payload)
    assert out.rejected == reason
    [letter] = out.outbound
    assert letter.topic == "aiot.deadletter.v1"
    body = orjson.loads(letter.value)
    assert body["reason"] == reason
    assert body["source_topic"] == f"mqtt:{TEL}"
    assert base64.b64decode(body["original_b64"]) == payload


def test_a_nan_sample_is_reported_as_not_finite(processor: EdgeProcessor) -> None:
    raw = machine_payload(2.0, 1).replace(b'"samples":[', b'"samples":[NaN,', 1)
    assert processor.handle(TEL, raw).rejected == "not_finite"


def test_severe_vibration_stops_the_motor_after_consecutive_readings(
    processor: EdgeProcessor,
) -> None:
    for i in range(5):
        assert not processor.handle(TEL, machine_payload(2.0, i)).actions
    assert not processor.handle(TEL, machine_payload(15.0, 10)).actions
    out = processor.handle(TEL, machine_payload(15.0, 11))
    [action] = out.actions
    assert action.mqtt_topic == f"site/{SITE}/device/m1/command"
    assert action.command.action == "stop" and action.command.source == f"edge:{SITE}"
    assert any(r.topic == "aiot.commands.v1" for r in out.outbound)
    assert not processor.handle(TEL, machine_payload(15.0, 12)).actions


def test_moderate_vibration_derates_and_rearms_below_the_level(processor: EdgeProcessor) -> None:
    actions = [processor.handle(TEL, machine_payload(8.0, i)).actions for i in range(3)]
    assert [a[0].command.action for a in actions if a] == ["derate"]
    processor.handle(TEL, machine_payload(2.0, 5))
    processor.handle(TEL, machine_payload(8.0, 6))
    [again] = processor.handle(TEL, machine_payload(8.0, 7)).actions
    assert again.command.params["derate_pct"] == 50.0


def test_cloud_params_change_the_thresholds_live(processor: EdgeProcessor) -> None:
    params = EdgeParams("motor-a", derate_rms=2.5, stop_rms=4.0, min_consecutive=1, version=3)
    processor.book.apply(parse_edge_params(params.to_json()))
    [action] = processor.handle(TEL, machine_payload(4.5, 1)).actions
    assert action.command.action == "stop"


def test_wearables_leave_the_site_pseudonymised_without_raw_biometrics(
    processor: EdgeProcessor,
) -> None:
    out = processor.handle(f"site/{SITE}/device/w9/telemetry", wearable_payload("W-1234"))
    [record] = out.outbound
    body = orjson.loads(record.value)
    assert body["worker_id"].startswith("p-") and "W-1234" not in record.value.decode()
    assert "heart_rate_bpm" not in body and "ecg" not in body
    assert body["x_m"] == 12.5 and record.key == body["worker_id"].encode()


def test_man_down_raises_one_local_alarm_per_episode(processor: EdgeProcessor) -> None:
    topic = f"site/{SITE}/device/w9/telemetry"
    [alarm] = processor.handle(topic, wearable_payload("W-1", man_down=True)).actions
    assert alarm.mqtt_topic == f"site/{SITE}/alarm" and alarm.command.action == "alarm"
    assert not processor.handle(topic, wearable_payload("W-1", man_down=True)).actions
    processor.handle(topic, wearable_payload("W-1", man_down=False))
    assert processor.handle(topic, wearable_payload("W-1", man_down=True)).actions


def test_device_acks_are_forwarded_and_bad_ones_dead_lettered(processor: EdgeProcessor) -> None:
    topic = f"site/{SITE}/device/m1/ack"
    out = processor.handle(topic, b'{"command_id": "abc123", "status": "done"}')
    [ack] = out.outbound
    assert ack.topic == "aiot.commands.acks.v1"
    assert orjson.loads(ack.value)["command_id"] == "abc123"
    assert processor.handle(topic, b'{"command_id": "abc", "status": "maybe"}').rejected == (
        "bad_enum"
    )


def _command(site: str | None, source: str = "maintenance", asset: str = "m1") -> bytes:
    return Command("c1", asset, "derate", "r", source, 1.0, 2.0, site=site).to_json()


def test_cloud_commands_are_relayed_only_for_this_sites_devices(
    processor: EdgeProcessor,
) -> None:
    assert processor.on_cloud_command(_command(None)) is None
    processor.handle(TEL, machine_payload(2.0, 1))
    action = processor.on_cloud_command(_command(None))
    assert action is not None and action.mqtt_topic == f"site/{SITE}/device/m1/command"
    assert processor.on_cloud_command(_command("elsewhere")) is None
    assert processor.on_cloud_command(_command(SITE, source=f"edge:{SITE}")) is None
    assert processor.on_cloud_command(_command(SITE, asset="new-device")) is not None


def test_devices_may_stamp_readings_in_milliseconds_or_iso_8601(processor: EdgeProcessor) -> None:
    import time
    from datetime import UTC, datetime

    now = time.time() - 5.0
    iso = datetime.fromtimestamp(now, UTC).isoformat()
    machine = processor.handle(TEL, machine_payload(2.0, 0, ts=int(now * 1000)))
    wearable = orjson.loads(wearable_payload("W-1")) | {"ts": iso}
    worn = processor.handle(f"site/{SITE}/device/w9/telemetry", orjson.dumps(wearable))
    [reading] = machine.outbound
    [record] = worn.outbound
    assert machine.rejected is None and worn.rejected is None
    assert orjson.loads(reading.value)["ts"] == pytest.approx(int(now * 1000) / 1000, abs=1e-6)
    assert orjson.loads(record.value)["ts"] == pytest.approx(now, abs=1e-6)

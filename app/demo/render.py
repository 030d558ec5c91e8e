"""Human-readable one-line renderings of aiot topic records (``aiot tail`` and ``make run``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["render_record"]


def _when(ts: Any) -> str:
    try:
        return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ts)


def _alert(r: dict[str, Any]) -> str:
    state = str(r.get("state", "")).upper()
    return f"{_when(r.get('ts'))}  ALERT {state:<7} {r.get('message', '')}"


def _action(r: dict[str, Any]) -> str:
    facts = r.get("note") or r.get("outcome") or ""
    if r.get("shelve_s"):
        facts = f"for {float(r['shelve_s']) / 60:.0f} min"
    return (
        f"{_when(r.get('ts'))}  ACTION {str(r.get('action', '')).upper()} alarm "
        f"{r.get('alert_id')} on {r.get('asset_id')} by {r.get('by')} {facts}".rstrip()
    )


def _prediction(r: dict[str, Any]) -> str:
    ttf = r.get("time_to_failure_h")
    ttf_text = f"{ttf:.0f} h" if isinstance(ttf, int | float) else "-"
    top = ", ".join(
        f"{f['name']} {f['value']:.3g} vs {f['baseline']:.3g} (z={f['z']:+.1f})"
        for f in r.get("top_features", [])[:2]
    )
    return (
        f"{_when(r.get('ts'))}  {r.get('asset_id')}: P(fail<{r.get('horizon_h', 0):.0f}h)="
        f"{r.get('failure_probability', 0):.2f} anomaly={r.get('anomaly_score', 0):.2f} "
        f"ttf={ttf_text}  {top}"
    )


def _dead_letter(r: dict[str, Any]) -> str:
    return (
        f"DEAD LETTER {r.get('source_topic')}[{r.get('partition')}]@{r.get('offset')} "
        f"{r.get('reason')}: {r.get('detail')}"
    )


def _telemetry(r: dict[str, Any]) -> str:
    return (
        f"{_when(r.get('ts'))}  {r.get('asset_id')} ({r.get('asset_class')}): "
        f"vib {r.get('vibration_rms')} mm/s, kurt {r.get('kurtosis')}, "
        f"crest {r.get('crest_factor')}, f {r.get('dominant_freq_hz')} Hz, "
        f"bearing {r.get('bearing_temp_c')} C (ambient {r.get('ambient_temp_c')}), "
        f"load {r.get('load_pct')} %, {r.get('speed_rpm')} rpm"
    )


def _event(r: dict[str, Any]) -> str:
    return (
        f"{_when(r.get('ts'))}  {str(r.get('kind', '')).upper()} {r.get('asset_id')}"
        f" {orjson.dumps(r.get('detail') or r.get('note') or '').decode()}"
    )


def render_record(value: bytes) -> str:
    """Render one record's bytes as a line; unknown shapes print as compact JSON."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:
        return repr(value[:200])
    if not isinstance(record, dict):
        return orjson.dumps(record).decode()
    if "ack_id" in record:
        return _action(record)
    if "alert_id" in record:
        return _alert(record)
    if "failure_probability" in record:
        return _prediction(record)
    if "original_b64" in record:
        return _dead_letter(record)
    if "vibration_rms" in record:
        return _telemetry(record)
    if "kind" in record and "asset_id" in record:
        return _event(record)
    return orjson.dumps(record).decode()

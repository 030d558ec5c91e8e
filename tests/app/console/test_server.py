"""The console's HTTP API: the page and its assets, live events, and writes that either publish
exactly one valid record or answer a clear 4xx and publish nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.console.server import STATIC_DIR, Console, build_app
from app.settings import Settings
from schemas import decode_alarm_action, decode_verdict
from tests.app.console.records import T0, WORKER, alert, episode

NOW = T0 + 60.0
BOUNDS = {"min_event_time": 946684800.0, "max_future_skew_s": 300.0}


class Published:
    """A stand-in for Kafka that records what the console publishes."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, bytes]] = []

    async def __call__(self, topic: str, key: str, value: bytes) -> None:
        self.records.append((topic, key, value))


def run(test: Callable[[TestClient, Console, Published], Awaitable[None]], **settings: Any) -> None:
    """Serve a console (no Kafka: records fed directly) and run ``test`` against it."""

    async def main() -> None:
        published = Published()
        console = Console(Settings(**settings), publish=published, clock=lambda: NOW)
        console.take("alerts", WORKER.encode(), alert(), T0 + 1.0)
        console.take(
            "alerts",
            b"motor-1",
            alert("am", domain="maintenance", alert_type="risk", asset_id="motor-1"),
            T0 + 1.0,
        )
        console.take("fleet_episodes", b"truck-1", episode(), T0)
        async with TestClient(TestServer(build_app(console))) as client:
            await test(client, console, published)

    asyncio.run(main())


def test_page_and_assets_are_served_from_the_package_with_a_strict_policy():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        page = await client.get("/")
        html = await page.text()
        assert page.status == 200 and "aiot operations console" in html
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert (await client.get(asset)).status == 200, asset
        for name in ("app.js", "alarms.js", "maps.js", "plot.js", "dom.js", "console.css"):
            assert (STATIC_DIR / name).is_file()
            text = (STATIC_DIR / name).read_text()
            assert "http://" not in text.replace('"http://www.w3.org/2000/svg"', "")
            assert "https://" not in text, f"{name} must not load anything from the internet"

    run(test)


def test_state_and_events_carry_every_section():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        state = await (await client.get("/api/state")).json()
        assert {"maintenance", "fleet", "safety", "alarms", "figures", "commands"} <= set(state)
        assert state["console"] == {"identity_header": False, "user": None}
        assert [a["alert_id"] for a in state["alarms"]["alarms"]] == ["a1", "am"]
        async with client.get("/api/events") as events:
            assert events.headers["Content-Type"] == "text/event-stream"
            seen: set[str] = set()
            while len(seen) < 6:
                line = (await events.content.readline()).decode()
                if line.startswith("event: "):
                    seen.add(line[7:].strip())
        assert seen == {"maintenance", "fleet", "safety", "alarms", "figures", "commands"}

    run(test)


def test_acknowledge_publishes_one_valid_action_keyed_by_the_asset():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        answer = await client.post("/api/alarms/a1/acknowledge", json={"by": "Alice"})
        assert answer.status == 202, await answer.text()
        ((topic, key, value),) = published.records
        assert (topic, key) == (console.acks_topic, WORKER)
        action = decode_alarm_action(value, now=NOW, **BOUNDS)
        assert (action.action, action.alert_id, action.by, action.ts) == (
            "acknowledge",
            "a1",
            "Alice",
            NOW,
        )
        again = await client.post("/api/alarms/a1/acknowledge", json={"by": "Bob"})
        assert again.status == 409 and "waiting for the worker" in (await again.json())["error"]
        assert len(published.records) == 1

    run(test)


def test_shelve_note_outcome_and_verdict_publish_what_the_worker_accepts():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        for path, body in (
            ("/api/alarms/a1/shelve", {"by": "A", "minutes": 30}),
            ("/api/alarms/a1/note", {"by": "A", "note": "crew sent"}),
            ("/api/alarms/am/outcome", {"by": "A", "outcome": "fault_confirmed"}),
        ):
            assert (await client.post(path, json=body)).status == 202, path
        shelve = decode_alarm_action(published.records[0][2], now=NOW, **BOUNDS)
        assert shelve.shelve_s == 1800.0
        outcome = decode_alarm_action(published.records[2][2], now=NOW, **BOUNDS)
        assert (outcome.outcome, outcome.asset_id) == ("fault_confirmed", "motor-1")
        verdict = await client.post(
            "/api/episodes/ep-1/verdict", json={"by": "Dispatch", "label": "traffic_detour"}
        )
        assert verdict.status == 202
        topic, key, value = published.records[3]
        assert (topic, key) == (console.verdicts_topic, "truck-1")
        record = decode_verdict(value, now=NOW, **BOUNDS)
        assert (record.label, record.by, record.episode_id) == (
            "traffic_detour",
            "Dispatch",
            "ep-1",
        )
        assert record.episode_start_ts == T0 - 600.0 and record.episode_end_ts >= T0 - 600.0

    run(test)


BAD_REQUESTS = [
    ("/api/alarms/a1/acknowledge", {"by": "A"}, "text/plain", 415, "Content-Type"),
    ("/api/alarms/a1/acknowledge", b"{not json", "application/json", 400, "not JSON"),
    ("/api/alarms/a1/acknowledge", [1, 2], "application/json", 400, "JSON object"),
    ("/api/alarms/a1/acknowledge", {}, "application/json", 400, "who acts"),
    ("/api/alarms/a1/acknowledge", {"by": ""}, "application/json", 400, "by="),
    ("/api/alarms/a1/acknowledge", {"by": "x" * 200}, "application/json", 400, "by="),
    ("/api/alarms/nope/acknowledge", {"by": "A"}, "application/json", 404, "no alarm"),
    ("/api/alarms/a1/explode", {"by": "A"}, "application/json", 404, "unknown action"),
    ("/api/alarms/a1/shelve", {"by": "A"}, "application/json", 400, "minutes"),
    ("/api/alarms/a1/shelve", {"by": "A", "minutes": 0}, "application/json", 400, "minutes"),
    ("/api/alarms/a1/shelve", {"by": "A", "minutes": "1h"}, "application/json", 400, "minutes"),
    ("/api/alarms/a1/unshelve", {"by": "A"}, "application/json", 409, "not shelved"),
    ("/api/alarms/a1/note", {"by": "A"}, "application/json", 400, "note"),
    ("/api/alarms/a1/note", {"by": "A", "note": "x" * 3000}, "application/json", 400, "note"),
    ("/api/alarms/a1/outcome", {"by": "A", "outcome": "maybe"}, "application/json", 400, "outcome"),
    ("/api/alarms/a1/acknowledge", b"{" + b" " * 20000 + b"}", "application/json", 413, "bytes"),
    (
        "/api/episodes/ep-1/verdict",
        {"by": "A", "label": "detour"},
        "application/json",
        400,
        "label",
    ),
    ("/api/episodes/ep-9/verdict", {"by": "A", "label": "normal"}, "application/json", 404, "ep-9"),
]


@pytest.mark.parametrize(("path", "body", "content_type", "status", "says"), BAD_REQUESTS)
def test_bad_requests_get_a_clear_4xx_and_publish_nothing(path, body, content_type, status, says):
    async def test(client: TestClient, console: Console, published: Published) -> None:
        before = orjson.dumps(console.view.section("alarms", NOW))
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        answer = await client.post(path, data=data, headers={"Content-Type": content_type})
        assert answer.status == status
        message = (await answer.json())["error"]
        assert says in message, message
        assert published.records == []
        assert orjson.dumps(console.view.section("alarms", NOW)) == before

    run(test)


def test_wrong_methods_and_paths_answer_4xx_as_json():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        assert (await client.get("/api/alarms/a1/acknowledge")).status == 405
        missing = await client.get("/api/assets/none/history")
        assert missing.status == 404 and "error" in await missing.json()
        assert (await client.get("/static/../server.py")).status in (403, 404)
        assert published.records == []

    run(test)


def test_with_an_identity_header_the_proxy_user_acts_and_anonymous_writes_are_refused():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        anonymous = await client.post("/api/alarms/a1/acknowledge", json={"by": "Mallory"})
        assert anonymous.status == 401 and "X-Forwarded-User" in (await anonymous.json())["error"]
        assert published.records == []
        signed = await client.post(
            "/api/alarms/a1/acknowledge",
            json={"by": "Mallory"},
            headers={"X-Forwarded-User": "alice@example.com"},
        )
        assert signed.status == 202
        action = decode_alarm_action(published.records[0][2], now=NOW, **BOUNDS)
        assert action.by == "alice@example.com"

    run(test, console_user_header="X-Forwarded-User")


def test_publish_failure_is_a_503_and_leaves_no_pending_action():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        async def broken(topic: str, key: str, value: bytes) -> None:
            raise ConnectionError("broker down")

        console._publish = broken
        answer = await client.post("/api/alarms/a1/acknowledge", json={"by": "A"})
        assert answer.status == 503 and "broker down" in (await answer.json())["error"]
        assert console.view.section("alarms", NOW)["alarms"][0]["pending"] == []

    run(test)


def test_health_ready_and_metrics():
    async def test(client: TestClient, console: Console, published: Published) -> None:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 200
        await client.post("/api/alarms/nope/acknowledge", json={"by": "A"})
        await asyncio.sleep(5.6)  # the push loop publishes the figures every 5 s
        metrics = await (await client.get("/metrics")).text()
        assert 'aiot_console_actions_total{action="acknowledge",status="404"} 1.0' in metrics
        assert "aiot_alarms_active_unacknowledged 2.0" in metrics
        assert "aiot_alarm_rate_last_10min" in metrics

    run(test)

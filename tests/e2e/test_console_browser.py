"""The operations console in a real browser, on ``make run``: all three domains live, an alarm
raised by the simulators acknowledged with a click, a dispatcher verdict sent with a click.

``aiot run`` runs as a child process exactly as ``make run`` does (embedded Kafka, worker,
edge gateway, simulators, console), with a short escalation time so the test sees unacknowledged
critical alarms escalate while the acknowledged one does not. Headless Chromium drives the page
the run prints; the test reads the run's Kafka to check what the clicks published.

With ``AIOT_UPDATE_SCREENSHOTS=1`` the screenshots of the four pages replace those under
``docs/`` that the README shows.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.embedded.worker_process import REPO
from tests.e2e.browser import chromium
from tests.kafka_support import consume_all

pytestmark = pytest.mark.e2e

ESCALATE_AFTER_S = 4.0
RUN_S = 90
MOTORS = 20  # fewer than make run's 50: the shared 2-core test machine keeps up better
OPERATOR = "e2e-operator"
DOCS = REPO / "docs"


class Run:
    """``aiot run`` in the background, its output collected line by line."""

    def __init__(self, duration_s: int) -> None:
        env = dict(
            os.environ,
            AIOT_ALARM_ESCALATE_AFTER_S=str(ESCALATE_AFTER_S),
            AIOT_SIM_MOTORS=str(MOTORS),
        )
        env.pop("AIOT_BROKER_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--duration", str(duration_s)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def find(self, pattern: str, timeout_s: float) -> re.Match[str]:
        """The first output line matching ``pattern`` (waits for it)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not printed:\n" + "\n".join(self.lines[-40:]))

    def finish(self, timeout_s: float) -> int:
        """Wait for the run to end; its exit code."""
        code = self.proc.wait(timeout=timeout_s)
        self.reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from chromium()


def wait(driver: Any, check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy; fail with a screenshot path if not."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # the page re-renders under us: stale elements, retry
            last = exc
        time.sleep(0.3)
    shot = Path(f"/tmp/aiot-console-failure-{int(time.time())}.png")
    driver.save_screenshot(str(shot))
    raise AssertionError(f"timed out waiting for {what} (screenshot {shot}; last error {last!r})")


def click(driver: Any, css: str) -> bool:
    """Click the element ``css`` like a user; False when the live page re-rendered it away
    between finding and clicking (the caller retries)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        driver.find_element(By.CSS_SELECTOR, css).click()
    except StaleElementReferenceException:
        return False
    return True


def topic(bootstrap: str, name: str) -> list[dict[str, Any]]:
    return asyncio.run(consume_all(bootstrap, [name], idle_s=1.5))[name]


def post_json(url: str, body: bytes, content_type: str = "application/json") -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def screenshot(driver: Any, page: str, tmp_path: Path) -> None:
    """Open ``page`` and save its screenshot (also under docs/ when asked to update them)."""
    driver.get(driver.current_url.split("#")[0] + f"#{page}")
    time.sleep(2.5)
    target = tmp_path / f"console-{page}.png"
    driver.save_screenshot(str(target))
    if os.environ.get("AIOT_UPDATE_SCREENSHOTS"):
        shutil.copy(target, DOCS / f"console-{page}.png")


def test_console_shows_every_domain_live_and_clicks_acknowledge_and_judge(
    browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    run = Run(RUN_S)
    try:
        bootstrap = run.find(r"aiot: broker kafka://(\S+),", 120).group(1)
        url = run.find(r"operations console at (http://\S+/)", 150).group(1)
        browser.get(url + "#alarms")
        box = browser.find_element(By.CSS_SELECTOR, "[data-testid=operator]")
        box.send_keys(OPERATOR)
        wait(
            browser,
            lambda: (
                browser.find_element(By.CSS_SELECTOR, "[data-testid=conn]").get_attribute(
                    "data-state"
                )
                == "live"
            ),
            30,
            "the live connection",
        )

        Select(browser.find_element(By.ID, "f-phase")).select_by_value("")  # closed ones too

        # An alarm the simulators raised appears; a critical one is acknowledged with a click.
        def critical_alarm() -> str | None:
            return browser.execute_script(
                "const row = [...document.querySelectorAll('[data-testid=alarm-row]')].find("
                "r => r.dataset.phase === 'unacknowledged' && r.querySelector('.sev.critical'));"
                "return row ? row.dataset.alertId : null;"
            )

        alert_id = wait(browser, critical_alarm, 180, "an unacknowledged critical alarm")
        ack = f"[data-testid=alarm-row][data-alert-id='{alert_id}'] [data-testid=ack]"
        wait(browser, lambda: click(browser, ack), 10, "a click on Acknowledge")

        def phase() -> str | None:
            return browser.execute_script(
                "const row = document.querySelector("
                "`[data-testid=alarm-row][data-alert-id='${arguments[0]}']`);"
                "return row ? row.dataset.phase : null;",
                alert_id,
            )

        actions = wait(
            browser,
            lambda: [
                a for a in topic(bootstrap, "aiot.alerts.acks.v1") if a["alert_id"] == alert_id
            ],
            30,
            "the click's action on the acks topic",
        )
        assert [(a["action"], a["by"]) for a in actions] == [("acknowledge", OPERATOR)]

        # The fleet page: a dispatcher verdict click reaches the verdicts topic.
        browser.get(url + "#fleet")
        episode_id = wait(
            browser,
            lambda: browser.execute_script(
                "const card = document.querySelector('[data-testid=episode]');"
                "return card ? card.dataset.episodeId : null;"
            ),
            180,
            "a fleet deviation episode",
        )
        verdict_button = f"[data-episode-id='{episode_id}'] [data-testid=verdict-normal]"
        wait(browser, lambda: click(browser, verdict_button), 10, "a click on a verdict")

        def verdict() -> list[dict[str, Any]]:
            return [
                v
                for v in topic(bootstrap, "aiot.fleet.verdicts.v1")
                if v.get("episode_id") == episode_id
            ]

        (given,) = wait(browser, verdict, 30, "the verdict on the verdicts topic")
        assert (given["label"], given["by"]) == ("normal", OPERATOR)

        # Every domain is live on its page.
        browser.get(url + "#maintenance")
        wait(
            browser,
            lambda: browser.find_elements(By.CSS_SELECTOR, "[data-testid=asset-row]"),
            30,
            "maintenance assets",
        )
        browser.get(url + "#safety")
        wait(
            browser,
            lambda: browser.find_elements(By.CSS_SELECTOR, "#site-map [data-worker]"),
            30,
            "workers on the site map",
        )

        # Bad requests to the running console: a clear 4xx, nothing published.
        before = len(topic(bootstrap, "aiot.alerts.acks.v1"))
        assert post_json(url + f"api/alarms/{alert_id}/acknowledge", b"{}") == 400
        assert post_json(url + "api/alarms/nope/acknowledge", b'{"by": "x"}') == 404
        assert post_json(url + f"api/alarms/{alert_id}/acknowledge", b'{"by": "x"}') == 409
        assert len(topic(bootstrap, "aiot.alerts.acks.v1")) == before

        for page in ("maintenance", "fleet", "safety", "alarms"):
            screenshot(browser, page, tmp_path)

        # The worker's alarm agent turns the action into the acknowledged transition, and the
        # page shows it (on a loaded machine the worker may lag: allow it to catch up).
        browser.get(url + "#alarms")
        Select(browser.find_element(By.ID, "f-phase")).select_by_value("")
        wait(browser, lambda: phase() in ("acknowledged", "cleared"), 150, "the acknowledgement")
        records = [r for r in topic(bootstrap, "aiot.alerts.v1") if r["alert_id"] == alert_id]
        acked = [r for r in records if r["state"] == "acknowledged"]
        assert len(acked) == 1 and acked[0]["by"] == OPERATOR

        # Unacknowledged critical alarms escalated; the acknowledged one stopped re-notifying.
        alerts = topic(bootstrap, "aiot.alerts.v1")
        escalated = [r for r in alerts if r["state"] == "escalated"]
        assert escalated, "an unacknowledged critical alarm must escalate after the set time"
        assert all(r["severity"] == "critical" and r["by"] == "aiot" for r in escalated)
        # One alarm's records share a partition, so topic order is the order they were written.
        states = [r["state"] for r in alerts if r["alert_id"] == alert_id]
        after_ack = states[states.index("acknowledged") + 1 :]
        assert "escalated" not in after_ack, f"acknowledging stops re-notification: {states}"
        assert run.finish(240) == 0
        summary = orjson.loads(run.lines[-1])
        assert summary["events"] > 0 and set(summary) >= {"maintenance", "fleet", "safety"}
    finally:
        print("\n".join(run.lines[-60:]))  # shown by pytest when the test failed
        run.kill()

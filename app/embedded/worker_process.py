"""Run a real ``aiot worker`` as a child process (``make run``, benchmarks, end-to-end tests).

The worker is started exactly as in production (``python -m app.cli worker``) with its
settings in the environment and its own process group, so stopping it leaves no orphan; its
log goes to a file that failure messages quote.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from app.embedded.broker import free_port
from app.embedded.lifecycle import StartStop

REPO = Path(__file__).resolve().parents[2]


def metric_sum(text: str, name: str) -> float:
    """Sum the samples of metric ``name`` (all label sets) in Prometheus exposition ``text``."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")):
            total += float(line.rsplit(" ", 1)[1])
    return total


class WorkerProcess(StartStop):
    """An ``aiot worker`` child process; use as a context manager."""

    def __init__(
        self,
        broker_url: str,
        workdir: Path,
        *,
        command: tuple[str, ...] = ("worker",),
        port_setting: str = "web_port",
        port: int | None = None,
        **settings: str,
    ) -> None:
        """Prepare ``aiot <command>`` (default: a worker) on ``broker_url`` with its state and log
        under ``workdir``; its HTTP port (``port``, default a free one) goes in
        ``AIOT_<PORT_SETTING>``, and ``settings`` are extra ``AIOT_<NAME>`` values (e.g.
        ``store="rocksdb://"``)."""
        self.port = port or free_port()
        self.workdir = workdir
        self.command = command
        self.log_path = workdir / f"{command[0]}.log"
        self.env = dict(
            os.environ,
            AIOT_BROKER_URL=broker_url,
            AIOT_WEB_HOST="127.0.0.1",
            AIOT_DATA_DIR=str(workdir / "state"),
            AIOT_LOG_LEVEL="info",
        )
        self.env[f"AIOT_{port_setting.upper()}"] = str(self.port)
        self.env.update({f"AIOT_{k.upper()}": v for k, v in settings.items()})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        """Start the worker (its log is appended to, so restarts keep one log)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *self.command],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the worker's log, for failure messages."""
        return self.log_path.read_text(errors="replace")[-chars:]

    def get(self, path: str) -> tuple[int, str]:
        """GET ``path`` on the worker's web port: ``(status, body)``; status 0 if unreachable."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode(errors="replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, ""

    def metric(self, name: str) -> float | None:
        """Sum of every sample of metric ``name`` on /metrics; None when unreachable."""
        status, text = self.get("/metrics")
        return metric_sum(text, name) if status == 200 else None

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait for /readyz to answer 200, or raise with the log."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}:\n{self.log_tail()}")
            if self.get("/readyz")[0] == 200:
                return
            time.sleep(0.25)
        raise TimeoutError(f"worker not ready in {timeout_s:.0f} s:\n{self.log_tail()}")

    def wait_log(self, text: str, timeout_s: float = 60.0) -> None:
        """Wait until the process's log contains ``text``, or raise with the log."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.command[0]} exited {self.proc.returncode}:\n{self.log_tail()}"
                )
            if text in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.25)
        raise TimeoutError(f"{text!r} not logged in {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (or SIGKILL with ``kill``) the worker and wait for it to exit."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

"""``aiot simulate``: stream the simulated motor fleet into the configured Kafka broker."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from agents.maintenance.settings import MaintenanceSettings
from app.kafka.clients import bootstrap_servers
from app.settings import Settings, load_settings
from app.simulator.runner import SimProgress, SimReport, run_simulation

__all__ = ["register"]

PROGRESS_EVERY_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulate`` sub-command to the ``aiot`` parser."""
    parser = subparsers.add_parser(
        "simulate",
        help="stream the simulated motor fleet (telemetry, maintenance, ground truth) to Kafka",
        description="Stream a deterministic simulated motor fleet into AIOT_BROKER_URL.",
    )
    parser.add_argument("--motors", type=int, help="number of motors (AIOT_SIM_MOTORS)")
    parser.add_argument(
        "--speedup", type=float, help="simulated seconds per real second (AIOT_SIM_SPEEDUP)"
    )
    parser.add_argument("--seed", type=int, help="random seed (AIOT_SIM_SEED)")
    parser.add_argument(
        "--duration",
        type=float,
        default=0.0,
        help="real seconds to run (default 0: until Ctrl-C)",
    )
    parser.add_argument(
        "--bad-fraction",
        type=float,
        default=0.0,
        help="fraction of telemetry replaced by bad records (default: 0)",
    )
    parser.set_defaults(handler=_handle)


def _settings_from(args: argparse.Namespace) -> Settings:
    """The loaded settings with the command-line overrides applied."""
    settings = load_settings()
    overrides = {
        "sim_motors": args.motors,
        "sim_speedup": args.speedup,
        "sim_seed": args.seed,
    }
    return settings.replace(**{k: v for k, v in overrides.items() if v is not None})


def _handle(args: argparse.Namespace) -> int:
    """Run the simulation until ``--duration`` elapses or the process is interrupted."""
    settings = _settings_from(args)
    if not settings.broker_url:
        print(
            "aiot simulate: no broker configured. Start one with `aiot broker` and set "
            "AIOT_BROKER_URL to the URL it prints (e.g. kafka://127.0.0.1:9092).",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(_run(bootstrap_servers(settings.broker_url), settings, args))
    _print_summary(report, settings)
    return 0


async def _run(bootstrap: str, settings: Settings, args: argparse.Namespace) -> SimReport:
    """Run the simulation with SIGINT/SIGTERM wired to a clean stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"simulating {settings.sim_motors} motors at {settings.sim_speedup:g}x "
        f"(seed {settings.sim_seed}) into {bootstrap}",
        flush=True,
    )
    return await run_simulation(
        bootstrap,
        settings,
        duration_s=args.duration or None,
        stop=stop,
        bad_fraction=args.bad_fraction,
        on_progress=_Progress(settings),
    )


def _utc(ts: float) -> str:
    """A Unix time as ``YYYY-MM-DD HH:MMZ``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%MZ")


class _Progress:
    """Prints one progress line every :data:`PROGRESS_EVERY_S` real seconds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.next_at = time.monotonic() + PROGRESS_EVERY_S

    def __call__(self, progress: SimProgress) -> None:
        """Print ``progress`` if the last line is old enough."""
        if time.monotonic() < self.next_at:
            return
        self.next_at += PROGRESS_EVERY_S
        s = self.settings
        print(
            f"[{progress.real_elapsed_s:6.1f}s] sim {_utc(progress.sim_ts)}"
            f"  telemetry {progress.sent[s.of(MaintenanceSettings).topic_telemetry]}"
            f"  maintenance {progress.sent[s.of(MaintenanceSettings).topic_maintenance]}"
            f"  ground-truth {progress.sent[s.topic_ground_truth]}"
            f"  failures {progress.failures}  bad {progress.bad}",
            flush=True,
        )


def _print_summary(report: SimReport, settings: Settings) -> None:
    """Print what the run produced."""
    days = (report.end_ts - report.start_ts) / 86400.0
    kinds = Counter(e.kind for e in report.episodes)
    bad = ", ".join(f"{k}={v}" for k, v in report.bad_by_kind.items() if v) or "none"
    print(
        f"simulated {_utc(report.start_ts)} -> {_utc(report.end_ts)} "
        f"({days:.2f} days) in {report.real_elapsed_s:.1f} s"
    )
    print(
        f"sent: telemetry {report.sent[settings.of(MaintenanceSettings).topic_telemetry]}, "
        f"maintenance {report.sent[settings.of(MaintenanceSettings).topic_maintenance]}, "
        f"ground truth {report.sent[settings.topic_ground_truth]}"
    )
    print(
        f"episodes: {len(report.failures)} bearing failures, "
        f"{kinds['overload']} overloads, {kinds['heat_wave']} heat waves"
    )
    print(f"bad records: {sum(report.bad_by_kind.values())} ({bad})", flush=True)

"""``aiot broker``: run the embedded Tansu Kafka broker in the foreground until a signal."""

from __future__ import annotations

import argparse
import signal
import socket
import threading
from typing import Any

from app.cli.errors import UsageError
from app.embedded.broker import EmbeddedBroker

__all__ = ["register"]


def _require_free(port: int) -> None:
    """Raise :class:`UsageError` when ``port`` is taken on the loopback interface (another
    broker there would answer in this one's place)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(
                f"port {port} is in use ({exc.strerror}): choose another --port, or omit it "
                "for a free one"
            ) from exc


def _run(args: argparse.Namespace) -> int:
    if args.port:
        _require_free(args.port)
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    with EmbeddedBroker(port=args.port or None) as broker:
        print(broker.url, flush=True)
        print(f"export AIOT_BROKER_URL={broker.url}", flush=True)
        stop.wait()
    print("broker stopped", flush=True)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``broker`` sub-command."""
    parser = subparsers.add_parser(
        "broker", help="run the embedded Kafka-protocol broker (memory only) until Ctrl-C"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.set_defaults(handler=_run)

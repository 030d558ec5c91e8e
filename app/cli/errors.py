"""How a failed ``aiot`` command ends: one line saying what is wrong, and an exit code.

A configuration or connection mistake is the user's to fix, so it gets one line on stderr
(``aiot <command>: <what> ...``) instead of a traceback; ``aiot --debug <command>`` shows the
traceback. Exit codes:

* 1 - the command found problems (``aiot topics check``) or failed unexpectedly;
* 2 - configuration: an invalid setting, a topic missing or not matching the plan, a file
  that cannot be read or written;
* 3 - connection: no Kafka broker answered at ``AIOT_BROKER_URL`` (or it refused the
  client's security settings);
* 130 - interrupted (Ctrl-C); 141 - the reader of the output went away (``| head``), quietly.
"""

from __future__ import annotations

import os
import sys

from aiokafka.errors import KafkaConnectionError, KafkaError

from app.kafka.connect import BrokerUnreachable
from app.kafka.topic_check import TopicCreateError, TopicsNotReady
from app.settings import SettingsError

__all__ = ["EXIT_CONFIG", "EXIT_CONNECTION", "EXIT_PROBLEMS", "UsageError", "explain", "fail"]

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2
EXIT_CONNECTION = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

_CONNECTION_HINT = (
    " - is the broker running, and are AIOT_BROKER_URL and the AIOT_BROKER_* security "
    "settings right?"
)


class UsageError(Exception):
    """The command cannot do what it was asked as given (e.g. ``aiot tail`` of a topic that
    does not exist): the message says what to give instead."""


def explain(exc: BaseException) -> tuple[str, int]:
    """The one line (without the command prefix) and exit code for ``exc``."""
    if isinstance(exc, SettingsError | TopicsNotReady | TopicCreateError | UsageError):
        return str(exc), EXIT_CONFIG
    if isinstance(exc, BrokerUnreachable):
        return f"{exc}{_CONNECTION_HINT}", EXIT_CONNECTION
    if isinstance(exc, KafkaConnectionError):
        return f"cannot reach Kafka: {exc}{_CONNECTION_HINT}", EXIT_CONNECTION
    if isinstance(exc, KafkaError):
        return f"Kafka error {type(exc).__name__}: {exc}", EXIT_CONNECTION
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}", EXIT_CONFIG
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"unexpected error {detail} (aiot --debug shows the traceback)", EXIT_PROBLEMS


def fail(command: str, exc: BaseException, debug: bool) -> int:
    """End command ``command`` that raised ``exc``: quietly for a closed pipe or Ctrl-C, with
    the traceback under ``debug``, else with one line on stderr; return the exit code."""
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if debug or not isinstance(exc, Exception):
        raise exc
    line, code = explain(exc)
    print(f"aiot {command}: {line}", file=sys.stderr, flush=True)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)

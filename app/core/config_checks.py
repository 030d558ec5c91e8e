"""Value checks for settings (:func:`app.core.config.setting` ``check=``): each returns None for
a good value, else one sentence saying what is wrong and what is allowed.

>>> kafka_servers("http://broker:9092")
'http:// is not a Kafka address: give kafka://host:port (the Kafka listener, often port 9092)'
>>> table_store("foo://") is None, table_store("rocksdb://") is None
(False, True)
"""

from __future__ import annotations

import re

from app.core.config import Check

__all__ = ["at_least", "kafka_servers", "one_of", "port", "table_store"]

KAFKA_SCHEMES = ("kafka", "aiokafka")
STORE_SCHEMES = ("memory", "rocksdb")


def one_of(*choices: str) -> Check:
    """A check that the value is one of ``choices`` (case-insensitive)."""
    allowed = {choice.lower() for choice in choices}

    def check(value: object) -> str | None:
        if str(value).lower() in allowed:
            return None
        return f"must be one of {', '.join(choices)}"

    return check


def at_least(minimum: int) -> Check:
    """A check that a number is at least ``minimum``."""

    def check(value: object) -> str | None:
        return None if float(str(value)) >= minimum else f"must be at least {minimum}"

    return check


def port(value: object) -> str | None:
    """A TCP port, 0 (any free port) to 65535."""
    return None if 0 <= int(str(value)) <= 65535 else "must be a TCP port, 0 to 65535"


def kafka_servers(value: object) -> str | None:
    """Kafka bootstrap servers: ``kafka://host:port`` or ``host:port``, several separated by
    ``;`` or ``,``; empty is allowed (the embedded broker)."""
    for part in re.split(r"[;,]", str(value)):
        address = part.strip()
        if not address:
            continue
        scheme, sep, rest = address.partition("://")
        if not sep:
            rest = address
        elif scheme.lower() not in KAFKA_SCHEMES:
            return (
                f"{scheme}:// is not a Kafka address: give kafka://host:port "
                "(the Kafka listener, often port 9092)"
            )
        host, colon, number = rest.rpartition(":")
        if not colon:
            host, number = rest, "9092"
        if not host or "/" in rest or not number.isdigit() or not 0 < int(number) < 65536:
            return f"{address!r} is not host:port (e.g. kafka://broker:9092)"
    return None


def table_store(value: object) -> str | None:
    """A Faust table store URL: ``memory://`` or ``rocksdb://``."""
    scheme, sep, _ = str(value).partition("://")
    if sep and scheme.lower() in STORE_SCHEMES:
        return None
    return "must be memory:// (development) or rocksdb:// (production)"

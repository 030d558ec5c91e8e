"""How every plain aiokafka client of aiot connects: bootstrap servers and security options.

Faust takes the broker URL and credentials itself (:mod:`app.faust_app`); the other clients -
the model restore, ``aiot tail``, topic creation, the simulator, the edge gateway, ``make run``
- take their connection from here, so a SASL/TLS cluster works for all of them alike.
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from app.settings import Settings

__all__ = ["bootstrap_servers", "client_options"]


def bootstrap_servers(url: str) -> str:
    """``host:port[,host:port]`` from a broker URL (``kafka://a:9092;kafka://b:9092`` or a list)."""
    hosts: list[str] = []
    for part in url.replace(";", ",").split(","):
        host = part.strip()
        if "://" in host:
            host = host.split("://", 1)[1]
        if host:
            hosts.append(host)
    return ",".join(hosts)


def client_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for aiokafka clients, from the ``broker_*`` settings."""
    protocol = settings.broker_security_protocol.upper()
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in {"SSL", "SASL_SSL"}:
        options["ssl_context"] = create_ssl_context(cafile=settings.broker_ssl_cafile or None)
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.broker_sasl_mechanism
        options["sasl_plain_username"] = settings.broker_sasl_username
        options["sasl_plain_password"] = settings.broker_sasl_password
    return options

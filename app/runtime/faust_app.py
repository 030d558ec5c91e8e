"""The Faust application factory: broker, store, timeouts and web endpoints from settings.

Every domain declares its topics, tables and agents in its own module under :mod:`agents`; this
module only builds the :class:`faust.App` they attach to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust

from app.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings) -> faust.App:
    """Build the Faust app for ``settings`` (``settings.broker_url`` must be set)."""
    if not settings.broker_url:
        raise ValueError("settings.broker_url is empty: start an embedded broker first")
    datadir = Path(settings.data_dir).resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    timeouts: dict[str, Any] = {}
    if settings.dev_timeouts:
        # Tansu (and any dev broker) joins a group in ~3 s with 6 s timeouts instead of ~30 s.
        timeouts = {
            "broker_session_timeout": 6.0,
            "broker_rebalance_timeout": 6.0,
            "broker_heartbeat_interval": 1.0,
        }
    app = faust.App(
        settings.app_id,
        broker=settings.broker_url,
        broker_credentials=_credentials(settings),
        store=settings.store,
        datadir=str(datadir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_in_thread=False,
        producer_linger=0.005,
        broker_commit_interval=2.0,
        stream_wait_empty=False,
        loghandlers=[],
        recovery_consistency_check=not settings.tansu_compat,
        autodiscover=False,
        **timeouts,
    )
    return app


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Broker credentials from the ``broker_*`` security settings, or None for plaintext."""
    protocol = settings.broker_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return None
    import ssl

    cafile = settings.broker_ssl_cafile or None
    ssl_context = ssl.create_default_context(cafile=cafile) if "SSL" in protocol else None
    if protocol.startswith("SASL"):
        mechanism = settings.broker_sasl_mechanism.upper()
        username = settings.broker_sasl_username
        password = settings.broker_sasl_password
        if mechanism.startswith("SCRAM"):
            return faust.SASLCredentials(
                username=username,
                password=password,
                mechanism=mechanism,
                ssl_context=ssl_context,
            )
        return faust.SASLCredentials(username=username, password=password, ssl_context=ssl_context)
    return faust.SSLCredentials(ssl_context)

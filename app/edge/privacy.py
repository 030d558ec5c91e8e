"""Privacy at the edge: pseudonymous worker ids and no raw biometrics leave the site.

A worker id is replaced by a keyed hash (HMAC-SHA256 with the site secret, truncated): stable
for a worker at a site, so the cloud can follow a worker's history, but not reversible and not
linkable across sites without the secret. Raw biometric fields are removed from wearable
readings before they are buffered or forwarded.

A rejected wearable payload goes to the dead-letter topic (which leaves the site) only through
:func:`redact_payload`: pseudonymised id, no biometric fields, no raw IMU samples.

The site secret comes from settings; when none is configured the gateway creates a random one
once in its data directory (owner-only permissions) so pseudonyms survive restarts.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

__all__ = ["PSEUDONYM_PREFIX", "load_site_secret", "pseudonymise", "redact_payload", "scrub"]

PSEUDONYM_PREFIX = "p-"
SECRET_FILE = "site_secret"


def pseudonymise(worker_id: str, secret: bytes) -> str:
    """Return the pseudonym of ``worker_id``: ``p-`` and 20 hex digits of HMAC-SHA256."""
    digest = hmac.new(secret, worker_id.encode("utf-8"), sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:20]


def scrub(reading: Mapping[str, Any], drop: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``reading`` without the fields named in ``drop``."""
    dropped = frozenset(drop)
    return {name: value for name, value in reading.items() if name not in dropped}


def redact_payload(payload: bytes, secret: bytes, drop: Iterable[str]) -> bytes:
    """``payload`` fit for a dead letter: a wearable's JSON object with its worker id
    pseudonymised (``<redacted>`` when it is not a string), the ``drop`` fields removed and a
    raw ``imu`` block replaced by its sample count. Anything else is returned unchanged."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    if type(obj) is not dict or obj.get("kind") != "wearable":
        return payload
    clean = scrub(obj, drop)
    worker = clean.get("worker_id")
    if worker is not None:
        clean["worker_id"] = pseudonymise(worker, secret) if type(worker) is str else "<redacted>"
    imu = clean.get("imu")
    if imu is not None:
        accel = imu.get("accel") if type(imu) is dict else None
        count = len(accel) if type(accel) is list else 0
        clean["imu"] = f"<{count} raw samples withheld>"
    return orjson.dumps(clean)


def load_site_secret(configured: str, data_dir: Path) -> bytes:
    """The site secret: ``configured`` if set, else the one kept in ``data_dir`` (created once)."""
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret

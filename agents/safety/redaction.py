"""Keep identities and raw biometrics out of dead letters of wearable and zone-presence input.

A dead letter carries the rejected message's bytes and key. For wearable input those bytes may hold
exactly what must not leave the site - a raw worker id (a misconfigured gateway) or raw
biometric fields - so before dead-lettering, a JSON object is rewritten without the biometric
fields and with a worker id that is not a pseudonym replaced by ``"<redacted>"``. Bytes that
are not a JSON object cannot be inspected and are replaced by a note of their length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

from schemas.wearable import PSEUDONYM_REGEX

__all__ = ["REDACTED", "redact_key", "redact_wearable"]

REDACTED = "<redacted>"
_PSEUDONYM = re.compile(PSEUDONYM_REGEX).fullmatch


def redact_wearable(raw: bytes, biometric_fields: Iterable[str]) -> bytes:
    """Return ``raw`` safe to keep in a dead letter (see the module docstring)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = None
    if type(obj) is not dict:
        return orjson.dumps({"redacted": f"{len(raw)} bytes, not a JSON object"})
    drop = frozenset(biometric_fields)
    clean = {k: v for k, v in obj.items() if k not in drop}
    worker = clean.get("worker_id")
    if worker is not None and not (type(worker) is str and _PSEUDONYM(worker)):
        clean["worker_id"] = REDACTED
    return orjson.dumps(clean)


def redact_key(key: bytes | None) -> bytes | None:
    """The message key if it is a pseudonym (or absent), else ``<redacted>``."""
    if key is None or _PSEUDONYM(key.decode("utf-8", "replace")):
        return key
    return REDACTED.encode()

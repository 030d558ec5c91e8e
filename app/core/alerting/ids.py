"""Deterministic alert ids, so a replayed episode gets the id it had the first time.

The id hashes the episode's identity (domain, asset, alert type and the event time the episode
started, rounded to the millisecond) and nothing that depends on processing: a worker that
crashes and re-consumes the same events emits the same ids, and consumers can deduplicate.
"""

from __future__ import annotations

from hashlib import blake2b

__all__ = ["alert_id"]

_SEP = "\x1f"


def alert_id(domain: str, asset_id: str, alert_type: str, first_ts: float) -> str:
    """Return a 16-hex-digit id shared by all transitions of one alert episode."""
    millis = round(first_ts * 1000.0)
    key = _SEP.join((domain, asset_id, alert_type, str(millis)))
    return blake2b(key.encode("utf-8"), digest_size=8).hexdigest()

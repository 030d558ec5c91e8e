"""What the console may show of a record: no raw identity, no raw biometric, ever.

Upstream already guarantees it (the edge pseudonymises and drops biometrics, the safety engines
publish derived scores), and the console checks again before anything reaches a page, so a
misconfigured producer cannot put a name or a heart rate on an operator's screen:

* keys named in ``AIOT_EDGE_BIOMETRIC_FIELDS`` are dropped from evidence, at any depth;
* a ``hr_ratio`` feature keeps its deviation (``z``) only, never a level;
* in safety records, a worker id that is not an edge pseudonym becomes ``<redacted>``, in the
  asset id, in evidence and in the message text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from schemas.wearable import PSEUDONYM_REGEX

__all__ = ["REDACTED", "Redactor"]

REDACTED = "<redacted>"
_PSEUDONYM = re.compile(PSEUDONYM_REGEX).fullmatch
_WORKER_KEYS = frozenset({"worker_id", "worker", "pseudonym"})
_WORKER_ALERTS = frozenset({"man_down", "worker_fatigue"})


class Redactor:
    """Scrubs evidence, asset ids and messages of alert records for display."""

    def __init__(self, biometric_fields: Iterable[str]) -> None:
        self.drop = frozenset(f.strip() for f in biometric_fields if f.strip())

    def asset(self, domain: str, alert_type: str, asset_id: str) -> str:
        """The asset id to show: a safety worker id only when it is a pseudonym."""
        if domain == "safety" and alert_type in _WORKER_ALERTS and not _PSEUDONYM(asset_id):
            return REDACTED
        return asset_id

    def message(self, text: str, asset_id: str, shown: str) -> str:
        """The message with a redacted asset id replaced as well."""
        return text if shown == asset_id else text.replace(asset_id, shown)

    def evidence(self, domain: str, evidence: Any) -> Any:
        """A copy of ``evidence`` without biometrics (and raw worker ids in safety)."""
        return self._clean(evidence, domain == "safety")

    def _clean(self, value: Any, safety: bool) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key in self.drop:
                    continue
                if (
                    safety
                    and key in _WORKER_KEYS
                    and not (isinstance(item, str) and _PSEUDONYM(item))
                ):
                    out[key] = REDACTED
                    continue
                out[key] = self._clean(item, safety)
            if out.get("name") == "hr_ratio" and "z" in out:
                out["value"] = out["baseline"] = 0.0
            return out
        if isinstance(value, list):
            return [self._clean(item, safety) for item in value]
        return value

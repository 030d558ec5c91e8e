"""The domains aiot knows, in the order they are declared to the runtime.

Adding a domain: a package ``agents/<domain>/`` with its settings section, engine(s) and a
``domain.py`` holding a :class:`~app.core.domain.Domain`, and one line here. The
``AIOT_DOMAINS`` setting picks which of them a worker runs.
"""

from __future__ import annotations

from typing import Any

from agents.alarms.domain import ALARMS
from agents.fleet.domain import FLEET
from agents.maintenance.domain import MAINTENANCE
from agents.safety.domain import SAFETY
from app.core.domain import Domain

__all__ = ["DOMAINS"]

DOMAINS: tuple[Domain[Any], ...] = (MAINTENANCE, FLEET, SAFETY, ALARMS)

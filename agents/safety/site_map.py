"""The site map: zones of a site with their risk level, loaded from a documented TOML file.

The packaged ``agents/safety/site_map.toml`` documents the format; a site points
``AIOT_SAFETY_SITE_MAP`` at its own file. Zones are axis-aligned rectangles in site metres that
must not overlap; a position in no zone belongs to the default zone. The map is small and
static, so lookups are a linear scan over a handful of rectangles.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

from schemas.base import ID_REGEX

__all__ = ["RISK_LEVELS", "RiskLevel", "SiteMap", "Zone", "load_site_map"]

RiskLevel = Literal["low", "medium", "high"]
"""How dangerous it is to linger in a zone."""

RISK_LEVELS: tuple[str, ...] = get_args(RiskLevel)

PACKAGED_MAP = "site_map.toml"

_ID_MATCH = re.compile(ID_REGEX).fullmatch


@dataclass(frozen=True, slots=True)
class Zone:
    """One zone: id, human name, risk and its rectangle (None for the default zone)."""

    id: str
    name: str
    risk: RiskLevel
    rect: tuple[float, float, float, float] | None

    @property
    def high_risk(self) -> bool:
        """Whether stationary groups in this zone are alerted on."""
        return self.risk == "high"

    def contains(self, x: float, y: float) -> bool:
        """Whether ``(x, y)`` lies in the zone's rectangle (the default zone contains nothing)."""
        if self.rect is None:
            return False
        x0, y0, x1, y1 = self.rect
        return x0 <= x < x1 and y0 <= y < y1

    def center(self) -> tuple[float, float]:
        """Centre of the rectangle (the default zone has none: ``ValueError``)."""
        if self.rect is None:
            raise ValueError(f"zone {self.id} has no rectangle")
        x0, y0, x1, y1 = self.rect
        return (x0 + x1) / 2.0, (y0 + y1) / 2.0


@dataclass(frozen=True, slots=True)
class SiteMap:
    """A site's zones; :meth:`zone_at` maps a position to its zone."""

    site: str
    name: str
    extent: tuple[float, float, float, float]
    default: Zone
    zones: tuple[Zone, ...]

    def zone_at(self, x: float, y: float) -> Zone:
        """The zone containing ``(x, y)``, else the default zone."""
        for zone in self.zones:
            if zone.contains(x, y):
                return zone
        return self.default

    def zone(self, zone_id: str) -> Zone | None:
        """The zone called ``zone_id`` (the default zone included), or None."""
        if zone_id == self.default.id:
            return self.default
        return next((z for z in self.zones if z.id == zone_id), None)

    def high_risk_zones(self) -> tuple[Zone, ...]:
        """The zones where stationary groups are alerted on."""
        return tuple(z for z in self.zones if z.high_risk)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteMap:
        """Build and check a map from parsed TOML; ``ValueError`` names the first problem."""
        default_raw = data.get("default_zone")
        if not isinstance(default_raw, dict):
            raise ValueError("site map: default_zone = {id, name, risk} is required")
        default = _zone(default_raw, with_rect=False)
        zones = tuple(_zone(item, with_rect=True) for item in data.get("zones", []))
        ids = [default.id, *(z.id for z in zones)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"site map: duplicate zone ids in {ids}")
        for a, b in itertools.combinations(zones, 2):
            if _overlap(cast(tuple[float, ...], a.rect), cast(tuple[float, ...], b.rect)):
                raise ValueError(f"site map: zones {a.id} and {b.id} overlap")
        return cls(
            site=str(data.get("site", "")),
            name=str(data.get("name", "")),
            extent=_rect(data.get("extent"), "extent"),
            default=default,
            zones=zones,
        )


def _rect(value: Any, what: str) -> tuple[float, float, float, float]:
    """Check a ``[x_min, y_min, x_max, y_max]`` list."""
    if not (isinstance(value, list) and len(value) == 4):
        raise ValueError(f"site map: {what} must be [x_min, y_min, x_max, y_max]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"site map: {what} must hold numbers")
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"site map: {what} is empty (min >= max)")
    return x0, y0, x1, y1


def _zone(item: Any, *, with_rect: bool) -> Zone:
    """Check one zone table."""
    if not isinstance(item, dict):
        raise ValueError("site map: a zone must be a table")
    zone_id = item.get("id")
    if not (isinstance(zone_id, str) and _ID_MATCH(zone_id)):
        raise ValueError(f"site map: zone id {zone_id!r} does not match {ID_REGEX}")
    risk = item.get("risk")
    if risk not in RISK_LEVELS:
        raise ValueError(f"site map: zone {zone_id} risk {risk!r} not in {RISK_LEVELS}")
    rect = _rect(item.get("rect"), f"zone {zone_id} rect") if with_rect else None
    return Zone(zone_id, str(item.get("name", zone_id)), cast(RiskLevel, risk), rect)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two rectangles share interior area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def load_site_map(path: str | Path = "") -> SiteMap:
    """Load the site map at ``path``; empty: the packaged example ``site_map.toml``."""
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("agents.safety").joinpath(PACKAGED_MAP).read_text(encoding="utf-8")
    return SiteMap.from_dict(tomllib.loads(text))

"""Synthetic vehicle days for the fleet unit tests: a straight road driven back and forth."""

from __future__ import annotations

from collections.abc import Iterator

from agents.fleet.config import FleetConfig
from agents.fleet.engine import FleetEngine
from app.core import StreamLimits
from schemas.vehicle import VehicleTelemetry

DAY = 86400.0
T0 = 1_767_225_600.0  # a UTC midnight
LAT = 45.0
LON_WEST = 7.60
LON_EAST = 7.66
M_PER_DEG_LON = 111_320.0 * 0.7071
STEP_S = 60.0
SPEED_KMH = 36.0


def engine(now: float = T0 + 30 * DAY, **config: float) -> FleetEngine:
    """A fleet engine without table (everything in memory), its clock at ``now``."""
    return FleetEngine(FleetConfig(**config), StreamLimits(), lambda _: None, lambda: now)  # type: ignore[arg-type]


def fix(
    ts: float,
    lat: float,
    lon: float,
    speed: float = SPEED_KMH,
    *,
    vehicle: str = "truck-1",
    route: str | None = "r1",
    shift: str | None = "s1",
    ignition: bool = True,
) -> VehicleTelemetry:
    """One fix."""
    return VehicleTelemetry(vehicle, ts, lat, lon, speed, 90.0, ignition, route, shift)


def drive(
    t: float, lat0: float, lon0: float, lat1: float, lon1: float, **kw: object
) -> Iterator[VehicleTelemetry]:
    """Fixes every minute along a straight line at 36 km/h (600 m per fix)."""
    dx = (lon1 - lon0) * M_PER_DEG_LON
    dy = (lat1 - lat0) * 111_320.0
    length = (dx * dx + dy * dy) ** 0.5
    n = max(1, int(length // 600.0))
    for k in range(1, n + 1):
        f = k / n
        yield fix(t + k * STEP_S, lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f, **kw)  # type: ignore[arg-type]


def routine_day(day: int, vehicle: str = "truck-1") -> list[VehicleTelemetry]:
    """08:00 drive east along the road, 30 min stop, drive back west, park (ignition off)."""
    t = T0 + day * DAY + 8 * 3600.0
    out = [fix(t, LAT, LON_WEST, 0.0, vehicle=vehicle, ignition=False)]
    out += list(drive(t, LAT, LON_WEST, LAT, LON_EAST, vehicle=vehicle))
    t = out[-1].ts
    for k in range(1, 7):
        out.append(fix(t + k * 300.0, LAT, LON_EAST, 0.0, vehicle=vehicle, ignition=False))
    t = out[-1].ts
    out += list(drive(t, LAT, LON_EAST, LAT, LON_WEST, vehicle=vehicle))
    t = out[-1].ts
    out.append(fix(t + 600.0, LAT, LON_WEST, 0.0, vehicle=vehicle, ignition=False))
    return out


def warmed_engine(days: int = 5, vehicles: tuple[str, ...] = ("truck-1",)) -> FleetEngine:
    """An engine that has learned ``days`` routine days of each vehicle."""
    eng = engine()
    for day in range(days):
        for vehicle in vehicles:
            for f in routine_day(day, vehicle):
                eng.feed_fix(f)
    return eng


def detour_leg(t: float) -> list:
    """A drive from the west depot that leaves the road ~1 km north around a block and returns."""
    north = LAT + 0.009
    leg = list(drive(t, LAT, LON_WEST, north, LON_WEST + 0.01))
    leg += list(drive(leg[-1].ts, north, LON_WEST + 0.01, north, LON_WEST + 0.04))
    leg += list(drive(leg[-1].ts, north, LON_WEST + 0.04, LAT, LON_WEST + 0.05))
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.05, LAT, LON_EAST))
    return leg

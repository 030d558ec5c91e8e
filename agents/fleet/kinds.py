"""The named values of the fleet domain's state: labels, statuses and kinds.

String enums carry the wire spelling (:mod:`schemas.vehicle` declares the same values as
``Literal`` types, and a test keeps the two in step); integer enums are the codes the vehicle
state stores in its binary header and JSON tail, so an enum member encodes exactly like the
number it replaced.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["FenceEvent", "FenceKind", "HomeLink", "Label", "Status", "StopKind", "Trigger"]


class Label(StrEnum):
    """What an episode is judged to be (the classifier's classes, in its order)."""

    NORMAL = "normal"
    TRAFFIC_DETOUR = "traffic_detour"
    UNAUTHORIZED = "unauthorized"


class Status(StrEnum):
    """Where an episode is in its life."""

    ONGOING = "ongoing"
    """Still open: published while it runs."""
    PROVISIONAL = "provisional"
    """Closed and detour-shaped: waiting for other vehicles' area context or the hold."""
    FINAL = "final"
    """Decided: verdicts may teach the classifier with it."""


class StopKind(IntEnum):
    """Where the vehicle's current stop is."""

    UNKNOWN = 0
    """A place the vehicle does not usually stop at."""
    USUAL = 1
    """One of the vehicle's learned stop places (lunch spot, regular fuel station)."""
    GEOFENCE = 2
    """Inside a legitimate geofence (depot, customer, service station)."""


class HomeLink(IntEnum):
    """How a closed episode relates to the vehicle's home depot."""

    NONE = 0
    WAIT = 1
    """Ended parked at the home depot: a depot trip if the vehicle drives off again soon."""
    TRIP = 2
    """A drive to or from a short stop at the home depot: normal, whatever other vehicles did."""


class FenceKind(StrEnum):
    """What a geofence marks."""

    DEPOT = "depot"
    CUSTOMER = "customer"
    SERVICE = "service"
    RESTRICTED = "restricted"


class FenceEvent(StrEnum):
    """A vehicle's geofence transition."""

    ENTERED = "entered"
    LEFT = "left"
    DWELL = "dwell"


class Trigger(StrEnum):
    """Why an episode opened."""

    UNASSIGNED_OR_OFF_HOURS = "unassigned_or_off_hours"
    OFF_CORRIDOR = "off_corridor"
    LONG_STOP = "long_stop"
    RESTRICTED = "restricted"

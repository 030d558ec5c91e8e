"""The MQTT topic layout of a site (the contract between devices and the gateway).

::

    site/<site>/device/<device>/telemetry   device -> gateway   JSON reading (see edge.payloads)
    site/<site>/device/<device>/command     gateway -> device   JSON Command (schemas.command)
    site/<site>/device/<device>/ack         device -> gateway   {"command_id", "status", "detail"}
    site/<site>/alarm                       gateway -> site     JSON Command, action "alarm"

``<site>`` and ``<device>`` follow the id syntax of every aiot identifier
(:data:`schemas.base.ID_REGEX`); the device id is the asset id on Kafka.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.base import ID_REGEX

__all__ = [
    "DeviceTopic",
    "ack_topic",
    "alarm_topic",
    "command_topic",
    "parse_device_topic",
    "subscriptions",
    "telemetry_topic",
]

_DEVICE_TOPIC = re.compile(rf"site/({ID_REGEX})/device/({ID_REGEX})/(telemetry|ack)")


@dataclass(frozen=True, slots=True)
class DeviceTopic:
    """A parsed device-to-gateway topic: site, device and channel (telemetry or ack)."""

    site: str
    device: str
    channel: str


def telemetry_topic(site: str, device: str) -> str:
    """Topic a device publishes its readings to."""
    return f"site/{site}/device/{device}/telemetry"


def command_topic(site: str, device: str) -> str:
    """Topic the gateway publishes a device's commands to."""
    return f"site/{site}/device/{device}/command"


def ack_topic(site: str, device: str) -> str:
    """Topic a device publishes its command acknowledgements to."""
    return f"site/{site}/device/{device}/ack"


def alarm_topic(site: str) -> str:
    """Topic of the site's local alarm (sirens, panels): man-down and other emergencies."""
    return f"site/{site}/alarm"


def subscriptions(site: str) -> list[str]:
    """The topic filters the gateway of ``site`` subscribes to."""
    return [f"site/{site}/device/+/telemetry", f"site/{site}/device/+/ack"]


def parse_device_topic(topic: str) -> DeviceTopic | None:
    """Parse a device-to-gateway topic; None when it does not follow the layout."""
    match = _DEVICE_TOPIC.fullmatch(topic)
    if match is None:
        return None
    return DeviceTopic(match.group(1), match.group(2), match.group(3))

"""Control records between cloud, edge and devices: commands, their acknowledgements, and the
per-asset-class parameters the cloud publishes for the edge's local models.

* :class:`Command` (topic ``commands``, key = target device/asset id): an automated decision
  for one device - stop, derate, resume, a local alarm - from a cloud agent or from an edge
  gateway's local reaction. ``command_id`` is deterministic (a hash of who decided what about
  which device for which triggering event), so a redelivered decision has the id it had the
  first time and devices deduplicate on it.
* :class:`CommandAck` (topic ``command_acks``, key = device id): a device's answer to a
  command, relayed by its edge gateway.
* :class:`EdgeParams` (topic ``edge_params``, compacted, key = asset class): thresholds and
  baselines of the edge's per-device model; the newest record per class wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any, ClassVar, Literal, get_args

from schemas.base import WireRecord, doc

__all__ = [
    "ACK_STATUSES",
    "COMMAND_ACTIONS",
    "AckStatus",
    "Command",
    "CommandAck",
    "CommandAction",
    "EdgeParams",
    "command_id",
]

CommandAction = Literal["stop", "derate", "resume", "alarm", "notify"]
"""What a device is asked to do."""

AckStatus = Literal["accepted", "done", "rejected", "failed"]
"""A device's answer to a command."""

COMMAND_ACTIONS: tuple[str, ...] = get_args(CommandAction)
ACK_STATUSES: tuple[str, ...] = get_args(AckStatus)

_SEP = "\x1f"


def command_id(source: str, asset_id: str, action: str, trigger_ts: float) -> str:
    """Return the 16-hex-digit id of a decision (same inputs, same id: replays deduplicate)."""
    key = _SEP.join((source, asset_id, action, str(round(trigger_ts * 1000.0))))
    return blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Command(WireRecord):
    """An automated decision addressed to one device."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id"})

    command_id: str = field(metadata=doc("Deterministic id; devices acknowledge and dedup by it."))
    asset_id: str = field(metadata=doc("Target device/asset id; the Kafka message key."))
    action: CommandAction = field(metadata=doc("stop, derate, resume, alarm or notify."))
    reason: str = field(metadata=doc("Why, for humans: the rule and the values that fired it."))
    source: str = field(metadata=doc("Who decided: a cloud agent ('maintenance') or 'edge:<site>'"))
    trigger_ts: float = field(metadata=doc("Event time of the reading or prediction behind it."))
    issued_at: float = field(metadata=doc("Wall-clock time the command was issued, Unix seconds."))
    site: str | None = field(
        default=None, metadata=doc("Site of the device when known; null: any gateway knowing it.")
    )
    params: dict[str, float] = field(
        default_factory=dict, metadata=doc("Action parameters, e.g. {'derate_pct': 50}.")
    )

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form (``params`` copied so callers cannot mutate the record)."""
        out = WireRecord.to_dict(self)
        out["params"] = dict(self.params)
        return out


@dataclass(frozen=True, slots=True)
class CommandAck(WireRecord):
    """A device's acknowledgement of a command, relayed by its edge gateway."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_id", "command_id"})

    command_id: str = field(metadata=doc("Id of the acknowledged command."))
    asset_id: str = field(metadata=doc("Acknowledging device; the Kafka message key."))
    site: str = field(metadata=doc("Site of the gateway that relayed the acknowledgement."))
    status: AckStatus = field(metadata=doc("accepted, done, rejected or failed."))
    detail: str = field(metadata=doc("Free text from the device ('' when none)."))
    received_at: float = field(metadata=doc("Wall-clock time the gateway received it."))


@dataclass(frozen=True, slots=True)
class EdgeParams(WireRecord):
    """Parameters of the edge's per-device vibration guard for one asset class."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"asset_class"})

    asset_class: str = field(metadata=doc("Asset class; the Kafka message key (compacted)."))
    derate_rms: float = field(metadata=doc("Vibration RMS (mm/s) from which to derate."))
    stop_rms: float = field(metadata=doc("Vibration RMS (mm/s) from which to stop."))
    baseline_rms: float | None = field(
        default=None, metadata=doc("The class's normal vibration RMS (mm/s), for evidence.")
    )
    min_consecutive: int = field(
        default=2, metadata=doc("Readings in a row above a threshold before reacting.")
    )
    derate_pct: float = field(default=50.0, metadata=doc("Load limit a derate asks for, in %."))
    version: int = field(default=1, metadata=doc("Publisher's version counter of this class."))
    published_at: float = field(default=0.0, metadata=doc("Wall-clock publication time."))

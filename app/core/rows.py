"""The table value of an entity - a *row* - and its codec.

What the runtime keeps of an entity besides the domain's own state travels in the same table
value, so one write stores all of it atomically::

    MAGIC (4 bytes) | positions (app.core.positions) | held records (app.core.held) | state

A value without the magic prefix is a bare state from before rows existed: no position known,
nothing held.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.held import Held, decode_held, encode_held
from app.core.positions import Positions

__all__ = ["MAGIC", "Row", "decode_row", "encode_row"]

MAGIC = b"\x00aiR"


@dataclass(frozen=True, slots=True)
class Row:
    """A stored table value split into its parts."""

    positions: Positions
    state: bytes
    held: list[Held] = field(default_factory=list)


def encode_row(positions: Positions, state: bytes, held: list[Held] | None = None) -> bytes:
    """The table value of an entity.

    >>> p = Positions()
    >>> p.advance("telemetry", 0, 7, 0)
    >>> row = decode_row(encode_row(p, b"state"))
    >>> row.state, row.positions.applied("telemetry", 0, 7, 0), row.held
    (b'state', True, [])
    """
    return MAGIC + positions.to_bytes() + encode_held(held or []) + state


def decode_row(value: bytes) -> Row:
    """Split a table value into its parts (a bare state: no positions, nothing held).

    Raises ``ValueError`` for a row cut short.
    """
    if not value.startswith(MAGIC):
        return Row(Positions(), value)
    positions, at = Positions.decode(value, len(MAGIC))
    held, at = decode_held(value, at)
    return Row(positions, value[at:], held)

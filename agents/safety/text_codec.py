"""Length-prefixed short strings inside the binary worker and zone states.

Ids (pseudonyms, device ids, zone and site ids) are short; one length byte keeps them compact.
Text longer than 255 UTF-8 bytes is cut (ids are validated far shorter upstream).
"""

from __future__ import annotations

__all__ = ["pack_text", "unpack_text"]


def pack_text(text: str) -> bytes:
    """``text`` as one length byte followed by at most 255 UTF-8 bytes."""
    raw = text.encode("utf-8")[:255]
    return bytes((len(raw),)) + raw


def unpack_text(data: bytes, offset: int) -> tuple[str, int]:
    """The text packed at ``offset`` and the offset after it; ``ValueError`` if truncated."""
    size = data[offset]
    end = offset + 1 + size
    if end > len(data):
        raise ValueError("packed text runs past the end of the state")
    return data[offset + 1 : end].decode("utf-8"), end

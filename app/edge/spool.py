"""Durable store-and-forward buffer of the edge gateway: an append-only log on local disk.

Every record bound for Kafka is appended here first (write-ahead), and only a delivered prefix
is ever removed, so a Kafka outage or a gateway restart loses nothing: the forwarder reads
from the oldest undelivered record on, in append order, and commits what Kafka acknowledged.

Layout in the spool directory:

* ``<first seq, 20 digits>.seg`` - segments of records ``header | topic | key | value | crc32``
  with a monotonically increasing sequence number; a torn record at the end of a segment (a
  crash mid-write) is detected by its length or CRC and cut off on start-up;
* ``cursor`` - the sequence number of the last delivered record (replaced atomically).

The directory is bounded by a byte budget. Only when an append would exceed it are whole
oldest segments dropped (segments are a sixteenth of the budget, so at most that much goes at
once); dropped undelivered records are counted and logged. Delivered segments are deleted at
once, so in normal operation the spool holds only the few records in flight.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Spool", "SpoolEntry"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<QBHiI")  # seq, framed flag, topic length, key length (-1: None), value
_CRC = struct.Struct("<I")
_SUFFIX = ".seg"
_CURSOR = "cursor"
_MIN_SEGMENT = 4096
_MAX_SEGMENT = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    """One buffered record bound for Kafka."""

    seq: int
    topic: str
    key: bytes | None
    value: bytes
    framed: bool


@dataclass(slots=True)
class _Segment:
    path: Path
    first_seq: int
    last_seq: int
    count: int
    size: int


def _encode(seq: int, topic: str, key: bytes | None, value: bytes, framed: bool) -> bytes:
    topic_b = topic.encode("utf-8")
    key_len = -1 if key is None else len(key)
    body = _HEADER.pack(seq, int(framed), len(topic_b), key_len, len(value))
    body += topic_b + (key or b"") + value
    return body + _CRC.pack(zlib.crc32(body))


def _decode_at(data: bytes, offset: int) -> tuple[SpoolEntry, int] | None:
    """Decode the record at ``offset``; None if it is torn or corrupt."""
    end_header = offset + _HEADER.size
    if end_header > len(data):
        return None
    seq, framed, topic_len, key_len, value_len = _HEADER.unpack_from(data, offset)
    key_size = max(key_len, 0)
    end_body = end_header + topic_len + key_size + value_len
    end = end_body + _CRC.size
    if end > len(data):
        return None
    (crc,) = _CRC.unpack_from(data, end_body)
    if crc != zlib.crc32(data[offset:end_body]):
        return None
    pos = end_header
    topic = data[pos : pos + topic_len].decode("utf-8")
    pos += topic_len
    key = None if key_len < 0 else data[pos : pos + key_len]
    pos += key_size
    value = data[pos:end_body]
    return SpoolEntry(seq, topic, key, value, bool(framed)), end


class Spool:
    """The on-disk buffer (module docstring); not thread-safe, one owner coroutine/thread."""

    def __init__(self, directory: Path, budget_bytes: int, *, fsync: bool = False) -> None:
        self.directory = directory
        self.budget_bytes = budget_bytes
        self.segment_bytes = max(min(budget_bytes // 16, _MAX_SEGMENT), _MIN_SEGMENT)
        self.fsync = fsync
        self.dropped = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._committed = self._read_cursor()
        self._segments: list[_Segment] = []
        self._writer: _Writer | None = None
        self._read_seg = 0
        self._read_off = 0
        self._in_flight: deque[tuple[int, int, int]] = deque()  # (seq, first_seq, end offset)
        self._recover()
        self._next_seq = max([self._committed, *(s.last_seq for s in self._segments)]) + 1
        self._rewind_to_committed()

    # ---- state ------------------------------------------------------------------------------

    @property
    def committed(self) -> int:
        """Sequence number of the last delivered record."""
        return self._committed

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest appended record (0 before any)."""
        return self._next_seq - 1

    @property
    def pending(self) -> int:
        """Records appended and not delivered yet."""
        return self.last_seq - self._committed

    @property
    def size_bytes(self) -> int:
        """Disk bytes of all segments."""
        return sum(s.size for s in self._segments)

    # ---- writing ----------------------------------------------------------------------------

    def append(self, topic: str, key: bytes | None, value: bytes, framed: bool = False) -> int:
        """Append a record durably; return its sequence number (0: alone over the budget)."""
        seq = self._next_seq
        record = _encode(seq, topic, key, value, framed)
        if not self._make_room(len(record)):
            self.dropped += 1
            log.error("edge buffer: a %d-byte record exceeds the budget; dropped", len(record))
            return 0
        segment = self._active()
        handle = self._open_writer(segment)
        handle.write(record)
        handle.flush()
        if self.fsync:
            os.fsync(handle.fileno())
        segment.last_seq = seq
        segment.count += 1
        segment.size += len(record)
        self._next_seq += 1
        return seq

    # ---- reading and delivery ---------------------------------------------------------------

    def read(self, max_entries: int) -> list[SpoolEntry]:
        """The next up to ``max_entries`` undelivered records after those already read."""
        out: list[SpoolEntry] = []
        while len(out) < max_entries and self._read_seg < len(self._segments):
            segment = self._segments[self._read_seg]
            with open(segment.path, "rb") as handle:
                handle.seek(self._read_off)
                data = handle.read()
            offset = 0
            while len(out) < max_entries:
                decoded = _decode_at(data, offset)
                if decoded is None:
                    break
                entry, offset = decoded
                end = self._read_off + offset
                if entry.seq > self._committed:
                    out.append(entry)
                    self._in_flight.append((entry.seq, segment.first_seq, end))
            self._read_off += offset
            if self._read_off >= segment.size and self._read_seg < len(self._segments) - 1:
                self._read_seg += 1
                self._read_off = 0
            elif len(out) < max_entries:
                break
        return out

    def rewind(self) -> None:
        """Forget what was read but not committed: the next read starts after the last commit."""
        self._in_flight.clear()
        self._rewind_to_committed()

    def commit(self, seq: int) -> None:
        """Mark every record up to ``seq`` delivered, persist it, delete delivered segments."""
        if seq <= self._committed:
            return
        while self._in_flight and self._in_flight[0][0] <= seq:
            self._in_flight.popleft()
        self._committed = seq
        self._write_cursor()
        self._delete_delivered()

    def close(self) -> None:
        """Close the writer (records are already on disk)."""
        self._close_writer()

    # ---- internals --------------------------------------------------------------------------

    def _active(self) -> _Segment:
        if not self._segments or self._segments[-1].size >= self.segment_bytes:
            self._close_writer()
            seq = self._next_seq
            path = self.directory / f"{seq:020d}{_SUFFIX}"
            self._segments.append(_Segment(path, seq, seq - 1, 0, 0))
        return self._segments[-1]

    def _open_writer(self, segment: _Segment) -> _Writer:
        writer = self._writer
        if writer is None or writer.path != segment.path:
            self._close_writer()
            writer = self._writer = _Writer(segment.path)
        return writer

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = None

    def _make_room(self, needed: int) -> bool:
        """Drop oldest segments until ``needed`` more bytes fit the budget; False if impossible."""
        if needed > self.budget_bytes:
            return False
        while self.size_bytes + needed > self.budget_bytes and self._segments:
            if len(self._segments) == 1:
                self._close_writer()  # the active segment itself must go: rotate first
            self._drop_oldest()
        return True

    def _drop_oldest(self) -> None:
        segment = self._segments.pop(0)
        lost = segment.last_seq - max(self._committed, segment.first_seq - 1)
        if lost > 0:
            self.dropped += lost
            log.error(
                "edge buffer over its %d-byte budget: dropped %d undelivered records "
                "(seq %d..%d), oldest first",
                self.budget_bytes,
                lost,
                max(self._committed + 1, segment.first_seq),
                segment.last_seq,
            )
        if segment.last_seq > self._committed:
            self._committed = segment.last_seq
            self._write_cursor()
        self._unlink(segment)
        self._in_flight = deque(f for f in self._in_flight if f[0] > self._committed)
        self._segment_removed()

    def _segment_removed(self) -> None:
        """Keep the read position valid after the oldest segment was removed."""
        if self._read_seg > 0:
            self._read_seg -= 1
        else:
            self._read_off = 0

    def _delete_delivered(self) -> None:
        while self._segments and self._segments[0].last_seq <= self._committed:
            segment = self._segments[0]
            if segment.count == 0 and len(self._segments) == 1:
                break
            if len(self._segments) == 1:
                self._close_writer()
            self._segments.pop(0)
            self._unlink(segment)
            self._segment_removed()

    def _unlink(self, segment: _Segment) -> None:
        try:
            segment.path.unlink()
        except FileNotFoundError:
            log.warning("edge buffer segment %s already gone", segment.path.name)

    def _rewind_to_committed(self) -> None:
        self._read_seg = 0
        self._read_off = 0
        for index, segment in enumerate(self._segments):
            if segment.last_seq > self._committed:
                self._read_seg = index
                return
        self._read_seg = max(len(self._segments) - 1, 0)
        self._read_off = self._segments[-1].size if self._segments else 0

    def _read_cursor(self) -> int:
        try:
            return int((self.directory / _CURSOR).read_text().strip() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:
            log.error("edge buffer cursor unreadable; replaying every buffered record")
            return 0

    def _write_cursor(self) -> None:
        tmp = self.directory / (_CURSOR + ".tmp")
        tmp.write_text(str(self._committed))
        os.replace(tmp, self.directory / _CURSOR)

    def _recover(self) -> None:
        """Index the segments on disk, cutting torn tails and deleting delivered ones."""
        for path in sorted(self.directory.glob("*" + _SUFFIX)):
            data = path.read_bytes()
            offset = count = 0
            first = last = 0
            while True:
                decoded = _decode_at(data, offset)
                if decoded is None:
                    break
                entry, offset = decoded
                first = first or entry.seq
                last = entry.seq
                count += 1
            if offset < len(data):
                log.warning(
                    "edge buffer: torn record at %s+%d cut (%d bytes)",
                    path.name,
                    offset,
                    len(data) - offset,
                )
                with open(path, "r+b") as handle:
                    handle.truncate(offset)
            if count == 0 or last <= self._committed:
                path.unlink()
                continue
            self._segments.append(_Segment(path, first, last, count, offset))
        if self._segments:
            log.info(
                "edge buffer: %d undelivered records on disk from a previous run",
                self._segments[-1].last_seq - self._committed,
            )


class _Writer:
    """Append handle of the active segment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open(path, "ab")  # noqa: SIM115 - kept open across appends

    def write(self, data: bytes) -> None:
        self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def fileno(self) -> int:
        return self._handle.fileno()

    def close(self) -> None:
        self._handle.close()

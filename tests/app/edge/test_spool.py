"""The durable buffer: order, commit, restart, torn tails and the byte budget."""

from __future__ import annotations

from pathlib import Path

from app.edge.spool import Spool


def _fill(spool: Spool, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        spool.append("t", f"k{i % 3}".encode(), f"v{i}".encode(), framed=True)


def test_records_come_back_in_append_order_and_commit_removes_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    _fill(spool, 10)
    first = spool.read(4)
    assert [e.value for e in first] == [f"v{i}".encode() for i in range(4)]
    spool.commit(first[-1].seq)
    rest = spool.read(100)
    assert [e.value for e in rest] == [f"v{i}".encode() for i in range(4, 10)]
    spool.commit(rest[-1].seq)
    assert spool.pending == 0
    assert spool.read(10) == []


def test_rewind_rereads_everything_not_committed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    _fill(spool, 5)
    spool.commit(spool.read(2)[-1].seq)
    spool.read(3)
    spool.rewind()
    assert [e.value for e in spool.read(10)] == [b"v2", b"v3", b"v4"]


def test_undelivered_records_survive_a_restart(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    _fill(spool, 6)
    spool.commit(spool.read(2)[-1].seq)
    spool.close()
    reopened = Spool(tmp_path, 1 << 20)
    assert reopened.pending == 4
    assert [e.value for e in reopened.read(10)] == [b"v2", b"v3", b"v4", b"v5"]
    seq = reopened.append("t", None, b"new")
    assert seq == 7


def test_a_torn_record_at_the_tail_is_cut_and_the_rest_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    _fill(spool, 3)
    spool.close()
    segment = sorted(tmp_path.glob("*.seg"))[-1]
    with open(segment, "ab") as handle:
        handle.write(b"\x05\x00\x00")
    reopened = Spool(tmp_path, 1 << 20)
    assert [e.value for e in reopened.read(10)] == [b"v0", b"v1", b"v2"]


def test_past_the_budget_the_oldest_records_are_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 16 * 1024)
    payload = b"x" * 200
    for i in range(400):
        spool.append("t", b"k", payload + str(i).encode())
    assert spool.size_bytes <= 16 * 1024
    assert spool.dropped > 0
    kept = spool.read(1000)
    assert len(kept) + spool.dropped == 400
    assert kept[-1].value.endswith(b"399")
    assert [e.seq for e in kept] == sorted(e.seq for e in kept)


def test_delivered_segments_are_deleted_from_disk(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 64 * 1024)
    for i in range(300):
        spool.append("t", b"k", b"y" * 100 + str(i).encode())
    while spool.pending:
        spool.commit(spool.read(50)[-1].seq)
    assert spool.size_bytes == 0
    assert list(tmp_path.glob("*.seg")) == []

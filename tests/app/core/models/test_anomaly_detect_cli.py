"""``aiot detect``: streaming CSV in, one scored row out per input row."""

import csv
import io
import math
import random

import pytest

from app.cli.detect import detect_stream, parse_timestamp
from app.cli.main import main


def _write_csv(path, rows, header=("timestamp", "a", "b", "label"), sep=","):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)


def _rows(n, seed=0, spike_at=None):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = 10 + rng.gauss(0, 0.5)
        if i == spike_at:
            a = 40.0
        out.append(
            (
                "2024-01-01T00:00:00+00:00" if i == 0 else 1704067200 + 300 * i,
                a,
                5 + rng.gauss(0, 0.2),
                int(i == spike_at),
            )
        )
    return out


def _read(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_writes_one_scored_row_per_input_row_and_flags_the_spike(tmp_path, capsys):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(source, _rows(800, spike_at=700))
    assert main(["detect", str(source), "-o", str(target), "--exclude", "label"]) == 0
    out = _read(target)
    assert len(out) == 800
    assert list(out[0]) == ["timestamp", "anomaly_score", "is_anomaly"]
    scores = [float(r["anomaly_score"]) for r in out]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert out[700]["is_anomaly"] == "1"
    assert scores[700] == max(scores)
    assert "rows/s" in capsys.readouterr().err


def test_excluded_and_timestamp_columns_are_not_features():
    reader = [("ts", "x", "label"), ("1", "1.0", "0"), ("2", "2.0", "1")]
    sink = io.StringIO()
    count, features = detect_stream(reader, csv.writer(sink), "ts", ("label",))
    assert (count, features) == (2, ("x",))
    assert sink.getvalue().splitlines()[1].startswith("1,")


def test_separator_and_timestamp_column_options(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(source, [(i, float(i % 3)) for i in range(50)], header=("t", "v"), sep=";")
    args = ["detect", str(source), "-o", str(target), "--sep", ";", "--timestamp-col", "t"]
    assert main(args) == 0
    assert [r["timestamp"] for r in _read(target)] == [str(i) for i in range(50)]


def test_prefix_scores_do_not_change_when_the_rest_of_the_file_follows(tmp_path):
    rows = _rows(900, seed=3, spike_at=850)
    short, full = tmp_path / "short.csv", tmp_path / "full.csv"
    _write_csv(short, rows[:600])
    _write_csv(full, rows)
    main(["detect", str(short), "-o", str(tmp_path / "o1.csv"), "--exclude", "label"])
    main(["detect", str(full), "-o", str(tmp_path / "o2.csv"), "--exclude", "label"])
    assert _read(tmp_path / "o2.csv")[:600] == _read(tmp_path / "o1.csv")


def test_missing_timestamp_column_is_a_clean_error(tmp_path, capsys):
    source = tmp_path / "in.csv"
    _write_csv(source, [(1, 2)], header=("time", "v"))
    assert main(["detect", str(source), "-o", str(tmp_path / "o.csv")]) == 2
    assert "timestamp" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1700000000", 1700000000.0),
        ("2014-04-10 07:15:00", 1397114100.0),
        ("2014-04-10T07:15:00.000000", 1397114100.0),
        ("2014-04-10T09:15:00+02:00", 1397114100.0),
    ],
)
def test_parse_timestamp_reads_numbers_and_iso_times_as_utc_seconds(text, expected):
    assert parse_timestamp(text, -1.0) == expected


def test_unparseable_timestamp_falls_back_to_the_row_number():
    assert parse_timestamp("not a time", 7.0) == 7.0
    assert math.isfinite(parse_timestamp("", 0.0))


def test_tab_separator_can_be_given_by_name(tmp_path):
    source, target = tmp_path / "in.tsv", tmp_path / "out.csv"
    _write_csv(source, [(i, float(i % 3)) for i in range(40)], header=("timestamp", "v"), sep="\t")
    assert main(["detect", str(source), "-o", str(target), "--sep", "tab"]) == 0
    assert len(_read(target)) == 40


def _pump_rows(n, fault, seed=0):
    """timestamp, flow, current, pressure; in ``fault`` the current stops following the flow."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        flow = 50.0 + 10.0 * math.sin(i / 40.0) + rng.gauss(0, 0.5)
        current = 2.0 + 0.04 * flow + rng.gauss(0, 0.03)
        if i in fault:
            current = 4.0 + rng.gauss(0, 0.03)
        out.append((1704067200 + 60 * i, flow, current, 1.0 + 0.01 * flow + rng.gauss(0, 0.02)))
    return out


def test_a_prefix_cut_inside_a_multichannel_fault_gets_the_same_scores_and_alerts(tmp_path):
    rows = _pump_rows(2200, range(1500, 1800), seed=5)
    header = ("timestamp", "flow", "current", "pressure")
    short, full = tmp_path / "short.csv", tmp_path / "full.csv"
    _write_csv(short, rows[:1650], header=header)
    _write_csv(full, rows, header=header)
    main(["detect", str(short), "-o", str(tmp_path / "o1.csv")])
    main(["detect", str(full), "-o", str(tmp_path / "o2.csv")])
    prefix = _read(tmp_path / "o1.csv")
    assert _read(tmp_path / "o2.csv")[:1650] == prefix
    assert any(r["is_anomaly"] == "1" for r in prefix[1500:])  # the cut is inside an alert

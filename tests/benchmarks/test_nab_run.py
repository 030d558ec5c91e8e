"""``python -m benchmarks.run_nab`` without the shared data: a clean skip, not a failure."""

from benchmarks import run_nab


def test_benchmark_skips_cleanly_when_the_data_is_absent(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run_nab, "data_root", lambda _root: tmp_path / "missing")
    assert run_nab.main([]) == 0
    assert "not found" in capsys.readouterr().out

"""Benchmarks of aiot's models on public labelled data kept in ../shared/benchmarks."""

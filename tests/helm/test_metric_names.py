"""The dashboard and the alert rules only use metric names the worker really exports.

The exported names are read from a live ``aiot worker``'s /metrics (started against the embedded
broker), so renaming a metric in the code without updating the chart fails here.
"""

from __future__ import annotations

import json

from tests.helm.support import (
    PROMETHEUS_SERIES,
    Manifest,
    dashboard_exprs,
    exposition_names,
    one,
    promql_metric_names,
    rule_exprs,
)


def _dashboard_metrics(manifests: list[Manifest]) -> set[str]:
    config_map = one(manifests, "ConfigMap", "aiot-dashboard")
    dashboard = json.loads(config_map["data"]["aiot.json"])
    return {name for expr in dashboard_exprs(dashboard) for name in promql_metric_names(expr)}


def _rule_metrics(manifests: list[Manifest]) -> set[str]:
    rule = one(manifests, "PrometheusRule")
    return {name for expr in rule_exprs(rule) for name in promql_metric_names(expr)}


def test_promql_parser_finds_metrics_and_skips_functions_labels_and_numbers() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, topic) (rate(aiot_processing_latency_seconds_bucket"
        '{namespace="aiot",job=~"$job"}[$__rate_interval]))) / clamp_min(sum without (pod) '
        "(aiot_events_in_total offset 5m), 1e-9) > bool 0.5 and on (namespace) up == 1"
    )
    assert promql_metric_names(expr) == {
        "aiot_processing_latency_seconds_bucket",
        "aiot_events_in_total",
        "up",
    }
    assert promql_metric_names('time() - max by (agent) (aiot_x{a="b(c)"}) > 300') == {"aiot_x"}


def test_exposition_parser_expands_histograms_and_counters() -> None:
    text = (
        "# HELP aiot_a_total A.\n# TYPE aiot_a_total counter\n"
        "# HELP aiot_h H.\n# TYPE aiot_h histogram\n"
        "# TYPE aiot_g gauge\naiot_g 1.0\n"
    )
    assert exposition_names(text) >= {
        "aiot_a_total",
        "aiot_h_bucket",
        "aiot_h_sum",
        "aiot_h_count",
        "aiot_g",
    }
    assert "aiot_h_total" not in exposition_names(text)


def test_dashboard_and_rules_reference_the_expected_metric_families(
    production_manifests: list[Manifest],
) -> None:
    dashboard = _dashboard_metrics(production_manifests)
    rules = _rule_metrics(production_manifests)
    assert len(dashboard) >= 12
    assert {"aiot_consumer_lag", "aiot_worker_ready", "aiot_dead_letters_total"} <= rules


def test_every_metric_in_dashboard_and_rules_is_exported_by_a_live_worker(
    production_manifests: list[Manifest], worker_metrics: str
) -> None:
    exported = exposition_names(worker_metrics) | PROMETHEUS_SERIES
    assert "aiot_worker_ready" in exported, "the worker's /metrics lacks the aiot metrics"
    unknown_dashboard = _dashboard_metrics(production_manifests) - exported
    unknown_rules = _rule_metrics(production_manifests) - exported
    assert not unknown_dashboard, f"dashboard metrics the worker lacks: {unknown_dashboard}"
    assert not unknown_rules, f"PrometheusRule metrics the worker lacks: {unknown_rules}"

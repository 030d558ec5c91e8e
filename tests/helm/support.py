"""Helpers of the Helm chart tests: render with Helm's engine, index manifests, read PromQL.

The chart is rendered by ``helm-python-sdk`` (Helm's Go SDK through a C ABI), so templates are
evaluated exactly as ``helm install`` would, without a helm binary or a cluster.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "aiot"
RELEASE = "aiot"
NAMESPACE = "aiot"

# Series Prometheus itself creates for every scrape target; the worker cannot export them.
PROMETHEUS_SERIES = frozenset({"up"})

_PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
    | {"and", "or", "unless", "offset", "inf", "nan", "atan2"}
)


@dataclass(frozen=True)
class Manifest:
    """One rendered Kubernetes object and the template it came from."""

    template: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        """The object's kind."""
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        """The object's metadata.name."""
        return str(self.body["metadata"]["name"])


def load_values(name: str) -> dict[str, Any]:
    """Parse a values file of the chart (e.g. ``values-production.yaml``)."""
    loaded = yaml.safe_load((CHART / name).read_text(encoding="utf-8"))
    return dict(loaded or {})


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in recursively (override wins), like ``-f``."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render(values: dict[str, Any] | None = None) -> list[Manifest]:
    """Render the chart as an install would and return every object (NOTES excluded)."""
    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    manifests = []
    for template, text in sorted(rendered.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for body in yaml.safe_load_all(text):
            if body:
                manifests.append(Manifest(template, body))
    return manifests


def by_kind(manifests: Iterable[Manifest], kind: str) -> list[Manifest]:
    """All rendered objects of one kind."""
    return [m for m in manifests if m.kind == kind]


def one(manifests: Iterable[Manifest], kind: str, name: str | None = None) -> dict[str, Any]:
    """The single object of ``kind`` (and ``name``); fails when there is not exactly one."""
    found = [m.body for m in by_kind(manifests, kind) if name is None or m.name == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_specs(manifests: Iterable[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    """``(kind/name, pod spec)`` of every workload object."""
    specs = []
    for m in manifests:
        if m.kind in {"StatefulSet", "Deployment", "Job", "DaemonSet"}:
            specs.append((f"{m.kind}/{m.name}", m.body["spec"]["template"]["spec"]))
    return specs


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (functions, keywords and label names dropped).

    Strings, label matchers ``{...}``, range/subquery brackets ``[...]`` and grouping clauses
    ``by (...)`` are removed first; what remains as an identifier not followed by ``(`` and
    not a keyword is a metric name.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if text[match.end() :].lstrip().startswith("("):
            continue
        if word.lower() in _PROMQL_WORDS:
            continue
        names.add(word)
    return names


def exposition_names(text: str) -> set[str]:
    """Every series name a Prometheus text exposition can produce.

    Uses the ``# TYPE`` lines (present even for labelled metrics without samples yet) and
    expands histograms and summaries to their ``_bucket``/``_sum``/``_count`` series; sample
    lines are added as well.
    """
    suffixes = {
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
        "counter": ("_total",),
    }
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            for suffix in suffixes.get(kind.strip(), ()):
                if not name.endswith(suffix):
                    names.add(name + suffix)
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a Grafana dashboard: panel targets and query variables."""
    exprs: list[str] = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            exprs.extend(t["expr"] for t in panel.get("targets", []) if t.get("expr"))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query" and isinstance(query, dict):
            query = query.get("query")
        if variable.get("type") == "query" and isinstance(query, str):
            inner = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", query)
            exprs.append(inner.group(1) if inner else query)
    return exprs


def rule_exprs(rule_doc: dict[str, Any]) -> list[str]:
    """Every expression of a PrometheusRule object."""
    return [r["expr"] for g in rule_doc["spec"]["groups"] for r in g["rules"]]

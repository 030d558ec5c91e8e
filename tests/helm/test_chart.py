"""The aiot Helm chart renders valid, hardened Kubernetes objects for default and production use.

Core objects are validated against the Kubernetes OpenAPI schemas shipped by
``kubernetes-validate`` (strict: unknown fields fail); the CRDs (ServiceMonitor, PrometheusRule,
ScaledObject, TriggerAuthentication) are checked structurally here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import helm_python as helm
import helm_python.errors
import kubernetes_validate
import pytest
import yaml

from tests.helm.conftest import ALL_TOGGLES
from tests.helm.support import (
    CHART,
    NAMESPACE,
    Manifest,
    by_kind,
    deep_merge,
    load_values,
    one,
    pod_specs,
    render,
)

KUBE_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
CRD_KINDS = {"ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication"}
REQUIRED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)
SECRET_ENV = re.compile(r"PASSWORD|USERNAME|SECRET|TOKEN|CREDENTIAL", re.IGNORECASE)
DURATION = re.compile(r"^\d+[smhd]$")


def _all_renders(request: pytest.FixtureRequest) -> list[list[Manifest]]:
    return [
        request.getfixturevalue("default_manifests"),
        request.getfixturevalue("production_manifests"),
    ]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def _worker(manifests: list[Manifest]) -> dict[str, Any]:
    return one(manifests, "StatefulSet")


def _worker_container(manifests: list[Manifest]) -> dict[str, Any]:
    containers = _worker(manifests)["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "worker")


def _settings(manifests: list[Manifest]) -> dict[str, str]:
    return dict(one(manifests, "ConfigMap", "aiot-settings")["data"])


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values_name", ["default", "production"])
def test_every_core_object_validates_against_the_kubernetes_schema(
    request: pytest.FixtureRequest, values_name: str, kube_version: str
) -> None:
    manifests = request.getfixturevalue(f"{values_name}_manifests")
    core = [m for m in manifests if m.kind not in CRD_KINDS]
    assert len(core) >= 6
    for manifest in core:
        try:
            kubernetes_validate.validate(manifest.body, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{manifest.template} {manifest.kind}/{manifest.name}: {path}: {exc}")


def test_hpa_render_validates_against_the_kubernetes_schema() -> None:
    values = deep_merge(
        load_values("values-production.yaml"),
        {"autoscaling": {"keda": {"enabled": False}, "hpa": {"enabled": True}}},
    )
    hpa = one(render(values), "HorizontalPodAutoscaler")
    kubernetes_validate.validate(hpa, KUBE_VERSIONS[0], strict=True)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "aiot",
    }


def test_every_object_carries_the_recommended_labels(request: pytest.FixtureRequest) -> None:
    for manifests in _all_renders(request):
        for manifest in manifests:
            labels = manifest.body["metadata"].get("labels", {})
            missing = [label for label in REQUIRED_LABELS if label not in labels]
            assert not missing, f"{manifest.kind}/{manifest.name} lacks {missing}"
            assert labels["app.kubernetes.io/version"] == "0.1.0"
            assert labels["app.kubernetes.io/managed-by"] == "Helm"


def test_chart_metadata_is_v2_with_app_version_0_1_0() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["apiVersion"] == "v2"
    assert str(chart["appVersion"]) == "0.1.0"


def test_worker_probes_health_and_readiness_on_the_web_port(
    request: pytest.FixtureRequest,
) -> None:
    for manifests in _all_renders(request):
        container = _worker_container(manifests)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["web"] == int(_settings(manifests)["AIOT_WEB_PORT"])
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            assert container[probe]["httpGet"] == {"path": path, "port": "web"}, probe
        assert container["args"] == ["worker"]


def test_pods_run_non_root_read_only_without_privileges(request: pytest.FixtureRequest) -> None:
    for manifests in _all_renders(request):
        specs = pod_specs(manifests)
        assert specs
        for where, spec in specs:
            pod = spec["securityContext"]
            assert pod["runAsNonRoot"] is True, where
            assert pod["runAsUser"] == 10001, where
            assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert spec["automountServiceAccountToken"] is False, where
            for container in spec["containers"]:
                ctx = container["securityContext"]
                assert ctx["runAsNonRoot"] is True, where
                assert ctx["runAsUser"] == 10001, where
                assert ctx["readOnlyRootFilesystem"] is True, where
                assert ctx["allowPrivilegeEscalation"] is False, where
                assert ctx["capabilities"]["drop"] == ["ALL"], where
                assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, where
                assert container.get("resources"), where
            tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
            tmp_mounts = [
                m
                for c in spec["containers"]
                for m in c["volumeMounts"]
                if m["mountPath"] == "/tmp" and m["name"] in tmp_volumes
            ]
            assert len(tmp_mounts) == len(spec["containers"]), f"{where} lacks a /tmp emptyDir"


def test_worker_state_lives_on_a_volume_claim_template_at_the_data_dir(
    request: pytest.FixtureRequest,
) -> None:
    for manifests in _all_renders(request):
        sts = _worker(manifests)
        settings = _settings(manifests)
        assert settings["AIOT_STORE"] == "rocksdb://"
        claims = {c["metadata"]["name"]: c for c in sts["spec"]["volumeClaimTemplates"]}
        assert claims["data"]["spec"]["accessModes"] == ["ReadWriteOnce"]
        mounts = {m["name"]: m["mountPath"] for m in _worker_container(manifests)["volumeMounts"]}
        assert mounts["data"] == settings["AIOT_DATA_DIR"]
        pod_volumes = {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]}
        assert "data" not in pod_volumes, "data must come from the claim, not a pod volume"
        assert sts["spec"]["podManagementPolicy"] == "Parallel"
        assert sts["spec"]["updateStrategy"]["type"] == "RollingUpdate"
        assert (
            sts["spec"]["serviceName"]
            == one(manifests, "Service", "aiot-headless")["metadata"]["name"]
        )
        assert sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 60


def test_services_and_budget_select_the_worker_pods(request: pytest.FixtureRequest) -> None:
    for manifests in _all_renders(request):
        pod_labels = _worker(manifests)["spec"]["template"]["metadata"]["labels"]
        headless = one(manifests, "Service", "aiot-headless")
        assert headless["spec"]["clusterIP"] == "None"
        for selector in (
            headless["spec"]["selector"],
            one(manifests, "Service", "aiot-metrics")["spec"]["selector"],
            one(manifests, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
            _worker(manifests)["spec"]["selector"]["matchLabels"],
        ):
            assert selector.items() <= pod_labels.items()


def test_default_render_holds_no_secret_values(default_manifests: list[Manifest]) -> None:
    assert not by_kind(default_manifests, "Secret")
    for manifest in by_kind(default_manifests, "ConfigMap"):
        for key in manifest.body.get("data", {}):
            assert not SECRET_ENV.search(key), f"{manifest.name} holds {key}"
    for where, spec in pod_specs(default_manifests):
        for container in spec["containers"]:
            for name, entry in _env(container).items():
                if SECRET_ENV.search(name):
                    assert "value" not in entry, f"{where} inlines {name}"


def test_production_credentials_come_only_from_existing_secrets(
    production_manifests: list[Manifest], production_values: dict[str, Any]
) -> None:
    assert not by_kind(production_manifests, "Secret")
    kafka = production_values["kafka"]
    settings = _settings(production_manifests)
    assert settings["AIOT_BROKER_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["AIOT_BROKER_SASL_MECHANISM"] == "SCRAM-SHA-512"
    for where, spec in pod_specs(production_manifests):
        for container in spec["containers"]:
            env = _env(container)
            for name, entry in env.items():
                if SECRET_ENV.search(name):
                    assert "value" not in entry, f"{where} inlines {name}"
                    assert "secretKeyRef" in entry["valueFrom"], f"{where} {name}"
            ref = env["AIOT_BROKER_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": kafka["sasl"]["existingSecret"], "key": "password"}
            cafile = settings["AIOT_BROKER_SSL_CAFILE"]
            mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
            assert cafile == f"{mounts['kafka-tls']}/{kafka['tls']['caKey']}", where
        secret_volumes = [v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v]
        assert secret_volumes == [kafka["tls"]["existingSecret"]], where


def test_production_settings_reach_the_worker(production_manifests: list[Manifest]) -> None:
    settings = _settings(production_manifests)
    assert settings["AIOT_PARTITIONS"] == "12"
    assert settings["AIOT_REPLICATION_FACTOR"] == "3"
    assert settings["AIOT_DEV_TIMEOUTS"] == "false"
    assert settings["AIOT_BROKER_URL"].count("kafka://") == 3
    assert all(key.startswith("AIOT_") for key in settings)
    annotations = _worker(production_manifests)["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/settings"])


def test_settings_map_keys_become_aiot_env_vars_and_numbers_stay_plain() -> None:
    manifests = render({"settings": {"horizon_h": 48, "min_event_time": 946684800}})
    settings = _settings(manifests)
    assert settings["AIOT_HORIZON_H"] == "48"
    assert settings["AIOT_MIN_EVENT_TIME"] == "946684800"


def test_hpa_and_keda_are_mutually_exclusive() -> None:
    both = {"autoscaling": {"hpa": {"enabled": True}, "keda": {"enabled": True}}}
    with pytest.raises(helm_python.errors.HelmError, match="mutually exclusive"):
        render(both)
    keda_only = render({"autoscaling": {"keda": {"enabled": True}}})
    assert by_kind(keda_only, "ScaledObject") and not by_kind(keda_only, "HorizontalPodAutoscaler")
    hpa_only = render({"autoscaling": {"hpa": {"enabled": True}}})
    assert by_kind(hpa_only, "HorizontalPodAutoscaler") and not by_kind(hpa_only, "ScaledObject")
    for manifests in (keda_only, hpa_only):
        assert "replicas" not in _worker(manifests)["spec"], "autoscaler owns the replica count"


def test_sasl_without_an_existing_secret_is_refused() -> None:
    with pytest.raises(helm_python.errors.HelmError, match="existingSecret"):
        render({"kafka": {"securityProtocol": "SASL_SSL"}})


def test_optional_objects_are_off_by_default(default_manifests: list[Manifest]) -> None:
    kinds = {m.kind for m in default_manifests}
    assert not kinds & (CRD_KINDS | {"HorizontalPodAutoscaler", "NetworkPolicy"})
    assert [m.name for m in by_kind(default_manifests, "Deployment")] == ["aiot-console"]
    assert all(m.name != "aiot-dashboard" for m in default_manifests)


def test_production_keda_scales_the_statefulset_on_group_lag(
    production_manifests: list[Manifest],
) -> None:
    scaled = one(production_manifests, "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": _worker(production_manifests)["metadata"]["name"],
    }
    spec = scaled["spec"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    assert spec["maxReplicaCount"] <= int(_settings(production_manifests)["AIOT_PARTITIONS"])
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert all(isinstance(v, str) for v in meta.values()), "KEDA metadata is map[string]string"
    assert meta["consumerGroup"] == _settings(production_manifests)["AIOT_APP_ID"]
    assert meta["topic"] == "aiot.machine.telemetry.v1"
    assert "://" not in meta["bootstrapServers"]
    assert meta["sasl"] == "scram_sha512"
    assert meta["tls"] == "enable"
    auth = one(production_manifests, "TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    params = {r["parameter"]: r for r in auth["spec"]["secretTargetRef"]}
    assert set(params) == {"username", "password", "ca"}
    assert all(set(r) == {"parameter", "name", "key"} for r in params.values())


def test_production_service_monitor_scrapes_the_metrics_service(
    production_manifests: list[Manifest],
) -> None:
    monitor = one(production_manifests, "ServiceMonitor", "aiot")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    service = one(production_manifests, "Service", "aiot-metrics")
    headless = one(production_manifests, "Service", "aiot-headless")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert not selector.items() <= headless["metadata"]["labels"].items(), "double scrape"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert DURATION.match(endpoint["interval"])
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_production_prometheus_rule_is_well_formed_and_covers_the_failure_modes(
    production_manifests: list[Manifest],
) -> None:
    rule = one(production_manifests, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    rules = [r for g in rule["spec"]["groups"] for r in g["rules"]]
    for r in rules:
        assert set(r) <= {"alert", "expr", "for", "labels", "annotations"}, r["alert"]
        assert r["labels"]["severity"] in {"warning", "critical"}
        assert r["labels"]["team"] == "aiot"
        assert r["annotations"]["summary"]
        assert "for" not in r or DURATION.match(r["for"])
        expr = r["expr"]
        assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}")
        assert f'namespace="{NAMESPACE}"' in expr and 'job="aiot-metrics"' in expr
    by_metric = {name: r["alert"] for r in rules for name in re.findall(r"aiot_\w+", r["expr"])}
    for metric in (
        "aiot_consumer_lag",
        "aiot_dead_letters_total",
        "aiot_agent_last_progress_timestamp_seconds",
        "aiot_agent_errors_total",
        "aiot_events_in_total",
        "aiot_worker_ready",
    ):
        assert metric in by_metric, f"no alert on {metric}"
    man_down = next(r for r in rules if r["alert"] == "AiotManDown")
    assert (
        r'alert_type="man_down"' in man_down["expr"]
        and man_down["labels"]["severity"] == "critical"
    )
    no_input = next(r for r in rules if r["alert"] == "AiotNoInput")
    assert "rate(aiot_events_in_total" in no_input["expr"] and "== 0" in no_input["expr"]


def test_production_dashboard_is_a_sidecar_config_map_with_the_key_panels(
    production_manifests: list[Manifest],
) -> None:
    config_map = one(production_manifests, "ConfigMap", "aiot-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["aiot.json"])
    assert dashboard["uid"] and dashboard["title"]
    titles = {p["title"] for p in dashboard["panels"]}
    for expected in (
        "Events in by topic",
        "Events out by topic",
        "Dead letters by reason",
        "Processing latency quantiles",
        "Consumer lag by topic",
        "Alerts raised by type and severity",
        "Model precision and recall",
        "Alert lead time before failure",
        "Ready and recovery state per pod",
        "Fleet episodes by class",
        "Safety alerts raised",
        "Entities tracked by domain",
    ):
        assert expected in titles
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    assert "histogram_quantile(0.99, sum by (le) (rate(aiot_processing_latency_seconds_bucket" in (
        exprs
    )


def test_production_network_policy_allows_scraping_and_kafka_dns_egress(
    production_manifests: list[Manifest], production_values: dict[str, Any]
) -> None:
    policy = one(production_manifests, "NetworkPolicy", "aiot")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": "web", "protocol": "TCP"}]
    assert ingress["from"] == production_values["networkPolicy"]["metricsFrom"]
    egress_ports = {(p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"]}
    assert {(53, "UDP"), (53, "TCP"), (9093, "TCP")} <= egress_ports
    selected = policy["podSelector"]["matchExpressions"][0]["values"]
    for component in ("worker", "topics"):
        assert component in selected


def test_topic_job_is_a_hook_with_its_script_and_the_broker_security_env(
    production_manifests: list[Manifest],
) -> None:
    job = one(production_manifests, "Job")
    script = one(production_manifests, "ConfigMap", "aiot-provision")
    for obj in (job, script):
        assert obj["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    job_weight = int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert int(script["metadata"]["annotations"]["helm.sh/hook-weight"]) < job_weight
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["image"] == _worker_container(production_manifests)["image"]
    env = _env(container)
    for name, value in _settings(production_manifests).items():
        assert env[name]["value"] == value, name
    assert "secretKeyRef" in env["AIOT_BROKER_SASL_USERNAME"]["valueFrom"]
    assert "envFrom" not in container, "the settings ConfigMap does not exist in pre-install"
    topics = json.loads(script["data"]["topics.json"])
    assert topics["changelogConfig"]["cleanup.policy"] == "compact"
    assert set(topics["changelogTables"]) == _worker_tables()
    assert "def main" in script["data"]["provision_topics.py"]


def test_edge_gateway_is_disabled_by_default_and_uses_secret_refs_when_enabled(
    default_manifests: list[Manifest], production_manifests: list[Manifest]
) -> None:
    assert all(m.name != "aiot-edge" for m in by_kind(default_manifests, "Deployment"))
    edge = one(production_manifests, "Deployment", "aiot-edge")
    (container,) = edge["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["edge"]
    env = _env(container)
    assert (
        env["AIOT_EDGE_MQTT_URL"]["valueFrom"]["secretKeyRef"]["name"]
        == (ALL_TOGGLES["edge"]["mqtt"]["existingSecret"])
    )
    assert env["AIOT_EDGE_DATA_DIR"]["value"] == "/var/lib/aiot-edge"
    assert container["ports"][0]["containerPort"] == 6068


def _console(manifests: list[Manifest]) -> dict[str, Any]:
    return one(manifests, "Deployment", "aiot-console")


def test_console_runs_as_a_deployment_with_a_service_and_probes(
    request: pytest.FixtureRequest,
) -> None:
    for manifests in _all_renders(request):
        pod = _console(manifests)["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        assert container["args"] == ["console"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        env = _env(container)
        assert str(ports["http"]) == env["AIOT_CONSOLE_PORT"]["value"]
        assert env["AIOT_CONSOLE_HOST"]["value"] == "0.0.0.0"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["envFrom"] == [{"configMapRef": {"name": "aiot-settings"}}]
        service = one(manifests, "Service", "aiot-console")
        assert service["spec"]["type"] == "ClusterIP"
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        assert service["spec"]["ports"][0]["targetPort"] == "http"
        worker_labels = _worker(manifests)["spec"]["template"]["metadata"]["labels"]
        assert not service["spec"]["selector"].items() <= worker_labels.items()


def test_production_console_trusts_the_proxy_user_and_is_scraped_and_fenced(
    production_manifests: list[Manifest], production_values: dict[str, Any]
) -> None:
    (container,) = _console(production_manifests)["spec"]["template"]["spec"]["containers"]
    assert _env(container)["AIOT_CONSOLE_USER_HEADER"]["value"] == "X-Auth-Request-User"
    assert "secretKeyRef" in _env(container)["AIOT_BROKER_SASL_PASSWORD"]["valueFrom"]
    monitor = one(production_manifests, "ServiceMonitor", "aiot-console")
    service = one(production_manifests, "Service", "aiot-console")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    policy = one(production_manifests, "NetworkPolicy", "aiot-console")["spec"]
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert ingress["from"] == production_values["networkPolicy"]["consoleFrom"]
    pod_labels = _console(production_manifests)["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
    rules = {
        r["alert"]: r
        for g in one(production_manifests, "PrometheusRule")["spec"]["groups"]
        for r in g["rules"]
    }
    assert 'transition="escalated"' in rules["AiotAlarmUnacknowledged"]["expr"]


def test_console_can_be_switched_off() -> None:
    manifests = render({"console": {"enabled": False}})
    assert all("console" not in m.name for m in manifests)


@pytest.mark.parametrize("values_file", ["values.yaml", "values-production.yaml"])
def test_every_values_key_is_commented(values_file: str) -> None:
    """Each key has a comment right above it; a `# --` comment also documents the key's value."""
    undocumented = []
    documented_block: int | None = None  # indent of a `# --` key whose children are its value
    comments: list[str] = []  # the comment lines right above the current line
    for number, line in enumerate(
        (CHART / values_file).read_text(encoding="utf-8").splitlines(), 1
    ):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("#"):
            comments.append(stripped)
            continue
        key = re.match(r"^\s*([\w.\-]+):", line)
        if stripped and documented_block is not None and indent <= documented_block:
            documented_block = None
        if key and documented_block is None:
            if not comments:
                undocumented.append(f"{number}: {key.group(1)}")
            elif any(c.startswith("# --") for c in comments):
                documented_block = indent
        comments = []
    assert not undocumented, f"{values_file} keys without a comment: {undocumented}"


@pytest.mark.parametrize("values_name", ["default", "production"])
def test_helm_lint_reports_no_warnings_or_errors(
    request: pytest.FixtureRequest, values_name: str
) -> None:
    values = None if values_name == "default" else request.getfixturevalue("production_values")
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSIONS[0]}")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not problems and not report["errors"], (problems, report["errors"])


def _worker_tables() -> set[str]:
    """The tables a worker declares (every domain), so the chart's list cannot fall behind."""
    from app.runtime.worker import build_worker_app
    from app.settings import Settings

    ctx = build_worker_app(Settings(broker_url="kafka://127.0.0.1:9"))
    return set(ctx.app.tables.keys())

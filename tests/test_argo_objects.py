"""Argo Rollouts objects: the PodDisruptionBudget, Services and gate queries select the pods that
really serve; provider wiring (Istio, Gateway API plugin, Linkerd, SMI, NGINX); workloadRef;
snapshots of one Rollout and its AnalysisTemplate."""

from __future__ import annotations

import re

import pytest

from argo_support import GATES, argo_spec, build


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("provider", ["istio", "kubernetes", "nginx", "linkerd", "smi"])
def test_pdb_services_and_queries_select_the_rollout_pods(write_spec, provider):
    built = build(write_spec, argo_spec("type: canary", platform=f"traffic: {{provider: {provider}}}",
                                        rest=GATES + "rollback: {maxFailedChecks: 1}"))
    rollout = built.rollout["spec"]
    pod_labels = rollout["template"]["metadata"]["labels"]
    pdb = built.object("poddisruptionbudget.yaml")["spec"]
    assert pdb["selector"]["matchLabels"] == rollout["selector"]["matchLabels"]
    assert selects(pdb["selector"]["matchLabels"], pod_labels)  # stable and canary pods alike
    services = built.services()
    for service in services.values():
        assert selects(service["spec"]["selector"], pod_labels)  # Argo adds the pod-template hash itself
    # the gates judge the canary through its Service, which exists and selects the Rollout's pods
    (argument,) = built.canary["analysis"]["args"]
    assert argument == {"name": "service", "value": built.canary["canaryService"]}
    assert argument["value"] in services
    for template in ("web-error-rate", "web-latency-p99"):
        query = built.metric(template)["provider"]["prometheus"]["query"]
        assert query.count('"{{args.service}}"') == (2 if template == "web-error-rate" else 1) or \
            "_{{args.service}}_" in query
        assert 'namespace="shop"' in query


def test_check_jobs_never_join_the_release_pods(write_spec):
    spec = argo_spec("""
        type: canary
        steps: [10, 50]
        approval: {before: promotion, timeout: 5m, onTimeout: promote}
        loadTest: {requestsPerSecond: 5}
    """, rest=GATES + "rollback: {maxFailedChecks: 1}\nsmoke: [{name: ping, http: {path: /ping}}]")
    built = build(write_spec, spec)
    pdb_selector = built.object("poddisruptionbudget.yaml")["spec"]["selector"]["matchLabels"]
    jobs = [metric["provider"]["job"] for template in built.objects("analysistemplates.yaml")
            for metric in template["spec"]["metrics"] if "job" in metric["provider"]]
    assert len(jobs) == 3  # smoke, load test, approval
    for job in jobs:
        labels = job["spec"]["template"]["metadata"]["labels"]
        assert not selects(pdb_selector, labels)
        assert job["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
        assert job["spec"]["backoffLimit"] == 0 and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_blue_green_judges_the_preview_then_the_active_service(write_spec):
    built = build(write_spec, argo_spec("""
        type: blue-green
        iterations: 3
        loadTest: {requestsPerSecond: 5}
    """, rest=GATES + "rollback: {maxFailedChecks: 1}\nsmoke:\n  - {name: ready, http: {path: /ready, expect: 200}}"))
    blue_green = built.rollout["spec"]["strategy"]["blueGreen"]
    # Istio labels the sidecar-less load Job's requests with the canonical service, not the preview's:
    # the preview gets its smoke tests, the gates run after the switch
    assert [t["templateName"] for t in blue_green["prePromotionAnalysis"]["templates"]] == ["web-smoke"]
    services = built.services()
    assert set(services) == {blue_green["activeService"], blue_green["previewService"]}
    assert blue_green["prePromotionAnalysis"]["args"][0]["value"] == blue_green["previewService"]
    assert blue_green["postPromotionAnalysis"]["args"][0]["value"] == blue_green["activeService"]
    # blue-green switches Services: the VirtualService only fronts the active one
    (route,) = built.object("virtualservice.yaml")["spec"]["http"]
    assert [r["destination"]["host"] for r in route["route"]] == ["web"]


def test_gateway_api_uses_the_plugin_and_an_httproute_on_the_gateway(write_spec):
    built = build(write_spec, argo_spec("type: canary", platform="""
        traffic: {provider: gateway-api, gateway: infra/public, hosts: [web.example.com], timeout: 9s}
    """, rest=GATES + "rollback: {maxFailedChecks: 1}"))
    routing = built.canary["trafficRouting"]
    assert routing == {"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "web", "namespace": "shop"}}}
    route = built.object("httproute.yaml")["spec"]
    assert route["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public",
                                    "namespace": "infra"}]
    assert route["hostnames"] == ["web.example.com"]
    (rule,) = route["rules"]
    # the plugin copies these matches into header routes: without one a header route would catch everything
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert [(b["name"], b["weight"], b["port"]) for b in rule["backendRefs"]] == [("web", 100, 80),
                                                                                ("web-canary", 0, 80)]
    assert rule["timeouts"] == {"request": "9s"}
    assert "argo-rollouts-config" in built.runbook and "trafficRouterPlugins" in built.runbook


def test_linkerd_routes_in_the_mesh_with_an_httproute_on_the_service(write_spec):
    built = build(write_spec, argo_spec("type: canary", platform="traffic: {provider: linkerd}",
                                        rest=GATES + "rollback: {maxFailedChecks: 1}"))
    route = built.object("httproute.yaml")["spec"]
    assert route["parentRefs"] == [{"group": "", "kind": "Service", "name": "web", "port": 80}]
    assert "hostnames" not in route
    query = built.metric("web-error-rate")["provider"]["prometheus"]["query"]
    assert 'dst_service="{{args.service}}"' in query and 'direction="outbound"' in query


def test_smi_lets_argo_own_the_traffic_split(write_spec):
    built = build(write_spec, argo_spec("type: canary", platform="traffic: {provider: smi}",
                                        rest=GATES + "rollback: {maxFailedChecks: 1}"))
    canary = built.canary
    assert canary["trafficRouting"] == {"smi": {"rootService": "web", "trafficSplitName": "web"}}
    assert (canary["stableService"], canary["canaryService"]) == ("web-stable", "web-canary")
    assert set(built.services()) == {"web", "web-stable", "web-canary"}
    # a TrafficSplit Argo does not own makes it fail ("Rollout does not own TrafficSplit")
    assert not any("TrafficSplit" in content.decode() and "kind: TrafficSplit" in content.decode()
                   for content in built.files.values())
    assert "split.smi-spec.io/v1alpha1" in built.runbook and "linkerd-smi" in built.runbook


def test_workload_ref_emits_the_deployment_at_zero_replicas(write_spec):
    built = build(write_spec, argo_spec("type: canary", platform="workloadRef: true\ntraffic: {provider: istio}",
                                        rest=GATES + "rollback: {maxFailedChecks: 1}"))
    spec = built.rollout["spec"]
    assert spec["workloadRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                   "scaleDown": "onsuccess"}
    assert "template" not in spec and "selector" not in spec
    deployment = built.object("deployment.yaml")
    assert deployment["kind"] == "Deployment" and deployment["spec"]["replicas"] == 0
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/web:1.0.0"


def test_autoscaler_targets_the_rollout(write_spec):
    spec = argo_spec("type: canary", rest=GATES + "rollback: {maxFailedChecks: 1}").replace(
        "  replicas: 3\n", "  replicas: 3\n  autoscaling: {minReplicas: 3, maxReplicas: 9}\n")
    built = build(write_spec, spec)
    hpa = built.object("horizontalpodautoscaler.yaml")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 9)
    assert "replicas" not in built.rollout["spec"]


def test_without_automatic_rollback_the_gates_only_watch(write_spec):
    built = build(write_spec, argo_spec("type: canary", rest=GATES + "rollback: {automatic: false}"))
    assert built.rollout["spec"]["progressDeadlineAbort"] is False
    assert built.canary["analysis"]["dryRun"] == [{"metricName": "error-rate"}, {"metricName": "latency-p99"}]
    assert "dry-run" in built.runbook and "**Nothing rolls back automatically.**" in built.runbook


def test_gates_outside_rollback_on_are_dry_run(write_spec):
    rest = GATES + "rollback: {on: [error-rate], maxFailedChecks: 1}"
    built = build(write_spec, argo_spec("type: canary", rest=rest))
    assert built.canary["analysis"]["dryRun"] == [{"metricName": "latency-p99"}]
    assert "when a gate (error-rate) fails 2 checks" in built.runbook


@pytest.mark.parametrize("provider, query, condition", [
    ("datadog", "avg:web.errors{service:{{service}}}", "!isNil(result) && !isNaN(result) && result <= 0.5"),
    ("newrelic", "SELECT percentage(count(*), WHERE error) AS value FROM Transaction",
     "!isNil(result.value) && result.value <= 0.5"),
    ("cloudwatch", "SELECT AVG(Errors) FROM SCHEMA(\"App\", Service)",
     "len(result) > 0 && len(result[0].Values) > 0 && all(result[0].Values, {# <= 0.5})"),
])
def test_other_metric_providers(write_spec, provider, query, condition):
    gates = f"gates:\n  - {{name: errors, provider: {provider}, query: '{query}', max: 0.5, window: 3m}}\n"
    built = build(write_spec, argo_spec("type: canary", rest=gates + "rollback: {maxFailedChecks: 1}"))
    metric = built.metric("web-errors")
    assert metric["successCondition"] == condition
    (kind,) = metric["provider"]
    body = metric["provider"][kind]
    text = str(body)
    assert query.replace("{{service}}", "{{args.service}}") in text
    if provider == "datadog":
        assert body["interval"] == "3m" and body["apiVersion"] == "v2"


def test_a_threshold_below_one_is_written_without_exponent(write_spec):
    gates = "gates:\n  - {name: error-rate, metric: error-rate, max: 0.00001, min: -0.5}\n"
    built = build(write_spec, argo_spec("type: canary", rest=gates + "rollback: {maxFailedChecks: 1}"))
    condition = built.metric("web-error-rate")["successCondition"]
    assert condition.endswith("result[0] >= -0.5 && result[0] <= 0.00001")
    assert not re.search(r"\de-?\d", condition)


SNAPSHOT_SPEC = argo_spec("""
    type: canary
    interval: 2m
    steps: [5, {weight: 40, pause: 6m}]
""", rest=GATES + "rollback: {maxFailedChecks: 2, lastTested: \"2026-11-01\"}")


def test_rollout_snapshot(write_spec, snapshot):
    built = build(write_spec, SNAPSHOT_SPEC)
    assert built.files["production/web/argo-rollouts/rollout.yaml"].decode() == snapshot


def test_analysis_template_snapshot(write_spec, snapshot):
    built = build(write_spec, SNAPSHOT_SPEC)
    assert built.files["production/web/argo-rollouts/analysistemplates.yaml"].decode() == snapshot

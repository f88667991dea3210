"""Traffic providers: the objects `targets/traffic.py` builds and the built-in gate queries of
`queries.py` — each query selects the pods that serve (by Service, or by workload for Flagger),
returns 0 rather than nothing when there are no errors, and is valid PromQL (promtool)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from argo_support import GATES, argo_spec
from conftest import release_from
from shipgen.queries import BUILT_IN, gate_query
from shipgen.targets import traffic
import tools_support

PROVIDERS = sorted(BUILT_IN)
SERVICE_LABEL = {
    "istio": 'destination_service_name="web-canary"',
    "linkerd": 'dst_service="web-canary"',
    "smi": 'dst_service="web-canary"',
    "nginx": 'service="web-canary"',
    "gateway-api": 'envoy_cluster_name=~"shop_web-canary_[0-9a-zA-Z-]+"',
    "kubernetes": 'service="web-canary"',
}


def release_for(write_spec, provider: str, platform_extra: str = ""):
    gateway = ", gateway: infra/public" if provider == "gateway-api" else ""
    spec = argo_spec("type: canary", platform=f"traffic: {{provider: {provider}{gateway}{platform_extra}}}",
                     rest=GATES + "rollback: {maxFailedChecks: 1}")
    return release_from(write_spec(spec))


def test_every_traffic_provider_has_both_built_in_gates():
    assert PROVIDERS == ["gateway-api", "istio", "kubernetes", "linkerd", "nginx", "smi"]
    for provider in PROVIDERS:
        assert set(BUILT_IN[provider]) == {"error-rate", "latency"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_queries_select_the_pods_behind_the_named_service(write_spec, provider):
    release = release_for(write_spec, provider)
    for gate in release.gates:
        query = gate_query(release, gate, service="web-canary")
        assert SERVICE_LABEL[provider] in query
        assert f"[{'2m' if gate.name == 'error-rate' else '1m'}]" in query  # the gate's window
    error_rate = gate_query(release, release.gate("error-rate"), service="web-canary")
    # no errors but requests: 0, not an empty result that would read as "no data"
    assert error_rate.startswith("(sum(rate(") and ") or vector(0)) / sum(rate(" in error_rate
    latency = gate_query(release, release.gate("latency-p99"), service="web-canary")
    assert latency.startswith("histogram_quantile(0.99, sum by (le) (rate(")
    assert latency.endswith(" * 1000") == (provider in ("nginx", "kubernetes"))  # seconds -> ms


def test_istio_and_linkerd_select_a_workload_when_no_service_is_named(write_spec):
    istio = release_for(write_spec, "istio")
    query = gate_query(istio, istio.gate("error-rate"), workload="web-primary")
    assert 'destination_workload="web-primary"' in query and "destination_service_name" not in query
    linkerd = release_for(write_spec, "linkerd")
    query = gate_query(linkerd, linkerd.gate("error-rate"), workload="web-primary")
    assert 'deployment="web-primary"' in query and 'direction="inbound"' in query
    # the service wins when both are given: Argo's versions share one workload name
    assert 'dst_service="web-canary"' in gate_query(linkerd, linkerd.gate("error-rate"), workload="web",
                                                    service="web-canary")


def test_users_queries_get_the_service_substituted(write_spec):
    spec = argo_spec("type: canary", rest="""\
gates:
  - {name: custom, query: 'sum(rate(app_failures{svc="{{service}}", ns="{{namespace}}"}[{{window}}]))', max: 1,
     window: 90s}
rollback: {maxFailedChecks: 1}
""")
    release = release_from(write_spec(spec))
    query = gate_query(release, release.gate("custom"), service="{{args.service}}")
    assert query == 'sum(rate(app_failures{svc="{{args.service}}", ns="shop"}[1m30s]))'


@pytest.mark.skipif(tools_support.absent("promtool"), reason="promtool is not installed")
def test_built_in_queries_are_valid_promql(write_spec, tmp_path):
    rules = []
    for provider in PROVIDERS:
        release = release_for(write_spec, provider)
        for gate in release.gates:
            for selection in ({"service": "web-canary"}, {"workload": "web-primary"}, {}):
                rules.append({"record": f"shipgen:{provider.replace('-', '_')}:{gate.name.replace('-', '_')}",
                              "expr": gate_query(release, gate, **selection)})
    path = tmp_path / "queries.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- traffic objects


def test_virtual_service_is_a_host_level_split_with_gateway_and_mesh(write_spec):
    release = release_for(write_spec, "istio", ", gateway: istio-system/public, hosts: [web.example.com, web]")
    document = traffic.virtual_service(release, "web", "web", "web-canary")
    spec = document["spec"]
    assert spec["hosts"] == ["web", "web.example.com"]  # the Service name once, then the spec's hosts
    assert spec["gateways"] == ["istio-system/public", "mesh"]  # a listed gateway would otherwise drop the mesh
    (route,) = spec["http"]
    assert sum(destination["weight"] for destination in route["route"]) == 100
    assert "timeout" not in route and "retries" not in route  # only what the spec sets


def test_destination_rule_carries_the_circuit_breaker(write_spec):
    release = release_for(write_spec, "istio", ", circuitBreaker: {consecutiveErrors: 7, ejectionTime: 45s, "
                                               "maxEjectionPercent: 20, maxPendingRequests: 64}")
    document = traffic.destination_rule(release, "web-canary")
    assert document["spec"]["host"] == "web-canary"
    policy = document["spec"]["trafficPolicy"]
    assert policy["outlierDetection"] == {"consecutive5xxErrors": 7, "baseEjectionTime": "45s",
                                          "maxEjectionPercent": 20}
    assert policy["connectionPool"] == {"http": {"http1MaxPendingRequests": 64}}  # no TCP cap asked


def test_http_route_on_a_gateway_in_the_same_namespace_omits_the_namespace(write_spec):
    spec = argo_spec("type: canary", platform="traffic: {provider: gateway-api, gateway: public}",
                     rest=GATES + "rollback: {maxFailedChecks: 1}")
    release = release_from(write_spec(spec))
    (parent,) = traffic.http_route(release, "web", "web", "web-canary")["spec"]["parentRefs"]
    assert parent == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public"}


def test_ingress_without_hosts_matches_any_host_and_sets_nginx_timeouts(write_spec):
    release = release_for(write_spec, "nginx", ", timeout: 12s")
    document = traffic.ingress(release, "web", "web")
    (rule,) = document["spec"]["rules"]
    assert "host" not in rule
    assert document["spec"]["ingressClassName"] == "nginx"
    annotations = document["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "12"
    assert annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] == "12"

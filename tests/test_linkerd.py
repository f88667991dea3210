"""Linkerd under Flagger and Argo Rollouts: traffic split through an HTTPRoute on the Service
(GAMMA), retries and timeouts and circuit breaking (failure accrual) as the annotations Linkerd's
proxies read (targets/linkerd.py), refusals located at the field, and the oracle on the output."""

from __future__ import annotations

import pytest

import argo_support
import flagger_support
import oracle_support

LINKERD = """\
traffic:
  provider: linkerd
  timeout: 5s
  retries: {attempts: 2, on: "5xx, 429", perTryTimeout: 2s}
  circuitBreaker: {consecutiveErrors: 4, ejectionTime: 90s}"""

ARGO_CANARY = "type: canary\ninterval: 30s\nsteps: [20, 40, 60, 80]"
FLAGGER_CANARY = "type: canary\nsteps: [10, 20, 30]"
ACCRUAL = {
    "balancer.linkerd.io/failure-accrual": "consecutive",
    "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "4",
    "balancer.linkerd.io/failure-accrual-consecutive-min-penalty": "1m30s",
    "balancer.linkerd.io/failure-accrual-consecutive-max-penalty": "1m30s",  # never below the minimum
}
RETRIES = {"retry.linkerd.io/http": "5xx,429", "retry.linkerd.io/limit": "2", "retry.linkerd.io/timeout": "2s"}


def linkerd_annotations(document: dict) -> dict:
    return {key: value for key, value in document["metadata"].get("annotations", {}).items() if "linkerd.io/" in key}


# ---------------------------------------------------------------------------- Argo Rollouts


def test_argo_retries_on_the_route_and_failure_accrual_on_the_service_clients_call(write_spec):
    built = argo_support.build(write_spec, argo_support.argo_spec(ARGO_CANARY, LINKERD))
    route = built.object("httproute.yaml")
    assert linkerd_annotations(route) == RETRIES
    assert route["spec"]["rules"][0]["timeouts"] == {"request": "5s"}  # the route's own field, not an annotation
    services = built.services()
    assert linkerd_annotations(services["web"]) == ACCRUAL
    assert linkerd_annotations(services["web-canary"]) == {}  # a backend, not what callers call
    assert "retry a request up to 2 times when it answers 5xx,429" in built.runbook
    assert "1m30s" in built.runbook and "ServiceProfile" in built.runbook


def test_argo_without_retry_attempts_writes_no_retry_annotations(write_spec):
    platform = "traffic: {provider: linkerd, retries: {attempts: 0}}"
    built = argo_support.build(write_spec, argo_support.argo_spec(ARGO_CANARY, platform))
    assert linkerd_annotations(built.object("httproute.yaml")) == {}
    assert "Linkerd 2.16" not in built.runbook


def test_argo_linkerd_retries_default_to_gateway_errors(write_spec):
    platform = "traffic: {provider: linkerd, retries: {attempts: 3}}"
    built = argo_support.build(write_spec, argo_support.argo_spec(ARGO_CANARY, platform))
    assert linkerd_annotations(built.object("httproute.yaml")) == {"retry.linkerd.io/http": "gateway-error",
                                                                  "retry.linkerd.io/limit": "3"}


# ---------------------------------------------------------------------------- Flagger


def test_flagger_routes_linkerd_through_an_httproute_on_the_apex_service(write_spec):
    built = flagger_support.build(write_spec, flagger_support.flagger_spec(FLAGGER_CANARY, LINKERD))
    spec = built.canary["spec"]
    assert spec["provider"] == "gatewayapi:v1"
    service = spec["service"]
    assert service["gatewayRefs"] == [{"name": "web", "namespace": "shop", "group": "core", "kind": "Service",
                                       "port": 80}]
    assert service["apex"]["annotations"] == {**ACCRUAL, **RETRIES, "timeout.linkerd.io/request": "5s"}
    # Istio's fields would be ignored (Flagger copies them into Istio objects only)
    assert not {"retries", "trafficPolicy", "timeout"} & set(service)
    # Flagger's built-in checks read Istio's metrics under its Gateway API provider: templates instead
    metrics = {metric["name"]: metric for metric in built.analysis["metrics"]}
    assert metrics["error-rate"]["templateRef"]["name"] == "web-error-rate"
    templates = {t["metadata"]["name"]: t for t in built.objects("metrictemplates.yaml")}
    assert 'response_total{direction="inbound", namespace="shop", deployment="web"' in \
        templates["web-error-rate"]["spec"]["query"]
    assert templates["web-error-rate"]["spec"]["provider"]["address"] == "http://prometheus.linkerd-viz:9090"
    assert "end a request after 5s" in built.runbook


def test_flagger_before_gateway_api_v1_uses_v1beta1(write_spec):
    platform = 'controllerVersion: "1.30"\ntraffic: {provider: linkerd}'
    built = flagger_support.build(write_spec, flagger_support.flagger_spec(FLAGGER_CANARY, platform))
    assert built.canary["spec"]["provider"] == "gatewayapi:v1beta1"
    assert "Linkerd 2.14 or newer" in built.runbook


def test_flagger_too_old_for_gateway_api_is_refused_with_the_smi_alternative(write_spec):
    text = flagger_support.flagger_spec(FLAGGER_CANARY, 'controllerVersion: "1.20"\ntraffic: {provider: linkerd}')
    (problem,) = flagger_support.problems(write_spec, text)
    assert problem[2] == "platform.traffic.provider"
    assert "needs Flagger 1.26.0" in problem[3] and "smi" in problem[4]


# ---------------------------------------------------------------------------- refusals, located


@pytest.mark.parametrize("controller", ["flagger", "argo"])
@pytest.mark.parametrize("setting, field, words", [
    ("retries: {attempts: 2, on: connect-failure}", "platform.traffic.retries.on", "connect-failure is not one"),
    ("circuitBreaker: {maxConnections: 100}", "platform.traffic.circuitBreaker.maxConnections", "no connection limit"),
    ("circuitBreaker: {maxEjectionPercent: 30}", "platform.traffic.circuitBreaker.maxEjectionPercent", "no cap"),
    ("circuitBreaker: {maxPendingRequests: 10}", "platform.traffic.circuitBreaker.maxPendingRequests",
     "no queue limit"),
])
def test_what_linkerd_cannot_do_is_a_located_error(write_spec, controller, setting, field, words):
    platform = f"traffic: {{provider: linkerd, {setting}}}"
    if controller == "flagger":
        text = flagger_support.flagger_spec(FLAGGER_CANARY, platform)
        found = [(line, col, path, message) for line, col, path, message, _fix, _name
                 in flagger_support.problems(write_spec, text)]
    else:
        text = argo_support.argo_spec(ARGO_CANARY, platform)
        found = [(line, col, path, message) for line, col, path, _name, message, _fix
                 in argo_support.diagnostics(write_spec, text)]
    assert len(found) == 1, found
    (problem,) = found
    key = field.rsplit(".", 1)[1]
    start = text.index(f"{key}:", text.index("provider: linkerd"))
    assert problem[:3] == (*flagger_support.position(text[:start] + "\0", "\0"), field)
    assert words in problem[3]


def test_providers_without_retries_still_refuse_them(write_spec):
    text = argo_support.argo_spec(ARGO_CANARY, "traffic: {provider: gateway-api, gateway: edge/web, "
                                                     "retries: {attempts: 1}}")
    found = argo_support.diagnostics(write_spec, text)
    assert len(found) == 1, found
    (problem,) = found
    assert problem[2] == "platform.traffic.retries" and "istio or linkerd" in problem[5]


# ---------------------------------------------------------------------------- the real validators


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_linkerd_outputs_pass_the_oracle(write_spec, tmp_path):
    from shipgen.pipeline import build

    specs = [write_spec(flagger_support.flagger_spec(FLAGGER_CANARY, LINKERD).replace("name: web", "name: f"),
                        "flagger.yaml"),
             write_spec(argo_support.argo_spec(ARGO_CANARY, LINKERD).replace("name: web", "name: a"),
                        "argo.yaml")]
    result = build(specs)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    out = tmp_path / "out"
    for path, content in result.files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(content)
    checked = oracle_support.oracle_check([out])
    assert checked.returncode == 0, checked.stdout + checked.stderr

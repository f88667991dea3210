"""Argo Rollouts: a spec asking for something Argo or its traffic provider cannot do gets a located
error naming the field and the alternatives, never silently different output."""

from __future__ import annotations

import pytest

from argo_support import GATES, argo_spec, diagnostics


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


AB = """
    type: ab-test
    match: [{header: {name: x-beta, exact: "yes"}}]
"""


@pytest.mark.parametrize("provider", ["kubernetes", "smi"])
def test_header_ab_test_needs_a_router_that_matches_headers(write_spec, provider):
    spec = argo_spec(AB, platform=f"traffic: {{provider: {provider}}}")
    ((line, col, path, name, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path, name) == (line_of(spec, "match:"), "strategy.match", "unsupported-by-controller")
    assert col == 3  # the `match` key
    assert f"provider {provider}" in message and "Argo Rollouts cannot do this" in message
    assert "istio, gateway-api, linkerd or nginx" in fix and "flagger" in fix


@pytest.mark.parametrize("provider", ["kubernetes", "nginx", "smi", "linkerd"])
def test_mirroring_needs_istio_or_gateway_api(write_spec, provider):
    spec = argo_spec("type: shadow", platform=f"traffic: {{provider: {provider}}}")
    ((line, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path) == (line_of(spec, "type: shadow"), "strategy.type")
    assert f"provider {provider} cannot mirror" in message
    assert "istio" in fix and "gateway-api" in fix and "flagger" in fix


def test_mirroring_through_gateway_api_warns_about_the_plugin_version(write_spec):
    spec = argo_spec("type: shadow", platform="traffic: {provider: gateway-api, gateway: gw/public}")
    assert diagnostics(write_spec, spec) == []
    (warning,) = [w for w in diagnostics(write_spec, spec, "warning") if w[3] == "needs-plugin-version"]
    assert warning[2] == "strategy.type" and "setMirrorRoute" in warning[4]


@pytest.mark.parametrize("field, text, alternatives", [
    ("circuitBreaker", "circuitBreaker: {consecutiveErrors: 3}", "use provider istio"),
    ("retries", "retries: {attempts: 2}", "use provider istio"),
])
def test_istio_only_traffic_settings_are_refused_elsewhere(write_spec, field, text, alternatives):
    spec = argo_spec("type: canary", platform=f"traffic:\n  provider: nginx\n  {text}")
    ((line, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path) == (line_of(spec, f"{field}:"), f"platform.traffic.{field}")
    assert "provider is nginx" in message and alternatives in fix


@pytest.mark.parametrize("provider", ["kubernetes", "smi"])
def test_a_timeout_needs_a_route(write_spec, provider):
    spec = argo_spec("type: canary", platform=f"traffic: {{provider: {provider}, timeout: 5s}}")
    ((line, _, path, _, _, fix),) = diagnostics(write_spec, spec)
    assert (line, path) == (line_of(spec, "timeout: 5s"), "platform.traffic.timeout")
    assert "istio, gateway-api, linkerd or nginx" in fix


def test_gateway_api_needs_a_gateway(write_spec):
    spec = argo_spec("type: canary", platform="traffic: {provider: gateway-api}")
    ((line, _, path, name, _, fix),) = diagnostics(write_spec, spec)
    assert (line, path, name) == (line_of(spec, "provider: gateway-api"), "platform.traffic.provider",
                                  "missing-gateway")
    assert "platform.traffic.gateway" in fix and "linkerd" in fix


def test_istio_match_item_with_two_conditions_is_refused(write_spec):
    spec = argo_spec("""
        type: ab-test
        match:
          - header: {name: x-beta, exact: "yes"}
            cookie: {name: beta, exact: "1"}
    """)
    ((line, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path) == (line_of(spec, "- header"), "strategy.match[0]")
    assert "alternatives, one header each" in message and "gateway-api" in fix


def test_gateway_api_alternatives_are_refused(write_spec):
    spec = argo_spec("""
        type: ab-test
        match:
          - header: {name: x-beta, exact: "yes"}
          - cookie: {name: beta, exact: "1"}
    """, platform="traffic: {provider: gateway-api, gateway: gw/public}")
    ((line, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path) == (line_of(spec, "- cookie"), "strategy.match[1]")
    assert "all must hold" in message and "istio" in fix


def test_nginx_cookie_routing_needs_the_value_always(write_spec):
    spec = argo_spec("""
        type: ab-test
        match: [{cookie: {name: beta, exact: "1"}}]
    """, platform="traffic: {provider: nginx}")
    ((_, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert path == "strategy.match[0].cookie"
    assert "exactly `always`" in message and "exact: always" in fix


def test_unreachable_failure_limit_for_iterations(write_spec):
    spec = argo_spec("""
        type: blue-green
        iterations: 2
    """, platform="traffic: {provider: kubernetes}", rest=GATES + "rollback: {maxFailedChecks: 2}")
    ((line, _, path, name, message, fix),) = diagnostics(write_spec, spec)
    assert (line, path, name) == (line_of(spec, "maxFailedChecks"), "rollback.maxFailedChecks",
                                  "unreachable-rollback")
    assert "more than 2 of its 2 checks" in message and "strategy.iterations above 2" in fix


def test_unreachable_failure_limit_for_a_short_canary(write_spec):
    spec = argo_spec("""
        type: canary
        interval: 1m
        steps: [10, 50]
    """, rest=GATES + "rollback: {maxFailedChecks: 2}")
    ((line, _, path, name, message, _),) = diagnostics(write_spec, spec)
    assert (line, path, name) == (line_of(spec, "maxFailedChecks"), "rollback.maxFailedChecks",
                                  "unreachable-rollback")
    assert "2 checks run before promotion" in message and "3 failed checks" in message
    # one more minute of canary makes the third check possible: accepted
    assert diagnostics(write_spec, spec.replace("steps: [10, 50]", "steps: [10, {weight: 50, pause: 2m}]")) == []


def test_a_step_shorter_than_the_interval_is_a_warning(write_spec):
    spec = argo_spec("""
        type: canary
        interval: 2m
        steps: [{weight: 10, pause: 30s}, {weight: 50, pause: 6m}]
    """, rest=GATES + "rollback: {maxFailedChecks: 1}")
    assert diagnostics(write_spec, spec) == []
    warnings = [w for w in diagnostics(write_spec, spec, "warning") if w[3] == "unchecked-step"]
    assert [w[2] for w in warnings] == ["strategy.steps[0]"]


def test_ports_are_needed_to_switch_services(write_spec):
    spec = argo_spec("type: blue-green", platform="traffic: {provider: kubernetes}", rest="")
    spec = spec.replace("  ports: [{name: http, port: 8080, servicePort: 80}]\n", "").replace(
        "health: {readiness: /ready, liveness: /live}", "health: {liveness: {exec: [/bin/true]}}")
    ((_, _, path, _, message, fix),) = diagnostics(write_spec, spec)
    assert path == "service" and "service.ports is empty" in message and "add service.ports" in fix

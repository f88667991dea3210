"""Flagger: what Flagger or the traffic provider cannot do is a located error (file:line:col of the
field) naming the alternatives, never silently different output (issue 3, targets-k8s.md §1.3, §7)."""

from __future__ import annotations

import pytest

from flagger_support import build, flagger_spec, position, problems

CASES = {
    "ab-test-without-a-router": (
        flagger_spec("""
            type: ab-test
            match: [{header: {name: x-beta, exact: "on"}}]
            """, platform="traffic: {provider: kubernetes}"),
        "[{header", "strategy.match", ["istio", "gateway-api", "nginx", "blue-green"]),
    "ab-test-through-smi": (
        flagger_spec("""
            type: ab-test
            match: [{cookie: {name: beta, exact: "on"}}]
            """, platform="traffic: {provider: smi}"),
        "[{cookie", "strategy.match", ["istio", "gateway-api", "nginx"]),
    "mirroring-without-a-mesh": (
        flagger_spec("type: shadow", platform="traffic: {provider: linkerd}"),
        "shadow", "strategy.type", ["istio", "gateway-api"]),
    "mirroring-through-nginx": (
        flagger_spec("type: shadow", platform="traffic: {provider: nginx, hosts: [a.example.com]}"),
        "shadow", "strategy.type", ["istio", "gateway-api"]),
    "weights-without-a-router": (
        flagger_spec("type: canary", platform="traffic: {provider: kubernetes}"),
        "canary", "strategy.type", ["istio", "linkerd", "blue-green"]),
    "step-weights-on-an-old-flagger": (
        flagger_spec("""
            type: canary
            steps: [1, 10, 50]
            """, platform="""
            controllerVersion: "1.2"
            traffic: {provider: istio}
            """),
        "[1, 10, 50]", "strategy.steps", ["stepWeight/maxWeight", "1.3.0"]),
    "a-pause-per-step": (
        flagger_spec("""
            type: canary
            steps: [{weight: 10, pause: 5m}, 50]
            """),
        "pause", "strategy.steps[0].pause", ["strategy.interval", "argo-rollouts"]),
    "an-interval-below-ten-seconds": (
        flagger_spec("""
            type: canary
            interval: 5s
            """),
        "5s", "strategy.interval", ["10s"]),
    "a-mirror-percentage-through-gateway-api": (
        flagger_spec("""
            type: shadow
            mirrorPercent: 40
            """, platform="traffic: {provider: gateway-api, gateway: infra/public}"),
        "40", "strategy.mirrorPercent", ["istio"]),
    "gateway-api-on-an-old-flagger": (
        flagger_spec("type: canary", platform="""
            controllerVersion: "1.20"
            traffic: {provider: gateway-api, gateway: infra/public}
            """),
        "gateway-api", "platform.traffic.provider", ["1.26.0", "istio"]),
    "gateway-api-without-a-gateway": (
        flagger_spec("type: canary", platform="traffic: {provider: gateway-api}"),
        "gateway-api", "platform.traffic.provider", ["platform.traffic.gateway"]),
    "nginx-without-hosts": (
        flagger_spec("type: canary", platform="traffic: {provider: nginx}"),
        "nginx", "platform.traffic.provider", ["platform.traffic.hosts"]),
    "retries-through-smi": (  # Linkerd's proxies retry (tests/test_linkerd.py); SMI has no retry setting
        flagger_spec("type: canary", platform="traffic: {provider: smi, retries: {attempts: 2}}"),
        "retries", "platform.traffic.retries", ["istio", "linkerd"]),
    "hosts-through-linkerd": (
        flagger_spec("type: canary", platform="traffic: {provider: linkerd, hosts: [a.example.com]}"),
        "hosts", "platform.traffic.hosts", ["istio", "gateway-api", "nginx"]),
    "a-tcp-connection-cap": (
        flagger_spec("type: canary", platform="traffic: {provider: istio, circuitBreaker: {maxConnections: 10}}"),
        "maxConnections", "platform.traffic.circuitBreaker.maxConnections", ["maxPendingRequests", "argo-rollouts"]),
    "nginx-cookie-values-other-than-always": (
        flagger_spec("""
            type: ab-test
            match: [{cookie: {name: beta, exact: "yes"}}]
            """, platform="traffic: {provider: nginx, hosts: [a.example.com]}"),
        "{name: beta", "strategy.match[0].cookie", ["always", "istio"]),
    "no-automatic-rollback": (
        flagger_spec("type: canary", rest="rollback: {automatic: false}"),
        "automatic", "rollback.automatic", ["rollback.automatic true", "deployment"]),
    "a-preview-size": (
        flagger_spec("""
            type: blue-green
            preview: {replicas: 1}
            """),
        "replicas: 1", "strategy.preview.replicas", ["argo-rollouts"]),
    "a-workload-reference": (
        flagger_spec("type: canary", platform="""
            workloadRef: true
            traffic: {provider: istio}
            """),
        "workloadRef", "platform.workloadRef", ["argo-rollouts"]),
    "a-load-test-through-gateway-api-without-hosts": (
        flagger_spec("""
            type: canary
            loadTest: {requestsPerSecond: 5}
            """, platform="traffic: {provider: gateway-api, gateway: infra/public}"),
        "loadTest", "strategy.loadTest", ["platform.traffic.hosts"]),
    "a-gateway-that-is-no-object-name": (
        flagger_spec("type: canary", platform="traffic: {provider: istio, gateway: Infra/Public_GW}"),
        "Infra/Public_GW", "platform.traffic.gateway", ["namespace/name"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_capability_errors_are_located_and_name_the_alternatives(write_spec, case):
    text, needle, field, alternatives = CASES[case]
    found = [problem for problem in problems(write_spec, text) if problem[2] == field]
    assert found, problems(write_spec, text)
    line, col, _, message, fix, name = found[0]
    assert (line, col) == position(text, needle, occurrence=_occurrence(text, needle, field))
    assert name == "unsupported-by-controller"
    for alternative in alternatives:
        assert alternative in message + " " + fix, (alternative, message, fix)


def _occurrence(text: str, needle: str, field: str) -> int:
    """The needle's occurrence that is the field (the strategy's `canary` comes after `controller: flagger`)."""
    start = text.index(field.split(".")[0] + ":")
    return text.count(needle, 0, start) + 1


def test_the_cli_prints_file_line_col(write_spec, run_shipgen):
    text = CASES["ab-test-without-a-router"][0]
    path = write_spec(text)
    result = run_shipgen("validate", path)
    line, col = position(text, "[{header")
    assert result.exit_code == 2
    assert f"specs/release.yaml:{line}:{col}: error[SG004] unsupported-by-controller:" in result.output


def test_equal_steps_build_on_an_old_flagger(write_spec):
    text = flagger_spec("""
        type: canary
        steps: [10, 20, 30]
        """, platform="""
        controllerVersion: "1.2"
        traffic: {provider: istio}
        """)
    analysis = build(write_spec, text).analysis
    assert (analysis["stepWeight"], analysis["maxWeight"]) == (10, 30)


@pytest.mark.parametrize("provider, strategy, allowed", [
    ("istio", "ab-test", True), ("gateway-api", "ab-test", True), ("nginx", "ab-test", True),
    ("linkerd", "ab-test", False), ("smi", "ab-test", False), ("kubernetes", "ab-test", False),
    ("istio", "shadow", True), ("gateway-api", "shadow", True), ("linkerd", "shadow", False),
    ("smi", "shadow", False), ("nginx", "shadow", False), ("kubernetes", "shadow", False),
    ("kubernetes", "blue-green", True), ("linkerd", "blue-green", True), ("kubernetes", "canary", False),
    ("smi", "canary", True),
])
def test_strategy_and_provider_matrix(write_spec, provider, strategy, allowed):
    traffic = {"gateway-api": "{provider: gateway-api, gateway: infra/public}",
               "nginx": "{provider: nginx, hosts: [a.example.com]}"}.get(provider, f"{{provider: {provider}}}")
    body = f"type: {strategy}"
    if strategy == "ab-test":
        body += "\nmatch: [{header: {name: x-beta, exact: \"on\"}}]"
    text = flagger_spec(body, platform=f"traffic: {traffic}")
    errors = [problem for problem in problems(write_spec, text) if problem[5] == "unsupported-by-controller"]
    assert (errors == []) is allowed, errors

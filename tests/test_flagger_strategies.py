"""Flagger: every emitted number follows from the spec, per strategy, and the runbook shows the
same numbers (targets-k8s.md §1.3, §1.7, §5)."""

from __future__ import annotations

import math

import pytest

from flagger_support import build, flagger_spec


def _minutes_or_seconds(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _human(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return " ".join(part for part in (f"{minutes} min" if minutes else "", f"{rest} s" if rest else "") if part)


@pytest.mark.parametrize("steps, interval, failures, linear", [
    ([5, 25, 50], 60, 2, False),
    ([10, 20, 30, 40], 90, 0, True),
    ([1, 10, 50], 30, 5, False),
    ([20], 45, 1, True),
])
def test_canary_weights_interval_threshold_and_runbook(write_spec, steps, interval, failures, linear):
    text = flagger_spec(f"""
        type: canary
        steps: {steps}
        interval: {interval}s
        """, rest=f"rollback: {{maxFailedChecks: {failures}}}")
    built = build(write_spec, text)
    analysis = built.analysis
    assert analysis["interval"] == _minutes_or_seconds(interval)
    # the spec tolerates `failures` failed checks and rolls back on the next; Flagger rolls back
    # once its cumulative count reaches `threshold`
    assert analysis["threshold"] == failures + 1
    if linear:  # equal steps: stepWeight/maxWeight, ending exactly on the last weight (no overshoot)
        assert (analysis["stepWeight"], analysis["maxWeight"]) == (steps[0], steps[-1])
        assert "stepWeights" not in analysis
        weights = list(range(analysis["stepWeight"], analysis["maxWeight"] + 1, analysis["stepWeight"]))
    else:
        assert analysis["stepWeights"] == steps and "stepWeight" not in analysis and "maxWeight" not in analysis
        weights = analysis["stepWeights"]
    assert weights == steps
    assert "iterations" not in analysis and "stepWeightPromotion" not in analysis  # no autoscaler
    runbook = built.runbook
    assert " → ".join(f"{weight}%" for weight in steps) + f", one step every {_human(interval)}" in runbook
    # targets-k8s.md §1.7: the canary is ready at tick 1, which also sets the first weight; each passing
    # tick moves on, and the tick after the last weight promotes; the primary is ready one tick later,
    # and the next tick finalises: 1 + len(steps) + 1 + 1 (the worked example there: 3 weights, 6 ticks)
    ticks = 1 + len(steps) + 1 + 1
    assert f"A healthy run takes {_human(ticks * interval)} from the tick that notices the apply" in runbook
    assert f"rolls back when the failed checks reach {failures + 1}" in runbook
    assert f"rollback.maxFailedChecks {failures} tolerated, Canary threshold {failures + 1}" in runbook
    # the rollback comes one tick after the failure that reaches the threshold
    assert f"at the earliest {_human((failures + 1) * interval)} after the first failed check" in runbook
    assert f"Failed checks tolerated before rolling back: {failures}." in runbook or failures == 0


def test_canary_builtin_gates_and_promotion_steps_with_an_autoscaler(write_spec):
    text = flagger_spec("""
        type: canary
        steps: [5, 25, 50]
        interval: 1m
        """).replace("replicas: 3", "replicas: 3\n  autoscaling: {maxReplicas: 9}")
    built = build(write_spec, text)
    analysis = built.analysis
    # largest single step the canary took: 5, +20, +25 -> traffic returns 25% per tick
    assert analysis["stepWeightPromotion"] == 25
    assert built.canary["spec"]["autoscalerRef"] == {"apiVersion": "autoscaling/v2",
                                                     "kind": "HorizontalPodAutoscaler", "name": "web"}
    hpa = built.object("horizontalpodautoscaler.yaml")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "web" and hpa["spec"]["maxReplicas"] == 9
    (success, duration) = analysis["metrics"]
    # error rate at most 0.01 (a ratio) -> success rate at least (1 - 0.01) * 100 = 99 percent
    assert success == {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "2m"}
    assert duration == {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "1m"}
    runbook = built.runbook
    assert "traffic returns to the primary 25% per 1 min" in runbook
    ticks = 1 + 3 + math.ceil(50 / 25) + 1  # ready, weights, traffic back in steps of 25 (one a tick), finalise
    assert f"A healthy run takes {ticks} min from the tick that notices the apply" in runbook
    assert "error rate at most 0.01 → Flagger request-success-rate at least 99% over 2 min" in runbook


@pytest.mark.parametrize("error_rate, success_rate", [(0.001, 99.9), (0.05, 95), (0.0025, 99.75), (0, 100)])
def test_error_rate_becomes_an_exact_success_rate(write_spec, error_rate, success_rate):
    text = flagger_spec("type: canary").replace("max: 0.01", f"max: {error_rate}")
    metric = build(write_spec, text).analysis["metrics"][0]
    assert metric["thresholdRange"] == {"min": success_rate}
    assert repr(metric["thresholdRange"]["min"]) == repr(success_rate)  # 99.9, not 99.90000000000001


def test_blue_green_iterations_threshold_and_no_router(write_spec):
    text = flagger_spec("""
        type: blue-green
        interval: 30s
        iterations: 7
        """, platform="traffic: {provider: kubernetes}", rest="rollback: {maxFailedChecks: 3}")
    built = build(write_spec, text)
    spec = built.canary["spec"]
    assert spec["provider"] == "kubernetes"
    analysis = built.analysis
    assert (analysis["interval"], analysis["threshold"], analysis["iterations"]) == ("30s", 4, 7)
    assert not {"stepWeight", "stepWeights", "maxWeight", "match", "mirror"} & analysis.keys()
    # without a router the built-in metrics are not the spec's: both gates are templates on the canary Service
    templates = {template["metadata"]["name"]: template for template in built.objects("metrictemplates.yaml")}
    assert set(templates) == {"web-error-rate", "web-latency-p99"}
    assert 'service="web-canary"' in templates["web-error-rate"]["spec"]["query"]
    assert [metric["thresholdRange"] for metric in analysis["metrics"]] == [{"max": 0.01}, {"max": 500}]
    runbook = built.runbook
    ticks = 1 + 7 + 1 + 1 + 1  # ready (the pre-rollout tick is iteration 1), 7 iterations, all traffic, promote, finalise
    assert "during 7 checks, one every 30 s" in runbook
    assert f"A healthy run takes {_human(ticks * 30)} from the tick that notices the apply" in runbook
    assert "rolls back when the failed checks reach 4" in runbook and "at the earliest 2 min after the first failed" in runbook
    assert "no traffic percentages" in runbook


def test_ab_test_match_headers_and_cookies(write_spec):
    text = flagger_spec("""
        type: ab-test
        interval: 2m
        iterations: 12
        match:
          - cookie: {name: beta, exact: "yes"}
          - header: {name: X-Canary, regex: "^on$"}
            cookie: {name: group, regex: "a|b"}
        """)
    built = build(write_spec, text)
    analysis = built.analysis
    assert (analysis["interval"], analysis["iterations"], analysis["threshold"]) == ("2m", 12, 3)
    assert analysis["match"] == [
        {"headers": {"cookie": {"regex": r"^(.*?;\s*)?(beta=yes)(;.*)?$"}}},
        {"headers": {"x-canary": {"regex": "^on$"}, "cookie": {"regex": r"^(.*?;\s*)?(group=(?:a|b))(;.*)?$"}}},
    ]
    ticks = 1 + 12 + 1 + 1  # ready (iteration 1), 12 iterations ending in promotion, primary ready, finalise
    runbook = built.runbook
    assert "for 12 checks, one every 2 min" in runbook
    assert f"A healthy run takes {_human(ticks * 120)} from the tick that notices the apply" in runbook


@pytest.mark.parametrize("cookie, header, matches", [
    ("beta=yes", "", True), ("a=1; beta=yes; b=2", "", True), ("a=1;beta=yes", "", True),
    ("beta=yess", "", False), ("xbeta=yes", "", False), ("", "", False),
])
def test_cookie_regex_matches_one_cookie_in_the_header(write_spec, cookie, header, matches):
    import re

    text = flagger_spec("""
        type: ab-test
        match: [{cookie: {name: beta, exact: "yes"}}]
        """)
    pattern = build(write_spec, text).analysis["match"][0]["headers"]["cookie"]["regex"]
    assert bool(re.fullmatch(pattern, cookie)) is matches  # Envoy matches the whole header value


def test_shadow_mirrors_a_percentage_then_switches(write_spec):
    text = flagger_spec("""
        type: shadow
        interval: 1m
        iterations: 5
        mirrorPercent: 30
        """, rest="rollback: {maxFailedChecks: 0}")
    built = build(write_spec, text)
    analysis = built.analysis
    assert (analysis["iterations"], analysis["mirror"], analysis["mirrorWeight"], analysis["threshold"]) == (5, True,
                                                                                                           30, 1)
    runbook = built.runbook
    assert "a copy of live traffic (30% of requests) during 5 checks" in runbook
    ticks = 1 + 5 + 1 + 1 + 1  # as blue/green: one more check with all traffic, then promotion
    assert f"A healthy run takes {ticks} min from the tick that notices the apply" in runbook
    assert "rolls back when the failed checks reach 1" in runbook and "at the earliest 1 min after the first failed" in runbook


def test_shadow_through_gateway_api_mirrors_everything(write_spec):
    text = flagger_spec("type: shadow", platform="traffic: {provider: gateway-api, gateway: infra/public}")
    analysis = build(write_spec, text).analysis
    assert analysis["mirror"] is True and "mirrorWeight" not in analysis


def test_canary_through_gateway_api(write_spec):
    text = flagger_spec("""
        type: canary
        steps: [10, 20, 30]
        interval: 2m
        loadTest: {requestsPerSecond: 30, path: /search}
        """, platform="""
        controllerVersion: "1.30"
        traffic: {provider: gateway-api, gateway: infra/public, hosts: [web.example.com], timeout: 15s}
        """)
    built = build(write_spec, text)
    spec = built.canary["spec"]
    assert spec["provider"] == "gatewayapi:v1beta1"  # Flagger 1.30 predates gatewayapi:v1 (1.35)
    assert spec["service"]["gatewayRefs"] == [{"name": "public", "namespace": "infra"}]
    assert spec["service"]["hosts"] == ["web.example.com"] and spec["service"]["timeout"] == "15s"
    assert (built.analysis["stepWeight"], built.analysis["maxWeight"]) == (10, 30)
    # Envoy statistics see only routed requests: the load test goes through the host, 30 req/s in all
    load = built.webhook("rollout")
    assert load["metadata"]["cmd"] == "hey -z 2m -q 3 -c 10 http://web.example.com/search"
    assert load["timeout"] == "5s"
    assert "30 requests/s on /search" in built.runbook


def test_istio_service_routing_from_the_spec(write_spec):
    text = flagger_spec("type: canary", platform="""
        traffic:
          provider: istio
          hosts: [web.example.com]
          gateway: istio-system/public
          timeout: 20s
          retries: {attempts: 3, perTryTimeout: 2s, on: "5xx"}
          circuitBreaker: {consecutiveErrors: 7, ejectionTime: 1m, maxEjectionPercent: 20, maxPendingRequests: 64}
        """)
    service = build(write_spec, text).canary["spec"]["service"]
    assert service["port"] == 80 and service["targetPort"] == "http" and service["portName"] == "http"
    assert service["gateways"] == ["istio-system/public", "mesh"]  # in-mesh callers keep being routed
    assert service["hosts"] == ["web.example.com"]
    assert service["timeout"] == "20s"
    assert service["retries"] == {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"}
    assert service["trafficPolicy"] == {
        "connectionPool": {"http": {"http1MaxPendingRequests": 64}},
        "outlierDetection": {"consecutive5xxErrors": 7, "baseEjectionTime": "1m", "maxEjectionPercent": 20}}


def test_nginx_emits_the_ingress_flagger_clones(write_spec):
    text = flagger_spec("type: canary", platform="traffic: {provider: nginx, hosts: [web.example.com], timeout: 25s}")
    built = build(write_spec, text)
    assert built.canary["spec"]["ingressRef"] == {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                                  "name": "web"}
    ingress = built.object("ingress.yaml")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "web.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "web", "port": {"number": 80}}}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "25"


def test_progress_deadline_and_interval_of_an_hour(write_spec):
    text = flagger_spec("""
        type: blue-green
        interval: 1h
        """, platform="traffic: {provider: kubernetes}")
    built = build(write_spec, text)
    assert built.analysis["interval"] == "60m"  # Flagger's pattern takes minutes or seconds only
    deployment = built.object("deployment.yaml")
    assert built.canary["spec"]["progressDeadlineSeconds"] == deployment["spec"]["progressDeadlineSeconds"]


def test_notifications_become_alert_providers_and_a_post_rollout_hook(write_spec):
    text = flagger_spec("type: canary", rest="""
        notify: {slack: "#web-deploys", msteams: web-team, webhook: "https://hooks.example.com/x"}
        """)
    built = build(write_spec, text)
    providers = {provider["metadata"]["name"]: provider["spec"] for provider in built.objects("alertproviders.yaml")}
    assert providers == {
        "web-slack": {"type": "slack", "channel": "web-deploys", "username": "flagger",
                      "secretRef": {"name": "web-slack"}},
        "web-msteams": {"type": "msteams", "secretRef": {"name": "web-msteams"}}}
    assert built.analysis["alerts"] == [
        {"name": "slack", "severity": "info", "providerRef": {"name": "web-slack", "namespace": "shop"}},
        {"name": "msteams", "severity": "info", "providerRef": {"name": "web-msteams", "namespace": "shop"}}]
    assert built.webhook("post-rollout", "notify")["url"] == "https://hooks.example.com/x"
    assert "create secret generic web-slack" in built.runbook


def test_smoke_tests_are_pre_rollout_hooks_on_the_canary(write_spec):
    text = flagger_spec("type: canary", rest="""
        smoke:
          - {name: home, http: {path: /, method: HEAD, expect: 204}, timeout: 12s}
        """)
    built = build(write_spec, text)
    hook = built.webhook("pre-rollout", "smoke-home")
    assert hook["timeout"] == "17s" and hook["url"] == "http://flagger-loadtester.shop/"  # the test's 12 s + 5 s
    assert "--max-time 12 --request HEAD http://web-canary.shop:80/" in hook["metadata"]["cmd"]
    assert '[ "$code" = 204 ]' in hook["metadata"]["cmd"]
    assert "http://web-canary.shop.svc.cluster.local:80/" in built.runbook  # the runbook reaches the new version


def test_hook_timeouts_use_minutes_or_seconds(write_spec):
    text = flagger_spec("type: canary", rest="""
        smoke:
          - {name: long, command: [./long-test], timeout: 59m55s}
        """)
    # 59m55s + the hook's 5 s margin: whole minutes are written as such; the CRD rejects "1h"
    assert build(write_spec, text).webhook("pre-rollout", "smoke-long")["timeout"] == "60m"


def test_gates_outside_rollback_on_are_left_out_with_a_warning(write_spec):
    from shipgen.pipeline import check_specs

    text = flagger_spec("type: canary", rest="rollback: {on: [error-rate]}")
    path = write_spec(text)
    warnings = [d for d in check_specs([path]).diagnostics if d.severity == "warning"]
    assert any("latency-p99" in d.message and d.spec_path == ("rollback", "on") for d in warnings)
    names = [metric["name"] for metric in build(write_spec, text).analysis["metrics"]]
    assert names == ["request-success-rate"]

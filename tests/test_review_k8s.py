"""Semantic review of the Flagger and Argo Rollouts targets: what the schema oracle cannot see.

Each test pins one behaviour of a controller or traffic provider that the generated objects must
match (targets-k8s.md §1, §2, §5, §7), checked against how the upstream projects really behave:
ingress-nginx's metric labels for canary traffic, Flagger's NGINX router and built-in metrics,
Argo Rollouts' basic-canary replica maths and progress deadline, Istio's telemetry for requests
from outside the mesh.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

import argo_support
import flagger_support
from conftest import release_from
from shipgen.queries import gate_query
import tools_support


# ---------------------------------------------------------------------------- ingress-nginx canary metrics

# ingress-nginx merges a canary Ingress into the stable Ingress's location: a request the canary
# Ingress diverted keeps the stable `ingress` and `service` labels, and only the `canary` label
# (the upstream `<namespace>-<service>-<port>`) tells it apart (kubernetes/ingress-nginx#7696,
# monitor.lua). Stable requests carry an empty `canary` label.
NGINX_SERIES = """\
- series: 'nginx_ingress_controller_requests{namespace="shop", ingress="web", service="web", canary="", status="200"}'
  values: '0+600x10'
- series: 'nginx_ingress_controller_requests{namespace="shop", ingress="web", service="web", canary="", status="503"}'
  values: '0+0x10'
- series: 'nginx_ingress_controller_requests{namespace="shop", ingress="web", service="web", canary="shop-web-canary-80", status="200"}'
  values: '0+90x10'
- series: 'nginx_ingress_controller_requests{namespace="shop", ingress="web", service="web", canary="shop-web-canary-80", status="500"}'
  values: '0+10x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="shop-web-canary-80", le="0.1"}'
  values: '0+0x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="shop-web-canary-80", le="1"}'
  values: '0+100x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="shop-web-canary-80", le="+Inf"}'
  values: '0+100x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="", le="0.1"}'
  values: '0+600x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="", le="1"}'
  values: '0+600x10'
- series: 'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop", ingress="web", service="web", canary="", le="+Inf"}'
  values: '0+600x10'
"""


def nginx_release(write_spec):
    spec = argo_support.argo_spec("type: canary", platform="traffic: {provider: nginx, hosts: [web.example.com]}",
                                  rest=argo_support.GATES + "rollback: {maxFailedChecks: 1}")
    return release_from(write_spec(spec))


@pytest.mark.skipif(tools_support.absent("promtool"), reason="promtool is not installed")
@pytest.mark.parametrize("service, error_rate, p99_ms", [
    ("web-canary", 0.1, 991),  # the canary's share: 10 of 100 requests failed, all between 0.1 s and 1 s
    ("web", 0, 99),  # the stable share: no errors, all under 0.1 s; the canary's requests are not in it
])
def test_nginx_queries_judge_the_requests_the_named_service_answered(write_spec, tmp_path, service, error_rate,
                                                                     p99_ms):
    release = nginx_release(write_spec)
    queries = {name: gate_query(release, release.gate(name), service=service)
               for name in ("error-rate", "latency-p99")}
    expected = {"error-rate": error_rate, "latency-p99": p99_ms}
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": [
        {"record": f"q:{name.replace('-', '_')}", "expr": query} for name, query in queries.items()]}]}))
    tests = tmp_path / "test.yml"
    # 1 when the query has one value within 1e-9 of the expected one; no data gives no sample
    promql_tests = [{"expr": f"abs(q:{name.replace('-', '_')} - {value}) < bool 1e-9", "eval_time": "5m",
                     "exp_samples": [{"labels": "{}", "value": 1}]}
                    for name, value in expected.items()]
    tests.write_text(yaml.safe_dump({"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [
        {"interval": "1m", "input_series": yaml.safe_load(NGINX_SERIES), "promql_expr_test": promql_tests}]},
        sort_keys=False))
    result = subprocess.run(["promtool", "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_argo_nginx_gate_reads_the_canary_upstream_label(write_spec):
    spec = argo_support.argo_spec("type: canary", platform="traffic: {provider: nginx, hosts: [web.example.com]}",
                                  rest=argo_support.GATES + "rollback: {maxFailedChecks: 1}")
    built = argo_support.build(write_spec, spec)
    query = built.metric("web-error-rate")["provider"]["prometheus"]["query"]
    # the args value is substituted by Argo into the upstream name of the canary Ingress's backend
    assert 'canary="shop-{{args.service}}-80"' in query
    assert 'service="{{args.service}}", canary=~"-?"' in query


# ---------------------------------------------------------------------------- Flagger and NGINX


def test_flagger_nginx_p99_gate_is_not_the_builtin_mean_latency(write_spec):
    """Flagger's NGINX `request-duration` is the mean response time (sum/count of
    nginx_ingress_controller_response_duration_seconds, fluxcd/flagger#1686), not a p99: a p99
    gate needs its own MetricTemplate."""
    spec = flagger_support.flagger_spec("type: canary", platform="traffic: {provider: nginx, hosts: [web.example.com]}")
    built = flagger_support.build(write_spec, spec)
    metrics = {metric["name"]: metric for metric in built.analysis["metrics"]}
    assert "request-duration" not in metrics
    assert metrics["request-success-rate"]["thresholdRange"] == {"min": 99}  # the success rate built-in is exact
    assert metrics["latency-p99"]["templateRef"] == {"name": "web-latency-p99", "namespace": "shop"}
    assert metrics["latency-p99"]["thresholdRange"] == {"max": 500}
    (template,) = built.objects("metrictemplates.yaml")
    assert template["spec"]["query"].startswith("histogram_quantile(0.99, ")
    assert 'canary="shop-web-canary-80"' in template["spec"]["query"]
    assert "latency-p99 (at most 500 ms over 1 min, MetricTemplate web-latency-p99)" in built.runbook


def test_flagger_nginx_cookie_match_names_the_cookie(write_spec):
    """Flagger's NGINX router turns `headers.cookie.exact` into canary-by-cookie: the value is the
    cookie's NAME (ingress-nginx routes when that cookie is `always`); a regex is ignored."""
    spec = flagger_support.flagger_spec("""
        type: ab-test
        interval: 1m
        iterations: 5
        match:
          - cookie: {name: canary, exact: always}
    """, platform="traffic: {provider: nginx, hosts: [web.example.com]}")
    built = flagger_support.build(write_spec, spec)
    assert built.analysis["match"] == [{"headers": {"cookie": {"exact": "canary"}}}]


# ---------------------------------------------------------------------------- Flagger A/B cookie regex


def test_flagger_cookie_regex_embeds_an_anchored_user_regex(write_spec):
    """An anchored value regex (`^...$`, as users write RE2 full matches) must still match the
    cookie inside the whole Cookie header."""
    spec = flagger_support.flagger_spec(r"""
        type: ab-test
        interval: 1m
        iterations: 5
        match:
          - cookie: {name: group, regex: "^(beta|alpha)$"}
    """)
    built = flagger_support.build(write_spec, spec)
    regex = built.analysis["match"][0]["headers"]["cookie"]["regex"]
    for header in ("group=beta", "a=1; group=alpha", "a=1; group=beta; b=2"):
        assert re.fullmatch(regex, header), (regex, header)
    for header in ("group=gamma", "a=1; xgroup=beta", "group=betamax"):
        assert not re.fullmatch(regex, header), (regex, header)


# ---------------------------------------------------------------------------- Flagger blue/green without a router


def test_flagger_kubernetes_blue_green_runbook_does_not_promise_a_traffic_switch(write_spec):
    """With provider kubernetes Flagger has no router: the extra tick after the iterations routes
    nothing (targets-k8s.md §1.7), users reach the new version only at promotion."""
    spec = flagger_support.flagger_spec("""
        type: blue-green
        interval: 1m
        iterations: 4
    """, platform="traffic: {provider: kubernetes}")
    built = flagger_support.build(write_spec, spec)
    assert "all traffic switches to it for one more check" not in built.runbook
    assert "during 4 checks, one every 1 min; then one more check, and it is promoted" in built.runbook


# ---------------------------------------------------------------------------- Argo basic canary replicas


@pytest.mark.parametrize("replicas, weight, max_surge, expected", [
    # (canary, stable) from Argo's approximateWeightedCanaryStableReplicaCounts
    (4, 10, 1, (1, 4)),  # 1 of 5 (20%) beats 1 of 4 (25%): the surge pod is used
    (4, 30, 1, (1, 3)),
    (4, 50, 1, (2, 2)),
    (3, 10, 1, (1, 3)),
    (3, 50, 1, (2, 2)),  # 2 of 4 is exactly 50%
    (3, 50, 0, (2, 1)),  # no surge: the tie 1.5 rounds up
    (10, 10, 1, (1, 9)),
    (4, 99, 1, (4, 1)),
    (4, 99, 0, (3, 1)),
    (1, 50, 0, (1, 0)),
])
def test_basic_canary_pods_follow_argo(replicas, weight, max_surge, expected):
    from shipgen.targets.argo.rollout import basic_canary_pods

    assert basic_canary_pods(replicas, weight, max_surge) == expected


def test_replica_canary_runbook_shows_argo_pod_counts(write_spec):
    spec = argo_support.argo_spec("""
        type: canary
        interval: 1m
        steps: [10, 30, 50]
        maxSurge: 1
        maxUnavailable: 0
    """, platform="traffic: {provider: kubernetes}", rest=argo_support.GATES + "rollback: {maxFailedChecks: 1}\n",
        replicas=4)
    runbook = argo_support.build(write_spec, spec).runbook
    assert "10% -> 1 new and 4 old pods (20% of requests)" in runbook
    assert "30% -> 1 new and 3 old pods (25% of requests)" in runbook
    assert "50% -> 2 new and 2 old pods (50% of requests)" in runbook


# ---------------------------------------------------------------------------- Argo blue-green progress deadline


def test_blue_green_progress_deadline_outlasts_the_pre_promotion_analysis(write_spec):
    """A blue-green Rollout makes no progress while its prePromotionAnalysis runs (only replica
    counts and selectors count, and only canary steps are exempt: isIndefiniteStep), so a deadline
    shorter than the approval wait marks it Degraded and, with progressDeadlineAbort, aborts it
    before the approval's own timeout."""
    spec = argo_support.argo_spec("""
        type: blue-green
        interval: 1m
        iterations: 5
        approval: {before: promotion, timeout: 30m, onTimeout: promote}
    """, platform="traffic: {provider: kubernetes}", rest=argo_support.GATES + "rollback: {maxFailedChecks: 1}\n")
    built = argo_support.build(write_spec, spec)
    deadline = built.rollout["spec"]["progressDeadlineSeconds"]
    job = built.metric("web-approval")["provider"]["job"]
    assert deadline > job["spec"]["activeDeadlineSeconds"] >= 30 * 60
    assert built.rollout["spec"]["progressDeadlineAbort"] is True


# ---------------------------------------------------------------------------- Argo, Istio and direct requests


def test_argo_istio_blue_green_does_not_gate_the_preview_on_unseen_load(write_spec):
    """Istio (>= 1.11, host-header fallback off) labels a request from outside the mesh -- the
    sidecar-less load-test Job -- with the pod's canonical service, not the preview Service it
    called: gates on `<name>-preview` would see no data and abort every release."""
    spec = argo_support.argo_spec("""
        type: blue-green
        interval: 1m
        iterations: 5
        loadTest: {requestsPerSecond: 10, path: /}
    """, platform="traffic: {provider: istio}", rest=argo_support.GATES + "rollback: {maxFailedChecks: 1}\n")
    built = argo_support.build(write_spec, spec)
    strategy = built.rollout["spec"]["strategy"]["blueGreen"]
    pre = [template["templateName"] for template in strategy.get("prePromotionAnalysis", {}).get("templates", [])]
    assert "web-error-rate" not in pre and "web-latency-p99" not in pre
    post = [template["templateName"] for template in strategy["postPromotionAnalysis"]["templates"]]
    assert post == ["web-error-rate", "web-latency-p99"]
    warnings = argo_support.diagnostics(write_spec, spec, severity="warning")
    assert any("loadTest" in str(warning) for warning in warnings), warnings


# ---------------------------------------------------------------------------- Flagger blue/green through a router


@pytest.mark.parametrize("traffic", ["{provider: gateway-api, gateway: infra/public, hosts: [web.example.com]}",
                                     "{provider: nginx, hosts: [web.example.com]}"])
def test_flagger_blue_green_refuses_router_metrics_that_never_see_the_new_version(write_spec, traffic):
    """Flagger's blue/green routes no request to the new version through the router before
    promotion (no mirror), and NGINX / Gateway API metrics count only routed requests: a built-in
    gate would never have data, fail every tick and roll every release back."""
    text = flagger_support.flagger_spec("""
        type: blue-green
        interval: 1m
        iterations: 5
    """, platform=f"traffic: {traffic}")
    errors = [problem for problem in flagger_support.problems(write_spec, text)
              if problem[5] == "unsupported-by-controller"]
    assert [error[2] for error in errors] == ["gates[0]", "gates[1]"], errors
    assert all("never" in error[3] and "query" in error[4] for error in errors), errors
    # a gate with its own query (the application's metrics, which see the load test) is fine
    own = text.replace("{name: latency-p99, metric: latency, max: 500, window: 1m}",
                       "{name: latency-p99, query: 'app_latency_p99{svc=\"{{service}}\"}', max: 500, window: 1m}")
    errors = [problem for problem in flagger_support.problems(write_spec, own)
              if problem[5] == "unsupported-by-controller"]
    assert [error[2] for error in errors] == ["gates[0]"], errors
    # ... and the load test reaches the new version directly, not through a router that sends it nothing
    loaded = own.replace("{name: error-rate, metric: error-rate, max: 0.01, window: 2m}",
                         "{name: error-rate, query: 'app_errors{svc=\"{{service}}\"}', max: 0.01, window: 2m}")
    loaded = loaded.replace("iterations: 5", "iterations: 5\n  loadTest: {requestsPerSecond: 10, path: /}")
    hook = flagger_support.build(write_spec, loaded).webhook("rollout", "load-test")
    assert hook["metadata"]["cmd"].endswith(" http://web-canary.shop:80/")

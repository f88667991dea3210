"""Argo Rollouts: one test per strategy, asserting that every emitted number follows from the
spec (weights, pauses, intervals, failureLimit, counts, scale-down delays, timeouts) and that the
runbook states the same numbers."""

from __future__ import annotations

import re

from argo_support import GATES, argo_spec, build, step_kinds

# ---------------------------------------------------------------------------- canary with a router

CANARY_WEIGHTS = (3, 20, 60)
CANARY_PAUSES_S = (90, 240, 90)  # the second step overrides the interval
CANARY = argo_spec("""
    type: canary
    interval: 90s
    steps: [3, {weight: 20, pause: 4m}, 60]
    maxSurge: 2
    maxUnavailable: 1
""", platform="traffic: {provider: istio, timeout: 7s, retries: {attempts: 3, perTryTimeout: 2s, on: 5xx}}",
    rest=GATES + "rollback: {maxFailedChecks: 3}\n")


def test_canary_steps_weights_and_pauses_follow_the_spec(write_spec):
    built = build(write_spec, CANARY)
    steps = built.steps
    assert [step["setWeight"] for step in steps if "setWeight" in step] == list(CANARY_WEIGHTS)
    assert [step["pause"]["duration"] for step in steps if "pause" in step] == ["1m30s", "4m", "1m30s"]
    # each weight is followed by its own pause: weight, pause, weight, pause, ...
    assert step_kinds(steps) == ["setWeight", "pause"] * len(CANARY_WEIGHTS)
    canary = built.canary
    assert (canary["maxSurge"], canary["maxUnavailable"]) == (2, 1)
    assert canary["scaleDownDelaySeconds"] == 30 and canary["abortScaleDownDelaySeconds"] == 30
    assert canary["canaryService"] == "web-canary" and canary["stableService"] == "web"
    assert canary["trafficRouting"]["istio"]["virtualService"] == {"name": "web", "routes": ["primary"]}


def test_canary_background_analysis_counts_failures_across_the_whole_update(write_spec):
    built = build(write_spec, CANARY)
    analysis = built.canary["analysis"]
    assert [t["templateName"] for t in analysis["templates"]] == ["web-error-rate", "web-latency-p99"]
    # it starts once the first weight is set: the step after the first setWeight
    first_weight = step_kinds(built.steps).index("setWeight")
    assert analysis["startingStep"] == first_weight + 1
    assert analysis["args"] == [{"name": "service", "value": "web-canary"}]
    for gate in ("error-rate", "latency-p99"):
        metric = built.metric(f"web-{gate}")
        assert metric["interval"] == "1m30s" and metric["initialDelay"] == "1m30s"
        assert "count" not in metric  # runs until promotion terminates it
        assert metric["failureLimit"] == 3  # rollback.maxFailedChecks: the 4th failure aborts
        assert metric["consecutiveErrorLimit"] == 4
    assert built.metric("web-error-rate")["successCondition"] == \
        "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.01"
    assert built.metric("web-latency-p99")["successCondition"].endswith("result[0] <= 500")
    assert "[2m]" in built.metric("web-error-rate")["provider"]["prometheus"]["query"]  # the gate's window
    assert "[1m]" in built.metric("web-latency-p99")["provider"]["prometheus"]["query"]


def test_canary_traffic_object_carries_the_spec_timeouts_and_retries(write_spec):
    vs = build(write_spec, CANARY).object("virtualservice.yaml")
    (route,) = vs["spec"]["http"]
    assert route["name"] == "primary"
    assert [(r["destination"]["host"], r["weight"]) for r in route["route"]] == [("web", 100), ("web-canary", 0)]
    assert {r["destination"]["port"]["number"] for r in route["route"]} == {80}
    assert route["timeout"] == "7s"
    assert route["retries"] == {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"}


def test_canary_runbook_states_the_same_numbers(write_spec):
    runbook = build(write_spec, CANARY).runbook
    # 3 replicas, minReadySeconds 10: 3% once its pod is ready (10 s), for its 1 min 30 s pause; 20%
    # (still 1 pod) for 4 min plus the 10 s the second pod of 60% takes; 60% for 1 min 30 s plus the
    # promotion's scale-up; 100% at 10 + 90 + 250 + 100 = 450 s
    assert ("3% from 10 s for 1 min 30 s, 20% for 4 min 10 s, 60% for 1 min 40 s, then 100% at 7 min 30 s "
            "(pod start-up not counted)") in runbook
    assert "fails 4 checks (failureLimit 3: more than 3 failed" in runbook
    assert "one check every 1 min 30 s" in runbook
    assert "the update is aborted 4 min 30 s after the first failed check" in runbook  # 3 more checks, 90 s apart
    assert "scaled down 30 s later" in runbook
    assert "errors 5 times in a row (consecutiveErrorLimit 4" in runbook
    assert "Failed checks tolerated before rolling back: 3." in runbook
    assert "skips the steps and the analysis" in runbook  # the first deploy
    assert "Inconclusive" in runbook
    for command in ("kubectl argo rollouts get rollout web -n shop --watch", "kubectl argo rollouts abort web -n shop",
                    "kubectl argo rollouts undo web -n shop", "kubectl argo rollouts promote web -n shop",
                    "kubectl argo rollouts retry rollout web -n shop"):
        assert command in runbook


def test_canary_wait_covers_every_pause(write_spec):
    built = build(write_spec, CANARY)
    deadline = built.rollout["spec"]["progressDeadlineSeconds"]
    timeout = int(re.search(r"status web -n shop --timeout (\d+)s", built.runbook).group(1))
    assert timeout == deadline + sum(CANARY_PAUSES_S) + 30  # + scale-down delay


# ---------------------------------------------------------------------------- canary without a router

REPLICA_CANARY = argo_spec("""
    type: canary
    interval: 1m
    steps: [10, 50]
""", platform="traffic: {provider: kubernetes}", rest=GATES + "rollback: {maxFailedChecks: 1}\n", replicas=3)


def test_replica_canary_has_no_traffic_routing_and_explains_replica_ratios(write_spec):
    built = build(write_spec, REPLICA_CANARY)
    canary = built.canary
    assert "trafficRouting" not in canary and "stableService" not in canary
    assert "scaleDownDelaySeconds" not in canary and "abortScaleDownDelaySeconds" not in canary  # routing only
    assert [step["setWeight"] for step in built.steps if "setWeight" in step] == [10, 50]
    assert not built.has("virtualservice.yaml") and not built.has("httproute.yaml")
    services = built.services()
    assert set(services) == {"web", "web-canary"}  # `web` selects every pod: the split is the pod ratio
    # 3 pods, maxSurge 25% (1 pod): 10% -> a canary keeps at least one pod, and 1 of 4 (with the surge
    # pod) is closer to 10% than 1 of 3; 50% -> 2 of 4 is exact (Argo's approximateWeightedCanaryStableReplicaCounts)
    assert "10% -> 1 new and 3 old pods (25% of requests)" in built.runbook
    assert "50% -> 2 new and 2 old pods (50% of requests)" in built.runbook
    assert "setWeight by replica counts" in built.runbook


def test_basic_canary_replica_counts_match_argo_examples():
    from shipgen.targets.argo.rollout import basic_canary_pods

    # examples from Argo Rollouts' utils/replicaset/canary.go comments (targets-k8s.md §2.2): (new, old) pods
    assert basic_canary_pods(10, 10, 1) == (1, 9) and basic_canary_pods(10, 30, 3) == (3, 7)
    assert basic_canary_pods(4, 50, 0) == (2, 2) and basic_canary_pods(5, 50, 0) == (3, 2)  # ties round up
    assert basic_canary_pods(4, 99, 0) == (3, 1) and basic_canary_pods(1, 50, 0) == (1, 0)  # one pod on each side


# ---------------------------------------------------------------------------- blue-green

BLUE_GREEN = argo_spec("""
    type: blue-green
    interval: 45s
    iterations: 7
    preview: {replicas: 2, scaleDownDelay: 4m}
    approval: {before: promotion, timeout: 20m, onTimeout: promote}
""", platform="traffic: {provider: kubernetes}", rest=GATES + """\
rollback: {maxFailedChecks: 2}
smoke:
  - {name: home, http: {path: /home, expect: 204}, timeout: 12s}
""", replicas=5)


def test_blue_green_numbers_follow_the_spec(write_spec):
    built = build(write_spec, BLUE_GREEN)
    blue_green = built.rollout["spec"]["strategy"]["blueGreen"]
    assert blue_green["activeService"] == "web" and blue_green["previewService"] == "web-preview"
    assert blue_green["previewReplicaCount"] == 2
    assert blue_green["scaleDownDelaySeconds"] == 240
    assert blue_green["abortScaleDownDelaySeconds"] == 30
    assert blue_green["autoPromotionEnabled"] is True  # never an indefinite pause: the approval Job bounds it
    assert built.rollout["spec"]["replicas"] == 5
    # the deadline stays above the scale-down delay (argo-rollouts#3414)
    assert built.rollout["spec"]["progressDeadlineSeconds"] > 240
    pre = blue_green["prePromotionAnalysis"]
    assert [t["templateName"] for t in pre["templates"]] == ["web-smoke", "web-approval"]
    assert pre["args"] == [{"name": "service", "value": "web-preview"}]
    post = blue_green["postPromotionAnalysis"]
    assert [t["templateName"] for t in post["templates"]] == ["web-error-rate", "web-latency-p99"]
    assert post["args"] == [{"name": "service", "value": "web"}]
    metric = built.metric("web-error-rate")
    assert (metric["count"], metric["interval"], metric["initialDelay"], metric["failureLimit"]) == (7, "45s", "45s", 2)
    smoke = built.metric("web-smoke")
    job = smoke["provider"]["job"]["spec"]
    assert job["activeDeadlineSeconds"] == 12 + 120  # the test's timeout + time to start the pod
    command = job["template"]["spec"]["containers"][0]["command"]
    assert command[-4:] == ["http://{{args.service}}.shop.svc.cluster.local:80/home", "12", "GET", "204"]
    approval = built.metric("web-approval")["provider"]["job"]["spec"]
    assert approval["template"]["spec"]["containers"][0]["command"][-2:] == ["1200", "0"]  # promote on timeout


def test_blue_green_runbook_states_the_same_numbers(write_spec):
    runbook = build(write_spec, BLUE_GREEN).runbook
    assert "2 preview pods behind web-preview" in runbook
    assert "a person approves within 20 min (else it goes on)" in runbook
    assert "7 checks every 45 s after the switch" in runbook
    assert "previous version scaled down 4 min later" in runbook
    assert "fails 3 checks (failureLimit 2" in runbook
    assert "at the earliest 2 min 15 s into the checks" in runbook  # 3 × 45 s
    assert "the active Service switches back to the previous version" in runbook


def test_blue_green_with_a_load_test_checks_the_preview_too(write_spec):
    spec = BLUE_GREEN.replace("  approval: {before: promotion, timeout: 20m, onTimeout: promote}\n",
                              "  loadTest: {requestsPerSecond: 25, path: /home}\n")
    assert spec != BLUE_GREEN
    built = build(write_spec, spec)
    pre = built.rollout["spec"]["strategy"]["blueGreen"]["prePromotionAnalysis"]
    assert [t["templateName"] for t in pre["templates"]] == ["web-smoke", "web-error-rate", "web-latency-p99",
                                                             "web-load-test"]
    assert pre["dryRun"] == [{"metricName": "load-test"}]  # load never decides
    load = built.metric("web-load-test")["provider"]["job"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert load[load.index("-qps") + 1] == "25"
    assert load[load.index("-t") + 1] == "5m15s"  # 7 checks × 45 s
    assert "7 checks every 45 s on the preview under load" in built.runbook


# ---------------------------------------------------------------------------- A/B

AB_TEST = argo_spec("""
    type: ab-test
    interval: 2m
    iterations: 6
    match:
      - header: {name: x-canary, regex: "^(yes|true)$"}
      - cookie: {name: beta, exact: "1"}
""", rest=GATES + "rollback: {maxFailedChecks: 1}\n")


def test_ab_test_routes_matching_requests_and_checks_iterations_times(write_spec):
    built = build(write_spec, AB_TEST)
    steps = built.steps
    assert step_kinds(steps) == ["setCanaryScale", "setHeaderRoute", "analysis"]
    assert steps[0]["setCanaryScale"] == {"weight": 100}
    route = steps[1]["setHeaderRoute"]
    assert route["name"] == "ab-test"
    assert built.canary["trafficRouting"]["managedRoutes"] == [{"name": "ab-test"}]
    assert route["match"][0] == {"headerName": "x-canary", "headerValue": {"regex": "^(yes|true)$"}}
    cookie = route["match"][1]
    assert cookie["headerName"] == "cookie"
    assert re.match(cookie["headerValue"]["regex"], "a=b; beta=1; c=d")
    assert not re.match(cookie["headerValue"]["regex"], "beta=12")
    analysis = steps[2]["analysis"]
    assert [t["templateName"] for t in analysis["templates"]] == ["web-error-rate", "web-latency-p99"]
    assert analysis["args"] == [{"name": "service", "value": "web-canary"}]
    metric = built.metric("web-latency-p99")
    assert (metric["count"], metric["interval"], metric["failureLimit"]) == (6, "2m", 1)
    assert "analysis" not in built.canary  # no background run: the step's run has exactly `iterations` checks


def test_ab_test_runbook_states_the_same_numbers(write_spec):
    runbook = build(write_spec, AB_TEST).runbook
    assert "requests matching header x-canary ~ ^(yes|true)$ or cookie beta = 1 go to the new version" in runbook
    assert "6 checks every 2 min" in runbook
    assert "fails 2 checks (failureLimit 1" in runbook
    assert "at the earliest 4 min into the checks" in runbook


def test_ab_test_on_nginx_uses_canary_ingress_annotations(write_spec):
    spec = argo_spec("""
        type: ab-test
        iterations: 4
        match: [{header: {name: x-group, exact: b}}]
    """, platform="traffic: {provider: nginx, hosts: [web.example.com]}",
                     rest=GATES + "rollback: {maxFailedChecks: 1}\n")
    built = build(write_spec, spec)
    nginx = built.canary["trafficRouting"]["nginx"]
    assert nginx == {"stableIngress": "web", "additionalIngressAnnotations": {
        "canary-by-header": "x-group", "canary-by-header-value": "b"}}
    assert "setHeaderRoute" not in step_kinds(built.steps)
    ingress = built.object("ingress.yaml")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "web.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "web", "port": {"number": 80}}


# ---------------------------------------------------------------------------- shadow

SHADOW = argo_spec("""
    type: shadow
    interval: 30s
    iterations: 9
    mirrorPercent: 35
""", rest=GATES + "rollback: {maxFailedChecks: 4}\n")


def test_shadow_mirrors_the_spec_percentage_and_checks_iterations_times(write_spec):
    built = build(write_spec, SHADOW)
    steps = built.steps
    assert step_kinds(steps) == ["setCanaryScale", "setMirrorRoute", "analysis", "setMirrorRoute"]
    assert steps[0]["setCanaryScale"] == {"weight": 35}  # pods sized for the mirrored share
    mirror = steps[1]["setMirrorRoute"]
    assert (mirror["name"], mirror["percentage"]) == ("shadow", 35)
    assert mirror["match"] == [{"path": {"prefix": "/"}}]
    assert steps[3]["setMirrorRoute"] == {"name": "shadow"}  # no match: mirroring stops before the switch
    assert built.canary["trafficRouting"]["managedRoutes"] == [{"name": "shadow"}]
    assert not any("setWeight" in step for step in steps)  # no user is served before the switch
    metric = built.metric("web-error-rate")
    assert (metric["count"], metric["interval"], metric["failureLimit"]) == (9, "30s", 4)


def test_shadow_runbook_states_the_same_numbers(write_spec):
    runbook = build(write_spec, SHADOW).runbook
    assert "35% of requests are copied to the new version" in runbook
    assert "9 checks every 30 s" in runbook
    assert "fails 5 checks (failureLimit 4" in runbook
    assert "Mirror only idempotent traffic" in runbook


# ---------------------------------------------------------------------------- manual approval

APPROVAL = argo_spec("""
    type: canary
    steps: [10, 50]
    approval: {before: promotion, timeout: 25m, onTimeout: rollback}
""", platform="traffic: {provider: nginx}", rest=GATES + "rollback: {maxFailedChecks: 1}\n")


def test_approval_before_promotion_is_a_bounded_wait_after_the_last_weight(write_spec):
    built = build(write_spec, APPROVAL)
    steps = built.steps
    assert not any(step.get("pause") == {} for step in steps)  # never an indefinite pause
    assert step_kinds(steps)[-1] == "analysis" and step_kinds(steps)[-2] == "pause"
    assert steps[-1]["analysis"]["templates"] == [{"templateName": "web-approval"}]
    job = built.metric("web-approval")["provider"]["job"]
    assert job["spec"]["activeDeadlineSeconds"] == 25 * 60 + 120
    assert job["spec"]["backoffLimit"] == 0
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[-2:] == ["1500", "1"]  # 25 min, then fail: Argo aborts
    assert built.metric("web-approval")["failureLimit"] == 0
    runbook = built.runbook
    assert "a person approves within 25 min (else it rolls back)" in runbook
    assert "Without an approval within 25 min it is aborted." in runbook
    assert ("kubectl --namespace shop exec \"$(kubectl --namespace shop get pods --selector "
            "shipgen.dev/approval=web --field-selector status.phase=Running --output name)\" -- touch /tmp/approved"
            in runbook)


def test_approval_before_rollout_comes_first_and_promote_on_timeout_exits_zero(write_spec):
    spec = APPROVAL.replace("before: promotion, timeout: 25m, onTimeout: rollback",
                            "before: rollout, timeout: 10m, onTimeout: promote")
    assert spec != APPROVAL
    built = build(write_spec, spec)
    assert built.steps[0] == {"analysis": {"templates": [{"templateName": "web-approval"}]}}
    command = built.metric("web-approval")["provider"]["job"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[-2:] == ["600", "0"]
    assert "else it goes on" in built.runbook

"""What Flagger (and the traffic provider under it) can do, and the spec checks that follow.

Shared by the Flagger target (`flagger.py`, which emits what these rules allow) and by
`normalize`, which calls `check(reader, release)` for `platform.controller: flagger` so that a
spec asking for something Flagger cannot do gets a located error naming the field and the
alternatives, never silently different output. Semantics from `../shared/docs/targets-k8s.md`
§1 (Flagger v1.44) and §5; feature versions from Flagger's CHANGELOG:

| feature | Flagger |
|---|---|
| `flagger.app/v1beta1` Canary, MetricTemplate, AlertProvider, `stepWeightPromotion` | 1.0.0 |
| `analysis.stepWeights` (custom weights, fluxcd/flagger#726) | 1.3.0 |
| `smi:v1alpha2` provider | 1.8.0 |
| NGINX with `networking.k8s.io/v1` Ingress | 1.11.0 |
| `gatewayapi:v1beta1` provider (also Linkerd's route, an HTTPRoute on the apex Service) | 1.26.0 |
| `spec.suspend` | 1.32.0 |
| `gatewayapi:v1` provider | 1.35.0 |

Without `platform.controllerVersion` the version documented in targets-k8s.md (1.44) is assumed.
"""

from __future__ import annotations

import re

from .. import linkerd

ASSUMED_VERSION = "1.44"
MINIMUM_VERSION = (1, 0, 0)
STEP_WEIGHTS_VERSION = (1, 3, 0)
SMI_V1ALPHA2_VERSION = (1, 8, 0)
NGINX_INGRESS_V1_VERSION = (1, 11, 0)
GATEWAY_API_V1BETA1_VERSION = (1, 26, 0)
SUSPEND_VERSION = (1, 32, 0)
GATEWAY_API_V1_VERSION = (1, 35, 0)
MINIMUM_INTERVAL_S = 10  # Flagger raises shorter analysis intervals to 10 s
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
GATEWAY_NAME = re.compile(rf"^({_DNS_LABEL}/)?{_DNS_LABEL}$")

# Strategies each provider can perform under Flagger (targets-k8s.md §1.3, §1.9): the
# `kubernetes` provider has no router, so it can only switch all traffic at once (blue/green);
# header/cookie routing needs a router that matches requests; mirroring exists for Istio and,
# for blue/green iterations only, Gateway API.
STRATEGIES = {
    "istio": ("canary", "blue-green", "ab-test", "shadow"),
    "gateway-api": ("canary", "blue-green", "ab-test", "shadow"),
    "nginx": ("canary", "blue-green", "ab-test"),
    "linkerd": ("canary", "blue-green"),
    "smi": ("canary", "blue-green"),
    "kubernetes": ("blue-green",),
}
ROUTES_BY_HOST = ("istio", "gateway-api", "nginx")
ATTACHES_TO_GATEWAY = ("istio", "gateway-api")
SETS_TIMEOUT = ("istio", "gateway-api", "linkerd", "nginx")  # nginx: proxy timeouts on the emitted Ingress
SETS_RETRIES = ("istio", "linkerd")  # linkerd: annotations on the apex Service (targets/linkerd.py)
SETS_CIRCUIT_BREAKER = ("istio", "linkerd")
# Flagger's built-in request-success-rate / request-duration observe these providers' metrics;
# for the others (gatewayapi -- Linkerd's route too --, smi) it falls back to Istio's metric names,
# and for `kubernetes` to one application convention, so shipgen sends those through
# MetricTemplates instead.
NATIVE_METRICS = ("istio", "nginx")
# ... but only Istio's `request-duration` is a p99; NGINX's is the mean response time
# (sum / count of the ingress-nginx response-duration summary, fluxcd/flagger#1686)
P99_DURATION = ("istio",)
MIRROR_WEIGHT = ("istio",)  # Gateway API mirrors all requests of a blue/green iteration
LOAD_TEST_THROUGH_ROUTER = ("nginx", "gateway-api")  # their metrics see only routed requests


def parse_version(text: str) -> tuple:
    """`1.44` -> (1, 44, 0)."""
    parts = [int(part) for part in (text or ASSUMED_VERSION).split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def version_text(version: tuple) -> str:
    return ".".join(str(part) for part in version)


def flagger_duration(total: int) -> str:
    """A duration Flagger's CRD pattern (`^[0-9]+(m|s)`) accepts: whole minutes or seconds."""
    return f"{total // 60}m" if total and total % 60 == 0 else f"{total}s"


def flagger_version(release) -> tuple:
    return parse_version(release.platform.controller_version)


def flagger_provider(release) -> str:
    """Flagger's name for the spec's traffic provider (the Canary's `spec.provider`)."""
    provider = release.platform.traffic.provider
    if provider in ("gateway-api", "linkerd"):  # Linkerd: an HTTPRoute on its Service (GAMMA), see linkerd.py
        return "gatewayapi:v1" if flagger_version(release) >= GATEWAY_API_V1_VERSION else "gatewayapi:v1beta1"
    return {"smi": "smi:v1alpha2"}.get(provider, provider)


def weight_plan(weights: tuple) -> dict:
    """The analysis fields for canary weights: `stepWeight` + `maxWeight` when the weights are
    equal steps (s, 2s, ... ns: no overshoot, targets-k8s.md §7.3), else `stepWeights`."""
    first = weights[0]
    if all(weight == first * (index + 1) for index, weight in enumerate(weights)):
        return {"maxWeight": weights[-1], "stepWeight": first}
    return {"stepWeights": list(weights)}


def uses_builtin(release, gate) -> str:
    """The Flagger built-in metric that measures this gate exactly, or ""."""
    if gate.query is not None or gate.provider != "prometheus" or gate.address or gate.min is not None:
        return ""
    if gate.max is None or release.platform.traffic.provider not in NATIVE_METRICS:
        return ""
    if gate.metric == "error-rate":
        return "request-success-rate"
    if gate.metric == "latency" and gate.percentile == 99 and release.platform.traffic.provider in P99_DURATION:
        return "request-duration"
    return ""


def analysed_gates(release) -> tuple:
    """The gates Flagger checks: those that trigger the rollback (Flagger has no observe-only check)."""
    return tuple(gate for gate in release.gates if gate.name in release.rollback.on)


# ---------------------------------------------------------------------------- checks


def check(reader, release):
    """Report (with `reader.error` / `reader.warn`) everything Flagger cannot do as the spec asks."""
    raw = reader.document.data
    _check_version(reader, release)
    _check_strategy(reader, release, raw)
    _check_traffic(reader, release, raw)
    _check_gates(reader, release)
    _check_other(reader, release, raw)


def _unsupported(reader, path, message, fix, key=False):
    reader.error(path, message, name="unsupported-by-controller", key=key, fix=fix)


def _check_version(reader, release):
    text = release.platform.controller_version
    version = flagger_version(release)
    path = ("platform", "controllerVersion")
    if version < MINIMUM_VERSION:
        _unsupported(reader, path, f"Flagger {text} predates the flagger.app/v1beta1 API shipgen emits (Flagger "
                     f"{version_text(MINIMUM_VERSION)} or newer)", "upgrade Flagger, or use platform.controller "
                     "argo-rollouts or deployment")
    provider = release.platform.traffic.provider
    # Linkerd goes through Flagger's Gateway API router (an HTTPRoute on the Service, linkerd.py)
    needs = {"gateway-api": GATEWAY_API_V1BETA1_VERSION, "linkerd": GATEWAY_API_V1BETA1_VERSION,
             "smi": SMI_V1ALPHA2_VERSION, "nginx": NGINX_INGRESS_V1_VERSION}.get(provider)
    if needs and version < needs and version >= MINIMUM_VERSION:
        _unsupported(reader, ("platform", "traffic", "provider"),
                     f"traffic provider {provider} needs Flagger {version_text(needs)} or newer, and "
                     f"platform.controllerVersion is {text}",
                     f"upgrade Flagger to {version_text(needs)}+, or choose another platform.traffic.provider "
                     "(istio" + (", or smi for Linkerd through linkerd-smi)" if provider == "linkerd" else ")"))


def _check_strategy(reader, release, raw):
    strategy = release.strategy
    provider = release.platform.traffic.provider
    raw_strategy = raw.get("strategy", {})
    able = STRATEGIES[provider]
    if strategy.type not in able:
        others = [name for name, kinds in STRATEGIES.items() if strategy.type in kinds]
        reason = ("Flagger's kubernetes provider has no router, so it can only switch all traffic at once "
                  "(blue/green)" if provider == "kubernetes" else
                  f"Flagger cannot route {strategy.type} traffic through {provider}")
        path = ("strategy", {"ab-test": "match", "shadow": "type"}.get(strategy.type, "type"))
        _unsupported(reader, path if path[1] in raw_strategy else ("strategy", "type"),
                     f"a {strategy.type} strategy is not possible with traffic provider {provider}: {reason}",
                     f"set platform.traffic.provider to {' or '.join(others)}, or use strategy.type "
                     f"{' or '.join(able)}")
    if strategy.interval_s < MINIMUM_INTERVAL_S:
        _unsupported(reader, ("strategy", "interval"), f"Flagger analyses at most every {MINIMUM_INTERVAL_S}s and "
                     f"would stretch an interval of {strategy.interval_s}s to {MINIMUM_INTERVAL_S}s",
                     f"set strategy.interval to {MINIMUM_INTERVAL_S}s or more")
    if strategy.type == "canary":
        _check_steps(reader, release, raw_strategy)
    if strategy.type == "shadow" and provider == "gateway-api" and strategy.mirror_percent != 100:
        _unsupported(reader, ("strategy", "mirrorPercent"), f"Flagger mirrors every request through Gateway API "
                     f"(no mirror percentage), and strategy.mirrorPercent is {strategy.mirror_percent}",
                     "remove strategy.mirrorPercent (100%), or use platform.traffic.provider istio")
    if strategy.type == "ab-test" and strategy.type in able:
        _check_match(reader, release)
    if strategy.load_test is not None and provider in LOAD_TEST_THROUGH_ROUTER:
        _check_routed_load_test(reader, release)
    preview = raw_strategy.get("preview", {})
    for key, why in (("replicas", "runs the new version at the primary's size"),
                     ("scaleDownDelay", "replaces the old version while promoting; nothing is kept for a switch "
                                        "back")):
        if key in preview:
            _unsupported(reader, ("strategy", "preview", key), f"Flagger's blue/green {why}, so "
                         f"strategy.preview.{key} cannot be honoured", "remove it, or use platform.controller "
                         "argo-rollouts (previewReplicaCount, scaleDownDelaySeconds)", key=True)


def _check_steps(reader, release, raw_strategy):
    steps = release.strategy.steps
    for index, step in enumerate(steps):
        if step.pause_s != release.strategy.interval_s:
            _unsupported(reader, ("strategy", "steps", index, "pause"), f"Flagger gives every step one analysis "
                         f"interval ({release.strategy.interval_s}s), and step {index} asks to pause "
                         f"{step.pause_s}s", "remove the step's pause and set strategy.interval, or use "
                         "platform.controller argo-rollouts (a pause per step)", key=True)
    plan = weight_plan(tuple(step.weight for step in steps))
    version = flagger_version(release)
    if "stepWeights" in plan and version < STEP_WEIGHTS_VERSION:
        weights = ", ".join(str(step.weight) for step in steps)
        _unsupported(reader, ("strategy", "steps") if "steps" in raw_strategy else ("strategy", "type"),
                     f"the weights [{weights}] are not equal steps, so they need analysis.stepWeights, which "
                     f"Flagger {release.platform.controller_version} lacks (added in "
                     f"{version_text(STEP_WEIGHTS_VERSION)})",
                     f"use equal steps (e.g. [{steps[0].weight}, {2 * steps[0].weight}, ...]) for "
                     "stepWeight/maxWeight, or set platform.controllerVersion to an upgraded Flagger "
                     f"({version_text(STEP_WEIGHTS_VERSION)}+)")


def _check_match(reader, release):
    provider = release.platform.traffic.provider
    for index, conditions in enumerate(release.strategy.match):
        path = ("strategy", "match", index)
        names = [match.name.lower() for match in conditions if match.source == "header"]
        if "cookie" in names and any(match.source == "cookie" for match in conditions):
            _unsupported(reader, path, "a header named Cookie and a cookie condition in one item both need "
                         "Flagger's `cookie` header match", "put the cookie test in the cookie condition only")
        if provider != "nginx":
            continue
        if len(conditions) > 1:
            _unsupported(reader, path, "NGINX canary routing tests one header or one cookie per rule, not several "
                         "at once", "split the conditions into separate match items (any of them routes to the "
                         "new version), or use platform.traffic.provider istio or gateway-api")
        for match in conditions:
            if match.source == "cookie" and match.exact != "always":
                _unsupported(reader, path + ("cookie",), "NGINX routes by cookie only when the cookie's value is "
                             "`always` (ingress-nginx canary-by-cookie)", "use cookie {name: ..., exact: always}, "
                             "a header, or platform.traffic.provider istio or gateway-api")
    if provider == "nginx":
        for source in ("header", "cookie"):
            items = [index for index, conditions in enumerate(release.strategy.match)
                     if any(match.source == source for match in conditions)]
            if len(items) > 1:
                _unsupported(reader, ("strategy", "match", items[1]), f"NGINX canary routing takes one {source} "
                             f"rule, and strategy.match has {len(items)}", "keep one, or use "
                             "platform.traffic.provider istio or gateway-api")


def _check_routed_load_test(reader, release):
    """NGINX and Gateway API metrics see only requests through the router: the load test must go
    through a host name, and in an A/B test carry a header that matches exactly."""
    provider = release.platform.traffic.provider
    if not release.platform.traffic.hosts:
        _unsupported(reader, ("strategy", "loadTest"), f"through {provider} the load test must reach the new "
                     "version through the router, by host name, and platform.traffic.hosts is empty",
                     "set platform.traffic.hosts, or remove strategy.loadTest", key=True)
    exact = [match for conditions in release.strategy.match for match in conditions if match.exact is not None]
    if release.strategy.type == "ab-test" and not exact:
        _unsupported(reader, ("strategy", "loadTest"), "the load test cannot make requests that match a regular "
                     "expression, so none would reach the new version", "add a match item with an exact value, "
                     "or remove strategy.loadTest", key=True)


def _check_traffic(reader, release, raw):
    traffic = release.platform.traffic
    provider = traffic.provider
    raw_traffic = raw.get("platform", {}).get("traffic", {})
    path = ("platform", "traffic")
    if traffic.hosts and provider not in ROUTES_BY_HOST:
        _unsupported(reader, path + ("hosts",), f"traffic provider {provider} does not route by host name, so "
                     "platform.traffic.hosts would be ignored", "remove hosts, or use istio, gateway-api or nginx",
                     key=True)
    if traffic.gateway and provider not in ATTACHES_TO_GATEWAY:
        _unsupported(reader, path + ("gateway",), f"traffic provider {provider} attaches to no gateway",
                     "remove gateway, or use istio or gateway-api", key=True)
    if traffic.gateway and provider in ATTACHES_TO_GATEWAY and not GATEWAY_NAME.match(traffic.gateway):
        _unsupported(reader, path + ("gateway",), f"gateway {traffic.gateway!r} is not a Kubernetes object name",
                     "write it as namespace/name (or name, for the release's namespace)")
    if provider == "gateway-api" and not traffic.gateway:
        _unsupported(reader, path + ("provider",) if "provider" in raw_traffic else path,
                     "Flagger's Gateway API router needs the Gateway its HTTPRoute attaches to",
                     "set platform.traffic.gateway to namespace/name of the Gateway")
    if provider == "nginx" and not traffic.hosts:
        _unsupported(reader, path + ("provider",) if "provider" in raw_traffic else path,
                     "Flagger's NGINX router clones an Ingress, which needs the host names it serves",
                     "set platform.traffic.hosts")
    if traffic.timeout_s is not None and provider not in SETS_TIMEOUT:
        _unsupported(reader, path + ("timeout",), f"Flagger sets no request timeout through {provider}",
                     "remove timeout, or use istio, gateway-api or nginx", key=True)
    if traffic.retries is not None and provider not in SETS_RETRIES:
        _unsupported(reader, path + ("retries",), f"Flagger sets retries through Istio, and Linkerd's proxies "
                     f"retry, and the provider is {provider}", "remove retries (let the client retry), or use istio "
                     "or linkerd", key=True)
    breaker = traffic.circuit_breaker
    if breaker is not None and provider not in SETS_CIRCUIT_BREAKER:
        _unsupported(reader, path + ("circuitBreaker",), "a circuit breaker is an Istio DestinationRule or a Linkerd "
                     "failure-accrual setting", "remove circuitBreaker, or use istio or linkerd", key=True)
    if provider == "linkerd":
        for below, message, fix in linkerd.problems(raw_traffic):
            _unsupported(reader, path + below, message, fix, key=True)
    if breaker is not None and breaker.max_connections is not None and provider == "istio":
        _unsupported(reader, path + ("circuitBreaker", "maxConnections"), "Flagger copies only the HTTP part of "
                     "the connection pool into its DestinationRules, so a TCP connection cap cannot be set",
                     "use maxPendingRequests, or platform.controller argo-rollouts", key=True)


def _check_gates(reader, release):
    from ...queries import BUILT_IN

    ignored = [gate.name for gate in release.gates if gate.name not in release.rollback.on]
    if ignored:
        reader.warn(("rollback", "on"), f"gates {', '.join(ignored)} are not in rollback.on: every Flagger check "
                    "counts towards the rollback, so they are left out of the analysis (watch them yourself)",
                    fix="add them to rollback.on to gate the release on them")
    for index, gate in enumerate(release.gates):
        if gate.name not in release.rollback.on:
            continue
        path = ("gates", index)
        if gate.min is None and gate.max is None:
            _unsupported(reader, path, f"gate '{gate.name}' has neither min nor max, and Flagger needs a range to "
                         "judge a metric", "give the gate a min or a max, or remove it from rollback.on")
        if gate.provider == "cloudwatch" and not dict(release.platform.aws).get("region"):
            _unsupported(reader, path + ("provider",), "a Flagger CloudWatch MetricTemplate needs the AWS region",
                         "set platform.aws.region")
        provider = release.platform.traffic.provider
        if gate.query is None and release.strategy.type == "blue-green" and provider in LOAD_TEST_THROUGH_ROUTER:
            _unsupported(reader, path, f"gate '{gate.name}' reads {provider} metrics, which count only requests "
                         "through the router, and Flagger's blue/green routes none to the new version before "
                         "promotion: the check would never have data and every release would roll back",
                         "give the gate a query on metrics the pods export themselves (the load test reaches them "
                         f"through {release.name}-canary), or use platform.traffic.provider istio, linkerd or "
                         "kubernetes, or strategy.type canary")
        if gate.query is None and not uses_builtin(release, gate):
            if gate.metric not in BUILT_IN.get(provider, {}):
                _unsupported(reader, path, f"shipgen has no built-in {gate.metric} query for traffic provider "
                             f"{provider}", "give the gate a query")


def _check_other(reader, release, raw):
    if not release.service.ports:
        _unsupported(reader, ("service",), "Flagger routes traffic through Services it generates from the "
                     "first port, and service.ports is empty", "add service.ports, or use platform.controller "
                     "deployment for a worker without ports")
    if not release.rollback.automatic:
        _unsupported(reader, ("rollback", "automatic"), "Flagger always rolls back once the failed checks reach "
                     "its threshold", "set rollback.automatic true (tune rollback.maxFailedChecks), or use "
                     "platform.controller deployment", key=True)
    if release.platform.workload_ref:
        _unsupported(reader, ("platform", "workloadRef"), "workloadRef is an Argo Rollouts option; Flagger always "
                     "targets the Deployment shipgen emits", "remove it, or use platform.controller argo-rollouts",
                     key=True)
    if release.notify.pagerduty:
        reader.warn(("notify", "pagerduty"), "Flagger has no PagerDuty alert provider: failed releases reach "
                    "Slack/Teams/webhook only", fix="page from an alert on Flagger's flagger_canary_status metric "
                    "through Alertmanager")

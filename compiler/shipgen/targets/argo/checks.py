"""What Argo Rollouts (and the traffic provider under it) can do, and the spec checks that follow.

Shared by the Argo Rollouts target (`objects.py`, which emits what these rules allow) and by
`normalize`, which calls `check(reader, release)` for `platform.controller: argo-rollouts`, so a
spec asking for something Argo or its provider cannot do gets a located error naming the field and
the alternatives — never silently different output. Semantics from `../shared/docs/targets-k8s.md`
§2 (Argo Rollouts v1.9), §2.7 (controller validation) and §4, and from the providers' code:

| provider | Argo `trafficRouting` | header routes (A/B) | mirroring (shadow) |
|---|---|---|---|
| istio | `istio` (host-level VirtualService) | `setHeaderRoute`; match items are alternatives | `setMirrorRoute` |
| gateway-api | plugin `argoproj-labs/gatewayAPI`, HTTPRoute on a Gateway | `setHeaderRoute`; all conditions in ONE match (AND) | `setMirrorRoute`, only in plugin releases that implement it (older ones ignore the step) |
| linkerd | same plugin, HTTPRoute on the Service (GAMMA); retries and circuit breaking as Linkerd annotations (`targets/linkerd.py`) | as gateway-api | no: Linkerd has no RequestMirror |
| nginx | `nginx` (stable Ingress) | canary Ingress `canary-by-header`/`-pattern`/`canary-by-cookie`: one condition | no |
| smi | `smi` (Argo creates the TrafficSplit) | no (Argo's SMI router ignores header routes) | no |
| kubernetes | none: replica-ratio canary | no | no |
"""

from __future__ import annotations

from .. import linkerd

ROUTER = {"istio": "istio", "gateway-api": "plugin", "linkerd": "plugin", "nginx": "nginx", "smi": "smi"}
PLUGIN = "argoproj-labs/gatewayAPI"
HEADER_ROUTES = ("istio", "gateway-api", "linkerd", "nginx")
MIRRORS = ("istio", "gateway-api")
SETS_TIMEOUT = ("istio", "gateway-api", "linkerd", "nginx")
SETS_RETRIES = ("istio", "linkerd")  # Linkerd: annotations (targets/linkerd.py)
SETS_CIRCUIT_BREAKER = ("istio", "linkerd")
USES_HOSTS = ("istio", "gateway-api", "nginx")
USES_GATEWAY = ("istio", "gateway-api")
# Providers whose metrics count a request sent straight to a Service from outside the mesh and
# the ingress (a load-test Job calling `<name>-canary`) as that Service's: the application's own
# metrics do. Istio does not: since 1.11 (host-header fallback off) its server-side proxy labels a
# request from outside the mesh with the pod's canonical service (`app.kubernetes.io/name`, the
# same for both versions), not with the Service the Job called.
SEES_DIRECT_REQUESTS = ("kubernetes",)
HEADER_ROUTE_PROVIDERS_TEXT = "istio, gateway-api, linkerd or nginx"


def traffic_routed(release) -> bool:
    return release.platform.traffic.provider in ROUTER


# ---------------------------------------------------------------------------- A/B matches


REGEX_SPECIAL = set("\\.+*?()|[]{}^$")


def literal_regex(text: str) -> str:
    """`text` as a regular expression (RE2 and PCRE alike) that matches exactly it."""
    return "".join("\\" + char if char in REGEX_SPECIAL else char for char in text)


def cookie_regex(name: str, exact: str | None, regex: str | None) -> str:
    """A regular expression (RE2/PCRE) on the `Cookie` header that holds when cookie `name` has
    the value `exact`, or a value matching `regex` (its own anchors dropped: it is embedded)."""
    value = literal_regex(exact) if exact is not None else f"(?:{regex.removeprefix('^').removesuffix('$')})"
    return f"^(.*?;\\s*)?{literal_regex(name)}={value}(;.*)?$"


def header_match(condition) -> dict:
    """One spec condition as an Argo `setHeaderRoute` match ({headerName, headerValue})."""
    if condition.source == "cookie":
        return {"headerName": "cookie", "headerValue": {"regex": cookie_regex(condition.name, condition.exact,
                                                                               condition.regex)}}
    value = {"exact": condition.exact} if condition.exact is not None else {"regex": condition.regex}
    return {"headerName": condition.name, "headerValue": value}


def header_route_matches(release) -> list:
    """Argo `setHeaderRoute.match` for the spec's `strategy.match`: on Istio each entry is an
    alternative (one Istio match per entry); the Gateway API plugin puts every entry in one
    HTTPRoute match (all must hold). The checks below keep the spec within what the provider means."""
    return [header_match(condition) for item in release.strategy.match for condition in item]


def nginx_canary_annotations(release) -> dict:
    """ingress-nginx canary annotations (without prefix) for the spec's single condition."""
    condition = release.strategy.match[0][0]
    if condition.source == "cookie":
        return {"canary-by-cookie": condition.name}  # value "always" routes to the canary
    if condition.exact is not None:
        return {"canary-by-header": condition.name, "canary-by-header-value": condition.exact}
    return {"canary-by-header": condition.name, "canary-by-header-pattern": condition.regex}


# ---------------------------------------------------------------------------- checks


def check(reader, release):
    """Report (with `reader.error` / `reader.warn`) everything Argo Rollouts cannot do as the spec asks."""
    _check_ports(reader, release)
    _check_traffic(reader, release)
    strategy = release.strategy.type
    if strategy == "ab-test":
        _check_header_routes(reader, release)
    if strategy == "shadow":
        _check_mirroring(reader, release)
    if strategy in ("blue-green", "ab-test", "shadow"):
        _check_iterations(reader, release)
    if strategy == "canary":
        _check_step_pauses(reader, release)
        _check_canary_checks(reader, release)
    _check_gates(reader, release)
    _check_load_test(reader, release)


def _unsupported(reader, path, message, alternatives, key=False):
    reader.error(path, f"{message}: Argo Rollouts cannot do this", name="unsupported-by-controller", key=key,
                 fix=alternatives)


def _provider_path(reader):
    """Where the provider is written, or the traffic/platform block that leaves it to the default."""
    for path in (("platform", "traffic", "provider"), ("platform", "traffic"), ("platform",)):
        if _present(reader.document.data, path):
            return path
    return ("platform",)


def _present(data, path) -> bool:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _check_ports(reader, release):
    if release.service.ports:
        return
    http_tests = [index for index, test in enumerate(release.smoke) if test.http_path is not None]
    for index in http_tests:
        _unsupported(reader, ("smoke", index, "http"), "an HTTP smoke test calls the new version's Service, and "
                     "service.ports is empty", "use a command smoke test, or add service.ports", key=True)
    if release.strategy.load_test is not None:
        _unsupported(reader, ("strategy", "loadTest"), "the load test calls the new version's Service, and "
                     "service.ports is empty", "remove loadTest, or add service.ports", key=True)
    strategy = release.strategy.type
    if strategy == "blue-green" or traffic_routed(release) or strategy in ("ab-test", "shadow"):
        _unsupported(reader, ("service",), f"a {strategy} rollout with provider {release.platform.traffic.provider} "
                     "switches traffic between Services, and service.ports is empty",
                     "add service.ports, or use strategy.type canary with platform.traffic.provider kubernetes "
                     "(replica-based) for a worker without ports")


def _check_traffic(reader, release):
    traffic = release.platform.traffic
    provider = traffic.provider
    path = ("platform", "traffic")
    if traffic.retries is not None and provider not in SETS_RETRIES:
        _unsupported(reader, path + ("retries",), f"retries are set on an Istio VirtualService route or by Linkerd's "
                     f"proxies, and the provider is {provider}", "remove retries (let the client retry), or use "
                     "provider istio or linkerd", key=True)
    if traffic.circuit_breaker is not None and provider not in SETS_CIRCUIT_BREAKER:
        _unsupported(reader, path + ("circuitBreaker",), "a circuit breaker is an Istio DestinationRule or a Linkerd "
                     f"failure-accrual setting, and the provider is {provider}", "remove circuitBreaker, or use "
                     "provider istio or linkerd", key=True)
    if provider == "linkerd":
        raw_traffic = reader.document.data.get("platform", {}).get("traffic", {})
        for below, message, fix in linkerd.problems(raw_traffic):
            _unsupported(reader, path + below, message, fix, key=True)
    if traffic.timeout_s is not None and provider not in SETS_TIMEOUT:
        _unsupported(reader, path + ("timeout",), f"provider {provider} has no route on which to set a request "
                     "timeout", "remove timeout, or use provider istio, gateway-api, linkerd or nginx", key=True)
    if provider == "gateway-api" and not traffic.gateway:
        reader.error(_provider_path(reader), "provider gateway-api needs platform.traffic.gateway: the Gateway "
                     "(`namespace/name`) the HTTPRoute attaches to", name="missing-gateway",
                     fix="set platform.traffic.gateway, or use provider linkerd (or istio) for in-mesh routing")
    if traffic.hosts and provider not in USES_HOSTS:
        reader.warn(path + ("hosts",), f"provider {provider} routes by Service, not by host name: hosts are not "
                    "used", name="ignored-setting", key=True, fix="remove hosts, or use istio, gateway-api or nginx")
    if traffic.gateway and provider not in USES_GATEWAY:
        reader.warn(path + ("gateway",), f"provider {provider} attaches to no gateway: gateway is not used",
                    name="ignored-setting", key=True, fix="remove gateway, or use istio or gateway-api")


def _check_header_routes(reader, release):
    provider = release.platform.traffic.provider
    match = release.strategy.match
    path = ("strategy", "match")
    if provider not in HEADER_ROUTES:
        _unsupported(reader, path, f"header- or cookie-based A/B needs a router that matches requests, and provider "
                     f"{provider} " + ("splits by replica count only" if provider == "kubernetes"
                                       else "has no header routes in Argo Rollouts"),
                     f"set platform.traffic.provider to {HEADER_ROUTE_PROVIDERS_TEXT}, or use platform.controller "
                     "flagger, or strategy.type canary", key=True)
        return
    if provider == "istio":
        for index, item in enumerate(match):
            if len(item) > 1:
                _unsupported(reader, path + (index,), "an Istio header route lists alternatives, one header each, "
                             "so one match item cannot require both a header and a cookie",
                             "keep one condition per match item, or use provider gateway-api (whose single "
                             "match item requires all its conditions)")
    elif provider in ("gateway-api", "linkerd"):
        if len(match) > 1:
            _unsupported(reader, path + (1,), "the Gateway API plugin puts every header condition into one match "
                         "(all must hold), so alternatives cannot be expressed",
                         "keep a single match item, or use provider istio (alternatives, one condition each)")
    elif provider == "nginx":
        if len(match) > 1 or len(match[0]) > 1:
            _unsupported(reader, path + ((1,) if len(match) > 1 else (0,)), "ingress-nginx routes a canary on one "
                         "header or one cookie", "keep one condition, or use provider istio or gateway-api")
        condition = match[0][0]
        if condition.source == "cookie" and condition.exact != "always":
            _unsupported(reader, path + (0, "cookie"), "ingress-nginx sends a request to the canary when the "
                         "cookie's value is exactly `always`", "match the cookie with exact: always, match a "
                         "header instead, or use provider istio or gateway-api", key=True)


def _check_mirroring(reader, release):
    provider = release.platform.traffic.provider
    path = ("strategy", "type")
    if provider not in MIRRORS:
        _unsupported(reader, path, f"shadow traffic needs a router that mirrors requests, and provider {provider} "
                     "cannot mirror under Argo Rollouts", "set platform.traffic.provider to istio (or gateway-api "
                     "with a plugin release that implements setMirrorRoute), or use platform.controller flagger, "
                     "or strategy.type canary")
    elif provider == "gateway-api":
        reader.warn(path, "mirroring through the Gateway API plugin needs a plugin release that implements "
                    "setMirrorRoute (older releases skip the step, the canary then gets no requests and its "
                    "checks fail for lack of data) and a Gateway implementation that supports RequestMirror",
                    name="needs-plugin-version", fix="check the plugin version registered in argo-rollouts-config")


def _check_iterations(reader, release):
    limit = release.rollback.max_failed_checks
    iterations = release.strategy.iterations
    if release.gates and release.rollback.automatic and limit >= iterations:
        path = ("rollback", "maxFailedChecks") if _present(reader.document.data, ("rollback", "maxFailedChecks")) \
            else ("strategy", "iterations") if _present(reader.document.data, ("strategy", "iterations")) \
            else ("strategy", "type")
        reader.error(path, f"rollback.maxFailedChecks ({limit}) must be below strategy.iterations ({iterations}): "
                     f"Argo's failureLimit fails a gate only when more than {limit} of its {iterations} checks fail, "
                     "which could never happen", name="unreachable-rollback",
                     fix=f"raise strategy.iterations above {limit}, or lower rollback.maxFailedChecks")


def canary_check_count(release) -> int:
    """Checks a canary's background analysis completes before promotion: one per interval, the
    first an interval after the first weight (each setWeight also takes time to scale, so the
    last one lands before the promotion)."""
    return sum(step.pause_s for step in release.strategy.steps) // release.strategy.interval_s


def _check_canary_checks(reader, release):
    limit = release.rollback.max_failed_checks
    checks = canary_check_count(release)
    if not any(gate.name in release.rollback.on for gate in release.gates) or not release.rollback.automatic:
        return
    if checks <= limit:
        data = reader.document.data
        path = next((path for path in (("rollback", "maxFailedChecks"), ("strategy", "steps"), ("strategy", "type"))
                     if _present(data, path)), ("strategy",))
        reader.error(path, f"the canary's steps last {sum(step.pause_s for step in release.strategy.steps)}s with a "
                     f"check every {release.strategy.interval_s}s, so {checks} checks run before promotion, and "
                     f"rolling back takes {limit + 1} failed checks (rollback.maxFailedChecks {limit}): a failing "
                     "canary would be promoted", name="unreachable-rollback",
                     fix=f"lengthen the steps' pauses to at least {limit + 1} intervals in all, or lower "
                         "rollback.maxFailedChecks")


def _check_step_pauses(reader, release):
    interval = release.strategy.interval_s
    if not release.gates:
        return
    for index, step in enumerate(release.strategy.steps):
        if step.pause_s < interval:
            reader.warn(("strategy", "steps", index), f"step {index} ({step.weight}%) lasts {step.pause_s}s, less "
                        f"than the check interval ({interval}s): the rollout may move past this weight before any "
                        "check ran at it", name="unchecked-step",
                        fix="make each step's pause at least strategy.interval")


def _check_gates(reader, release):
    from ...queries import BUILT_IN

    provider = release.platform.traffic.provider
    for index, gate in enumerate(release.gates):
        path = ("gates", index)
        if gate.query is None and gate.metric not in BUILT_IN.get(provider, {}):
            _unsupported(reader, path, f"shipgen has no built-in {gate.metric} query for provider {provider}",
                         "give the gate a query")
        if gate.min is None and gate.max is None:
            reader.warn(path, f"gate '{gate.name}' has neither min nor max: it is measured but can never fail",
                        name="gate-without-threshold", fix="give the gate a min or a max")
        if gate.provider == "newrelic" and gate.query and " as value" not in gate.query.lower():
            reader.warn(path + ("query",), "Argo reads a New Relic result by field name: shipgen's condition reads "
                        "`result.value`, so the NRQL must name its number `value`", name="unnamed-result",
                        fix="write the query as SELECT ... AS value FROM ...")


def _check_load_test(reader, release):
    provider = release.platform.traffic.provider
    if release.strategy.load_test is None or provider in SEES_DIRECT_REQUESTS or not release.gates:
        return
    reader.warn(("strategy", "loadTest"), f"the load-test Job calls the new version's Service directly, and "
                f"provider {provider}'s metrics count only requests that pass through "
                + ("the ingress" if provider == "nginx" else "the Gateway" if provider == "gateway-api"
                   else "meshed clients (Istio labels a request from outside the mesh with the pods' canonical "
                   "service, not the Service it called)" if provider == "istio" else "meshed clients")
                + ": the gates will not see that load", name="unseen-load",
                fix="rely on real traffic, or give the gates queries that see the Job's requests (e.g. the "
                    "application's own metrics)")

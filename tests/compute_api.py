"""The Compute Engine API v1 fields of `backendServices` and `urlMaps` that the Traffic Director
target emits, as `gcloud compute backend-services import` / `url-maps import` take them, and a
checker that returns every problem it finds (an empty list: the document is well formed).

The oracle has no validator for these resources, so this is the test-time stand-in: written by
hand from the documented API reference (field names, types, enums, ranges, required fields and
the cross-field rules the reference states), covering the fields shipgen writes. It is NOT
gcloud and NOT the API server: a document it accepts can still be refused by the service (for
example a group that does not exist, or a health check of the wrong kind).

Documented rules encoded here:
- the import YAML holds no output-only fields (`kind`, `id`, `selfLink`, `creationTimestamp`,
  `fingerprint`...): unknown keys are problems at every level;
- names are RFC 1035 labels of 1-63 characters;
- a backend's `group` is a fully-qualified URL (partial URLs are not supported);
  `capacityScaler` is 0 or within [0.1, 1]; `maxUtilization` within [0, 1];
  RATE needs a `maxRate*` target and cannot take `maxUtilization`;
- `connectionDraining.drainingTimeoutSec` 0-3600; outlier-detection percentages 0-100;
  Durations `{seconds: 0..315576000000, nanos: 0..999999999}`;
- a URL map's `hostRules[].pathMatcher` names one of its path matchers; a host appears in one
  host rule only; route-rule priorities are unique in a path matcher and 0-2147483647; a route
  rule has `service` or `routeAction` (not both) and at least one match rule with exactly one
  of prefixMatch/fullPathMatch/regexMatch/pathTemplateMatch;
- `weightedBackendServices[].weight` is an integer 0-1000 and at least one is non-zero; with
  weightedBackendServices the rule has no `service`.
"""

from __future__ import annotations

import re

NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
GROUP = re.compile(r"^https://www\.googleapis\.com/compute/v1/projects/[^/]+/(zones|regions)/[^/]+/"
                   r"(instanceGroups|networkEndpointGroups)/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
SERVICE_URL = re.compile(r"^(https://www\.googleapis\.com/compute/v1/)?(projects/[^/]+/)?global/backendServices/"
                         r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
HEALTH_CHECK_URL = re.compile(r"^(https://www\.googleapis\.com/compute/v1/)?(projects/[^/]+/)?global/healthChecks/"
                              r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")

LOAD_BALANCING_SCHEMES = {"EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL", "INTERNAL_MANAGED", "INTERNAL_SELF_MANAGED"}
PROTOCOLS = {"GRPC", "H2C", "HTTP", "HTTP2", "HTTPS", "SSL", "TCP", "UDP", "UNSPECIFIED"}
BALANCING_MODES = {"CONNECTION", "CUSTOM_METRICS", "IN_FLIGHT", "RATE", "UTILIZATION"}
LOCALITY_LB_POLICIES = {"LEAST_REQUEST", "MAGLEV", "ORIGINAL_DESTINATION", "RANDOM", "RING_HASH", "ROUND_ROBIN",
                        "WEIGHTED_GCP_RENDEZVOUS", "WEIGHTED_MAGLEV", "WEIGHTED_ROUND_ROBIN"}
SESSION_AFFINITIES = {"CLIENT_IP", "CLIENT_IP_NO_DESTINATION", "CLIENT_IP_PORT_PROTO", "CLIENT_IP_PROTO",
                      "GENERATED_COOKIE", "HEADER_FIELD", "HTTP_COOKIE", "NONE", "STRONG_COOKIE_AFFINITY"}
MAX_PRIORITY = 2147483647
MAX_WEIGHT = 1000
MAX_DURATION_S = 315576000000

# field -> type (or a checker) for each resource, as the reference documents them
BACKEND_SERVICE = {"name": str, "description": str, "loadBalancingScheme": str, "protocol": str, "portName": str,
                   "timeoutSec": int, "localityLbPolicy": str, "healthChecks": list, "backends": list,
                   "connectionDraining": dict, "outlierDetection": dict, "circuitBreakers": dict,
                   "sessionAffinity": str, "affinityCookieTtlSec": int, "customRequestHeaders": list,
                   "logConfig": dict, "maxStreamDuration": dict}
BACKEND = {"group": str, "balancingMode": str, "capacityScaler": (int, float), "description": str,
           "maxConnections": int, "maxConnectionsPerEndpoint": int, "maxConnectionsPerInstance": int, "maxRate": int,
           "maxRatePerEndpoint": (int, float), "maxRatePerInstance": (int, float), "maxUtilization": (int, float)}
OUTLIER_DETECTION = {"baseEjectionTime": dict, "consecutiveErrors": int, "consecutiveGatewayFailure": int,
                     "enforcingConsecutiveErrors": int, "enforcingConsecutiveGatewayFailure": int,
                     "enforcingSuccessRate": int, "interval": dict, "maxEjectionPercent": int,
                     "successRateMinimumHosts": int, "successRateRequestVolume": int, "successRateStdevFactor": int}
CIRCUIT_BREAKERS = {"maxConnections": int, "maxPendingRequests": int, "maxRequests": int,
                    "maxRequestsPerConnection": int, "maxRetries": int}
CONNECTION_DRAINING = {"drainingTimeoutSec": int}
DURATION = {"seconds": int, "nanos": int}
URL_MAP = {"name": str, "description": str, "defaultService": str, "defaultRouteAction": dict, "hostRules": list,
           "pathMatchers": list, "headerAction": dict, "tests": list}
HOST_RULE = {"hosts": list, "pathMatcher": str, "description": str}
PATH_MATCHER = {"name": str, "description": str, "defaultService": str, "defaultRouteAction": dict,
                "routeRules": list, "pathRules": list, "headerAction": dict}
ROUTE_RULE = {"priority": int, "description": str, "matchRules": list, "service": str, "routeAction": dict,
              "headerAction": dict, "urlRedirect": dict}
MATCH_RULE = {"prefixMatch": str, "fullPathMatch": str, "regexMatch": str, "pathTemplateMatch": str,
              "headerMatches": list, "queryParameterMatches": list, "ignoreCase": bool, "metadataFilters": list}
HEADER_MATCH = {"headerName": str, "exactMatch": str, "prefixMatch": str, "suffixMatch": str, "regexMatch": str,
                "presentMatch": bool, "invertMatch": bool, "rangeMatch": dict}
ROUTE_ACTION = {"weightedBackendServices": list, "timeout": dict, "retryPolicy": dict, "urlRewrite": dict,
                "requestMirrorPolicy": dict, "faultInjectionPolicy": dict, "corsPolicy": dict, "maxStreamDuration": dict}
WEIGHTED_BACKEND_SERVICE = {"backendService": str, "weight": int, "headerAction": dict}
PATH_MATCH_KEYS = ("prefixMatch", "fullPathMatch", "regexMatch", "pathTemplateMatch")


def _fields(document, fields: dict, where: str, required=()) -> list:
    if not isinstance(document, dict):
        return [f"{where}: expected an object, got {type(document).__name__}"]
    problems = [f"{where}.{key}: unknown field (not in the API, or output only)" for key in document if key not in fields]
    for key, kind in fields.items():
        if key in document:
            value = document[key]
            if isinstance(value, bool) and kind is not bool:
                problems.append(f"{where}.{key}: expected {kind}, got a boolean")
            elif not isinstance(value, kind):
                problems.append(f"{where}.{key}: expected {kind}, got {type(value).__name__} {value!r}")
    problems += [f"{where}.{key}: required" for key in required if key not in document]
    return problems


def _range(problems: list, where: str, value, low, high):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
        problems.append(f"{where}: {value} is outside {low}..{high}")


def _enum(problems: list, where: str, value, allowed: set):
    if value is not None and value not in allowed:
        problems.append(f"{where}: {value!r} is not one of {sorted(allowed)}")


def _duration(document, where: str) -> list:
    problems = _fields(document, DURATION, where, required=("seconds",))
    if not problems:
        _range(problems, where + ".seconds", document["seconds"], 0, MAX_DURATION_S)
        _range(problems, where + ".nanos", document.get("nanos", 0), 0, 999999999)
    return problems


def backend_service_problems(document) -> list:
    """Every problem of one backend service in the import YAML form."""
    problems = _fields(document, BACKEND_SERVICE, "backendService", required=("name",))
    if problems and not isinstance(document, dict):
        return problems
    if isinstance(document.get("name"), str) and not NAME.match(document["name"]):
        problems.append(f"backendService.name: {document['name']!r} is not an RFC 1035 name of 1-63 characters")
    _enum(problems, "backendService.loadBalancingScheme", document.get("loadBalancingScheme"), LOAD_BALANCING_SCHEMES)
    _enum(problems, "backendService.protocol", document.get("protocol"), PROTOCOLS)
    _enum(problems, "backendService.localityLbPolicy", document.get("localityLbPolicy"), LOCALITY_LB_POLICIES)
    _enum(problems, "backendService.sessionAffinity", document.get("sessionAffinity"), SESSION_AFFINITIES)
    _range(problems, "backendService.timeoutSec", document.get("timeoutSec"), 1, 2147483647)
    checks = document.get("healthChecks", [])
    if len(checks) > 1:
        problems.append("backendService.healthChecks: at most one health check")
    problems += [f"backendService.healthChecks[{i}]: {url!r} is not a health check URL"
                 for i, url in enumerate(checks) if not (isinstance(url, str) and HEALTH_CHECK_URL.match(url))]
    groups = []
    for index, item in enumerate(document.get("backends", [])):
        where = f"backendService.backends[{index}]"
        found = _fields(item, BACKEND, where, required=("group",))
        problems += found
        if found and not isinstance(item, dict):
            continue
        group = item.get("group")
        if isinstance(group, str) and not GROUP.match(group):
            problems.append(f"{where}.group: {group!r} is not a fully-qualified instance group or NEG URL")
        groups.append(group)
        mode = item.get("balancingMode")
        _enum(problems, where + ".balancingMode", mode, BALANCING_MODES)
        scaler = item.get("capacityScaler", 1)
        if isinstance(scaler, (int, float)) and not (scaler == 0 or 0.1 <= scaler <= 1):
            problems.append(f"{where}.capacityScaler: {scaler} is neither 0 nor within 0.1..1")
        _range(problems, where + ".maxUtilization", item.get("maxUtilization"), 0, 1)
        if mode == "RATE":
            if not any(key in item for key in ("maxRate", "maxRatePerEndpoint", "maxRatePerInstance")):
                problems.append(f"{where}: balancingMode RATE needs maxRate, maxRatePerEndpoint or maxRatePerInstance")
            if "maxUtilization" in item:
                problems.append(f"{where}: maxUtilization is for balancingMode UTILIZATION, not RATE")
    if len(set(groups)) != len(groups):
        problems.append("backendService.backends: a group appears twice")
    if "connectionDraining" in document:
        found = _fields(document["connectionDraining"], CONNECTION_DRAINING, "backendService.connectionDraining")
        problems += found
        if not found:
            _range(problems, "backendService.connectionDraining.drainingTimeoutSec",
                   document["connectionDraining"].get("drainingTimeoutSec"), 0, 3600)
    if "outlierDetection" in document:
        outlier = document["outlierDetection"]
        where = "backendService.outlierDetection"
        found = _fields(outlier, OUTLIER_DETECTION, where)
        problems += found
        if not found:
            for key in ("interval", "baseEjectionTime"):
                if key in outlier:
                    problems += _duration(outlier[key], f"{where}.{key}")
            for key in ("enforcingConsecutiveErrors", "enforcingConsecutiveGatewayFailure", "enforcingSuccessRate",
                        "maxEjectionPercent"):
                _range(problems, f"{where}.{key}", outlier.get(key), 0, 100)
            _range(problems, f"{where}.consecutiveErrors", outlier.get("consecutiveErrors"), 1, 2147483647)
    if "circuitBreakers" in document:
        found = _fields(document["circuitBreakers"], CIRCUIT_BREAKERS, "backendService.circuitBreakers")
        problems += found
        if not found:
            for key, value in document["circuitBreakers"].items():
                _range(problems, f"backendService.circuitBreakers.{key}", value, 1, 2147483647)
    if document.get("loadBalancingScheme") == "INTERNAL_SELF_MANAGED" and document.get("protocol") in ("TCP", "UDP", "SSL"):
        problems.append("backendService.protocol: Traffic Director's URL maps route HTTP, HTTPS, HTTP2 and GRPC")
    return problems


def _route_action(action, where: str) -> list:
    problems = _fields(action, ROUTE_ACTION, where)
    if problems:
        return problems
    weighted = action.get("weightedBackendServices", [])
    for index, item in enumerate(weighted):
        here = f"{where}.weightedBackendServices[{index}]"
        found = _fields(item, WEIGHTED_BACKEND_SERVICE, here, required=("backendService", "weight"))
        problems += found
        if found:
            continue
        if not SERVICE_URL.match(item["backendService"]):
            problems.append(f"{here}.backendService: {item['backendService']!r} is not a backend service URL")
        _range(problems, here + ".weight", item["weight"], 0, MAX_WEIGHT)
    if weighted and not any(isinstance(item, dict) and item.get("weight") for item in weighted):
        problems.append(f"{where}.weightedBackendServices: at least one weight must be non-zero")
    services = [item.get("backendService") for item in weighted if isinstance(item, dict)]
    if len(set(services)) != len(services):
        problems.append(f"{where}.weightedBackendServices: a backend service appears twice")
    if "timeout" in action:
        problems += _duration(action["timeout"], where + ".timeout")
    return problems


def url_map_problems(document) -> list:
    """Every problem of one URL map in the import YAML form."""
    problems = _fields(document, URL_MAP, "urlMap", required=("name",))
    if problems and not isinstance(document, dict):
        return problems
    if isinstance(document.get("name"), str) and not NAME.match(document["name"]):
        problems.append(f"urlMap.name: {document['name']!r} is not an RFC 1035 name of 1-63 characters")
    if "defaultService" in document and not SERVICE_URL.match(str(document["defaultService"])):
        problems.append(f"urlMap.defaultService: {document['defaultService']!r} is not a backend service URL")
    matchers = document.get("pathMatchers", [])
    names = [matcher.get("name") for matcher in matchers if isinstance(matcher, dict)]
    if len(set(names)) != len(names):
        problems.append("urlMap.pathMatchers: a name appears twice")
    seen_hosts = set()
    for index, rule in enumerate(document.get("hostRules", [])):
        where = f"urlMap.hostRules[{index}]"
        found = _fields(rule, HOST_RULE, where, required=("hosts", "pathMatcher"))
        problems += found
        if found:
            continue
        if rule["pathMatcher"] not in names:
            problems.append(f"{where}.pathMatcher: {rule['pathMatcher']!r} names no path matcher")
        for host in rule["hosts"]:
            if host in seen_hosts:
                problems.append(f"{where}.hosts: {host!r} appears in more than one host rule")
            seen_hosts.add(host)
    for index, matcher in enumerate(matchers):
        where = f"urlMap.pathMatchers[{index}]"
        found = _fields(matcher, PATH_MATCHER, where, required=("name",))
        problems += found
        if found:
            continue
        if "defaultService" in matcher and not SERVICE_URL.match(str(matcher["defaultService"])):
            problems.append(f"{where}.defaultService: {matcher['defaultService']!r} is not a backend service URL")
        if "defaultService" not in matcher and "defaultRouteAction" not in matcher:
            problems.append(f"{where}: needs defaultService or defaultRouteAction")
        priorities = []
        for number, rule in enumerate(matcher.get("routeRules", [])):
            here = f"{where}.routeRules[{number}]"
            found = _fields(rule, ROUTE_RULE, here, required=("priority", "matchRules"))
            problems += found
            if found:
                continue
            priorities.append(rule["priority"])
            _range(problems, here + ".priority", rule["priority"], 0, MAX_PRIORITY)
            if ("service" in rule) == ("routeAction" in rule or "urlRedirect" in rule):
                problems.append(f"{here}: exactly one of service, routeAction (with weightedBackendServices) or "
                                "urlRedirect")
            if "service" in rule and not SERVICE_URL.match(str(rule["service"])):
                problems.append(f"{here}.service: {rule['service']!r} is not a backend service URL")
            if not rule["matchRules"]:
                problems.append(f"{here}.matchRules: at least one match rule")
            for m, match in enumerate(rule["matchRules"]):
                there = f"{here}.matchRules[{m}]"
                found = _fields(match, MATCH_RULE, there)
                problems += found
                if found:
                    continue
                if sum(key in match for key in PATH_MATCH_KEYS) != 1:
                    problems.append(f"{there}: exactly one of {', '.join(PATH_MATCH_KEYS)}")
                for h, header in enumerate(match.get("headerMatches", [])):
                    problems += _fields(header, HEADER_MATCH, f"{there}.headerMatches[{h}]", required=("headerName",))
            if "routeAction" in rule:
                problems += _route_action(rule["routeAction"], here + ".routeAction")
                if not rule["routeAction"].get("weightedBackendServices"):
                    problems.append(f"{here}.routeAction: no weightedBackendServices and no service: nowhere to send "
                                    "requests")
        if len(set(priorities)) != len(priorities):
            problems.append(f"{where}.routeRules: priorities must be unique")
    return problems


def weights(document) -> dict:
    """{backend service URL: weight} of the URL map's weighted route (the one with weightedBackendServices)."""
    (rule,) = [rule for matcher in document["pathMatchers"] for rule in matcher.get("routeRules", [])
               if "routeAction" in rule]
    return {item["backendService"]: item["weight"] for item in rule["routeAction"]["weightedBackendServices"]}

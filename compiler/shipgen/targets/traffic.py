"""Traffic-provider objects that must exist before a progressive controller can shift traffic.

Emits `networking.istio.io/v1` VirtualService and DestinationRule (targets-k8s.md §4.1, §4.2),
`gateway.networking.k8s.io/v1` HTTPRoute (§4.3, standard channel) and `networking.k8s.io/v1`
Ingress for ingress-nginx. Each builder takes the names of the Services that receive the stable
and the canary share, so any controller can reuse it; the controller then rewrites the weights
(Argo Rollouts, §2.3) — the emitted weights are the resting state: everything to stable.

Not emitted here: the SMI TrafficSplit. Argo Rollouts creates and owns it (and refuses a
TrafficSplit it does not own: "Rollout does not own TrafficSplit"), Flagger generates its own; a
static one would break both (§4.4).

Spec values only ever become data (hosts, names, durations); nothing is templated as text.
"""

from __future__ import annotations

from ..durations import go_duration
from ..model import Release
from .kubernetes.manifests import object_metadata

PRIMARY_ROUTE = "primary"  # the weighted route the controller rewrites
INGRESS_CLASS = "nginx"
NGINX_ANNOTATION = "nginx.ingress.kubernetes.io/"


def gateway_reference(release: Release) -> tuple:
    """`platform.traffic.gateway` (`namespace/name`, or `name` in the release's namespace) as
    (namespace, name); ("", "") when the spec names no gateway."""
    gateway = release.platform.traffic.gateway
    if not gateway:
        return "", ""
    namespace, _, name = gateway.rpartition("/")
    return namespace or release.namespace, name


def service_port(release: Release) -> int:
    return release.service.main_port.service_port


# ---------------------------------------------------------------------------- Istio


def virtual_service(release: Release, name: str, stable: str, canary: str | None) -> dict:
    """One HTTP route named `primary` with two destinations, stable (100) and canary (0): the
    host-level split Argo Rollouts expects (`trafficRouting.istio.virtualService.routes`); with
    no canary (a blue-green switch happens in the Service) a single destination. Applies to mesh
    traffic for `<name>` and, when the spec names an Istio Gateway, to the gateway's traffic for
    the spec's hosts too."""
    traffic = release.platform.traffic
    hosts = [release.name] + [host for host in traffic.hosts if host != release.name]
    spec = {"hosts": hosts}
    if traffic.gateway:
        spec["gateways"] = [traffic.gateway, "mesh"]  # listing a gateway drops the implicit `mesh`
    destinations = [_istio_destination(release, stable, 100)]
    if canary:
        destinations.append(_istio_destination(release, canary, 0))
    route = {"name": PRIMARY_ROUTE, "route": destinations}
    if traffic.timeout_s is not None:
        route["timeout"] = go_duration(traffic.timeout_s)
    retries = istio_retries(release)
    if retries is not None:
        route["retries"] = retries
    spec["http"] = [route]
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": object_metadata(release, name), "spec": spec}


def _istio_destination(release: Release, host: str, weight: int) -> dict:
    return {"destination": {"host": host, "port": {"number": service_port(release)}}, "weight": weight}


def istio_retries(release: Release) -> dict | None:
    retries = release.platform.traffic.retries
    if retries is None:
        return None
    result = {}
    if retries.attempts is not None:
        result["attempts"] = retries.attempts
    if retries.per_try_timeout_s is not None:
        result["perTryTimeout"] = go_duration(retries.per_try_timeout_s)
    if retries.on:
        result["retryOn"] = retries.on
    return result


def destination_rule(release: Release, host: str) -> dict:
    """Circuit breaking for the pods behind `host` (§4.2): outlier detection ejects an instance
    after `consecutiveErrors` 5xx in a row; the connection pool caps connections and queued
    requests (beyond them Envoy answers 503 at once)."""
    breaker = release.platform.traffic.circuit_breaker
    policy = {}
    pool = {}
    if breaker.max_connections is not None:
        pool["tcp"] = {"maxConnections": breaker.max_connections}
    if breaker.max_pending_requests is not None:
        pool["http"] = {"http1MaxPendingRequests": breaker.max_pending_requests}
    if pool:
        policy["connectionPool"] = pool
    policy["outlierDetection"] = {
        "consecutive5xxErrors": breaker.consecutive_errors,
        "baseEjectionTime": go_duration(breaker.ejection_time_s),
        "maxEjectionPercent": breaker.max_ejection_percent,
    }
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": object_metadata(release, host), "spec": {"host": host, "trafficPolicy": policy}}


# ---------------------------------------------------------------------------- Gateway API


def http_route(release: Release, name: str, stable: str, canary: str | None) -> dict:
    """One rule matching every path, with weighted backendRefs stable 100 / canary 0 (weights are
    relative; the Argo plugin writes percentages). The explicit `PathPrefix /` match matters: the
    Argo plugin builds its header routes by copying the rule's matches, so a rule without
    matches would turn a header route into a catch-all. The parent is the spec's Gateway, or —
    with no gateway (mesh routing, GAMMA) — the Service `<name>` that clients call."""
    traffic = release.platform.traffic
    namespace, gateway = gateway_reference(release)
    if gateway:
        parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
        if namespace != release.namespace:
            parent["namespace"] = namespace
    else:
        parent = {"group": "", "kind": "Service", "name": release.name, "port": service_port(release)}
    spec = {"parentRefs": [parent]}
    if gateway and traffic.hosts:
        spec["hostnames"] = list(traffic.hosts)
    rule = {
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [_backend(release, stable, 100)] + ([_backend(release, canary, 0)] if canary else []),
    }
    if traffic.timeout_s is not None:
        rule["timeouts"] = {"request": go_duration(traffic.timeout_s)}
    spec["rules"] = [rule]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": object_metadata(release, name), "spec": spec}


def _backend(release: Release, service: str, weight: int) -> dict:
    return {"group": "", "kind": "Service", "name": service, "port": service_port(release), "weight": weight}


# ---------------------------------------------------------------------------- NGINX Ingress


def ingress(release: Release, name: str, service: str) -> dict:
    """The stable Ingress (ingress-nginx): every path of the spec's hosts (or of any host when
    none is given) to `service`. A canary controller clones it into a canary Ingress."""
    traffic = release.platform.traffic
    metadata = object_metadata(release, name)
    if traffic.timeout_s is not None:
        seconds = str(max(1, traffic.timeout_s))
        metadata["annotations"] = dict(sorted({
            **metadata["annotations"],
            NGINX_ANNOTATION + "proxy-read-timeout": seconds,
            NGINX_ANNOTATION + "proxy-send-timeout": seconds,
        }.items()))
    paths = {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": service, "port": {"number": service_port(release)}}}}]}
    rules = [{"host": host, "http": paths} for host in traffic.hosts] or [{"http": paths}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata,
            "spec": {"ingressClassName": INGRESS_CLASS, "rules": rules}}

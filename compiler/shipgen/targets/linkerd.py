"""Linkerd: retries, timeouts and circuit breaking as the Linkerd proxy reads them.

Linkerd has no route or policy object for these: the client-side (outbound) proxy reads
annotations on the Service it calls, or on an HTTPRoute whose parent is that Service (a route's
annotations override the Service's). Shared by Flagger and Argo Rollouts on
`platform.traffic.provider: linkerd`; both route through a Gateway API HTTPRoute whose parent is
the Service `<name>` (GAMMA), never through SMI, whose linkerd-smi adaptor turns a TrafficSplit
into a ServiceProfile, and a ServiceProfile makes the proxy ignore every annotation below.
Semantics from Linkerd's reference pages "Retries", "Timeouts" and "Circuit Breaking" (Linkerd
2.16+ for retry and timeout annotations, 2.13+ for failure accrual):

| spec | annotation | Linkerd's rule |
|---|---|---|
| `retries.attempts` | `retry.linkerd.io/limit` | retries of one request (Linkerd's default 1); 0 = no retries |
| `retries.on` | `retry.linkerd.io/http` | response statuses retried: `5xx`, `gateway-error` (502-504), a code, or a range `500-504`; without it nothing is retried, so shipgen writes `gateway-error` |
| `retries.perTryTimeout` | `retry.linkerd.io/timeout` | each attempt's limit; a timed-out attempt is retried |
| `timeout` | `timeout.linkerd.io/request` (or an HTTPRoute's `timeouts.request`) | the whole request, retries included; not retried |
| `circuitBreaker.consecutiveErrors` | `balancer.linkerd.io/failure-accrual: consecutive` + `...-consecutive-max-failures` | an endpoint (pod) failing that many requests in a row is taken out of its load balancer |
| `circuitBreaker.ejectionTime` | `...-consecutive-min-penalty` (+ `...-max-penalty`) | the first time out; it grows exponentially, with jitter, to the max penalty, then the endpoint is probed with one request |

Linkerd has no cap on how many endpoints are taken out (Istio's `maxEjectionPercent`) and no
connection or queue limits (`maxConnections`, `maxPendingRequests`): `problems` refuses those.
Request bodies over 64 KiB are never retried.
"""

from __future__ import annotations

import re

from ..durations import go_duration
from ..model import Release

RETRY_HTTP = "retry.linkerd.io/http"
RETRY_LIMIT = "retry.linkerd.io/limit"
RETRY_TIMEOUT = "retry.linkerd.io/timeout"
REQUEST_TIMEOUT = "timeout.linkerd.io/request"
FAILURE_ACCRUAL = "balancer.linkerd.io/failure-accrual"
ACCRUAL_PREFIX = "balancer.linkerd.io/failure-accrual-consecutive-"
DEFAULT_RETRY_STATUSES = "gateway-error"
MAX_PENALTY_FLOOR_S = 60  # Linkerd's default max penalty (1m); shipgen never sets a shorter one
# one element of retry.linkerd.io/http: a class, a code, or a range of codes
RETRY_STATUS = re.compile(r"^(5xx|gateway-error|[1-5][0-9][0-9](-[1-5][0-9][0-9])?)$")
UNSUPPORTED_BREAKER_FIELDS = {
    "maxEjectionPercent": "Linkerd takes out every endpoint that trips, with no cap",
    "maxConnections": "Linkerd has no connection limit per endpoint",
    "maxPendingRequests": "Linkerd has no queue limit per endpoint",
}


def retry_statuses(on: str | None) -> str:
    """`retries.on` as Linkerd's list of retried statuses, without spaces."""
    return ",".join(part.strip() for part in on.split(",")) if on else DEFAULT_RETRY_STATUSES


def route_annotations(release: Release, timeout: bool) -> dict:
    """The retry (and, with `timeout`, request timeout) annotations for the Service or HTTPRoute
    clients call. `timeout=False` where the HTTPRoute itself carries `timeouts.request`."""
    traffic = release.platform.traffic
    annotations = {}
    retries = traffic.retries
    if retries is not None and retries.attempts != 0:
        annotations[RETRY_HTTP] = retry_statuses(retries.on)
        if retries.attempts is not None:
            annotations[RETRY_LIMIT] = str(retries.attempts)
        if retries.per_try_timeout_s is not None:
            annotations[RETRY_TIMEOUT] = go_duration(retries.per_try_timeout_s)
    if timeout and traffic.timeout_s is not None:
        annotations[REQUEST_TIMEOUT] = go_duration(traffic.timeout_s)
    return annotations


def max_penalty_s(release: Release) -> int:
    return max(MAX_PENALTY_FLOOR_S, release.platform.traffic.circuit_breaker.ejection_time_s)


def circuit_breaker_annotations(release: Release) -> dict:
    """Failure accrual on the Service clients call (read by their proxies' load balancers)."""
    breaker = release.platform.traffic.circuit_breaker
    if breaker is None:
        return {}
    return {
        FAILURE_ACCRUAL: "consecutive",
        ACCRUAL_PREFIX + "max-failures": str(breaker.consecutive_errors),
        ACCRUAL_PREFIX + "min-penalty": go_duration(breaker.ejection_time_s),
        ACCRUAL_PREFIX + "max-penalty": go_duration(max_penalty_s(release)),
    }


def with_annotations(document: dict, annotations: dict) -> dict:
    """The Kubernetes object with these annotations added (sorted, as object_metadata sorts)."""
    if not annotations:
        return document
    metadata = dict(document["metadata"])
    metadata["annotations"] = dict(sorted({**metadata.get("annotations", {}), **annotations}.items()))
    return {**document, "metadata": metadata}


def problems(raw_traffic: dict) -> list:
    """What Linkerd cannot do as the spec's `platform.traffic` asks: (path below platform.traffic,
    message, fix) for each, for the controllers' checks to report as located errors."""
    found = []
    on = (raw_traffic.get("retries") or {}).get("on")
    if isinstance(on, str):
        wrong = [part.strip() for part in on.split(",") if not RETRY_STATUS.match(part.strip())]
        if wrong:
            found.append((("retries", "on"), f"Linkerd retries on response statuses only, and "
                          f"{', '.join(wrong)} is not one (5xx, gateway-error, a code such as 503, or a range "
                          "such as 500-504)", "list response statuses, e.g. `5xx` or `gateway-error` (connection failures are "
                          "not a retry condition in Linkerd)"))
    breaker = raw_traffic.get("circuitBreaker") or {}
    for key, why in UNSUPPORTED_BREAKER_FIELDS.items():
        if key in breaker:
            found.append((("circuitBreaker", key), f"{why}, so circuitBreaker.{key} cannot be honoured",
                          f"remove circuitBreaker.{key}, or use provider istio"))
    return found


def runbook_notes(release: Release, timeout_annotation: bool) -> list:
    """Sentences for the runbook's notes: what the proxies do besides splitting traffic.
    `timeout_annotation` as for `route_annotations`."""
    traffic = release.platform.traffic
    notes = []
    retries = traffic.retries
    if retries is not None and retries.attempts != 0:
        limit = retries.attempts if retries.attempts is not None else 1
        times = "once" if limit == 1 else f"up to {limit} times"
        notes.append(f"Linkerd: the callers' proxies retry a request {times} when it answers "
                     f"{retry_statuses(retries.on)} (annotation {RETRY_HTTP}; bodies over 64 KiB are never "
                     "retried). Each failed attempt still counts in the new version's own (inbound) metrics, "
                     "so retries do not hide its errors from the gates; callers see fewer of them.")
    if timeout_annotation and traffic.timeout_s is not None:
        notes.append(f"Linkerd: the callers' proxies end a request after {go_duration(traffic.timeout_s)} "
                     f"(annotation {REQUEST_TIMEOUT}, on Service {release.name}); such a timeout is not retried.")
    breaker = traffic.circuit_breaker
    if breaker is not None:
        notes.append(f"Linkerd circuit breaking: a pod that fails {breaker.consecutive_errors} requests in a row is "
                     f"taken out of the callers' load balancers for about {go_duration(breaker.ejection_time_s)}, "
                     f"growing exponentially (with jitter) up to {go_duration(max_penalty_s(release))} while it keeps failing "
                     "(annotations on Service " + release.name + "). There is no cap: when every pod of a "
                     "version trips, the callers' proxies fail its share of requests at once with 503; the gates, "
                     "which read the pods' own metrics, still see the failing answers.")
    if route_annotations(release, timeout_annotation) or breaker is not None:
        notes.append("These Linkerd settings need Linkerd 2.16 or newer, and no ServiceProfile for Service "
                     f"{release.name}: with one, the proxies ignore the annotations.")
    return notes

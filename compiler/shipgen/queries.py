"""Gate queries: the PromQL behind built-in gates, per traffic provider, and the
substitution of `{{service}}`, `{{namespace}}` and `{{window}}` in users' own queries.

Built-in queries exist for Prometheus only; other providers need the spec's own query
(normalize enforces it). Each built-in query returns one number, as a one-element instant
vector: a ratio of 5xx responses (0-1) or a latency percentile in milliseconds. A window
without requests gives an empty result (or NaN): "no data", never a false 0; a window with
requests and no errors gives 0 (the numerator falls back to `vector(0)`).

Which pods a query judges (targets-k8s.md §5, "PDB/queries select the pods that serve"):
* `service=` names the Kubernetes Service through which the judged pods get their traffic
  (Argo Rollouts: `<name>-canary`, `<name>-preview`, the stable/active `<name>`; Flagger:
  `<name>-canary`, `<name>-primary`). Every provider can select by Service: Istio by
  `destination_service_name`, Linkerd/SMI by the client proxies' outbound `dst_service`, NGINX by
  the ingress metrics' `service` label, Gateway API by the Envoy cluster of that backend Service,
  plain Kubernetes by the `service` target label of the application's own metrics.
* `workload=` names the workload (Deployment) that owns the judged pods, for controllers whose
  versions are separate Deployments (Flagger's `<name>` and `<name>-primary`). Istio selects by
  `destination_workload`, Linkerd by the inbound `deployment` label; providers whose metrics carry
  no workload label (NGINX, Gateway API, Kubernetes) read it as a Service name. An Argo Rollout's
  versions share one workload name (Istio >= 1.22 reports the Rollout's name for every
  ReplicaSet), so Argo always passes `service=`.
* neither: the release's own name.

Per provider (Prometheus metric names as each project exports them):
* istio: `istio_requests_total`, `istio_request_duration_milliseconds_bucket` (no `reporter`
  filter: a request seen by both proxies is counted twice, which leaves ratios and percentiles
  unchanged, and requests from outside the mesh, such as a load test, are still seen).
* linkerd and smi (SMI's live implementation is Linkerd's): `response_total`,
  `response_latency_ms_bucket`.
* nginx (ingress-nginx): `nginx_ingress_controller_requests`,
  `nginx_ingress_controller_request_duration_seconds_bucket`. A canary Ingress is merged into the
  stable Ingress's location, so the requests it diverts keep the stable `ingress` and `service`
  labels and only `canary` (the upstream `<namespace>-<service>-<port>`) names the Service that
  answered them (kubernetes/ingress-nginx#7696); a query for a Service adds both.
* gateway-api: Envoy cluster statistics named `<namespace>_<service>_<port>` as Contour names
  them (the same series Flagger's Gateway API observer reads); other implementations need a query.
* kubernetes: the application's `http_requests_total` / `http_request_duration_seconds_bucket`,
  scraped through a ServiceMonitor (target labels `namespace`, `service`).
"""

from __future__ import annotations

from typing import NamedTuple

from .durations import prometheus_duration
from .model import Gate, Release


def gate_query(release: Release, gate: Gate, workload: str | None = None, service: str | None = None) -> str:
    window = prometheus_duration(gate.window_s)
    if gate.query is not None:
        return substitute(gate.query, release, window, service or workload)
    if release.platform.kind == "vm":  # HAProxy's exporter, or the application's metrics behind nginx
        return _vm_query(release, gate, service or f"{release.name}-{release.platform.vm.new}", window)
    builder = BUILT_IN[release.platform.traffic.provider][gate.metric]
    port = release.service.main_port.service_port if release.service.main_port else None
    target = Target(release.namespace, service=service, workload=None if service else (workload or release.name),
                    port=port)
    return builder(target, window, gate.percentile / 100)


def substitute(query: str, release: Release, window: str, workload: str | None = None) -> str:
    return (query.replace("{{service}}", workload or release.name)
            .replace("{{namespace}}", release.namespace)
            .replace("{{window}}", window))


class Target(NamedTuple):
    """The pods a query judges: by Service when `service` is set, else by workload name."""

    namespace: str
    service: str | None = None
    workload: str | None = None
    port: int | None = None  # the Service port the release's Ingress backends name

    @property
    def service_name(self) -> str:
        """For providers whose metrics only know Services."""
        return self.service or self.workload


def _label(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _selector(*pairs) -> str:
    return ", ".join(f"{name}{operator}{value}" for name, operator, value in pairs)


def _error_ratio(metric: str, selector: str, status: str, window: str) -> str:
    """5xx responses over all responses; 0 when there are requests and no errors, empty or NaN
    when there are no requests."""
    return (f"(sum(rate({metric}{{{selector}, {status}}}[{window}])) or vector(0)) / "
            f"sum(rate({metric}{{{selector}}}[{window}]))")


def _percentile(bucket: str, selector: str, window: str, quantile: float, scale: str = "") -> str:
    return f"histogram_quantile({quantile:g}, sum by (le) (rate({bucket}{{{selector}}}[{window}]))){scale}"


# ---------------------------------------------------------------------------- kubernetes (application metrics)


def _app_selector(target: Target) -> str:
    return _selector(("namespace", "=", _label(target.namespace)), ("service", "=", _label(target.service_name)))


def _app_error_rate(target: Target, window: str, quantile: float) -> str:
    return _error_ratio("http_requests_total", _app_selector(target), 'code=~"5.."', window)


def _app_latency(target: Target, window: str, quantile: float) -> str:
    return _percentile("http_request_duration_seconds_bucket", _app_selector(target), window, quantile, " * 1000")


# ---------------------------------------------------------------------------- istio


def _istio_selector(target: Target) -> str:
    if target.service:
        return _selector(("destination_service_namespace", "=", _label(target.namespace)),
                         ("destination_service_name", "=", _label(target.service)))
    return _selector(("destination_workload_namespace", "=", _label(target.namespace)),
                     ("destination_workload", "=", _label(target.workload)))


def _istio_error_rate(target: Target, window: str, quantile: float) -> str:
    return _error_ratio("istio_requests_total", _istio_selector(target), 'response_code=~"5.."', window)


def _istio_latency(target: Target, window: str, quantile: float) -> str:
    return _percentile("istio_request_duration_milliseconds_bucket", _istio_selector(target), window, quantile)


# ---------------------------------------------------------------------------- linkerd (and SMI through Linkerd)


def _linkerd_selector(target: Target) -> str:
    if target.service:  # what the clients' proxies sent to that Service's endpoints
        return _selector(("direction", "=", '"outbound"'), ("dst_namespace", "=", _label(target.namespace)),
                         ("dst_service", "=", _label(target.service)))
    return _selector(("direction", "=", '"inbound"'), ("namespace", "=", _label(target.namespace)),
                     ("deployment", "=", _label(target.workload)))


def _linkerd_error_rate(target: Target, window: str, quantile: float) -> str:
    return _error_ratio("response_total", _linkerd_selector(target), 'status_code=~"5.."', window)


def _linkerd_latency(target: Target, window: str, quantile: float) -> str:
    return _percentile("response_latency_ms_bucket", _linkerd_selector(target), window, quantile)


# ---------------------------------------------------------------------------- nginx (ingress-nginx)


def _nginx_rate(metric: str, target: Target, window: str, *matchers) -> str:
    """rate() of the requests the Service answered through ingress-nginx: as an Ingress's own
    backend (`service`, no canary upstream: `canary` empty or "-"), or as the backend of a canary
    Ingress (`canary` = its upstream `<namespace>-<service>-<port>`)."""
    namespace = ("namespace", "=", _label(target.namespace))
    own = _selector(namespace, ("service", "=", _label(target.service_name)), ("canary", "=~", '"-?"'), *matchers)
    upstream = f"{target.namespace}-{target.service_name}-"
    diverted = _selector(namespace, ("canary", "=", _label(f"{upstream}{target.port}")) if target.port else
                         ("canary", "=~", _label(f"{upstream}[0-9]+")), *matchers)
    return f"rate({metric}{{{own}}}[{window}]) or rate({metric}{{{diverted}}}[{window}])"


def _nginx_error_rate(target: Target, window: str, quantile: float) -> str:
    metric = "nginx_ingress_controller_requests"
    errors = _nginx_rate(metric, target, window, ("status", "=~", '"5.."'))
    return f"(sum({errors}) or vector(0)) / sum({_nginx_rate(metric, target, window)})"


def _nginx_latency(target: Target, window: str, quantile: float) -> str:
    buckets = _nginx_rate("nginx_ingress_controller_request_duration_seconds_bucket", target, window)
    return f"histogram_quantile({quantile:g}, sum by (le) ({buckets})) * 1000"


# ---------------------------------------------------------------------------- gateway-api (Envoy, Contour naming)


def _envoy_selector(target: Target) -> str:
    # Kubernetes names are DNS labels, so they carry no regular-expression characters.
    cluster = f"{target.namespace}_{target.service_name}_[0-9a-zA-Z-]+"
    return _selector(("envoy_cluster_name", "=~", _label(cluster)))


def _envoy_error_rate(target: Target, window: str, quantile: float) -> str:
    return _error_ratio("envoy_cluster_upstream_rq", _envoy_selector(target), 'envoy_response_code=~"5.."', window)


def _envoy_latency(target: Target, window: str, quantile: float) -> str:
    return _percentile("envoy_cluster_upstream_rq_time_bucket", _envoy_selector(target), window, quantile)


_LINKERD = {"error-rate": _linkerd_error_rate, "latency": _linkerd_latency}

BUILT_IN = {
    "kubernetes": {"error-rate": _app_error_rate, "latency": _app_latency},
    "istio": {"error-rate": _istio_error_rate, "latency": _istio_latency},
    "linkerd": _LINKERD,
    "smi": _LINKERD,
    "nginx": {"error-rate": _nginx_error_rate, "latency": _nginx_latency},
    "gateway-api": {"error-rate": _envoy_error_rate, "latency": _envoy_latency},
}


# ---------------------------------------------------------------------------- virtual machines (platform.kind vm)


def _vm_query(release: Release, gate: Gate, service: str, window: str) -> str:
    """A built-in gate judging one colour of a vm release; `service` is `<name>-<colour>`.

    - haproxy: HAProxy's own Prometheus exporter (`http-request use-service prometheus-exporter`,
      built into HAProxy 2.4+), per server `haproxy_server_http_responses_total{proxy, server,
      code="5xx"}`. HAProxy exports no latency histogram, so a latency gate reads
      `haproxy_server_response_time_average_seconds` (each server's average over its last 1024
      responses), the slowest instance of the colour: an average, not the spec's percentile.
    - nginx: open-source nginx exports no per-upstream metrics, so the gates read the application's
      own metrics, scraped with the target labels `namespace` and `service="<name>-<colour>"`.
    """
    vm = release.platform.vm
    if vm.load_balancer == "nginx":
        return BUILT_IN["kubernetes"][gate.metric](Target(release.namespace, service=service), window,
                                                   gate.percentile / 100)
    colour = service.rsplit("-", 1)[1]
    selector = _selector(("proxy", "=", _label(vm.backend)), ("server", "=~", _label(f"{colour}-[0-9]+")))
    if gate.metric == "error-rate":
        return _error_ratio("haproxy_server_http_responses_total", selector, 'code="5xx"', window)
    return f"max(haproxy_server_response_time_average_seconds{{{selector}}}) * 1000"


def threshold_text(gate: Gate) -> str:
    unit = " ms" if gate.metric == "latency" else ""
    parts = []
    if gate.min is not None:
        parts.append(f"at least {gate.min:g}{unit}")
    if gate.max is not None:
        parts.append(f"at most {gate.max:g}{unit}")
    return " and ".join(parts) or "no threshold"

"""Gate queries: the PromQL behind built-in gates, per traffic provider, and the
substitution of `{{service}}`, `{{namespace}}` and `{{window}}` in users' own queries.

Built-in queries exist for Prometheus only; other providers need the spec's own query
(normalize enforces it). Each built-in query selects the pods that serve traffic, named by
`workload` (Flagger's `<name>-primary` for instance), and returns one number: a ratio of 5xx
responses (0-1) or a latency percentile in milliseconds.
"""

from __future__ import annotations

from .durations import prometheus_duration
from .model import Gate, Release


def gate_query(release: Release, gate: Gate, workload: str | None = None) -> str:
    window = prometheus_duration(gate.window_s)
    if gate.query is not None:
        return substitute(gate.query, release, window, workload)
    builder = BUILT_IN[release.platform.traffic.provider][gate.metric]
    return builder(release.namespace, workload or release.name, window, gate.percentile / 100)


def substitute(query: str, release: Release, window: str, workload: str | None = None) -> str:
    return (query.replace("{{service}}", workload or release.name)
            .replace("{{namespace}}", release.namespace)
            .replace("{{window}}", window))


def _label(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ratio(total: str, failed: str) -> str:
    return f"sum(rate({failed})) / sum(rate({total}))"


# Application metrics, as most HTTP libraries export them and a ServiceMonitor scrapes them
# (target labels `namespace` and `service`): used when no mesh or ingress measures requests.
def _app_error_rate(namespace, workload, window, quantile):
    selector = f"namespace={_label(namespace)}, service={_label(workload)}"
    return (f'sum(rate(http_requests_total{{{selector}, code=~"5.."}}[{window}])) / '
            f"sum(rate(http_requests_total{{{selector}}}[{window}]))")


def _app_latency(namespace, workload, window, quantile):
    selector = f"namespace={_label(namespace)}, service={_label(workload)}"
    return (f"histogram_quantile({quantile:g}, sum by (le) (rate(http_request_duration_seconds_bucket"
            f"{{{selector}}}[{window}]))) * 1000")


BUILT_IN = {
    "kubernetes": {"error-rate": _app_error_rate, "latency": _app_latency},
}

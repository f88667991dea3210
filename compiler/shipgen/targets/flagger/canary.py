"""Flagger: the progressive-delivery target for `platform.controller: flagger`.

Emits, under `flagger/`: the target `apps/v1` Deployment (the canary; Flagger clones it into
`<name>-primary`), an `autoscaling/v2` HorizontalPodAutoscaler (referenced by `autoscalerRef`), a
`policy/v1` PodDisruptionBudget selecting the **primary** pods (Flagger relabels them
`app.kubernetes.io/name: <name>-primary`, targets-k8s.md §1.1), a `flagger.app/v1beta1` Canary,
one MetricTemplate per gate Flagger has no built-in for, AlertProviders for the spec's
notifications, and for NGINX the `networking.k8s.io/v1` Ingress Flagger clones. No Service: Flagger
generates `<name>`, `<name>-primary` and `<name>-canary` itself. Follows targets-k8s.md §1 (Flagger
v1.44), §3.4 and §5; what is refused is in `checks.py`, the webhooks in `hooks.py`.

Mapping decisions:
* `threshold = rollback.maxFailedChecks + 1`: the spec tolerates N failed checks and rolls back on
  the next; Flagger rolls back once its cumulative count reaches `threshold` (§1.3, §7.1).
* Canary weights: equal steps become `stepWeight` + `maxWeight` (ending exactly on the last
  weight, so Flagger's overshoot cannot happen), anything else `stepWeights` (§7.3). Every step
  lasts one `interval`.
* `stepWeightPromotion` only with an autoscaler: the primary's autoscaler may have shrunk while the
  canary took traffic, so traffic returns to it in steps no larger than the largest step the canary
  took; without one the primary keeps its full size and takes the traffic back at once.
* Blue/green: `iterations`; A/B: `iterations` + `match` (cookies as a regex on the `cookie`
  header; for NGINX, whose router reads `cookie.exact` as the canary-by-cookie name, the name);
  shadow: blue/green iterations with `mirror` (+ `mirrorWeight` on Istio), so no user is served
  by the new version before promotion.
* Linkerd: Flagger's Gateway API router with the apex Service `<name>` as the HTTPRoute's parent
  (GAMMA), not the SMI TrafficSplit of its `linkerd` provider, whose linkerd-smi adaptor writes a
  ServiceProfile that makes Linkerd ignore the retry, timeout and failure-accrual annotations
  (`targets/linkerd.py`) shipgen puts on the apex Service (`service.apex.annotations`).
* Gates: error rate at most `max` (0-1) -> built-in `request-success-rate` with
  `thresholdRange.min = (1 - max) * 100` where Flagger's built-ins observe the provider's metrics
  (Istio, NGINX); p99 latency -> built-in `request-duration` (ms) where that is a p99
  (Istio; NGINX's is a mean). Every other gate
  (other percentiles, other providers, custom queries, Datadog/CloudWatch/New Relic) becomes a
  MetricTemplate whose query selects the canary workload; `window` is the metric's `interval`.
"""

from __future__ import annotations

from decimal import Decimal

from ...artifacts import YAML_DOCUMENTS, Artifact
from ...model import Release
from ..kubernetes import manifests as kubernetes
from .. import linkerd
from .hooks import webhooks
from .checks import (MIRROR_WEIGHT, analysed_gates, flagger_duration,
                            flagger_provider, uses_builtin, weight_plan)

NAME = "flagger"
API_VERSION = "flagger.app/v1beta1"
FOLDER = "flagger"
PROMETHEUS_ADDRESS = {"istio": "http://prometheus.istio-system:9090",
                      "linkerd": "http://prometheus.linkerd-viz:9090"}
DEFAULT_PROMETHEUS_ADDRESS = "http://prometheus.monitoring:9090"
PROVIDER_SECRETS = {"datadog": ("datadog_api_key", "datadog_application_key"),
                    "newrelic": ("newrelic_account_id", "newrelic_query_key")}
PROVIDER_NAMES = {"istio": "Istio", "gateway-api": "Gateway API", "linkerd": "Linkerd", "smi": "SMI",
                  "nginx": "NGINX Ingress", "kubernetes": "Kubernetes Services (no traffic router)"}


def render(release: Release, facts) -> list:
    artifacts = [Artifact(f"{FOLDER}/deployment.yaml", kubernetes.deployment(release))]
    if release.service.autoscaling:
        artifacts.append(Artifact(f"{FOLDER}/horizontalpodautoscaler.yaml", kubernetes.horizontal_pod_autoscaler(
            release, "apps/v1", "Deployment", release.name)))
    artifacts.append(Artifact(f"{FOLDER}/poddisruptionbudget.yaml", kubernetes.pod_disruption_budget(
        release, primary_name(release), primary_selector(release))))
    if release.platform.traffic.provider == "nginx":
        artifacts.append(Artifact(f"{FOLDER}/ingress.yaml", ingress(release)))
    templates = metric_templates(release)
    if templates:
        artifacts.append(Artifact(f"{FOLDER}/metrictemplates.yaml", templates, YAML_DOCUMENTS))
    providers = alert_providers(release)
    if providers:
        artifacts.append(Artifact(f"{FOLDER}/alertproviders.yaml", providers, YAML_DOCUMENTS))
    artifacts.append(Artifact(f"{FOLDER}/canary.yaml", canary(release)))
    return artifacts


# ---------------------------------------------------------------------------- names Flagger uses


def primary_name(release: Release) -> str:
    return f"{release.name}-primary"


def primary_selector(release: Release) -> dict:
    """The labels of the pods that serve users: Flagger rewrites the target's selector label
    (`app.kubernetes.io/name`, the only one shipgen puts in the selector) to `<name>-primary`."""
    return {kubernetes.NAME_LABEL: primary_name(release)}


def gate_query_target(release: Release) -> dict:
    """How a gate query (`queries.gate_query` keywords) selects the new version's pods during the
    analysis. Where the provider's metrics know workloads (Istio, Linkerd and SMI through Linkerd),
    the target Deployment `<name>`: every request its pods answer counts, the load test's included.
    Elsewhere the Service Flagger routes the new version's share through, `<name>-canary` (NGINX and
    Gateway API backends, the application's own metrics for `kubernetes`). The runbook shows these
    queries too."""
    if release.platform.traffic.provider in ("istio", "linkerd", "smi"):
        return {"workload": release.name}
    return {"service": f"{release.name}-canary"}


def serving_query_target(release: Release) -> dict:
    """How a query selects the pods that serve users between releases (for alerts and dashboards):
    `<name>-primary`, or for NGINX the apex Service `<name>` its Ingress sends users to."""
    provider = release.platform.traffic.provider
    if provider in ("istio", "linkerd", "smi"):
        return {"workload": primary_name(release)}
    return {"service": release.name if provider == "nginx" else primary_name(release)}


def smoke_host(release: Release) -> str:
    """Where the runbook's smoke tests reach the new version: the `<name>-canary` Service."""
    return f"{release.name}-canary.{release.namespace}.svc.cluster.local"


# ---------------------------------------------------------------------------- the Canary


def threshold(release: Release) -> int:
    return release.rollback.max_failed_checks + 1


def canary(release: Release) -> dict:
    spec = {
        "provider": flagger_provider(release),
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": release.name},
    }
    if release.platform.traffic.provider == "nginx":
        spec["ingressRef"] = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": release.name}
    if release.service.autoscaling:
        spec["autoscalerRef"] = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                 "name": release.name}
    spec["progressDeadlineSeconds"] = kubernetes.progress_deadline_s(release)
    spec["service"] = canary_service(release)
    spec["analysis"] = analysis(release)
    return {"apiVersion": API_VERSION, "kind": "Canary", "metadata": kubernetes.object_metadata(release, release.name),
            "spec": spec}


def canary_service(release: Release) -> dict:
    port = release.service.main_port
    traffic = release.platform.traffic
    service = {"port": port.service_port, "targetPort": port.name, "portName": port.name}
    if port.protocol in kubernetes.APP_PROTOCOLS:
        service["appProtocol"] = kubernetes.APP_PROTOCOLS[port.protocol]
    if len(release.service.ports) > 1:
        service["portDiscovery"] = True
    if traffic.provider == "istio":
        if traffic.gateway:  # listing a gateway drops in-mesh routing unless `mesh` is listed too (§1.2)
            service["gateways"] = [traffic.gateway, "mesh"]
        if traffic.hosts:
            service["hosts"] = list(traffic.hosts)
    if traffic.provider == "gateway-api":
        service["gatewayRefs"] = [gateway_ref(release, traffic.gateway)]
        if traffic.hosts:
            service["hosts"] = list(traffic.hosts)
    if traffic.provider == "linkerd":
        service["gatewayRefs"] = [mesh_service_ref(release)]
        annotations = {**linkerd.route_annotations(release, timeout=True), **linkerd.circuit_breaker_annotations(release)}
        if annotations:
            service["apex"] = {"annotations": dict(sorted(annotations.items()))}
        return service
    if traffic.timeout_s is not None and traffic.provider in ("istio", "gateway-api"):
        service["timeout"] = flagger_duration(traffic.timeout_s)
    if traffic.retries is not None:
        service["retries"] = retries(traffic.retries)
    if traffic.circuit_breaker is not None:
        service["trafficPolicy"] = traffic_policy(traffic.circuit_breaker)
    return service


def mesh_service_ref(release: Release) -> dict:
    """Linkerd through Flagger's Gateway API router (GAMMA): the HTTPRoute's parent is the apex
    Service `<name>` that clients call, not a Gateway (Flagger's Linkerd guide)."""
    return {"name": release.name, "namespace": release.namespace, "group": "core", "kind": "Service",
            "port": release.service.main_port.service_port}


def gateway_ref(release: Release, gateway: str) -> dict:
    namespace, _, name = gateway.rpartition("/")
    return {"name": name, "namespace": namespace or release.namespace}


def retries(spec) -> dict:
    result = {}
    if spec.attempts is not None:
        result["attempts"] = spec.attempts
    if spec.per_try_timeout_s is not None:
        result["perTryTimeout"] = flagger_duration(spec.per_try_timeout_s)
    if spec.on:
        result["retryOn"] = spec.on
    return result


def traffic_policy(breaker) -> dict:
    policy = {}
    if breaker.max_pending_requests is not None:
        policy["connectionPool"] = {"http": {"http1MaxPendingRequests": breaker.max_pending_requests}}
    policy["outlierDetection"] = {"consecutive5xxErrors": breaker.consecutive_errors,
                                  "baseEjectionTime": flagger_duration(breaker.ejection_time_s),
                                  "maxEjectionPercent": breaker.max_ejection_percent}
    return policy


def analysis(release: Release) -> dict:
    strategy = release.strategy
    result = {"interval": flagger_duration(strategy.interval_s), "threshold": threshold(release)}
    if strategy.type == "canary":
        result.update(weight_plan(canary_weights(release)))
        promotion_step = step_weight_promotion(release)
        if promotion_step:
            result["stepWeightPromotion"] = promotion_step
    else:
        result["iterations"] = strategy.iterations
    if strategy.type == "ab-test":
        provider = release.platform.traffic.provider
        result["match"] = [match_entry(conditions, provider) for conditions in strategy.match]
    if strategy.type == "shadow":
        result["mirror"] = True
        if release.platform.traffic.provider in MIRROR_WEIGHT:
            result["mirrorWeight"] = strategy.mirror_percent
    gates = metrics(release)
    if gates:
        result["metrics"] = gates
    result["webhooks"] = webhooks(release)
    alerts = analysis_alerts(release)
    if alerts:
        result["alerts"] = alerts
    return result


def canary_weights(release: Release) -> tuple:
    return tuple(step.weight for step in release.strategy.steps)


def step_weight_promotion(release: Release) -> int:
    """The largest single increase the canary took, when an autoscaler may have shrunk the primary; else 0."""
    if release.service.autoscaling is None:
        return 0
    weights = (0,) + canary_weights(release)
    return max(after - before for before, after in zip(weights, weights[1:]))


def match_entry(conditions: tuple, provider: str = "istio") -> dict:
    """One A/B alternative: all its conditions hold (Flagger header matches, AND within an entry).
    Flagger's NGINX router reads a `cookie` entry's `exact` as the canary-by-cookie NAME (the
    request goes to the canary when that cookie is `always`, which checks.py requires)."""
    headers = {}
    for match in conditions:
        if match.source == "header":
            headers[match.name.lower()] = {"exact": match.exact} if match.exact is not None else {"regex": match.regex}
        elif provider == "nginx":
            headers["cookie"] = {"exact": match.name}
        else:
            headers["cookie"] = {"regex": cookie_regex(match)}
    return {"headers": headers}


def cookie_regex(match) -> str:
    """A regex on the whole Cookie header (`a=1; name=value; b=2`) matching one cookie's value."""
    import re

    # an anchored value regex is embedded without its anchors (they would never match mid-header)
    value = re.escape(match.exact) if match.exact is not None else \
        f"(?:{match.regex.removeprefix('^').removesuffix('$')})"
    return f"^(.*?;\\s*)?({re.escape(match.name)}={value})(;.*)?$"


# ---------------------------------------------------------------------------- metrics


def success_rate_min(error_rate_max) -> object:
    """An error ratio ceiling (0-1) as Flagger's success-rate floor in percent, exactly."""
    value = (Decimal(1) - Decimal(str(error_rate_max))) * 100
    return int(value) if value == value.to_integral_value() else float(value)


def metrics(release: Release) -> list:
    result = []
    for gate in analysed_gates(release):
        builtin = uses_builtin(release, gate)
        if builtin == "request-success-rate":
            entry = {"name": builtin, "thresholdRange": {"min": success_rate_min(gate.max)}}
        elif builtin == "request-duration":
            entry = {"name": builtin, "thresholdRange": {"max": gate.max}}
        else:
            entry = {"name": gate.name,
                     "templateRef": {"name": template_name(release, gate), "namespace": release.namespace},
                     "thresholdRange": threshold_range(gate)}
        entry["interval"] = flagger_duration(gate.window_s)
        result.append(entry)
    return result


def threshold_range(gate) -> dict:
    bounds = {}
    if gate.min is not None:
        bounds["min"] = gate.min
    if gate.max is not None:
        bounds["max"] = gate.max
    return bounds


def template_name(release: Release, gate) -> str:
    return f"{release.name}-{gate.name}"


def templated_gates(release: Release) -> tuple:
    return tuple(gate for gate in analysed_gates(release) if not uses_builtin(release, gate))


def template_query(release: Release, gate) -> str:
    """The gate's query on the canary workload, with Go template actions (`{{`) kept literal."""
    from ...queries import gate_query

    return gate_query(release, gate, **gate_query_target(release)).replace("{{", '{{ "{{" }}')


def metric_provider(release: Release, gate) -> dict:
    provider = {"type": gate.provider}
    if gate.provider == "prometheus":
        provider["address"] = gate.address or PROMETHEUS_ADDRESS.get(release.platform.traffic.provider,
                                                                     DEFAULT_PROMETHEUS_ADDRESS)
    elif gate.address:
        provider["address"] = gate.address
    if gate.provider == "cloudwatch":
        provider["region"] = dict(release.platform.aws)["region"]
    if gate.provider in PROVIDER_SECRETS:
        provider["secretRef"] = {"name": f"{release.name}-{gate.provider}"}
    return provider


def metric_templates(release: Release) -> list:
    return [{"apiVersion": API_VERSION, "kind": "MetricTemplate",
             "metadata": kubernetes.object_metadata(release, template_name(release, gate)),
             "spec": {"provider": metric_provider(release, gate), "query": template_query(release, gate)}}
            for gate in templated_gates(release)]


# ---------------------------------------------------------------------------- alerts and the Ingress


def alert_channels(release: Release) -> list:
    """(kind, AlertProvider name, channel) for each chat the spec notifies."""
    channels = []
    if release.notify.slack:
        channels.append(("slack", f"{release.name}-slack", release.notify.slack.lstrip("#")))
    if release.notify.msteams:
        channels.append(("msteams", f"{release.name}-msteams", release.notify.msteams))
    return channels


def alert_providers(release: Release) -> list:
    providers = []
    for kind, name, channel in alert_channels(release):
        spec = {"type": kind}
        if kind == "slack":
            spec.update({"channel": channel, "username": "flagger"})
        spec["secretRef"] = {"name": name}  # the Secret's `address` holds the webhook URL
        providers.append({"apiVersion": API_VERSION, "kind": "AlertProvider",
                          "metadata": kubernetes.object_metadata(release, name), "spec": spec})
    return providers


def analysis_alerts(release: Release) -> list:
    return [{"name": kind, "severity": "info", "providerRef": {"name": name, "namespace": release.namespace}}
            for kind, name, _ in alert_channels(release)]


def ingress(release: Release) -> dict:
    """The Ingress Flagger's NGINX router clones into `<name>-canary` (its backend must be the apex Service)."""
    metadata = kubernetes.object_metadata(release, release.name)
    timeout = release.platform.traffic.timeout_s
    if timeout is not None:
        annotations = dict(metadata["annotations"])
        for key in ("proxy-read-timeout", "proxy-send-timeout"):
            annotations[f"nginx.ingress.kubernetes.io/{key}"] = str(timeout)
        metadata["annotations"] = dict(sorted(annotations.items()))
    backend = {"service": {"name": release.name, "port": {"number": release.service.main_port.service_port}}}
    rules = [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
             for host in release.platform.traffic.hosts]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata,
            "spec": {"ingressClassName": "nginx", "rules": rules}}

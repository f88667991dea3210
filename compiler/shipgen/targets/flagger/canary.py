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
* Gates: error rate at most `max` (0-1) -> built-in `request-success-rate` with
  `thresholdRange.min = (1 - max) * 100` where Flagger's built-ins observe the provider's metrics
  (Istio, Linkerd, NGINX); p99 latency -> built-in `request-duration` (ms) where that is a p99
  (Istio, Linkerd; NGINX's is a mean). Every other gate
  (other percentiles, other providers, custom queries, Datadog/CloudWatch/New Relic) becomes a
  MetricTemplate whose query selects the canary workload; `window` is the metric's `interval`.
"""

from __future__ import annotations

from decimal import Decimal

from ...artifacts import YAML_DOCUMENTS, Artifact
from ...durations import human
from ...model import Release
from ...procedure import Procedure, Step
from ...shell import command
from ..kubernetes import manifests as kubernetes
from .hooks import LOADTESTER, LOADTESTER_LOCAL, gate_payload, webhooks
from .checks import (ASSUMED_VERSION, MIRROR_WEIGHT, SUSPEND_VERSION, analysed_gates, flagger_duration,
                            flagger_provider, flagger_version, uses_builtin, weight_plan)

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
    if traffic.timeout_s is not None and traffic.provider in ("istio", "gateway-api"):
        service["timeout"] = flagger_duration(traffic.timeout_s)
    if traffic.retries is not None:
        service["retries"] = retries(traffic.retries)
    if traffic.circuit_breaker is not None:
        service["trafficPolicy"] = traffic_policy(traffic.circuit_breaker)
    return service


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


# ---------------------------------------------------------------------------- the run, in numbers


def timing(release: Release):
    """The runbook's figures, from the rollout model (`rollout.py`) and the simulator."""
    from ...rollout.plan import timing as simulated
    from .rollout import rollout

    return simulated(rollout(release))


def approval_wait_s(release: Release) -> int:
    """How long the approval gate really waits: its timeout, up to the tick that decides it."""
    from .rollout import rollout

    return next(phase.timeout_s for phase in rollout(release).phases if phase.ends == "person")


def traffic_plan(release: Release) -> str:
    strategy = release.strategy
    interval = human(strategy.interval_s)
    provider = release.platform.traffic.provider
    if strategy.type == "canary":
        weights = " → ".join(f"{weight}%" for weight in canary_weights(release))
        text = (f"traffic to the new version goes {weights}, one step every {interval} while the checks pass, "
                "then the new version is promoted")
        promotion_step = step_weight_promotion(release)
        if promotion_step:
            text += f" and traffic returns to the primary {promotion_step}% per {interval}"
        return text
    if strategy.type == "ab-test":
        return (f"requests matching strategy.match go to the new version for {strategy.iterations} checks, "
                f"one every {interval}, then it is promoted")
    served = ("it receives a copy of live traffic" + (f" ({strategy.mirror_percent}% of requests)"
                                                      if provider == "istio" else "")
              if strategy.type == "shadow" else "it receives no user traffic")
    if provider == "kubernetes":  # no router: the tick after the iterations switches nothing either (§1.7)
        served += " (only the smoke tests and load test reach it, through the Service " \
                  f"{release.name}-canary)"
        return (f"{served} during {strategy.iterations} checks, one every {interval}; then one more check, and it "
                "is promoted (all traffic switches to it then)")
    return (f"{served} during {strategy.iterations} checks, one every {interval}; then all traffic switches to "
            "it for one more check, and it is promoted")


def automatic_rollback(release: Release, figures) -> str:
    interval = release.strategy.interval_s
    failures = threshold(release)
    deadline = kubernetes.progress_deadline_s(release)
    text = (f"Flagger checks the new version once per analysis tick, every {human(interval)}. It counts failed "
            "checks over the whole run (they need not be consecutive; at most one per tick; a check without data, "
            f"e.g. no traffic, fails) and rolls back when the failed checks reach {failures} "
            f"(rollback.maxFailedChecks {release.rollback.max_failed_checks} tolerated, Canary threshold "
            f"{failures}) at the tick after the last of them: {earliest_rollback_text(figures)}. Rolling back "
            "sends all traffic to the primary (still the previous version), "
            f"scales the new version to zero and marks the Canary Failed. It also rolls back if the new pods are "
            f"not available within {human(deadline)} (progressDeadlineSeconds {deadline}) and when the rollback "
            "gate is opened (see below)")
    approval = release.strategy.approval
    if approval is not None and approval.on_timeout == "rollback":
        text += (f", or when nobody approves within {human(approval_wait_s(release))} "
                 "(strategy.approval.onTimeout: rollback)")
    return text + "."


def earliest_rollback_text(figures) -> str:
    if figures.rollback_after_failure_s is not None:
        return f"at the earliest {human(figures.rollback_after_failure_s)} after the first failed check"
    if figures.bad_from_start_rolled_back_s is not None:
        return ("no metric is checked, so only failed smoke tests roll back: "
                f"{human(figures.bad_from_start_rolled_back_s)} after the change is noticed when they fail from the start")
    return "nothing here can fail"


def healthy_text(figures) -> str:
    """How long a healthy run takes, in the plan's words."""
    if figures.healthy_s is None:
        return (f"It reaches the approval gate {human(figures.waiting_at_s)} after the tick that notices the apply "
                "(plus pod start-up) and waits there; see `PLAN.md` for each step's time.")
    return (f"A healthy run takes {human(figures.healthy_s)} from the tick that notices the apply to Succeeded, "
            "plus pod start-up (see `PLAN.md` for each step's time).")


def checks_text(release: Release) -> str:
    parts = []
    if release.smoke:
        parts.append(f"smoke tests ({', '.join(test.name for test in release.smoke)}) on the first tick")
    if release.strategy.load_test is not None:
        load = release.strategy.load_test
        parts.append(f"a load test of {load.requests_per_second} requests/s on {load.path} on every tick")
    gates = analysed_gates(release)
    if gates:
        parts.append("the gates " + ", ".join(gate_mapping_text(release, gate) for gate in gates))
    return "; ".join(parts) or "no checks (no gates, smoke tests or load test are declared)"


def gate_mapping_text(release: Release, gate) -> str:
    builtin = uses_builtin(release, gate)
    window = human(gate.window_s)
    if builtin == "request-success-rate":
        return (f"{gate.name} (error rate at most {gate.max:g} → Flagger request-success-rate at least "
                f"{success_rate_min(gate.max):g}% over {window})")
    if builtin == "request-duration":
        return f"{gate.name} (p99 at most {gate.max:g} ms → Flagger request-duration over {window})"
    bounds = " and ".join(f"{word} {value:g}" for word, value in (("at least", gate.min), ("at most", gate.max))
                          if value is not None)
    return f"{gate.name} ({bounds} over {window}, MetricTemplate {template_name(release, gate)})"


# ---------------------------------------------------------------------------- runbook procedure


def loadtester_exec(release: Release, endpoint: str) -> str:
    return kubernetes.kubectl(release, "exec", f"deploy/{LOADTESTER}", "--", "curl", "--silent", "--show-error",
                              "--request", "POST", "--data", gate_payload(release), f"{LOADTESTER_LOCAL}{endpoint}")


def secret_steps(release: Release) -> list:
    steps = []
    for kind, name, _ in alert_channels(release):
        variable = f"{kind.upper()}_WEBHOOK_URL"
        steps.append(Step(f"Create the Secret holding the {kind} webhook URL (key `address`) for AlertProvider {name}.",
                          kubernetes.kubectl(release, "create", "secret", "generic", name)
                          + f' --from-literal=address="${variable}"'))
    for provider in sorted({gate.provider for gate in templated_gates(release)} & set(PROVIDER_SECRETS)):
        name = f"{release.name}-{provider}"
        keys = " ".join(f'--from-literal={key}="${key.upper()}"' for key in PROVIDER_SECRETS[provider])
        steps.append(Step(f"Create the Secret with the {provider} credentials the MetricTemplates use.",
                          kubernetes.kubectl(release, "create", "secret", "generic", name) + " " + keys))
    return steps


def procedure(release: Release, facts) -> Procedure:
    strategy = release.strategy
    name = release.name
    provider = release.platform.traffic.provider
    figures = timing(release)
    watch_canary = kubernetes.kubectl(release, "get", "canary", name, "--watch")
    deploy = [
        Step(f"Install, once per cluster, Flagger {release.platform.controller_version or ASSUMED_VERSION} or newer "
             f"for {PROVIDER_NAMES[provider]}, and in namespace {release.namespace} the flagger-loadtester that runs "
             "this release's smoke tests, load test and gates (one replica).",
             "helm repo add flagger https://flagger.app && "
             + command("helm", "upgrade", "--install", LOADTESTER, "flagger/loadtester", "--namespace",
                       release.namespace)),
        *secret_steps(release),
        Step("Apply the manifests (Deployment, Canary and what it references). Flagger then creates "
             f"{name}-primary and the Services; the first apply only initialises, later changes are analysed.",
             command("kubectl", "apply", "--filename", f"{FOLDER}/")),
        Step(f"Follow the Canary until it is Succeeded (or Failed): {traffic_plan(release)}. "
             + healthy_text(figures), watch_canary),
    ]
    approval = strategy.approval
    if approval is not None:
        moment = "the rollout starts (phase Waiting)" if approval.before == "rollout" else \
            "promotion (phase WaitingPromotion)"
        outcome = {"promote": "it goes ahead",
                   "rollback": "it is rolled back" if approval.before == "promotion" else
                   "it is abandoned (started and rolled back before any traffic reaches it)"}[approval.on_timeout]
        wait = approval_wait_s(release)
        decided = "" if wait == approval.timeout_s else \
            f" (the gate is decided on Flagger's {human(strategy.interval_s)} ticks, so at the first tick after it)"
        deploy.append(Step(f"Approve before {moment} within {human(approval.timeout_s)}; without an answer "
                           f"{outcome} {human(wait)} after the wait began{decided}. To reject, open the rollback gate "
                           "(below).",
                           loadtester_exec(release, "/gate/open")))
    watch = (
        Step("Follow the phase, the canary weight and the failed-check count.", watch_canary),
        Step("See each check's result and why the analysis halted (events).",
             kubernetes.kubectl(release, "describe", "canary", name)),
        Step(f"Follow the pods: {name}-primary serves users, {name} is the new version.",
             kubernetes.kubectl(release, "get", "pods", "--selector",
                                f"{kubernetes.NAME_LABEL} in ({name},{primary_name(release)})", "--watch")),
    )
    rollback = [
        Step("Roll back now (Flagger has no abort command): open the rollback gate; Flagger rolls back at its next "
             f"tick (within {human(strategy.interval_s)}) while the Canary is Progressing or WaitingPromotion.",
             loadtester_exec(release, "/rollback/open")),
        Step("Wait for phase Failed: the primary serves the previous version again and the new one is scaled "
             "to zero.", watch_canary),
        Step("A release already promoted: apply the previous release's manifests (e.g. this folder from the "
             "previous commit); Flagger analyses the old version like any release. To revert without analysis, "
             "skip it first, apply, then turn it back on.",
             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                '{"spec":{"skipAnalysis":true}}')),
        Step("Turn the analysis back on after the revert.",
             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                '{"spec":{"skipAnalysis":false}}')),
        Step("Retry the same version after a Failed run (Flagger waits for a change to the Deployment).",
             kubernetes.kubectl(release, "rollout", "restart", f"deployment/{name}")),
    ]
    if flagger_version(release) >= SUSPEND_VERSION:
        rollback.append(Step("Freeze a run where it is (weights stay; nothing is checked); resume with "
                             "`\"suspend\":false`.",
                             kubernetes.kubectl(release, "patch", "canary", name, "--type", "merge", "--patch",
                                                '{"spec":{"suspend":true}}')))
    return Procedure(f"Flagger {strategy.type} through {PROVIDER_NAMES[provider]}", tuple(deploy), watch,
                     tuple(rollback), automatic_rollback(release, figures), notes(release))


def notes(release: Release) -> tuple:
    name = release.name
    result = [
        f"Checks on each tick: {checks_text(release)}.",
        f"Users are served by the {name}-primary pods (label {kubernetes.NAME_LABEL}={name}-primary), which the "
        f"PodDisruptionBudget selects; the Deployment {name} is the new version, scaled to zero between releases. "
        f"Flagger owns the Services {name}, {name}-primary and {name}-canary: never apply a Service named {name} "
        "yourself (it would point at the scaled-down pods).",
        "The approval and rollback gates live in the flagger-loadtester pod and are closed after every run; "
        "gates are decided once per tick, so an action comes up to one interval after its moment.",
    ]
    if release.platform.traffic.provider == "kubernetes":
        result.append("Traffic provider kubernetes has no router: there are no traffic percentages; the switch to "
                      "the new version is all at once, at promotion, and its metrics before that come only from the "
                      "smoke tests and load test.")
    ignored = [gate.name for gate in release.gates if gate.name not in release.rollback.on]
    if ignored:
        result.append(f"Gates not in rollback.on ({', '.join(ignored)}) are not part of Flagger's analysis.")
    if not release.platform.controller_version:
        result.append(f"Flagger version assumed: {ASSUMED_VERSION} (set platform.controllerVersion to check "
                      "features against yours).")
    return tuple(result)

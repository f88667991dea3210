"""Argo Rollouts: the progressive-delivery target for `platform.controller: argo-rollouts`.

Emits, under `argo-rollouts/`: an `argoproj.io/v1alpha1` Rollout (own pod template, or
`workloadRef` to an `apps/v1` Deployment kept at 0 replicas), the `v1` Services it switches, one
AnalysisTemplate per gate (plus smoke-test, load-test and approval templates when the spec asks),
a `policy/v1` PodDisruptionBudget and an `autoscaling/v2` HorizontalPodAutoscaler on the Rollout,
and the traffic provider's objects from `traffic.py` (Istio VirtualService/DestinationRules,
Gateway API HTTPRoute, NGINX Ingress). Follows `../shared/docs/targets-k8s.md` §2 (Argo Rollouts
v1.9), §3, §4 and §5; what is refused is in `checks.py`, the runbook procedure in
`procedure.py`.

Mapping decisions (each number in the output follows from the spec; the runbook repeats them):
* Services: clients call `<name>`. With a traffic router `<name>` is the stableService and
  `<name>-canary` the canaryService (SMI needs a root Service apart from both, so there the stable
  one is `<name>-stable`); without one (`kubernetes`) `<name>` selects every pod and the split is
  the replica ratio, `<name>-canary` (canaryService) selects only the new pods. Blue-green:
  activeService `<name>`, previewService `<name>-preview`. Gate queries select the pods being judged
  through the Service that feeds them (`{{args.service}}`, see `queries.py`).
* Istio uses a host-level split (VirtualService destinations `<name>` / `<name>-canary`), not
  DestinationRule subsets: with subsets both versions share one Service and one workload name in
  Istio's metrics, so no query could judge the canary alone. Circuit breaking becomes one
  DestinationRule per routed host.
* Canary: `setWeight` + `pause {duration}` per spec step; the gates run as **background analysis**
  from the first weight on, one check per `interval` (first one `interval` after the weight is
  set) until promotion. One AnalysisRun for the whole update, so `rollback.maxFailedChecks` counts
  failed checks across all steps, as the spec means it: `failureLimit = maxFailedChecks` (Argo fails
  a metric when failures *exceed* the limit, i.e. on failure number maxFailedChecks + 1).
* A/B and shadow: `setCanaryScale` (100% of the replicas for A/B, `mirrorPercent` for shadow), then
  `setHeaderRoute` / `setMirrorRoute`, then an **inline analysis** step with exactly
  `iterations` checks; promotion follows. Blue-green: smoke tests and the approval before the
  switch (`prePromotionAnalysis`; the gates too when a load test gives the preview requests the
  provider can see), the gates after it (`postPromotionAnalysis`, `iterations` checks) while the
  previous version stays up, so a failure switches back at once.
* Conditions are two-valued and robust to empty results: success only when the query returned a
  number inside [min, max]; no data (empty vector, NaN) is a failed check. A run is therefore never
  Inconclusive (which would pause for a person).
* Manual approval is never an indefinite `pause: {}`: it is an approval metric, a Job that waits
  for a person to mark it approved (`kubectl exec ... touch /tmp/approved`) and otherwise ends when
  `approval.timeout` runs out: successfully for `onTimeout: promote`, failing (so Argo aborts) for
  `onTimeout: rollback`. The same mechanism serves canary steps and blue-green pre-promotion.
* Explicit values where Argo's documented and coded defaults differ or matter: maxSurge /
  maxUnavailable, scaleDownDelaySeconds 30 (canary) or the spec's preview.scaleDownDelay
  (blue-green), abortScaleDownDelaySeconds 30, consecutiveErrorLimit 4, progressDeadlineAbort (=
  rollback.automatic), rollbackWindow 1 (undo to the previous version skips steps and analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...artifacts import YAML_DOCUMENTS, Artifact
from ...durations import go_duration
from ...model import Gate, Release
from ..kubernetes import manifests as kubernetes
from .. import linkerd, traffic
from .checks import PLUGIN, ROUTER, SEES_DIRECT_REQUESTS, header_route_matches, nginx_canary_annotations

NAME = "argo-rollouts"
API_VERSION = "argoproj.io/v1alpha1"
FOLDER = "argo-rollouts"
CONSECUTIVE_ERROR_LIMIT = 4  # Argo's default, written out: the 5th error in a row is an Error
CANARY_SCALE_DOWN_DELAY_S = 30  # old pods keep serving while proxies learn the new endpoints
ABORT_SCALE_DOWN_DELAY_S = 30
ROLLBACK_WINDOW_REVISIONS = 1
JOB_START_MARGIN_S = 120  # time for a check Job's pod to be scheduled and pull its image
APPROVAL_IMAGE = "busybox:1.36.1"
HTTP_CHECK_IMAGE = "curlimages/curl:8.10.1"
LOAD_IMAGE = "fortio/fortio:latest_release"
APPROVAL_FILE = "/tmp/approved"
APPROVAL_LABEL = "shipgen.dev/approval"
JOB_ANNOTATIONS = {"linkerd.io/inject": "disabled", "sidecar.istio.io/inject": "false"}  # a sidecar never exits
SERVICE_ARG = "service"
MANAGED_ROUTE = {"ab-test": "ab-test", "shadow": "shadow"}
DEFAULT_PROMETHEUS_ADDRESS = {"istio": "http://prometheus.istio-system:9090",
                              "linkerd": "http://prometheus.linkerd-viz:9090",
                              "smi": "http://prometheus.linkerd-viz:9090"}
FALLBACK_PROMETHEUS_ADDRESS = "http://prometheus.monitoring:9090"

APPROVAL_SCRIPT = """deadline=$(( $(date +%s) + $1 ))
while [ ! -e {file} ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "no approval within $1 s"
    exit "$2"
  fi
  sleep 2
done
echo approved""".format(file=APPROVAL_FILE)

HTTP_CHECK_SCRIPT = '''code=$(curl --silent --output /dev/null --write-out '%{http_code}' \\
  --max-time "$2" --request "$3" "$1") || true
echo "$3 $1 -> $code (expected $4)"
test "$code" = "$4"'''


# ---------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Names:
    """The Services of a release under Argo Rollouts (see the module docstring)."""

    stable: str  # stableService / activeService ("" when Argo manages none)
    canary: str  # canaryService / previewService
    root: str  # what clients call
    extra: tuple  # Services that no Argo field names (SMI's stable one is named; this is the root)


def names(release: Release) -> Names:
    name = release.name
    if release.strategy.type == "blue-green":
        return Names(name, f"{name}-preview", name, ())
    provider = release.platform.traffic.provider
    if provider == "smi":
        return Names(f"{name}-stable", f"{name}-canary", name, (name,))
    if provider == "kubernetes":
        return Names("", f"{name}-canary", name, (name,))
    return Names(name, f"{name}-canary", name, ())


def judged_service(release: Release, phase: str = "") -> str:
    """The Service whose pods the gates judge: the canary, the preview (blue-green before the
    switch) or the active one (blue-green after it)."""
    if release.strategy.type == "blue-green":
        return names(release).stable if phase == "post" else names(release).canary
    return names(release).canary


def template_name(release: Release, part: str) -> str:
    return f"{release.name}-{part}"


# ---------------------------------------------------------------------------- render


def render(release: Release, facts) -> list:
    artifacts = [Artifact(f"{FOLDER}/rollout.yaml", rollout(release))]
    if release.service.ports:
        artifacts.append(Artifact(f"{FOLDER}/services.yaml", services(release), YAML_DOCUMENTS))
    templates = analysis_templates(release)
    if templates:
        artifacts.append(Artifact(f"{FOLDER}/analysistemplates.yaml", templates, YAML_DOCUMENTS))
    artifacts.append(Artifact(f"{FOLDER}/poddisruptionbudget.yaml", kubernetes.pod_disruption_budget(
        release, release.name, kubernetes.selector_labels(release))))
    if release.service.autoscaling:
        artifacts.append(Artifact(f"{FOLDER}/horizontalpodautoscaler.yaml", kubernetes.horizontal_pod_autoscaler(
            release, API_VERSION, "Rollout", release.name)))
    if release.platform.workload_ref:
        artifacts.append(Artifact(f"{FOLDER}/deployment.yaml", referenced_deployment(release)))
    artifacts.extend(traffic_artifacts(release))
    return artifacts


def services(release: Release) -> list:
    selector = kubernetes.selector_labels(release)
    service_names = [service for service in (names(release).stable, names(release).canary) if service]
    service_names.extend(names(release).extra)
    documents = [kubernetes.service(release, name, selector) for name in sorted(set(service_names))]
    if release.platform.traffic.provider == "linkerd":  # the Service clients call carries Linkerd's settings
        documents = [linkerd.with_annotations(document, linkerd.circuit_breaker_annotations(release))
                     if document["metadata"]["name"] == release.name else document for document in documents]
    return documents


def referenced_deployment(release: Release) -> dict:
    """The Deployment a `workloadRef` Rollout takes its pod template from, kept at 0 replicas:
    the Rollout owns the pods (Argo Rollouts docs, "Deployment reference")."""
    document = kubernetes.deployment(release)
    document["spec"] = {"replicas": 0, **{key: value for key, value in document["spec"].items() if key != "replicas"}}
    return document


def traffic_artifacts(release: Release) -> list:
    provider = release.platform.traffic.provider
    if not release.service.ports or provider in ("kubernetes", "smi"):
        return []
    service_names = names(release)
    canary = None if release.strategy.type == "blue-green" else service_names.canary
    if provider == "istio":
        artifacts = [Artifact(f"{FOLDER}/virtualservice.yaml", traffic.virtual_service(
            release, release.name, service_names.stable, canary))]
        if release.platform.traffic.circuit_breaker is not None:
            hosts = (service_names.stable, service_names.canary)
            artifacts.append(Artifact(f"{FOLDER}/destinationrules.yaml",
                                      [traffic.destination_rule(release, host) for host in hosts], YAML_DOCUMENTS))
        return artifacts
    if provider in ("gateway-api", "linkerd"):
        route = traffic.http_route(release, release.name, service_names.stable, canary)
        if provider == "linkerd":  # the route's own timeouts.request is the request timeout
            route = linkerd.with_annotations(route, linkerd.route_annotations(release, timeout=False))
        return [Artifact(f"{FOLDER}/httproute.yaml", route)]
    return [Artifact(f"{FOLDER}/ingress.yaml", traffic.ingress(release, release.name, service_names.stable))]


# ---------------------------------------------------------------------------- the Rollout


def progress_deadline_s(release: Release) -> int:
    """Kubernetes' reasoning (kubernetes.progress_deadline_s), and longer than the scale-down
    delay: a deadline shorter than it marks a healthy rollout Degraded (argo-rollouts#3414). For
    blue-green also longer than the prePromotionAnalysis: while it runs nothing counts as progress
    (only canary steps are exempt, isIndefiniteStep), so a shorter deadline would mark the Rollout
    Degraded -- and progressDeadlineAbort abort it -- before the approval or the checks end."""
    return max(kubernetes.progress_deadline_s(release), scale_down_delay_s(release) + 120,
               pre_promotion_s(release) + 120)


def pre_promotion_s(release: Release) -> int:
    """How long a blue-green prePromotionAnalysis may run: its metrics run side by side, the
    longest decides (0 without one)."""
    if release.strategy.type != "blue-green":
        return 0
    strategy = release.strategy
    durations = [test.timeout_s + JOB_START_MARGIN_S for test in release.smoke]
    if gates_before_switch(release):
        durations.append(strategy.iterations * strategy.interval_s + JOB_START_MARGIN_S)  # checks and load Job
    if strategy.approval is not None:
        durations.append(strategy.approval.timeout_s + JOB_START_MARGIN_S)
    return max(durations, default=0)


def scale_down_delay_s(release: Release) -> int:
    if release.strategy.type == "blue-green":
        return release.strategy.scale_down_delay_s
    return CANARY_SCALE_DOWN_DELAY_S if release.platform.traffic.provider in ROUTER else 0


def rollout(release: Release) -> dict:
    spec = {}
    if release.service.autoscaling is None:  # the autoscaler owns the count when there is one
        spec["replicas"] = release.service.replicas
    if release.platform.workload_ref:
        spec["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": release.name,
                               "scaleDown": "onsuccess"}
    else:
        spec["selector"] = {"matchLabels": kubernetes.selector_labels(release)}
        spec["template"] = kubernetes.pod_template(release)
    spec.update({
        "minReadySeconds": release.service.warmup_s,
        "revisionHistoryLimit": kubernetes.REVISION_HISTORY_LIMIT,
        "progressDeadlineSeconds": progress_deadline_s(release),
        "progressDeadlineAbort": release.rollback.automatic,
        "rollbackWindow": {"revisions": ROLLBACK_WINDOW_REVISIONS},
        "strategy": ({"blueGreen": blue_green(release)} if release.strategy.type == "blue-green"
                     else {"canary": canary(release)}),
    })
    return {"apiVersion": API_VERSION, "kind": "Rollout", "metadata": kubernetes.object_metadata(release, release.name),
            "spec": spec}


def canary(release: Release) -> dict:
    strategy = release.strategy
    service_names = names(release)
    routed = release.platform.traffic.provider in ROUTER
    spec = {}
    if release.service.ports:  # a worker without ports has no Services: the pods are the canary
        spec["canaryService"] = service_names.canary
    if routed:
        spec["stableService"] = service_names.stable
    spec["maxSurge"] = strategy.max_surge
    spec["maxUnavailable"] = strategy.max_unavailable
    if routed:
        spec["scaleDownDelaySeconds"] = CANARY_SCALE_DOWN_DELAY_S
        spec["abortScaleDownDelaySeconds"] = ABORT_SCALE_DOWN_DELAY_S
        spec["trafficRouting"] = traffic_routing(release)
    background = background_analysis(release)
    if background:
        spec["analysis"] = background
    spec["steps"] = steps(release)
    return spec


def traffic_routing(release: Release) -> dict:
    provider = release.platform.traffic.provider
    router = ROUTER[provider]
    routing = {}
    if router == "istio":
        routing["istio"] = {"virtualService": {"name": release.name, "routes": [traffic.PRIMARY_ROUTE]}}
    elif router == "plugin":
        routing["plugins"] = {PLUGIN: {"httpRoute": release.name, "namespace": release.namespace}}
    elif router == "nginx":
        routing["nginx"] = {"stableIngress": release.name}
        if release.strategy.type == "ab-test":
            routing["nginx"]["additionalIngressAnnotations"] = nginx_canary_annotations(release)
    else:
        routing["smi"] = {"rootService": names(release).root, "trafficSplitName": release.name}
    route = managed_route(release)
    if route:
        routing["managedRoutes"] = [{"name": route}]
    return routing


def managed_route(release: Release) -> str:
    """The route Argo adds and removes itself (header or mirror route), or ""."""
    if release.strategy.type == "ab-test" and release.platform.traffic.provider == "nginx":
        return ""  # ingress-nginx matches headers through the canary Ingress's annotations
    return MANAGED_ROUTE.get(release.strategy.type, "")


def blue_green(release: Release) -> dict:
    strategy = release.strategy
    service_names = names(release)
    spec = {"activeService": service_names.stable, "previewService": service_names.canary,
            "autoPromotionEnabled": True}
    if strategy.preview_replicas is not None:
        spec["previewReplicaCount"] = strategy.preview_replicas
    spec["scaleDownDelaySeconds"] = strategy.scale_down_delay_s
    spec["abortScaleDownDelaySeconds"] = ABORT_SCALE_DOWN_DELAY_S
    spec["maxUnavailable"] = 0  # full capacity while the active ReplicaSet scales (code default is 25%)
    pre = pre_promotion_analysis(release)
    if pre:
        spec["prePromotionAnalysis"] = pre
    post = post_promotion_analysis(release)
    if post:
        spec["postPromotionAnalysis"] = post
    return spec


# ---------------------------------------------------------------------------- steps


def steps(release: Release) -> list:
    kind = release.strategy.type
    if kind == "canary":
        return canary_steps(release)
    if kind == "ab-test":
        return ab_test_steps(release)
    return shadow_steps(release)


def approval(release: Release, before: str):
    approval_ = release.strategy.approval
    return approval_ if approval_ is not None and approval_.before == before else None


def canary_steps(release: Release) -> list:
    routed = release.platform.traffic.provider in ROUTER
    result = []
    if approval(release, "rollout"):
        result.append(analysis_step(release, [template_name(release, "approval")]))
    smoke = smoke_step(release)
    if smoke and routed:  # one canary pod, no traffic yet, for the smoke tests
        result += [{"setCanaryScale": {"replicas": 1}}, smoke]
    for index, step in enumerate(release.strategy.steps):
        result.append({"setWeight": step.weight})
        if index == 0 and smoke and routed:  # the pod the smoke tests judged takes the first share; then scale
            result.append({"setCanaryScale": {"matchTrafficWeight": True}})
        if index == 0 and smoke and not routed:  # no router: the canary pods exist only once they get a share
            result.append(smoke)
        result.append({"pause": {"duration": go_duration(step.pause_s)}})
    if approval(release, "promotion"):
        result.append(analysis_step(release, [template_name(release, "approval")]))
    return result


def ab_test_steps(release: Release) -> list:
    result = _before_rollout(release)
    result.append({"setCanaryScale": {"weight": 100}})  # matched users may be many: full capacity
    result += [step for step in (smoke_step(release),) if step]
    if managed_route(release):
        result.append({"setHeaderRoute": {"name": managed_route(release), "match": header_route_matches(release)}})
    result.append(inline_analysis_step(release))
    return result


def shadow_steps(release: Release) -> list:
    percent = release.strategy.mirror_percent
    route = managed_route(release)
    result = _before_rollout(release)
    result.append({"setCanaryScale": {"weight": percent}})  # sized for the mirrored share
    result += [step for step in (smoke_step(release),) if step]
    result.append({"setMirrorRoute": {"name": route, "percentage": percent,
                                      "match": [{"path": {"prefix": "/"}}]}})
    result.append(inline_analysis_step(release))
    result.append({"setMirrorRoute": {"name": route}})  # no match: stop mirroring before the switch
    return result


def _before_rollout(release: Release) -> list:
    return [analysis_step(release, [template_name(release, "approval")])] if approval(release, "rollout") else []


def analysis_step(release: Release, templates: list, args: bool = False, dry_run: tuple = ()) -> dict:
    step = {"templates": [{"templateName": name} for name in templates]}
    if args:
        step["args"] = [{"name": SERVICE_ARG, "value": judged_service(release)}]
    if dry_run:
        step["dryRun"] = [{"metricName": name} for name in dry_run]
    return {"analysis": step}


def smoke_step(release: Release):
    return analysis_step(release, [template_name(release, "smoke")], args=True) if release.smoke else None


def inline_analysis_step(release: Release) -> dict:
    """A/B and shadow: `iterations` checks of every gate (plus the load and the approval) in one step."""
    templates = [template_name(release, gate.name) for gate in release.gates]
    if release.strategy.load_test is not None:
        templates.append(template_name(release, "load-test"))
    if approval(release, "promotion"):
        templates.append(template_name(release, "approval"))
    return analysis_step(release, templates, args=True, dry_run=dry_run_metrics(release))


# ---------------------------------------------------------------------------- analysis


def gating(release: Release, gate: Gate) -> bool:
    """Whether a failing gate aborts the update (else it is measured in dry-run)."""
    return (release.rollback.automatic and gate.name in release.rollback.on
            and (gate.min is not None or gate.max is not None))


def dry_run_metrics(release: Release) -> tuple:
    names_ = [gate.name for gate in release.gates if not gating(release, gate)]
    if release.strategy.load_test is not None:
        names_.append("load-test")
    return tuple(names_)


def first_weight_step(release: Release) -> int:
    return next(index for index, step in enumerate(steps(release)) if "setWeight" in step)


def background_analysis(release: Release) -> dict:
    """Canary: the gates (and the load test) from the moment the first weight is set until promotion."""
    if release.strategy.type != "canary":
        return {}
    templates = [template_name(release, gate.name) for gate in release.gates]
    if release.strategy.load_test is not None:
        templates.append(template_name(release, "load-test"))
    if not templates:
        return {}
    analysis = {"templates": [{"templateName": name} for name in templates],
                "startingStep": first_weight_step(release) + 1,
                "args": [{"name": SERVICE_ARG, "value": judged_service(release)}]}
    dry_run = dry_run_metrics(release)
    if dry_run:
        analysis["dryRun"] = [{"metricName": name} for name in dry_run]
    return analysis


def gates_before_switch(release: Release) -> bool:
    """Blue-green: the preview gets no user traffic, so its gates see data only from the load
    test, and only where the provider counts requests sent straight to the preview Service."""
    return (release.strategy.load_test is not None and release.platform.traffic.provider in SEES_DIRECT_REQUESTS
            and bool(release.gates))


def pre_promotion_analysis(release: Release) -> dict:
    templates = []
    dry_run = []
    if release.smoke:
        templates.append(template_name(release, "smoke"))
    if gates_before_switch(release):
        templates += [template_name(release, gate.name) for gate in release.gates]
        templates.append(template_name(release, "load-test"))
        dry_run = list(dry_run_metrics(release))
    if release.strategy.approval is not None:
        templates.append(template_name(release, "approval"))
    if not templates:
        return {}
    analysis = {"templates": [{"templateName": name} for name in templates],
                "args": [{"name": SERVICE_ARG, "value": judged_service(release, "pre")}]}
    if dry_run:
        analysis["dryRun"] = [{"metricName": name} for name in dry_run]
    return analysis


def post_promotion_analysis(release: Release) -> dict:
    if not release.gates:
        return {}
    analysis = {"templates": [{"templateName": template_name(release, gate.name)} for gate in release.gates],
                "args": [{"name": SERVICE_ARG, "value": judged_service(release, "post")}]}
    dry_run = [gate.name for gate in release.gates if not gating(release, gate)]
    if dry_run:
        analysis["dryRun"] = [{"metricName": name} for name in dry_run]
    return analysis


def check_count(release: Release) -> int | None:
    """Checks per gate and run: unbounded for the canary's background run (it ends at promotion),
    `iterations` for the others."""
    return None if release.strategy.type == "canary" else release.strategy.iterations


def analysis_templates(release: Release) -> list:
    templates = [gate_template(release, gate) for gate in release.gates]
    if release.smoke:
        templates.append(smoke_template(release))
    if release.strategy.load_test is not None:
        templates.append(load_test_template(release))
    if release.strategy.approval is not None:
        templates.append(approval_template(release))
    return templates


def analysis_template(release: Release, part: str, metrics: list, args: bool) -> dict:
    spec = {}
    if args:
        spec["args"] = [{"name": SERVICE_ARG}]
    spec["metrics"] = metrics
    return {"apiVersion": API_VERSION, "kind": "AnalysisTemplate",
            "metadata": kubernetes.object_metadata(release, template_name(release, part)), "spec": spec}


def gate_template(release: Release, gate: Gate) -> dict:
    interval = go_duration(release.strategy.interval_s)
    metric = {"name": gate.name, "interval": interval, "initialDelay": interval}
    count = check_count(release)
    if count is not None:
        metric["count"] = count
    condition = success_condition(gate)
    if condition:
        metric["successCondition"] = condition
    metric["failureLimit"] = release.rollback.max_failed_checks
    metric["consecutiveErrorLimit"] = CONSECUTIVE_ERROR_LIMIT
    metric["provider"] = metric_provider(release, gate)
    return analysis_template(release, gate.name, [metric], args=True)


def number(value: float) -> str:
    """A threshold as expr-lang reads it: plain decimal notation, no exponent."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def bounds(value: str, gate: Gate) -> list:
    parts = []
    if gate.min is not None:
        parts.append(f"{value} >= {number(gate.min)}")
    if gate.max is not None:
        parts.append(f"{value} <= {number(gate.max)}")
    return parts


def success_condition(gate: Gate) -> str:
    """True only for a number inside [min, max]; anything else — no data included — fails the check."""
    if gate.min is None and gate.max is None:
        return ""
    if gate.provider == "prometheus":
        guards = ["len(result) > 0", "!isNaN(result[0])"] + bounds("result[0]", gate)
    elif gate.provider == "datadog":
        guards = ["!isNil(result)", "!isNaN(result)"] + bounds("result", gate)
    elif gate.provider == "newrelic":
        guards = ["!isNil(result.value)"] + bounds("result.value", gate)
    else:  # cloudwatch: every data point in the window
        guards = ["len(result) > 0", "len(result[0].Values) > 0",
                  "all(result[0].Values, {" + " && ".join(bounds("#", gate)) + "})"]
    return " && ".join(guards)


def prometheus_address(release: Release, gate: Gate) -> str:
    return gate.address or DEFAULT_PROMETHEUS_ADDRESS.get(release.platform.traffic.provider,
                                                          FALLBACK_PROMETHEUS_ADDRESS)


def metric_provider(release: Release, gate: Gate) -> dict:
    from ...queries import gate_query

    query = gate_query(release, gate, service="{{args.%s}}" % SERVICE_ARG)
    window = go_duration(gate.window_s)
    if gate.provider == "prometheus":
        return {"prometheus": {"address": prometheus_address(release, gate), "query": query}}
    if gate.provider == "datadog":
        return {"datadog": {"apiVersion": "v2", "interval": window, "query": query}}
    if gate.provider == "newrelic":
        return {"newRelic": {"query": query}}
    return {"cloudWatch": {"interval": window, "metricDataQueries": [{"id": "gate", "expression": query,
                                                                       "period": 60}]}}


def check_job(release: Release, part: str, container: dict, deadline_s: int) -> dict:
    """A Job metric's spec: one try, a hard deadline, no mesh sidecar (it would never exit), and
    labels that keep its pod out of the release's Services and PodDisruptionBudget."""
    labels = {"app.kubernetes.io/component": part, "app.kubernetes.io/managed-by": "shipgen",
              "app.kubernetes.io/part-of": release.name}
    if part == "approval":
        labels[APPROVAL_LABEL] = release.name
    labels = dict(sorted(labels.items()))
    pod = {"metadata": {"annotations": dict(JOB_ANNOTATIONS), "labels": dict(labels)},
           "spec": {"restartPolicy": "Never", "containers": [container]}}
    return {"metadata": {"labels": labels},
            "spec": {"backoffLimit": 0, "activeDeadlineSeconds": deadline_s, "template": pod}}


def service_url(release: Release, path: str) -> str:
    port = release.service.main_port.service_port
    return f"http://{{{{args.{SERVICE_ARG}}}}}.{release.namespace}.svc.cluster.local:{port}{path}"


def smoke_template(release: Release) -> dict:
    metrics = []
    for test in release.smoke:
        if test.http_path is not None:
            container = {"name": "smoke", "image": HTTP_CHECK_IMAGE,
                         "command": ["sh", "-c", HTTP_CHECK_SCRIPT, "smoke", service_url(release, test.http_path),
                                     str(test.timeout_s), test.method, str(test.expect)]}
        else:
            container = {"name": "smoke", "image": release.service.image, "command": list(test.command)}
            if release.service.env:
                container["env"] = [{"name": name, "value": value} for name, value in release.service.env]
        job = check_job(release, "smoke-test", container, test.timeout_s + JOB_START_MARGIN_S)
        metrics.append({"name": f"smoke-{test.name}", "failureLimit": 0, "provider": {"job": job}})
    return analysis_template(release, "smoke", metrics, args=any(test.http_path is not None for test in release.smoke))


def load_duration_s(release: Release) -> int:
    """How long the load runs: the whole canary from the first weight on, or the checks of a run."""
    strategy = release.strategy
    if strategy.type == "canary":
        return sum(step.pause_s for step in strategy.steps)
    return strategy.iterations * strategy.interval_s


def load_test_template(release: Release) -> dict:
    load = release.strategy.load_test
    duration = load_duration_s(release)
    container = {"name": "load", "image": LOAD_IMAGE,
                 "args": ["load", "-qps", str(load.requests_per_second), "-t", go_duration(duration), "-c", "4",
                          "-allow-initial-errors", service_url(release, load.path)]}
    job = check_job(release, "load-test", container, duration + JOB_START_MARGIN_S)
    return analysis_template(release, "load-test", [{"name": "load-test", "provider": {"job": job}}], args=True)


def approval_template(release: Release) -> dict:
    approval_ = release.strategy.approval
    exit_code = "0" if approval_.on_timeout == "promote" else "1"
    container = {"name": "approval", "image": APPROVAL_IMAGE,
                 "command": ["sh", "-c", APPROVAL_SCRIPT, "approval", str(approval_.timeout_s), exit_code]}
    job = check_job(release, "approval", container, approval_.timeout_s + JOB_START_MARGIN_S)
    return analysis_template(release, "approval", [{"name": "approval", "failureLimit": 0, "provider": {"job": job}}],
                             args=False)


# ---------------------------------------------------------------------------- the runbook


def gate_query_target(release: Release) -> dict:
    """For the runbook: the pods the gates judge (the canary; blue-green: the active Service after the switch)."""
    return {"service": judged_service(release, "post")}


def smoke_host(release: Release) -> str:
    """For the runbook: where smoke tests reach the new version before it serves users."""
    return f"{judged_service(release)}.{release.namespace}.svc.cluster.local"

"""GCP and Azure platform settings: the typed model of `platform.gcp` / `platform.azure`, and
the choices shipgen makes for each platform, computed once during normalization.

`settle(reader, raw, ...)` is called by `normalize` once every other part of the release is
parsed. It checks that the settings fit `platform.kind`, turns them into the dataclasses below
and computes the *traffic plan*: the shares of traffic the new version gets, in order, with the
time spent at each. Where a platform can only come close to the spec (Cloud Deploy automation
waits are whole minutes, Traffic Manager weights are integers 1-1000, Cloud Run has no readiness
probe, the built-in gates are read from the platform's own metrics rather than Prometheus, and a gate
the platform has no metric for is not evaluated) the nearest faithful choice is stored in the model
and a warning (SG004 `approximated`) says exactly what changed; where nothing faithful exists
(header routing, mirroring) it is a located error naming the alternatives.

Follows `../shared/docs/targets-cloud.md` §8-14.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ...durations import human, seconds

GCP_KINDS = ("gcp-cloud-run", "gcp-cloud-deploy", "gcp-traffic-director")
AZURE_KINDS = ("azure-container-apps", "azure-app-service", "azure-traffic-manager")
KINDS = GCP_KINDS + AZURE_KINDS
PLATFORM_NAMES = {
    "gcp-cloud-run": "Cloud Run",
    "gcp-cloud-deploy": "Cloud Deploy",
    "gcp-traffic-director": "Traffic Director",
    "azure-container-apps": "Azure Container Apps",
    "azure-app-service": "Azure App Service",
    "azure-traffic-manager": "Azure Traffic Manager",
}
# The settings object each kind reads, and the sub-objects that apply to it.
SUB_SETTINGS = {
    "cloudRun": ("gcp", ("gcp-cloud-run", "gcp-cloud-deploy")),
    "cloudDeploy": ("gcp", ("gcp-cloud-deploy",)),
    "mesh": ("gcp", ("gcp-cloud-deploy",)),
    "trafficDirector": ("gcp", ("gcp-traffic-director",)),
    "containerApp": ("azure", ("azure-container-apps",)),
    "appService": ("azure", ("azure-app-service",)),
    "trafficManager": ("azure", ("azure-traffic-manager",)),
}
TRAFFIC_DIRECTOR_COLORS = ("blue", "green")
TRAFFIC_MANAGER_TOTAL_WEIGHT = 1000  # weights are integers 1-1000; the share is weight / sum
RESOURCE_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
CLUSTER_PATH = re.compile(r"^projects/[^/]+/locations/[^/]+/clusters/[^/]+$")
MAX_REVISION_NAME = 63
CLOUD_RUN_RESERVED_ENV = ("PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION")
MAX_CONTAINER_APP_NAME = 32
TRAFFIC_DIRECTOR_MAX_DRAIN_S = 3600  # connectionDraining.drainingTimeoutSec: 0-3600


# ---------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class TrafficStep:
    """One share of traffic on the new version, and how long it stays there before the next."""

    percent: int
    hold_s: int  # 0 for the last step


@dataclass(frozen=True)
class Rollout:
    """What every GCP/Azure delivery target does, computed from the strategy once."""

    steps: tuple  # of TrafficStep, ending at 100
    approval_step: int | None  # index of the step a person must approve before it starts; None = no approval
    check_interval_s: int  # smoke tests run this often while traffic is held
    progressive: bool  # the new version first runs beside the old one at 0 %
    gates: tuple = ()  # of ScriptGate: the gates rollout.sh judges from the platform's own metrics

    @property
    def percents(self) -> tuple:
        return tuple(step.percent for step in self.steps)


@dataclass(frozen=True)
class ScriptGate:
    """A gate of `rollback.on` that rollout.sh reads from the platform's own metrics, judged on the
    new version's traffic alone."""

    name: str
    metric: str  # error-rate | latency
    percentile: float  # latency only
    min: float | None
    max: float | None
    window_s: int
    measured_by: str  # the platform's metric, in words


@dataclass(frozen=True)
class Monitoring:
    """Opted in with `platform.gcp.monitoring` / `platform.azure.monitoring`: the dashboard and
    alerts of `targets/gcp/monitoring.py` / `targets/azure/monitoring.py`."""

    notify: tuple = ()  # Cloud Monitoring notification channels, or Azure action group IDs


@dataclass(frozen=True)
class CloudRun:
    previous_revision: str  # the revision serving now ("" when unknown: no split possible)
    revision: str  # the new revision's full name ("" when Cloud Deploy names revisions)
    preview_tag: str


@dataclass(frozen=True)
class CloudDeployStage:
    target: str
    project: str
    region: str
    cluster: str  # full GKE cluster path, or "" for a Cloud Run target
    require_approval: bool

    @property
    def location(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"


@dataclass(frozen=True)
class Mesh:
    """Cloud Service Mesh through the Gateway API: Cloud Deploy rewrites the HTTPRoute weights."""

    gateway: str  # "namespace/name" of a Gateway, or "" to attach the route to the Service (GAMMA)
    route_update_wait_s: int
    stable_cutback_s: int


@dataclass(frozen=True)
class CloudDeploy:
    pipeline: str
    stages: tuple  # of CloudDeployStage; the last one gets the strategy
    verify: bool
    predeploy: tuple  # Skaffold custom action names
    postdeploy: tuple
    skaffold_file: str  # path as given (relative to the spec), "" to generate one from the manifest
    service_account: str  # Cloud Deploy's execution/automation identity ("" = the default one)
    percentages: tuple  # canary phases, ascending, below 100 (empty: standard strategy)
    advance_after_min: tuple  # per canary phase: minutes before the automation advances it; None = a person
    repair_attempts: int | None  # retries of a failed job before the rollback; None = no repair rule
    retry_wait_min: int
    mesh: Mesh | None

    @property
    def runtime(self) -> str:
        return "gke" if self.stages[-1].cluster else "cloud-run"

    @property
    def automation(self) -> bool:
        return self.repair_attempts is not None or any(wait is not None for wait in self.advance_after_min)


@dataclass(frozen=True)
class BackendService:
    """One color of a Traffic Director release: a global backend service and its backends."""

    color: str  # blue | green
    name: str
    groups: tuple  # fully-qualified URLs of instance groups or network endpoint groups


@dataclass(frozen=True)
class OutlierDetection:
    consecutive_errors: int
    interval_s: int
    base_ejection_s: int
    max_ejection_percent: int


@dataclass(frozen=True)
class TrafficDirector:
    """Traffic Director with the load-balancing APIs: a URL map weights two backend services."""

    url_map: str
    hosts: tuple
    live: str  # the color serving now
    backend_services: tuple  # of BackendService: blue, then green
    health_check: str
    max_rate_per_endpoint: int
    draining_timeout_s: int  # connectionDraining.drainingTimeoutSec (service.drain)
    outlier_detection: OutlierDetection
    circuit_breakers: tuple  # ((API field, value), ...) in the spec's order; empty: no caps

    @property
    def new_color(self) -> str:
        return "green" if self.live == "blue" else "blue"

    def backend(self, color: str) -> BackendService:
        return next(service for service in self.backend_services if service.color == color)

    @property
    def live_backend(self) -> BackendService:
        return self.backend(self.live)

    @property
    def new_backend(self) -> BackendService:
        return self.backend(self.new_color)


@dataclass(frozen=True)
class Gcp:
    project: str
    region: str
    service_account: str  # runtime identity of the service ("" = the default)
    cloud_run: CloudRun
    cloud_deploy: CloudDeploy | None
    rollout: Rollout
    traffic_director: TrafficDirector | None = None
    monitoring: Monitoring | None = None


@dataclass(frozen=True)
class ContainerApp:
    environment_id: str  # full resource ID or an ARM resourceId() expression
    previous_revision: str
    revision_suffix: str
    external: bool

    def revision(self, app: str) -> str:
        return f"{app}--{self.revision_suffix}"


@dataclass(frozen=True)
class AppService:
    app: str
    plan: str  # full resource ID, an ARM resourceId() expression, or "" for the app's own plan
    slot: str


@dataclass(frozen=True)
class TrafficManagerEndpoint:
    name: str
    color: str  # blue | green
    host: str
    resource_id: str
    region: str


@dataclass(frozen=True)
class EndpointWeights:
    """The Traffic Manager state for one traffic step: the weight of each color's endpoints."""

    percent: int  # the share the spec asks for
    new_weight: int  # weight of each endpoint of the new color; 0 = disabled
    live_weight: int  # weight of each endpoint of the color serving now; 0 = disabled
    actual_percent: float  # the share those weights give the new color


@dataclass(frozen=True)
class TrafficManager:
    profile: str
    live: str  # the color serving now
    ttl_s: int
    endpoints: tuple  # of TrafficManagerEndpoint
    monitor_protocol: str
    monitor_port: int
    monitor_path: str
    monitor_interval_s: int
    monitor_timeout_s: int
    monitor_tolerated_failures: int
    weights: tuple  # of EndpointWeights, one per rollout step

    @property
    def new_color(self) -> str:
        return "green" if self.live == "blue" else "blue"

    def endpoints_of(self, color: str) -> tuple:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.color == color)


@dataclass(frozen=True)
class Azure:
    subscription: str
    resource_group: str
    location: str  # a region, or the ARM expression for the resource group's location
    container_app: ContainerApp | None
    app_service: AppService | None
    traffic_manager: TrafficManager | None
    rollout: Rollout
    monitoring: Monitoring | None = None


# ---------------------------------------------------------------------------- settling


def settle(reader, raw: dict, metadata, service, platform, strategy, rollback, smoke: tuple, gates: tuple = ()):
    """The platform with `gcp`/`azure` replaced by their typed settings (None when not used)."""
    raw_platform = raw.get("platform", {})
    kind = platform.kind
    _check_settings_fit_kind(reader, raw_platform, kind)
    if kind not in KINDS:
        return platform._replace(gcp=None, azure=None)
    rollout = _rollout(reader, kind, strategy)
    if any(0 < step.percent < 100 and step.hold_s for step in rollout.steps):  # a share is held: gates judge it
        rollout = replace(rollout, gates=_script_gates(reader, kind, gates, rollback))
    _warn_unevaluated_gates(reader, kind, rollback, smoke, rollout.gates, "on" in raw.get("rollback", {}))
    _warn_approval_timeout(reader, kind, strategy)
    if kind in GCP_KINDS:
        settings = _gcp(reader, raw_platform, metadata, service, kind, strategy, rollout, rollback, smoke)
        settings = replace(settings, monitoring=_monitoring(raw_platform.get("gcp", {}), "notificationChannels"))
        _warn_unmonitored_gates(reader, kind, settings.monitoring, service, gates)
        return platform._replace(gcp=settings, azure=None)
    settings = _azure(reader, raw_platform, metadata, service, kind, strategy, rollout)
    settings = replace(settings, monitoring=_monitoring(raw_platform.get("azure", {}), "actionGroups"))
    _warn_unmonitored_gates(reader, kind, settings.monitoring, service, gates)
    return platform._replace(gcp=None, azure=settings)


def _warn_unmonitored_gates(reader, kind: str, monitoring, service, gates: tuple):
    """Where the opted-in monitoring cannot watch a gate, say so at `monitoring`."""
    if monitoring is None:
        return
    key = "gcp" if kind in GCP_KINDS else "azure"
    path = ("platform", key, "monitoring")
    if kind == "gcp-traffic-director":
        left = [gate.name for gate in gates if gate.query is None or gate.provider != "prometheus"]
        if left:
            reader.warn(path, f"Traffic Director has no request metric per backend service: gates {', '.join(left)} "
                        "have no PromQL query of their own, so the Cloud Monitoring dashboard and alert policies "
                        "leave them out", key=True, fix="give the gates a query over Managed Service for Prometheus "
                        "({{service}} is the backend service)")
    if kind in ("azure-container-apps", "azure-app-service") and not service.requests_per_second and any(
            gate.metric == "error-rate" and gate.max is not None for gate in gates):
        reader.warn(path, "Azure metric alerts read one metric and cannot divide two: without "
                    "service.traffic.requestsPerSecond no error-rate gate or SLO can become a count of 5xx answers, "
                    "so azure-monitor/template.json has no error alert", key=True,
                    fix="set service.traffic.requestsPerSecond to the expected request rate")


def _monitoring(raw: dict, notify_key: str) -> Monitoring | None:
    """The opt-in monitoring settings (None: not asked for)."""
    if "monitoring" not in raw:
        return None
    return Monitoring(tuple(raw["monitoring"].get(notify_key, ())))


def _check_settings_fit_kind(reader, raw_platform: dict, kind: str):
    for key, kinds in (("gcp", GCP_KINDS), ("azure", AZURE_KINDS)):
        if key in raw_platform and kind not in kinds:
            reader.error(("platform", key), f"platform.{key} applies to platform.kind {' and '.join(kinds)}, "
                         f"and platform.kind is {kind}", key=True)
    for sub, (parent, kinds) in SUB_SETTINGS.items():
        if sub in raw_platform.get(parent, {}) and kind not in kinds and kind in (GCP_KINDS + AZURE_KINDS):
            reader.error(("platform", parent, sub), f"platform.{parent}.{sub} applies to platform.kind "
                         f"{' and '.join(kinds)}, and platform.kind is {kind}", key=True)
    if kind in GCP_KINDS and "gcp" not in raw_platform:
        reader.error(("platform", "kind"), f"platform.kind {kind} needs platform.gcp with the project and region",
                     fix="add platform.gcp: {project: my-project, region: europe-west1}")
    if kind in AZURE_KINDS and "azure" not in raw_platform:
        reader.error(("platform", "kind"), f"platform.kind {kind} needs platform.azure with the resource group",
                     fix="add platform.azure: {resourceGroup: my-group, ...}")


def _rollout(reader, kind: str, strategy) -> Rollout:
    name = PLATFORM_NAMES[kind]
    if strategy.type in ("ab-test", "shadow"):
        what = "send requests matching a header or cookie" if strategy.type == "ab-test" else "mirror requests"
        reason = ("shipgen's Traffic Director target splits traffic by percentage only (it generates no header "
                  "routes or mirror policies)" if kind == "gcp-traffic-director" else "it splits traffic by percentage only")
        reader.error(("strategy", "type"), f"{name} cannot {what}: {reason}",
                     fix="use strategy.type canary or blue-green, or platform.kind kubernetes with a mesh "
                         "(platform.traffic.provider istio or gateway-api)")
    if strategy.type == "canary":
        steps = [TrafficStep(step.weight, step.pause_s) for step in strategy.steps] + [TrafficStep(100, 0)]
    elif strategy.type == "blue-green":
        steps = [TrafficStep(0, strategy.iterations * strategy.interval_s), TrafficStep(100, 0)]
    else:
        steps = [TrafficStep(100, 0)]
    if strategy.type == "recreate":
        reader.warn(("strategy", "type"), f"{name} never stops the old version before the new one is ready: "
                    "strategy recreate becomes a switch of all traffic once the new version is up (no downtime)")
    approval_step = None
    if strategy.approval is not None and strategy.progressive:
        percents = [step.percent for step in steps]
        approval_step = (next(index for index, percent in enumerate(percents) if percent > 0)
                         if strategy.approval.before == "rollout" else len(steps) - 1)
    return Rollout(tuple(steps), approval_step, max(1, strategy.interval_s), strategy.progressive)


# The platform metrics rollout.sh reads for the built-in gates (targets-cloud.md §9, §12): Cloud
# Monitoring's Cloud Run metrics through its PromQL API, Azure Monitor's Container Apps metrics.
# Azure Monitor has no percentile of Container Apps response times: latency gates stay unevaluated.
PLATFORM_METRICS = {
    ("gcp-cloud-run", "error-rate"): "Cloud Monitoring run.googleapis.com/request_count, the new revision's share of "
                                     "5xx answers",
    ("gcp-cloud-run", "latency"): "Cloud Monitoring run.googleapis.com/request_latencies, the new revision's "
                                  "p{percentile:g} in ms",
    ("azure-container-apps", "error-rate"): "Azure Monitor Requests, the new revision's share of 5xx answers",
}


# Traffic Director's proxies are self-managed: Google Cloud records no request metric per backend
# service for INTERNAL_SELF_MANAGED, so no built-in gate has a platform metric. A gate with its own
# PromQL query is run as written against Managed Service for Prometheus (Cloud Monitoring's PromQL
# API, the reader Cloud Run's gates use), `{{service}}` naming the new color's backend service.
TRAFFIC_DIRECTOR_GATE_SOURCE = ("Managed Service for Prometheus (Cloud Monitoring PromQL API): the gate's query, "
                                "{{service}} = the new backend service")


def _script_gates(reader, kind: str, gates: tuple, rollback) -> tuple:
    """The gates of `rollback.on` that rollout.sh can read from the platform's own metrics: the
    built-in ones (no query), which the platform measures in place of Prometheus; on Traffic
    Director, the gates with their own PromQL query."""
    if kind == "gcp-traffic-director":
        return tuple(ScriptGate(gate.name, gate.metric, gate.percentile, gate.min, gate.max, gate.window_s,
                                TRAFFIC_DIRECTOR_GATE_SOURCE) for gate in gates
                     if gate.name in rollback.on and gate.query is not None and gate.provider == "prometheus"
                     and (gate.min is not None or gate.max is not None))
    result = []
    for index, gate in enumerate(gates):
        source = PLATFORM_METRICS.get((kind, gate.metric))
        if gate.name not in rollback.on or source is None or gate.query is not None or gate.provider != "prometheus":
            continue
        if gate.min is None and gate.max is None:
            continue
        measured_by = source.format(percentile=gate.percentile)
        reader.warn(("gates", index, "provider"), f"{PLATFORM_NAMES[kind]} has no Prometheus of its own: rollout.sh "
                    f"judges gate {gate.name} by {measured_by}, with the same threshold and window",
                    name="approximated-gate", fix="give the gate a query for a Prometheus that scrapes the service "
                    "to keep it out of rollout.sh (a person then watches it)")
        result.append(ScriptGate(gate.name, gate.metric, gate.percentile, gate.min, gate.max, gate.window_s,
                                 measured_by))
    return tuple(result)


def _warn_unevaluated_gates(reader, kind: str, rollback, smoke: tuple, judged: tuple, on_given: bool):
    judged_names = {gate.name for gate in judged}
    unevaluated = [name for name in rollback.on if name not in judged_names]
    if not (rollback.automatic and unevaluated):
        return
    name = PLATFORM_NAMES[kind]
    triggers = []
    if kind == "gcp-cloud-deploy":
        triggers.append("a failed deploy or verify job (repair automation)")
    if kind != "gcp-cloud-deploy" and smoke:
        triggers.append(f"failed smoke tests ({', '.join(test.name for test in smoke)})")
    if judged:
        triggers.append(f"gates {', '.join(sorted(judged_names))} read from the platform's metrics")
    trigger = (" and ".join(triggers) + ("" if kind == "gcp-cloud-deploy" else " checked by the generated rollout "
               "script")) if triggers else "nothing: the spec has no smoke tests"
    reader.warn(("rollback", "on") if on_given else ("gates",),
                f"{name} cannot evaluate metric gates {', '.join(unevaluated)}: they do not roll back by themselves; "
                f"automatic rollback is triggered by {trigger}. The runbook lists the gates for a person to watch",
                fix="add smoke tests, or a verify stanza for Cloud Deploy, to roll back without a person"
                + ("" if kind not in ("gcp-cloud-run", "azure-container-apps") else
                   "; built-in gates (metric error-rate" + (" or latency" if kind == "gcp-cloud-run" else "")
                   + ", no query) are read from the platform's metrics")
                + ("; give a gate a PromQL query over Managed Service for Prometheus ({{service}} is the new "
                   "backend service) and rollout.sh judges it" if kind == "gcp-traffic-director" else ""))


def _warn_approval_timeout(reader, kind: str, strategy):
    approval = strategy.approval
    if approval is None or not strategy.progressive:
        return
    waits_for = ("`gcloud deploy rollouts advance` (or `approve`)" if kind == "gcp-cloud-deploy"
                 else "`rollout.sh continue` or `rollout.sh rollback`")
    reader.warn(("strategy", "approval", "timeout"), f"{PLATFORM_NAMES[kind]} approvals do not time out: the rollout "
                f"stops before {approval.before} and waits for {waits_for}; after {human(approval.timeout_s)} nothing "
                f"happens by itself (onTimeout {approval.on_timeout} is for the person on call to carry out)")


# ---------------------------------------------------------------------------- revision names


def image_revision_suffix(image: str) -> str:
    """A revision suffix from an image reference: the tag (`1.8.0` -> `v1-8-0`), or the start of
    the digest (`d4b3c2a1d0e9f`); "" when neither tells versions apart (no tag, `latest`)."""
    reference, _, digest = image.partition("@")
    name, _, tag = reference.rpartition(":")
    if name and "/" not in tag and tag and tag != "latest":
        text = tag
    elif digest:
        text = "d" + digest.rpartition(":")[2][:12]
    else:
        return ""
    text = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", text.lower())).strip("-")
    if not text:
        return ""
    return text if text[0].isalpha() else "v" + text


def _revision_suffix(reader, raw: dict, path: tuple, image: str) -> str:
    if "revisionSuffix" in raw:
        return raw["revisionSuffix"]
    suffix = image_revision_suffix(image)
    if not suffix:
        reader.error(("service", "image"), "the new revision needs a name that tells it apart from the previous one, "
                     f"and image {image!r} has neither a version tag nor a digest",
                     fix=f"pin the image (name:1.2.3 or name@sha256:...), or set {'.'.join(path)}.revisionSuffix")
        return "new"
    reader.defaults.append((".".join(path + ("revisionSuffix",)), suffix))
    return suffix


# ---------------------------------------------------------------------------- GCP


def _gcp(reader, raw_platform: dict, metadata, service, kind: str, strategy, rollout: Rollout, rollback,
         smoke: tuple = ()) -> Gcp:
    raw = raw_platform.get("gcp", {})
    project, region = raw.get("project", ""), raw.get("region", "")
    run_raw = raw.get("cloudRun", {})
    path = ("platform", "gcp", "cloudRun")
    if kind == "gcp-traffic-director":
        director = _traffic_director(reader, raw, metadata, service, smoke)
        return Gcp(project, region, raw.get("serviceAccount", ""), CloudRun("", "", ""), None, rollout, director)
    preview_tag = reader.get(run_raw, path, "previewTag", "preview", record=rollout.progressive)
    if kind == "gcp-cloud-run":
        cloud_run = _cloud_run(reader, run_raw, metadata, service, rollout, preview_tag)
        cloud_deploy = None
    else:
        for key in ("previousRevision", "revisionSuffix"):
            if key in run_raw:
                reader.error(path + (key,), f"platform.gcp.cloudRun.{key} applies to gcp-cloud-run: Cloud Deploy "
                             "names the revisions and splits traffic against the last successful one itself", key=True)
        cloud_run = CloudRun("", "", preview_tag)
        cloud_deploy = _cloud_deploy(reader, raw, metadata, strategy, rollout, rollback, project, region)
    if cloud_deploy is not None and cloud_deploy.runtime == "gke" and cloud_deploy.percentages and not service.ports:
        reader.error(("strategy", "type"), "a Cloud Deploy canary on GKE splits traffic through the Service, and the "
                     "service has no port", fix="add service.ports, or use strategy.type rolling for a worker")
    _cloud_run_fit(reader, service, kind, cloud_deploy)
    return Gcp(project, region, raw.get("serviceAccount", ""), cloud_run, cloud_deploy, rollout)


def _traffic_director(reader, raw_gcp: dict, metadata, service, smoke: tuple) -> TrafficDirector:
    path = ("platform", "gcp", "trafficDirector")
    raw = raw_gcp.get("trafficDirector")
    if raw is None:
        reader.error(("platform", "gcp"), "platform.kind gcp-traffic-director needs platform.gcp.trafficDirector with "
                     "the blue and green backend services",
                     fix="add trafficDirector: {live: blue, blue: {backendService: NAME, groups: [NEG URL]}, "
                         "green: {...}}")
        raw = {"live": "blue", "blue": {"backendService": "blue", "groups": []},
               "green": {"backendService": "green", "groups": []}}
    services = tuple(BackendService(color, raw[color]["backendService"], tuple(raw[color]["groups"]))
                     for color in TRAFFIC_DIRECTOR_COLORS)
    blue, green = services
    if blue.name == green.name:
        reader.error(path + ("green", "backendService"), f"blue and green name the same backend service {blue.name!r}: "
                     "weights split traffic between two backend services")
    shared = sorted(set(blue.groups) & set(green.groups))
    if shared:
        reader.error(path + ("green", "groups"), f"{shared[0]} serves both colors: each color needs its own groups, "
                     "or the old and the new version share endpoints")
    hosts = tuple(reader.get(raw, path, "hosts", [metadata.name]))
    for index, host in enumerate(hosts):
        if host in hosts[:index]:
            reader.error(path + ("hosts", index), f"host {host!r} appears twice")
    if "*" in hosts[0] and smoke:
        reader.error(path + ("hosts", 0), f"rollout.sh sends the smoke tests to the first host, and {hosts[0]!r} is a "
                     "wildcard", fix="put a concrete host name first")
    if not service.ports:
        reader.error(("service",), "Traffic Director routes requests to a port, and service.ports is empty",
                     fix="add service.ports")
    elif service.ports[0].protocol in ("tcp", "udp"):
        reader.error(("service", "ports", 0, "protocol"), "a Traffic Director URL map routes HTTP, HTTP/2 and gRPC: "
                     f"{service.ports[0].protocol} traffic has no weighted routes")
    if service.drain_s > TRAFFIC_DIRECTOR_MAX_DRAIN_S:
        reader.error(("service", "drain"), f"connection draining lasts at most {TRAFFIC_DIRECTOR_MAX_DRAIN_S} s on a "
                     f"backend service: service.drain is {human(service.drain_s)}")
    outlier_raw = raw.get("outlierDetection", {})
    outlier_path = path + ("outlierDetection",)
    outlier = OutlierDetection(
        reader.get(outlier_raw, outlier_path, "consecutiveErrors", 5),
        seconds(reader.get(outlier_raw, outlier_path, "interval", "10s")),
        seconds(reader.get(outlier_raw, outlier_path, "baseEjectionTime", "30s")),
        reader.get(outlier_raw, outlier_path, "maxEjectionPercent", 50))
    if outlier.interval_s < 1 or outlier.base_ejection_s < 1:
        reader.error(outlier_path, "outlier detection's interval and baseEjectionTime are at least 1 s")
    breakers = tuple((key, value) for key, value in raw.get("circuitBreakers", {}).items())
    return TrafficDirector(
        url_map=reader.get(raw, path, "urlMap", metadata.name),
        hosts=hosts,
        live=raw["live"],
        backend_services=services,
        health_check=reader.get(raw, path, "healthCheck", metadata.name),
        max_rate_per_endpoint=reader.get(raw, path, "maxRatePerEndpoint", 100),
        draining_timeout_s=service.drain_s,
        outlier_detection=outlier,
        circuit_breakers=breakers,
    )


def _cloud_run(reader, raw: dict, metadata, service, rollout: Rollout, preview_tag: str) -> CloudRun:
    path = ("platform", "gcp", "cloudRun")
    suffix = _revision_suffix(reader, raw, path, service.image)
    revision = f"{metadata.name}-{suffix}"
    if len(revision) > MAX_REVISION_NAME:
        reader.error(path, f"revision name {revision!r} is longer than {MAX_REVISION_NAME} characters",
                     fix="set a shorter platform.gcp.cloudRun.revisionSuffix")
    previous = raw.get("previousRevision", "")
    if rollout.progressive and not previous:
        reader.error(path, "a progressive rollout on Cloud Run splits traffic between named revisions, and "
                     "platform.gcp.cloudRun.previousRevision (the revision serving now) is not set",
                     fix="set previousRevision to the output of `gcloud run services describe NAME "
                         "--format='value(status.traffic[0].revisionName)'`, or use platform.kind gcp-cloud-deploy, "
                         "which tracks it for you")
    if previous and not previous.startswith(metadata.name + "-"):
        reader.error(path + ("previousRevision",), f"Cloud Run revision names start with the service name: "
                     f"{previous!r} does not start with '{metadata.name}-'")
    if previous and previous == revision:
        reader.error(path + ("previousRevision",), f"previousRevision {previous!r} is the new revision's name: the "
                     "image (or revisionSuffix) did not change", fix="set the new image or a new revisionSuffix")
    return CloudRun(previous, revision, preview_tag)


def _cloud_run_fit(reader, service, kind: str, cloud_deploy):
    """Warnings for what the spec's service asks and Cloud Run's revision template cannot hold."""
    if cloud_deploy is not None and cloud_deploy.runtime == "gke":
        return
    health = ("service", "health")
    if service.readiness is not None:
        if service.startup is None:
            reader.warn(health + ("readiness",), "Cloud Run has no readiness probe: shipgen uses it as the startup "
                        "probe, so an instance gets traffic once it passes, but a later failure does not take the "
                        "instance out of rotation")
        else:
            reader.warn(health + ("readiness",), "Cloud Run has no readiness probe, and the startup probe is set: the "
                        "readiness probe is left out")
    startup = service.startup or service.readiness
    startup_path = health + ("startup" if service.startup is not None else "readiness",)
    if startup is not None and startup.handler == "exec":
        reader.warn(startup_path, "Cloud Run probes are HTTP, TCP or gRPC: the exec probe is left out")
    if service.liveness is not None and service.liveness.handler in ("exec", "tcp"):
        reader.warn(health + ("liveness",), f"Cloud Run liveness probes are HTTP or gRPC: the {service.liveness.handler} "
                    "liveness probe is left out")
    if not service.ports:
        reader.error(("service",), "a Cloud Run service answers requests on a port, and service.ports is empty",
                     fix="add service.ports (Cloud Run's default is 8080)")
    if len(service.ports) > 1:
        reader.warn(("service", "ports"), f"a Cloud Run service receives requests on one port: only port "
                    f"{service.ports[0].port} is exposed")
    if service.ports and service.ports[0].protocol in ("tcp", "udp"):
        reader.error(("service", "ports", 0, "protocol"), "Cloud Run serves HTTP/1, HTTP/2 and gRPC only")
    for name, _ in service.env:
        if name in CLOUD_RUN_RESERVED_ENV:
            reader.error(("service", "env", name), f"Cloud Run sets {name} itself: a service cannot define it",
                         key=True)


def _cloud_deploy(reader, raw_gcp: dict, metadata, strategy, rollout: Rollout, rollback, project: str,
                  region: str) -> CloudDeploy:
    path = ("platform", "gcp", "cloudDeploy")
    raw = raw_gcp.get("cloudDeploy", {})
    pipeline = reader.get(raw, path, "pipeline", metadata.name)
    stages = _stages(reader, raw, metadata, project, region)
    runtimes = {bool(stage.cluster) for stage in stages}
    if len(runtimes) > 1:
        reader.error(path + ("stages",), "every stage deploys the same manifests: give all stages a GKE cluster, "
                     "or none (Cloud Run)")
    skaffold = raw.get("skaffoldFile", "")
    verify = reader.get(raw, path, "verify", False)
    for key in ("verify", "predeploy", "postdeploy"):
        if raw.get(key) and not skaffold:
            reader.error(path + (key,), f"Cloud Deploy runs {key} from your Skaffold config (a `verify` stanza or "
                         "`customActions`), and cloudDeploy.skaffoldFile is not set",
                         fix="set skaffoldFile to a Skaffold config that renders service.yaml and defines them")
    mesh = _mesh(reader, raw_gcp, stages)
    percentages = tuple(step.percent for step in rollout.steps[:-1])
    advance = _advance_after_min(reader, rollout, strategy)
    repair_attempts, retry_wait_min = _repair(reader, rollback, strategy)
    account = raw.get("serviceAccount", "")
    if (repair_attempts is not None or any(wait is not None for wait in advance)) and not account:
        reader.error(path, "advancing the canary and rolling back without a person takes a Cloud Deploy Automation, "
                     "which runs as a service account, and cloudDeploy.serviceAccount is not set",
                     fix="set cloudDeploy.serviceAccount (e.g. deployer@PROJECT.iam.gserviceaccount.com), or "
                         "rollback.automatic: false and strategy.approval to advance by hand")
    return CloudDeploy(pipeline, stages, verify, tuple(raw.get("predeploy", ())), tuple(raw.get("postdeploy", ())),
                       skaffold, account, percentages, advance, repair_attempts, retry_wait_min, mesh)


def _stages(reader, raw: dict, metadata, project: str, region: str) -> tuple:
    path = ("platform", "gcp", "cloudDeploy", "stages")
    items = raw.get("stages")
    if items is None:
        items = [{"target": metadata.environment}]
        reader.defaults.append(("platform.gcp.cloudDeploy.stages", [f"target {metadata.environment}"]))
        if not RESOURCE_ID.match(metadata.environment):
            reader.error(("metadata", "environment"), f"environment {metadata.environment!r} is not a valid Cloud "
                         "Deploy target ID", fix="set platform.gcp.cloudDeploy.stages")
    stages = []
    for index, item in enumerate(items):
        stage_project = item.get("project", project)
        stage_region = item.get("region", region)
        cluster = item.get("cluster", "")
        if cluster and not CLUSTER_PATH.match(cluster):
            cluster = f"projects/{stage_project}/locations/{stage_region}/clusters/{cluster}"
        stages.append(CloudDeployStage(item["target"], stage_project, stage_region, cluster,
                                       item.get("requireApproval", False)))
    targets = [stage.target for stage in stages]
    for index, target in enumerate(targets):
        if target in targets[:index]:
            reader.error(path + (index, "target"), f"target {target!r} appears twice in the stages")
    return tuple(stages)


def _mesh(reader, raw_gcp: dict, stages: tuple):
    raw = raw_gcp.get("mesh")
    if raw is None:
        return None
    path = ("platform", "gcp", "mesh")
    if not stages[-1].cluster:
        reader.error(path, "Cloud Service Mesh weighted routing is done on GKE through the Gateway API: the stages "
                     "need a GKE cluster (stages[].cluster)", key=True,
                     fix="give each stage a cluster, or remove platform.gcp.mesh to deploy to Cloud Run")
    return Mesh(raw.get("gateway", ""), seconds(reader.get(raw, path, "routeUpdateWait", "60s")),
                seconds(reader.get(raw, path, "stableCutback", "5m")))


def _advance_after_min(reader, rollout: Rollout, strategy) -> tuple:
    """Minutes before the automation advances each canary phase (None: a person advances it).
    Cloud Deploy automation waits are whole minutes: holds are rounded up."""
    waits, rounded = [], []
    for index, step in enumerate(rollout.steps[:-1]):
        if rollout.approval_step == index + 1:
            waits.append(None)
            continue
        minutes = math.ceil(step.hold_s / 60)
        if minutes * 60 != step.hold_s:
            rounded.append(f"{step.percent}%: {human(step.hold_s)} -> {minutes} min")
        waits.append(minutes)
    if rounded:
        where = ("strategy", "steps") if strategy.type == "canary" else ("strategy", "interval")
        reader.warn(where, "Cloud Deploy automation waits are whole minutes: the time at each canary phase is "
                    f"rounded up ({'; '.join(rounded)})")
    return tuple(waits)


def _repair(reader, rollback, strategy) -> tuple:
    """Retries of a failed job before Cloud Deploy rolls back, and the wait between them."""
    if not rollback.automatic:
        return None, 0
    attempts = rollback.max_failed_checks
    if attempts > 10:
        reader.warn(("rollback", "maxFailedChecks"), f"Cloud Deploy retries a failed job at most 10 times: "
                    f"maxFailedChecks {attempts} becomes 10")
        attempts = 10
    wait_min = max(1, math.ceil(strategy.interval_s / 60))
    if attempts and wait_min * 60 != strategy.interval_s:
        reader.warn(("strategy", "interval"), f"Cloud Deploy retry waits are whole minutes: a failed job is retried "
                    f"after {wait_min} min, not {human(strategy.interval_s)}")
    return attempts, wait_min


# ---------------------------------------------------------------------------- Azure


def _azure(reader, raw_platform: dict, metadata, service, kind: str, strategy, rollout: Rollout) -> Azure:
    raw = raw_platform.get("azure", {})
    location = raw.get("location", "[resourceGroup().location]")
    container_app = app_service = traffic_manager = None
    if kind == "azure-container-apps":
        container_app = _container_app(reader, raw, metadata, service, rollout)
    elif kind == "azure-app-service":
        app_service = _app_service(reader, raw, metadata, service)
    else:
        traffic_manager = _traffic_manager(reader, raw, metadata, service, rollout)
    return Azure(raw.get("subscription", ""), raw.get("resourceGroup", ""), location, container_app, app_service,
                 traffic_manager, rollout)


def arm_resource_id(value: str, resource_type: str) -> str:
    """A full resource ID as given, or the ARM expression naming a resource in the same group (a quote
    in the name is doubled, ARM's escape inside a string literal, so it cannot end the literal)."""
    if value.startswith("/"):
        return value
    name = value.replace("'", "''")
    return f"[resourceId('{resource_type}', '{name}')]"


def _container_app(reader, raw_azure: dict, metadata, service, rollout: Rollout) -> ContainerApp:
    path = ("platform", "azure", "containerApp")
    raw = raw_azure.get("containerApp")
    if raw is None:
        reader.error(("platform", "azure"), "platform.kind azure-container-apps needs platform.azure.containerApp "
                     "with the Container Apps environment", fix="add containerApp: {environment: my-environment}")
        raw = {"environment": "-"}
    name = metadata.name
    if len(name) > MAX_CONTAINER_APP_NAME or "--" in name:
        reader.error(("metadata", "name"), f"a container app name has at most {MAX_CONTAINER_APP_NAME} characters "
                     f"and no '--' (revision names are <app>--<suffix>): {name!r}")
    suffix = _revision_suffix(reader, raw, path, service.image)
    previous = raw.get("previousRevision", "")
    if rollout.progressive and not previous:
        reader.error(path, "a progressive rollout on Container Apps keeps the revision serving now beside the new "
                     "one, and platform.azure.containerApp.previousRevision is not set",
                     fix=f"set previousRevision to the output of `az containerapp revision list -n {name} -g GROUP "
                         "--query \"[?properties.trafficWeight > `0`].name\" -o tsv`")
    if previous and not previous.startswith(name + "--"):
        reader.error(path + ("previousRevision",), f"Container Apps revision names are <app>--<suffix>: {previous!r} "
                     f"does not start with '{name}--'")
    if previous and previous == f"{name}--{suffix}":
        reader.error(path + ("previousRevision",), f"previousRevision {previous!r} is the new revision's name: the "
                     "image (or revisionSuffix) did not change", fix="set the new image or a new revisionSuffix")
    if rollout.progressive and not service.ports:
        reader.error(("strategy", "type"), "Container Apps weights traffic at its ingress, and the service has no "
                     "port: a canary or blue-green needs service.ports", fix="add service.ports, or use "
                     "strategy.type rolling for a worker")
    environment = arm_resource_id(raw["environment"], "Microsoft.App/managedEnvironments")
    _container_apps_fit(reader, service)
    return ContainerApp(environment, previous, suffix, reader.get(raw, path, "external", True))


def _container_apps_fit(reader, service):
    health = ("service", "health")
    for kind in ("startup", "readiness", "liveness"):
        probe = getattr(service, kind)
        if probe is not None and probe.handler in ("exec", "grpc"):
            reader.warn(health + (kind,), f"Container Apps probes are HTTP or TCP: the {probe.handler} {kind} probe "
                        "is left out")
        elif probe is not None and (probe.failure_threshold > 10 or probe.initial_delay_s > 60):
            reader.warn(health + (kind,), f"Container Apps probes allow failureThreshold 1-10 and initialDelay up to "
                        f"60 s: the {kind} probe keeps its budget of {human(probe.budget_s)} with "
                        f"{', '.join(_aca_probe_change(probe))}")
    if len(service.ports) > 1:
        reader.warn(("service", "ports"), f"Container Apps ingress targets one port: only port {service.ports[0].port} "
                    "receives traffic")
    if service.ports and service.ports[0].protocol == "udp":
        reader.error(("service", "ports", 0, "protocol"), "Container Apps ingress carries HTTP or TCP, not UDP")


def aca_probe_timing(probe) -> dict:
    """Container Apps probe timing within its limits (failureThreshold 1-10, initialDelaySeconds 0-60,
    periodSeconds 1-240), keeping the probe's budget (delay + period x threshold) where it can."""
    delay = min(probe.initial_delay_s, 60)
    budget = probe.budget_s - delay
    threshold = min(probe.failure_threshold, 10)
    period = probe.period_s
    if threshold * period < budget:
        period = min(240, math.ceil(budget / threshold))
    timing = {"periodSeconds": period, "timeoutSeconds": min(probe.timeout_s, 240), "failureThreshold": threshold}
    if delay:
        timing["initialDelaySeconds"] = delay
    return timing


def _aca_probe_change(probe) -> list:
    timing = aca_probe_timing(probe)
    return [f"{key} {timing[key]}" for key in ("failureThreshold", "periodSeconds", "initialDelaySeconds") if key in timing]


def _app_service(reader, raw_azure: dict, metadata, service) -> AppService:
    path = ("platform", "azure", "appService")
    raw = raw_azure.get("appService", {})
    plan = raw.get("plan", "")
    if service.ports and service.ports[0].protocol in ("tcp", "udp", "grpc"):
        reader.error(("service", "ports", 0, "protocol"), "App Service web apps serve HTTP only")
    if service.command:
        reader.warn(("service", "command"), "App Service cannot replace the image's entrypoint: service.command and "
                    "args become the startup command (appCommandLine), which the entrypoint receives as arguments")
    if len(service.ports) > 1:
        reader.warn(("service", "ports"), f"an App Service container receives requests on one port: only port "
                    f"{service.ports[0].port} (WEBSITES_PORT) is used")
    return AppService(reader.get(raw, path, "app", metadata.name),
                      arm_resource_id(plan, "Microsoft.Web/serverfarms") if plan else "",
                      reader.get(raw, path, "slot", "staging"))


def _traffic_manager(reader, raw_azure: dict, metadata, service, rollout: Rollout) -> TrafficManager:
    path = ("platform", "azure", "trafficManager")
    raw = raw_azure.get("trafficManager")
    if raw is None:
        reader.error(("platform", "azure"), "platform.kind azure-traffic-manager needs platform.azure.trafficManager "
                     "with the blue and green endpoints")
        raw = {"live": "blue", "endpoints": []}
    endpoints = tuple(TrafficManagerEndpoint(item["name"], item["color"], item["host"], item.get("resourceId", ""),
                                             item.get("region", "")) for item in raw["endpoints"])
    names = [endpoint.name for endpoint in endpoints]
    for index, name in enumerate(names):
        if name in names[:index]:
            reader.error(path + ("endpoints", index, "name"), f"endpoint name {name!r} appears twice")
    for color in ("blue", "green"):
        if endpoints and not any(endpoint.color == color for endpoint in endpoints):
            reader.error(path + ("endpoints",), f"a blue-green switch needs endpoints of both colors, and none is {color}")
    live = raw["live"]
    new = "green" if live == "blue" else "blue"
    new_count, live_count = sum(e.color == new for e in endpoints), sum(e.color == live for e in endpoints)
    weights = _endpoint_weights(reader, rollout, new_count, live_count) if new_count and live_count else ()
    monitor = raw.get("monitor", {})
    readiness = service.readiness
    default_path = readiness.path if readiness is not None and readiness.handler == "http" else "/"
    period = readiness.period_s if readiness is not None else 30
    interval = 10 if period <= 10 else 30  # Traffic Manager probes every 10 or 30 s
    timeout = min(max(readiness.timeout_s if readiness is not None else 10, 5), interval - 1 if interval == 10 else 10)
    tolerated = min(max((readiness.failure_threshold if readiness is not None else 3), 0), 9)
    return TrafficManager(
        profile=reader.get(raw, path, "profile", metadata.name),
        live=live,
        ttl_s=seconds(reader.get(raw, path, "ttl", "30s")),
        endpoints=endpoints,
        monitor_protocol=reader.get(monitor, path + ("monitor",), "protocol", "HTTPS"),
        monitor_port=reader.get(monitor, path + ("monitor",), "port", 443),
        monitor_path=reader.get(monitor, path + ("monitor",), "path", default_path),
        monitor_interval_s=interval,
        monitor_timeout_s=timeout,
        monitor_tolerated_failures=tolerated,
        weights=weights,
    )


def _endpoint_weights(reader, rollout: Rollout, new_count: int, live_count: int) -> tuple:
    """Weights per rollout step: the new color's share of TRAFFIC_MANAGER_TOTAL_WEIGHT, spread over its
    endpoints (integers 1-1000; a color at 0 % is disabled rather than weighted 0)."""
    result, changed = [], []
    for step in rollout.steps:
        new = _weight(TRAFFIC_MANAGER_TOTAL_WEIGHT * step.percent / 100, new_count) if step.percent else 0
        live = _weight(TRAFFIC_MANAGER_TOTAL_WEIGHT * (100 - step.percent) / 100, live_count) if step.percent < 100 else 0
        total = new * new_count + live * live_count
        actual = round(100 * new * new_count / total, 2) if total else 0.0
        if abs(actual - step.percent) > 0.005:
            changed.append(f"{step.percent}% -> {actual:g}%")
        result.append(EndpointWeights(step.percent, new, live, actual))
    if changed:
        reader.warn(("platform", "azure", "trafficManager", "endpoints"), "Traffic Manager weights are integers "
                    "1-1000 per endpoint: the shares the new endpoints get differ from the steps "
                    f"({'; '.join(changed)})")
    return tuple(result)


def _weight(color_total: float, count: int) -> int:
    return min(TRAFFIC_MANAGER_TOTAL_WEIGHT, max(1, round(color_total / count)))

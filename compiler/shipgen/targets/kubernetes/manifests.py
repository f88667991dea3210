"""Kubernetes core objects: Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler.

Emits `apps/v1` Deployment, `v1` Service, `policy/v1` PodDisruptionBudget and
`autoscaling/v2` HorizontalPodAutoscaler, following `../shared/docs/targets-k8s.md` §3
(rolling update, probes, termination and draining, PDB). The builders (`pod_template`,
`service`, `pod_disruption_budget`, ...) are shared with the progressive-delivery targets,
which wrap the same pods in their own controllers.

Needs Kubernetes 1.30 or newer for the native `preStop.sleep` action used for draining.
"""

from __future__ import annotations

from ...artifacts import Artifact
from ...durations import human
from ...model import Probe, Release
from ...procedure import APPLY, ROLLBACK, VERDICT, Procedure, Step
from ...shell import command

NAME = "kubernetes"
DEFAULT_PROGRESS_DEADLINE_S = 600
REVISION_HISTORY_LIMIT = 10
NAME_LABEL = "app.kubernetes.io/name"


def render(release: Release, facts) -> list:
    artifacts = [Artifact("kubernetes/deployment.yaml", deployment(release))]
    if release.service.ports:
        artifacts.append(Artifact("kubernetes/service.yaml", service(release, release.name, selector_labels(release))))
    artifacts.append(Artifact("kubernetes/poddisruptionbudget.yaml",
                              pod_disruption_budget(release, release.name, selector_labels(release))))
    if release.service.autoscaling:
        artifacts.append(Artifact("kubernetes/horizontalpodautoscaler.yaml",
                                  horizontal_pod_autoscaler(release, "apps/v1", "Deployment", release.name)))
    return artifacts


# ---------------------------------------------------------------------------- labels and metadata


def selector_labels(release: Release) -> dict:
    """The labels that select this release's pods. Flagger requires the name label to equal the
    Deployment's name (targets-k8s.md §1.1)."""
    return {NAME_LABEL: release.name}


def common_labels(release: Release) -> dict:
    labels = dict(release.metadata.labels)
    labels.update({
        NAME_LABEL: release.name,
        "app.kubernetes.io/managed-by": "shipgen",
        "shipgen.dev/environment": release.metadata.environment,
        "shipgen.dev/team": release.metadata.team,
    })
    version = image_version(release.service.image)
    if version:
        labels["app.kubernetes.io/version"] = version
    return dict(sorted(labels.items()))


def image_version(image: str) -> str:
    """The image tag when it is a valid label value (`1.8.0`), else "" (digests, `latest`)."""
    reference = image.split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag or len(tag) > 63 or tag == "latest":
        return ""
    if not all(ch.isalnum() or ch in "-_." for ch in tag) or not (tag[0].isalnum() and tag[-1].isalnum()):
        return ""
    return tag


def object_metadata(release: Release, name: str, labels: dict | None = None) -> dict:
    metadata = {"name": name, "namespace": release.namespace, "labels": labels or common_labels(release)}
    annotations = {"shipgen.dev/owner": release.metadata.owner, "shipgen.dev/source": release.source}
    if release.metadata.description:
        annotations["shipgen.dev/description"] = release.metadata.description
    metadata["annotations"] = dict(sorted(annotations.items()))
    return metadata


# ---------------------------------------------------------------------------- Deployment


def deployment(release: Release) -> dict:
    spec = {}
    if release.service.autoscaling is None:  # the autoscaler owns the count when there is one
        spec["replicas"] = release.service.replicas
    spec.update({
        "revisionHistoryLimit": REVISION_HISTORY_LIMIT,
        "progressDeadlineSeconds": progress_deadline_s(release),
        "minReadySeconds": release.service.warmup_s,
        "selector": {"matchLabels": selector_labels(release)},
        "strategy": deployment_strategy(release),
        "template": pod_template(release),
    })
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": object_metadata(release, release.name), "spec": spec}


def deployment_strategy(release: Release) -> dict:
    strategy = release.strategy
    if strategy.type == "recreate":
        return {"type": "Recreate"}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": strategy.max_surge,
                                                      "maxUnavailable": strategy.max_unavailable}}


def progress_deadline_s(release: Release) -> int:
    """Long enough for a new pod to start, pass its probes and stay ready for minReadySeconds,
    with a margin; never below Kubernetes' default of 600 s (targets-k8s.md §3.1)."""
    service = release.service
    start = sum(probe.budget_s for probe in (service.startup, service.readiness) if probe is not None)
    return max(DEFAULT_PROGRESS_DEADLINE_S, service.warmup_s + start + 120)


def pod_template(release: Release, labels: dict | None = None) -> dict:
    pod_labels = dict(labels or common_labels(release))
    return {
        "metadata": {"labels": pod_labels},
        "spec": {
            "terminationGracePeriodSeconds": release.service.termination_grace_s,
            "containers": [container(release)],
        },
    }


def container(release: Release) -> dict:
    service = release.service
    result = {"name": release.name, "image": service.image}
    if service.command:
        result["command"] = list(service.command)
    if service.args:
        result["args"] = list(service.args)
    if service.ports:
        result["ports"] = [{"name": port.name, "containerPort": port.port,
                            "protocol": "UDP" if port.protocol == "udp" else "TCP"} for port in service.ports]
    if service.env:
        result["env"] = [{"name": name, "value": value} for name, value in service.env]
    resources = resource_requirements(release)
    if resources:
        result["resources"] = resources
    for field, probe in (("startupProbe", service.startup), ("readinessProbe", service.readiness),
                         ("livenessProbe", service.liveness)):
        if probe is not None:
            result[field] = probe_spec(probe, release)
    if service.drain_s:
        result["lifecycle"] = {"preStop": {"sleep": {"seconds": service.drain_s}}}
    return result


def resource_requirements(release: Release) -> dict:
    resources = release.service.resources
    requests = {key: value for key, value in (("cpu", resources.cpu), ("memory", resources.memory)) if value}
    limits = {key: value for key, value in (("cpu", resources.limit_cpu), ("memory", resources.limit_memory)) if value}
    result = {}
    if limits:
        result["limits"] = limits
    if requests:
        result["requests"] = requests
    return result


def probe_spec(probe: Probe, release: Release) -> dict:
    if probe.handler == "http":
        handler = {"httpGet": {"path": probe.path, "port": probe.port}}
    elif probe.handler == "tcp":
        handler = {"tcpSocket": {"port": probe.port}}
    elif probe.handler == "grpc":  # the gRPC handler takes a port number, not a name
        handler = {"grpc": {"port": port_number(release, probe.port)}}
    else:
        handler = {"exec": {"command": list(probe.command)}}
    timing = {"periodSeconds": probe.period_s, "timeoutSeconds": probe.timeout_s,
              "failureThreshold": probe.failure_threshold}
    if probe.initial_delay_s:
        timing["initialDelaySeconds"] = probe.initial_delay_s
    return {**handler, **timing}


def port_number(release: Release, port) -> int:
    if isinstance(port, int):
        return port
    return next(p.port for p in release.service.ports if p.name == port)


# ---------------------------------------------------------------------------- Service, PDB, HPA

APP_PROTOCOLS = {"http": "http", "http2": "kubernetes.io/h2c", "grpc": "kubernetes.io/h2c", "tcp": "tcp"}


def service(release: Release, name: str, selector: dict) -> dict:
    ports = []
    for port in release.service.ports:
        entry = {"name": port.name, "port": port.service_port, "targetPort": port.name,
                 "protocol": "UDP" if port.protocol == "udp" else "TCP"}
        if port.protocol in APP_PROTOCOLS:
            entry["appProtocol"] = APP_PROTOCOLS[port.protocol]
        ports.append(entry)
    return {"apiVersion": "v1", "kind": "Service", "metadata": object_metadata(release, name),
            "spec": {"type": "ClusterIP", "selector": dict(selector), "ports": ports}}


def disruption_allowance(release: Release):
    """How many pods a voluntary disruption (node drain) may take at once: always at least one,
    so a drain can progress; 10% (rounded up by Kubernetes) for ten or more replicas."""
    return "10%" if release.service.min_replicas >= 10 else 1


def pod_disruption_budget(release: Release, name: str, selector: dict) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_metadata(release, name),
        "spec": {
            "maxUnavailable": disruption_allowance(release),
            "selector": {"matchLabels": dict(selector)},
            # a crash-looping pod must never block a node drain (targets-k8s.md §3.4)
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def horizontal_pod_autoscaler(release: Release, api_version: str, kind: str, name: str) -> dict:
    scaling = release.service.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_metadata(release, release.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization}}}],
        },
    }


# ---------------------------------------------------------------------------- runbook procedure


def kubectl(release: Release, *words) -> str:
    return command("kubectl", "--namespace", release.namespace, *words)


def procedure(release: Release, facts) -> Procedure:
    deadline = progress_deadline_s(release)
    target = f"deployment/{release.name}"
    deploy = (
        Step("Apply the manifests (Deployment, Service, PodDisruptionBudget"
             + (", HorizontalPodAutoscaler" if release.service.autoscaling else "") + ").",
             command("kubectl", "apply", "--filename", "kubernetes/"), role=APPLY),
        Step(f"Wait for the rollout; it fails if no progress is made for {human(deadline)}.",
             kubectl(release, "rollout", "status", target, f"--timeout={deadline}s"), role=VERDICT),
    )
    watch = (
        Step("Follow the pods as they are replaced.", kubectl(release, "get", "pods", "--selector",
                                                               f"{NAME_LABEL}={release.name}", "--watch")),
        Step("See why a rollout is stuck (events, conditions).", kubectl(release, "describe", target)),
    )
    rollback = (
        Step("Roll back to the previous revision.", kubectl(release, "rollout", "undo", target), role=ROLLBACK),
        Step("Wait until the previous revision serves again.",
             kubectl(release, "rollout", "status", target, f"--timeout={deadline}s"), role=ROLLBACK),
        Step("Check which revision runs now.", kubectl(release, "rollout", "history", target)),
    )
    notes = (
        "A Kubernetes Deployment never rolls back by itself: when the progress deadline passes it is only "
        "marked failed (ProgressDeadlineExceeded). The rollback criteria in this runbook are for a person (or your "
        "CI) to act on; choose a progressive controller (flagger or argo-rollouts) for automatic rollback.",
    )
    return Procedure("Kubernetes Deployment (rolling update)" if release.strategy.type == "rolling"
                     else "Kubernetes Deployment (recreate: all pods stop before new ones start)",
                     deploy, watch, rollback, "", notes)

"""Platform facts: what each platform really does with a release's probes, so that the policies
judge the rollout the target emits rather than the spec's wording. (Which steps a controller
judges comes from its rollout model: `facts/rollout.py` reads it.)

- `readiness_check`: what tells the platform an instance may receive traffic, from the probes
  the target turns into a health check: the readiness probe on Kubernetes, the startup probe on
  Cloud Run, the health check path on App Service, and so on (see `READINESS` below).
"""

from __future__ import annotations

from ..model import Release

READINESS_PATH = ["service", "health", "readiness"]


# ---------------------------------------------------------------------------- readiness


def readiness_check(release: Release) -> dict:
    """Whether the platform learns when a new instance can serve, and through what.

    `required`: the platform routes requests to instances that could be sent them too early
    (Lambda invokes a function only once its initialisation is done); `present`: the spec gives
    a probe the target turns into that check; `mechanism`: the check, in the platform's words;
    `path`: where the spec would give it."""
    service = release.service
    kind = release.platform.kind
    readiness, liveness, startup = service.readiness, service.liveness, service.startup

    def result(present: bool, mechanism: str, path: list = READINESS_PATH, required: bool = True) -> dict:
        return {"required": required and bool(service.ports), "present": present, "mechanism": mechanism,
                "path": path}

    def handled(probe, handlers) -> bool:
        return probe is not None and probe.handler in handlers

    if kind == "gcp-cloud-run" or (kind == "gcp-cloud-deploy" and release.platform.gcp.cloud_deploy.runtime
                                   == "cloud-run"):
        # Cloud Run has no readiness probe: the startup probe (startup, else readiness) gates traffic
        probe = startup or readiness
        path = ["service", "health", "startup"] if startup is not None else READINESS_PATH
        return result(handled(probe, ("http", "tcp", "grpc")),
                      "Cloud Run startup probe (service.health.startup or readiness, HTTP, TCP or gRPC)", path)
    if kind == "gcp-traffic-director":
        return result(handled(readiness, ("http", "tcp", "grpc")), "Traffic Director backend service health check "
                      "(created from service.health.readiness, HTTP, TCP or gRPC)")
    if kind == "azure-container-apps":
        return result(handled(readiness, ("http", "tcp")), "Container Apps readiness probe "
                      "(service.health.readiness, HTTP or TCP)")
    if kind == "azure-app-service":
        present = handled(readiness, ("http",)) or handled(liveness, ("http",))
        return result(present, "App Service health check path (an HTTP readiness or liveness probe, also the swap "
                               "warm-up path)")
    if kind == "azure-traffic-manager":
        monitor = release.platform.azure.traffic_manager
        explicit = not any(path == "platform.azure.trafficManager.monitor.path" for path, _ in release.defaults)
        present = handled(readiness, ("http",)) or monitor.monitor_protocol == "TCP" or explicit
        return result(present, "Traffic Manager endpoint monitor path (an HTTP readiness probe, or "
                               "platform.azure.trafficManager.monitor.path)")
    if kind == "aws-ecs":
        present = handled(readiness, ("http",)) or handled(liveness, ("exec",))
        return result(present, "ECS health check (an HTTP readiness probe for the target groups' health check, or "
                               "an exec liveness probe for the container health check)")
    if kind == "aws-ec2":
        return result(readiness is not None or liveness is not None,
                      "health check in the CodeDeploy hook scripts (a readiness or liveness probe)")
    if kind == "aws-lambda":
        return result(True, "", required=False)
    return result(readiness is not None, "readiness probe")

"""Platform facts: what each platform really does with a release's gates and probes, so that the
policies judge the rollout the target emits rather than the spec's wording.

- `judged_steps`: the analysis steps where a controller judges a sample of traffic. Flagger and
  Argo Rollouts (`targets-k8s.md`) query the gates at every step, the blue-green preview included
  (fed by the load test only). On AWS (`targets-cloud.md` §1-§3, §14) nothing queries a
  metric: CodeDeploy watches CloudWatch alarms built from the rollback gates, each judging one
  alarm period of the traffic the new version serves, at the canary shares CodeDeploy really
  shifts (`AwsPlatform.shift`: steps the nearest faithful configuration drops are never
  reached) or, for blue-green, once production traffic has moved (the preview is only probed by
  the hooks' smoke tests through the test listener). On GCP and Azure (`targets/gcp_azure/settings.py`, §8-§14)
  nothing evaluates metric gates: smoke tests decide, so there is no sample to judge.
- `readiness_check`: what tells the platform an instance may receive traffic, from the probes
  the target turns into a health check: the readiness probe on Kubernetes, the startup probe on
  Cloud Run, the health check path on App Service, and so on (see `READINESS` below).
"""

from __future__ import annotations

from ..durations import human
from ..model import Release

GCP_AZURE_KINDS = frozenset({"gcp-cloud-run", "gcp-cloud-deploy", "azure-container-apps", "azure-app-service",
                             "azure-traffic-manager"})
READINESS_PATH = ["service", "health", "readiness"]


# ---------------------------------------------------------------------------- analysis steps


def judged_steps(release: Release, kubernetes_steps: list) -> list:
    """The analysis steps a controller judges. `kubernetes_steps` are the steps as Flagger and Argo
    Rollouts run them (`rollout.analysis_steps`)."""
    kind = release.platform.kind
    if kind in GCP_AZURE_KINDS:
        return []  # no platform there evaluates metric gates (normalize warns); smoke tests decide
    if kind.startswith("aws-"):
        return aws_judged_steps(release)
    return kubernetes_steps


def aws_judged_steps(release: Release) -> list:
    """Each traffic share at which CodeDeploy's alarms judge the new version: one alarm period of
    requestsPerSecond x share (CodeDeploy sends no generated load)."""
    from .rollout import canonical, number_text

    aws = release.platform.aws
    strategy = release.strategy
    if aws is None or not aws.alarms:
        return []  # no alarm: nothing judges a sample, whatever the strategy
    period_s = min(alarm.period_s for alarm in aws.alarms)
    rate = release.service.requests_per_second

    def step(index: int, weight: int, pause_s: int, when: str, path: list) -> dict:
        expected = None if rate is None else canonical(rate * weight / 100 * period_s)
        basis = (f"{weight}% of {canonical(rate)} requests/s{when}" if rate is not None else "unknown traffic") \
            + f" over one {human(period_s)} CloudWatch alarm period"
        return {"index": index, "weight": weight, "pause_s": pause_s, "expected_requests": expected,
                "expected_text": number_text(expected), "basis": basis, "path": path}

    if strategy.type == "blue-green":
        # the preview gets only the smoke tests; the alarms judge production traffic after the switch
        return [step(0, 100, 0, " after the switch", ["strategy", "type"])]
    if strategy.type == "canary" and aws.shift is not None:
        reached = len(aws.shift.steps) - 1  # the shares before 100% that CodeDeploy really shifts
        from_spec = not any(path == "strategy.steps" for path, _ in release.defaults)
        return [step(index, spec_step.weight, spec_step.pause_s, "",
                     ["strategy", "steps", index] if from_spec else ["strategy", "type"])
                for index, spec_step in enumerate(strategy.steps[:reached])]
    return []  # rolling and in-place updates: instances are replaced, no share of traffic is judged


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

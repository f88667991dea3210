"""Targets: pure functions from the release model to artifacts.

Each target is a module with:
- `NAME`: its name;
- `applies(release) -> bool`: whether the release asks for it;
- `render(release, facts) -> list[Artifact]`: the artifacts, paths relative to the release's folder.

A *delivery* target, the one that performs the rollout on the release's platform, also has
`procedure(release, facts) -> Procedure`: the exact steps to deploy, verify and roll back, which
the runbook prints. Register a new target by adding its module to `TARGETS` (order is the
order of rendering; the runbook comes last).
"""

from __future__ import annotations

from . import argo_rollouts, flagger, grafana, kubernetes, runbook, slo_alerts
from . import azure_app_service, azure_container_apps, azure_traffic_manager, gcp_cloud_deploy, gcp_cloud_run
from . import aws_ec2, aws_ecs, aws_lambda

TARGETS = (kubernetes, flagger, argo_rollouts, gcp_cloud_run, gcp_cloud_deploy, azure_container_apps,
           azure_app_service, azure_traffic_manager, aws_ecs, aws_lambda, aws_ec2, slo_alerts, grafana, runbook)


def delivery_target(release):
    """The target that performs the rollout for this release, or None."""
    for target in TARGETS:
        if hasattr(target, "procedure") and target.applies(release):
            return target
    return None


def render_release(release, facts) -> list:
    artifacts = []
    for target in TARGETS:
        if target.applies(release):
            artifacts.extend(target.render(release, facts))
    return artifacts

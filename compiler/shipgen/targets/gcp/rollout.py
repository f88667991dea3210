"""The rollout models of Google Cloud's targets (`targets-cloud.md` §8-§10, §14):

- Cloud Run and Traffic Director: the `rollout.sh` script shipgen generates (`../gcp_azure/rollout.py`);
  on Traffic Director each step imports the URL map holding that step's backend-service weights,
  which the proxies apply after the control plane pushes it (not counted: seconds, up to a minute);
- Cloud Deploy: the rollout of the release to the pipeline's last target, where the spec's
  strategy runs. Its rules, as the model encodes them (t = 0 is the start of that rollout; the
  earlier targets were promoted before it): a target that requires approval waits for a person;
  each canary phase runs a deploy job (on GKE with a mesh it also waits `routeUpdateWait` for
  the route), then the verify job (the smoke tests) when `verify` is on, then waits for the
  Automation's `advanceRolloutRule` (whole minutes) or for a person to advance it; the stable
  phase deploys and verifies at 100 %. A failed job is retried by the `repairRolloutRule`
  (`attempts`, linear backoff: the n-th retry waits n x `wait`), then rolled back; without a
  repair rule the rollout just fails where it is. Cloud Deploy evaluates no metric.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import PASSES, PERSON, READY, ROLLBACK, SMOKE, STOP, TIMER, Check, Phase, Rollback, Rollout
from ..gcp_azure.rollout import script_rollout


TRAFFIC_DIRECTOR_ASSUMPTIONS = (
    "Each step's URL map import returns once Traffic Director has it; the proxies apply the new weights when the "
    "control plane pushes them (seconds, up to a minute), which the plan does not count.",
)


def rollout(release: Release) -> Rollout:
    gcp = release.platform.gcp
    if release.platform.kind == "gcp-cloud-run":
        return script_rollout(release, gcp.rollout, f"Cloud Run {release.strategy.type} (rollout.sh)")
    if release.platform.kind == "gcp-traffic-director":
        return script_rollout(release, gcp.rollout, f"Traffic Director {release.strategy.type}: URL map weights "
                              "(rollout.sh)", assumptions=TRAFFIC_DIRECTOR_ASSUMPTIONS)
    return cloud_deploy_rollout(release)


def cloud_deploy_rollout(release: Release) -> Rollout:
    deploy = release.platform.gcp.cloud_deploy
    last = deploy.stages[-1]
    tests = tuple(test.name for test in release.smoke) if deploy.verify else ()
    repaired = deploy.repair_attempts is not None
    on_failure = ROLLBACK if repaired else STOP
    route_wait_s = deploy.mesh.route_update_wait_s if deploy.mesh else 0
    phases: list = []
    checks: list = []
    share = 0

    def deploy_and_verify(name: str, percent: int):
        nonlocal share
        phases.append(Phase(f"{name}: deploy job", share, READY, duration_s=route_wait_s,
                            spec_path=("platform", "gcp", "cloudDeploy")))
        share = percent
        if not tests:
            return
        index = len(phases)
        check = f"verify job at {name}"
        phases.append(Phase(f"{name}: verify job", percent, PASSES, passes=1, gating_check=check,
                            spec_path=("smoke",)))
        checks.append(Check(check, SMOKE, tests, "Cloud Deploy verify job (smoke tests)", index, index,
                            interval_s=max(60, deploy.retry_wait_min * 60), first_s=0,  # until it passes
                            failure_limit=deploy.repair_attempts or 0, retry_wait_s=deploy.retry_wait_min * 60,
                            on_failure=on_failure, spec_path=("smoke",),
                            rule="repairRolloutRule: retried with linear backoff, then rolled back" if repaired
                            else "a failed verify job fails the rollout"))

    if last.require_approval:
        phases.append(Phase(f"waiting for approval of the rollout to {last.target}", 0, PERSON,
                            waits_for=f"approval: `gcloud deploy rollouts approve` (target {last.target})",
                            spec_path=("strategy", "approval")))
    for index, (percent, wait_min) in enumerate(zip(deploy.percentages, deploy.advance_after_min)):
        name = f"canary-{percent}"
        deploy_and_verify(name, percent)
        path = ("strategy", "steps", index) if index < len(release.strategy.steps) else ("strategy", "type")
        if wait_min is None:
            phases.append(Phase(f"{percent}%: waiting to be advanced", percent, PERSON,
                                waits_for="`gcloud deploy rollouts advance`", spec_path=path))
        else:
            phases.append(Phase(f"{percent}% for {human(wait_min * 60)} (advanceRolloutRule)", percent, TIMER,
                                duration_s=wait_min * 60, spec_path=path))
    deploy_and_verify("stable", 100)
    earlier = ", ".join(stage.target for stage in deploy.stages[:-1])
    assumptions = (
        "Deploy jobs finish once the new instances are ready (--startup)"
        + (f", plus the mesh's routeUpdateWait ({human(route_wait_s)})" if route_wait_s else "")
        + "; verify jobs answer at once; the Automation acts at once.",
        "Cloud Deploy evaluates no metric gate: only the verify job can stop the rollout.",
    ) + ((f"The release was promoted through {earlier} before; that time is not counted.",) if earlier else ())
    return Rollout(f"Cloud Deploy {'canary' if deploy.percentages else 'standard'} ({last.target})",
                   tuple(phases), tuple(checks),
                   Rollback("Cloud Deploy rolls the target back: a new rollout of the last successful release "
                            "(its instances start again: not instant)"),
                   f"the start of the rollout to {last.target}", assumptions, release.service.requests_per_second,
                   automatic=repaired and bool(checks))

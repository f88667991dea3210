"""Cloud Deploy: a delivery pipeline that promotes the release through its targets and runs the
spec's strategy on the last one.

Emits `cloud-deploy/clouddeploy.yaml` for `gcloud deploy apply` (`deploy.cloud.google.com/v1`
DeliveryPipeline with a serialPipeline, one Target per stage, and an Automation that advances
the canary phases after the spec's holds and repairs failed rollouts by retrying and rolling
back), and the manifest Cloud Deploy renders: `cloud-deploy/service.yaml` (a Cloud Run Service
without `traffic`, which Cloud Deploy manages) or, for GKE targets, `cloud-deploy/kubernetes.yaml`
(Deployment, Service, and with `platform.gcp.mesh` a Gateway API HTTPRoute whose backend weights
Cloud Deploy rewrites: Cloud Service Mesh weighted routing). Follows
`../shared/docs/targets-cloud.md` §8, §10 and §14.
"""

from __future__ import annotations

import posixpath

from ...artifacts import YAML, YAML_DOCUMENTS, Artifact
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, VERDICT, Procedure, Step
from ...shell import command, quote
from ..kubernetes import manifests as kubernetes
from ..gcp_azure import common as gcp_azure_common
from ..gcp_azure.common import gcp_labels, plan_text
from .cloud_run import service as cloud_run_service

NAME = "gcp-cloud-deploy"
API_VERSION = "deploy.cloud.google.com/v1"
ALL_USAGES = ["RENDER", "DEPLOY", "VERIFY", "PREDEPLOY", "POSTDEPLOY"]
MAX_DESCRIPTION = 255


def render(release: Release, facts) -> list:
    deploy = release.platform.gcp.cloud_deploy
    documents = [delivery_pipeline(release)] + [target(release, stage) for stage in deploy.stages]
    if deploy.automation:
        documents.append(automation(release))
    artifacts = [Artifact("cloud-deploy/clouddeploy.yaml", documents, YAML_DOCUMENTS)]
    if deploy.runtime == "gke":
        artifacts.append(Artifact("cloud-deploy/kubernetes.yaml", kubernetes_manifests(release), YAML_DOCUMENTS))
    else:
        artifacts.append(Artifact("cloud-deploy/service.yaml", cloud_run_service(release, "", None), YAML))
    return artifacts


# ---------------------------------------------------------------------------- clouddeploy.yaml


def _metadata(release: Release, name: str) -> dict:
    annotations = {"shipgen.dev/owner": release.metadata.owner, "shipgen.dev/source": release.source}
    return {"name": name, "labels": gcp_labels(release), "annotations": annotations}


def _description(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DESCRIPTION else text[:MAX_DESCRIPTION - 1] + "…"


def delivery_pipeline(release: Release) -> dict:
    deploy = release.platform.gcp.cloud_deploy
    stages = [{"targetId": stage.target, "strategy": {"standard": _job_settings(deploy)}}
              for stage in deploy.stages[:-1]]
    stages.append({"targetId": deploy.stages[-1].target, "strategy": last_stage_strategy(release)})
    document = {"apiVersion": API_VERSION, "kind": "DeliveryPipeline", "metadata": _metadata(release, deploy.pipeline)}
    description = release.metadata.description or f"{release.name}: {' then '.join(s.target for s in deploy.stages)}"
    document["description"] = _description(description)
    document["serialPipeline"] = {"stages": stages}
    return document


def _job_settings(deploy) -> dict:
    settings = {"verify": deploy.verify}
    if deploy.predeploy:
        settings["predeploy"] = {"actions": list(deploy.predeploy)}
    if deploy.postdeploy:
        settings["postdeploy"] = {"actions": list(deploy.postdeploy)}
    return settings


def last_stage_strategy(release: Release) -> dict:
    deploy = release.platform.gcp.cloud_deploy
    if not deploy.percentages:
        return {"standard": _job_settings(deploy)}
    return {"canary": {"runtimeConfig": runtime_config(release),
                       "canaryDeployment": {"percentages": list(deploy.percentages), **_job_settings(deploy)}}}


def runtime_config(release: Release) -> dict:
    deploy = release.platform.gcp.cloud_deploy
    if deploy.runtime == "cloud-run":
        return {"cloudRun": {"automaticTrafficControl": True,
                             "canaryRevisionTags": [release.platform.gcp.cloud_run.preview_tag]}}
    if deploy.mesh is None:
        return {"kubernetes": {"serviceNetworking": {"service": release.name, "deployment": release.name}}}
    return {"kubernetes": {"gatewayServiceMesh": {
        "httpRoute": release.name, "service": release.name, "deployment": release.name,
        "routeUpdateWaitTime": f"{deploy.mesh.route_update_wait_s}s",
        "stableCutbackDuration": f"{deploy.mesh.stable_cutback_s}s"}}}


def requires_approval(release: Release, stage) -> bool:
    """A stage's own setting, or the spec's approval before rollout on the last stage's canary
    (before promotion, the person advances the last phase instead)."""
    deploy = release.platform.gcp.cloud_deploy
    last = stage == deploy.stages[-1]
    return stage.require_approval or (last and release.platform.gcp.rollout.approval_step == 0)


def target(release: Release, stage) -> dict:
    deploy = release.platform.gcp.cloud_deploy
    document = {"apiVersion": API_VERSION, "kind": "Target", "metadata": _metadata(release, stage.target),
                "description": _description(f"{release.name} in {stage.target} ({stage.project}, {stage.region})"),
                "requireApproval": requires_approval(release, stage)}
    document.update({"gke": {"cluster": stage.cluster}} if stage.cluster else {"run": {"location": stage.location}})
    if deploy.service_account:
        document["executionConfigs"] = [{"usages": list(ALL_USAGES), "serviceAccount": deploy.service_account}]
    return document


def phase_ids(release: Release) -> list:
    """Cloud Deploy's phase names: `canary-<percent>` per canary phase, then `stable`."""
    return [f"canary-{percent}" for percent in release.platform.gcp.cloud_deploy.percentages] + ["stable"]


def automation_id(release: Release) -> str:
    return f"{release.platform.gcp.cloud_deploy.stages[-1].target}-rollout"[:63].rstrip("-")


def automation(release: Release) -> dict:
    deploy = release.platform.gcp.cloud_deploy
    phases = phase_ids(release)
    rules = []
    for phase, wait in zip(phases, deploy.advance_after_min):
        if wait is not None:
            rules.append({"advanceRolloutRule": {"id": f"advance-{phase}", "sourcePhases": [phase], "wait": f"{wait}m"}})
    if deploy.repair_attempts is not None:
        repair = []
        if deploy.repair_attempts:
            repair.append({"retry": {"attempts": deploy.repair_attempts, "wait": f"{deploy.retry_wait_min}m",
                                     "backoffMode": "BACKOFF_MODE_LINEAR"}})
        repair.append({"rollback": {}})
        jobs = ["deploy", "verify"] if deploy.verify else ["deploy"]
        rules.append({"repairRolloutRule": {"id": "repair", "phases": phases, "jobs": jobs, "repairPhases": repair}})
    last = deploy.stages[-1].target
    return {"apiVersion": API_VERSION, "kind": "Automation",
            "metadata": _metadata(release, f"{deploy.pipeline}/{automation_id(release)}"),
            "description": _description(f"advance and repair {release.name} rollouts to {last}"),
            "serviceAccount": deploy.service_account, "selector": {"targets": [{"id": last}]}, "rules": rules}


# ---------------------------------------------------------------------------- GKE manifests


def kubernetes_manifests(release: Release) -> list:
    selector = kubernetes.selector_labels(release)
    documents = [kubernetes.deployment(release)]
    if release.service.ports:
        documents.append(kubernetes.service(release, release.name, selector))
    documents.append(kubernetes.pod_disruption_budget(release, release.name, selector))
    if release.service.autoscaling:
        documents.append(kubernetes.horizontal_pod_autoscaler(release, "apps/v1", "Deployment", release.name))
    if release.platform.gcp.cloud_deploy.mesh is not None and release.service.ports:
        documents.append(http_route(release))
    return documents


def http_route(release: Release) -> dict:
    """The route Cloud Deploy splits: all traffic to the Service, until a phase adds the canary copy."""
    mesh = release.platform.gcp.cloud_deploy.mesh
    port = release.service.main_port.service_port
    if mesh.gateway:
        namespace, _, name = mesh.gateway.partition("/")
        parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": namespace, "name": name}
    else:  # GAMMA: the route applies to mesh traffic addressed to the Service
        parent = {"group": "", "kind": "Service", "name": release.name, "port": port}
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": kubernetes.object_metadata(release, release.name),
            "spec": {"parentRefs": [parent],
                     "rules": [{"backendRefs": [{"name": release.name, "port": port}]}]}}


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against the canary: Cloud Run's tag URL on the last target, or on GKE the
    `<name>-canary` Service Cloud Deploy creates."""
    from .cloud_run import IDENTITY_TOKEN

    deploy = release.platform.gcp.cloud_deploy
    if deploy.runtime == "gke":
        port = release.service.main_port.service_port if release.service.main_port else 80
        base = quote(f"http://{release.name}-canary.{release.namespace}.svc.cluster.local:{port}")
        return gcp_azure_common.smoke_command(test, [base])
    stage = deploy.stages[-1]
    describe = command("gcloud", "run", "services", "describe", release.name, f"--project={stage.project}",
                       f"--region={stage.region}", "--format=value(status.url)")
    tag = release.platform.gcp.cloud_run.preview_tag if deploy.percentages else ""
    host = f"$({describe} | sed 's|^https://||')"
    base = f'"https://{tag}---{host}"' if tag else f'"https://{host}"'
    return gcp_azure_common.smoke_command(test, [base], auth=IDENTITY_TOKEN)



def release_name(release: Release) -> str:
    from ..gcp_azure.settings import image_revision_suffix

    suffix = image_revision_suffix(release.service.image)
    return f"{release.name}-{suffix}"[:63].rstrip("-") if suffix else f"{release.name}-$DATE-$TIME"


def _gcloud_deploy(release: Release, *words) -> str:
    gcp = release.platform.gcp
    return command("gcloud", "deploy", *words, f"--region={gcp.region}", f"--project={gcp.project}")


def wait_command(release: Release, target_id: str) -> str:
    """A shell loop that returns when the rollout to `target_id` has succeeded, and fails when it
    ended otherwise (Cloud Deploy has no `wait` command)."""
    state = _gcloud_deploy(release, "rollouts", "describe", rollout_name(release, target_id),
                           f"--release={release_name(release)}",
                           f"--delivery-pipeline={release.platform.gcp.cloud_deploy.pipeline}", "--format=value(state)")
    return (f'while :; do state=$({state}) || exit 1; case "$state" in SUCCEEDED) break ;; '
            'FAILED|CANCELLED|HALTED|APPROVAL_REJECTED) echo "rollout $state" >&2; exit 1 ;; esac; sleep 30; done')


def rollout_name(release: Release, target_id: str) -> str:
    return f"{release_name(release)}-to-{target_id}-0001"


def skaffold_path(release: Release) -> str:
    folder = posixpath.dirname(release.source)
    path = release.platform.gcp.cloud_deploy.skaffold_file
    return posixpath.normpath(posixpath.join(folder, path)) if folder else path


def procedure(release: Release, facts) -> Procedure:
    gcp = release.platform.gcp
    deploy = gcp.cloud_deploy
    pipeline = deploy.pipeline
    name = release_name(release)
    manifest = "cloud-deploy/kubernetes.yaml" if deploy.runtime == "gke" else "cloud-deploy/service.yaml"
    steps = [Step("Create or update the pipeline, its targets" + (" and automation" if deploy.automation else "")
                  + " (safe to repeat).", _gcloud_deploy(release, "apply", "--file=cloud-deploy/clouddeploy.yaml"),
                  role=APPLY)]
    if deploy.skaffold_file:
        steps.append(Step("Put your Skaffold config next to the manifest it renders (it must list "
                          f"`{posixpath.basename(manifest)}` under manifests.rawYaml and define "
                          + ", ".join(_skaffold_needs(deploy)) + ").",
                          command("cp", skaffold_path(release), "cloud-deploy/skaffold.yaml")))  # its source is relative to where shipgen ran: no role
        source = ("--source=cloud-deploy",)
    else:
        source = ((f"--from-k8s-manifest={manifest}",) if deploy.runtime == "gke"
                  else (f"--from-run-manifest={manifest}",))
    for index, stage in enumerate(deploy.stages):
        if index == 0:
            steps.append(Step(f"Create the release; Cloud Deploy rolls it out to {stage.target}.",
                              _gcloud_deploy(release, "releases", "create", name, f"--delivery-pipeline={pipeline}",
                                             *source), role=APPLY))
        else:
            steps.append(Step(f"When {deploy.stages[index - 1].target} is healthy, promote the release to "
                              f"{stage.target}.", _gcloud_deploy(release, "releases", "promote", f"--release={name}",
                                                                 f"--delivery-pipeline={pipeline}",
                                                                 f"--to-target={stage.target}"), role=APPLY))
        if requires_approval(release, stage):
            steps.append(Step(f"The rollout to {stage.target} waits for approval: approve it.",
                              _gcloud_deploy(release, "rollouts", "approve", rollout_name(release, stage.target),
                                             f"--release={name}", f"--delivery-pipeline={pipeline}")))
        steps.append(Step(f"Or wait for the verdict on {stage.target} (CI does): polls the rollout every 30s until it "
                          "succeeded, and fails when it failed, was cancelled, halted or rejected.",
                          wait_command(release, stage.target), role=VERDICT))
    steps += _phase_steps(release, name)
    last = deploy.stages[-1].target
    rollout = rollout_name(release, last)
    watch = (Step(f"Follow the rollout to {last} (phases and jobs).",
                  _gcloud_deploy(release, "rollouts", "describe", rollout, f"--release={name}",
                                 f"--delivery-pipeline={pipeline}")),
             Step("List the rollouts of this release.",
                  _gcloud_deploy(release, "rollouts", "list", f"--release={name}", f"--delivery-pipeline={pipeline}")))
    rollback = (Step(f"Roll {last} back to the last successful release (a new rollout of it).",
                     _gcloud_deploy(release, "targets", "rollback", last, f"--delivery-pipeline={pipeline}"),
                     role=ROLLBACK),
                Step("Follow the rollback rollout.",
                     _gcloud_deploy(release, "rollouts", "list", f"--delivery-pipeline={pipeline}",
                                    f"--release={name}")))
    return Procedure(f"Cloud Deploy pipeline {pipeline} ({' → '.join(s.target for s in deploy.stages)})",
                     tuple(steps), watch, rollback, automatic_rollback(release), notes(release))


def _skaffold_needs(deploy) -> list:
    needs = ["a `verify` stanza"] if deploy.verify else []
    actions = list(deploy.predeploy) + list(deploy.postdeploy)
    if actions:
        needs.append("customActions " + ", ".join(actions))
    return needs or ["deploy.cloudrun: {}" if deploy.runtime == "cloud-run" else "deploy.kubectl: {}"]


def _phase_steps(release: Release, name: str) -> list:
    deploy = release.platform.gcp.cloud_deploy
    last = deploy.stages[-1].target
    phases = phase_ids(release)
    steps = []
    for index, (phase, wait) in enumerate(zip(phases, deploy.advance_after_min)):
        percent = deploy.percentages[index]
        advance = _gcloud_deploy(release, "rollouts", "advance", rollout_name(release, last), f"--release={name}",
                                 f"--delivery-pipeline={deploy.pipeline}", f"--phase-id={phases[index + 1]}")
        if wait is None:
            steps.append(Step(f"Phase {phase} ({percent}% of traffic) waits for a person: after approval "
                              f"({release.strategy.approval.before}), advance to {phases[index + 1]}.", advance))
        else:
            steps.append(Step(f"Phase {phase}: {percent}% of traffic; the automation advances to {phases[index + 1]} "
                              f"after {wait} min. To advance now:", advance))
    return steps


def automatic_rollback(release: Release) -> str:
    deploy = release.platform.gcp.cloud_deploy
    if deploy.repair_attempts is None:
        return ""
    jobs = "deploy or verify job" if deploy.verify else "deploy job"
    retry = (f"retries it {deploy.repair_attempts} time(s), {deploy.retry_wait_min} min apart, then "
             if deploy.repair_attempts else "")
    return (f"the Automation {deploy.pipeline}/{automation_id(release)} watches rollouts to {deploy.stages[-1].target}: "
            f"when the {jobs} fails in a phase ({', '.join(phase_ids(release))}) it {retry}rolls back to the last "
            "successful release (a new rollout, not instant). It does not see the metric gates"
            + ("" if deploy.verify else ", and without verify it only catches revisions that fail to deploy") + ".")


def notes(release: Release) -> tuple:
    deploy = release.platform.gcp.cloud_deploy
    result = []
    if deploy.percentages:
        result.append(f"The first rollout to {deploy.stages[-1].target} skips the canary phases (there is nothing to "
                      f"split against) and goes straight to stable. Later ones run {plan_text(release.platform.gcp.rollout)}.")
    if deploy.runtime == "cloud-run" and deploy.percentages:
        result.append(f"During the canary the new revision is tagged {release.platform.gcp.cloud_run.preview_tag}: "
                      "its URL is https://<tag>---<service URL host>, for smoke tests.")
    if deploy.mesh is not None:
        result.append(f"Cloud Deploy creates {release.name}-canary copies of the Deployment and Service and moves the "
                      f"HTTPRoute weights between them, waiting {human(deploy.mesh.route_update_wait_s)} after each "
                      f"change; the canary copy keeps traffic for {human(deploy.mesh.stable_cutback_s)} after stable.")
    elif deploy.runtime == "gke" and deploy.percentages:
        result.append("Without a mesh, Cloud Deploy splits a GKE canary by pod count (serviceNetworking): the "
                      "percentages are approximate shares of pods, not of requests.")
    if release.smoke:
        result.append("Cloud Deploy does not run this spec's smoke tests by itself: "
                      + ("make the verify stanza of your Skaffold config run them (the commands are above); a failed "
                         "verify fails the phase." if deploy.verify else
                         "run them (above) before advancing, or set cloudDeploy.verify with a Skaffold verify stanza "
                         "that runs them."))
    if not deploy.skaffold_file:
        result.append("The release's Skaffold config is generated by gcloud from the manifest (no verify, no custom "
                      "actions); Google recommends your own skaffold.yaml for production (cloudDeploy.skaffoldFile).")
    return tuple(result)

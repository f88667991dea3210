"""Azure Container Apps: revision traffic weights in multiple-revision mode.

Emits `container-apps/template.json`, an ARM template with one `Microsoft.App/containerApps`
resource (apiVersion 2026-01-01): for canary and blue-green, `activeRevisionsMode: Multiple`,
the new revision (`<app>--<suffix>`) created at weight 0 with the label `preview` (its own URL,
`https://<app>---preview.<environment domain>`) and the revision serving now kept at 100 with the
label `stable`; otherwise single-revision mode, where the new revision takes all traffic once
healthy. `container-apps/rollout.sh` then moves the weights through the spec's steps with
`az containerapp ingress traffic set --label-weight` (the two labelled entries of the template),
re-running the smoke tests against the preview URL while traffic is held. Container Apps has no
automatic rollback of its own.
Follows `../shared/docs/targets-cloud.md` §12 and §14.
"""

from __future__ import annotations

from ...artifacts import JSON, SHELL, Artifact
from ...durations import human
from ..gcp_azure.settings import aca_probe_timing
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ..gcp_azure.common import smoke_command as common_smoke_command
from ..gcp_azure.common import (AZURE_FUNCTION, ScriptPlatform, arm_cpu, arm_deploy_command, arm_literal, arm_template,
                               az, azure_tags, gibibytes, holds_text, plan_text, rollout_script, share_steps)
from ..gcp_azure.rollout import automatic_rollback_text, exit_codes_text
from ..kubernetes.manifests import port_number

NAME = "azure-container-apps"
API_VERSION = "2026-01-01"
PREVIEW_LABEL = "preview"
STABLE_LABEL = "stable"
TRANSPORTS = {"http": "http", "http2": "http2", "grpc": "http2", "tcp": "tcp"}
PROBE_TYPES = (("startup", "Startup"), ("readiness", "Readiness"), ("liveness", "Liveness"))


def render(release: Release, facts) -> list:
    azure = release.platform.azure
    return [Artifact("container-apps/template.json", arm_template(release, [container_app(release)]), JSON),
            Artifact("container-apps/rollout.sh", rollout_script(release, azure.rollout, script_platform(release)),
                     SHELL)]


# ---------------------------------------------------------------------------- template


def container_app(release: Release) -> dict:
    azure = release.platform.azure
    app = azure.container_app
    configuration = {"activeRevisionsMode": "Multiple" if azure.rollout.progressive else "Single"}
    port = release.service.main_port
    if port is not None:
        configuration["ingress"] = {"external": app.external, "targetPort": port.port,
                                    "transport": TRANSPORTS[port.protocol], "traffic": initial_traffic(release)}
    return {"type": "Microsoft.App/containerApps", "apiVersion": API_VERSION, "name": release.name,
            "location": azure.location, "tags": azure_tags(release),
            "properties": {"environmentId": app.environment_id, "configuration": configuration,
                           "template": revision_template(release)}}


def initial_traffic(release: Release) -> list:
    azure = release.platform.azure
    if not azure.rollout.progressive:
        return [{"latestRevision": True, "weight": 100}]
    return [{"revisionName": azure.container_app.previous_revision, "weight": 100, "label": STABLE_LABEL},
            {"latestRevision": True, "weight": 0, "label": PREVIEW_LABEL}]


def revision_template(release: Release) -> dict:
    service = release.service
    container = {"name": release.name, "image": arm_literal(service.image)}
    if service.command:
        container["command"] = [arm_literal(word) for word in service.command]
    if service.args:
        container["args"] = [arm_literal(word) for word in service.args]
    if service.env:
        container["env"] = [{"name": name, "value": arm_literal(value)} for name, value in service.env]
    resources = {}
    cpu = arm_cpu(service.resources.limit_cpu or service.resources.cpu)
    if cpu is not None:
        resources["cpu"] = cpu
    memory = service.resources.limit_memory or service.resources.memory
    if memory:
        resources["memory"] = gibibytes(memory)
    if resources:
        container["resources"] = resources
    probes = [probe(release, kind, getattr(service, field)) for field, kind in PROBE_TYPES
              if getattr(service, field) is not None and getattr(service, field).handler in ("http", "tcp")]
    if probes:
        container["probes"] = probes
    return {"revisionSuffix": release.platform.azure.container_app.revision_suffix, "containers": [container],
            "scale": scale(release)}


def probe(release: Release, kind: str, spec_probe) -> dict:
    port = port_number(release, spec_probe.port)
    handler = ({"httpGet": {"path": arm_literal(spec_probe.path), "port": port}} if spec_probe.handler == "http"
               else {"tcpSocket": {"port": port}})
    return {"type": kind, **handler, **aca_probe_timing(spec_probe)}


def scale(release: Release) -> dict:
    service = release.service
    autoscaling = service.autoscaling
    result = {"minReplicas": service.min_replicas,
              "maxReplicas": autoscaling.max_replicas if autoscaling else service.replicas}
    if autoscaling:
        result["rules"] = [{"name": "cpu", "custom": {"type": "cpu", "metadata": {
            "type": "Utilization", "value": str(autoscaling.cpu_utilization)}}}]
    return result


# ---------------------------------------------------------------------------- rollout.sh


FUNCTIONS = AZURE_FUNCTION + """
deploy_new_version() {  # template.json: the new revision, beside the one serving now
  azure deployment group create --resource-group "$group" --template-file "$here/template.json"
}

set_traffic() {  # set_traffic PERCENT: PERCENT to the new revision (label preview), the rest to the previous one
  # By label: the template's two traffic entries get the weights. Naming the new revision instead
  # would add a second entry for it beside the latestRevision one that carries its label.
  azure containerapp ingress traffic set --name "$app" --resource-group "$group" \\
    --label-weight "$stable_label=$((100 - $1))" "$preview_label=$1"
}

roll_back() {
  if [ -z "$previous_revision" ]; then
    echo "no previous revision is known (platform.azure.containerApp.previousRevision): list them with" >&2
    echo "  az containerapp revision list --name $app --resource-group $group --output table" >&2
    return 1
  fi
  if [ "$multiple_revisions" = true ]; then
    azure containerapp ingress traffic set --name "$app" --resource-group "$group" \\
      --label-weight "$stable_label=100" "$preview_label=0"
  else
    azure containerapp revision copy --name "$app" --resource-group "$group" --from-revision "$previous_revision"
  fi
  echo "rolled back: $previous_revision serves 100% of traffic"
}

new_version_urls() {  # new_version_urls PERCENT: the URL that reaches the new revision
  local fqdn
  fqdn="$(azure containerapp show --name "$app" --resource-group "$group" \\
    --query properties.configuration.ingress.fqdn --output tsv)"
  if [ "$multiple_revisions" = true ]; then
    echo "https://${app}---${preview_label}.${fqdn#*.}"
  else
    echo "https://$fqdn"
  fi
}

finish() {
  if [ "$multiple_revisions" = true ]; then
    echo "$new_revision serves 100% of traffic; $previous_revision stays active for $scale_down_delay s"
    sleep "$scale_down_delay"
    azure containerapp revision deactivate --name "$app" --resource-group "$group" --revision "$previous_revision"
  fi
  echo "done: $new_revision serves 100% of traffic"
}
"""


GATE_FUNCTIONS = """\
requests() {  # requests SECONDS FILTER: the app's requests in the last SECONDS s that match FILTER (Azure Monitor)
  azure monitor metrics list --resource "$app" --resource-group "$group" \\
    --resource-type Microsoft.App/containerApps --metrics Requests --aggregation Total --interval PT1M \\
    --offset "${1}s" --filter "$2" --query 'sum(value[0].timeseries[].data[].total)' --output tsv
}

error_rate() {  # error_rate SECONDS: the new revision's share of 5xx answers (nothing: no requests)
  local all errors
  all="$(requests "$1" "revisionName eq '$new_revision'")" || return 1
  errors="$(requests "$1" "revisionName eq '$new_revision' and statusCodeCategory eq '5xx'")" || return 1
  awk -v all="$all" -v errors="$errors" 'BEGIN { if (all > 0) printf "%.6g\\n", errors / all }'
}
"""


def script_platform(release: Release) -> ScriptPlatform:
    azure = release.platform.azure
    app = azure.container_app
    return ScriptPlatform(
        summary=f"Roll out {release.name} on Azure Container Apps ({azure.resource_group}): "
                f"{plan_text(azure.rollout)}.",
        variables=(("app", release.name), ("group", azure.resource_group), ("subscription", azure.subscription),
                   ("new_revision", app.revision(release.name)), ("previous_revision", app.previous_revision),
                   ("stable_label", STABLE_LABEL), ("preview_label", PREVIEW_LABEL),
                   ("multiple_revisions", "true" if azure.rollout.progressive else "false"),
                   ("scale_down_delay", release.strategy.scale_down_delay_s)),
        functions=FUNCTIONS,
        gate_functions=GATE_FUNCTIONS,
        gate_calls=tuple((gate, ("error_rate", str(gate.window_s))) for gate in azure.rollout.gates),
    )


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against the preview label's URL (or the app's, in single-revision mode)."""
    return common_smoke_command(test, ['"$(container-apps/rollout.sh url)"'])



def _traffic(release: Release, percent: int) -> str:
    """Weights by label: the template's entries (stable: the previous revision, preview: the new one)."""
    azure = release.platform.azure
    return az(release, "containerapp", "ingress", "traffic", "set", "--name", release.name, "--resource-group",
              azure.resource_group, "--label-weight", f"{STABLE_LABEL}={100 - percent}", f"{PREVIEW_LABEL}={percent}")


def procedure(release: Release, facts) -> Procedure:
    azure = release.platform.azure
    app, rollout = azure.container_app, azure.rollout
    new = app.revision(release.name)
    deploy = [Step(f"Either run the whole rollout ({plan_text(rollout)}; {holds_text(rollout)}; smoke tests every "
                   f"{human(rollout.check_interval_s)} while traffic is held), or follow the steps below by hand.",
                   "container-apps/rollout.sh", role=APPLY),
              Step(f"Deploy revision {new}" + (f" at weight 0, labelled {PREVIEW_LABEL}, beside {app.previous_revision}."
                                               if rollout.progressive else
                                               " (single-revision mode: it takes all traffic once healthy)."),
                   arm_deploy_command(release, "container-apps/template.json"))]
    if rollout.progressive:
        deploy.append(Step(f"Run the smoke tests against the {PREVIEW_LABEL} label's URL.",
                           "container-apps/rollout.sh verify"))
        deploy += share_steps(release, rollout, lambda percent: f"give {new} (label {PREVIEW_LABEL}) weight {percent}",
                              lambda percent: _traffic(release, percent))
        deploy.append(Step(f"After {human(release.strategy.scale_down_delay_s)}, deactivate the previous revision.",
                           az(release, "containerapp", "revision", "deactivate", "--name", release.name,
                              "--resource-group", azure.resource_group, "--revision", app.previous_revision)))
    watch = (Step("See the revisions, their weights and health.",
                  az(release, "containerapp", "revision", "list", "--name", release.name, "--resource-group",
                     azure.resource_group, "--output", "table")),
             Step("See the traffic split.", az(release, "containerapp", "ingress", "traffic", "show", "--name",
                                               release.name, "--resource-group", azure.resource_group)))
    if rollout.progressive:
        rollback = (Step(f"Give all traffic back to {app.previous_revision} (label {STABLE_LABEL}).",
                         _traffic(release, 0), role=ROLLBACK),
                    Step("If the previous revision was already deactivated, activate it first.",
                         az(release, "containerapp", "revision", "activate", "--name", release.name,
                            "--resource-group", azure.resource_group, "--revision", app.previous_revision)))
    elif app.previous_revision:
        rollback = (Step(f"Start a new revision from {app.previous_revision} (single-revision mode switches to it).",
                         az(release, "containerapp", "revision", "copy", "--name", release.name, "--resource-group",
                            azure.resource_group, "--from-revision", app.previous_revision), role=ROLLBACK),)
    else:
        rollback = (Step("Find the revision to return to, then copy it (`az containerapp revision copy "
                         "--from-revision`).", az(release, "containerapp", "revision", "list", "--name", release.name,
                                                  "--resource-group", azure.resource_group, "--output", "table")),)
    return Procedure("Azure Container Apps revisions, weights moved by container-apps/rollout.sh", tuple(deploy), watch,
                     rollback, automatic_rollback(release), notes(release))


def automatic_rollback(release: Release) -> str:
    from .rollout import rollout

    return automatic_rollback_text(release, rollout(release), "container-apps/rollout.sh",
                                   release.platform.azure.container_app.previous_revision,
                                   "Container Apps", " (a revision that fails its probes just does not become ready)")


def notes(release: Release) -> tuple:
    app = release.platform.azure.container_app
    return (f"After this release, set platform.azure.containerApp.previousRevision to {app.revision(release.name)} in "
            "the spec: the next release splits traffic against it.",
            "Any change under the template's `template` section creates a new revision; re-deploying the same "
            "template.json does not.",
            "Deactivated revisions can stay listed in the traffic configuration with weight 0 "
            "(microsoft/azure-container-apps#410): harmless, but `az containerapp ingress traffic show` lists them.",
            exit_codes_text("container-apps/rollout.sh"))

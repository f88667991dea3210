"""Azure App Service: blue-green through a deployment slot and a swap.

Emits `app-service/template.json`, an ARM template with the `Microsoft.Web/sites/slots`
resource (apiVersion 2024-11-01) that runs the new image in the slot (`<app>/<slot>`), with the
health check path and the swap warm-up (`WEBSITE_SWAP_WARMUP_PING_PATH`) taken from the readiness
probe. A swap is an action, not a resource (targets-cloud.md §13), so `app-service/rollout.sh`
performs it: smoke tests against the slot's host name, for a canary the steps as
`az webapp traffic-routing set --distribution <slot>=<percent>` (cookie-pinned "testing in
production" routing), then `az webapp deployment slot swap`. Rollback is a swap back (the
previous version is now in the slot). App Service has no automatic rollback of its own.
Follows `../shared/docs/targets-cloud.md` §13 and §14.
"""

from __future__ import annotations

from ...artifacts import JSON, SHELL, Artifact
from ...durations import human
from ...model import Release
from ...procedure import ABORT, APPLY, ROLLBACK, Procedure, Step
from ...shell import quote
from ..gcp_azure.common import smoke_command as common_smoke_command
from ..gcp_azure.rollout import exit_codes_text
from ..gcp_azure.common import (AZURE_FUNCTION, ScriptPlatform, arm_deploy_command, arm_literal, arm_template, az,
                               azure_tags, holds_text, plan_text, rollout_script)

NAME = "azure-app-service"
API_VERSION = "2024-11-01"


def render(release: Release, facts) -> list:
    azure = release.platform.azure
    return [Artifact("app-service/template.json", arm_template(release, [slot(release)]), JSON),
            Artifact("app-service/rollout.sh", rollout_script(release, azure.rollout, script_platform(release)), SHELL)]


# ---------------------------------------------------------------------------- template


def linux_fx_version(release: Release) -> str:
    return f"DOCKER|{release.service.image}"


def health_path(release: Release) -> str:
    for probe in (release.service.readiness, release.service.liveness):
        if probe is not None and probe.handler == "http":
            return probe.path
    return ""


def slot(release: Release) -> dict:
    azure = release.platform.azure
    service = azure.app_service
    site_config = {"linuxFxVersion": arm_literal(linux_fx_version(release)), "alwaysOn": True}
    if release.service.command or release.service.args:
        site_config["appCommandLine"] = arm_literal(" ".join(quote(word) for word in
                                                             release.service.command + release.service.args))
    path = health_path(release)
    if path:
        site_config["healthCheckPath"] = arm_literal(path)
    site_config["appSettings"] = app_settings(release)
    properties = {"httpsOnly": True, "siteConfig": site_config}
    if service.plan:
        properties = {"serverFarmId": service.plan, **properties}
    return {"type": "Microsoft.Web/sites/slots", "apiVersion": API_VERSION, "name": f"{service.app}/{service.slot}",
            "location": azure.location, "tags": azure_tags(release), "kind": "app,linux,container",
            "properties": properties}


def app_settings(release: Release) -> list:
    settings = {name: value for name, value in release.service.env}
    port = release.service.main_port
    if port is not None:
        settings["WEBSITES_PORT"] = str(port.port)
    path = health_path(release)
    if path:  # the swap warms the slot up on this path and gives up (production untouched) if it fails
        settings["WEBSITE_SWAP_WARMUP_PING_PATH"] = path
        settings["WEBSITE_SWAP_WARMUP_PING_STATUSES"] = "200,202,204"
    return [{"name": name, "value": arm_literal(value)} for name, value in sorted(settings.items())]


# ---------------------------------------------------------------------------- rollout.sh


FUNCTIONS = AZURE_FUNCTION + """
webapp() {  # az webapp SUBCOMMAND... for this app
  azure webapp "$@" --name "$app" --resource-group "$group"
}

deploy_new_version() {  # template.json: the new image in the slot; production is untouched
  azure deployment group create --resource-group "$group" --template-file "$here/template.json"
}

set_traffic() {  # set_traffic PERCENT: below 100, route PERCENT to the slot; 100 swaps it into production
  if [ "$1" -lt 100 ]; then
    webapp traffic-routing set --distribution "$slot=$1"
  else
    webapp traffic-routing clear
    webapp deployment slot swap --slot "$slot" --target-slot production
  fi
}

production_runs_new_version() {
  [ "$(webapp config show --query linuxFxVersion --output tsv)" = "$linux_fx_version" ]
}

roll_back() {
  webapp traffic-routing clear
  if production_runs_new_version; then
    webapp deployment slot swap --slot "$slot" --target-slot production
  fi
  echo "rolled back: production serves the previous version; the new one is in slot $slot"
}

new_version_urls() {  # new_version_urls PERCENT: the slot before the swap, production after it
  if [ "$1" -lt 100 ]; then
    echo "https://$(webapp show --slot "$slot" --query defaultHostName --output tsv)"
  else
    echo "https://$(webapp show --query defaultHostName --output tsv)"
  fi
}

finish() {
  echo "done: production runs the new version; the previous one stays in slot $slot for a swap back"
}
"""


def script_platform(release: Release) -> ScriptPlatform:
    azure = release.platform.azure
    service = azure.app_service
    return ScriptPlatform(
        summary=f"Roll out {release.name} on Azure App Service ({service.app}, slot {service.slot}): "
                f"{plan_text(azure.rollout)}.",
        variables=(("app", service.app), ("group", azure.resource_group), ("subscription", azure.subscription),
                   ("slot", service.slot), ("linux_fx_version", linux_fx_version(release))),
        functions=FUNCTIONS,
    )


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against the slot's host name (before the swap)."""
    return common_smoke_command(test, ['"$(app-service/rollout.sh url)"'])



def _webapp(release: Release, *words) -> str:
    azure = release.platform.azure
    return az(release, "webapp", *words, "--name", azure.app_service.app, "--resource-group", azure.resource_group)


def swap_command(release: Release, action: str = "") -> str:
    slot_name = release.platform.azure.app_service.slot
    extra = ("--action", action) if action else ()
    return _webapp(release, "deployment", "slot", "swap", "--slot", slot_name, "--target-slot", "production", *extra)


def procedure(release: Release, facts) -> Procedure:
    azure = release.platform.azure
    service, rollout = azure.app_service, azure.rollout
    deploy = [Step(f"Either run the whole rollout ({plan_text(rollout)}; {holds_text(rollout)}; smoke tests every "
                   f"{human(rollout.check_interval_s)} while traffic is held), or follow the steps below by hand.",
                   "app-service/rollout.sh", role=APPLY),
              Step(f"Deploy the new version to slot {service.slot} (production is untouched).",
                   arm_deploy_command(release, "app-service/template.json")),
              Step("Run the smoke tests against the slot's host name.", "app-service/rollout.sh verify")]
    for index, step in enumerate(rollout.steps):
        if step.percent in (0, 100):
            continue
        title = f"Route {step.percent}% of production requests to slot {service.slot}"
        if index == rollout.approval_step:
            title = f"After approval ({release.strategy.approval.before}), route {step.percent}% to slot {service.slot}"
        deploy.append(Step(title + f" (pinned per client by the x-ms-routing-name cookie), then hold for "
                           f"{human(step.hold_s)} while checking.",
                           _webapp(release, "traffic-routing", "set", "--distribution", f"{service.slot}={step.percent}")))
    if any(0 < step.percent < 100 for step in rollout.steps):
        deploy.append(Step("Stop the percentage routing before the swap.", _webapp(release, "traffic-routing", "clear")))
    swap_title = ("After approval, swap" if rollout.approval_step == len(rollout.steps) - 1 else "Swap")
    deploy.append(Step(f"{swap_title} slot {service.slot} into production. App Service first warms the slot up on "
                       f"the health path and abandons the swap, leaving production as it was, if that fails. (To check "
                       "the slot with production's settings first, run the swap with --action preview, then --action "
                       "swap, or --action reset to cancel.)", swap_command(release)))
    watch = (Step("See which image production and the slot run.",
                  _webapp(release, "config", "container", "show")),
             Step("See the percentage routing.", _webapp(release, "traffic-routing", "show")),
             Step("Follow the deployment log of the slot.",
                  _webapp(release, "log", "tail", "--slot", service.slot)))
    rollback = (Step("Before the swap: stop routing requests to the slot.", _webapp(release, "traffic-routing", "clear"),
                     role=ABORT),
                Step(f"After the swap: swap back (the previous version is in slot {service.slot}, still warm).",
                     swap_command(release), role=ROLLBACK),
                Step("During a --action preview swap: cancel it.", swap_command(release, "reset")))
    return Procedure(f"Azure App Service slot {service.slot} and a swap, by app-service/rollout.sh", tuple(deploy), watch,
                     rollback, automatic_rollback(release), notes(release))


def automatic_rollback(release: Release) -> str:
    azure = release.platform.azure
    if not (release.rollback.automatic and release.smoke):
        return ""
    return (f"app-service/rollout.sh re-runs the {len(release.smoke)} smoke test(s) every "
            f"{human(azure.rollout.check_interval_s)} while traffic is held ({holds_text(azure.rollout)}) and, after "
            f"{release.rollback.max_failed_checks + 1} failed checks in a row, clears the routing and, if the swap "
            "happened, swaps back. App Service itself only abandons a swap whose warm-up fails; the metric gates are "
            "not evaluated by anything: watch them.")


def notes(release: Release) -> tuple:
    result = ["App settings and connection strings travel with the swap unless they are marked as deployment slot "
              "settings; IP restrictions, VNet integration and Always On do not travel (MicrosoftDocs/azure-docs "
              "#18570, #26382). Check the slot's settings before swapping."]
    if release.service.command:
        result.append("App Service runs the image's entrypoint: service.command and args are passed as the startup "
                      "command (appCommandLine).")
    if not health_path(release):
        result.append("The spec has no HTTP health probe: the slot has no health check and the swap no warm-up path.")
    result.append(exit_codes_text("app-service/rollout.sh"))
    return tuple(result)

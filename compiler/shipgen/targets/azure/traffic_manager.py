"""Azure Traffic Manager: multi-region blue-green by DNS weights.

Emits `traffic-manager/template.json`, an ARM template with one
`Microsoft.Network/trafficManagerProfiles` resource (apiVersion 2022-04-01, routing method
Weighted) in the state before the release: the live color's endpoints enabled and sharing
1000 of weight, the new color's endpoints disabled. The new version is deployed to the new
color's regional endpoints by their own releases; `traffic-manager/rollout.sh` checks them with
the smoke tests, then moves the weights through the spec's steps with
`az network traffic-manager endpoint update` (weights are integers 1-1000, computed once in the
model, with a warning where they cannot give a step's exact share). Traffic Manager only drops
endpoints that fail its health probe; nothing rolls a release back by itself.
Follows `../shared/docs/targets-cloud.md` §11 and §14.
"""

from __future__ import annotations

from ...artifacts import JSON, SHELL, Artifact
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ...shell import command, quote
from ..gcp_azure.common import smoke_command as common_smoke_command
from ..gcp_azure.rollout import exit_codes_text
from ..gcp_azure.common import (AZURE_FUNCTION, ScriptPlatform, arm_deploy_command, arm_template, az, azure_tags,
                               holds_text, plan_text, rollout_script)

NAME = "azure-traffic-manager"
API_VERSION = "2022-04-01"
ENDPOINT_TYPE = "Microsoft.Network/trafficManagerProfiles/{}"


def render(release: Release, facts) -> list:
    azure = release.platform.azure
    return [Artifact("traffic-manager/template.json", arm_template(release, [profile(release)]), JSON),
            Artifact("traffic-manager/rollout.sh", rollout_script(release, azure.rollout, script_platform(release)),
                     SHELL)]


# ---------------------------------------------------------------------------- template


def endpoint_type(endpoint) -> str:
    return "azureEndpoints" if endpoint.resource_id else "externalEndpoints"


def initial_weights(manager) -> dict:
    """{color: weight per endpoint (0 = disabled)} before the release: the live color has it all."""
    live = manager.endpoints_of(manager.live)
    return {manager.live: max(1, round(1000 / len(live))) if live else 1, manager.new_color: 0}


def profile(release: Release) -> dict:
    manager = release.platform.azure.traffic_manager
    weights = initial_weights(manager)
    monitor = {"protocol": manager.monitor_protocol, "port": manager.monitor_port}
    if manager.monitor_protocol != "TCP":
        monitor["path"] = manager.monitor_path
    monitor.update({"intervalInSeconds": manager.monitor_interval_s, "timeoutInSeconds": manager.monitor_timeout_s,
                    "toleratedNumberOfFailures": manager.monitor_tolerated_failures})
    return {"type": "Microsoft.Network/trafficManagerProfiles", "apiVersion": API_VERSION, "name": manager.profile,
            "location": "global", "tags": azure_tags(release),
            "properties": {"profileStatus": "Enabled", "trafficRoutingMethod": "Weighted",
                           "dnsConfig": {"relativeName": manager.profile, "ttl": manager.ttl_s},
                           "monitorConfig": monitor,
                           "endpoints": [endpoint(item, weights[item.color]) for item in manager.endpoints]}}


def endpoint(item, weight: int) -> dict:
    properties = ({"targetResourceId": item.resource_id} if item.resource_id else {"target": item.host})
    properties.update({"endpointStatus": "Enabled" if weight else "Disabled", "weight": weight or 1})
    if item.region:
        properties["endpointLocation"] = item.region
    return {"name": item.name, "type": ENDPOINT_TYPE.format(endpoint_type(item)), "properties": properties}


# ---------------------------------------------------------------------------- rollout.sh


FUNCTIONS_HEAD = AZURE_FUNCTION + """
set_endpoint() {  # set_endpoint NAME TYPE WEIGHT: WEIGHT 0 disables the endpoint
  if [ "$3" -eq 0 ]; then
    azure network traffic-manager endpoint update --resource-group "$group" --profile-name "$profile" \\
      --name "$1" --type "$2" --endpoint-status Disabled
  else
    azure network traffic-manager endpoint update --resource-group "$group" --profile-name "$profile" \\
      --name "$1" --type "$2" --weight "$3" --endpoint-status Enabled
  fi
}

deploy_new_version() {  # the profile as it is before the release; refuses if the live color is not serving
  local status
  status="$(azure network traffic-manager endpoint show --resource-group "$group" --profile-name "$profile" \\
    --name "$live_probe_endpoint" --type "$live_probe_type" --query endpointStatus --output tsv 2>/dev/null || true)"
  if [ -n "$status" ] && [ "$status" != Enabled ]; then
    echo "endpoint $live_probe_endpoint is $status, but the spec says $live_color is live:" >&2
    echo "update platform.azure.trafficManager.live before releasing" >&2
    exit 1
  fi
  azure deployment group create --resource-group "$group" --template-file "$here/template.json"
}
"""

FUNCTIONS_TAIL = """
finish() {
  echo "done: the $new_color endpoints serve 100% of DNS answers; the $live_color ones stay disabled for a switch back"
  echo "set platform.azure.trafficManager.live to $new_color in the spec for the next release"
}
"""


def _set_lines(manager, weights) -> list:
    """Endpoint updates for one step, ordered so that some endpoint always stays enabled."""
    return [command("set_endpoint", item.name, endpoint_type(item), weight) for item, weight in _ordered(manager, weights)]


def functions(release: Release) -> str:
    manager = release.platform.azure.traffic_manager
    lines = ["set_traffic() {  # set_traffic PERCENT: the weights computed for each step of the spec",
             '  case "$1" in']
    for weights in manager.weights:
        lines.append(f"    {weights.percent})  # the new endpoints get {weights.actual_percent:g}% of DNS answers")
        lines += [f"      {line}" for line in _set_lines(manager, weights)]
        lines.append("      ;;")
    lines += ['    *) echo "no weights for $1%" >&2; return 1 ;;', "  esac", "}", ""]
    lines += ["roll_back() {  # the live color gets all answers again, the new one is disabled"]
    initial = initial_weights(manager)
    for item in manager.endpoints_of(manager.live) + manager.endpoints_of(manager.new_color):
        lines.append("  " + command("set_endpoint", item.name, endpoint_type(item), initial[item.color]))
    lines += ['  echo "rolled back: the $live_color endpoints serve all DNS answers (clients may keep cached answers '
              'for $ttl s)"', "}", ""]
    lines += ["new_version_urls() {  # new_version_urls PERCENT: every endpoint of the new color"]
    lines += ["  " + command("echo", f"https://{item.host}") for item in manager.endpoints_of(manager.new_color)]
    lines += ["}"]
    return FUNCTIONS_HEAD + "\n" + "\n".join(lines) + "\n" + FUNCTIONS_TAIL


def script_platform(release: Release) -> ScriptPlatform:
    azure = release.platform.azure
    manager = azure.traffic_manager
    probe = manager.endpoints_of(manager.live)[0]
    return ScriptPlatform(
        summary=f"Move {release.name}'s DNS weights from {manager.live} to {manager.new_color} in Traffic Manager "
                f"profile {manager.profile}: {plan_text(azure.rollout)}.",
        variables=(("profile", manager.profile), ("group", azure.resource_group),
                   ("subscription", azure.subscription), ("live_color", manager.live),
                   ("new_color", manager.new_color), ("live_probe_endpoint", probe.name),
                   ("live_probe_type", endpoint_type(probe)), ("ttl", manager.ttl_s)),
        functions=functions(release),
    )


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against each endpoint of the new color, straight (not through the profile's DNS)."""
    manager = release.platform.azure.traffic_manager
    return common_smoke_command(test, [quote(f"https://{item.host}") for item in manager.endpoints_of(manager.new_color)])



def _update(release: Release, item, weight: int) -> str:
    azure = release.platform.azure
    words = ["network", "traffic-manager", "endpoint", "update", "--resource-group", azure.resource_group,
             "--profile-name", azure.traffic_manager.profile, "--name", item.name, "--type", endpoint_type(item)]
    words += ["--weight", str(weight), "--endpoint-status", "Enabled"] if weight else ["--endpoint-status", "Disabled"]
    return az(release, *words)


def procedure(release: Release, facts) -> Procedure:
    azure = release.platform.azure
    manager, rollout = azure.traffic_manager, azure.rollout
    new_names = ", ".join(item.name for item in manager.endpoints_of(manager.new_color))
    deploy = [Step(f"Deploy the new version to the {manager.new_color} endpoints ({new_names}) with their own "
                   "releases first; they get no DNS answers yet."),
              Step(f"Either run the whole switch ({plan_text(rollout)}; {holds_text(rollout)}; smoke tests every "
                   f"{human(rollout.check_interval_s)} while traffic is held), or follow the steps below by hand.",
                   "traffic-manager/rollout.sh", role=APPLY),
              Step(f"Apply the profile as it is before the release ({manager.live} enabled, {manager.new_color} "
                   "disabled).", arm_deploy_command(release, "traffic-manager/template.json")),
              Step(f"Run the smoke tests against each {manager.new_color} endpoint.", "traffic-manager/rollout.sh verify")]
    for index, weights in enumerate(manager.weights):
        if weights.percent == 0:
            continue
        commands = "\n".join(_update(release, item, weight) for item, weight in _ordered(manager, weights))
        title = f"Give the {manager.new_color} endpoints {weights.actual_percent:g}% of DNS answers"
        if index == rollout.approval_step:
            title = f"After approval ({release.strategy.approval.before}), g" + title[1:]
        hold = rollout.steps[index].hold_s
        deploy.append(Step(title + (f", then hold for {human(hold)} while checking." if hold else "."), commands))
    watch = (Step("See each endpoint's status, weight and health.",
                  az(release, "network", "traffic-manager", "endpoint", "list", "--resource-group",
                     azure.resource_group, "--profile-name", manager.profile, "--output", "table")),
             Step("See what resolvers are answered (repeat: answers are weighted).",
                  command("dig", "+short", f"{manager.profile}.trafficmanager.net")))
    initial = initial_weights(manager)
    back = [(item, initial[item.color]) for item in manager.endpoints_of(manager.live) + manager.endpoints_of(manager.new_color)]
    rollback = (Step(f"Give the {manager.live} endpoints all DNS answers again and disable the {manager.new_color} "
                     f"ones; resolvers may keep old answers for {human(manager.ttl_s)}.",
                     "\n".join(_update(release, item, weight) for item, weight in back), role=ROLLBACK),)
    return Procedure(f"Azure Traffic Manager weighted profile {manager.profile}, weights moved by "
                     "traffic-manager/rollout.sh", tuple(deploy), watch, rollback, automatic_rollback(release),
                     notes(release))


def _ordered(manager, weights) -> list:
    """(endpoint, weight) for one step, enabling before disabling so that some endpoint always answers."""
    new = [(item, weights.new_weight) for item in manager.endpoints_of(manager.new_color)]
    live = [(item, weights.live_weight) for item in manager.endpoints_of(manager.live)]
    return new + live if weights.new_weight else live + new


def automatic_rollback(release: Release) -> str:
    azure = release.platform.azure
    if not (release.rollback.automatic and release.smoke):
        return ""
    return (f"traffic-manager/rollout.sh re-runs the {len(release.smoke)} smoke test(s) against every "
            f"{azure.traffic_manager.new_color} endpoint every {human(azure.rollout.check_interval_s)} while traffic is "
            f"held ({holds_text(azure.rollout)}) and, after {release.rollback.max_failed_checks + 1} failed checks in a "
            f"row, gives the {azure.traffic_manager.live} endpoints all DNS answers again. Traffic Manager itself only "
            f"drops an endpoint that fails {azure.traffic_manager.monitor_tolerated_failures + 1} health probes in a "
            "row; the metric gates are not evaluated by anything: watch them.")


def notes(release: Release) -> tuple:
    manager = release.platform.azure.traffic_manager
    result = [f"The split is per DNS answer: resolvers cache answers for the TTL ({human(manager.ttl_s)}) and clients "
              "may keep connections, so shares are approximate and a change takes at least the TTL to show.",
              f"Traffic Manager probes each endpoint with {manager.monitor_protocol} on port {manager.monitor_port}"
              + (f" {manager.monitor_path}" if manager.monitor_protocol != "TCP" else "")
              + f" every {manager.monitor_interval_s} s (timeout {manager.monitor_timeout_s} s, "
              f"{manager.monitor_tolerated_failures} failures tolerated): its only choices are 10 s or 30 s.",
              f"After this release, set platform.azure.trafficManager.live to {manager.new_color} in the spec."]
    short = [step for step in release.platform.azure.rollout.steps if 0 < step.hold_s < manager.ttl_s]
    if short:
        result.append(f"Some holds are shorter than the DNS TTL ({human(manager.ttl_s)}): clients will not have seen "
                      "those shares before the next step.")
    result.append(exit_codes_text("traffic-manager/rollout.sh"))
    return tuple(result)

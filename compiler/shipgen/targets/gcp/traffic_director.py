"""Traffic Director / Cloud Service Mesh (load-balancing APIs): two backend services weighted by a
URL map, and a rollout script that moves the weights step by step.

Emits, for Compute Engine API v1 as `gcloud compute backend-services import` and `gcloud compute
url-maps import` take it (`--global`; the export/import YAML form of the `backendServices` and
`urlMaps` resources: no output-only fields such as `kind`, `id`, `selfLink`, `fingerprint`):

- `traffic-director/backend-service-blue.yaml`, `-green.yaml`: global backend services with
  scheme INTERNAL_SELF_MANAGED, the spec's backends (instance groups: UTILIZATION; network
  endpoint groups: RATE), one health check, `connectionDraining` (service.drain),
  `outlierDetection` (with `enforcingConsecutiveErrors: 100`: the API's default of 0 would
  detect 5xx answers in a row and eject nothing) and `circuitBreakers` when the spec caps them;
- `traffic-director/url-map-<percent>.yaml`, one per share the plan gives the new color (and
  0 %, the rollback): a host rule for the spec's hosts, a route that sends requests carrying the
  header `x-shipgen-backend: <new backend service>` to the new color (the smoke tests' way in at
  any share), and a route whose `weightedBackendServices` give the new color `<percent>` and the
  live one `100 - <percent>` (weights are integers 0-1000; their share is weight / sum);
- `traffic-director/rollout.sh`: the scripted rollout of `../gcp_azure/common.py`, each step an
  import of that step's URL map; gates with their own PromQL query are read from Managed Service
  for Prometheus (`{{service}}` = the new backend service), as Cloud Run's are.

Traffic Director has no analysis and no automatic rollback: the script is what rolls back
(re-import `url-map-0.yaml`). Follows `../shared/docs/targets-cloud.md` §10 and §14.
"""

from __future__ import annotations

from ...artifacts import SHELL, Artifact
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ... import queries
from ...shell import command, quote
from ..gcp_azure import common as gcp_azure_common
from ..gcp_azure.common import ScriptPlatform, holds_text, plan_text, rollout_script, share_steps
from ..gcp_azure.rollout import automatic_rollback_text, exit_codes_text
from .cloud_run import GATE_FUNCTIONS

NAME = "gcp-traffic-director"
COMPUTE = "https://www.googleapis.com/compute/v1/projects/{project}/global/{collection}/{name}"
SCHEME = "INTERNAL_SELF_MANAGED"
PREVIEW_HEADER = "x-shipgen-backend"
PATH_MATCHER = "routes"
PREVIEW_PRIORITY, WEIGHTED_PRIORITY = 1, 2  # unique within the path matcher; the lower wins
PROTOCOLS = {"http": "HTTP", "http2": "HTTP2", "grpc": "GRPC"}
HEALTH_CHECK_KINDS = {"http": "http", "http2": "http2", "grpc": "grpc", "tcp": "tcp"}
FOLDER = "traffic-director"


def render(release: Release, facts) -> list:
    director = release.platform.gcp.traffic_director
    artifacts = [Artifact(f"{FOLDER}/backend-service-{service.color}.yaml", backend_service(release, service))
                 for service in director.backend_services]
    artifacts += [Artifact(f"{FOLDER}/url-map-{percent}.yaml", url_map(release, percent))
                  for percent in shares(release)]
    artifacts.append(Artifact(f"{FOLDER}/rollout.sh", rollout_script(release, release.platform.gcp.rollout,
                                                                    script_platform(release)), SHELL))
    return artifacts


def shares(release: Release) -> tuple:
    """The new color's percent in each URL map shipgen writes: 0 (before, and the rollback) and
    every step's, ascending."""
    return tuple(sorted({0, *release.platform.gcp.rollout.percents}))


def initial_share(release: Release) -> int:
    """The URL map rollout.sh starts from: 0 % for a progressive rollout, else all traffic at once."""
    return 0 if release.platform.gcp.rollout.progressive else 100


# ---------------------------------------------------------------------------- backend services


def resource_url(release: Release, collection: str, name: str) -> str:
    return COMPUTE.format(project=release.platform.gcp.project, collection=collection, name=name)


def duration(seconds_: int) -> dict:
    """A Compute API Duration."""
    return {"seconds": seconds_}


def backend(director, group: str) -> dict:
    if "/networkEndpointGroups/" in group:
        return {"group": group, "balancingMode": "RATE", "maxRatePerEndpoint": director.max_rate_per_endpoint,
                "capacityScaler": 1}
    return {"group": group, "balancingMode": "UTILIZATION", "maxUtilization": 0.8, "capacityScaler": 1}


def backend_service(release: Release, service) -> dict:
    director = release.platform.gcp.traffic_director
    outlier = director.outlier_detection
    port = release.service.main_port
    result = {
        "name": service.name,
        "description": f"{release.name} ({service.color}), managed by shipgen",
        "loadBalancingScheme": SCHEME,
        "protocol": PROTOCOLS.get(port.protocol, "HTTP") if port else "HTTP",
        "portName": port.name if port else "http",
        "timeoutSec": 30,
        "localityLbPolicy": "ROUND_ROBIN",
        "healthChecks": [resource_url(release, "healthChecks", director.health_check)],
        "backends": [backend(director, group) for group in service.groups],
        "connectionDraining": {"drainingTimeoutSec": director.draining_timeout_s},
        "outlierDetection": {
            "consecutiveErrors": outlier.consecutive_errors,
            "enforcingConsecutiveErrors": 100,
            "interval": duration(outlier.interval_s),
            "baseEjectionTime": duration(outlier.base_ejection_s),
            "maxEjectionPercent": outlier.max_ejection_percent,
        },
    }
    if director.circuit_breakers:
        result["circuitBreakers"] = dict(director.circuit_breakers)
    return result


# ---------------------------------------------------------------------------- URL maps


def url_map(release: Release, percent: int) -> dict:
    """The URL map with `percent` of the matched requests on the new color."""
    director = release.platform.gcp.traffic_director
    live = resource_url(release, "backendServices", director.live_backend.name)
    new = resource_url(release, "backendServices", director.new_backend.name)
    serving = new if percent == 100 else live
    return {
        "name": director.url_map,
        "description": f"{release.name}: {percent}% to {director.new_backend.name}, {100 - percent}% to "
                       f"{director.live_backend.name} (shipgen)",
        "defaultService": serving,
        "hostRules": [{"hosts": list(director.hosts), "pathMatcher": PATH_MATCHER}],
        "pathMatchers": [{
            "name": PATH_MATCHER,
            "defaultService": serving,
            "routeRules": [
                {"priority": PREVIEW_PRIORITY,
                 "description": "the new version for smoke tests, at any share",
                 "matchRules": [{"prefixMatch": "/", "headerMatches": [
                     {"headerName": PREVIEW_HEADER, "exactMatch": director.new_backend.name}]}],
                 "service": new},
                {"priority": WEIGHTED_PRIORITY,
                 "description": "the release's traffic split",
                 "matchRules": [{"prefixMatch": "/"}],
                 "routeAction": {"weightedBackendServices": [
                     {"backendService": live, "weight": 100 - percent},
                     {"backendService": new, "weight": percent}]}},
            ],
        }],
    }


# ---------------------------------------------------------------------------- rollout.sh


FUNCTIONS = """\
compute() {  # gcloud compute, in the project, without prompts (imports overwrite)
  gcloud compute "$@" --project="$project" --quiet
}

import_url_map() {  # import_url_map PERCENT: the URL map giving PERCENT to the new color
  compute url-maps import "$url_map" --source="$here/url-map-$1.yaml" --global
}

deploy_new_version() {  # both backend services, then the URL map at its first share
  compute backend-services import "$live_backend" --source="$here/backend-service-$live_color.yaml" --global
  compute backend-services import "$new_backend" --source="$here/backend-service-$new_color.yaml" --global
  import_url_map "$initial_share"
}

set_traffic() {  # set_traffic PERCENT: PERCENT to the new backend service, the rest to the live one
  import_url_map "$1"
}

roll_back() {
  import_url_map 0
  echo "rolled back: $live_backend serves 100% of traffic, $new_backend 0%"
}

new_version_urls() {  # new_version_urls PERCENT: the host, reached with the preview header
  echo "$smoke_url"
}

request() {  # the preview header routes a request to the new backend service at any share
  curl --header "$preview_header" "$@"
}

finish() {
  echo "done: $new_backend serves 100% of traffic; $live_backend keeps its backends for a switch back"
  echo "set platform.gcp.trafficDirector.live to $new_color in the spec for the next release"
}
"""


def gate_query_target(release: Release) -> dict:
    """How a gate's query (`queries.gate_query` keywords) names the version it judges: `{{service}}`
    is the new color's backend service. The runbook shows the same queries rollout.sh runs."""
    return {"service": release.platform.gcp.traffic_director.new_backend.name}


def serving_query_target(release: Release) -> dict:
    """Once the release is done, the new color's backend service serves users."""
    return gate_query_target(release)


def gate_query(release: Release, gate) -> str:
    """The PromQL rollout.sh runs for a `ScriptGate`: the spec gate's own query."""
    return queries.gate_query(release, release.gate(gate.name), **gate_query_target(release))


def script_platform(release: Release) -> ScriptPlatform:
    gcp = release.platform.gcp
    director = gcp.traffic_director
    return ScriptPlatform(
        summary=f"Move {release.name}'s traffic from backend service {director.live_backend.name} to "
                f"{director.new_backend.name} in URL map {director.url_map} ({gcp.project}): {plan_text(gcp.rollout)}.",
        variables=(("project", gcp.project), ("url_map", director.url_map), ("live_color", director.live),
                   ("new_color", director.new_color), ("live_backend", director.live_backend.name),
                   ("new_backend", director.new_backend.name), ("initial_share", initial_share(release)),
                   ("smoke_url", f"http://{director.hosts[0]}"),
                   ("preview_header", f"{PREVIEW_HEADER}: {director.new_backend.name}")),
        functions=FUNCTIONS,
        gate_functions=GATE_FUNCTIONS,
        gate_calls=tuple((gate, ("promql", gate_query(release, gate))) for gate in gcp.rollout.gates),
        tools=("jq",),
    )


# ---------------------------------------------------------------------------- runbook procedure


def preview_auth(release: Release) -> str:
    return "--header " + quote(f"{PREVIEW_HEADER}: {release.platform.gcp.traffic_director.new_backend.name}")


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against the host, routed to the new backend service by the preview header."""
    return gcp_azure_common.smoke_command(test, [f'"$({FOLDER}/rollout.sh url)"'], auth=preview_auth(release))


def gcloud_compute(release: Release, *words) -> str:
    return command("gcloud", "compute", *words, f"--project={release.platform.gcp.project}")


def import_url_map_command(release: Release, percent: int) -> str:
    director = release.platform.gcp.traffic_director
    return gcloud_compute(release, "url-maps", "import", director.url_map, f"--source={FOLDER}/url-map-{percent}.yaml",
                          "--global", "--quiet")


def health_check_command(release: Release) -> str:
    director = release.platform.gcp.traffic_director
    readiness = release.service.readiness
    port = release.service.main_port
    kind = HEALTH_CHECK_KINDS.get(port.protocol if port else "http", "http")
    words = ["health-checks", "create", kind, director.health_check, "--global"]
    if port is not None:
        words.append(f"--port={port.port}")
    if readiness is not None and readiness.handler == "http" and kind in ("http", "http2"):
        words.append(f"--request-path={readiness.path}")
    if readiness is not None:
        words += [f"--check-interval={max(1, min(readiness.period_s, 300))}s",
                  f"--timeout={max(1, min(readiness.timeout_s, readiness.period_s, 300))}s",
                  f"--unhealthy-threshold={max(1, min(readiness.failure_threshold, 10))}"]
    return gcloud_compute(release, *words)


def procedure(release: Release, facts) -> Procedure:
    gcp = release.platform.gcp
    director, rollout = gcp.traffic_director, gcp.rollout
    new, live = director.new_backend, director.live_backend
    deploy = [
        Step(f"First release only: create the health check both backend services use (from the readiness probe), "
             f"and allow Google's health checkers (35.191.0.0/16, 130.211.0.0/22) to reach the port.",
             health_check_command(release)),
        Step(f"Deploy the new version to the {director.new_color} backends ({', '.join(new.groups)}); they get no "
             "traffic yet."),
        Step(f"Either run the whole rollout ({plan_text(rollout)}; {holds_text(rollout)}; smoke tests every "
             f"{human(rollout.check_interval_s)} while traffic is held), or follow the steps below by hand.",
             command(f"{FOLDER}/rollout.sh"), role=APPLY),
        Step("Import both backend services (health check, connection draining, outlier detection"
             + (", circuit breakers" if director.circuit_breakers else "") + ").",
             "\n".join(gcloud_compute(release, "backend-services", "import", service.name,
                                      f"--source={FOLDER}/backend-service-{service.color}.yaml", "--global", "--quiet")
                       for service in (live, new))),
        Step(f"Import the URL map with {initial_share(release)}% on {new.name}. First release only: bind it to the "
             "mesh's target proxy and forwarding rule (`gcloud compute target-http-proxies create --url-map`, "
             "`gcloud compute forwarding-rules create --load-balancing-scheme=INTERNAL_SELF_MANAGED`).",
             import_url_map_command(release, initial_share(release))),
    ]
    if rollout.progressive:
        deploy.append(Step(f"Run the smoke tests against {new.name} (the {PREVIEW_HEADER} header routes to it).",
                           command(f"{FOLDER}/rollout.sh", "verify")))
        deploy += share_steps(release, rollout, lambda percent: f"send {percent}% of requests to {new.name}",
                              lambda percent: import_url_map_command(release, percent))
    watch = (Step("See the weights the URL map gives each backend service.",
                  gcloud_compute(release, "url-maps", "describe", director.url_map, "--global",
                                 "--format=yaml(pathMatchers[0].routeRules[1].routeAction.weightedBackendServices)")),
             Step(f"See the health of {new.name}'s endpoints.",
                  gcloud_compute(release, "backend-services", "get-health", new.name, "--global")))
    rollback = (Step(f"Send all traffic back to {live.name} (instant: its backends still run the previous version).",
                     import_url_map_command(release, 0), role=ROLLBACK),
                Step("Check the weights.", gcloud_compute(release, "url-maps", "describe", director.url_map, "--global",
                                                          "--format=yaml(pathMatchers[0].routeRules[1].routeAction)")))
    return Procedure(f"Traffic Director URL map {director.url_map}, weights moved by {FOLDER}/rollout.sh",
                     tuple(deploy), watch, rollback, automatic_rollback(release), notes(release))


def automatic_rollback(release: Release) -> str:
    from .rollout import rollout

    director = release.platform.gcp.traffic_director
    return automatic_rollback_text(release, rollout(release), f"{FOLDER}/rollout.sh", director.live_backend.name,
                                   "Traffic Director", detail=" (outlier detection only ejects failing endpoints)")


def notes(release: Release) -> tuple:
    director = release.platform.gcp.traffic_director
    outlier = director.outlier_detection
    result = [
        f"{FOLDER}/rollout.sh runs where the mesh's clients run (a VM or pod whose proxy Traffic Director "
        f"configures): the smoke tests call http://{director.hosts[0]} with the header "
        f"`{PREVIEW_HEADER}: {director.new_backend.name}`.",
        f"Each proxy ejects an endpoint after {outlier.consecutive_errors} 5xx answers in a row (checked every "
        f"{human(outlier.interval_s)}, ejected for {human(outlier.base_ejection_s)} times the ejections so far, at most "
        f"{outlier.max_ejection_percent}% of the endpoints); this protects requests, it does not roll the release back.",
        f"A removed or drained endpoint finishes its requests for {human(director.draining_timeout_s)} "
        "(connectionDraining, from service.drain).",
        f"After this release, set platform.gcp.trafficDirector.live to {director.new_color} in the spec.",
    ]
    port = release.service.main_port
    if port is not None and any("/instanceGroups/" in group for service in director.backend_services
                                for group in service.groups):
        result.append(f"Instance groups need the named port {port.name}:{port.port} (`gcloud compute instance-groups "
                      f"set-named-ports GROUP --named-ports={port.name}:{port.port}`): the backend services send to "
                      f"portName {port.name}.")
    if release.platform.gcp.rollout.gates:
        result.append(f"{FOLDER}/rollout.sh reads the gates from Managed Service for Prometheus (Cloud Monitoring's "
                      "PromQL API, with `gcloud auth print-access-token` and jq): the account needs "
                      "roles/monitoring.viewer, and the proxies' or the service's metrics must be collected there.")
    result.append(exit_codes_text(f"{FOLDER}/rollout.sh"))
    return tuple(result)

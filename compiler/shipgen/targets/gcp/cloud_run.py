"""Cloud Run: the service YAML and a rollout script that splits traffic between revisions.

Emits `cloud-run/service.yaml`, a `serving.knative.dev/v1` Service as `gcloud run services
replace` takes it: the new revision under an explicit name (`<name>-<suffix>`), started at 0 %
of traffic beside the revision serving now and tagged for a preview URL
(`https://<tag>---<service>-<hash>.a.run.app`); and `cloud-run/rollout.sh`, which moves the
traffic through the spec's steps with `gcloud run services update-traffic --to-revisions`,
re-running the smoke tests against the tag URL while traffic is held. Cloud Run itself has no
automatic rollback: the script is what rolls back. Follows `../shared/docs/targets-cloud.md` §9
and §14; `revision_template` is shared with the Cloud Deploy target.
"""

from __future__ import annotations

from ...artifacts import SHELL, Artifact
from ...durations import human
from ...model import Probe, Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ...shell import command
from ..gcp_azure import common as gcp_azure_common
from ..gcp_azure.common import ScriptPlatform, gcp_labels, holds_text, plan_text, rollout_script, share_steps
from ..gcp_azure.rollout import automatic_rollback_text, exit_codes_text
from ..kubernetes.manifests import port_number

NAME = "gcp-cloud-run"
IDENTITY_TOKEN = '--header "Authorization: Bearer $(gcloud auth print-identity-token)"'
CLOUD_RUN_SHUTDOWN_S = 10  # Cloud Run sends SIGKILL 10 s after SIGTERM


def render(release: Release, facts) -> list:
    run = release.platform.gcp.cloud_run
    return [
        Artifact("cloud-run/service.yaml", service(release, run.revision, initial_traffic(release))),
        Artifact("cloud-run/rollout.sh", rollout_script(release, release.platform.gcp.rollout,
                                                        script_platform(release)), SHELL),
    ]


# ---------------------------------------------------------------------------- service YAML


def service(release: Release, revision: str, traffic: list | None) -> dict:
    """The Service; without `traffic` when Cloud Deploy manages it (targets-cloud.md §8)."""
    spec = {"template": revision_template(release, revision)}
    if traffic is not None:
        spec["traffic"] = traffic
    return {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
            "metadata": {"name": release.name, "labels": gcp_labels(release)}, "spec": spec}


def initial_traffic(release: Release) -> list:
    """Progressive: everything stays on the previous revision, the new one gets 0 % and a tag.
    Otherwise the new revision takes all traffic once it is ready."""
    run = release.platform.gcp.cloud_run
    if not release.platform.gcp.rollout.progressive:
        return [{"revisionName": run.revision, "percent": 100}]
    return [{"revisionName": run.previous_revision, "percent": 100},
            {"revisionName": run.revision, "percent": 0, "tag": run.preview_tag}]


def revision_template(release: Release, revision: str) -> dict:
    service_ = release.service
    maximum = service_.autoscaling.max_replicas if service_.autoscaling else service_.replicas
    metadata = {"name": revision} if revision else {}
    metadata["labels"] = gcp_labels(release)
    metadata["annotations"] = {"autoscaling.knative.dev/minScale": str(service_.min_replicas),
                               "autoscaling.knative.dev/maxScale": str(maximum)}
    spec = {}
    if release.platform.gcp.service_account:
        spec["serviceAccountName"] = release.platform.gcp.service_account
    spec["containers"] = [container(release)]
    return {"metadata": metadata, "spec": spec}


def container(release: Release) -> dict:
    service_ = release.service
    result = {"image": service_.image}
    if service_.command:
        result["command"] = list(service_.command)
    if service_.args:
        result["args"] = list(service_.args)
    port = service_.main_port
    if port is not None:
        result["ports"] = [{"name": "h2c" if port.protocol in ("http2", "grpc") else "http1",
                            "containerPort": port.port}]
    if service_.env:
        result["env"] = [{"name": name, "value": value} for name, value in service_.env]
    limits = {key: value for key, value in (("cpu", service_.resources.limit_cpu or service_.resources.cpu),
                                            ("memory", service_.resources.limit_memory or service_.resources.memory))
              if value}
    if limits:
        result["resources"] = {"limits": limits}
    startup = service_.startup or service_.readiness  # Cloud Run has no readiness probe (normalize warns)
    if startup is not None and startup.handler != "exec":
        result["startupProbe"] = probe(release, startup)
    if service_.liveness is not None and service_.liveness.handler in ("http", "grpc"):
        result["livenessProbe"] = probe(release, service_.liveness)
    return result


def probe(release: Release, spec_probe: Probe) -> dict:
    if spec_probe.handler == "http":
        handler = {"httpGet": {"path": spec_probe.path, "port": port_number(release, spec_probe.port)}}
    elif spec_probe.handler == "tcp":
        handler = {"tcpSocket": {"port": port_number(release, spec_probe.port)}}
    else:
        handler = {"grpc": {"port": port_number(release, spec_probe.port)}}
    timing = {"periodSeconds": min(spec_probe.period_s, 240),
              "timeoutSeconds": min(spec_probe.timeout_s, spec_probe.period_s, 240),
              "failureThreshold": spec_probe.failure_threshold}
    if spec_probe.initial_delay_s:
        timing["initialDelaySeconds"] = min(spec_probe.initial_delay_s, 240)
    return {**handler, **timing}


# ---------------------------------------------------------------------------- rollout.sh


FUNCTIONS = """\
run() {  # gcloud run, in the service's project and region
  gcloud run "$@" --project="$project" --region="$region"
}

deploy_new_version() {  # service.yaml: the new revision, ready, at its initial share of traffic
  run services replace "$here/service.yaml"
}

set_traffic() {  # set_traffic PERCENT: PERCENT to the new revision, the rest to the previous one
  run services update-traffic "$service" --to-revisions="$new_revision=$1,$previous_revision=$((100 - $1))"
}

roll_back() {
  if [ -z "$previous_revision" ]; then
    echo "no previous revision is known (platform.gcp.cloudRun.previousRevision): list them with" >&2
    echo "  gcloud run revisions list --service=$service --project=$project --region=$region" >&2
    echo "and run: gcloud run services update-traffic $service --to-revisions=REVISION=100" >&2
    return 1
  fi
  run services update-traffic "$service" --to-revisions="$previous_revision=100"
  echo "rolled back: $previous_revision serves 100% of traffic"
}

new_version_urls() {  # new_version_urls PERCENT: the URL that reaches the new revision
  local url
  url="$(run services describe "$service" --format='value(status.url)')"
  if [ -n "$preview_tag" ]; then
    echo "https://${preview_tag}---${url#https://}"
  else
    echo "$url"
  fi
}

request() {  # curl with an identity token, which services that require authentication accept
  curl --header "Authorization: Bearer $(gcloud auth print-identity-token)" "$@"
}

finish() {
  echo "done: $new_revision serves 100% of traffic; $previous_revision stays for an instant rollback"
}
"""


GATE_FUNCTIONS = """\
promql() {  # promql QUERY: the query's value from Cloud Monitoring's PromQL API (nothing: no data)
  curl --silent --show-error --fail --get \\
    --header "Authorization: Bearer $(gcloud auth print-access-token)" \\
    --data-urlencode "query=$1" \\
    "https://monitoring.googleapis.com/v1/projects/$project/location/global/prometheus/api/v1/query" |
    jq --raw-output '.data.result[0].value[1] // empty'
}
"""


def gate_query(release: Release, gate, revision: str | None = None, by: str = "") -> str:
    """A gate as PromQL over Cloud Run's own metrics in Cloud Monitoring (targets-cloud.md §9):
    `run.googleapis.com/request_count` by `response_code_class`, or the `request_latencies`
    distribution (milliseconds) as a histogram. By default on the new revision alone (what
    rollout.sh judges); `revision=""` takes the whole service, and `by` (e.g. `revision_name`)
    keeps one series per value of that label (the monitoring dashboard's canary vs stable)."""
    run = release.platform.gcp.cloud_run
    revision = run.revision if revision is None else revision
    selector = f'monitored_resource="cloud_run_revision",service_name="{release.name}"'
    if revision:
        selector += f',revision_name="{revision}"'
    window = f"[{gate.window_s}s]"
    group = f" by ({by})" if by else ""
    every = f"sum{group}(rate(run_googleapis_com:request_count{{{selector}}}{window}))"
    if gate.metric == "error-rate":
        errors = f'sum{group}(rate(run_googleapis_com:request_count{{{selector},response_code_class="5xx"}}{window}))'
        zero = f"0 * {every}" if by else "vector(0)"  # no 5xx answer: 0, not "no data"
        return f"({errors} or {zero}) / {every}"
    return (f"histogram_quantile({gate.percentile / 100:g}, sum by (le{', ' + by if by else ''}) "
            f"(rate(run_googleapis_com:request_latencies_bucket{{{selector}}}{window})))")


def script_platform(release: Release) -> ScriptPlatform:
    gcp = release.platform.gcp
    run = gcp.cloud_run
    rollout = gcp.rollout
    return ScriptPlatform(
        summary=f"Roll out {release.name} on Cloud Run ({gcp.project}, {gcp.region}): {plan_text(rollout)}.",
        variables=(("service", release.name), ("project", gcp.project), ("region", gcp.region),
                   ("new_revision", run.revision), ("previous_revision", run.previous_revision),
                   ("preview_tag", run.preview_tag if rollout.progressive else "")),
        functions=FUNCTIONS,
        gate_functions=GATE_FUNCTIONS,
        gate_calls=tuple((gate, ("promql", gate_query(release, gate))) for gate in rollout.gates),
        tools=("jq",),
    )


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against the new revision's tag URL, with an identity token."""
    return gcp_azure_common.smoke_command(test, ['"$(cloud-run/rollout.sh url)"'], auth=IDENTITY_TOKEN)



def gcloud_run(release: Release, *words) -> str:
    gcp = release.platform.gcp
    return command("gcloud", "run", *words, f"--project={gcp.project}", f"--region={gcp.region}")


def traffic_command(release: Release, percent: int) -> str:
    run = release.platform.gcp.cloud_run
    split = f"{run.revision}={percent},{run.previous_revision}={100 - percent}"
    return gcloud_run(release, "services", "update-traffic", release.name, f"--to-revisions={split}")


def procedure(release: Release, facts) -> Procedure:
    gcp = release.platform.gcp
    run, rollout = gcp.cloud_run, gcp.rollout
    deploy = [Step(f"Either run the whole rollout ({plan_text(rollout)}; {holds_text(rollout)}; smoke tests every "
                   f"{human(rollout.check_interval_s)} while traffic is held), or follow the steps below by hand.",
                   command("cloud-run/rollout.sh"), role=APPLY),
              Step(f"Deploy revision {run.revision}"
                   + (f" at 0% of traffic, tagged {run.preview_tag} for a preview URL" if rollout.progressive else "")
                   + "; the command waits until the revision is ready.",
                   gcloud_run(release, "services", "replace", "cloud-run/service.yaml"))]
    if rollout.progressive:
        deploy.append(Step(f"Run the smoke tests against the {run.preview_tag} tag URL.",
                           command("cloud-run/rollout.sh", "verify")))
        deploy += share_steps(release, rollout, lambda percent: f"send {percent}% of requests to {run.revision}",
                              lambda percent: traffic_command(release, percent))
    watch = (Step("See which revisions get traffic.",
                  gcloud_run(release, "services", "describe", release.name, "--format=yaml(status.traffic)")),
             Step("See the new revision's state and conditions.", gcloud_run(release, "revisions", "describe",
                                                                            run.revision)))
    rollback = []
    if run.previous_revision:
        rollback.append(Step(f"Send all traffic back to {run.previous_revision} (instant: it is still running).",
                             gcloud_run(release, "services", "update-traffic", release.name,
                                        f"--to-revisions={run.previous_revision}=100"), role=ROLLBACK))
    else:
        rollback.append(Step("Find the revision to return to (the spec names no previous revision).",
                             gcloud_run(release, "revisions", "list", f"--service={release.name}")))
    rollback.append(Step("Check that it serves all traffic.",
                         gcloud_run(release, "services", "describe", release.name, "--format=yaml(status.traffic)")))
    return Procedure("Cloud Run revisions, traffic moved by cloud-run/rollout.sh", tuple(deploy), watch,
                     tuple(rollback), automatic_rollback(release), notes(release))


def automatic_rollback(release: Release) -> str:
    from .rollout import rollout

    return automatic_rollback_text(release, rollout(release), "cloud-run/rollout.sh",
                                   release.platform.gcp.cloud_run.previous_revision, "Cloud Run")


def notes(release: Release) -> tuple:
    run = release.platform.gcp.cloud_run
    result = [f"After this release, set platform.gcp.cloudRun.previousRevision to {run.revision} in the spec: the "
              "next release splits traffic against it."]
    if release.service.termination_grace_s > CLOUD_RUN_SHUTDOWN_S:
        result.append(f"Cloud Run stops an instance {CLOUD_RUN_SHUTDOWN_S} s after SIGTERM; the spec's drain + "
                      f"shutdownTimeout is {human(release.service.termination_grace_s)}, so longer work is cut off.")
    if release.service.autoscaling is not None:
        result.append("Cloud Run scales on request concurrency and CPU by itself: the spec's instance bounds are "
                      f"applied (min {release.service.min_replicas}, max {release.service.autoscaling.max_replicas}), "
                      "its cpuUtilization target is not.")
    result.append("`gcloud run services replace` applies the whole service: settings changed outside service.yaml "
                  "(console, `gcloud run deploy`) are reverted.")
    if release.platform.gcp.rollout.gates:
        result.append("cloud-run/rollout.sh reads the gates from Cloud Monitoring (PromQL API, with "
                      "`gcloud auth print-access-token` and jq): the account needs roles/monitoring.viewer.")
    result.append(exit_codes_text("cloud-run/rollout.sh"))
    return tuple(result)

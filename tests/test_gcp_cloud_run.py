"""Cloud Run: the service YAML, the traffic plan in rollout.sh and the runbook commands follow
from the spec; what Cloud Run cannot do is a warning or a located error."""

from __future__ import annotations

import re

from conftest import release_from
from shipgen.pipeline import check_specs
from shipgen.targets.gcp import cloud_run as gcp_cloud_run

SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: catalog, team: shop}
service:
  image: europe-docker.pkg.dev/p/images/catalog:2.4.0
  replicas: 3
  autoscaling: {maxReplicas: 12}
  ports: [{port: 8080}]
  health: {readiness: /ready, liveness: /live}
  resources: {cpu: "1", memory: 512Mi}
platform:
  kind: gcp-cloud-run
  gcp:
    project: shop-prod
    region: europe-west1
    cloudRun: {previousRevision: catalog-v2-3-1}
strategy:
  type: canary
  steps: [5, {weight: 40, pause: 7m}]
  interval: 90s
rollback: {maxFailedChecks: 3}
smoke:
  - {name: home, http: {path: /}}
"""


def _artifacts(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    return release, {artifact.path: artifact.content for artifact in gcp_cloud_run.render(release, None)}


def _diagnostics(write_spec, text):
    return check_specs([write_spec(text)]).diagnostics


def test_service_yaml_starts_the_new_revision_at_zero_with_a_tag(write_spec):
    _, artifacts = _artifacts(write_spec)
    service = artifacts["cloud-run/service.yaml"]
    template = service["spec"]["template"]
    assert template["metadata"]["name"] == "catalog-v2-4-0"  # from the image tag 2.4.0
    assert template["metadata"]["annotations"] == {"autoscaling.knative.dev/minScale": "3",
                                                   "autoscaling.knative.dev/maxScale": "12"}
    assert service["spec"]["traffic"] == [{"revisionName": "catalog-v2-3-1", "percent": 100},
                                          {"revisionName": "catalog-v2-4-0", "percent": 0, "tag": "preview"}]
    (container,) = template["spec"]["containers"]
    assert container["startupProbe"]["httpGet"] == {"path": "/ready", "port": 8080}  # readiness becomes startup
    assert container["livenessProbe"]["httpGet"]["path"] == "/live"
    assert container["resources"] == {"limits": {"cpu": "1", "memory": "512Mi"}}


def test_rollout_script_walks_the_steps_with_their_holds(write_spec):
    _, artifacts = _artifacts(write_spec)
    script = artifacts["cloud-run/rollout.sh"]
    calls = re.findall(r"^  (set_traffic \d+|hold \d+ \d+)$", script, re.M)
    # pauses: 5% at the interval (90 s), 40% for 7 min; 100% with no hold
    assert calls == ["hold 0 0", "set_traffic 5", "hold 5 90", "set_traffic 40", "hold 40 420", "set_traffic 100",
                     "hold 100 0"]
    assert "interval=90 " in script and "max_failed_checks=3 " in script
    assert "new_revision=catalog-v2-4-0\nprevious_revision=catalog-v2-3-1\n" in script
    assert 'http_check home GET / 200 30 "$url"' in script


def test_runbook_commands_split_by_revision_and_roll_back_to_the_previous_one(write_spec):
    release, _ = _artifacts(write_spec)
    procedure = gcp_cloud_run.procedure(release, None)
    commands = [step.command for step in procedure.deploy]
    assert ("gcloud run services update-traffic catalog --to-revisions=catalog-v2-4-0=40,catalog-v2-3-1=60 "
            "--project=shop-prod --region=europe-west1") in commands
    assert procedure.rollback[0].command == ("gcloud run services update-traffic catalog "
                                             "--to-revisions=catalog-v2-3-1=100 --project=shop-prod --region=europe-west1")
    assert "after 4 failed checks in a row" in procedure.automatic_rollback  # maxFailedChecks 3, one more rolls back
    assert "every 1 min 30 s" in procedure.automatic_rollback


def test_blue_green_holds_the_preview_for_the_analysis_then_switches(write_spec):
    text = SPEC.replace("  type: canary\n  steps: [5, {weight: 40, pause: 7m}]\n", "  type: blue-green\n  iterations: 4\n")
    _, artifacts = _artifacts(write_spec, text)
    calls = re.findall(r"^  (set_traffic \d+|hold \d+ \d+)$", artifacts["cloud-run/rollout.sh"], re.M)
    assert calls == ["hold 0 360", "set_traffic 100", "hold 100 0"]  # 4 checks x 90 s at 0 %


def test_approval_stops_the_script_before_promotion(write_spec):
    text = SPEC.replace("  interval: 90s\n", "  interval: 90s\n  approval: {timeout: 30m, onTimeout: rollback}\n")
    _, artifacts = _artifacts(write_spec, text)
    script = artifacts["cloud-run/rollout.sh"]
    start, rest = script.split("continue_rollout() {", 1)
    assert "set_traffic 40" in start and "set_traffic 100" not in start
    assert "set_traffic 100" in rest.split("}", 1)[0]
    assert any("approvals do not time out" in d.message and d.severity == "warning"
               for d in _diagnostics(write_spec, text))


def test_rolling_sends_everything_to_the_new_revision(write_spec):
    text = SPEC.replace("  type: canary\n  steps: [5, {weight: 40, pause: 7m}]\n  interval: 90s\n", "  type: rolling\n")
    _, artifacts = _artifacts(write_spec, text)
    assert artifacts["cloud-run/service.yaml"]["spec"]["traffic"] == [{"revisionName": "catalog-v2-4-0", "percent": 100}]
    assert "set_traffic" not in artifacts["cloud-run/rollout.sh"].split("start() {", 1)[1]


def test_nearest_faithful_warnings(write_spec):
    text = SPEC + ("gates:\n  - {name: errors, metric: error-rate, max: 0.01}\n"
                   "  - {name: saturation, query: 'sum(up)', max: 1}\n")
    messages = {d.spec_path: d.message for d in _diagnostics(write_spec, text) if d.severity == "warning"
                and d.code == "SG004"}
    assert "Cloud Run has no readiness probe" in messages[("service", "health", "readiness")]
    # the built-in gate is read from Cloud Monitoring; the custom query stays a gate nothing evaluates
    assert "judges gate errors by Cloud Monitoring run.googleapis.com/request_count" in \
        messages[("gates", 0, "provider")]
    assert "cannot evaluate metric gates saturation: they do not roll back by themselves" in messages[("gates",)]
    assert "gates errors read from the platform's metrics" in messages[("gates",)]


def test_what_cloud_run_cannot_do_is_a_located_error(write_spec):
    errors = {d.spec_path: d.message for d in _diagnostics(write_spec, SPEC.replace(
        "  type: canary\n  steps: [5, {weight: 40, pause: 7m}]\n",
        "  type: ab-test\n  match: [{header: {name: x-beta, exact: '1'}}]\n")) if d.severity == "error"}
    assert "Cloud Run cannot send requests matching a header" in errors[("strategy", "type")]
    no_previous = SPEC.replace("    cloudRun: {previousRevision: catalog-v2-3-1}\n", "")
    errors = {d.spec_path: d for d in _diagnostics(write_spec, no_previous) if d.severity == "error"}
    assert "previousRevision (the revision serving now) is not set" in errors[("platform", "gcp", "cloudRun")].message
    assert errors[("platform", "gcp", "cloudRun")].line == 14  # the nearest place: platform.gcp's mapping
    latest = SPEC.replace(":2.4.0", ":latest")
    assert any(d.spec_path == ("service", "image") and "neither a version tag nor a digest" in d.message
               for d in _diagnostics(write_spec, latest))
    reserved = SPEC.replace("  ports: [{port: 8080}]\n", "  ports: [{port: 8080}]\n  env: {PORT: '9000'}\n")
    assert any(d.spec_path == ("service", "env", "PORT") for d in _diagnostics(write_spec, reserved))


def test_settings_must_fit_the_kind(write_spec):
    wrong = SPEC.replace("kind: gcp-cloud-run", "kind: azure-container-apps")
    errors = [d for d in _diagnostics(write_spec, wrong) if d.severity == "error"]
    assert any(d.spec_path == ("platform", "gcp") and "applies to platform.kind" in d.message for d in errors)
    assert any(d.spec_path == ("platform", "kind") and "needs platform.azure" in d.message for d in errors)
    unknown = SPEC.replace("    region: europe-west1\n", "    region: europe-west1\n    zone: b\n")
    assert any(d.code.startswith("SG00") and d.severity == "error" for d in _diagnostics(write_spec, unknown))


def test_service_yaml_snapshot(write_spec, snapshot):
    from shipgen.serialize import serialize

    release, _ = _artifacts(write_spec)
    (service,) = [artifact for artifact in gcp_cloud_run.render(release, None) if artifact.path.endswith(".yaml")]
    assert serialize(service, release.source).decode() == snapshot

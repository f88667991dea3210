"""Cloud Deploy: the pipeline's stages and canary percentages, the Automation's advance waits and
repair settings, approvals, the GKE + Cloud Service Mesh route, and the errors and warnings for
what the spec asks and Cloud Deploy cannot do as written."""

from __future__ import annotations

from conftest import release_from
from shipgen.pipeline import check_specs
from shipgen.targets.gcp import cloud_deploy as gcp_cloud_deploy

SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: search, team: discovery, environment: prod}
service:
  image: europe-docker.pkg.dev/p/images/search:3.1.0
  ports: [{port: 8080}]
  health: {readiness: /ready}
platform:
  kind: gcp-cloud-deploy
  gcp:
    project: shop-prod
    region: europe-west1
    cloudDeploy:
      stages:
        - {target: staging, project: shop-staging, region: us-central1}
        - {target: prod}
      verify: true
      predeploy: [migrate]
      postdeploy: [announce]
      skaffoldFile: deploy/skaffold.yaml
      serviceAccount: deployer@shop-prod.iam.gserviceaccount.com
strategy:
  type: canary
  steps: [{weight: 10, pause: 4m}, {weight: 50, pause: 10m}]
  interval: 2m
rollback: {maxFailedChecks: 3}
"""


def _documents(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    artifacts = {artifact.path: artifact.content for artifact in gcp_cloud_deploy.render(release, None)}
    documents = {(document["kind"], document["metadata"]["name"]): document
                 for document in artifacts["cloud-deploy/clouddeploy.yaml"]}
    return release, artifacts, documents


def _diagnostics(write_spec, text):
    return check_specs([write_spec(text)]).diagnostics


def test_stages_promote_in_order_and_the_last_one_runs_the_canary(write_spec):
    _, _, documents = _documents(write_spec)
    stages = documents[("DeliveryPipeline", "search")]["serialPipeline"]["stages"]
    assert [stage["targetId"] for stage in stages] == ["staging", "prod"]
    assert stages[0]["strategy"] == {"standard": {"verify": True, "predeploy": {"actions": ["migrate"]},
                                                  "postdeploy": {"actions": ["announce"]}}}
    canary = stages[1]["strategy"]["canary"]
    assert canary["canaryDeployment"]["percentages"] == [10, 50]
    assert canary["canaryDeployment"]["verify"] is True
    assert canary["runtimeConfig"] == {"cloudRun": {"automaticTrafficControl": True, "canaryRevisionTags": ["preview"]}}
    assert documents[("Target", "staging")]["run"] == {"location": "projects/shop-staging/locations/us-central1"}
    assert documents[("Target", "prod")]["run"] == {"location": "projects/shop-prod/locations/europe-west1"}


def test_automation_advances_after_each_hold_and_repairs_with_retries(write_spec):
    _, _, documents = _documents(write_spec)
    automation = documents[("Automation", "search/prod-rollout")]
    assert automation["selector"] == {"targets": [{"id": "prod"}]}
    assert automation["serviceAccount"] == "deployer@shop-prod.iam.gserviceaccount.com"
    rules = automation["rules"]
    assert [rule["advanceRolloutRule"]["sourcePhases"] + [rule["advanceRolloutRule"]["wait"]]
            for rule in rules if "advanceRolloutRule" in rule] == [["canary-10", "4m"], ["canary-50", "10m"]]
    (repair,) = [rule["repairRolloutRule"] for rule in rules if "repairRolloutRule" in rule]
    assert repair["phases"] == ["canary-10", "canary-50", "stable"]
    assert repair["jobs"] == ["deploy", "verify"]
    # maxFailedChecks 3: three retries, the interval (2 min) apart, then the rollback
    assert repair["repairPhases"] == [{"retry": {"attempts": 3, "wait": "2m", "backoffMode": "BACKOFF_MODE_LINEAR"}},
                                      {"rollback": {}}]


def test_the_service_manifest_leaves_traffic_and_revision_names_to_cloud_deploy(write_spec):
    _, artifacts, _ = _documents(write_spec)
    service = artifacts["cloud-deploy/service.yaml"]
    assert "traffic" not in service["spec"]
    assert "name" not in service["spec"]["template"]["metadata"]


def test_waits_are_rounded_up_to_minutes_with_a_warning(write_spec):
    text = SPEC.replace("{weight: 10, pause: 4m}", "{weight: 10, pause: 150s}").replace("interval: 2m", "interval: 90s")
    release, _, documents = _documents(write_spec, text)
    waits = [rule["advanceRolloutRule"]["wait"] for rule in documents[("Automation", "search/prod-rollout")]["rules"]
             if "advanceRolloutRule" in rule]
    assert waits == ["3m", "10m"]
    warnings = [d.message for d in _diagnostics(write_spec, text) if d.severity == "warning" and d.code == "SG004"]
    assert any("10%: 2 min 30 s -> 3 min" in message for message in warnings)
    assert any("retried after 2 min, not 1 min 30 s" in message for message in warnings)


def test_approval_before_promotion_leaves_the_last_phase_to_a_person(write_spec):
    text = SPEC.replace("  interval: 2m\n", "  interval: 2m\n  approval: {before: promotion, timeout: 1h, onTimeout: rollback}\n")
    release, _, documents = _documents(write_spec, text)
    rules = documents[("Automation", "search/prod-rollout")]["rules"]
    assert [rule["advanceRolloutRule"]["id"] for rule in rules if "advanceRolloutRule" in rule] == ["advance-canary-10"]
    steps = gcp_cloud_deploy.procedure(release, None).deploy
    assert any("waits for a person" in step.title and "--phase-id=stable" in step.command for step in steps)


def test_approval_before_rollout_requires_approval_on_the_last_target(write_spec):
    text = SPEC.replace("  interval: 2m\n", "  interval: 2m\n  approval: {before: rollout, timeout: 1h, onTimeout: rollback}\n")
    _, _, documents = _documents(write_spec, text)
    assert documents[("Target", "prod")]["requireApproval"] is True
    assert documents[("Target", "staging")]["requireApproval"] is False


def test_blue_green_is_a_canary_at_zero_percent(write_spec):
    text = SPEC.replace("  type: canary\n  steps: [{weight: 10, pause: 4m}, {weight: 50, pause: 10m}]\n",
                        "  type: blue-green\n  iterations: 3\n")
    _, _, documents = _documents(write_spec, text)
    canary = documents[("DeliveryPipeline", "search")]["serialPipeline"]["stages"][1]["strategy"]["canary"]
    assert canary["canaryDeployment"]["percentages"] == [0]
    rules = documents[("Automation", "search/prod-rollout")]["rules"]
    assert rules[0] == {"advanceRolloutRule": {"id": "advance-canary-0", "sourcePhases": ["canary-0"], "wait": "6m"}}


def test_runbook_commands_name_the_release_and_the_rollback(write_spec):
    release, _, _ = _documents(write_spec)
    procedure = gcp_cloud_deploy.procedure(release, None)
    commands = [step.command for step in procedure.deploy]
    assert commands[1] == "cp specs/deploy/skaffold.yaml cloud-deploy/skaffold.yaml"  # relative to the spec
    assert commands[2] == ("gcloud deploy releases create search-v3-1-0 --delivery-pipeline=search "
                           "--source=cloud-deploy --region=europe-west1 --project=shop-prod")
    assert procedure.rollback[0].command == ("gcloud deploy targets rollback prod --delivery-pipeline=search "
                                             "--region=europe-west1 --project=shop-prod")
    assert "retries it 3 time(s), 2 min apart" in procedure.automatic_rollback


def test_gke_with_a_mesh_rewrites_the_route_weights(write_spec):
    text = (SPEC.replace("        - {target: prod}\n", "        - {target: prod, cluster: prod-cluster}\n")
            .replace("region: us-central1}", "region: us-central1, cluster: stg}")
            .replace("strategy:\n  type: canary", "    mesh: {gateway: infra/mesh-gateway, routeUpdateWait: 2m}\n"
                     "strategy:\n  type: canary"))
    _, artifacts, documents = _documents(write_spec, text)
    canary = documents[("DeliveryPipeline", "search")]["serialPipeline"]["stages"][1]["strategy"]["canary"]
    assert canary["runtimeConfig"] == {"kubernetes": {"gatewayServiceMesh": {
        "httpRoute": "search", "service": "search", "deployment": "search", "routeUpdateWaitTime": "120s",
        "stableCutbackDuration": "300s"}}}
    assert documents[("Target", "prod")]["gke"] == {"cluster": "projects/shop-prod/locations/europe-west1/clusters/prod-cluster"}
    kinds = [document["kind"] for document in artifacts["cloud-deploy/kubernetes.yaml"]]
    assert kinds == ["Deployment", "Service", "PodDisruptionBudget", "HTTPRoute"]
    route = artifacts["cloud-deploy/kubernetes.yaml"][-1]
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "namespace": "infra", "name": "mesh-gateway"}]


def test_what_cloud_deploy_cannot_do_is_a_located_error(write_spec):
    no_skaffold = SPEC.replace("      skaffoldFile: deploy/skaffold.yaml\n", "")
    errors = {d.spec_path: d.message for d in _diagnostics(write_spec, no_skaffold) if d.severity == "error"}
    assert "skaffoldFile is not set" in errors[("platform", "gcp", "cloudDeploy", "verify")]
    assert ("platform", "gcp", "cloudDeploy", "predeploy") in errors
    no_account = SPEC.replace("      serviceAccount: deployer@shop-prod.iam.gserviceaccount.com\n", "")
    errors = {d.spec_path: d.message for d in _diagnostics(write_spec, no_account) if d.severity == "error"}
    assert "cloudDeploy.serviceAccount is not set" in errors[("platform", "gcp", "cloudDeploy")]
    mesh_on_run = SPEC.replace("strategy:\n  type: canary", "    mesh: {}\nstrategy:\n  type: canary")
    errors = {d.spec_path: d.message for d in _diagnostics(write_spec, mesh_on_run) if d.severity == "error"}
    assert "need a GKE cluster" in errors[("platform", "gcp", "mesh")]
    revision = SPEC.replace("    region: europe-west1\n", "    region: europe-west1\n    cloudRun: {previousRevision: search-v1}\n", 1)
    errors = {d.spec_path for d in _diagnostics(write_spec, revision) if d.severity == "error"}
    assert ("platform", "gcp", "cloudRun", "previousRevision") in errors


def test_without_automatic_rollback_or_holds_no_automation_is_needed(write_spec):
    text = (SPEC.replace("      serviceAccount: deployer@shop-prod.iam.gserviceaccount.com\n", "")
            .replace("rollback: {maxFailedChecks: 3}", "rollback: {automatic: false}")
            .replace("  type: canary\n  steps: [{weight: 10, pause: 4m}, {weight: 50, pause: 10m}]\n  interval: 2m\n",
                     "  type: rolling\n"))
    _, _, documents = _documents(write_spec, text)
    assert [kind for kind, _ in documents] == ["DeliveryPipeline", "Target", "Target"]
    assert "executionConfigs" not in documents[("Target", "prod")]

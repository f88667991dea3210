"""Platform-aware facts: the analysis steps are the rollout model's judged phases, so they list
only what a controller judges (CodeDeploy's alarms on AWS, at the shares it really shifts and
while the old version is kept, one alarm period each; nothing on GCP and Azure), and the
readiness check (`facts/platforms.py`) is the probe each target turns into the platform's
health check."""

from __future__ import annotations

import pytest

from conftest import MINIMAL_SPEC, ROOT, release_from
from shipgen.facts import compute_facts


def example(name: str, *replacements) -> str:
    """An example spec with (old, new) text replacements, each of which must apply."""
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def facts_of(write_spec, text: str) -> dict:
    return compute_facts(release_from(write_spec(text))).as_dict()


def test_codedeploy_linear_steps_are_judged_over_the_alarm_period(write_spec):
    text = example("aws-ecs-linear.yaml", ("  replicas: 3\n", "  replicas: 3\n  traffic: {requestsPerSecond: 10}\n"))
    steps = facts_of(write_spec, text)["rollout"]["steps"]
    # 10 requests/s x share x 2 min (the alarm period, from the gate's 2m window), at 10%..90%, then
    # at 100% while CodeDeploy keeps the old task set (terminationWait 15m): the alarm still stops it
    assert [(step["weight"], step["expected_requests"]) for step in steps] == \
        [(weight, 10 * weight / 100 * 120) for weight in range(10, 101, 10)]
    assert steps[0]["path"] == ["strategy", "steps", 0]
    assert steps[-1]["path"] == ["platform", "aws", "terminationWait"]
    assert steps[0]["basis"] == "10% of 10 requests/s over one 2 min CloudWatch alarm period"


def test_codedeploy_blue_green_is_judged_after_the_switch(write_spec):
    # the alarms judge production traffic once it has moved: 40 requests/s x 1 min alarm period, while
    # the old instances are kept (strategy.preview.scaleDownDelay); the preview gets smoke tests only
    steps = facts_of(write_spec, example("aws-ec2-blue-green.yaml"))["rollout"]["steps"]
    assert [(step["weight"], step["expected_requests"], step["path"]) for step in steps] == \
        [(100, 40 * 60, ["strategy", "preview", "scaleDownDelay"])]


def test_codedeploy_without_alarms_judges_nothing(write_spec):
    text = example("aws-ec2-blue-green.yaml", ("rollback: {automatic: true,", "rollback: {automatic: true, on: [],"))
    facts = facts_of(write_spec, text)
    assert facts["analysis"]["rollback_gates"] == 0
    assert facts["rollout"]["steps"] == []


@pytest.mark.parametrize("name", ["gcp-cloud-deploy-canary.yaml", "azure-traffic-manager-blue-green.yaml"])
def test_gcp_and_azure_evaluate_no_metric_gates(write_spec, name):
    assert facts_of(write_spec, example(name))["rollout"]["steps"] == []


@pytest.mark.parametrize("name,shares", [("gcp-cloud-run-canary.yaml", [5, 25, 50]),
                                         ("azure-container-apps-canary.yaml", [10, 50])])
def test_cloud_run_and_container_apps_judge_their_gates_at_each_held_share(write_spec, name, shares):
    # rollout.sh reads the built-in gates from Cloud Monitoring / Azure Monitor (issue 13 item 6)
    steps = facts_of(write_spec, example(name))["rollout"]["steps"]
    assert [step["weight"] for step in steps] == shares


def test_argo_blue_green_without_load_test_is_judged_on_live_traffic(write_spec):
    # no load test would reach the preview, so the Rollout runs the analysis after promotion
    # (postPromotionAnalysis) on all the traffic, whose rate the spec does not give
    text = MINIMAL_SPEC + "platform: {kind: kubernetes, controller: argo-rollouts}\nstrategy: {type: blue-green}\n" \
        "gates:\n  - {name: error-rate, metric: error-rate, max: 0.01}\n"
    steps = facts_of(write_spec, text)["rollout"]["steps"]
    assert [(step["weight"], step["expected_requests"]) for step in steps] == [(100, None)]


def test_flagger_blue_green_preview_is_judged_with_no_user_traffic(write_spec):
    # Flagger analyses the blue-green canary before the switch: no user traffic and no load test
    text = MINIMAL_SPEC + "platform: {kind: kubernetes, controller: flagger}\nstrategy: {type: blue-green}\n" \
        "gates:\n  - {name: error-rate, metric: error-rate, max: 0.01}\n"
    steps = facts_of(write_spec, text)["rollout"]["steps"]
    assert [(step["weight"], step["expected_requests"]) for step in steps][0] == (0, 0)


NO_HEALTH = ("  health:\n    readiness: {path: /health, period: 10s}\n", "")
ECS_HEALTH = ("    readiness: {path: /healthz, period: 5s}\n", "")
ECS_LIVENESS = ("  health:\n    liveness: {exec: [/app/catalog-edge, healthcheck], period: 30s, timeout: 5s}\n", "")


@pytest.mark.parametrize("name, replacements, present, mechanism", [
    ("aws-ec2-blue-green.yaml", (), True, "health check in the CodeDeploy hook scripts"),
    ("aws-ec2-blue-green.yaml", (NO_HEALTH,), False, "health check in the CodeDeploy hook scripts"),
    ("aws-ecs-linear.yaml", (), True, "ECS health check"),
    ("aws-ecs-linear.yaml", (ECS_HEALTH,), True, "ECS health check"),  # exec liveness: container health check
    ("aws-ecs-linear.yaml", (ECS_HEALTH, ECS_LIVENESS), False, "ECS health check"),
    ("azure-container-apps-canary.yaml", (), True, "Container Apps readiness probe"),
    ("azure-container-apps-canary.yaml", (("    readiness: /health/ready\n", ""),), False,
     "Container Apps readiness probe"),
    ("azure-traffic-manager-blue-green.yaml", (), True, "Traffic Manager endpoint monitor path"),
    ("azure-traffic-manager-blue-green.yaml",
     (("  health:\n    readiness: {path: /healthz, period: 10s, timeout: 5s, failureThreshold: 3}\n", ""),), False,
     "Traffic Manager endpoint monitor path"),
    ("azure-traffic-manager-blue-green.yaml",
     (("  health:\n    readiness: {path: /healthz, period: 10s, timeout: 5s, failureThreshold: 3}\n", ""),
      ("monitor: {protocol: HTTPS, port: 443}", "monitor: {protocol: HTTPS, port: 443, path: /up}")), True,
     "Traffic Manager endpoint monitor path"),
    ("gcp-cloud-deploy-canary.yaml", (), True, "Cloud Run startup probe"),
    ("gcp-cloud-deploy-mesh.yaml", (("    readiness: /ready\n", ""),), False, "readiness probe"),  # GKE
])
def test_readiness_check_is_what_the_target_emits(write_spec, name, replacements, present, mechanism):
    check = facts_of(write_spec, example(name, *replacements))["health"]["readiness_check"]
    assert check["required"] is True
    assert check["present"] is present
    assert check["mechanism"].startswith(mechanism)


def test_lambda_needs_no_readiness_check(write_spec):
    check = facts_of(write_spec, example("aws-lambda-sam.yaml"))["health"]["readiness_check"]
    assert check["required"] is False


def test_kubernetes_readiness_check_is_the_readiness_probe(write_spec):
    check = facts_of(write_spec, MINIMAL_SPEC.replace("readiness: /ready, ", "startup: /started, "))["health"]
    assert check["readiness_check"] == {"required": True, "present": False, "mechanism": "readiness probe",
                                        "path": ["service", "health", "readiness"]}

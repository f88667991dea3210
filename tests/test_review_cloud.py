"""Semantic review of the cloud targets: behaviour the oracle (cfn-lint, schemas, shellcheck) cannot
catch. Each test pins one fix: an ARM expression a spec value could break out of, an EC2
blue/green group pointed back at a deleted Auto Scaling group, a SAM image function `sam deploy`
refuses, a Network Load Balancer the AWS targets cannot drive, and task definitions that a stack
update deregistered under the runbook's rollback."""

from __future__ import annotations

import json

import pytest

from aws_support import (ECS, EC2, LAMBDA, LISTENER, build_files, check, errors, fake_command, load, run_script,
                         spec, write_tree)
from conftest import release_from
from shipgen.targets.azure import app_service as azure_app_service

BLUE_GREEN = {"type": "blue-green", "preview": {"scaleDownDelay": "1h"}}
NLB_LISTENER = LISTENER.replace("listener/app/", "listener/net/")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------------------- Azure: ARM expressions


def test_an_app_service_plan_name_cannot_end_the_arm_string_literal(write_spec):
    release = release_from(write_spec("""\
        apiVersion: shipgen.dev/v1alpha1
        kind: Release
        metadata: {name: web-portal, team: portal}
        service:
          image: contoso.azurecr.io/portal/web:12.3.0
          ports: [{port: 3000}]
        platform:
          kind: azure-app-service
          azure: {resourceGroup: portal-prod, appService: {plan: "plan'), listKeys('x"}}
        strategy: {type: blue-green}
        """))
    (slot,) = azure_app_service.render(release, None)[0].content["resources"]
    # ARM escapes a quote inside a string literal by doubling it: the name stays one literal
    assert slot["properties"]["serverFarmId"] == "[resourceId('Microsoft.Web/serverfarms', 'plan''), listKeys(''x')]"


# ---------------------------------------------------------------------------- EC2 blue/green group


def _group_calls(tmp_path, monkeypatch, current: str | None):
    """The aws calls deployment-group.sh makes when the group exists with `current` as its Auto
    Scaling group (None: the group does not exist yet)."""
    files = build_files(tmp_path, spec(EC2, strategy=BLUE_GREEN))
    root = tmp_path / "out"
    write_tree(root, files)
    exists = ('[[ "$1 $2" != "deploy get-deployment-group" ]] || exit 254\n' if current is None else
              f'[[ "$1 $2" != "deploy get-deployment-group" ]] || echo {current}\n')
    fake_command(tmp_path / "bin", "aws", 'printf "%s\\n" "$@" >>"$LOG"; echo "---" >>"$LOG"\n'
                                          '[[ "$1 $2" != "cloudformation describe-stacks" ]] || echo arn:role\n'
                                          + exists)
    monkeypatch.setenv("LOG", str(tmp_path / "aws.log"))
    result = run_script(root / "aws/deployment-group.sh", tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    return [call.strip("\n").split("\n") for call in (tmp_path / "aws.log").read_text().split("---\n") if call]


def _options(call: list) -> dict:
    return {call[index]: call[index + 1] for index in range(len(call) - 1) if call[index].startswith("--")}


def test_an_ec2_blue_green_update_keeps_the_auto_scaling_group_codedeploy_put_in_the_group(tmp_path, monkeypatch):
    # after a blue/green deployment the group holds CodeDeploy's copy; the spec's group is deleted
    calls = _group_calls(tmp_path, monkeypatch, "CodeDeploy_api-staging_d-ABCDEF123")
    (update,) = [call for call in calls if call[:2] == ["deploy", "update-deployment-group"]]
    assert [word for word in update if word == "--auto-scaling-groups"] == ["--auto-scaling-groups"]
    assert _options(update)["--auto-scaling-groups"] == "CodeDeploy_api-staging_d-ABCDEF123"
    assert json.loads(_options(update)["--blue-green-deployment-configuration"])["greenFleetProvisioningOption"] == {
        "action": "COPY_AUTO_SCALING_GROUP"}


def test_an_ec2_blue_green_group_is_created_with_the_spec_auto_scaling_group(tmp_path, monkeypatch):
    calls = _group_calls(tmp_path, monkeypatch, None)
    (create,) = [call for call in calls if call[:2] == ["deploy", "create-deployment-group"]]
    assert _options(create)["--auto-scaling-groups"] == "api-asg"
    assert not [call for call in calls if call[:2] == ["deploy", "update-deployment-group"]]


def test_an_ec2_blue_green_group_without_an_auto_scaling_group_gets_the_spec_one(tmp_path, monkeypatch):
    calls = _group_calls(tmp_path, monkeypatch, "None")  # what --output text prints for a missing value
    (update,) = [call for call in calls if call[:2] == ["deploy", "update-deployment-group"]]
    assert _options(update)["--auto-scaling-groups"] == "api-asg"


# ---------------------------------------------------------------------------- SAM container image functions


def test_sam_deploy_names_the_ecr_repository_of_an_image_function(tmp_path):
    files = build_files(tmp_path, spec(LAMBDA))
    assert ("--image-repository 111122223333.dkr.ecr.eu-west-1.amazonaws.com/api " in files["aws/deploy.sh"])
    assert "--image-repository" in files["RUNBOOK.md"]
    zipped = dict(LAMBDA, aws={"region": "eu-west-1", "lambda": {"runtime": "python3.12", "handler": "app.handler",
                                                                  "code": "s3://bucket/api.zip"}})
    assert "--image-repository" not in build_files(tmp_path, spec(zipped))["aws/deploy.sh"]


@pytest.mark.parametrize("image,message", [
    ("registry.example.com/api:1.0.0", "private Amazon ECR repository only"),
    ("111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1.0.0", "in the function's region (eu-west-1)"),
])
def test_an_image_function_needs_an_ecr_image_in_its_region(tmp_path, image, message):
    _, diagnostics = check(tmp_path, spec(LAMBDA, service={"image": image}))
    (error,) = errors(diagnostics)
    assert error.spec_path == ("service", "image") and message in error.message


def test_a_digest_pinned_ecr_image_is_accepted(tmp_path):
    image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:" + "ab" * 32
    _, diagnostics = check(tmp_path, spec(LAMBDA, service={"image": image}))
    assert errors(diagnostics) == []


# ---------------------------------------------------------------------------- Network Load Balancers


@pytest.mark.parametrize("platform,key", [
    (dict(ECS, aws=dict(ECS["aws"], loadBalancer=dict(ECS["aws"]["loadBalancer"], listener=NLB_LISTENER))),
     "listener"),
    (dict(ECS, aws=dict(ECS["aws"], loadBalancer=dict(ECS["aws"]["loadBalancer"], testListener=NLB_LISTENER))),
     "testListener"),
    (dict(EC2, aws=dict(EC2["aws"], loadBalancer=dict(EC2["aws"]["loadBalancer"], listener=NLB_LISTENER))),
     "listener"),
])
def test_a_network_load_balancer_listener_is_a_located_error(tmp_path, platform, key):
    strategy = BLUE_GREEN if platform["kind"] == "aws-ec2" else None
    document = spec(platform, strategy=strategy) if strategy else spec(platform)
    _, diagnostics = check(tmp_path, document)
    located = [error for error in errors(diagnostics) if error.spec_path == ("platform", "aws", "loadBalancer", key)]
    assert located and "Network Load Balancer" in located[0].message


# ---------------------------------------------------------------------------- ECS task definitions


@pytest.mark.parametrize("strategy", [None, {"type": "rolling"}])
def test_ecs_task_definitions_survive_a_stack_update(tmp_path, strategy):
    platform = ECS if strategy is None else dict(ECS, aws=dict(ECS["aws"], loadBalancer={
        "listener": LISTENER, "targetGroups": ECS["aws"]["loadBalancer"]["targetGroups"][:1]}))
    document = spec(platform) if strategy is None else spec(platform, strategy=strategy)
    task = load(build_files(tmp_path, document)["aws/cloudformation.yaml"])["Resources"]["TaskDefinition"]
    # a replaced or dropped revision would be deregistered, and ECS cannot roll a service back to it
    assert (task["DeletionPolicy"], task["UpdateReplacePolicy"]) == ("Retain", "Retain")


# ---------------------------------------------------------------------------- EC2 smoke tests


def test_an_ec2_http_smoke_test_without_a_port_is_a_located_error_not_a_crash(tmp_path):
    without_balancer = dict(EC2, aws={key: value for key, value in EC2["aws"].items() if key != "loadBalancer"})
    document = spec(without_balancer, strategy={"type": "rolling"}, smoke=[{"name": "home", "http": {"path": "/"}}])
    document["service"].pop("ports")
    document["service"].pop("health")
    _, diagnostics = check(tmp_path, document)
    (error,) = errors(diagnostics)
    assert error.spec_path == ("smoke", 0) and "has none" in error.message

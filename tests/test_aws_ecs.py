"""The ECS target: CloudFormation, task definition, AppSpec and deploy script follow the spec."""

from __future__ import annotations

import json

import pytest
import yaml

from aws_support import (BLUE, ECS, GREEN, LISTENER, TEST_LISTENER, build_files, fake_command, load, release_of,
                         run_script, spec, write_tree)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Specs are named relative to tmp_path, so outputs do not depend on the machine."""
    monkeypatch.chdir(tmp_path)


HOOKS = ["BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"]
CANARY = {"type": "canary", "steps": [{"weight": 10, "pause": "20m"}]}
SMOKE = [{"name": "home", "http": {"path": "/", "expect": 200}, "timeout": "7s"}]


def template(files: dict) -> dict:
    return load(files["aws/cloudformation.yaml"])


def resources_of(files: dict, kind: str) -> dict:
    return {name: item for name, item in template(files)["Resources"].items() if item["Type"] == kind}


# ---------------------------------------------------------------------------- CodeDeploy blue/green


def test_the_deployment_group_carries_the_spec_shift_wait_and_rollback(tmp_path):
    files = build_files(tmp_path, spec(dict(ECS, aws=dict(ECS["aws"], terminationWait="45m")), strategy=CANARY,
                                       rollback={"maxFailedChecks": 4}))
    resources = template(files)["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    assert group["DeploymentStyle"] == {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert group["DeploymentConfigName"] == {"Ref": "DeploymentConfig"}
    assert resources["DeploymentConfig"]["Properties"] == {
        "ComputePlatform": "ECS",
        "TrafficRoutingConfig": {"Type": "TimeBasedCanary",
                                 "TimeBasedCanary": {"CanaryPercentage": 10, "CanaryInterval": 20}}}
    blue_green = group["BlueGreenDeploymentConfiguration"]
    assert blue_green["TerminateBlueInstancesOnDeploymentSuccess"] == {"Action": "TERMINATE",
                                                                       "TerminationWaitTimeInMinutes": 45}
    assert blue_green["DeploymentReadyOption"] == {"ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0}
    assert group["AutoRollbackConfiguration"] == {"Enabled": True,
                                                  "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}
    (alarm_ref,) = group["AlarmConfiguration"]["Alarms"]
    alarm = resources[alarm_ref["Name"]["Ref"]]["Properties"]
    assert alarm["AlarmName"] == "api-staging-errors"
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (5, 5, 5)
    assert alarm["Metrics"][0]["Expression"].endswith("WHERE Service = 'api'")
    (pair,) = group["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    assert pair["ProdTrafficRoute"] == {"ListenerArns": [{"Ref": "ProductionListenerArn"}]}
    assert pair["TestTrafficRoute"] == {"ListenerArns": [{"Ref": "TestListenerArn"}]}
    parameters = template(files)["Parameters"]
    assert (parameters["BlueTargetGroupArn"]["Default"], parameters["GreenTargetGroupArn"]["Default"]) == (BLUE, GREEN)
    assert (parameters["ProductionListenerArn"]["Default"], parameters["TestListenerArn"]["Default"]) == \
        (LISTENER, TEST_LISTENER)


def test_a_predefined_configuration_is_named_and_no_custom_one_is_made(tmp_path):
    files = build_files(tmp_path, spec(ECS, strategy={"type": "canary", "steps": list(range(10, 100, 10)),
                                                      "interval": "1m"}))
    resources = template(files)["Resources"]
    assert resources["DeploymentGroup"]["Properties"]["DeploymentConfigName"] == \
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    assert "DeploymentConfig" not in resources


def test_blue_green_keeps_the_old_tasks_for_the_scale_down_delay_and_waits_for_approval(tmp_path):
    strategy = {"type": "blue-green", "preview": {"scaleDownDelay": "2h"}, "iterations": 4, "interval": "2m",
                "approval": {"timeout": "90m", "onTimeout": "rollback"}}
    files = build_files(tmp_path, spec(ECS, strategy=strategy, smoke=SMOKE))
    resources = template(files)["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    blue_green = group["BlueGreenDeploymentConfiguration"]
    assert blue_green["TerminateBlueInstancesOnDeploymentSuccess"]["TerminationWaitTimeInMinutes"] == 120
    assert blue_green["DeploymentReadyOption"] == {"ActionOnTimeout": "STOP_DEPLOYMENT", "WaitTimeInMinutes": 90}
    after = json.loads(resources["HookAfterAllowTraffic"]["Properties"]["Environment"]["Variables"]["SHIPGEN_HOOK"])
    assert (after["checks"], after["interval"]) == (4, 120)  # strategy.iterations, strategy.interval
    assert resources["HookAfterAllowTraffic"]["Properties"]["Timeout"] == 7 + 3 * 120 + 60


def test_the_service_is_created_for_code_deploy_without_ecs_only_settings(tmp_path):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY))
    service = template(files)["Resources"]["Service"]["Properties"]
    assert service["DeploymentController"] == {"Type": "CODE_DEPLOY"}
    assert "DeploymentConfiguration" not in service  # circuit breaker/alarms are refused with CODE_DEPLOY
    assert service["LoadBalancers"] == [{"ContainerName": "api", "ContainerPort": 8080,
                                         "TargetGroupArn": {"Ref": "BlueTargetGroupArn"}}]  # one group only
    assert service["TaskDefinition"] == {"Fn::If": ["CreateTaskDefinition", {"Ref": "TaskDefinition"},
                                                    {"Ref": "TaskDefinitionArn"}]}
    assert service["DesiredCount"] == 4


def test_taskdef_json_is_the_template_task_definition(tmp_path):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY, service={
        "env": {"MODE": "a: b # c"}, "command": ["/bin/api"], "args": ["--port", "8080"],
        "resources": {"cpu": "2", "memory": "4Gi"}}))
    taskdef = json.loads(files["aws/taskdef.json"])
    definition = template(files)["Resources"]["TaskDefinition"]["Properties"]
    (container,) = taskdef["containerDefinitions"]
    (cfn_container,) = definition["ContainerDefinitions"]
    assert (taskdef["cpu"], taskdef["memory"]) == (definition["Cpu"], definition["Memory"]) == ("2048", "4096")
    assert container["environment"] == [{"name": "MODE", "value": "a: b # c"}]
    assert cfn_container["Environment"] == [{"Name": "MODE", "Value": "a: b # c"}]
    assert (container["entryPoint"], container["command"]) == (["/bin/api"], ["--port", "8080"])
    assert cfn_container["LogConfiguration"]["Options"] == container["logConfiguration"]["options"]
    assert container["image"] == cfn_container["Image"]


def test_the_appspec_names_the_container_port_and_the_hook_functions_in_lifecycle_order(tmp_path):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY, smoke=SMOKE))
    appspec = load(files["aws/appspec.yaml"])
    assert appspec["version"] == 0.0 and isinstance(appspec["version"], float)
    (target,) = appspec["Resources"]
    properties = target["TargetService"]["Properties"]
    assert properties["TaskDefinition"] == "<TASK_DEFINITION>"
    assert properties["LoadBalancerInfo"] == {"ContainerName": "api", "ContainerPort": 8080}
    assert [next(iter(hook)) for hook in appspec["Hooks"]] == HOOKS
    functions = {item["Properties"]["FunctionName"]: name
                 for name, item in resources_of(files, "AWS::Lambda::Function").items()}
    for hook in appspec["Hooks"]:
        (event, function), = hook.items()
        assert functions[function] == f"Hook{event}" and function.startswith("CodeDeployHook_")
    test_hook = template(files)["Resources"]["HookAfterAllowTestTraffic"]["Properties"]["Environment"]["Variables"]
    assert json.loads(test_hook["SHIPGEN_HOOK"])["smoke"] == [
        {"name": "home", "method": "GET", "path": "/", "expect": 200, "timeout": 7}]
    assert test_hook["SHIPGEN_LISTENER"] == {"Ref": "TestListenerArn"}


def test_no_automatic_rollback_when_the_spec_says_so(tmp_path):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY, rollback={"automatic": False}))
    group = template(files)["Resources"]["DeploymentGroup"]["Properties"]
    assert group["AutoRollbackConfiguration"] == {"Enabled": False}
    assert group["AlarmConfiguration"]["Enabled"] is True  # alarms still stop it


def test_a_template_snapshot(tmp_path, snapshot):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY, smoke=SMOKE))
    assert files["aws/cloudformation.yaml"] == snapshot


# ---------------------------------------------------------------------------- rolling


def test_a_rolling_service_rolls_back_by_circuit_breaker_and_alarms(tmp_path):
    platform = dict(ECS, aws=dict(ECS["aws"], loadBalancer={"listener": LISTENER, "targetGroups": [BLUE]}))
    files = build_files(tmp_path, spec(platform, strategy={"type": "rolling", "maxSurge": 1, "maxUnavailable": 0}))
    resources = template(files)["Resources"]
    service = resources["Service"]["Properties"]
    assert service["DeploymentController"] == {"Type": "ECS"}
    configuration = service["DeploymentConfiguration"]
    assert (configuration["MinimumHealthyPercent"], configuration["MaximumPercent"]) == (100, 125)
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert configuration["Alarms"] == {"AlarmNames": [{"Ref": "AlarmErrors"}], "Enable": True, "Rollback": True}
    assert not [item for item in resources.values() if item["Type"].startswith("AWS::CodeDeploy::")]
    assert "aws/appspec.yaml" not in files and "aws/taskdef.json" not in files


def test_a_rolling_service_without_automatic_rollback_only_stops(tmp_path):
    platform = dict(ECS, aws=dict(ECS["aws"], loadBalancer={}))
    files = build_files(tmp_path, spec(platform, strategy={"type": "rolling"}, rollback={"automatic": False}))
    configuration = template(files)["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    assert configuration["DeploymentCircuitBreaker"]["Rollback"] is False
    assert configuration["Alarms"]["Rollback"] is False


# ---------------------------------------------------------------------------- runbook procedure


def test_the_procedure_names_the_rollback_commands_and_numbers(tmp_path):
    from shipgen.targets.aws import ecs as aws_ecs

    release = release_of(tmp_path, spec(dict(ECS, aws=dict(ECS["aws"], terminationWait="45m")), strategy=CANARY))
    procedure = aws_ecs.procedure(release, None)
    commands = [step.command for step in procedure.rollback]
    assert ("aws deploy stop-deployment --deployment-id DEPLOYMENT_ID --auto-rollback-enabled --region eu-west-1"
            in commands)
    assert "45 min" in procedure.automatic_rollback
    assert "api-staging-errors" in procedure.automatic_rollback and "above 5" in procedure.automatic_rollback
    assert "3 periods of 1 min" in procedure.automatic_rollback  # maxFailedChecks 2 + 1


def test_the_rolling_procedure_rolls_back_with_update_service(tmp_path):
    from shipgen.targets.aws import ecs as aws_ecs

    release = release_of(tmp_path, spec(dict(ECS, aws=dict(ECS["aws"], loadBalancer={})), strategy={"type": "rolling"}))
    commands = [step.command for step in aws_ecs.procedure(release, None).rollback]
    assert ("aws ecs update-service --cluster apps --service api --task-definition api-staging:PREVIOUS_REVISION "
            "--region eu-west-1") in commands


# ---------------------------------------------------------------------------- deploy.sh, run


FAKE_AWS = '''echo "$*" >>"$LOG"
case "$1 $2" in
  "cloudformation describe-stacks")
    if [[ "$*" == *TaskExecutionRoleArn* ]]; then echo arn:aws:iam::111122223333:role/exec; fi
    [[ -n "${STACK_EXISTS:-}" ]] ;;
  "ecs describe-services") echo arn:aws:ecs:eu-west-1:111122223333:task-definition/api-staging:6 ;;
  "ecs register-task-definition") echo arn:aws:ecs:eu-west-1:111122223333:task-definition/api-staging:7 ;;
  "deploy create-deployment")
    for word in "$@"; do [[ $word == file://* ]] && cp "${word#file://}" "$INPUT_COPY"; done
    echo d-TEST ;;
  "deploy get-deployment") echo "${STATUS:-Succeeded}" ;;
esac
'''


def test_deploy_sh_registers_the_task_definition_and_deploys_the_appspec(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY))
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "aws", FAKE_AWS)
    monkeypatch.setenv("LOG", str(tmp_path / "aws.log"))
    monkeypatch.setenv("INPUT_COPY", str(tmp_path / "input.yaml"))
    monkeypatch.setenv("STACK_EXISTS", "1")
    result = run_script(root / "aws/deploy.sh", tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "aws.log").read_text().splitlines()
    stack_update = next(call for call in calls if call.startswith("cloudformation deploy"))
    assert "TaskDefinitionArn=arn:aws:ecs:eu-west-1:111122223333:task-definition/api-staging:6" in stack_update
    assert any(call.startswith("ecs register-task-definition --region eu-west-1 --cli-input-json file://taskdef.json "
                               "--execution-role-arn arn:aws:iam::111122223333:role/exec") for call in calls)
    revision = yaml.safe_load((tmp_path / "input.yaml").read_text())["revision"]
    assert revision["revisionType"] == "AppSpecContent"
    appspec = yaml.safe_load(revision["appSpecContent"]["content"])
    expected = load(files["aws/appspec.yaml"])
    expected["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] = \
        "arn:aws:ecs:eu-west-1:111122223333:task-definition/api-staging:7"
    assert appspec == expected


def test_deploy_sh_fails_when_the_deployment_fails_and_refuses_a_bad_arn(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY))
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "aws", FAKE_AWS)
    monkeypatch.setenv("LOG", str(tmp_path / "aws.log"))
    monkeypatch.setenv("INPUT_COPY", str(tmp_path / "input.yaml"))
    monkeypatch.setenv("STACK_EXISTS", "1")
    monkeypatch.setenv("STATUS", "Failed")
    failed = run_script(root / "aws/deploy.sh", tmp_path / "bin")
    assert failed.returncode != 0 and "ended: Failed" in failed.stderr
    refused = run_script(root / "aws/deploy.sh", tmp_path / "bin", "arn:aws:ecs:x|rm -rf /")
    assert refused.returncode != 0 and "not a task definition ARN" in refused.stderr


def test_deploy_sh_creates_the_stack_on_the_first_release(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(ECS, strategy=CANARY))
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "aws", FAKE_AWS)
    monkeypatch.setenv("LOG", str(tmp_path / "aws.log"))
    result = run_script(root / "aws/deploy.sh", tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "aws.log").read_text().splitlines()
    assert not any(call.startswith("deploy create-deployment") for call in calls)
    (stack,) = [call for call in calls if call.startswith("cloudformation deploy")]
    assert "TaskDefinitionArn" not in stack and f"BlueTargetGroupArn={BLUE}" in stack

"""The Lambda target: the SAM template and the AppSpec form follow the spec."""

from __future__ import annotations

import json

import pytest

from aws_support import LAMBDA, build_files, load, release_of, spec


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Specs are named relative to tmp_path, so outputs do not depend on the machine."""
    monkeypatch.chdir(tmp_path)


ZIP = dict(LAMBDA, aws={"region": "eu-west-1", "lambda": {"runtime": "python3.12", "handler": "app.handler",
                                                          "code": "s3://bucket/api.zip", "alias": "prod"}})
APPSPEC = dict(LAMBDA, aws={"region": "eu-west-1", "lambda": {"template": "appspec", "functionName": "api-fn",
                                                              "currentVersion": 7, "targetVersion": 9}})
SMOKE = [{"name": "ping", "http": {"path": "/ping", "method": "POST", "expect": 204}, "timeout": "4s"}]


def sam(files: dict) -> dict:
    return load(files["aws/template.yaml"])


def test_sam_uses_the_predefined_short_name_alarms_and_hooks(tmp_path):
    files = build_files(tmp_path, spec(ZIP, strategy={"type": "canary", "steps": [{"weight": 10, "pause": "15m"}]},
                                       smoke=SMOKE))
    template = sam(files)
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    function = template["Resources"]["Function"]["Properties"]
    assert (function["AutoPublishAlias"], function["AutoPublishAliasAllProperties"]) == ("prod", True)
    assert (function["Runtime"], function["Handler"], function["CodeUri"]) == ("python3.12", "app.handler",
                                                                              "s3://bucket/api.zip")
    preference = function["DeploymentPreference"]
    assert preference["Type"] == "Canary10Percent15Minutes"  # SAM prefixes CodeDeployDefault.Lambda itself
    assert preference["Hooks"] == {"PreTraffic": {"Ref": "PreTrafficHook"}, "PostTraffic": {"Ref": "PostTrafficHook"}}
    (alarm,) = preference["Alarms"]
    assert template["Resources"][alarm["Ref"]]["Properties"]["AlarmName"] == "api-staging-errors"
    assert "DeploymentConfig" not in template["Resources"]
    for name in ("PreTrafficHook", "PostTrafficHook"):
        hook = template["Resources"][name]["Properties"]
        assert hook["FunctionName"].startswith("CodeDeployHook_") and len(hook["FunctionName"]) <= 64
        assert hook["DeploymentPreference"] == {"Enabled": False}
        variables = hook["Environment"]["Variables"]
        assert variables["SHIPGEN_TARGET"] == {"Ref": "Function.Version"}
        assert json.loads(variables["SHIPGEN_HOOK"])["smoke"] == [
            {"name": "ping", "method": "POST", "path": "/ping", "expect": 204, "timeout": 4}]


def test_sam_refers_to_a_custom_configuration_for_other_steps(tmp_path):
    files = build_files(tmp_path, spec(ZIP, strategy={"type": "canary", "steps": [20, 40, 60, 80],
                                                      "interval": "4m"}))
    resources = sam(files)["Resources"]
    assert resources["Function"]["Properties"]["DeploymentPreference"]["Type"] == {"Ref": "DeploymentConfig"}
    assert resources["DeploymentConfig"]["Properties"]["TrafficRoutingConfig"] == {
        "Type": "TimeBasedLinear", "TimeBasedLinear": {"LinearPercentage": 20, "LinearInterval": 4}}


def test_without_a_runtime_the_function_is_the_service_image(tmp_path):
    files = build_files(tmp_path, spec(LAMBDA, service={"resources": {"memory": "512Mi"}}))
    function = sam(files)["Resources"]["Function"]["Properties"]
    assert (function["PackageType"], function["ImageUri"]) == ("Image",
                                                               "111122223333.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0")
    assert "Runtime" not in function and function["MemorySize"] == 512


def test_lambda_alarms_watch_the_alias(tmp_path):
    gates = [{"name": "errors", "metric": "error-rate", "max": 0.02, "window": "2m"}]
    files = build_files(tmp_path, spec(ZIP, gates=gates, rollback={"maxFailedChecks": 0}))
    alarm = sam(files)["Resources"]["AlarmErrors"]["Properties"]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (0.02, 1)
    errors = alarm["Metrics"][0]["MetricStat"]
    assert errors["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": "api-staging"},
                                              {"Name": "Resource", "Value": "api-staging:prod"}]
    assert errors["Period"] == 120


def test_the_appspec_shifts_the_alias_between_the_spec_versions(tmp_path):
    files = build_files(tmp_path, spec(APPSPEC, strategy={"type": "canary", "steps": [{"weight": 10, "pause": "2m"}]},
                                       rollback={"automatic": False}))
    appspec = load(files["aws/appspec.yaml"])
    (resource,) = appspec["Resources"]
    assert resource["api"] == {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": "api-fn", "Alias": "live", "CurrentVersion": "7", "TargetVersion": "9"}}
    assert [next(iter(hook)) for hook in appspec["Hooks"]] == ["BeforeAllowTraffic", "AfterAllowTraffic"]
    resources = load(files["aws/cloudformation.yaml"])["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    assert group["AutoRollbackConfiguration"] == {"Enabled": False}
    assert group["DeploymentConfigName"] == {"Ref": "DeploymentConfig"}
    assert resources["DeploymentConfig"]["Properties"]["TrafficRoutingConfig"]["TimeBasedCanary"] == {
        "CanaryPercentage": 10, "CanaryInterval": 2}
    names = {resources[f"Hook{event}"]["Properties"]["FunctionName"] for event in ("BeforeAllowTraffic",
                                                                                   "AfterAllowTraffic")}
    assert names == {next(iter(hook.values())) for hook in appspec["Hooks"]}
    target = resources["HookBeforeAllowTraffic"]["Properties"]["Environment"]["Variables"]["SHIPGEN_TARGET"]
    assert target == "api-fn:9"


def test_the_procedure_rolls_back_to_the_current_version(tmp_path):
    from shipgen.targets.aws import lambdas as aws_lambda

    release = release_of(tmp_path, spec(APPSPEC))
    commands = [step.command for step in aws_lambda.procedure(release, None).rollback]
    stop = "aws deploy stop-deployment --deployment-id DEPLOYMENT_ID --auto-rollback-enabled --region eu-west-1"
    assert stop in commands
    assert ("aws lambda update-alias --function-name api-fn --name live --function-version 7 --routing-config "
            "'AdditionalVersionWeights={}' --region eu-west-1") in commands


def test_the_sam_procedure_deploys_with_sam(tmp_path):
    from shipgen.targets.aws import lambdas as aws_lambda

    release = release_of(tmp_path, spec(ZIP))
    procedure = aws_lambda.procedure(release, None)
    assert any(step.command.startswith("sam deploy --region eu-west-1 --stack-name api-staging")
               for step in procedure.rollback)
    assert "alias prod back at the old version" in procedure.automatic_rollback


def test_hook_names_stay_within_64_characters_and_distinct(tmp_path):
    from shipgen.targets.aws.common import hook_function_name

    long = "a" * 45
    release = release_of(tmp_path, spec(LAMBDA, metadata={"name": long, "environment": "e" * 30}))
    names = [hook_function_name(release, label) for label in ("before-traffic", "after-traffic")]
    assert all(len(name) <= 64 and name.startswith("CodeDeployHook_") for name in names)
    assert len(set(names)) == 2
    assert names == [hook_function_name(release, label) for label in ("before-traffic", "after-traffic")]

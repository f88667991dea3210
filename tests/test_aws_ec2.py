"""The EC2 target: AppSpec, hook scripts (run against fake docker/curl/aws), deployment groups."""

from __future__ import annotations

import json
import subprocess

import pytest

from aws_support import (BLUE, EC2, build_files, fake_command, load, release_of, run_script, shellcheck, spec,
                         write_tree)
import tools_support


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Specs are named relative to tmp_path, so outputs do not depend on the machine."""
    monkeypatch.chdir(tmp_path)


IN_PLACE = {"type": "rolling", "maxUnavailable": "25%"}
BLUE_GREEN = {"type": "blue-green", "preview": {"scaleDownDelay": "90m"},
              "approval": {"timeout": "20m", "onTimeout": "rollback"}}
HOSTILE = "$(touch pwned) `id` 'quoted' \"double\" ; rm -rf / #"
SERVICE = {"env": {"PAYLOAD": HOSTILE}, "drain": "7s", "shutdownTimeout": "40s", "command": ["/bin/app", "serve"],
           "args": ["--name", HOSTILE], "health": {"readiness": {"path": "/ready", "timeout": "2s"}}}
SMOKE = [{"name": "home", "http": {"path": "/?q=a&b=c", "expect": 200}, "timeout": "9s"},
         {"name": "script", "command": ["./checks/run.sh", HOSTILE], "timeout": "30s"}]


def test_the_appspec_lists_the_hooks_in_lifecycle_order_with_spec_timeouts(tmp_path):
    files = build_files(tmp_path, spec(EC2, strategy=IN_PLACE, service=SERVICE, smoke=SMOKE))
    appspec = load(files["aws/bundle/appspec.yml"])
    assert appspec["version"] == 0.0 and isinstance(appspec["version"], float)  # a number, as the agent wants
    assert appspec["os"] == "linux" and appspec["file_exists_behavior"] == "OVERWRITE"
    assert appspec["files"] == [{"source": "/", "destination": "/opt/api"}]
    assert list(appspec["hooks"]) == ["ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart",
                                      "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic"]
    timeouts = {event: scripts[0]["timeout"] for event, scripts in appspec["hooks"].items()}
    assert timeouts["ApplicationStop"] == 7 + 40 + 60  # drain + shutdown + margin
    assert timeouts["ValidateService"] == (2 + 30) + (9 + 30) + 30  # health check + smoke tests + margin
    for event, scripts in appspec["hooks"].items():
        assert f"aws/bundle/{scripts[0]['location']}" in files


def test_without_a_load_balancer_the_traffic_hooks_are_left_out(tmp_path):
    platform = dict(EC2, aws={"region": "eu-west-1", "artifactBucket": "bucket-b1", "ec2": {"tags": {"Role": "api"}}})
    files = build_files(tmp_path, spec(platform, strategy=IN_PLACE))
    assert "BeforeAllowTraffic" not in load(files["aws/bundle/appspec.yml"])["hooks"]
    group = load(files["aws/cloudformation.yaml"])["Resources"]["DeploymentGroup"]["Properties"]
    assert group["DeploymentStyle"]["DeploymentOption"] == "WITHOUT_TRAFFIC_CONTROL"


def test_the_in_place_group_follows_the_spec(tmp_path):
    platform = dict(EC2, aws=dict(EC2["aws"], ec2={"autoScalingGroups": ["asg-a"], "tags": {"Role": "api",
                                                                                           "Env": "staging"}}))
    files = build_files(tmp_path, spec(platform, strategy=IN_PLACE))
    resources = load(files["aws/cloudformation.yaml"])["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    assert group["DeploymentStyle"] == {"DeploymentType": "IN_PLACE", "DeploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert group["DeploymentConfigName"] == {"Ref": "DeploymentConfig"}
    assert resources["DeploymentConfig"]["Properties"] == {
        "ComputePlatform": "Server", "MinimumHealthyHosts": {"Type": "FLEET_PERCENT", "Value": 75}}
    assert group["AutoScalingGroups"] == ["asg-a"]
    assert group["Ec2TagSet"] == {"Ec2TagSetList": [  # one group per tag: all must match
        {"Ec2TagGroup": [{"Key": "Env", "Value": "staging", "Type": "KEY_AND_VALUE"}]},
        {"Ec2TagGroup": [{"Key": "Role", "Value": "api", "Type": "KEY_AND_VALUE"}]}]}
    assert group["AutoRollbackConfiguration"]["Events"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
    assert [alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]] == ["AlarmErrors"]


def test_blue_green_makes_the_group_with_the_cli_and_spec_values(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(EC2, strategy=BLUE_GREEN))
    assert "DeploymentGroup" not in load(files["aws/cloudformation.yaml"])["Resources"]
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "aws", 'printf "%s\\n" "$@" >>"$LOG"; echo "---" >>"$LOG"\n'
                                          '[[ "$1 $2" != "cloudformation describe-stacks" ]] || echo arn:role\n'
                                          '[[ "$1 $2" != "deploy get-deployment-group" ]]\n')
    monkeypatch.setenv("LOG", str(tmp_path / "aws.log"))
    result = run_script(root / "aws/deployment-group.sh", tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    calls = [call.strip("\n").split("\n") for call in (tmp_path / "aws.log").read_text().split("---\n") if call]
    create = next(call for call in calls if call[:2] == ["deploy", "create-deployment-group"])
    option = {create[index]: create[index + 1] for index in range(len(create) - 1) if create[index].startswith("--")}
    settings = json.loads(option["--blue-green-deployment-configuration"])
    assert settings["terminateBlueInstancesOnDeploymentSuccess"] == {"action": "TERMINATE",
                                                                     "terminationWaitTimeInMinutes": 90}
    assert settings["deploymentReadyOption"] == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 20}
    assert settings["greenFleetProvisioningOption"] == {"action": "COPY_AUTO_SCALING_GROUP"}
    assert json.loads(option["--load-balancer-info"]) == {"targetGroupInfoList": [{"name": "api-blue"}]}
    assert option["--auto-scaling-groups"] == "api-asg" and option["--service-role-arn"] == "arn:role"
    assert option["--deployment-config-name"] == "CodeDeployDefault.AllAtOnce"
    assert json.loads(option["--alarm-configuration"])["alarms"] == [{"name": "api-staging-errors"}]
    assert BLUE.endswith("targetgroup/api-blue/3333333333333333")


# ---------------------------------------------------------------------------- the scripts, run


FAKE_DOCKER = 'printf "%s\\n" "$@" >"$ARGS"; echo "---" >>"$LOG"; printf "%s\\n" "$@" >>"$LOG"\n'


def test_after_install_passes_every_spec_value_to_docker_as_one_word(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(EC2, strategy=IN_PLACE, service=SERVICE))
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "docker", FAKE_DOCKER + '[[ $1 != container ]]\n')
    monkeypatch.setenv("ARGS", str(tmp_path / "args"))
    monkeypatch.setenv("LOG", str(tmp_path / "log"))
    result = run_script(root / "aws/bundle/scripts/after-install.sh", tmp_path / "bin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    words = (tmp_path / "args").read_text().split("\n")[:-1]
    assert words[:2] == ["create", "--name"] and words[2] == "api"
    assert f"PAYLOAD={HOSTILE}" in words
    assert words[-4:] == ["111122223333.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0", "serve", "--name", HOSTILE]
    assert words[words.index("--entrypoint") + 1] == "/bin/app"
    assert not (tmp_path / "pwned").exists()


def test_validate_service_fails_on_an_unexpected_status_and_passes_on_the_expected_one(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(EC2, strategy=IN_PLACE, service=SERVICE, smoke=SMOKE[:1]))
    root = tmp_path / "out"
    write_tree(root, files)
    # the health check (curl --fail) passes; the smoke test prints the status in $STATUS
    fake_command(tmp_path / "bin", "curl", 'echo "$*" >>"$LOG"\nif [[ "$*" == *--write-out* ]]; then '
                                           'printf "%s" "$STATUS"; fi\n')
    monkeypatch.setenv("LOG", str(tmp_path / "log"))
    monkeypatch.setenv("STATUS", "200")
    passed = run_script(root / "aws/bundle/scripts/validate-service.sh", tmp_path / "bin")
    assert passed.returncode == 0, passed.stderr
    assert "http://127.0.0.1:8080/?q=a&b=c" in (tmp_path / "log").read_text()
    monkeypatch.setenv("STATUS", "503")
    failed = run_script(root / "aws/bundle/scripts/validate-service.sh", tmp_path / "bin")
    assert failed.returncode != 0
    assert "smoke test home: GET http://127.0.0.1:8080/?q=a&b=c answered 503, expected 200" in failed.stderr


def test_application_stop_drains_then_stops_within_the_shutdown_timeout(tmp_path, monkeypatch):
    files = build_files(tmp_path, spec(EC2, strategy=IN_PLACE, service=dict(SERVICE, drain="0s")))
    root = tmp_path / "out"
    write_tree(root, files)
    fake_command(tmp_path / "bin", "docker", FAKE_DOCKER)
    monkeypatch.setenv("ARGS", str(tmp_path / "args"))
    monkeypatch.setenv("LOG", str(tmp_path / "log"))
    result = run_script(root / "aws/bundle/scripts/application-stop.sh", tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "log").read_text().split("---\n")
    assert "stop\n--time\n40\napi\n" in calls and "rm\napi\n" in calls


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
def test_every_generated_script_is_shellcheck_clean(tmp_path):
    scripts = []
    for platform, strategy in ((EC2, IN_PLACE), (EC2, BLUE_GREEN)):
        files = build_files(tmp_path, spec(platform, strategy=strategy, service=SERVICE, smoke=SMOKE))
        root = tmp_path / strategy["type"]
        write_tree(root, files)
        scripts += [root / name for name in files if name.endswith(".sh")]
    assert len(scripts) >= 10
    # warning and above: a spec value in single quotes is an `info` note (SC2016: it does not expand), as meant
    result = subprocess.run([shellcheck(), "--severity=warning", *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_the_procedure_redeploys_the_previous_revision(tmp_path):
    from shipgen.targets.aws import ec2 as aws_ec2

    release = release_of(tmp_path, spec(EC2, strategy=IN_PLACE))
    procedure = aws_ec2.procedure(release, None)
    commands = [step.command for step in procedure.rollback]
    stop = "aws deploy stop-deployment --deployment-id DEPLOYMENT_ID --auto-rollback-enabled --region eu-west-1"
    assert stop in commands
    assert any("--s3-location bucket=deploy-bucket,key=PREVIOUS_KEY,bundleType=zip" in command for command in commands)
    assert "fewer than 75% of the instances stay healthy" in procedure.automatic_rollback

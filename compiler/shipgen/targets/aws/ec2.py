"""Amazon EC2 (and on-premises) instances deployed by AWS CodeDeploy, in place or blue/green.

For `platform.kind: aws-ec2`. The service runs on each instance as the Docker container
`service.image`. Emits, under `aws/`:

- `bundle/appspec.yml`: the EC2/On-Premises AppSpec (`targets-cloud.md` §1.4): `version: 0.0`
  as a number, `os: linux`, the revision copied to `platform.aws.ec2.installPath` with
  `file_exists_behavior: OVERWRITE` (§17 #2), and the hooks ApplicationStop → BeforeInstall →
  AfterInstall → ApplicationStart → ValidateService, plus BeforeAllowTraffic/AfterAllowTraffic
  when a load balancer is involved, each with a timeout derived from the spec;
- `bundle/scripts/*.sh`: the hook scripts, generated from the spec: draining and a bounded
  stop, image pull, container creation, start and readiness wait, health checks and smoke
  tests. Each is `set -euo pipefail`, quotes every spec value and exits non-zero on failure,
  which fails the instance and, past the minimum-healthy-hosts rule, the deployment;
- `cloudformation.yaml`: the CodeDeploy application, service role, alarms, a custom
  `Server` deployment configuration when no predefined one matches, and (in place) the
  deployment group with automatic rollback and alarms;
- blue-green only: `deployment-group.sh`, which creates or updates the blue/green deployment
  group with the AWS CLI, because CloudFormation cannot create one that copies an Auto
  Scaling group (aws-cloudformation/cloudformation-coverage-roadmap#2071);
- `deploy.sh`: pushes the bundle to S3 and runs the deployment to the end.
"""

from __future__ import annotations

import json
import math

from ...artifacts import SHELL, YAML, Artifact
from .settings import BLUE_GREEN
from .normalize import cpu_units, mebibytes
from ...durations import human
from ...model import Probe, Release
from ...procedure import APPLY, Procedure, Step
from ...shell import command, quote
from . import common, observability
from ..kubernetes.manifests import port_number

NAME = "aws-ec2"
MAX_EVENT_TIMEOUT_S = 3600  # the CodeDeploy agent's limit per lifecycle event
PULL_TIMEOUT_S = 900
SCRIPT_EVENTS = {  # lifecycle event -> script, in lifecycle order (§1.4)
    "ApplicationStop": "application-stop.sh",
    "BeforeInstall": "before-install.sh",
    "AfterInstall": "after-install.sh",
    "ApplicationStart": "application-start.sh",
    "ValidateService": "validate-service.sh",
    "BeforeAllowTraffic": "before-allow-traffic.sh",
    "AfterAllowTraffic": "after-allow-traffic.sh",
}
TRAFFIC_EVENTS = ("BeforeAllowTraffic", "AfterAllowTraffic")


def is_blue_green(release: Release) -> bool:
    return common.settings(release).deployment == BLUE_GREEN


def has_load_balancer(release: Release) -> bool:
    return bool(common.settings(release).load_balancer.target_groups)


def events(release: Release) -> tuple:
    """The scripted lifecycle events: the traffic hooks run only with a load balancer (§1.4)."""
    return tuple(event for event in SCRIPT_EVENTS if has_load_balancer(release) or event not in TRAFFIC_EVENTS)


def render(release: Release, facts) -> list:
    artifacts = [Artifact("aws/bundle/appspec.yml", appspec(release), YAML)]
    scripts = hook_scripts(release)
    artifacts.extend(Artifact(f"aws/bundle/scripts/{SCRIPT_EVENTS[event]}", scripts[event], SHELL)
                     for event in events(release))
    artifacts.append(Artifact("aws/cloudformation.yaml", cloudformation(release), YAML))
    if is_blue_green(release):
        artifacts.append(Artifact("aws/deployment-group.sh", deployment_group_script(release), SHELL))
    artifacts.append(Artifact("aws/deploy.sh", deploy_script(release), SHELL))
    return artifacts


# ---------------------------------------------------------------------------- timings


def ready_budget_s(release: Release) -> int:
    """How long a started container may take to pass its readiness check."""
    service = release.service
    probes = sum(probe.budget_s for probe in (service.startup, health_probe(release)) if probe is not None)
    return service.warmup_s + probes + 30


def smoke_budget_s(release: Release) -> int:
    return sum(test.timeout_s for test in release.smoke)


def event_timeouts(release: Release) -> dict:
    """Seconds each lifecycle event's script may run (the agent kills it after that)."""
    service = release.service
    probe = health_probe(release)
    check_s = (probe.timeout_s if probe else 0) + 30
    timeouts = {
        "ApplicationStop": service.drain_s + service.shutdown_timeout_s + 60,
        "BeforeInstall": PULL_TIMEOUT_S,
        "AfterInstall": 120,
        "ApplicationStart": ready_budget_s(release) + 30,
        "ValidateService": check_s + smoke_budget_s(release) + 30,
        "BeforeAllowTraffic": check_s + 30,
        "AfterAllowTraffic": smoke_budget_s(release) + 60,
    }
    return {event: min(MAX_EVENT_TIMEOUT_S, seconds) for event, seconds in timeouts.items()}


# ---------------------------------------------------------------------------- AppSpec


def appspec(release: Release) -> dict:
    fleet = common.settings(release).fleet
    timeouts = event_timeouts(release)
    return {
        "version": 0.0,
        "os": "linux",
        "files": [{"source": "/", "destination": fleet.install_path}],
        "file_exists_behavior": "OVERWRITE",
        "hooks": {event: [{"location": f"scripts/{SCRIPT_EVENTS[event]}", "timeout": timeouts[event]}]
                  for event in events(release)},
    }


# ---------------------------------------------------------------------------- hook scripts


def health_probe(release: Release) -> Probe | None:
    """The check that says an instance may serve: readiness, else liveness."""
    return release.service.readiness or release.service.liveness


def ready_function(release: Release) -> str:
    """A bash function `ready` that succeeds when the container passes its health check."""
    probe = health_probe(release)
    if probe is None:
        return ('ready() {\n  [[ $(docker container inspect --format "{{.State.Running}}" "$NAME") == true ]]\n}\n')
    if probe.handler == "exec":
        check = command("timeout", str(probe.timeout_s), "docker", "exec", release.name, *probe.command)
    elif probe.handler == "http":
        url = f"http://127.0.0.1:{port_number(release, probe.port)}{probe.path}"
        check = command("curl", "--silent", "--output", "/dev/null", "--fail", "--max-time", str(probe.timeout_s), url)
    else:  # tcp, and grpc (no gRPC health client on the instance): the port accepts connections
        port = port_number(release, probe.port)
        check = f"timeout {probe.timeout_s} bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'"
    return f"ready() {{\n  {check}\n}}\n"


def container_command(release: Release) -> str:
    """`docker create` for the service, continued lines, every spec value quoted."""
    service = release.service
    lines = ['docker create --name "$NAME" --restart unless-stopped', f"--stop-timeout {service.shutdown_timeout_s}"]
    lines += [f"--publish {port.port}:{port.port}" + ("/udp" if port.protocol == "udp" else "")
              for port in service.ports]
    lines += ["--env " + quote(f"{name}={value}") for name, value in service.env]
    memory = service.resources.limit_memory or service.resources.memory
    if memory:
        lines.append(f"--memory {mebibytes(memory)}m")
    cpu = service.resources.limit_cpu
    if cpu:
        lines.append(f"--cpus {cpu_units(cpu) / 1024:g}")
    if service.command:
        lines.append("--entrypoint " + quote(service.command[0]))
    image_line = '"$IMAGE"'
    rest = list(service.command[1:]) + list(service.args)
    if rest:
        image_line += " " + command(*rest)
    lines.append(image_line)
    return " \\\n  ".join(lines) + "\n"


def wait_ready(release: Release) -> str:
    period = health_probe(release).period_s if health_probe(release) else 2
    return f'''deadline=$((SECONDS + {ready_budget_s(release)}))
until ready; do
  if [[ $(docker container inspect --format "{{{{.State.Running}}}}" "$NAME") != true ]]; then
    echo "$NAME exited while starting" >&2
    docker logs --tail 50 "$NAME" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "$NAME is not ready after {ready_budget_s(release)} s" >&2
    docker logs --tail 50 "$NAME" >&2
    exit 1
  fi
  sleep {period}
done
echo "$NAME is ready"
'''


def check_ready() -> str:
    return '''if ! ready; then
  echo "$NAME fails its health check" >&2
  exit 1
fi
echo "$NAME passes its health check"
'''


SMOKE_HTTP = '''# smoke_http NAME METHOD URL EXPECTED_STATUS TIMEOUT_S
smoke_http() {
  local code
  code=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time "$5" --request "$2" "$3") || code=000
  if [[ $code != "$4" ]]; then
    echo "smoke test $1: $2 $3 answered $code, expected $4" >&2
    return 1
  fi
  echo "smoke test $1: $2 $3 answered $code"
}
'''


def smoke_tests(release: Release) -> str:
    """The spec's smoke tests against the container on this instance."""
    lines = []
    port = release.service.main_port
    for test in release.smoke:
        if test.http_path is not None and port is not None:
            url = f"http://127.0.0.1:{port.port}{test.http_path}"
            lines.append(command("smoke_http", test.name, test.method, url, str(test.expect), str(test.timeout_s)))
        elif test.command:
            lines.append(f"if ! {command('timeout', str(test.timeout_s), *test.command)}; then\n"
                         f"  echo {quote(f'smoke test {test.name} failed')} >&2\n  exit 1\nfi")
    if not lines:
        return "echo 'no smoke tests are declared'\n"
    uses_http = any(line.startswith("smoke_http") for line in lines)
    return (SMOKE_HTTP + "\n" if uses_http else "") + "\n".join(lines) + "\n"


def hook_scripts(release: Release) -> dict:
    service = release.service
    names = common.constants(NAME=release.name)
    image = common.constants(NAME=release.name, IMAGE=service.image)
    where = f"{release.name} ({release.metadata.environment})"
    # Hooks run from the revision's folder on the instance; command smoke tests run from its root.
    root = 'cd "$(dirname "$0")/.."\n'
    scripts = {
        "ApplicationStop": common.script(
            f"ApplicationStop for {where}: drain, then stop the container (SIGTERM, SIGKILL after the shutdown "
            "timeout). CodeDeploy runs the script of the revision that is being replaced.",
            names + f'''
if ! docker container inspect "$NAME" >/dev/null 2>&1; then
  echo "no container $NAME: nothing to stop"
  exit 0
fi
# Requests already on their way get {service.drain_s} s; with a load balancer, BlockTraffic has
# deregistered this instance before this hook runs.
sleep {service.drain_s}
docker stop --time {service.shutdown_timeout_s} "$NAME"
docker rm "$NAME"
'''),
        "BeforeInstall": common.script(
            f"BeforeInstall for {where}: pull the image, so the switch is quick.",
            common.constants(IMAGE=service.image) + '''
for attempt in 1 2 3; do
  if docker pull "$IMAGE"; then
    exit 0
  fi
  echo "pulling $IMAGE failed (attempt $attempt of 3)" >&2
  sleep $((attempt * 10))
done
exit 1
'''),
        "AfterInstall": common.script(
            f"AfterInstall for {where}: create the container of the new version (not started yet).",
            image + f'''
if docker container inspect "$NAME" >/dev/null 2>&1; then
  docker rm --force "$NAME"
fi
{container_command(release)}'''),
        "ApplicationStart": common.script(
            f"ApplicationStart for {where}: start the container and wait until it passes its health check.",
            names + "\n" + ready_function(release) + '\ndocker start "$NAME"\n' + wait_ready(release)),
        "ValidateService": common.script(
            f"ValidateService for {where}: the health check, then the smoke tests.",
            names + "\n" + root + ready_function(release) + "\n" + check_ready() + "\n" + smoke_tests(release)),
        "BeforeAllowTraffic": common.script(
            f"BeforeAllowTraffic for {where}: the health check, just before the load balancer sends traffic.",
            names + "\n" + ready_function(release) + "\n" + check_ready()),
        "AfterAllowTraffic": common.script(
            f"AfterAllowTraffic for {where}: the smoke tests once the load balancer sends traffic.",
            root + smoke_tests(release)),
    }
    return scripts


# ---------------------------------------------------------------------------- CloudFormation


def parameters(release: Release) -> dict:
    balancer = common.settings(release).load_balancer
    result = {}
    if balancer.target_groups:
        result["TargetGroupArn"] = common.parameter("String", "The target group CodeDeploy takes instances out of.",
                                                    balancer.target_groups[0],
                                                    "^arn:aws[a-z-]*:elasticloadbalancing:.+:targetgroup/.+$")
    if balancer.listener:
        result["ProductionListenerArn"] = common.parameter("String", "The listener (its load balancer's metrics "
                                                           "feed the alarms).", balancer.listener,
                                                           "^arn:aws[a-z-]*:elasticloadbalancing:.+:listener/app/.+$")
    return result


def alarm_dimensions(release: Release) -> list:
    balancer = common.settings(release).load_balancer
    if not balancer.listener:
        return []
    dimensions = [common.load_balancer_dimension("ProductionListenerArn")]
    if balancer.target_groups:
        dimensions.append(common.target_group_dimension("TargetGroupArn"))
    return dimensions


def hosts_config(release: Release, resources: dict):
    hosts = common.settings(release).hosts
    if hosts.predefined:
        return hosts.predefined
    resources["DeploymentConfig"] = {"Type": "AWS::CodeDeploy::DeploymentConfig", "Properties": {
        "ComputePlatform": "Server", "MinimumHealthyHosts": {"Type": hosts.type, "Value": hosts.value}}}
    return common.ref("DeploymentConfig")


def tag_set(release: Release) -> dict:
    """Every tag must match: one tag group per tag (groups are ANDed, filters in a group ORed)."""
    return {"Ec2TagSetList": [{"Ec2TagGroup": [{"Key": key, "Value": value, "Type": "KEY_AND_VALUE"}]}
                              for key, value in common.settings(release).fleet.tags]}


def cloudformation(release: Release) -> dict:
    aws = common.settings(release)
    resources = {}
    if aws.roles.code_deploy:
        role = aws.roles.code_deploy
    else:  # copying an Auto Scaling group needs more than the managed policy (launch templates)
        extra = [{"Effect": "Allow", "Resource": "*", "Action": ["ec2:RunInstances", "ec2:CreateTags",
                                                                  "iam:PassRole"]}] if is_blue_green(release) else None
        resources["CodeDeployServiceRole"] = common.service_role(
            "codedeploy.amazonaws.com", [common.managed_policy("service-role/AWSCodeDeployRole")], extra)
        role = common.get_att("CodeDeployServiceRole", "Arn")
    resources["Application"] = common.application(release, "Server")
    config = hosts_config(release, resources)
    common.add_alarms(release, resources, lambda alarm: alarm_dimensions(release))
    observability.add_slo_resources(release, resources, lambda alarm: alarm_dimensions(release))
    outputs = {"ApplicationName": ("The CodeDeploy application.", common.ref("Application")),
               "ServiceRoleArn": ("The CodeDeploy service role.", role)}
    if not is_blue_green(release):
        resources["DeploymentGroup"] = in_place_group(release, role, config)
        outputs["DeploymentGroupName"] = ("The CodeDeploy deployment group.", common.ref("DeploymentGroup"))
        what = f"CodeDeploy in-place deployments to EC2 ({hosts_text(release)})"
    else:
        what = "CodeDeploy application, role and alarms for EC2 blue/green (deployment-group.sh makes the group)"
    return common.template(common.description(release, what), parameters(release), {}, resources, outputs)


def in_place_group(release: Release, role, config) -> dict:
    fleet = common.settings(release).fleet
    properties = {
        "ApplicationName": common.ref("Application"),
        "DeploymentGroupName": common.deployment_group_name(release),
        "ServiceRoleArn": role,
        "DeploymentConfigName": config,
        "DeploymentStyle": {"DeploymentType": "IN_PLACE", "DeploymentOption":
                            "WITH_TRAFFIC_CONTROL" if has_load_balancer(release) else "WITHOUT_TRAFFIC_CONTROL"},
    }
    if fleet.auto_scaling_groups:
        properties["AutoScalingGroups"] = list(fleet.auto_scaling_groups)
    if fleet.tags:
        properties["Ec2TagSet"] = tag_set(release)
    if has_load_balancer(release):
        properties["LoadBalancerInfo"] = {"TargetGroupInfoList": [{"Name": common.target_group_name("TargetGroupArn")}]}
    properties["AutoRollbackConfiguration"] = common.auto_rollback(release)
    alarms = common.alarm_configuration(release)
    if alarms:
        properties["AlarmConfiguration"] = alarms
    properties["OutdatedInstancesStrategy"] = "UPDATE"  # instances launched during a deployment get it too
    properties["Tags"] = common.tags(release)
    return {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": properties}


def failing_text(release: Release) -> str:
    """On how many instances hooks must fail before CodeDeploy fails the deployment."""
    hosts = common.settings(release).hosts
    if hosts.predefined == "CodeDeployDefault.AllAtOnce":
        return ("every instance (CodeDeployDefault.AllAtOnce counts a deployment successful once one instance "
                "succeeds: follow each instance's status)")
    if hosts.predefined == "CodeDeployDefault.OneAtATime":
        return "any instance but the last (CodeDeployDefault.OneAtATime)"
    if hosts.predefined:  # HalfAtATime
        return f"more than half of the instances ({hosts.predefined})"
    healthy = f"{hosts.value}% of the instances" if hosts.type == "FLEET_PERCENT" else f"{hosts.value} instances"
    return f"so many instances that fewer than {healthy} stay healthy"


def hosts_text(release: Release) -> str:
    hosts = common.settings(release).hosts
    if hosts.predefined:
        return hosts.predefined
    unit = "%" if hosts.type == "FLEET_PERCENT" else " instance(s)"
    return f"a custom configuration: at least {hosts.value}{unit} healthy"


# ---------------------------------------------------------------------------- blue/green group (CLI)


def target_group_name(arn: str) -> str:
    return arn.split(":", 5)[5].split("/")[1]


def blue_green_settings(release: Release) -> dict:
    """The CLI parameters of the blue/green deployment group (AWS API spelling)."""
    aws = common.settings(release)
    wait = aws.ready_wait_min
    result = {
        "--deployment-style": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "--blue-green-deployment-configuration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE",
                                                          "terminationWaitTimeInMinutes": aws.termination_wait_min},
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT" if wait else "CONTINUE_DEPLOYMENT",
                                      "waitTimeInMinutes": wait},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}},
        "--load-balancer-info": {"targetGroupInfoList": [
            {"name": target_group_name(aws.load_balancer.target_groups[0])}]},
        "--auto-rollback-configuration": {key[0].lower() + key[1:]: value
                                          for key, value in common.auto_rollback(release).items()},
    }
    if aws.alarms:
        result["--alarm-configuration"] = {"enabled": True, "ignorePollAlarmFailure": False,
                                           "alarms": [{"name": name} for name in aws.alarm_names]}
    return result


def deployment_group_script(release: Release) -> str:
    aws = common.settings(release)
    role = quote(aws.roles.code_deploy) if aws.roles.code_deploy else \
        '"$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \\\n' \
        '  --query "Stacks[0].Outputs[?OutputKey==\'ServiceRoleArn\'].OutputValue" --output text)"'
    options = [f"--deployment-config-name {quote(aws.hosts.predefined)}"]
    options += [f"{option} {quote(json.dumps(value, separators=(',', ':')))}"
                for option, value in blue_green_settings(release).items()]
    arguments = "\n".join(f"  {option}" for option in options)
    body = common.constants(REGION=aws.region, STACK=aws.stack_name, APPLICATION=common.application_name(release),
                            GROUP=common.deployment_group_name(release),
                            AUTO_SCALING_GROUP=aws.fleet.auto_scaling_groups[0])
    body += f'''
role={role}
settings=(
  --service-role-arn "$role"
{arguments}
)
# After each blue/green deployment CodeDeploy puts its copy of the Auto Scaling group in the
# deployment group (and deletes the original with the old instances): an update keeps the
# group's current one, the spec's group is only where the first deployment starts.
if current=$(aws deploy get-deployment-group --region "$REGION" --application-name "$APPLICATION" \\
  --deployment-group-name "$GROUP" --query 'deploymentGroupInfo.autoScalingGroups[0].name' --output text \\
  2>/dev/null); then
  if [[ -z $current || $current == None ]]; then
    current=$AUTO_SCALING_GROUP
  fi
  aws deploy update-deployment-group --region "$REGION" --application-name "$APPLICATION" \\
    --current-deployment-group-name "$GROUP" "${{settings[@]}}" --auto-scaling-groups "$current"
  echo "updated deployment group $GROUP (Auto Scaling group $current)"
else
  aws deploy create-deployment-group --region "$REGION" --application-name "$APPLICATION" \\
    --deployment-group-name "$GROUP" "${{settings[@]}}" --auto-scaling-groups "$AUTO_SCALING_GROUP"
  echo "created deployment group $GROUP"
fi
'''
    return common.script(f"Creates or updates the blue/green CodeDeploy deployment group of {release.name} "
                         f"({release.metadata.environment}): CloudFormation cannot make one that copies an Auto "
                         "Scaling group.", body)


# ---------------------------------------------------------------------------- deploy script


def batches(release: Release) -> int:
    """How many rounds of instances an in-place deployment takes, for the deadline."""
    if is_blue_green(release):
        return 1
    replicas = max(1, release.service.min_replicas)
    return math.ceil(replicas / common.settings(release).hosts.instances_per_batch(replicas))


def deadline_s(release: Release) -> int:
    aws = common.settings(release)
    per_instance = sum(event_timeouts(release)[event] for event in events(release))
    extra = (aws.ready_wait_min + aws.termination_wait_min) * 60 + (900 if is_blue_green(release) else 0)
    return batches(release) * per_instance + extra + 600


def revision_key(release: Release) -> str:
    return f"{release.name}/{release.metadata.environment}"


def cloudformation_command(release: Release) -> str:
    overrides = [f"{key}={spec['Default']}" for key, spec in parameters(release).items() if spec.get("Default")]
    extra = ("--parameter-overrides", *overrides) if overrides else ()
    return common.cloudformation_deploy(release, "cloudformation.yaml", *extra)


def deploy_script(release: Release) -> str:
    aws = common.settings(release)
    body = common.constants(REGION=aws.region, APPLICATION=common.application_name(release),
                            GROUP=common.deployment_group_name(release), BUCKET=aws.artifact_bucket,
                            PREFIX=revision_key(release), DEADLINE_S=deadline_s(release))
    group = "./deployment-group.sh\n" if is_blue_green(release) else ""
    body += f'''
cd "$(dirname "$0")"

{common.WAIT_FOR_DEPLOYMENT}
{cloudformation_command(release)}
{group}
key="$PREFIX/$(date -u +%Y%m%dT%H%M%SZ).zip"
aws deploy push --region "$REGION" --application-name "$APPLICATION" --s3-location "s3://$BUCKET/$key" \\
  --source bundle --ignore-hidden-files
id=$(aws deploy create-deployment --region "$REGION" --application-name "$APPLICATION" \\
  --deployment-group-name "$GROUP" --s3-location "bucket=$BUCKET,key=$key,bundleType=zip" \\
  --file-exists-behavior OVERWRITE --query deploymentId --output text)
echo "deployment $id: s3://$BUCKET/$key"
wait_for_deployment "$id" "$DEADLINE_S"
'''
    style = "blue/green" if is_blue_green(release) else "in place"
    return common.script(f"Deploys {release.name} ({release.metadata.environment}) to EC2 {style} with AWS CodeDeploy.",
                         body)


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test by hand, on an instance (ValidateService runs it on every instance)."""
    if test.http_path is None:
        command_text, _ = common.command_smoke(test)
        return command_text, "exits 0 (run on an instance, from the revision's folder)"
    port = release.service.main_port.port
    return common.curl_smoke(test, f"http://127.0.0.1:{port}"), f"prints {test.expect} (run on an instance)"



def procedure(release: Release, facts) -> Procedure:
    aws = common.settings(release)
    blue_green = is_blue_green(release)
    deploy = [Step("Deploy: updates the stack" + (" and the blue/green deployment group" if blue_green else "")
                   + ", pushes aws/bundle to S3 and runs the CodeDeploy deployment to the end.",
                   command("aws/deploy.sh"),
                   f"It stops the deployment with rollback if it has not ended after {human(deadline_s(release))}.",
                   role=APPLY)]
    if blue_green:
        deploy.append(Step("CodeDeploy copies the deployment group's Auto Scaling group "
                           f"({aws.fleet.auto_scaling_groups[0]} at first; each copy takes its place), installs the "
                           "new version on the copy, runs the hooks, then moves the load balancer to it all at once"
                           + (f"; a person must continue within {human(aws.ready_wait_min * 60)} or it stops:"
                              if aws.ready_wait_min else "."),
                           common.aws(release, "deploy", "continue-deployment", "--deployment-id", "DEPLOYMENT_ID",
                                      "--deployment-wait-type", "READY_WAIT") if aws.ready_wait_min else ""))
    else:
        deploy.append(Step(f"Instances are updated in place: {hosts_text(release)}."))
    watch = (
        Step("The latest deployment of the group.", common.last_deployment(release)),
        Step("Its status and error.", common.get_deployment(release)),
        Step("Each instance's progress.", common.aws(release, "deploy", "list-deployment-targets", "--deployment-id",
                                                     "DEPLOYMENT_ID")),
    ) + ((Step("The alarms that stop it.", common.alarms_command(release)),) if aws.alarms else ())
    rollback = (
        Step("While it runs" + (f", or during the {human(aws.termination_wait_min * 60)} the old instances are kept"
                                if blue_green else "") + ": stop it with rollback.", common.stop_deployment(release),
             ""),
        Step("After it completed: find the previous revision.",
             common.aws(release, "deploy", "list-application-revisions", "--application-name",
                        common.application_name(release), "--sort-by", "registerTime", "--sort-order", "descending",
                        "--max-items", "2")),
        Step("Deploy it again (a new deployment of the old revision).",
             common.aws(release, "deploy", "create-deployment", "--application-name", common.application_name(release),
                        "--deployment-group-name", common.deployment_group_name(release), "--s3-location",
                        f"bucket={aws.artifact_bucket},key=PREVIOUS_KEY,bundleType=zip", "--file-exists-behavior",
                        "OVERWRITE")),
    )
    automatic = ""
    if release.rollback.automatic:
        what = "moves the load balancer back to the old instances (kept " \
               f"{human(aws.termination_wait_min * 60)} after the switch)" if blue_green else \
            "redeploys the last successful revision to the instances"
        automatic = (f"CodeDeploy {what} when a hook script exits non-zero (the health check allows "
                     f"{human(ready_budget_s(release))} to become ready; the smoke tests) on {failing_text(release)}, "
                     f"or when {common.alarms_sentence(release)}.")
    notes = (
        "ApplicationStop runs the stop script of the revision being replaced; if a broken one blocks deployments, "
        "create the deployment with --ignore-application-stop-failures.",
        "Each instance needs the CodeDeploy agent, Docker and curl; the service runs as the container "
        f"{release.name}.",
    ) + (("Set the target group's deregistration delay to about the spec's drain time "
          f"({human(release.service.drain_s)}): CodeDeploy waits for it while it blocks traffic.",)
         if has_load_balancer(release) else ())
    return Procedure(f"AWS CodeDeploy on EC2, {'blue/green' if blue_green else 'in place'} ({hosts_text(release)})",
                     tuple(deploy), watch, rollback, automatic, notes)

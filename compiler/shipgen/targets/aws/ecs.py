"""Amazon ECS on Fargate: blue/green through AWS CodeDeploy, or the ECS rolling update.

For `platform.kind: aws-ecs`. Emits, under `aws/`:

- `cloudformation.yaml` (CloudFormation 2010-09-09): the task definition, the
  `AWS::ECS::Service`, its autoscaling, the CloudWatch alarms built from the rollback gates and,
  for canary and blue-green, the CodeDeploy application, deployment group (blue/green, test
  listener, termination wait, deployment-ready option, automatic rollback on failure and on
  alarm), a custom deployment configuration when no predefined one matches, and the lifecycle
  hook functions (`targets-cloud.md` §1.2, §2-§4.3). A rolling strategy gets the ECS
  deployment controller with the circuit breaker and alarms, both rolling back (§5).
- canary/blue-green only: `taskdef.json` (the input of `aws ecs register-task-definition`) and
  `appspec.yaml` (ECS AppSpec with the documented `<TASK_DEFINITION>` placeholder, §1.2):
  CodePipeline's ECS blue/green action takes exactly these two; `deploy.sh` does the same.
- `deploy.sh`: creates/updates the stack and, for CodeDeploy, registers the task definition and
  starts the blue/green deployment, following it to the end.

Once a service has the CODE_DEPLOY controller, its task definition may only change through
CodeDeploy (§4.3, §17 #12): the template creates the service with this release's task
definition, and on later updates `deploy.sh` passes the running one back (`TaskDefinitionArn`).
"""

from __future__ import annotations

from ...artifacts import JSON, SHELL, YAML, Artifact
from .settings import CODEDEPLOY
from ...durations import human
from ...model import Release
from ...procedure import ABORT, APPLY, Procedure, Step
from ...shell import command, quote
from ...templating import markdown_code
from . import common, observability

NAME = "aws-ecs"
LOG_RETENTION_DAYS = 30
HOOK_EVENTS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")
HOOK_LABELS = {"BeforeInstall": "before-install", "AfterInstall": "after-install",
               "AfterAllowTestTraffic": "after-test-traffic", "BeforeAllowTraffic": "before-traffic",
               "AfterAllowTraffic": "after-traffic"}
TASK_DEFINITION_PATTERN = r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]+:[0-9]+$"


def uses_code_deploy(release: Release) -> bool:
    return common.settings(release).deployment == CODEDEPLOY


def render(release: Release, facts) -> list:
    artifacts = [Artifact("aws/cloudformation.yaml", cloudformation(release), YAML)]
    if uses_code_deploy(release):
        artifacts.append(Artifact("aws/taskdef.json", task_definition(release), JSON))
        artifacts.append(Artifact("aws/appspec.yaml", appspec(release), YAML))
    artifacts.append(Artifact("aws/deploy.sh", deploy_script(release), SHELL))
    return artifacts


# ---------------------------------------------------------------------------- names


def service_name(release: Release) -> str:
    return release.name


def family(release: Release) -> str:
    return common.base_name(release)


def log_group(release: Release) -> str:
    return f"/ecs/{release.metadata.environment}/{release.name}"


def container_port(release: Release) -> int:
    return release.service.main_port.port


# ---------------------------------------------------------------------------- task definition


def task_definition(release: Release) -> dict:
    """The task definition as `aws ecs register-task-definition --cli-input-json` takes it."""
    aws = common.settings(release)
    result = {
        "family": family(release),
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(aws.task.cpu),
        "memory": str(aws.task.memory_mib),
    }
    if aws.roles.task_execution:
        result["executionRoleArn"] = aws.roles.task_execution
    if aws.roles.task:
        result["taskRoleArn"] = aws.roles.task
    result["containerDefinitions"] = [container_definition(release)]
    return result


def container_definition(release: Release) -> dict:
    service = release.service
    result = {"name": release.name, "image": service.image, "essential": True}
    if service.command:  # Kubernetes `command` replaces the entrypoint, `args` the command
        result["entryPoint"] = list(service.command)
    if service.args:
        result["command"] = list(service.args)
    if service.ports:
        result["portMappings"] = [{"containerPort": port.port, "protocol": "udp" if port.protocol == "udp" else "tcp"}
                                  for port in service.ports]
    if service.env:
        result["environment"] = [{"name": name, "value": value} for name, value in service.env]
    health = container_health_check(release)
    if health:
        result["healthCheck"] = health
    result["stopTimeout"] = min(120, service.termination_grace_s)  # Fargate allows at most 120 s
    result["logConfiguration"] = {"logDriver": "awslogs", "options": {
        "awslogs-group": log_group(release), "awslogs-region": common.settings(release).region,
        "awslogs-stream-prefix": release.name}}
    return result


def container_health_check(release: Release) -> dict | None:
    """An exec liveness probe as the container health check (ECS bounds: interval 5-300 s,
    timeout 2-60 s, retries 1-10, start period 0-300 s). HTTP checks are the target group's."""
    probe = release.service.liveness
    if probe is None or probe.handler != "exec":
        return None
    return {"command": ["CMD", *probe.command], "interval": min(300, max(5, probe.period_s)),
            "timeout": min(60, max(2, probe.timeout_s)), "retries": min(10, max(1, probe.failure_threshold)),
            "startPeriod": min(300, probe.initial_delay_s + release.service.warmup_s)}


def pascal(value, keep_keys: tuple = ("options",)):
    """API (camelCase) keys as CloudFormation spells them (PascalCase); maps under `keep_keys`
    (log driver options) keep their keys."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: (dict(item) if key in keep_keys else pascal(item, keep_keys))
                for key, item in value.items()}
    if isinstance(value, list):
        return [pascal(item, keep_keys) for item in value]
    return value


# ---------------------------------------------------------------------------- CloudFormation


def parameters(release: Release) -> dict:
    aws = common.settings(release)
    balancer = aws.load_balancer
    result = {
        "Subnets": common.parameter("List<AWS::EC2::Subnet::Id>", "Subnets of the tasks.", aws.subnets),
        "SecurityGroups": common.parameter("List<AWS::EC2::SecurityGroup::Id>", "Security groups of the tasks.",
                                           aws.security_groups),
    }
    listener_pattern = "^arn:aws[a-z-]*:elasticloadbalancing:.+:listener/app/.+$"
    group_pattern = "^arn:aws[a-z-]*:elasticloadbalancing:.+:targetgroup/.+$"
    if balancer.listener:
        result["ProductionListenerArn"] = common.parameter("String", "The production listener.", balancer.listener,
                                                           listener_pattern)
    if balancer.test_listener:
        result["TestListenerArn"] = common.parameter("String", "The test listener (the new version before users).",
                                                     balancer.test_listener, listener_pattern)
    if uses_code_deploy(release):
        blue, green = balancer.target_groups
        result["BlueTargetGroupArn"] = common.parameter("String", "The target group serving when the stack is "
                                                        "created.", blue, group_pattern)
        result["GreenTargetGroupArn"] = common.parameter("String", "The other target group of the pair.", green,
                                                         group_pattern)
        result["TaskDefinitionArn"] = common.parameter(
            "String", "Empty when the stack is created (the service starts with this template's task definition); "
            "afterwards the task definition CodeDeploy deployed last, which deploy.sh passes.", "", empty_default=True)
    elif balancer.target_groups:
        result["TargetGroupArn"] = common.parameter("String", "The service's target group.", balancer.target_groups[0],
                                                    group_pattern)
    return result


def cloudformation(release: Release) -> dict:
    aws = common.settings(release)
    code_deploy = uses_code_deploy(release)
    resources = {"LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": log_group(release), "RetentionInDays": LOG_RETENTION_DAYS}}}
    execution_role = aws.roles.task_execution
    if not execution_role:
        resources["TaskExecutionRole"] = common.service_role(
            "ecs-tasks.amazonaws.com", [common.managed_policy("service-role/AmazonECSTaskExecutionRolePolicy")])
        execution_role = common.get_att("TaskExecutionRole", "Arn")
    definition = pascal(task_definition(release))
    definition["ExecutionRoleArn"] = execution_role
    definition["Tags"] = common.tags(release)
    conditions = {}
    # Retained: CloudFormation would deregister a replaced (or, CODE_DEPLOY, dropped) revision, and
    # ECS refuses to point a service or a task set at an INACTIVE one, which is how a release is
    # rolled back after it completed (the runbook's rollback).
    retain = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    if code_deploy:  # only when the stack is created; CodeDeploy owns the task definition afterwards
        conditions["CreateTaskDefinition"] = {"Fn::Equals": [common.ref("TaskDefinitionArn"), ""]}
        resources["TaskDefinition"] = {"Type": "AWS::ECS::TaskDefinition", "Condition": "CreateTaskDefinition",
                                       **retain, "Properties": definition}
    else:
        resources["TaskDefinition"] = {"Type": "AWS::ECS::TaskDefinition", **retain, "Properties": definition}
    resources["Service"] = ecs_service(release)
    if release.service.autoscaling:
        resources.update(autoscaling(release))
    common.add_alarms(release, resources, lambda alarm: alarm_dimensions(release))
    observability.add_slo_resources(release, resources, lambda alarm: alarm_dimensions(release))
    outputs = {"ServiceName": ("The ECS service.", common.get_att("Service", "Name")),
               "TaskExecutionRoleArn": ("The task execution role (deploy.sh registers task definitions with it).",
                                        execution_role)}
    if code_deploy:
        add_code_deploy(release, resources)
        outputs["ApplicationName"] = ("The CodeDeploy application.", common.ref("Application"))
        outputs["DeploymentGroupName"] = ("The CodeDeploy deployment group.", common.ref("DeploymentGroup"))
        what = f"ECS service deployed blue/green by CodeDeploy ({common.shift_text(aws.shift)})"
    else:
        what = "ECS service with a rolling update, circuit breaker and alarm rollback"
    return common.template(common.description(release, what), parameters(release), conditions, resources, outputs)


def ecs_service(release: Release) -> dict:
    aws = common.settings(release)
    code_deploy = uses_code_deploy(release)
    task = {"Fn::If": ["CreateTaskDefinition", common.ref("TaskDefinition"), common.ref("TaskDefinitionArn")]} \
        if code_deploy else common.ref("TaskDefinition")
    properties = {
        "ServiceName": service_name(release),
        "Cluster": aws.cluster,
        "LaunchType": "FARGATE",
        "TaskDefinition": task,
        "DeploymentController": {"Type": "CODE_DEPLOY" if code_deploy else "ECS"},
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": common.ref("Subnets"), "SecurityGroups": common.ref("SecurityGroups"),
            "AssignPublicIp": "ENABLED" if aws.assign_public_ip else "DISABLED"}},
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
        "Tags": common.tags(release),
    }
    if release.service.autoscaling is None:  # the autoscaler owns the count when there is one
        properties["DesiredCount"] = release.service.replicas
    if not code_deploy:  # circuit breaker and alarms exist for the ECS controller only (§4.3)
        properties["DeploymentConfiguration"] = rolling_configuration(release)
    group = "BlueTargetGroupArn" if code_deploy else ("TargetGroupArn" if aws.load_balancer.target_groups else "")
    if group:  # CODE_DEPLOY: only the serving target group; the pair lives in the deployment group (§4.3)
        properties["LoadBalancers"] = [{"ContainerName": release.name, "ContainerPort": container_port(release),
                                        "TargetGroupArn": common.ref(group)}]
        properties["HealthCheckGracePeriodSeconds"] = health_grace_s(release)
    return {"Type": "AWS::ECS::Service", "Properties": properties}


def health_grace_s(release: Release) -> int:
    """Time a new task gets before failing load balancer health checks count: its warmup and
    startup probe budget."""
    startup = release.service.startup
    return release.service.warmup_s + (startup.budget_s if startup else 0)


def rolling_configuration(release: Release) -> dict:
    aws = common.settings(release)
    automatic = release.rollback.automatic
    result = {"MinimumHealthyPercent": aws.rolling.minimum_healthy_percent,
              "MaximumPercent": aws.rolling.maximum_percent,
              "DeploymentCircuitBreaker": {"Enable": True, "Rollback": automatic}}
    if aws.alarms:
        result["Alarms"] = {"AlarmNames": [common.ref(common.alarm_logical_id(alarm)) for alarm in aws.alarms],
                            "Enable": True, "Rollback": automatic}
    return result


def alarm_dimensions(release: Release) -> list:
    """CodeDeploy swaps the two target groups at every deployment, so blue/green alarms watch the
    whole load balancer; a rolling service watches its own target group."""
    if not common.settings(release).load_balancer.listener:
        return []
    dimensions = [common.load_balancer_dimension("ProductionListenerArn")]
    if not uses_code_deploy(release) and common.settings(release).load_balancer.target_groups:
        dimensions.append(common.target_group_dimension("TargetGroupArn"))
    return dimensions


def autoscaling(release: Release) -> dict:
    scaling = release.service.autoscaling
    resource_id = {"Fn::Join": ["/", ["service", common.settings(release).cluster, common.get_att("Service", "Name")]]}
    return {
        "ScalableTarget": {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": resource_id,
            "MinCapacity": scaling.min_replicas, "MaxCapacity": scaling.max_replicas}},
        "ScalingPolicy": {"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": {
            "PolicyName": f"{common.base_name(release)}-cpu", "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": common.ref("ScalableTarget"),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": scaling.cpu_utilization,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}},
    }


# ---------------------------------------------------------------------------- CodeDeploy


def add_code_deploy(release: Release, resources: dict) -> None:
    aws = common.settings(release)
    role = common.code_deploy_role_arn(release, resources, "AWSCodeDeployRoleForECS")
    resources["Application"] = common.application(release, "ECS")
    config = common.shift_config(aws.shift, "ECS", resources)
    route = {"TargetGroups": [{"Name": common.target_group_name("BlueTargetGroupArn")},
                              {"Name": common.target_group_name("GreenTargetGroupArn")}],
             "ProdTrafficRoute": {"ListenerArns": [common.ref("ProductionListenerArn")]}}
    if aws.load_balancer.test_listener:
        route["TestTrafficRoute"] = {"ListenerArns": [common.ref("TestListenerArn")]}
    properties = {
        "ApplicationName": common.ref("Application"),
        "DeploymentGroupName": common.deployment_group_name(release),
        "ServiceRoleArn": role,
        "DeploymentConfigName": config,
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        "BlueGreenDeploymentConfiguration": {
            "DeploymentReadyOption": ready_option(release),
            "TerminateBlueInstancesOnDeploymentSuccess": {
                "Action": "TERMINATE", "TerminationWaitTimeInMinutes": aws.termination_wait_min}},
        "ECSServices": [{"ClusterName": aws.cluster, "ServiceName": common.get_att("Service", "Name")}],
        "LoadBalancerInfo": {"TargetGroupPairInfoList": [route]},
        "AutoRollbackConfiguration": common.auto_rollback(release),
    }
    alarms = common.alarm_configuration(release)
    if alarms:
        properties["AlarmConfiguration"] = alarms
    properties["Tags"] = common.tags(release)
    resources["DeploymentGroup"] = {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": properties}
    resources["HookRole"] = common.hook_role([{"Effect": "Allow", "Resource": "*", "Action": [
        "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancers"]}])
    for event in HOOK_EVENTS:
        config, listener = hook_plan(release, event)
        extra = {"SHIPGEN_LISTENER": common.ref(listener)} if listener else None
        resources[f"Hook{event}"] = common.hook_function(release, HOOK_LABELS[event], config, extra)


def ready_option(release: Release) -> dict:
    """An approval: traffic moves only when a person continues the deployment in time (§3)."""
    wait = common.settings(release).ready_wait_min
    if wait:
        return {"ActionOnTimeout": "STOP_DEPLOYMENT", "WaitTimeInMinutes": wait}
    return {"ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0}


def hook_plan(release: Release, event: str) -> tuple:
    """(hook config, listener parameter or "") for one lifecycle event:

    - BeforeInstall: no rollback alarm fires before anything changes;
    - AfterInstall: the new tasks get `service.warmup`, then the alarms are checked;
    - AfterAllowTestTraffic: the HTTP smoke tests through the test listener;
    - BeforeAllowTraffic: the alarms once more before users reach the new version;
    - AfterAllowTraffic: the smoke tests through the production listener, then (blue-green)
      `strategy.iterations` alarm checks `strategy.interval` apart while the old tasks still wait.
    """
    aws = common.settings(release)
    if event == "AfterInstall":
        return common.hook_config(release, wait_s=min(release.service.warmup_s, 600)), ""
    if event == "AfterAllowTestTraffic":
        test = bool(aws.load_balancer.test_listener)
        return common.hook_config(release, smoke=test), "TestListenerArn" if test else ""
    if event == "AfterAllowTraffic":
        return common.hook_config(release, smoke=True, checks=max(1, aws.analysis_checks),
                                  interval_s=aws.analysis_interval_s), "ProductionListenerArn"
    return common.hook_config(release), ""


# ---------------------------------------------------------------------------- AppSpec


def appspec(release: Release) -> dict:
    return {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": "<TASK_DEFINITION>",
            "LoadBalancerInfo": {"ContainerName": release.name, "ContainerPort": container_port(release)}}}}],
        "Hooks": [{event: common.hook_function_name(release, HOOK_LABELS[event])} for event in HOOK_EVENTS],
    }


# ---------------------------------------------------------------------------- deploy script


def parameter_overrides(release: Release) -> list:
    """`Key=value` for every parameter the spec gave a value, so a stack update uses the spec's
    values (`cloudformation deploy` keeps previous values for parameters it is not given)."""
    return [f"{key}={spec['Default']}" for key, spec in parameters(release).items() if spec.get("Default")]


def deadline_s(release: Release) -> int:
    """Longest a deployment may take before deploy.sh stops it: the traffic shift, the hooks,
    an approval wait, the time the old task set is kept, and 15 minutes to start tasks."""
    aws = common.settings(release)
    hooks = sum(common.hook_timeout_s(hook_plan(release, event)[0]) for event in HOOK_EVENTS)
    return aws.shift.total_s + hooks + (aws.ready_wait_min + aws.termination_wait_min) * 60 + 900


def deploy_script(release: Release) -> str:
    aws = common.settings(release)
    overrides = " ".join(quote(item) for item in parameter_overrides(release))
    stack_deploy = ('aws cloudformation deploy --region "$REGION" --stack-name "$STACK" --template-file '
                    "cloudformation.yaml --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset")
    if not uses_code_deploy(release):
        body = common.constants(REGION=aws.region, STACK=aws.stack_name, CLUSTER=aws.cluster,
                                SERVICE=service_name(release))
        body += f'''
cd "$(dirname "$0")"

# CloudFormation updates the service and waits for it; when the circuit breaker or an alarm
# rolls the deployment back, the stack update fails and CloudFormation rolls back too.
{stack_deploy} \\
  --parameter-overrides {overrides}
aws ecs wait services-stable --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE"
echo "service $SERVICE is stable"
'''
        return common.script(f"Deploys {release.name} ({release.metadata.environment}) to Amazon ECS with a "
                             "rolling update.", body)
    body = common.constants(REGION=aws.region, STACK=aws.stack_name, CLUSTER=aws.cluster, SERVICE=service_name(release),
                            APPLICATION=common.application_name(release), GROUP=common.deployment_group_name(release),
                            DEADLINE_S=deadline_s(release), TASK_DEFINITION_PATTERN=TASK_DEFINITION_PATTERN)
    body += f'''
cd "$(dirname "$0")"

{common.WAIT_FOR_DEPLOYMENT}
if ! aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" >/dev/null 2>&1; then
  echo "creating stack $STACK: the service starts with this release's task definition"
  {stack_deploy} \\
    --parameter-overrides {overrides}
  aws ecs wait services-stable --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE"
  exit 0
fi

# The service's task definition belongs to CodeDeploy now: hand the running one back to the stack.
running=$(aws ecs describe-services --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE" \\
  --query 'services[0].taskDefinition' --output text)
{stack_deploy} \\
  --parameter-overrides {overrides} "TaskDefinitionArn=$running"

if (($# > 0)); then
  task_definition=$1 # redeploy (or roll back to) this task definition
else
  role=$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \\
    --query "Stacks[0].Outputs[?OutputKey=='TaskExecutionRoleArn'].OutputValue" --output text)
  task_definition=$(aws ecs register-task-definition --region "$REGION" --cli-input-json file://taskdef.json \\
    --execution-role-arn "$role" --query taskDefinition.taskDefinitionArn --output text)
fi
if [[ ! $task_definition =~ $TASK_DEFINITION_PATTERN ]]; then
  echo "not a task definition ARN with a revision: $task_definition" >&2
  exit 1
fi

input=$(mktemp)
trap 'rm -f "$input"' EXIT
{{
  printf 'revision:\\n  revisionType: AppSpecContent\\n  appSpecContent:\\n    content: |\\n'
  sed -e "s|<TASK_DEFINITION>|$task_definition|" -e 's/^/      /' appspec.yaml
}} >"$input"
id=$(aws deploy create-deployment --region "$REGION" --application-name "$APPLICATION" \\
  --deployment-group-name "$GROUP" --cli-input-yaml "file://$input" --query deploymentId --output text)
echo "deployment $id: $task_definition"
wait_for_deployment "$id" "$DEADLINE_S"
'''
    return common.script(f"Deploys {release.name} ({release.metadata.environment}) to Amazon ECS blue/green through "
                         "AWS CodeDeploy. Usage: deploy.sh [TASK_DEFINITION_ARN to redeploy]", body)


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test by hand, through the test listener (the hooks run it by themselves)."""
    if test.http_path is None:
        return common.command_smoke(test)
    listener = "test" if uses_code_deploy(release) else "production"
    return (common.curl_smoke(test, '"$BASE_URL"'),
            f"prints {test.expect} (BASE_URL: the {listener} listener, e.g. http://LOAD-BALANCER-DNS:PORT)")



def procedure(release: Release, facts) -> Procedure:
    if uses_code_deploy(release):
        return code_deploy_procedure(release)
    return rolling_procedure(release)


def code_deploy_procedure(release: Release) -> Procedure:
    aws = common.settings(release)
    ecs = ("ecs", "describe-services", "--cluster", aws.cluster, "--services", service_name(release))
    deploy = (
        Step("Deploy: creates the stack on the first release (the service starts with this task definition); "
             "afterwards updates the stack, registers aws/taskdef.json as a new revision and starts a CodeDeploy "
             "blue/green deployment with aws/appspec.yaml, following it to the end.", command("aws/deploy.sh"),
             f"It stops the deployment with rollback if it has not ended after {human(deadline_s(release))}. "
             "With CodePipeline, give its ECS blue/green action aws/taskdef.json and aws/appspec.yaml instead.",
             role=APPLY),
        Step("Traffic: " + common.shift_text(aws.shift) + f" ({common.config_text(aws.shift)})."
             + (f" A person must continue the deployment within {human(aws.ready_wait_min * 60)} before "
                "production traffic moves, or it stops:" if aws.ready_wait_min else ""),
             common.aws(release, "deploy", "continue-deployment", "--deployment-id", "DEPLOYMENT_ID",
                        "--deployment-wait-type", "READY_WAIT") if aws.ready_wait_min else ""),
    )
    watch = (
        Step("The latest deployment of the group.", common.last_deployment(release)),
        Step("Its status and error.", common.get_deployment(release)),
        Step("The alarms that stop it.", common.alarms_command(release)) if aws.alarms else None,
        Step("The task sets (blue and green) and their share of traffic.",
             common.aws(release, *ecs, "--query", "services[0].taskSets[].[status,taskDefinition,scale.value]",
                        "--output", "text")),
    )
    rollback = (
        Step("While the deployment runs, or during the "
             f"{human(aws.termination_wait_min * 60)} the old task set is kept after the switch: stop it; CodeDeploy "
             "moves all traffic back to the old task set at once.", common.stop_deployment(release)),
        Step("After that: redeploy the previous task definition (list the revisions, newest first).",
             common.aws(release, "ecs", "list-task-definitions", "--family-prefix", family(release), "--sort", "DESC",
                        "--max-items", "3")),
        Step("Deploy it blue/green like any release.", command("aws/deploy.sh", "PREVIOUS_TASK_DEFINITION_ARN")),
    )
    automatic = ""
    if release.rollback.automatic:
        automatic = (f"CodeDeploy reroutes all traffic to the old task set when a lifecycle hook fails (the smoke tests"
                     f"{' through the test listener' if aws.load_balancer.test_listener else ''}, or a rollback alarm "
                     f"firing at a hook) or when {common.alarms_sentence(release)} during the deployment; "
                     f"the old task set is kept {human(aws.termination_wait_min * 60)} after the switch.")
    notes = [
        "The service's task definition belongs to CodeDeploy: never change it with `aws ecs update-service` or by "
        "editing the stack (ECS refuses: 'Unable to update task definition on services with a CODE_DEPLOY "
        "deployment controller'); deploy.sh hands the running one back to the stack.",
        "After each deployment the serving target group alternates; CloudFormation's view of the service's load "
        "balancer drifts, which is expected.",
        "The target groups' health check decides when new tasks are healthy: point it at the readiness path"
        + (f" {markdown_code(release.service.readiness.path)}" if release.service.readiness
           and release.service.readiness.handler == "http" else "") + ".",
        "The hook functions run outside your VPC: they reach the listeners at the load balancer's DNS name (or "
        "platform.aws.loadBalancer.hostname), so an internal load balancer needs hooks in the VPC.",
    ]
    return Procedure(f"Amazon ECS blue/green through AWS CodeDeploy ({common.config_text(aws.shift)})", deploy,
                     tuple(step for step in watch if step), rollback, automatic, tuple(notes))


def rolling_procedure(release: Release) -> Procedure:
    aws = common.settings(release)
    rolling = aws.rolling
    deploy = (
        Step("Deploy: CloudFormation updates the service and waits until it is stable.", command("aws/deploy.sh"),
             role=APPLY),
        Step(f"ECS keeps at least {rolling.minimum_healthy_percent}% of {release.service.min_replicas} tasks healthy "
             f"and runs at most {rolling.maximum_percent}% during the update."),
    )
    watch = (
        Step("The service's deployments and their rollout state.",
             common.aws(release, "ecs", "describe-services", "--cluster", aws.cluster, "--services",
                        service_name(release), "--query",
                        "services[0].deployments[].[status,rolloutState,taskDefinition,runningCount]", "--output",
                        "text")),
        Step("The stack's progress.", common.aws(release, "cloudformation", "describe-stack-events", "--stack-name",
                                                 aws.stack_name, "--max-items", "10")),
    )
    rollback = (
        Step("While the stack update runs: cancel it; CloudFormation restores the previous task definition.",
             common.aws(release, "cloudformation", "cancel-update-stack", "--stack-name", aws.stack_name), role=ABORT),
        Step("After it completed: point the service at the previous task definition revision (then put the previous "
             "spec back, or the next stack update redeploys this one).",
             common.aws(release, "ecs", "update-service", "--cluster", aws.cluster, "--service", service_name(release),
                        "--task-definition", f"{family(release)}:PREVIOUS_REVISION")),
    )
    automatic = ""
    if release.rollback.automatic:
        automatic = ("ECS rolls back to the last completed deployment when the deployment circuit breaker trips (new "
                     "tasks keep failing to start or to pass health checks; ECS's threshold is half the desired "
                     f"count, at least 3 and at most 200 tasks) or when {common.alarms_sentence(release)}; the "
                     "CloudFormation update then fails and rolls back as well.")
    return Procedure(f"Amazon ECS rolling update (circuit breaker{', alarms' if aws.alarms else ''})", deploy, watch,
                     rollback, automatic, ())

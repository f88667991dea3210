"""Normalize `platform.aws` and decide, once, what CodeDeploy / ECS / Lambda can do of the spec.

Called at the end of `normalize.normalize` (it needs the strategy, gates, rollback and smoke
tests). Follows `../shared/docs/targets-cloud.md` §2 (deployment configurations), §3
(deployment groups), §5 (ECS rolling), §7 (SAM) and §14.

The nearest faithful configuration. CodeDeploy shifts traffic in one canary step or in equal
linear steps, in whole minutes. For the spec's canary steps shipgen picks:

1. one step `[w]` → `TimeBasedCanary` w% for its pause;
2. the steps L, 2L, ... up to the last multiple of L below 100, with equal pauses →
   `TimeBasedLinear` L% every pause (the same shares at the same times);
3. anything else → `TimeBasedCanary` at the first step's share for the spec's whole time
   before full traffic. The new version never serves more than the spec allows at any moment,
   and it reaches all traffic at the same time; the later steps are dropped, and a warning
   (SG004 `approximated-steps`) says which.

Pauses are rounded up to whole minutes (with a warning when that changes a value). Where
nothing faithful exists (header routing, mirroring, traffic shares on EC2, an approval that
promotes on timeout) the spec gets a located error naming the field and the alternatives.
"""

from __future__ import annotations

import json
import math
import re

from .settings import (BLUE_GREEN, CODEDEPLOY, ECS_ROLLING, IN_PLACE, Alarm, AwsPlatform, Ec2Fleet, EcsTask,
                        LambdaFunction, LoadBalancer, MinimumHealthyHosts, Roles, RollingUpdate, TrafficShift)
from ...durations import human, seconds

AWS_KINDS = ("aws-ecs", "aws-lambda", "aws-ec2")
APPROX = "approximated-steps"
MAX_TERMINATION_WAIT_MIN = 2880  # CodeDeploy: TerminationWaitTimeInMinutes, 2 days
MAX_LAMBDA_TIMEOUT_S = 900
MAX_ALARMS = 10  # CodeDeploy AlarmConfiguration
HOOK_ANALYSIS_LIMIT_S = 840  # one Lambda hook run is at most 15 min; keep a minute for the rest
ECR_IMAGE = re.compile(r"^(?P<repository>[0-9]{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
                       r"[^:@]+)(:[^@]+)?(@sha256:[0-9a-f]{64})?$")
NLB_LISTENER = ":listener/net/"

# The settings each platform kind reads; any other one given is an error.
FIELDS = {
    "region": AWS_KINDS,
    "stackName": AWS_KINDS,
    "cluster": ("aws-ecs",),
    "network": ("aws-ecs",),
    "loadBalancer": ("aws-ecs", "aws-ec2"),
    "roles": AWS_KINDS,
    "artifactBucket": ("aws-lambda", "aws-ec2"),
    "terminationWait": ("aws-ecs",),
    "lambda": ("aws-lambda",),
    "ec2": ("aws-ec2",),
}
ROLE_FIELDS = {"codeDeploy": AWS_KINDS, "taskExecution": ("aws-ecs",), "task": ("aws-ecs",),
               "function": ("aws-lambda",)}

PREDEFINED = {
    "aws-ecs": {
        ("AllAtOnce", 100, 0): "CodeDeployDefault.ECSAllAtOnce",
        ("TimeBasedLinear", 10, 1): "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        ("TimeBasedLinear", 10, 3): "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
        ("TimeBasedCanary", 10, 5): "CodeDeployDefault.ECSCanary10Percent5Minutes",
        ("TimeBasedCanary", 10, 15): "CodeDeployDefault.ECSCanary10Percent15Minutes",
    },
    "aws-lambda": {
        ("AllAtOnce", 100, 0): "CodeDeployDefault.LambdaAllAtOnce",
        ("TimeBasedCanary", 10, 5): "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        ("TimeBasedCanary", 10, 10): "CodeDeployDefault.LambdaCanary10Percent10Minutes",
        ("TimeBasedCanary", 10, 15): "CodeDeployDefault.LambdaCanary10Percent15Minutes",
        ("TimeBasedCanary", 10, 30): "CodeDeployDefault.LambdaCanary10Percent30Minutes",
        ("TimeBasedLinear", 10, 1): "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        ("TimeBasedLinear", 10, 2): "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
        ("TimeBasedLinear", 10, 3): "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
        ("TimeBasedLinear", 10, 10): "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
    },
}

# Fargate task sizes: CPU units -> (smallest, largest, step) memory in MiB.
FARGATE_SIZES = {
    256: (512, 2048, None),  # 512, 1024, 2048
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def aws_platform(reader, raw: dict, metadata, service, platform, strategy, gates, rollback, smoke):
    """The AwsPlatform of an aws-* spec (None for other platforms), checking what AWS cannot do."""
    raw_platform = raw.get("platform", {})
    kind = platform.kind
    settings = raw_platform.get("aws")
    if kind not in AWS_KINDS:
        if settings is not None:
            reader.error(("platform", "aws"), f"platform.aws applies to platform.kind {', '.join(AWS_KINDS)}, and "
                         f"platform.kind is {kind}", key=True)
        return None
    path = ("platform", "aws")
    if settings is None:
        reader.error(("platform", "kind"), f"platform.kind {kind} needs platform.aws with at least the region",
                     fix="add platform.aws: {region: eu-west-1}")
        settings = {}
    _check_fields(reader, settings, kind)
    raw_strategy = raw.get("strategy", {})
    deployment = _deployment(reader, kind, strategy)
    load_balancer = _load_balancer(settings.get("loadBalancer", {}))
    _check_load_balancer(reader, kind, deployment, load_balancer, service, smoke)
    shift = _shift(reader, kind, strategy, raw_strategy) if deployment == CODEDEPLOY else None
    approval_wait = _approval_wait(reader, kind, deployment, strategy)
    network = settings.get("network", {})
    roles = settings.get("roles", {})
    function = None
    if kind == "aws-lambda":
        function = _function(reader, settings.get("lambda", {}), metadata, service, rollback)
        _check_function_image(reader, function, service, settings.get("region", ""))
    checks, interval_s = _analysis(reader, kind, strategy)
    _check_smoke(reader, kind, smoke, service)
    if kind == "aws-ecs" and "cluster" not in settings:
        reader.error(path, "aws-ecs needs the cluster the service runs in: set platform.aws.cluster")
    alarms = _alarms(reader, kind, metadata, gates, rollback, load_balancer, function)
    if len(alarms) > MAX_ALARMS:
        reader.error(("rollback", "on"), f"CodeDeploy watches at most {MAX_ALARMS} alarms, and the rollback gates "
                     f"make {len(alarms)} (a gate with min and max makes two)")
    return AwsPlatform(
        region=settings.get("region", ""),
        stack_name=settings.get("stackName", f"{metadata.name}-{metadata.environment}"),
        deployment=deployment,
        cluster=settings.get("cluster", ""),
        subnets=tuple(network.get("subnets", ())),
        security_groups=tuple(network.get("securityGroups", ())),
        assign_public_ip=reader.get(network, path + ("network",), "assignPublicIp", False, record=kind == "aws-ecs"),
        load_balancer=load_balancer,
        roles=Roles(*(roles.get(key, "") for key in ("codeDeploy", "taskExecution", "task", "function"))),
        artifact_bucket=settings.get("artifactBucket", ""),
        task=_ecs_task(reader, service) if kind == "aws-ecs" else None,
        function=function,
        fleet=_fleet(reader, settings, metadata, deployment) if kind == "aws-ec2" else None,
        shift=shift,
        hosts=_hosts(reader, strategy, service, raw_strategy) if kind == "aws-ec2" else None,
        rolling=_rolling(strategy, service) if deployment == ECS_ROLLING else None,
        alarms=alarms,
        termination_wait_min=_termination_wait(reader, kind, deployment, strategy, settings, raw_strategy),
        ready_wait_min=approval_wait,
        analysis_checks=checks,
        analysis_interval_s=interval_s,
    )


# ---------------------------------------------------------------------------- which settings apply


def _check_fields(reader, settings: dict, kind: str):
    path = ("platform", "aws")
    for key in settings:
        kinds = FIELDS.get(key, AWS_KINDS)
        if kind not in kinds:
            reader.error(path + (key,), f"platform.aws.{key} applies to {' and '.join(kinds)}, and platform.kind is "
                         f"{kind}", key=True)
    for key in settings.get("roles", {}):
        if kind not in ROLE_FIELDS[key]:
            reader.error(path + ("roles", key), f"platform.aws.roles.{key} applies to {' and '.join(ROLE_FIELDS[key])}"
                         f", and platform.kind is {kind}", key=True)


def _deployment(reader, kind: str, strategy) -> str:
    kind_text = {"aws-ecs": "ECS", "aws-lambda": "Lambda", "aws-ec2": "EC2"}[kind]
    if strategy.type in ("ab-test", "shadow"):
        what = "route requests by header or cookie" if strategy.type == "ab-test" else "mirror traffic"
        reader.error(("strategy", "type"), f"CodeDeploy cannot {what}: a {strategy.type} strategy has no "
                     f"equivalent on {kind_text}", fix="use strategy.type canary or blue-green")
    if kind == "aws-ec2":
        if strategy.type == "canary":
            reader.error(("strategy", "type"), "CodeDeploy on EC2 replaces instances, it does not shift shares of "
                         "traffic: a canary strategy has no equivalent there",
                         fix="use strategy.type rolling (in-place, a few instances at a time) or blue-green "
                             "(a replacement fleet, then all traffic at once)")
        return BLUE_GREEN if strategy.type == "blue-green" else IN_PLACE
    if kind == "aws-ecs" and strategy.type in ("rolling", "recreate"):
        return ECS_ROLLING
    return CODEDEPLOY


# ---------------------------------------------------------------------------- load balancer


def _load_balancer(raw: dict) -> LoadBalancer:
    return LoadBalancer(raw.get("listener", ""), raw.get("testListener", ""), tuple(raw.get("targetGroups", ())),
                        raw.get("hostname", ""))


def _check_load_balancer(reader, kind: str, deployment: str, balancer: LoadBalancer, service, smoke):
    path = ("platform", "aws", "loadBalancer")
    for key, arn in (("listener", balancer.listener), ("testListener", balancer.test_listener)):
        if NLB_LISTENER in arn:
            reader.error(path + (key,), "this is a Network Load Balancer listener, and the AWS targets work with an "
                         "Application Load Balancer: the smoke tests and hooks speak HTTP through the listeners, "
                         "the built-in gates become ALB metric alarms, the template parameters take ALB listener "
                         "ARNs, and CodeDeploy shifts ECS traffic behind an NLB only all at once",
                         fix="give the ARN of an Application Load Balancer listener (listener/app/...)")
    if kind == "aws-ecs" and deployment == CODEDEPLOY:
        if not balancer.listener or len(balancer.target_groups) != 2:
            reader.error(path if balancer.listener or balancer.target_groups else ("platform", "aws"),
                         "ECS blue/green through CodeDeploy needs the production listener and two target groups "
                         "(platform.aws.loadBalancer.listener and .targetGroups: [serving now, the other])",
                         fix="or use strategy.type rolling, which needs no load balancer")
        if not service.ports:
            reader.error(("service",), "ECS blue/green through CodeDeploy routes a container port: add service.ports")
        http_smoke = [index for index, test in enumerate(smoke) if test.http_path is not None]
        if http_smoke and not balancer.test_listener:
            reader.error(("smoke", http_smoke[0]), "an HTTP smoke test runs against the new version before users "
                         "reach it, and on ECS only a test listener reaches it then",
                         fix="set platform.aws.loadBalancer.testListener, or use a command smoke test")
    elif kind == "aws-ecs" and len(balancer.target_groups) > 1:
        reader.error(path + ("targetGroups",), "an ECS rolling update serves from one target group: give one")
    elif kind == "aws-ec2" and len(balancer.target_groups) > 1:
        reader.error(path + ("targetGroups",), "CodeDeploy on EC2 reroutes one target group: give one")
    if kind == "aws-ec2" and deployment == BLUE_GREEN and not balancer.target_groups:
        reader.error(("strategy", "type"), "EC2 blue-green reroutes a load balancer from the old instances to the new "
                     "ones: set platform.aws.loadBalancer.targetGroups", fix="or use strategy.type rolling")
    if kind == "aws-ecs" and balancer.target_groups and not service.ports:
        reader.error(("service",), "a load balancer needs a container port: add service.ports")
    if balancer.test_listener and kind == "aws-ecs" and deployment != CODEDEPLOY:
        reader.error(path + ("testListener",), "a test listener applies to ECS canary and blue-green (CodeDeploy), "
                     "and this strategy is a rolling update", key=True)


# ---------------------------------------------------------------------------- traffic shifting


def _minutes(value_s: int) -> int:
    return max(1, math.ceil(value_s / 60))


def _percent_list(weights) -> str:
    return " → ".join(f"{weight}%" for weight in list(weights) + [100])


def _shift(reader, kind: str, strategy, raw_strategy: dict) -> TrafficShift:
    """The CodeDeploy traffic routing nearest to the spec's strategy (see the module docstring)."""
    if strategy.type != "canary":  # blue-green, and rolling/recreate on Lambda: every request moves at once
        return TrafficShift("AllAtOnce", 100, 0, PREDEFINED[kind][("AllAtOnce", 100, 0)])
    steps = strategy.steps
    weights = [step.weight for step in steps]
    pauses = [step.pause_s for step in steps]
    where = ("strategy", "steps") if "steps" in raw_strategy else ("strategy", "type")
    first = weights[0]
    if len(steps) == 1:
        routing, percentage, interval_s = "TimeBasedCanary", first, pauses[0]
    elif weights == list(range(first, 100, first)) and len(set(pauses)) == 1:
        routing, percentage, interval_s = "TimeBasedLinear", first, pauses[0]
    else:
        routing, percentage, interval_s = "TimeBasedCanary", first, sum(pauses)
        dropped = ", ".join(f"{weight}%" for weight in weights[1:])
        reader.warn(where, f"CodeDeploy shifts traffic in one canary step or in equal linear steps, not "
                    f"{_percent_list(weights)}: shipgen uses one canary step of {first}% for "
                    f"{human(_minutes(interval_s) * 60)} (the spec's time before full traffic), then 100%; the steps "
                    f"{dropped} are dropped, so the new version serves at most {first}% until it serves all traffic",
                    name=APPROX, fix="to get exactly what you ask, use one step (steps: [{weight: 10, pause: 5m}]) "
                                     "or equal steps (10, 20, ..., 90 with one pause)")
    interval_min = _minutes(interval_s)
    if interval_min * 60 != interval_s:
        what = "the canary pause" if routing == "TimeBasedCanary" else "the pause of each step"
        reader.warn(where, f"CodeDeploy counts whole minutes (at least 1): {what} {human(interval_s)} becomes "
                    f"{human(interval_min * 60)}", name=APPROX, fix="use pauses in whole minutes")
    predefined = PREDEFINED[kind].get((routing, percentage, interval_min), "")
    return TrafficShift(routing, percentage, interval_min, predefined)


def _approval_wait(reader, kind: str, deployment: str, strategy) -> int:
    approval = strategy.approval
    if approval is None:
        return 0
    path = ("strategy", "approval")
    can_wait = (kind == "aws-ecs" and deployment == CODEDEPLOY) or deployment == BLUE_GREEN
    if not can_wait:
        reader.error(path, "CodeDeploy waits for a person only in ECS and EC2 blue/green deployments (the deployment "
                     f"ready option); {kind} has no such wait", key=True,
                     fix="remove strategy.approval and approve in your pipeline before deploying")
        return 0
    if approval.on_timeout == "promote":
        reader.error(path + ("onTimeout",), "CodeDeploy stops a deployment nobody continued in time; it cannot "
                     "promote on timeout", fix="use onTimeout: rollback")
    if strategy.type == "canary" and approval.before == "promotion":
        reader.warn(path + ("before",), "CodeDeploy can wait for a person only before production traffic moves, not "
                    "between canary steps: the approval happens before the first step instead of before promotion",
                    name="approximated-approval")
    return _minutes(approval.timeout_s)


def _check_smoke(reader, kind: str, smoke, service):
    if kind == "aws-ec2":  # the hook scripts run every smoke test on the instance
        for index, test in enumerate(smoke):
            if test.http_path is not None and not service.ports:
                reader.error(("smoke", index), f"smoke test {test.name} requests a path, and on EC2 the hook scripts "
                             "send it to the container's first port: the service has none",
                             fix="add service.ports, or make it a command smoke test")
        return
    for index, test in enumerate(smoke):
        if test.http_path is None:
            reader.warn(("smoke", index), f"smoke test {test.name} is a command, and the deployment hooks are Lambda "
                        "functions that cannot run it: run it from your pipeline (the runbook lists it)",
                        name="smoke-not-run", fix="use an http smoke test to have CodeDeploy run it")


def _analysis(reader, kind: str, strategy) -> tuple:
    """Blue-green: (alarm checks, seconds between them) run by the hook after traffic moved."""
    if strategy.type != "blue-green" or kind == "aws-ec2":
        return 0, 0
    interval = max(1, strategy.interval_s)
    checks = strategy.iterations
    fits = HOOK_ANALYSIS_LIMIT_S // interval + 1
    if checks > fits:
        reader.warn(("strategy", "iterations"), f"the checks after the switch run in one Lambda hook, which lasts "
                    f"at most 15 min: {checks} checks every {human(interval)} become {fits}",
                    name="approximated-analysis",
                    fix="use fewer iterations or a shorter interval")
        checks = fits
    return checks, interval


def _termination_wait(reader, kind: str, deployment: str, strategy, settings: dict, raw_strategy: dict) -> int:
    if kind == "aws-lambda" or deployment in (ECS_ROLLING, IN_PLACE):
        if "terminationWait" in settings:
            reader.error(("platform", "aws", "terminationWait"), "terminationWait applies to ECS canary deployments "
                         "through CodeDeploy, and this is a rolling update: there is no old task set to keep",
                         key=True)
        return 0
    if strategy.type == "blue-green":
        if "terminationWait" in settings:
            reader.error(("platform", "aws", "terminationWait"), "for a blue-green strategy the old version is kept "
                         "for strategy.preview.scaleDownDelay: set that instead", key=True)
        value_s, path = strategy.scale_down_delay_s, ("strategy", "preview", "scaleDownDelay")
        given = "scaleDownDelay" in raw_strategy.get("preview", {})
    else:
        value_s = seconds(reader.get(settings, ("platform", "aws"), "terminationWait", "5m"))
        path, given = ("platform", "aws", "terminationWait"), "terminationWait" in settings
    minutes = math.ceil(value_s / 60)
    if minutes > MAX_TERMINATION_WAIT_MIN:
        reader.error(path, f"CodeDeploy keeps the old version at most {MAX_TERMINATION_WAIT_MIN} minutes (2 days), "
                     f"and this asks for {human(value_s)}")
    elif minutes * 60 != value_s and given:
        reader.warn(path, f"CodeDeploy counts whole minutes: the old version is kept {human(minutes * 60)}, not "
                    f"{human(value_s)}", name="approximated-timing")
    return minutes


# ---------------------------------------------------------------------------- EC2 and ECS rolling


def _replicas(service) -> int:
    return max(1, service.min_replicas)


def _count(value, replicas: int, round_up: bool) -> int:
    """Instances in a maxSurge/maxUnavailable value: percentages round as Kubernetes rounds them."""
    if isinstance(value, int):
        return value
    share = int(str(value).rstrip("%")) * replicas / 100
    return math.ceil(share) if round_up else math.floor(share)


def _hosts(reader, strategy, service, raw_strategy: dict) -> MinimumHealthyHosts:
    one = MinimumHealthyHosts("HOST_COUNT", 1, "CodeDeployDefault.OneAtATime")
    if strategy.type in ("recreate", "blue-green"):
        return MinimumHealthyHosts("HOST_COUNT", 0, "CodeDeployDefault.AllAtOnce")
    unavailable = strategy.max_unavailable
    if "maxSurge" in raw_strategy and strategy.max_surge not in (0, "0%"):
        reader.warn(("strategy", "maxSurge"), "an EC2 in-place deployment updates instances where they are and adds "
                    "none: maxSurge has no effect", name="approximated-batches",
                    fix="remove maxSurge, or use blue-green")
    if unavailable in (0, "0%"):
        reader.warn(("strategy", "maxUnavailable") if "maxUnavailable" in raw_strategy else ("strategy", "type"),
                    "an EC2 in-place deployment takes each instance out of service while it is updated, so "
                    "maxUnavailable 0 cannot hold: shipgen uses CodeDeployDefault.OneAtATime (one instance at a time)",
                    name="approximated-batches",
                    fix="set strategy.maxUnavailable: 1, or use blue-green to keep full capacity")
        return one
    if isinstance(unavailable, str):
        percent = int(unavailable.rstrip("%"))
        if percent == 100:
            return MinimumHealthyHosts("HOST_COUNT", 0, "CodeDeployDefault.AllAtOnce")
        if percent == 50:
            return MinimumHealthyHosts("FLEET_PERCENT", 50, "CodeDeployDefault.HalfAtATime")
        return MinimumHealthyHosts("FLEET_PERCENT", 100 - percent, "")
    replicas = _replicas(service)
    if unavailable == 1:
        return one
    if unavailable >= replicas:
        return MinimumHealthyHosts("HOST_COUNT", 0, "CodeDeployDefault.AllAtOnce")
    return MinimumHealthyHosts("HOST_COUNT", replicas - unavailable, "")


def _rolling(strategy, service) -> RollingUpdate:
    if strategy.type == "recreate":
        return RollingUpdate(0, 100)
    replicas = _replicas(service)
    surge = _count(strategy.max_surge, replicas, round_up=True)
    unavailable = min(replicas, _count(strategy.max_unavailable, replicas, round_up=False))
    minimum = math.floor((replicas - unavailable) * 100 / replicas)
    maximum = 100 + math.ceil(surge * 100 / replicas)
    return RollingUpdate(minimum, max(maximum, minimum + 1))


def _fleet(reader, settings: dict, metadata, deployment: str) -> Ec2Fleet:
    raw = settings.get("ec2", {})
    groups = tuple(raw.get("autoScalingGroups", ()))
    tags = tuple(sorted(raw.get("tags", {}).items()))
    if not groups and not tags:
        reader.error(("platform", "aws"), "CodeDeploy on EC2 needs the instances: set platform.aws.ec2."
                     "autoScalingGroups or platform.aws.ec2.tags")
    if deployment == BLUE_GREEN and len(groups) != 1:
        reader.error(("platform", "aws", "ec2") if "ec2" in settings else ("platform", "aws"),
                     "EC2 blue-green makes the replacement fleet by copying one Auto Scaling group: set "
                     "platform.aws.ec2.autoScalingGroups to exactly one group",
                     fix="or use strategy.type rolling for an in-place deployment")
    if not settings.get("artifactBucket"):
        reader.error(("platform", "aws"), "CodeDeploy on EC2 takes the revision bundle from S3: set "
                     "platform.aws.artifactBucket")
    return Ec2Fleet(groups, tags, raw.get("installPath", f"/opt/{metadata.name}"))


# ---------------------------------------------------------------------------- ECS task and Lambda function


def mebibytes(quantity: str) -> int:
    """MiB in a Kubernetes memory quantity (`512Mi`, `1Gi`, `1G`, `268435456`), rounded up."""
    match = re.fullmatch(r"([0-9.]+)([EPTGMK]i?|[mk])?", quantity)
    if not match:
        return 0
    number, unit = float(match.group(1)), match.group(2) or ""
    factor = {"": 1, "m": 0.001, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
              "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}[unit]
    return math.ceil(number * factor / 2 ** 20)


def cpu_units(quantity: str) -> int:
    """ECS CPU units (1024 per vCPU) in a Kubernetes CPU quantity (`500m`, `0.25`, `2`)."""
    if quantity.endswith("m"):
        return math.ceil(int(quantity[:-1]) * 1024 / 1000)
    return math.ceil(float(quantity) * 1024)


def _ecs_task(reader, service) -> EcsTask:
    resources = service.resources
    cpu_quantity = resources.limit_cpu or resources.cpu
    memory_quantity = resources.limit_memory or resources.memory
    want_cpu = cpu_units(cpu_quantity) if cpu_quantity else 256
    want_memory = mebibytes(memory_quantity) if memory_quantity else 512
    for cpu, (low, high, step) in FARGATE_SIZES.items():
        if cpu < want_cpu or high < want_memory:
            continue
        choices = [512, 1024, 2048] if step is None else range(low, high + 1, step)
        memory = next(size for size in choices if size >= max(low, want_memory))
        break
    else:
        reader.error(("service", "resources"), f"no Fargate task size holds {want_cpu} CPU units and {want_memory} MiB "
                     "(the largest is 16 vCPU with 120 GiB)")
        return EcsTask(256, 512)
    if (cpu, memory) != (want_cpu, want_memory) and (cpu_quantity or memory_quantity):
        reader.warn(("service", "resources"), f"Fargate runs fixed task sizes: {want_cpu} CPU units and {want_memory} "
                    f"MiB become {cpu} CPU units ({cpu / 1024:g} vCPU) and {memory} MiB", name="approximated-resources")
    return EcsTask(cpu, memory)


def _function(reader, raw: dict, metadata, service, rollback) -> LambdaFunction:
    path = ("platform", "aws", "lambda")
    template = reader.get(raw, path, "template", "sam")
    runtime = raw.get("runtime", "")
    for key in ("runtime", "handler", "code"):
        if key in raw and template != "sam":
            reader.error(path + (key,), f"platform.aws.lambda.{key} applies to template: sam (the appspec form shifts "
                         "versions of a function published elsewhere)", key=True)
    for key in ("currentVersion", "targetVersion"):
        if key in raw and template != "appspec":
            reader.error(path + (key,), f"platform.aws.lambda.{key} applies to template: appspec (SAM publishes "
                         "versions itself)", key=True)
    if template == "sam" and runtime and not ("handler" in raw and "code" in raw):
        reader.error(path, "a zip-packaged function (runtime given) needs handler and code",
                     fix="or leave out runtime to run service.image as a container image function")
    if template == "sam" and not runtime and ("handler" in raw or "code" in raw):
        reader.error(path, "handler and code apply to a zip-packaged function: give runtime too",
                     fix="or leave them out to run service.image as a container image function")
    current, target = raw.get("currentVersion"), raw.get("targetVersion")
    if template == "appspec":
        if current is None or target is None:
            reader.error(path if raw else ("platform", "aws"), "the AppSpec form shifts the alias between two "
                         "published versions: set platform.aws.lambda.currentVersion and targetVersion")
        elif current == target:
            reader.error(path + ("targetVersion",), f"targetVersion equals currentVersion ({current}): there is no "
                         "traffic to shift (CodeDeploy fails such a deployment)")
    if template == "sam" and not rollback.automatic:
        reader.error(("rollback", "automatic"), "SAM always turns on CodeDeploy's automatic rollback (on failure, "
                     "alarm and stop); it cannot deploy without it",
                     fix="use platform.aws.lambda.template: appspec, or rollback.automatic: true")
    timeout_s = seconds(reader.get(raw, path, "timeout", "30s"))
    if not 1 <= timeout_s <= MAX_LAMBDA_TIMEOUT_S:
        reader.error(path + ("timeout",), "a Lambda invocation lasts 1 s to 15 min, and this asks for "
                     f"{human(timeout_s)}")
    return LambdaFunction(
        template=template,
        function_name=raw.get("functionName", f"{metadata.name}-{metadata.environment}")[:64],
        alias=reader.get(raw, path, "alias", "live"),
        runtime=runtime,
        handler=raw.get("handler", ""),
        code=raw.get("code", ""),
        timeout_s=timeout_s,
        architecture=reader.get(raw, path, "architecture", "x86_64"),
        memory_mib=_lambda_memory(reader, service),
        current_version=current,
        target_version=target,
    )


def ecr_repository(image: str) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repository>` of a private ECR image reference
    (tag or digest dropped), or "" when the image is not in a private ECR registry."""
    match = ECR_IMAGE.match(image)
    return match.group("repository") if match else ""


def _check_function_image(reader, function: LambdaFunction, service, region: str):
    """A container image function runs an image from a private ECR repository in its own region."""
    if function.template != "sam" or function.runtime:
        return
    match = ECR_IMAGE.match(service.image)
    if not match:
        reader.error(("service", "image"), f"a Lambda container image function runs images from a private Amazon ECR "
                     f"repository only, and {service.image!r} is not one", fix="push the image to ECR "
                     "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>), or give "
                     "platform.aws.lambda.runtime, handler and code for a zip-packaged function")
    elif region and match.group("region") != region:
        reader.error(("service", "image"), f"Lambda runs container images from an ECR repository in the function's "
                     f"region ({region}), and this image is in {match.group('region')}",
                     fix=f"replicate the image to ECR in {region}")


def _lambda_memory(reader, service) -> int:
    quantity = service.resources.limit_memory or service.resources.memory
    if not quantity:
        return 128
    memory = mebibytes(quantity)
    if memory > 10240:
        reader.error(("service", "resources"), f"a Lambda function has at most 10240 MiB, and this asks for {memory}")
    elif memory < 128:
        reader.warn(("service", "resources"), f"a Lambda function has at least 128 MiB: {memory} MiB becomes 128",
                    name="approximated-resources")
        return 128
    return memory


# ---------------------------------------------------------------------------- alarms from gates


def _alarms(reader, kind: str, metadata, gates, rollback, balancer: LoadBalancer, function) -> tuple:
    from ...queries import substitute
    from ...durations import prometheus_duration

    alarms = []
    for index, gate in enumerate(gates):
        if gate.name not in rollback.on:
            continue
        path = ("gates", index)
        source, expression = _alarm_source(reader, kind, gate, path, balancer)
        if not source:
            continue
        if source == "cloudwatch":
            release_like = _NameSpace(metadata)
            expression = substitute(gate.query, release_like, prometheus_duration(gate.window_s))
            _check_cloudwatch_query(reader, expression, path + ("query",))
        period_s = max(60, math.ceil(gate.window_s / 60) * 60)
        if period_s != gate.window_s and "window" in reader.document.data["gates"][index]:
            reader.warn(path + ("window",), "CloudWatch alarms evaluate whole minutes: the window "
                        f"{human(gate.window_s)} becomes {human(period_s)}", name="approximated-gate")
        bounds = [(suffix, comparison, value) for suffix, comparison, value in
                  (("max", "GreaterThanThreshold", gate.max), ("min", "LessThanThreshold", gate.min))
                  if value is not None]
        if not bounds:
            reader.warn(path, f"gate {gate.name} has no min or max, so no alarm can stop the deployment on it",
                        name="gate-not-watched")
        for suffix, comparison, value in bounds:
            threshold = value / 1000 if source == "alb-latency" else value
            bound = suffix if len(bounds) > 1 else ""
            name = f"{metadata.name}-{metadata.environment}-{gate.name}" + (f"-{bound}" if bound else "")
            alarms.append(Alarm(name, gate.name, source, expression, comparison, float(threshold), period_s,
                                rollback.max_failed_checks + 1, gate.percentile, bound))
    return tuple(alarms)


class _NameSpace:
    """What `queries.substitute` reads of a release, before the Release exists."""

    def __init__(self, metadata):
        self.name = metadata.name
        self.namespace = metadata.namespace


def _alarm_source(reader, kind: str, gate, path: tuple, balancer: LoadBalancer) -> tuple:
    if gate.provider == "cloudwatch":
        return "cloudwatch", gate.query
    built_in = gate.provider == "prometheus" and gate.query is None and gate.metric in ("error-rate", "latency")
    replacement = ""
    if built_in and kind == "aws-lambda":
        replacement = f"lambda-{gate.metric}"
        seen = "the function alias's share of failed invocations" if gate.metric == "error-rate" else \
            f"the function alias's p{gate.percentile:g} duration"
    elif built_in and balancer.listener:
        replacement = f"alb-{gate.metric}"
        seen = "the load balancer's share of 5xx responses" if gate.metric == "error-rate" else \
            f"the load balancer's p{gate.percentile:g} target response time"
    if replacement:
        reader.warn(path + ("provider",), f"CodeDeploy watches CloudWatch alarms, not Prometheus: gate {gate.name} "
                    f"becomes an alarm on {seen}, with the same threshold", name="approximated-gate", key=False,
                    fix="give the gate provider: cloudwatch and a query to choose the metric yourself")
        return replacement, ""
    reader.warn(path + ("provider",), f"gate {gate.name} ({gate.provider}) cannot become a CloudWatch alarm, so it "
                "does not stop or roll back the deployment on AWS; the runbook lists it for a person to watch",
                name="gate-not-watched", fix="give the gate provider: cloudwatch and a query"
                + ("" if kind == "aws-lambda" or balancer.listener else ", or set platform.aws.loadBalancer.listener "
                   "so that built-in gates can use the load balancer's metrics"))
    return "", ""


def _check_cloudwatch_query(reader, expression: str, path: tuple):
    """A JSON list of MetricDataQuery objects (as Flagger takes them) or one expression."""
    if not expression.lstrip().startswith("["):
        return
    try:
        queries = json.loads(expression)
    except ValueError as error:
        reader.error(path, f"this CloudWatch query starts like a JSON list of metric queries and is not valid JSON: "
                     f"{error}")
        return
    if not all(isinstance(item, dict) and isinstance(item.get("Id"), str) for item in queries) or not queries:
        reader.error(path, "a CloudWatch query list holds objects with an Id (MetricDataQuery, as for Flagger)")
        return
    returned = [item["Id"] for item in queries if item.get("ReturnData", True)]
    if len(returned) != 1:
        reader.error(path, f"exactly one metric query must return data (ReturnData), and {len(returned)} do",
                     fix='set "ReturnData": false on the queries the expression only reads')

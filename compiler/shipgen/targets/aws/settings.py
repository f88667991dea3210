"""The typed `platform.aws` settings, and the choices normalize makes once for the AWS targets.

`AwsPlatform` is what `normalize.aws_platform` makes of `platform.aws` plus the rest of the
spec: the settings as given (defaults applied), and the decisions that depend on what
CodeDeploy, ECS and Lambda can express (`../shared/docs/targets-cloud.md` §2, §3, §5):

- `shift`: the CodeDeploy traffic routing (ECS, Lambda) chosen for the spec's strategy: one
  canary step or equal linear steps, the nearest faithful form when the spec's steps have no
  exact equivalent (normalize warns, saying what changed);
- `hosts`: the minimum-healthy-hosts rule for EC2 (in-place batches, blue-green reroute);
- `rolling`: the ECS rolling update's percentages;
- `alarms`: the CloudWatch alarms built from the rollback gates.

Targets read these and never decide again. Every duration is whole seconds unless the name
says minutes (CodeDeploy counts whole minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

CODEDEPLOY = "codedeploy"  # CodeDeploy shifts traffic (ECS canary/blue-green, Lambda)
ECS_ROLLING = "ecs-rolling"  # the ECS deployment controller replaces tasks (circuit breaker, alarms)
IN_PLACE = "in-place"  # CodeDeploy updates EC2 instances where they are
BLUE_GREEN = "blue-green"  # CodeDeploy builds a replacement EC2 fleet and reroutes the load balancer


@dataclass(frozen=True)
class LoadBalancer:
    listener: str  # production listener ARN, "" when none
    test_listener: str  # "" when none
    target_groups: tuple  # ARNs; ECS blue/green: (serving now, the other)
    hostname: str  # "" = the load balancer's DNS name

    @property
    def load_balancer_dimension(self) -> str:
        """`app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension, from the listener ARN."""
        return "/".join(self.listener.split(":", 5)[5].split("/")[1:4]) if self.listener else ""


@dataclass(frozen=True)
class Roles:
    code_deploy: str  # each "" when the template creates it
    task_execution: str
    task: str
    function: str


@dataclass(frozen=True)
class EcsTask:
    cpu: int  # CPU units (1024 = 1 vCPU), a Fargate size
    memory_mib: int  # a Fargate size for that CPU


@dataclass(frozen=True)
class LambdaFunction:
    template: str  # sam | appspec
    function_name: str
    alias: str
    runtime: str  # "" = container image (service.image)
    handler: str
    code: str
    timeout_s: int
    architecture: str  # x86_64 | arm64
    memory_mib: int
    current_version: int | None  # appspec only
    target_version: int | None


@dataclass(frozen=True)
class Ec2Fleet:
    auto_scaling_groups: tuple
    tags: tuple  # ((key, value), ...) sorted; all must match
    install_path: str


@dataclass(frozen=True)
class TrafficShift:
    """A CodeDeploy `TrafficRoutingConfig` (ECS and Lambda)."""

    type: str  # AllAtOnce | TimeBasedCanary | TimeBasedLinear
    percentage: int  # canary: the first step; linear: the step; 100 for AllAtOnce
    interval_min: int  # minutes between shifts; 0 for AllAtOnce
    predefined: str  # the CodeDeployDefault.* name that is exactly this, or "" (a custom config is emitted)

    @property
    def steps(self) -> tuple:
        """((percent of traffic on the new version, seconds at that share), ...), ending at 100."""
        if self.type == "AllAtOnce":
            return ((100, 0),)
        if self.type == "TimeBasedCanary":
            return ((self.percentage, self.interval_min * 60), (100, 0))
        shares = list(range(self.percentage, 100, self.percentage))
        return tuple((share, self.interval_min * 60) for share in shares) + ((100, 0),)

    @property
    def total_s(self) -> int:
        """Time from the first shift to all traffic on the new version."""
        return sum(seconds for _, seconds in self.steps)


@dataclass(frozen=True)
class MinimumHealthyHosts:
    """An EC2/on-premises deployment configuration."""

    type: str  # HOST_COUNT | FLEET_PERCENT
    value: int
    predefined: str  # CodeDeployDefault.OneAtATime / HalfAtATime / AllAtOnce, or "" (custom)

    def instances_per_batch(self, instances: int) -> int:
        """How many instances an in-place deployment updates at once (§2.1, §2.2): OneAtATime one,
        HalfAtATime up to half (rounded down), AllAtOnce all; a custom rule as many as keep the
        minimum healthy (a fleet percentage is rounded up to instances)."""
        if self.predefined == "CodeDeployDefault.OneAtATime":
            return 1
        if self.predefined == "CodeDeployDefault.HalfAtATime":
            return max(1, instances // 2)
        if self.type == "FLEET_PERCENT":
            healthy = -(-instances * self.value // 100)
        else:
            healthy = self.value
        return min(instances, max(1, instances - healthy))


@dataclass(frozen=True)
class RollingUpdate:
    """ECS `DeploymentConfiguration` percentages for a rolling (or recreate) update."""

    minimum_healthy_percent: int
    maximum_percent: int


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch alarm that stops (and rolls back) a deployment, built from one rollback gate."""

    name: str  # the alarm's name (unique per account and region)
    gate: str  # the gate it comes from
    source: str  # cloudwatch | alb-error-rate | alb-latency | lambda-error-rate | lambda-latency
    expression: str  # cloudwatch: the gate's query (metric math, Metrics Insights SQL or a JSON query list)
    comparison: str  # GreaterThanThreshold | LessThanThreshold
    threshold: float  # in the metric's own unit (ALB latency in seconds, Lambda duration in ms)
    period_s: int  # a multiple of 60
    evaluation_periods: int  # breaching periods in a row that set it off: rollback.maxFailedChecks + 1
    percentile: float  # latency only
    bound: str  # "max" or "min" when the gate has both (two alarms), else ""

    @property
    def bound_text(self) -> str:
        return ("above " if self.comparison == "GreaterThanThreshold" else "below ") + f"{self.threshold:g}"


@dataclass(frozen=True)
class AwsPlatform:
    region: str
    stack_name: str
    deployment: str  # CODEDEPLOY | ECS_ROLLING | IN_PLACE | BLUE_GREEN
    cluster: str
    subnets: tuple
    security_groups: tuple
    assign_public_ip: bool
    load_balancer: LoadBalancer
    roles: Roles
    artifact_bucket: str
    task: EcsTask | None  # aws-ecs
    function: LambdaFunction | None  # aws-lambda
    fleet: Ec2Fleet | None  # aws-ec2
    shift: TrafficShift | None  # CodeDeploy on ECS and Lambda
    hosts: MinimumHealthyHosts | None  # aws-ec2
    rolling: RollingUpdate | None  # aws-ecs rolling/recreate
    alarms: tuple  # of Alarm
    termination_wait_min: int  # ECS canary/blue-green, EC2 blue-green: minutes the old version is kept
    ready_wait_min: int  # > 0: a person must continue the deployment within this many minutes (approval)
    analysis_checks: int  # blue-green: alarm checks after the switch, by the AfterAllowTraffic hook
    analysis_interval_s: int

    @property
    def alarm_names(self) -> tuple:
        return tuple(alarm.name for alarm in self.alarms)

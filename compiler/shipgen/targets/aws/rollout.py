"""The rollout model of a CodeDeploy (ECS, Lambda, EC2) or ECS rolling deployment, read from the
`AwsPlatform` settings the emitted templates, AppSpecs and hooks are made from
(`targets-cloud.md` §1-§5, §14).

The platform's rules, as the model encodes them (t = 0 is the start of the deployment):
- CodeDeploy on ECS: the replacement task set starts; the lifecycle hooks run in order
  (AfterInstall waits `service.warmup`, AfterAllowTestTraffic runs the smoke tests through the
  test listener); with an approval the deployment waits for a person (DeploymentReadyOption
  STOP_DEPLOYMENT: an unanswered wait stops it, so the old version keeps the traffic); then
  the TimeBased canary/linear shift holds each share for its interval, and AfterAllowTraffic
  runs the smoke tests through the production listener and, for blue-green, checks the alarms
  `analysis_checks` times, `analysis_interval_s` apart, while the old task set waits;
- CodeDeploy on Lambda: BeforeAllowTraffic invokes the new version (smoke tests), the alias
  shifts like ECS's listeners, AfterAllowTraffic as on ECS;
- CodeDeploy on EC2: in place, instances are updated in batches that keep the minimum healthy
  hosts, the first batch's ValidateService smoke tests decide the deployment; blue/green, the
  replacement fleet starts and is validated, (approval), then the load balancer moves;
- the ECS rolling update replaces tasks within MinimumHealthyPercent / MaximumPercent;
- a CloudWatch alarm judges one period of the traffic at a time and goes to ALARM after
  `evaluation_periods` breaching periods in a row; CodeDeploy (or ECS) stops the deployment at
  once and, with automatic rollback, rolls it back (without, the deployment just stops).
  Missing data counts as not breaching, so a metric that cannot be read never sets an alarm
  off. Alarms judge from the first shift of traffic until the deployment ends, which for ECS
  and EC2 blue/green is after `terminationWait`: the old version is kept, the deployment is
  still in progress, and a rollback is instant (§3);
- the ECS rolling update watches its alarms for a while after steady state (ECS derives the
  time from the alarms: here one alarm's periods x evaluation periods, the longest).
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import (ALARM, AS_PASS, PASSES, PERSON, READY, ROLLBACK, SMOKE, STOP, TIMER, Check, Phase,
                              Rollback, Rollout)
from ..kubernetes.rollout import rolling_waves
from .settings import ECS_ROLLING, IN_PLACE, AwsPlatform


def rollout(release: Release) -> Rollout:
    return _Builder(release, release.platform.aws).build()


class _Builder:
    """Adds the phases in the order the platform runs them, then the alarm checks over the phases
    where the new version serves."""

    def __init__(self, release: Release, aws: AwsPlatform):
        self.release, self.aws = release, aws
        self.phases: list = []
        self.checks: list = []
        self.on_failure = ROLLBACK if release.rollback.automatic else STOP  # without rollback: stopped
        self.smoke_tests = tuple(test.name for test in release.smoke)

    def add(self, name: str, weight: float, ends: str, **fields) -> int:
        self.phases.append(Phase(name, weight, ends, **fields))
        return len(self.phases) - 1

    def smoke(self, name: str, weight: float, measured_by: str, tests: tuple | None = None):
        """A phase that lasts as long as one run of the smoke tests (which answer at once)."""
        tests = self.smoke_tests if tests is None else tests
        if not tests:
            return
        index = self.add(name, weight, PASSES, passes=1, gating_check=name, spec_path=("smoke",))
        self.checks.append(Check(name, SMOKE, tests, measured_by, index, index, interval_s=1, first_s=0, count=1,
                                 on_failure=self.on_failure, spec_path=("smoke",),
                                 rule="a failed hook fails the deployment"))

    def approval(self, weight: float):
        wait_s = self.aws.ready_wait_min * 60
        if wait_s:
            self.add("waiting for approval (ready wait)", weight, PERSON,
                     waits_for=f"approval: `aws deploy continue-deployment` within {human(wait_s)}, or the "
                               "deployment stops and the old version keeps the traffic",
                     timeout_s=wait_s, on_timeout="rollback", spec_path=("strategy", "approval"))

    def shift(self) -> None:
        """The TimeBased canary/linear shares below 100%, each held for its interval."""
        from_spec = not any(path == "strategy.steps" for path, _ in self.release.defaults)
        for index, (share, hold_s) in enumerate(self.aws.shift.steps[:-1]):
            path = ("strategy", "steps", index) if from_spec and index < len(self.release.strategy.steps) \
                else ("strategy", "type")
            self.add(f"{share}% for {human(hold_s)}", share, TIMER, duration_s=hold_s, spec_path=path)

    def after_allow_traffic(self, measured_by: str, analysed: bool):
        """The AfterAllowTraffic hook at 100%: the smoke tests, then (blue-green) the alarm checks."""
        self.smoke("smoke tests (production)", 100, measured_by)
        checks = max(1, self.aws.analysis_checks) if analysed else 1
        hold_s = (checks - 1) * self.aws.analysis_interval_s
        if hold_s:
            self.add(f"100%: the hook checks the alarms {checks} times, {human(self.aws.analysis_interval_s)} apart",
                     100, TIMER, duration_s=hold_s, spec_path=("strategy", "iterations"))

    def termination_wait(self):
        """The old version is kept `terminationWait` after the switch; the deployment is still in
        progress, so its alarms still stop it and the rollback is instant."""
        wait_s = self.aws.termination_wait_min * 60
        path = ("strategy", "preview", "scaleDownDelay") if self.release.strategy.type == "blue-green" \
            else ("platform", "aws", "terminationWait")  # where normalize reads it from
        if wait_s:
            self.add(f"100%: the old version is kept for {human(wait_s)} (terminationWait)", 100, TIMER,
                     duration_s=wait_s, spec_path=path)

    def alarms(self, first_phase: int, last_phase: int):
        for alarm in self.aws.alarms:
            self.checks.append(Check(
                alarm.name, ALARM, (alarm.gate,),
                f"CloudWatch alarm {alarm.name} ({alarm.evaluation_periods} periods of {human(alarm.period_s)})",
                first_phase, last_phase, interval_s=alarm.period_s, first_s=alarm.period_s,
                failure_limit=alarm.evaluation_periods - 1, consecutive=True, on_provider_error=AS_PASS,
                on_failure=self.on_failure, sample_s=alarm.period_s, spec_path=("gates",),
                rule="ALARM after evaluation periods breaching in a row (TreatMissingData: notBreaching)"))

    # ------------------------------------------------------------------ per platform

    def build(self) -> Rollout:
        kind, deployment = self.release.platform.kind, self.aws.deployment
        if kind == "aws-ecs" and deployment == ECS_ROLLING:
            controller, rollback = self.ecs_rolling()
        elif kind == "aws-ecs":
            controller, rollback = self.ecs_code_deploy()
        elif kind == "aws-lambda":
            controller, rollback = self.lambda_alias()
        elif deployment == IN_PLACE:
            controller, rollback = self.ec2_in_place()
        else:
            controller, rollback = self.ec2_blue_green()
        assumptions = (
            "Instances and hooks start at once unless --startup says otherwise; smoke tests answer at once.",
            "A CloudWatch alarm goes to ALARM after its evaluation periods breach in a row, each one alarm period "
            "of traffic; CodeDeploy reacts at once. Missing data (the metric cannot be read) is not breaching.",
            "Alarms judge from the first shift of traffic until the deployment ends (after terminationWait, "
            "while the old version is kept).",
        )
        return Rollout(controller, tuple(self.phases), tuple(self.checks), rollback, "the start of the deployment",
                       assumptions, self.release.service.requests_per_second,
                       automatic=self.on_failure == ROLLBACK and bool(self.checks))

    def ecs_code_deploy(self) -> tuple:
        self.add("replacement task set starting", 0, READY, spec_path=("service", "replicas"))
        warmup_s = min(self.release.service.warmup_s, 600)
        if warmup_s:
            self.add(f"AfterInstall hook: {human(warmup_s)} warm-up", 0, TIMER, duration_s=warmup_s,
                     spec_path=("service", "warmup"))
        if self.aws.load_balancer.test_listener:
            self.smoke("smoke tests (test listener)", 0, "CodeDeploy hook AfterAllowTestTraffic")
        self.approval(0)
        first = len(self.phases)
        self.shift()
        self.after_allow_traffic("CodeDeploy hook AfterAllowTraffic", analysed=self.release.strategy.type ==
                                 "blue-green")
        self.termination_wait()
        self.alarms(first, len(self.phases) - 1)
        return (f"CodeDeploy ECS {self.shift_name()}",
                Rollback("CodeDeploy reroutes the listeners to the original task set",
                         cleanup="the replacement task set is removed"))

    def lambda_alias(self) -> tuple:
        self.smoke("BeforeAllowTraffic hook: smoke tests invoke the new version", 0,
                   "CodeDeploy hook BeforeAllowTraffic")
        first = len(self.phases)
        self.shift()
        self.after_allow_traffic("CodeDeploy hook AfterAllowTraffic", analysed=self.release.strategy.type ==
                                 "blue-green")
        self.alarms(first, len(self.phases) - 1)
        return (f"CodeDeploy Lambda {self.shift_name()}",
                Rollback("CodeDeploy points the alias back at the previous version"))

    def ecs_rolling(self) -> tuple:
        rolling = self.aws.rolling
        replicas = max(1, self.release.service.min_replicas)
        surge = replicas * rolling.maximum_percent // 100 - replicas
        unavailable = replicas - -(-replicas * rolling.minimum_healthy_percent // 100)
        for index, (new, old) in enumerate(rolling_waves(replicas, surge, max(unavailable, 0 if surge else 1))):
            self.add(f"wave {index + 1}: {new} new and {old} old tasks running", _share(new, old), READY,
                     spec_path=("strategy", "type"))
        watch_s = max((alarm.period_s * alarm.evaluation_periods for alarm in self.aws.alarms), default=0)
        if watch_s:  # ECS keeps watching the alarms after steady state, for a time it derives from them (§5)
            self.add(f"100%: ECS watches the alarms for {human(watch_s)}", 100, TIMER, duration_s=watch_s,
                     spec_path=("gates",))
        self.alarms(self.first_serving_phase(), len(self.phases) - 1)
        return ("ECS rolling update",
                Rollback("ECS redeploys the last completed service revision (its tasks start again: not instant)"))

    def ec2_in_place(self) -> tuple:
        replicas = max(1, self.release.service.min_replicas)
        waves = rolling_waves(replicas, 0, self.aws.hosts.instances_per_batch(replicas))
        for index, (new, old) in enumerate(waves):
            # each instance drains for service.drain (the ApplicationStop hook sleeps it), then starts
            self.add(f"batch {index + 1}: {new} updated and {old} old instances serving", _share(new, old), READY,
                     duration_s=self.release.service.drain_s, spec_path=("strategy", "type"))
            if index == 0:  # the first batch's hooks decide: a failed instance fails the deployment
                self.smoke("first batch: ValidateService smoke tests", _share(new, old),
                           "CodeDeploy hook ValidateService")
        self.alarms(self.first_serving_phase(), len(self.phases) - 1)
        return ("CodeDeploy EC2 in place",
                Rollback("CodeDeploy deploys the last good revision again (each instance is updated: not instant)"))

    def ec2_blue_green(self) -> tuple:
        self.add("replacement instances starting", 0, READY, spec_path=("service", "replicas"))
        self.smoke("replacement instances: ValidateService smoke tests", 0, "CodeDeploy hook ValidateService")
        self.approval(0)
        first = len(self.phases)
        self.after_allow_traffic("CodeDeploy hook AfterAllowTraffic", analysed=False)
        self.termination_wait()
        if first == len(self.phases):  # neither smoke tests nor a wait: the switch itself
            self.add("load balancer rerouted", 100, TIMER)
        self.alarms(first, len(self.phases) - 1)
        return ("CodeDeploy EC2 blue/green",
                Rollback("CodeDeploy reroutes the load balancer to the original instances"))

    # ------------------------------------------------------------------ helpers

    def shift_name(self) -> str:
        return {"TimeBasedCanary": "canary", "TimeBasedLinear": "linear"}.get(self.aws.shift.type, "all at once")

    def first_serving_phase(self) -> int:
        return next((index for index, phase in enumerate(self.phases) if phase.weight), len(self.phases) - 1)


def _share(new: int, old: int) -> float:
    total = new + old
    return round(100 * new / total, 1) if total else 0


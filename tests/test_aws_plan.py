"""What normalize decides for AWS once: the CodeDeploy traffic shift nearest to the spec's
steps (and the warnings saying what changed), EC2 host batches, ECS rolling percentages, Fargate
sizes, alarms from gates, and the located errors where nothing faithful exists."""

from __future__ import annotations

import pytest

from aws_support import EC2, ECS, LAMBDA, check, errors, release_of, spec, warnings


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Specs are named relative to tmp_path, so outputs do not depend on the machine."""
    monkeypatch.chdir(tmp_path)


def shift_of(tmp_path, platform, strategy):
    release = release_of(tmp_path, spec(platform, strategy=strategy))
    return release.platform.aws.shift


# ---------------------------------------------------------------------------- exact configurations


@pytest.mark.parametrize("platform, strategy, expected", [
    (ECS, {"type": "canary", "steps": [{"weight": 10, "pause": "5m"}]},
     ("TimeBasedCanary", 10, 5, "CodeDeployDefault.ECSCanary10Percent5Minutes")),
    (ECS, {"type": "canary", "steps": [{"weight": 10, "pause": "15m"}]},
     ("TimeBasedCanary", 10, 15, "CodeDeployDefault.ECSCanary10Percent15Minutes")),
    (ECS, {"type": "canary", "steps": list(range(10, 100, 10)), "interval": "3m"},
     ("TimeBasedLinear", 10, 3, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes")),
    (ECS, {"type": "blue-green"}, ("AllAtOnce", 100, 0, "CodeDeployDefault.ECSAllAtOnce")),
    (LAMBDA, {"type": "canary", "steps": [{"weight": 10, "pause": "30m"}]},
     ("TimeBasedCanary", 10, 30, "CodeDeployDefault.LambdaCanary10Percent30Minutes")),
    (LAMBDA, {"type": "canary", "steps": list(range(10, 100, 10)), "interval": "1m"},
     ("TimeBasedLinear", 10, 1, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")),
    (LAMBDA, {"type": "rolling"}, ("AllAtOnce", 100, 0, "CodeDeployDefault.LambdaAllAtOnce")),
    # no predefined configuration: a custom one with the spec's own numbers
    (ECS, {"type": "canary", "steps": [{"weight": 5, "pause": "20m"}]}, ("TimeBasedCanary", 5, 20, "")),
    (ECS, {"type": "canary", "steps": [25, 50, 75], "interval": "4m"}, ("TimeBasedLinear", 25, 4, "")),
    (LAMBDA, {"type": "canary", "steps": [{"weight": 10, "pause": "7m"}]}, ("TimeBasedCanary", 10, 7, "")),
])
def test_steps_codedeploy_can_express_are_kept_exactly(tmp_path, platform, strategy, expected):
    release, diagnostics = check(tmp_path, spec(platform, strategy=strategy))
    assert errors(diagnostics) == []
    assert warnings(diagnostics, "approximated-steps") == []
    shift = release.platform.aws.shift
    assert (shift.type, shift.percentage, shift.interval_min, shift.predefined) == expected


def test_linear_steps_reach_every_share_of_the_spec_at_the_same_times(tmp_path):
    shift = shift_of(tmp_path, ECS, {"type": "canary", "steps": [20, 40, 60, 80], "interval": "2m"})
    assert shift.steps == ((20, 120), (40, 120), (60, 120), (80, 120), (100, 0))
    assert shift.total_s == 4 * 120


# ---------------------------------------------------------------------------- nearest faithful


def test_uneven_steps_become_one_canary_at_the_first_share_for_the_whole_time(tmp_path):
    release, diagnostics = check(tmp_path, spec(ECS, strategy={"type": "canary", "steps": [1, 10, 50],
                                                                "interval": "2m"}))
    shift = release.platform.aws.shift
    assert (shift.type, shift.percentage, shift.interval_min) == ("TimeBasedCanary", 1, 6)
    assert shift.steps == ((1, 360), (100, 0))
    (warning,) = warnings(diagnostics, "approximated-steps")
    assert warning.code == "SG004" and warning.spec_path == ("strategy", "steps")
    assert "not 1% → 10% → 50% → 100%" in warning.message
    assert "one canary step of 1% for 6 min" in warning.message
    assert "the steps 10%, 50% are dropped" in warning.message


def test_the_default_steps_are_approximated_and_the_warning_points_at_the_strategy(tmp_path):
    release, diagnostics = check(tmp_path, spec(LAMBDA, strategy={"type": "canary"}))  # default [1, 10, 50], 1m
    shift = release.platform.aws.shift
    assert (shift.type, shift.percentage, shift.interval_min, shift.predefined) == ("TimeBasedCanary", 1, 3, "")
    (warning,) = warnings(diagnostics, "approximated-steps")
    assert warning.spec_path == ("strategy", "type")


def test_equal_shares_with_unequal_pauses_are_not_linear(tmp_path):
    steps = [{"weight": 25, "pause": "1m"}, {"weight": 50, "pause": "5m"}, {"weight": 75, "pause": "1m"}]
    release, diagnostics = check(tmp_path, spec(ECS, strategy={"type": "canary", "steps": steps}))
    shift = release.platform.aws.shift
    assert (shift.type, shift.percentage, shift.interval_min) == ("TimeBasedCanary", 25, 7)
    assert len(warnings(diagnostics, "approximated-steps")) == 1


def test_pauses_round_up_to_whole_minutes_with_a_warning(tmp_path):
    release, diagnostics = check(tmp_path, spec(ECS, strategy={"type": "canary",
                                                                "steps": [{"weight": 10, "pause": "90s"}]}))
    assert release.platform.aws.shift.interval_min == 2
    (warning,) = warnings(diagnostics, "approximated-steps")
    assert "1 min 30 s becomes 2 min" in warning.message


def test_a_canary_approval_before_promotion_moves_before_the_first_step(tmp_path):
    strategy = {"type": "canary", "steps": [{"weight": 10, "pause": "5m"}],
                "approval": {"before": "promotion", "timeout": "45m", "onTimeout": "rollback"}}
    release, diagnostics = check(tmp_path, spec(ECS, strategy=strategy))
    assert release.platform.aws.ready_wait_min == 45
    (warning,) = warnings(diagnostics, "approximated-approval")
    assert warning.spec_path == ("strategy", "approval", "before")


def test_blue_green_checks_after_the_switch_are_capped_by_one_hook_run(tmp_path):
    release, diagnostics = check(tmp_path, spec(ECS, strategy={"type": "blue-green", "iterations": 30,
                                                                "interval": "1m"}))
    aws = release.platform.aws
    assert (aws.analysis_checks, aws.analysis_interval_s) == (15, 60)  # 14 min between the first and the last
    assert "30 checks every 1 min become 15" in warnings(diagnostics, "approximated-analysis")[0].message


# ---------------------------------------------------------------------------- nothing faithful: errors


@pytest.mark.parametrize("platform, changes, path, words", [
    (ECS, {"strategy": {"type": "ab-test", "match": [{"header": {"name": "x-beta", "exact": "1"}}]}},
     ("strategy", "type"), "route requests by header"),
    (LAMBDA, {"strategy": {"type": "shadow"}}, ("strategy", "type"), "mirror traffic"),
    (EC2, {"strategy": {"type": "canary"}}, ("strategy", "type"), "does not shift shares"),
    (ECS, {"strategy": {"type": "blue-green", "approval": {"timeout": "1h", "onTimeout": "promote"}}},
     ("strategy", "approval", "onTimeout"), "cannot promote on timeout"),
    (LAMBDA, {"strategy": {"type": "blue-green", "approval": {"timeout": "1h", "onTimeout": "rollback"}}},
     ("strategy", "approval"), "has no such wait"),
    (LAMBDA, {"rollback": {"automatic": False}}, ("rollback", "automatic"), "SAM always turns on"),
    (dict(LAMBDA, aws={"region": "eu-west-1", "lambda": {"template": "appspec", "currentVersion": 3,
                                                          "targetVersion": 3}}), {},
     ("platform", "aws", "lambda", "targetVersion"), "no traffic to shift"),
    (dict(LAMBDA, aws={"region": "eu-west-1", "lambda": {"template": "appspec"}}), {},
     ("platform", "aws", "lambda"), "currentVersion and targetVersion"),
    (dict(ECS, aws=dict(ECS["aws"], loadBalancer={"listener": ECS["aws"]["loadBalancer"]["listener"]})),
     {"strategy": {"type": "canary"}}, ("platform", "aws", "loadBalancer"), "two target groups"),
    (dict(ECS, aws=dict(ECS["aws"], loadBalancer=dict(ECS["aws"]["loadBalancer"], testListener=None))),
     {"strategy": {"type": "blue-green"}, "smoke": [{"name": "home", "http": {"path": "/"}}]},
     ("smoke", 0), "test listener"),
    (dict(ECS, aws=dict(ECS["aws"], terminationWait="3d")), {"strategy": {"type": "canary"}},
     ("platform", "aws", "terminationWait"), "at most 2880 minutes"),
    (dict(ECS, aws=dict(ECS["aws"], terminationWait="10m", loadBalancer={})), {"strategy": {"type": "rolling"}},
     ("platform", "aws", "terminationWait"), "no old task set"),
    (dict(LAMBDA, aws={"region": "eu-west-1", "cluster": "apps"}), {}, ("platform", "aws", "cluster"),
     "applies to aws-ecs"),
    (dict(EC2, aws=dict(EC2["aws"], ec2={"tags": {"Role": "api"}})), {"strategy": {"type": "blue-green"}},
     ("platform", "aws", "ec2"), "exactly one group"),
    ({"kind": "kubernetes", "aws": {"region": "eu-west-1"}}, {}, ("platform", "aws"), "applies to platform.kind"),
    ({"kind": "aws-ecs"}, {}, ("platform", "kind"), "needs platform.aws"),
])
def test_what_aws_cannot_do_is_a_located_error(tmp_path, platform, changes, path, words):
    platform = {key: value for key, value in platform.items() if value is not None}
    if "aws" in platform and isinstance(platform["aws"].get("loadBalancer"), dict):
        balancer = {k: v for k, v in platform["aws"]["loadBalancer"].items() if v is not None}
        platform = dict(platform, aws=dict(platform["aws"], loadBalancer=balancer))
    release, diagnostics = check(tmp_path, spec(platform, **changes))
    assert release is None
    matching = [d for d in errors(diagnostics) if words in d.message]
    assert matching, [d.message for d in diagnostics]
    assert matching[0].spec_path == path and matching[0].line > 0


def test_platform_aws_is_a_closed_object(tmp_path):
    release, diagnostics = check(tmp_path, spec(dict(ECS, aws=dict(ECS["aws"], clusterName="apps"))))
    assert release is None
    assert any("clusterName" in d.message for d in errors(diagnostics))


# ---------------------------------------------------------------------------- EC2, ECS rolling, Fargate


@pytest.mark.parametrize("strategy, expected, approximated", [
    ({"type": "rolling", "maxUnavailable": 1}, ("HOST_COUNT", 1, "CodeDeployDefault.OneAtATime"), False),
    ({"type": "rolling", "maxUnavailable": "50%"}, ("FLEET_PERCENT", 50, "CodeDeployDefault.HalfAtATime"), False),
    ({"type": "rolling", "maxUnavailable": "25%"}, ("FLEET_PERCENT", 75, ""), False),
    ({"type": "rolling", "maxUnavailable": 2}, ("HOST_COUNT", 2, ""), False),  # 4 replicas: keep 2
    ({"type": "rolling", "maxUnavailable": 9}, ("HOST_COUNT", 0, "CodeDeployDefault.AllAtOnce"), False),
    ({"type": "recreate"}, ("HOST_COUNT", 0, "CodeDeployDefault.AllAtOnce"), False),
    ({"type": "rolling"}, ("HOST_COUNT", 1, "CodeDeployDefault.OneAtATime"), True),  # maxUnavailable 0
])
def test_ec2_in_place_batches_follow_max_unavailable(tmp_path, strategy, expected, approximated):
    release, diagnostics = check(tmp_path, spec(EC2, strategy=strategy))
    hosts = release.platform.aws.hosts
    assert (hosts.type, hosts.value, hosts.predefined) == expected
    assert bool(warnings(diagnostics, "approximated-batches")) == approximated


@pytest.mark.parametrize("strategy, replicas, expected", [
    ({"type": "rolling", "maxSurge": "25%", "maxUnavailable": 0}, 4, (100, 125)),
    ({"type": "rolling", "maxSurge": "25%", "maxUnavailable": 0}, 2, (100, 150)),  # 25% of 2 rounds up to 1 task
    ({"type": "rolling", "maxSurge": 1, "maxUnavailable": 1}, 3, (66, 134)),
    ({"type": "recreate"}, 3, (0, 100)),
])
def test_ecs_rolling_percentages_keep_the_spec_task_counts(tmp_path, strategy, replicas, expected):
    release = release_of(tmp_path, spec(dict(ECS, aws=dict(ECS["aws"], loadBalancer={})), strategy=strategy,
                                        service={"replicas": replicas}))
    rolling = release.platform.aws.rolling
    assert (rolling.minimum_healthy_percent, rolling.maximum_percent) == expected
    # what ECS does with them: ceil(min% x n) healthy, floor(max% x n) running
    minimum_tasks = -(-rolling.minimum_healthy_percent * replicas // 100)
    maximum_tasks = rolling.maximum_percent * replicas // 100
    assert maximum_tasks > replicas or strategy["type"] == "recreate"
    assert minimum_tasks <= replicas


def test_fargate_size_rounds_up_to_a_valid_pair_with_a_warning(tmp_path):
    release, diagnostics = check(tmp_path, spec(ECS, service={"resources": {"cpu": "300m", "memory": "600Mi"}}))
    task = release.platform.aws.task
    assert (task.cpu, task.memory_mib) == (512, 1024)
    assert "become 512 CPU units (0.5 vCPU) and 1024 MiB" in warnings(diagnostics, "approximated-resources")[0].message


# ---------------------------------------------------------------------------- alarms from gates


def test_cloudwatch_gates_become_alarms_with_the_spec_numbers(tmp_path):
    gates = [{"name": "errors", "provider": "cloudwatch", "query": "SELECT SUM(E) FROM SCHEMA(\"A\", S) "
              "WHERE S = '{{service}}'", "max": 5, "min": 1, "window": "3m"}]
    release = release_of(tmp_path, spec(ECS, gates=gates, rollback={"maxFailedChecks": 3}))
    high, low = release.platform.aws.alarms
    assert (high.name, high.comparison, high.threshold) == ("api-staging-errors-max", "GreaterThanThreshold", 5.0)
    assert (low.name, low.comparison, low.threshold) == ("api-staging-errors-min", "LessThanThreshold", 1.0)
    assert high.period_s == 180 and high.evaluation_periods == 4  # maxFailedChecks + 1
    assert high.expression.endswith("WHERE S = 'api'")  # {{service}} substituted


def test_prometheus_built_in_gates_become_load_balancer_alarms_with_a_warning(tmp_path):
    gates = [{"name": "latency", "metric": "latency", "percentile": 95, "max": 250, "window": "90s"}]
    release, diagnostics = check(tmp_path, spec(ECS, gates=gates))
    (alarm,) = release.platform.aws.alarms
    assert (alarm.source, alarm.threshold, alarm.percentile) == ("alb-latency", 0.25, 95)  # ms -> s
    assert alarm.period_s == 120
    names = {d.name for d in warnings(diagnostics)}
    assert {"approximated-gate"} <= names


def test_gates_nothing_on_aws_can_watch_are_warned_about_and_left_out(tmp_path):
    gates = [{"name": "custom", "query": "sum(rate(x[1m]))", "max": 1},
             {"name": "dd", "provider": "datadog", "query": "avg:x{*}", "max": 1},
             {"name": "info-only", "provider": "cloudwatch", "query": "SELECT 1", "max": 1}]
    release, diagnostics = check(tmp_path, spec(ECS, gates=gates, rollback={"on": ["custom", "dd"]}))
    assert release.platform.aws.alarms == ()
    unwatched = warnings(diagnostics, "gate-not-watched")
    assert [d.spec_path for d in unwatched] == [("gates", 0, "provider"), ("gates", 1, "provider")]


def test_a_bad_json_cloudwatch_query_is_a_located_error(tmp_path):
    gates = [{"name": "errors", "provider": "cloudwatch", "query": "[{\"Id\": \"a\", }]", "max": 1}]
    release, diagnostics = check(tmp_path, spec(ECS, gates=gates))
    assert release is None
    assert errors(diagnostics)[0].spec_path == ("gates", 0, "query")

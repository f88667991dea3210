"""The AWS rollout model against CodeDeploy's and ECS's documented semantics, on the golden
examples (targets-cloud.md §1-§5; the rules in targets/aws/rollout.py):

- t = 0 is the start of the deployment; new tasks and instances start at once here (--startup 0);
- ECS: AfterInstall waits `service.warmup`, AfterAllowTestTraffic runs the smoke tests through
  the test listener, an approval (DeploymentReadyOption STOP_DEPLOYMENT) waits for a person and
  stops the deployment when it times out; then the TimeBased shift, AfterAllowTraffic's smoke
  tests, and `terminationWait` with the old task set kept;
- a CloudWatch alarm looks at one period at a time and goes to ALARM after `evaluationPeriods`
  (rollback.maxFailedChecks + 1) breaching periods in a row, counted from the first shift of
  traffic; missing data (provider-down) is not breaching; CodeDeploy rolls back at once;
- smoke tests in a hook pass or fail at once; fail-from-start fails them first.
"""

from __future__ import annotations

from rollout_support import plans, summary
from shipgen.rollout.simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, PROVIDER_DOWN


LINEAR_WEIGHTS = tuple((10 + 120 * index, 10 * (index + 1)) for index in range(10))


def test_ecs_linear_catalog_edge():
    # warmup 10 s, smoke tests through the test listener at 10 s, then 10% more every 2 min:
    # 10% at 10 s ... 100% at 10 + 9 x 120 = 1090 s; the old task set is kept 15 min: done at 1990 s
    result = plans("aws-ecs-linear.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 1990, None, ((0, 0),) + LINEAR_WEIGHTS)
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 10, 10, ((0, 0),))  # the test-listener smoke tests
    # the alarm (2 min period, 2 evaluation periods) breaches at 130 and 250 s: ALARM, rolled back
    assert summary(result[FAIL_AT]) == ("rolled-back", 250, 130, ((0, 0), (10, 10), (130, 20), (250, 0)))
    # no data is not breaching: a metric nobody can read never stops the deployment
    assert summary(result[PROVIDER_DOWN]) == ("promoted", 1990, None, ((0, 0),) + LINEAR_WEIGHTS)


def test_ecs_canary_with_approval_payments_api():
    # warmup 20 s, smoke tests at 20 s, then the ready wait (1 h, STOP_DEPLOYMENT)
    result = plans("aws-ecs-canary.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 20, None, ((0, 0),))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 20, 20, ((0, 0),))
    # unanswered, the deployment stops after 1 h: the old version kept all the traffic
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 20 + 3600, None, ((0, 0),))
    approved = plans("aws-ecs-canary.yaml", approve_after_s=0)
    # 10% for 10 min from 20 s, 100% at 620 s, the old task set kept 30 min: done at 2420 s
    assert summary(approved[HEALTHY]) == ("promoted", 2420, None, ((0, 0), (20, 10), (620, 100)))
    # the errors alarm (1 min period, 3 evaluation periods) breaches at 80, 140, 200 s
    assert summary(approved[FAIL_AT]) == ("rolled-back", 200, 80, ((0, 0), (20, 10), (200, 0)))


def test_lambda_sam_thumbnails():
    # BeforeAllowTraffic smoke tests at 0 s, 10% for 5 min, 100% at 300 s (Lambda keeps no old fleet)
    result = plans("aws-lambda-sam.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 300, None, ((0, 10), (300, 100)))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 0, 0, ((0, 0),))
    # 1 min periods, 3 evaluation periods: 60, 120, 180 s
    assert summary(result[FAIL_AT]) == ("rolled-back", 180, 60, ((0, 10), (180, 0)))
    assert summary(result[PROVIDER_DOWN])[:2] == ("promoted", 300)


def test_lambda_appspec_webhooks():
    # 5% for 15 min; the alarm has 1 min periods and 2 evaluation periods: ALARM at 120 s
    result = plans("aws-lambda-appspec.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 900, None, ((0, 5), (900, 100)))
    assert summary(result[FAIL_FROM_START])[:2] == ("rolled-back", 0)
    assert summary(result[FAIL_AT]) == ("rolled-back", 120, 60, ((0, 5), (120, 0)))


def test_ecs_rolling_notifications():
    # 4 tasks, MinimumHealthyPercent 100, MaximumPercent 150: 2 extra tasks per wave. With tasks that
    # start at once the waves take no time; ECS then watches the alarm (5 min period x 3) for 15 min
    result = plans("aws-ecs-rolling.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 900, None, ((0, 100),))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 900, 300, ((0, 100), (900, 0)))
    # tasks that take 1 min to start: wave 1 (0 of 4 new) to 60 s, wave 2 (2 of 4 new: 50%) to 120 s,
    # then 15 min at 100%; the alarm counts from 60 s: 360, 660, 960 s
    slow = plans("aws-ecs-rolling.yaml", startup_s=60)
    assert summary(slow[HEALTHY]) == ("promoted", 120 + 900, None, ((0, 0), (60, 50), (120, 100)))
    assert summary(slow[FAIL_FROM_START]) == ("rolled-back", 960, 360, ((0, 0), (60, 50), (120, 100), (960, 0)))


def test_ec2_in_place_ledger_batch():
    # 6 instances, OneAtATime: 6 batches of 1, each drains 20 s (ApplicationStop) before it starts;
    # the first batch's ValidateService smoke tests decide
    result = plans("aws-ec2-in-place.yaml")
    weights = ((0, 0), (20, 20), (40, 40), (60, 60), (80, 80), (100, 100))
    assert summary(result[HEALTHY]) == ("promoted", 120, None, weights)
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 20, 20, ((0, 0),))
    # the alarm needs 3 periods of 2 min from the first updated instance (20 s): 380 s, after the
    # deployment has ended at 120 s, so a bad version that passes the smoke tests is rolled out in full
    assert summary(result[FAIL_AT]) == ("promoted", 120, None, weights)


def test_ec2_blue_green_reports():
    # the replacement fleet's smoke tests at 0 s, then the ready wait (30 min)
    result = plans("aws-ec2-blue-green.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 0, None, ((0, 0),))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 0, 0, ((0, 0),))
    approved = plans("aws-ec2-blue-green.yaml", approve_after_s=0)
    # rerouted at 0 s, production smoke tests, the original instances kept 1 h (scaleDownDelay)
    assert summary(approved[HEALTHY]) == ("promoted", 3600, None, ((0, 100),))
    # 1 min periods, 3 evaluation periods after the switch: rolled back at 180 s
    assert summary(approved[FAIL_AT]) == ("rolled-back", 180, 60, ((0, 100), (180, 0)))

"""Flagger's rollout model, simulated on every golden Flagger example, against timelines derived by
hand from the control loop in targets-k8s.md §1.7.

The rules the derivations use (t = 0 is the tick that detects the new revision, one tick =
analysis.interval):
- tick 1: the canary is ready (start-up 0 s); the pre-rollout hooks (smoke tests) run and, when
  they pass, the first step is taken in that same tick;
- every later tick runs the metrics; a failing tick adds one to failedChecks, and the rollback
  comes at the tick after failedChecks reaches threshold (= rollback.maxFailedChecks + 1);
  a failed pre-rollout hook counts the same way and is retried the next tick;
- canary: each passing tick moves to the next weight; the tick after the last weight promotes;
- blue/green: the pre-rollout tick is iteration 1; the tick that completes the iterations
  switches all live traffic (provider kubernetes: none), and one more passing tick promotes;
- A/B: the matched requests stay on the canary for `iterations` passing ticks, then promotion;
- promotion: the primary is ready one tick later (stepWeightPromotion adds a tick per further
  step back), and the next tick finalises (Succeeded).
"""

from __future__ import annotations

import pytest

from conftest import ROOT, release_from
from rollout_support import plans, summary
from shipgen.rollout.simulate import FAIL_FROM_START, HEALTHY, PROVIDER_DOWN, Scenario, simulate
from shipgen.targets import rollout_of


def test_canary_istio_storefront():
    # interval 2m, steps 5/25/50, threshold 3 (maxFailedChecks 2), smoke tests, an autoscaler
    # (stepWeightPromotion 25: the largest step taken), load test.
    result = plans("flagger-canary-istio.yaml")
    # healthy: ready + smoke + 5% at 2m; 25% at 4m; 50% at 6m; promote at 8m (the tick after 50%);
    # traffic back in 2 steps of 25 (ceil(50 / 25)): primary ready at 10m, second step at 12m;
    # finalised at 14m = 840 s. The new version serves all traffic from the promotion (8m).
    assert summary(result[HEALTHY]) == ("promoted", 840, None, ((0, 0), (120, 5), (240, 25), (360, 50), (480, 100)))
    # every check fails: the smoke tests fail at 2m, 4m, 6m (failedChecks 3), rollback at 8m
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 480, 120, ((0, 0),))
    # no metric can be read: each tick fails like a bad metric (no values found), from 4m; the
    # smoke tests pass at 2m (5%); failures at 4m, 6m, 8m; rollback at 10m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 600, 240, ((0, 0), (120, 5), (600, 0)))


def test_canary_gateway_api_search():
    # interval 2m, steps 10..50 (stepWeight 10, maxWeight 50), threshold 4, smoke tests, no autoscaler
    result = plans("flagger-canary-gateway-api.yaml")
    # healthy: 10% at 2m, 20% 4m, 30% 6m, 40% 8m, 50% 10m, promote 12m, primary ready 14m, Succeeded 16m
    assert summary(result[HEALTHY]) == ("promoted", 960, None,
                                        ((0, 0), (120, 10), (240, 20), (360, 30), (480, 40), (600, 50), (720, 100)))
    # smoke tests fail at 2m, 4m, 6m, 8m (failedChecks 4), rollback at 10m
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 600, 120, ((0, 0),))
    # metrics fail at 4m, 6m, 8m, 10m at 10%; rollback at 12m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 720, 240, ((0, 0), (120, 10), (720, 0)))
    assert result[PROVIDER_DOWN].exposure_percent_seconds == 10 * 600


def test_canary_with_approval_before_promotion_ledger():
    # interval 2m, steps 2/10/25/50, threshold 2, approval before promotion (30m, onTimeout rollback)
    result = plans("flagger-canary-approval.yaml")
    # healthy: 2% at 2m .. 50% at 8m; the tick after 50% (10m) asks for approval: the plan waits there
    healthy = result[HEALTHY]
    assert (healthy.outcome, healthy.end_s) == ("waiting", 600)
    assert "approval (phase WaitingPromotion)" in healthy.waiting_for
    # smoke tests fail at 2m and 4m: rollback at 6m
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 360, 120, ((0, 0),))
    # metrics unreadable at 4m and 6m at 2%: rollback at 8m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 480, 240, ((0, 0), (120, 2), (480, 0)))


def test_the_approval_is_noticed_on_ticks_and_times_out_at_the_end_of_the_wait():
    release = release_from(ROOT / "examples" / "flagger-canary-approval.yaml")
    rollout = rollout_of(release)
    # approved 5 min into the wait (10m): Flagger sees it at its next 2 min tick, 16m; the primary is
    # ready at 18m, traffic comes back in 2 steps (the second at 20m), Succeeded at 22m
    approved = simulate(rollout, Scenario(HEALTHY, approve_after_s=300))
    assert (approved.outcome, approved.end_s) == ("promoted", 22 * 60)
    # the 30 min timeout is 15 whole ticks: the timed rollback gate answers at 10m + 30m = 40m
    wait = next(phase for phase in rollout.phases if phase.ends == "person")
    assert wait.timeout_s == 30 * 60 and wait.on_timeout == "rollback"


def test_blue_green_without_a_router_pricing():
    # provider kubernetes, interval 1m, iterations 6, threshold 2, smoke tests
    result = plans("flagger-blue-green.yaml")
    # healthy: ready + smoke at 1m (iteration 1), iterations 2-6 and the switch tick at 2m..7m, one more
    # passing tick at 8m promotes (no router: traffic moves only with the promotion), primary ready at
    # 9m, Succeeded at 10m
    assert summary(result[HEALTHY]) == ("promoted", 600, None, ((0, 0), (480, 100)))
    # smoke tests fail at 1m and 2m: rollback at 3m, before any user traffic
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 180, 60, ((0, 0),))
    # metrics unreadable at 2m and 3m: rollback at 4m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 240, 120, ((0, 0),))


def test_ab_test_recommendations():
    # interval 1m, iterations 10, threshold 5, smoke tests
    result = plans("flagger-ab-test-istio.yaml")
    # healthy: matched requests on the canary from 1m; ten passing ticks 2m..11m; promoted at 11m,
    # primary ready at 12m, Succeeded at 13m
    assert summary(result[HEALTHY]) == ("promoted", 780, None, ((0, 0), (660, 100)))
    # smoke tests fail at 1m..5m: rollback at 6m
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 360, 60, ((0, 0),))
    # metrics unreadable at 2m..6m: rollback at 7m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 420, 120, ((0, 0),))


def test_shadow_catalog_read():
    # interval 1m, iterations 8, threshold 1 (maxFailedChecks 0), mirror 50% on Istio
    result = plans("flagger-shadow-istio.yaml")
    rollout = rollout_of(release_from(ROOT / "examples" / "flagger-shadow-istio.yaml"))
    assert [phase.mirrored for phase in rollout.phases if phase.mirrored] == [50]
    # healthy: mirrored from 1m, eight passing ticks 2m..9m switch all traffic at 9m, 10m promotes,
    # primary ready at 11m, Succeeded at 12m
    assert summary(result[HEALTHY]) == ("promoted", 720, None, ((0, 0), (540, 100)))
    # one failure is enough: smoke tests fail at 1m, rollback at 2m
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 120, 60, ((0, 0),))
    # metrics unreadable at 2m: rollback at 3m
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 180, 120, ((0, 0),))


@pytest.mark.parametrize("startup_s, ready_at_s", [(0, 120), (119, 120), (121, 240), (300, 360)])
def test_start_up_is_noticed_on_the_next_tick(startup_s, ready_at_s):
    rollout = rollout_of(release_from(ROOT / "examples" / "flagger-canary-istio.yaml"))
    plan = simulate(rollout, Scenario(HEALTHY, startup_s=startup_s))
    first_weight = next(t for t, share in plan.weights if share > 0)
    assert first_weight == ready_at_s
    # the primary's new pods start up too once promoted: both waits grow by the same whole ticks
    assert plan.end_s == 840 + 2 * (ready_at_s - 120)

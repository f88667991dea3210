"""The simulator's rules on small hand-built rollouts: phase endings, failure counting (added up or in
a row, shared counters), provider errors, reaction time, waits for a person, exposure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shipgen.rollout.model import (ALARM, AS_ERROR, AS_PASS, METRIC, NOTHING, PASSES, PERSON, SMOKE, TIMER, Check,
                                   Phase, Rollback, Rollout)
from shipgen.rollout.simulate import (FAIL_AT, FAIL_FROM_START, HEALTHY, PROVIDER_DOWN, Scenario,
                                      exposure_percent_seconds, simulate)


def rollout(phases, checks=(), rollback_s=0, rate=None) -> Rollout:
    return Rollout("test", tuple(phases), tuple(checks), Rollback("back", rollback_s), "the start", (), rate)


def timer(weight, seconds, name=""):
    return Phase(name or f"{weight}%", weight, TIMER, duration_s=seconds)


def metric(**fields) -> Check:
    values = dict(name="gate", kind=METRIC, judges=("gate",), measured_by="test", from_phase=0, to_phase=9,
                  interval_s=60, first_s=60)
    values.update(fields)
    return Check(**values)


def test_timers_end_in_order_and_the_last_one_promotes():
    plan = simulate(rollout([timer(10, 60), timer(50, 120)]), Scenario(HEALTHY))
    assert (plan.outcome, plan.end_s, plan.weights) == ("promoted", 180, ((0, 10), (60, 50), (180, 100)))
    assert plan.exposure_percent_seconds == 10 * 60 + 50 * 120


def test_failures_add_up_until_the_limit_is_exceeded_then_the_controller_reacts():
    model = rollout([timer(10, 600)], [metric(failure_limit=2, reaction_s=30)], rollback_s=5, rate=100)
    plan = simulate(model, Scenario(FAIL_AT, fail_at_s=0))
    # failures at 60, 120, 180 (the third exceeds 2); the controller acts at 210; traffic is back at 215
    assert (plan.outcome, plan.first_failed_check_s, plan.end_s) == ("rolled-back", 60, 215)
    assert plan.exposure_percent_seconds == 10 * 215
    assert plan.bad_requests == 100 * 0.10 * 215


def test_consecutive_failures_reset_on_a_pass():
    check = metric(kind=ALARM, failure_limit=1, consecutive=True)
    plan = simulate(rollout([timer(10, 600)], [check]), Scenario(FAIL_AT, fail_at_s=150))
    # 60, 120 pass; 180 fails (1 in a row), 240 fails (2 in a row > 1): rolled back at 240
    assert (plan.outcome, plan.end_s, plan.first_failed_check_s) == ("rolled-back", 240, 180)


def test_checks_sharing_a_counter_add_their_failures_together():
    smoke = metric(name="smoke", kind=SMOKE, counter="shared", failure_limit=1, from_phase=0, to_phase=0, first_s=0)
    gate = metric(counter="shared", failure_limit=1, from_phase=1, to_phase=1)
    model = rollout([Phase("smoke", 0, PASSES, passes=1, gating_check="smoke"), timer(10, 600)], [smoke, gate])
    plan = simulate(model, Scenario(FAIL_FROM_START))
    # the smoke test fails at 0 (1), is retried at 60 and fails again (2 > 1)
    assert (plan.outcome, plan.end_s) == ("rolled-back", 60)


def test_provider_errors_counted_apart_are_retried_sooner():
    check = metric(on_provider_error=AS_ERROR, error_limit=4, error_retry_s=10)
    plan = simulate(rollout([timer(20, 3600)], [check]), Scenario(PROVIDER_DOWN))
    # errors at 60, 70, 80, 90, 100: the fifth exceeds 4, 40 s after the first
    assert (plan.outcome, plan.end_s, plan.first_failed_check_s) == ("rolled-back", 100, None)


def test_an_ignored_provider_error_never_rolls_back():
    check = metric(on_provider_error=AS_PASS)
    plan = simulate(rollout([timer(20, 300)], [check]), Scenario(PROVIDER_DOWN))
    assert plan.outcome == "promoted"


def test_a_check_that_nothing_acts_on_is_only_reported():
    plan = simulate(rollout([timer(20, 300)], [metric(on_failure=NOTHING)]), Scenario(FAIL_FROM_START))
    assert plan.outcome == "promoted"
    assert any("nothing acts on it" in event.text for event in plan.events)


def test_a_counted_check_ends_its_phase_after_enough_passes():
    check = metric(count=3, from_phase=0, to_phase=0)
    model = rollout([Phase("analysis", 5, PASSES, passes=3, gating_check="gate")], [check])
    assert simulate(model, Scenario(HEALTHY)).end_s == 180


def test_a_wait_for_a_person():
    wait = Phase("approval", 25, PERSON, waits_for="a person", timeout_s=600, on_timeout="rollback")
    model = rollout([timer(5, 60), wait, timer(50, 60)], [metric(from_phase=0, to_phase=1)])
    healthy = simulate(model, Scenario(HEALTHY))
    assert (healthy.outcome, healthy.end_s, healthy.waiting_for) == ("waiting", 60, "a person")
    approved = simulate(model, Scenario(HEALTHY, approve_after_s=90))
    assert (approved.outcome, approved.end_s) == ("promoted", 60 + 90 + 60)
    # a bad version that passes until the wait: the metric fails during it (checks run while waiting)
    late = simulate(model, Scenario(FAIL_AT, fail_at_s=100))
    assert (late.outcome, late.end_s) == ("rolled-back", 120)
    # provider errors count as failures by default; an ignored one lets the wait time out
    quiet = rollout([timer(5, 60), wait], [metric(on_provider_error=AS_PASS)])
    timed_out = simulate(quiet, Scenario(PROVIDER_DOWN))
    assert (timed_out.outcome, timed_out.end_s) == ("rolled-back", 660)


@given(st.lists(st.tuples(st.integers(0, 1000), st.floats(0, 100)), min_size=1, max_size=8), st.integers(0, 2000))
def test_exposure_is_the_area_under_the_weights(points, end):
    points = sorted({t: share for t, share in points}.items())
    exposure = exposure_percent_seconds(points, end)
    assert 0 <= exposure <= 100 * end + 1e-6
    expected = sum(share * max(0, min(following, end) - t)
                   for (t, share), following in zip(points, [t for t, _ in points[1:]] + [end]))
    assert abs(exposure - expected) < 1e-6


def test_a_phase_held_until_healthy_outlasts_its_timer_while_checks_fail():
    # a script holds 60 s, checking every 30 s from the start; fail-at 45 s: the check at 60 s fails
    # (1 in a row, 1 tolerated), so the hold goes on; the check at 90 s fails too: rolled back then
    check = metric(kind=METRIC, from_phase=0, to_phase=0, interval_s=30, first_s=0, failure_limit=1,
                   consecutive=True)
    model = rollout([Phase("10%", 10, TIMER, duration_s=60, until_healthy=True)], [check])
    assert simulate(model, Scenario(HEALTHY)).end_s == 60
    plan = simulate(model, Scenario(FAIL_AT, fail_at_s=45))
    assert (plan.outcome, plan.end_s, plan.first_failed_check_s) == ("rolled-back", 90, 60)


def test_linear_retry_backoff_waits_longer_after_each_failure():
    # failures at 0, then 100 s later, then 200 s after that: the third exceeds 2 at 300 s
    check = metric(kind=SMOKE, from_phase=0, to_phase=0, interval_s=1, first_s=0, failure_limit=2, retry_wait_s=100)
    model = rollout([Phase("verify", 10, PASSES, passes=1, gating_check="gate")], [check])
    assert simulate(model, Scenario(FAIL_FROM_START)).end_s == 300


def test_a_check_that_stops_the_rollout_waits_for_a_person():
    from shipgen.rollout.model import STOP

    model = rollout([timer(10, 600)], [metric(on_failure=STOP)])
    plan = simulate(model, Scenario(FAIL_AT, fail_at_s=0))
    assert (plan.outcome, plan.end_s) == ("waiting", 60)
    assert "stopped" in plan.waiting_for and plan.weights == ((0, 10),)

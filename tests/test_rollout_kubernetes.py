"""The Kubernetes Deployment rollout model against the Deployment controller's arithmetic
(targets-k8s.md §3.1): at most replicas + maxSurge pods (percent rounded up), at least
replicas - maxUnavailable available (percent rounded down), a new pod available after start-up
plus minReadySeconds; nothing judges the new version, so every scenario rolls it out in full."""

from __future__ import annotations

import pytest

from conftest import ROOT, release_from
from shipgen.rollout.simulate import FAIL_FROM_START, HEALTHY, Scenario, simulate
from shipgen.targets import rollout_of
from shipgen.targets.kubernetes.rollout import rolling_waves


def test_checkout_keeps_full_capacity():
    # 6 replicas (the autoscaler's minimum), maxSurge 25% -> 2, maxUnavailable 0, minReadySeconds 30:
    # wave 1 starts 2 new pods (6 old serve), wave 2 stops 2 old and starts 2 more (2 of 6 ready
    # pods are new: 33.3%), wave 3 likewise (4 of 6: 66.7%); the last old pods stop at 3 x 30 s = 90 s
    rollout = rollout_of(release_from(ROOT / "examples" / "checkout.yaml"))
    healthy = simulate(rollout, Scenario(HEALTHY))
    assert (healthy.outcome, healthy.end_s) == ("promoted", 90)
    assert healthy.weights == ((0, 0), (30, 33.3), (60, 66.7), (90, 100))
    bad = simulate(rollout, Scenario(FAIL_FROM_START))
    assert (bad.outcome, bad.end_s, bad.first_failed_check_s) == ("promoted", 90, None)  # nothing judges it
    assert rollout.automatic is False and rollout.checks == ()
    # a slower start-up stretches every wave: 3 x (20 s + 30 s)
    assert simulate(rollout, Scenario(HEALTHY, startup_s=20)).end_s == 150


def test_invoice_worker_trades_capacity_for_speed():
    # 3 replicas, maxSurge 1, maxUnavailable 1, minReadySeconds 10: wave 1 stops 1 old pod and starts
    # 2 new ones (2 old serve), wave 2 stops the 2 old pods once those are ready and starts the third
    # (2 new serve: 100% of the ready pods); done at 2 x 10 s
    rollout = rollout_of(release_from(ROOT / "examples" / "invoice-worker.yaml"))
    healthy = simulate(rollout, Scenario(HEALTHY))
    assert (healthy.outcome, healthy.end_s, healthy.weights) == ("promoted", 20, ((0, 0), (10, 100)))
    assert simulate(rollout, Scenario(FAIL_FROM_START)).outcome == "promoted"


def test_recreate_orders_stops_everything_first():
    rollout = rollout_of(release_from(ROOT / "examples" / "orders" / "release.yaml"))
    (phase,) = rollout.phases
    assert phase.weight == 0 and "no pod serves" in phase.name
    release = release_from(ROOT / "examples" / "orders" / "release.yaml")
    plan = simulate(rollout, Scenario(HEALTHY, startup_s=45))
    # the new pods start (45 s) and stay ready minReadySeconds (service.warmup, its default here)
    assert (plan.outcome, plan.end_s) == ("promoted", 45 + release.service.warmup_s)
    assert release.service.warmup_s > 0


@pytest.mark.parametrize("replicas, surge, unavailable, waves", [
    (10, 1, 0, 10),  # one new pod at a time
    (10, 3, 0, 4),  # 3, 6, 9, 10
    (10, 0, 1, 10),
    (4, 4, 0, 1),  # everything at once
    (1, 1, 0, 1),
])
def test_wave_counts(replicas, surge, unavailable, waves):
    assert len(rolling_waves(replicas, surge, unavailable)) == waves

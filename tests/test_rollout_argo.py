"""The Argo Rollouts rollout model against the controller's documented semantics, on the golden
examples (targets-k8s.md §2.2-§2.8; the analysis controller's rules in argo/rollout.py):

- t = 0 is the first reconcile; scale-ups wait for the new pods: start-up (0 s here) plus
  minReadySeconds (the spec's warmup; 10 s when it gives none); with a router a setWeight is
  routed once its pods are available, without one the share is the new pods' share of the pods;
- `pause` lasts its duration; an inline analysis step runs `count` measurements, the first one
  `initialDelay` after the step starts (shipgen writes the interval there), so it lasts
  count x interval;
- background analysis starts with the step after the smoke tests (`startingStep`) and measures
  every `interval` until promotion; a metric fails once its failures exceed `failureLimit`
  (rollback.maxFailedChecks) and the rollout aborts at once;
- a provider error is measured again 10 s later; the 5th error in a row (consecutiveErrorLimit 4)
  errors the run: 40 s after the first error;
- smoke tests are Job metrics that pass or fail at once; fail-from-start fails them first.
"""

from __future__ import annotations

from conftest import ROOT, release_from
from rollout_support import plans, summary
from shipgen.rollout.simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, PROVIDER_DOWN, Scenario, simulate
from shipgen.targets import rollout_of


def test_canary_istio_billing_api():
    # 4 replicas, minReadySeconds 15 (warmup), steps 5% / 25% / 50% + 5 min, interval 1m, failureLimit 2.
    # setCanaryScale 1 pod: ready at 15 s, smoke tests pass; setWeight 5 (1 pod is enough), pause
    # 1 min -> 75 s; setWeight 25 (still 1 pod), pause 1 min -> 135 s; setWeight 50 needs 2 pods:
    # ready 150 s, routed then; pause 5 min -> 450 s; promotion scales to 4 pods: ready at 465 s.
    result = plans("argo-canary-istio.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 465, None, ((0, 0), (15, 5), (75, 25), (150, 50), (465, 100)))
    # the smoke tests fail at 15 s, before any user traffic: aborted then
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 15, 15, ((0, 0),))
    # background analysis from 15 s: measurements at 75, 135, 195 s; the third failure exceeds
    # failureLimit 2 -> aborted at 195 s, 2 min after the first failed check
    assert summary(result[FAIL_AT]) == ("rolled-back", 195, 75, ((0, 0), (15, 5), (75, 25), (150, 50), (195, 0)))
    # errors at 75, 85, 95, 105 and 115 s: the 5th in a row errors the run, 40 s after the first
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 115, None, ((0, 0), (15, 5), (75, 25), (115, 0)))


def test_canary_gateway_api_profile_api():
    # 5 replicas, minReadySeconds 10, steps 10 / 30 / 60 with 2 min pauses (the interval), failureLimit 1.
    # 1 pod ready at 10 s, smoke tests, 10% (1 pod) until 130 s; 30% needs 2 pods: routed at 140 s,
    # until 260 s; 60% needs 3 pods: 270 s to 390 s; 5 pods ready: promoted at 400 s
    result = plans("argo-canary-gateway-api.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 400, None, ((0, 0), (10, 10), (140, 30), (270, 60), (400, 100)))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 10, 10, ((0, 0),))
    # measurements at 130 and 250 s: the second failure exceeds failureLimit 1
    assert summary(result[FAIL_AT])[:3] == ("rolled-back", 250, 130)
    # errors at 130..170 s
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 170)


def test_canary_with_approval_tax_api():
    # 4 replicas, minReadySeconds 10, 10% for 4 min, 50% for 10 min, interval 2m, failureLimit 2,
    # approval before promotion (30 min, then rollback). 1 pod ready at 10 s, smoke tests; 10% until
    # 250 s; 50% needs 2 pods: routed at 260 s; paused until 860 s, where it waits for the approval
    result = plans("argo-canary-approval.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 860, None, ((0, 0), (10, 10), (260, 50)))
    assert summary(result[FAIL_FROM_START])[:2] == ("rolled-back", 10)
    # background analysis from 10 s: 130, 250, 370 s; the third failure aborts
    assert summary(result[FAIL_AT]) == ("rolled-back", 370, 130, ((0, 0), (10, 10), (260, 50), (370, 0)))
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 170)
    # approved 5 min into the wait: the canary scales to 4 pods (10 s) and is promoted
    approved = plans("argo-canary-approval.yaml", approve_after_s=300)[HEALTHY]
    assert (approved.outcome, approved.end_s) == ("promoted", 860 + 300 + 10)


def test_basic_canary_without_router_thumbnailer():
    # no router: the share is the pod ratio (4 replicas, maxSurge 1). 10% -> 1 new of 5 pods (20%),
    # 30% -> 1 of 4 (25%), 50% -> 2 of 4; minReadySeconds 10, pauses 1 min, failureLimit 1.
    # 1 pod ready at 10 s, smoke tests; 20% until 70 s; 25% (an old pod removed) until 130 s; 2 pods:
    # ready 140 s, until 200 s; 4 pods ready at 210 s
    result = plans("argo-canary-replicas.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 210, None, ((0, 0), (10, 20), (70, 25), (140, 50), (210, 100)))
    assert summary(result[FAIL_FROM_START])[:2] == ("rolled-back", 10)
    # background analysis from the smoke step (10 s): 70, 130 s
    assert summary(result[FAIL_AT])[:3] == ("rolled-back", 130, 70)
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 110)


def test_canary_linkerd_quotes():
    # 3 replicas, minReadySeconds 10, steps 20 / 40 / 80 with 30 s pauses, interval 30s, failureLimit 1.
    # 1 pod ready at 10 s; 20% until 40 s; 40% needs 2 pods: 50 s to 80 s; 80% needs 3: 90 s to 120 s;
    # the 3 pods are every replica already: promoted at 120 s
    result = plans("argo-canary-linkerd.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 120, None, ((0, 0), (10, 20), (50, 40), (90, 80), (120, 100)))
    assert summary(result[FAIL_AT]) == ("rolled-back", 70, 40, ((0, 0), (10, 20), (50, 40), (70, 0)))
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 80)  # errors at 40..80 s


def test_ab_test_feed_api():
    # 3 replicas at full size for the matching requests (setCanaryScale weight 100), minReadySeconds 10;
    # smoke tests at 10 s; an inline analysis of 8 measurements 1 min apart: 70..490 s; promoted at 490 s
    # (the canary is already full size). The share of users is unknown (only matching requests).
    result = plans("argo-ab-test.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 490, None, ((0, 0), (490, 100)))
    assert summary(result[FAIL_AT])[:3] == ("rolled-back", 190, 70)  # failureLimit 2: 70, 130, 190 s
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 110)


def test_shadow_search_ranker():
    # 10 replicas, 3 pods (30%) for the mirror, minReadySeconds 10; smoke tests at 10 s; 10 measurements
    # 1 min apart while 30% of requests are copied: 70..610 s; then 10 pods: ready at 620 s
    rollout = rollout_of(release_from(ROOT / "examples" / "argo-shadow.yaml"))
    assert [phase.mirrored for phase in rollout.phases] == [0, 0, 30, 0]
    result = plans("argo-shadow.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 620, None, ((0, 0), (620, 100)))
    assert summary(result[FAIL_AT])[:3] == ("rolled-back", 130, 70)  # failureLimit 1
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 110)


def test_blue_green_account_web():
    # 6 replicas, 2 preview pods, minReadySeconds 20 (warmup), interval 30s, 6 checks, failureLimit 1,
    # approval before promotion (15 min, then promote) in the same pre-promotion AnalysisRun as the
    # smoke tests and the checks under load. The preview is ready at 20 s; the checks measure at 50,
    # 80, ... 200 s while the approval waits.
    result = plans("argo-blue-green.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 20, None, ((0, 0),))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 20, 20, ((0, 0),))  # smoke tests first
    # a failing check aborts even while the approval is pending: 50 s, 80 s -> aborted at 80 s
    assert summary(result[FAIL_AT]) == ("rolled-back", 80, 50, ((0, 0),))
    assert summary(result[PROVIDER_DOWN])[:2] == ("rolled-back", 90)  # errors at 50..90 s
    # nobody answers: the approval Job lets it go on after 15 min (900 s from 20 s); the preview scales
    # to 6 pods (20 s), the active Service switches at 940 s and 6 post-promotion checks, 30 s apart,
    # end at 940 + 180 s
    timed_out = simulate(rollout_of(release_from(ROOT / "examples" / "argo-blue-green.yaml")),
                         Scenario(FAIL_AT, fail_at_s=10 ** 6))
    assert (timed_out.outcome, timed_out.end_s) == ("promoted", 20 + 900 + 20 + 180)

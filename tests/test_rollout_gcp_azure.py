"""The GCP and Azure rollout models against what the generated `rollout.sh` and Cloud Deploy do,
on the golden examples (targets-cloud.md §8-§14; the rules in targets/gcp_azure/rollout.py and
targets/gcp/rollout.py):

- rollout.sh: the new version starts with no traffic; a progressive rollout whose first step has
  traffic runs the smoke tests once at 0 %; each step sets its share, checks at once and every
  `strategy.interval` while it holds it, leaves only when its time is up and the last check
  passed, and rolls back at the failure in a row beyond rollback.maxFailedChecks; the built-in
  gates (Cloud Monitoring, Azure Monitor) are judged every interval while a share between 0 and
  100 % is held, their failures in a row counted apart; a metric that cannot be read fails
  (issue 13 item 6);
- Cloud Deploy: each canary phase deploys (plus the mesh's routeUpdateWait), runs the verify job
  when `verify` is on, then waits for the Automation's advance rule or a person; a failed job is
  retried (repairRolloutRule attempts, the n-th retry n x wait later), then rolled back.
"""

from __future__ import annotations

from rollout_support import plans, summary
from shipgen.rollout.simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, PROVIDER_DOWN


def test_cloud_run_catalog():
    # 5% for 2 min, 25% for 2 min, 50% for 10 min, interval 2m, maxFailedChecks 1
    result = plans("gcp-cloud-run-canary.yaml")
    weights = ((0, 5), (120, 25), (240, 50), (840, 100))
    assert summary(result[HEALTHY]) == ("promoted", 840, None, weights)
    # the 0 % check fails at 0 s, the script holds and checks again at 120 s: the second failure in a
    # row is one more than tolerated -> rolled back before any user traffic
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 120, 0, ((0, 0),))
    # the errors gate (Cloud Monitoring) is judged at 5 % an interval after the share is set: it fails
    # at 120 s and 240 s (the hold outlasts its timer while failing) -> rolled back from 5 % (issue 13 item 6)
    assert summary(result[FAIL_AT]) == ("rolled-back", 240, 120, ((0, 5), (240, 0)))
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 240, 120, ((0, 5), (240, 0)))


def test_container_apps_profiles():
    # 10% for 3 min, 50% for 3 min, interval 3m, maxFailedChecks 2: checks at 0, 180, 360 s fail
    result = plans("azure-container-apps-canary.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 360, None, ((0, 10), (180, 50), (360, 100)))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 360, 0, ((0, 0),))
    # the errors gate (Azure Monitor) fails at 180, 360, 540 s at 10 %: the third failure in a row rolls back
    assert summary(result[FAIL_AT]) == ("rolled-back", 540, 180, ((0, 10), (540, 0)))
    assert summary(result[PROVIDER_DOWN]) == ("rolled-back", 540, 180, ((0, 10), (540, 0)))


def test_app_service_web_portal():
    # the staging slot at 0 % for 5 min, checked every minute, then the swap waits for approval
    result = plans("azure-app-service-blue-green.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 300, None, ((0, 0),))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 120, 0, ((0, 0),))  # 0, 60, 120 s
    approved = plans("azure-app-service-blue-green.yaml", approve_after_s=0)
    assert summary(approved[HEALTHY]) == ("promoted", 300, None, ((0, 0), (300, 100)))


def test_traffic_manager_storefront_edge():
    # 10% for 10 min, 50% for 10 min (the weights give exactly those shares), interval 1m,
    # maxFailedChecks 2: the 0 % checks at 0, 60, 120 s fail
    result = plans("azure-traffic-manager-blue-green.yaml")
    assert summary(result[HEALTHY]) == ("promoted", 1200, None, ((0, 10), (600, 50), (1200, 100)))
    assert summary(result[FAIL_FROM_START]) == ("rolled-back", 120, 0, ((0, 0),))


def test_cloud_deploy_mesh_inventory():
    # GKE with a mesh: each deploy job waits routeUpdateWait (1 min). canary-10 deployed at 60 s, held
    # 10 min by the advance rule; canary-30 deployed at 720 s, advanced by a person (the approval).
    # No verify job: nothing judges it, so a bad version gets as far as a good one.
    result = plans("gcp-cloud-deploy-mesh.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 720, None, ((0, 0), (60, 10), (720, 30)))
    assert summary(result[FAIL_FROM_START]) == summary(result[HEALTHY])
    advanced = plans("gcp-cloud-deploy-mesh.yaml", approve_after_s=0)
    assert summary(advanced[HEALTHY]) == ("promoted", 780, None, ((0, 0), (60, 10), (720, 30), (780, 100)))


def test_cloud_deploy_canary_search():
    # prod requires approval; verify on; canary-10 for 5 min, canary-50 for 15 min; repair: 1 retry
    # after 5 min, then rollback
    result = plans("gcp-cloud-deploy-canary.yaml")
    assert summary(result[HEALTHY]) == ("waiting", 0, None, ((0, 0),))
    approved = plans("gcp-cloud-deploy-canary.yaml", approve_after_s=0)
    assert summary(approved[HEALTHY]) == ("promoted", 1200, None, ((0, 10), (300, 50), (1200, 100)))
    # the verify job fails at 0 s and its retry 5 min later: rolled back at 300 s
    assert summary(approved[FAIL_FROM_START]) == ("rolled-back", 300, 0, ((0, 10), (300, 0)))

"""Issue 13 (an audit of golden/ against the controllers' source): what the artifacts do must be
what the runbook says. Each test failed before its fix."""

from __future__ import annotations

from conftest import ROOT


def build(run_shipgen, tmp_path, example: str) -> dict:
    out = tmp_path / "out"
    result = run_shipgen("build", str(ROOT / "examples" / example), "-o", str(out))
    assert result.exit_code == 0, result.output
    return {path.relative_to(out).as_posix(): path.read_text() for path in out.rglob("*") if path.is_file()}


def gate_rows(runbook: str) -> dict:
    """The runbook's gate table: gate name -> its cells."""
    rows = {}
    table = runbook.split("| Gate | Measures |", 1)[1].split("\n\n", 1)[0]
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_item_5_a_kubernetes_deployment_rolls_nothing_back_by_itself(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "checkout.yaml")["production/checkout/RUNBOOK.md"]
    rows = gate_rows(runbook)
    assert set(rows) == {"error-rate", "latency-p99"}
    for cells in rows.values():
        # the Deployment evaluates no metric: a person acts on the gates named in rollback.on
        assert cells[-1] == "no: a person rolls back (rollback.on)"
        assert cells[2] == "prometheus, not evaluated by the controller"
    assert "**Nothing rolls back automatically.**" in runbook


def test_item_5_flagger_gates_do_roll_back_by_themselves(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "flagger-canary-istio.yaml")["production/storefront/RUNBOOK.md"]
    rows = gate_rows(runbook)
    assert rows and all(cells[-1] == "yes, by itself" for cells in rows.values())
    assert all(cells[2].startswith("Flagger metric checks") for cells in rows.values())


def test_item_8_the_flagger_approval_timeout_is_decided_at_the_end_of_the_wait(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "flagger-canary-approval.yaml")["production/ledger/RUNBOOK.md"]
    # 30 min is 15 whole 2 min ticks: the timed rollback gate answers at the tick that ends the wait
    assert "it is rolled back 30 min after the wait began. To reject" in runbook
    assert "decided on the next tick" not in runbook


def test_item_1_the_smoke_tested_canary_pod_takes_the_first_share(run_shipgen, tmp_path):
    from ruamel.yaml import YAML

    files = build(run_shipgen, tmp_path, "argo-canary-istio.yaml")
    rollout = YAML(typ="safe").load(files["production/billing-api/argo-rollouts/rollout.yaml"])
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    smoke = next(index for index, step in enumerate(steps) if "analysis" in step)
    first_weight = next(index for index, step in enumerate(steps) if "setWeight" in step)
    # between the smoke tests and the first weight nothing scales the tested pod away
    assert smoke < first_weight and all("setCanaryScale" not in step for step in steps[smoke:first_weight])
    assert steps[first_weight + 1] == {"setCanaryScale": {"matchTrafficWeight": True}}


def test_item_2_argo_metric_errors_abort_40_s_after_the_first(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "argo-canary-istio.yaml")["production/billing-api/RUNBOOK.md"]
    # consecutiveErrorLimit 4: the 5th error in a row, each 10 s after the last, is 40 s after the first
    assert "after an error it is measured again 10 s later, so 40 s after the first error" in runbook
    assert "about 50 s" not in runbook


def test_item_3_argo_shares_last_as_long_as_they_really_do(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "argo-canary-istio.yaml")["production/billing-api/RUNBOOK.md"]
    # minReadySeconds 15: the first weight comes once the smoke-tested pod is ready; 25% waits for a
    # second pod, 50% for the promotion's pods (tests/test_rollout_argo.py derives the numbers)
    assert ("5% from 15 s for 1 min, 25% for 1 min 15 s, 50% for 5 min 15 s, then 100% at 7 min 45 s "
            "(pod start-up not counted)") in runbook
    assert "the update is aborted 2 min after the first failed check" in runbook


def test_item_4_argo_blue_green_approval_runs_beside_the_checks(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "argo-blue-green.yaml")["production/account-web/RUNBOOK.md"]
    assert ("at the same time, in one pre-promotion analysis: smoke tests (2) against the preview, 6 checks every "
            "30 s on the preview under load and a person approves within 15 min (else it goes on); the switch "
            "waits for all of them, and a failed check aborts the update even while the approval is pending"
            ) in runbook


def test_item_7_every_gate_is_labelled_by_what_measures_it(run_shipgen, tmp_path):
    runbook = build(run_shipgen, tmp_path, "aws-ecs-canary.yaml")["production/payments-api/RUNBOOK.md"]
    rows = gate_rows(runbook)
    # the latency gate's spec says nothing of a provider, but CodeDeploy judges it by an ALB alarm
    assert rows["latency-p99"][2] == "CloudWatch alarm payments-api-production-latency-p99 (3 periods of 2 min)"
    assert "(prometheus)" not in runbook

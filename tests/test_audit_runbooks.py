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

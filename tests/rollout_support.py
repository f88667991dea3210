"""The timeline tests' one way to simulate a golden example: the four scenarios of the issue,
with optional scenario settings (start-up, approval), and the figures they compare."""

from __future__ import annotations

from conftest import ROOT, release_from
from shipgen.rollout.simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, PROVIDER_DOWN, Scenario, simulate
from shipgen.targets import rollout_of


def plans(example: str, **settings) -> dict:
    """scenario name -> Plan of examples/`example`: healthy, fail-from-start, provider-down, fail-at 0s."""
    rollout = rollout_of(release_from(ROOT / "examples" / example))
    scenarios = (Scenario(HEALTHY, **settings), Scenario(FAIL_FROM_START, **settings),
                 Scenario(PROVIDER_DOWN, **settings), Scenario(FAIL_AT, fail_at_s=0, **settings))
    return {scenario.name: simulate(rollout, scenario) for scenario in scenarios}


def summary(plan) -> tuple:
    return plan.outcome, plan.end_s, plan.first_failed_check_s, plan.weights

"""Plan facts: figures of the simulated rollout (`shipgen.rollout`) for policies to compare.

- `healthy_s`: how long the rollout takes when everything passes (None when it stops for a
  person), for the deployment-window policy;
- `exposure_before_first_failure`: a bad version that passes its smoke tests (scenario
  `fail-at 0s`): for each share of traffic it reaches, how long it serves at least that share
  before the first check can fail, for the exposure policy. Only rollouts that judge the new
  version with a metric or an alarm have it; the others are flagged by the rollback policies.
"""

from __future__ import annotations

from ..durations import human
from ..model import Release
from ..rollout.simulate import FAIL_AT, HEALTHY, WAITING, Scenario, simulate
from .rollout import canonical, number_text, spec_path


def plan_facts(release: Release, rollout) -> dict:
    healthy = simulate(rollout, Scenario(HEALTHY))
    bad = simulate(rollout, Scenario(FAIL_AT, fail_at_s=0))
    judged = bool(rollout.judged_phases())
    healthy_s = None if healthy.outcome == WAITING else healthy.end_s
    return {
        "controller": rollout.controller,
        "healthy_s": healthy_s,
        "healthy_minutes": canonical(healthy_s / 60) if healthy_s is not None else None,
        "healthy_text": human(healthy_s) if healthy_s is not None else "",
        "waits_for_person": healthy.outcome == WAITING,
        "judged": judged,
        "exposure_before_first_failure": exposure_before_failure(release, rollout, bad) if judged else [],
        "path": ["strategy"],
    }


def exposure_before_failure(release: Release, rollout, plan) -> list:
    """For each share the new version reaches before the first failed check: the seconds it
    serves at least that share until then, and where the spec asks for the phase."""
    until = plan.first_failed_check_s if plan.first_failed_check_s is not None else plan.end_s
    weights = list(plan.weights)
    shares = sorted({share for t, share in weights if t < until and share > 0})
    result = []
    for share in shares:
        served = 0
        for (start, value), following in zip(weights, weights[1:] + [(until, 0)]):
            stop = min(following[0], until)
            if value >= share and stop > start:
                served += stop - start
        phase = next((phase for phase in rollout.phases if phase.weight is not None and phase.weight >= share),
                     None)
        result.append({"percent": canonical(share), "percent_text": number_text(share), "seconds": served,
                       "minutes": canonical(served / 60), "duration_text": human(served),
                       "path": spec_path(release, phase.spec_path) if phase is not None else ["strategy", "type"]})
    return result


"""The rollout model of the `rollout.sh` script shipgen generates for Cloud Run, Container Apps,
App Service and Traffic Manager (`common.rollout_script`), read from the traffic plan in
`settings.Rollout` that the script is written from.

The script's rules, as the model encodes them (t = 0 is `rollout.sh start`):
- `deploy_new_version` starts the new revision (slot, endpoints) with no user traffic and
  returns once it is ready;
- a progressive rollout whose first step has traffic runs the smoke tests once at 0 % first;
- each step sets its share, runs the smoke tests at once and then every `strategy.interval`
  while it holds the share; a step is left only when its time is up *and* the last check
  passed; a failure in a row beyond `rollback.maxFailedChecks` gives up: `roll_back` (all
  traffic to the previous version) with `rollback.automatic`, else the script stops where it
  is for a person;
- an approval step ends `start`: a person runs `rollout.sh continue` (nothing times it out).
No platform here evaluates metric gates (normalize warns): smoke tests decide.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import PERSON, READY, ROLLBACK, SMOKE, STOP, TIMER, Check, Phase, Rollback, Rollout

COUNTER = "failures"  # the script's one counter of failed checks in a row


def script_rollout(release: Release, traffic_plan, controller: str, shares: tuple | None = None,
                   assumptions: tuple = ()) -> Rollout:
    """`traffic_plan` is the `settings.Rollout`; `shares` the percent each step really gives the
    new version when the platform cannot give the spec's exactly (Traffic Manager weights)."""
    tests = tuple(test.name for test in release.smoke)
    interval = traffic_plan.check_interval_s
    limit = release.rollback.max_failed_checks
    on_failure = ROLLBACK if release.rollback.automatic else STOP
    phases: list = [Phase("new version deployed beside the old one (no traffic)", 0, READY,
                          spec_path=("service", "image"))]
    checks: list = []

    def step(name: str, share: float, hold_s: int, path: tuple, label: str = ""):
        index = len(phases)
        phases.append(Phase(label or name, share, TIMER, duration_s=hold_s, until_healthy=bool(tests),
                            spec_path=path))
        if tests:
            checks.append(Check(f"smoke tests at {name}", SMOKE, tests, "rollout.sh smoke tests", index, index,
                                interval_s=interval, first_s=0, failure_limit=limit, consecutive=True,
                                counter=COUNTER, on_failure=on_failure, spec_path=("smoke",),
                                rule="checked when the share is set, then every interval while it is held"))

    steps = traffic_plan.steps
    if traffic_plan.progressive and steps[0].percent != 0:
        step("0%", 0, 0, ("smoke",), label="0%: smoke tests on the new version's own URL")
    for index, traffic_step in enumerate(steps):
        if index == traffic_plan.approval_step:
            phases.append(Phase("waiting for approval", phases[-1].weight, PERSON,
                                waits_for="approval: `rollout.sh continue` (or `rollout.sh rollback`)",
                                spec_path=("strategy", "approval")))
        share = shares[index] if shares else traffic_step.percent
        name = f"{share:g}%" + (f" for {human(traffic_step.hold_s)}" if traffic_step.hold_s else "")
        step(name, share, traffic_step.hold_s, ("strategy", "steps", index) if index < len(release.strategy.steps)
             else ("strategy", "type"))
    rules = (
        f"The new version starts at once (--startup); each smoke test run answers at once; the script checks every "
        f"{human(interval)} and tolerates {limit} failed checks in a row (rollback.maxFailedChecks).",
        "Nothing evaluates the metric gates on this platform: only the smoke tests can stop the rollout.",
    )
    return Rollout(controller, tuple(phases), tuple(checks),
                   Rollback("rollout.sh rolls back: all traffic to the previous version"),
                   "`rollout.sh start`", rules + assumptions, release.service.requests_per_second,
                   automatic=on_failure == ROLLBACK and bool(checks))

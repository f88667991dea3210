"""The rollout model of the `rollout.sh` script shipgen generates for Cloud Run, Traffic Director,
Container Apps, App Service and Traffic Manager (`common.rollout_script`), read from the traffic
plan in `settings.Rollout` that the script is written from.

The script's rules, as the model encodes them (t = 0 is `rollout.sh start`):
- `deploy_new_version` starts the new revision (slot, endpoints) with no user traffic and
  returns once it is ready;
- a progressive rollout whose first step has traffic runs the smoke tests once at 0 % first;
- each step sets its share, runs the smoke tests at once and then every `strategy.interval`
  while it holds the share; a step is left only when its time is up *and* the last check
  passed; a failure in a row beyond `rollback.maxFailedChecks` gives up: `roll_back` (all
  traffic to the previous version) with `rollback.automatic`, else the script stops where it
  is for a person;
- the gates rollout.sh reads from the platform's metrics (`settings.ScriptGate`: Cloud Run's
  built-in gates from Cloud Monitoring, Container Apps' error rate from Azure Monitor) are judged
  on the new version's traffic every `strategy.interval` while a share between 0 and 100 % is held,
  the first `interval` (or the whole hold, when shorter) after the share is set, each over its
  gate's window ending then; they count their failures in a row apart from the smoke tests
  (counter `gate_failures`), with the same tolerance and the same consequence; a metric that
  cannot be read is a failed check; a window with no request to the new version passes;
- an approval step ends `start`: a person runs `rollout.sh continue` (nothing times it out).
Any other gate (a query, another provider, a metric the platform lacks) is not evaluated
(normalize warns): a person watches it. `EXIT_CODES` are the script's exit codes.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import (AS_FAILURE, METRIC, PERSON, READY, ROLLBACK, SMOKE, STOP, TIMER, Check, Phase,
                              Rollback, Rollout)

COUNTER = "failures"  # the script's counter of failed smoke checks in a row
GATE_COUNTER = "gate_failures"  # ... and of failed gate checks in a row

# rollout.sh's exit codes (any other: a platform command failed, `set -e`; traffic stays where it was)
EXIT_DONE, EXIT_ROLLED_BACK, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3
EXIT_CODES = (
    (EXIT_DONE, "the new version serves 100% of traffic, or `start` stopped at the approval step"),
    (EXIT_ROLLED_BACK, "a check failed beyond rollback.maxFailedChecks and all traffic went back to the previous "
                       "version"),
    (EXIT_USAGE, "the usage is wrong or a tool the script needs is missing (nothing was changed)"),
    (EXIT_STOPPED, "a check failed beyond rollback.maxFailedChecks and nothing was rolled back (rollback.automatic "
                   "is false, or the rollback itself failed): a person decides"),
)


def gates_judged_at(traffic_step, gates: tuple) -> bool:
    """Whether rollout.sh judges the gates while this step's share is held."""
    return bool(gates) and 0 < traffic_step.percent < 100 and traffic_step.hold_s > 0


def exit_codes_text(script: str) -> str:
    return f"{script} exits " + "; ".join(f"{code} when {meaning}" for code, meaning in EXIT_CODES) + "."


def script_rollout(release: Release, traffic_plan, controller: str, shares: tuple | None = None,
                   assumptions: tuple = ()) -> Rollout:
    """`traffic_plan` is the `settings.Rollout`; `shares` the percent each step really gives the
    new version when the platform cannot give the spec's exactly (Traffic Manager weights)."""
    tests = tuple(test.name for test in release.smoke)
    gates = traffic_plan.gates
    interval = traffic_plan.check_interval_s
    limit = release.rollback.max_failed_checks
    on_failure = ROLLBACK if release.rollback.automatic else STOP
    phases: list = [Phase("new version deployed beside the old one (no traffic)", 0, READY,
                          spec_path=("service", "image"))]
    checks: list = []

    def step(name: str, share: float, hold_s: int, path: tuple, label: str = "", gated: bool = False):
        index = len(phases)
        phases.append(Phase(label or name, share, TIMER, duration_s=hold_s, until_healthy=bool(tests) or gated,
                            spec_path=path))
        if gated:
            sources = "; ".join(dict.fromkeys(gate.measured_by for gate in gates))
            checks.append(Check(f"gates at {name}", METRIC, tuple(gate.name for gate in gates),
                                f"rollout.sh: {sources}", index, index, interval_s=interval,
                                first_s=min(hold_s, interval), failure_limit=limit, consecutive=True,
                                counter=GATE_COUNTER, on_provider_error=AS_FAILURE, on_failure=on_failure,
                                sample_s=max(gate.window_s for gate in gates), spec_path=("gates",),
                                rule="judged every interval while the share is held, the first an interval after "
                                     "it is set; a metric that cannot be read fails the check"))
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
             else ("strategy", "type"), gated=gates_judged_at(traffic_step, gates))
    judged = {gate.name for gate in gates}
    unjudged = [gate.name for gate in release.gates if gate.name not in judged]
    rules = (
        f"The new version starts at once (--startup); each smoke test run answers at once; the script checks every "
        f"{human(interval)} and tolerates {limit} failed checks in a row (rollback.maxFailedChecks).",
    )
    if gates:
        rules += (f"rollout.sh judges gates {', '.join(sorted(judged))} on the new version's traffic while a share is "
                  "held (its failures in a row counted apart from the smoke tests'); the platform's metrics lag a "
                  "few minutes behind the requests, which the plan does not count.",)
    if unjudged or not release.gates:
        rules += ("Nothing evaluates " + (f"gates {', '.join(unjudged)}" if release.gates else "a metric gate")
                  + " on this platform: " + ("only the smoke tests and the gates above can" if gates else
                                             "only the smoke tests can") + " stop the rollout.",)
    return Rollout(controller, tuple(phases), tuple(checks),
                   Rollback("rollout.sh rolls back: all traffic to the previous version"),
                   "`rollout.sh start`", rules + assumptions, release.service.requests_per_second,
                   automatic=on_failure == ROLLBACK and bool(checks))


def automatic_rollback_text(release: Release, rollout: Rollout, script: str, previous: str, platform: str,
                            detail: str = "") -> str:
    """The runbook's sentence on what rolls back by itself, read from the rollout model."""
    if not (rollout.automatic and previous):
        return ""
    smoke = [check for check in rollout.checks if check.kind == SMOKE]
    gated = [check for check in rollout.checks if check.kind == METRIC]
    what = []
    if smoke:
        what.append(f"re-runs the {len(smoke[0].judges)} smoke test(s) every {human(smoke[0].interval_s)} while "
                    "traffic is held")
    if gated:
        shares = ", ".join(rollout.phases[check.from_phase].name for check in gated)
        what.append(f"judges gates {', '.join(gated[0].judges)} ({gated[0].measured_by.removeprefix('rollout.sh: ')}) "
                    f"every {human(gated[0].interval_s)} while it holds {shares}")
    judged = set(gated[0].judges) if gated else set()
    unjudged = [gate.name for gate in release.gates if gate.name not in judged]
    text = (f"{script} {' and '.join(what)}; after {release.rollback.max_failed_checks + 1} failed checks in a row "
            f"(smoke tests and gates counted apart) it gives {previous} all traffic again and exits "
            f"{EXIT_ROLLED_BACK}. {platform} itself never rolls back{detail}")
    if unjudged:
        text += f", and gates {', '.join(unjudged)} are not evaluated by anything: watch them"
    return text + "."

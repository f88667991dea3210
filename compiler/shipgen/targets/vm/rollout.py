"""The rollout model of `switch.sh start` on platform.kind vm (`script.py`), read from the plan
in `settings.Vm` that the script is written from.

The script's rules, as the model encodes them (t = 0 is `switch.sh start`):
- the new colour's instances are already deployed (by configuration management) and get no
  requests; the script waits for HAProxy's health checks (nginx: none) and runs the smoke tests
  against each instance directly (`script.pre_traffic_check`): at once, then every
  `strategy.interval` until they pass, counted like any other check (a failure with no traffic
  on the new colour gives up as well: its "rollback" keeps all traffic where it is);
- each step sets its share (the integer weights' real share, `settings.weights`) and holds it;
  every `strategy.interval` while it holds, the smoke tests and the gates of `rollback.on`
  (Prometheus; no data fails) are checked; a step is left only when its time is up *and* the
  last check passed; a failure in a row beyond `rollback.maxFailedChecks` gives up: all traffic
  to the previous colour at once (`rollback.automatic`), else the script stops for a person;
- blue-green is one step, 100 % held for `iterations` x `interval`; a canary's last step is
  followed by 100 % without a hold.
"""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...rollout.model import METRIC, READY, ROLLBACK, SMOKE, STOP, TIMER, Check, Phase, Rollback, Rollout
from .script import checked_gates, pre_traffic_check
from .settings import LOAD_BALANCERS

COUNTER = "failures"  # the script's one counter of failed checks in a row


def rollout(release: Release) -> Rollout:
    vm = release.platform.vm
    gates = tuple(gate.name for gate in checked_gates(release))
    tests = tuple(test.name for test in release.smoke)
    interval = vm.check_interval_s
    limit = release.rollback.max_failed_checks
    on_failure = ROLLBACK if release.rollback.automatic else STOP
    script = f"{vm.load_balancer}/switch.sh"
    phases = [Phase(f"{vm.new} instances up beside {vm.live} (no traffic)", 0, READY, spec_path=("platform", "vm"))]
    checks = []
    window = max((gate.window_s for gate in checked_gates(release)), default=0)
    if pre_traffic_check(release):
        phases.append(Phase(f"smoke tests of each {vm.new} instance, directly (no traffic)", 0, TIMER,
                            until_healthy=True, spec_path=("smoke",)))
        checks.append(Check(f"smoke tests of {vm.new}", SMOKE, tests, f"{script} smoke tests", 1, 1,
                            interval_s=interval, first_s=0, failure_limit=limit, consecutive=True, counter=COUNTER,
                            on_failure=on_failure, spec_path=("smoke",),
                            rule="once before any traffic, then every interval until they pass"))
    for step in vm.steps:
        share = vm.weights(vm.new, step.percent).actual_percent
        index = len(phases)
        name = f"{share:g}% on {vm.new}" + (f" for {human(step.hold_s)}" if step.hold_s else "")
        judged = gates + tests
        phases.append(Phase(name, share, TIMER, duration_s=step.hold_s, until_healthy=bool(judged and step.hold_s),
                            spec_path=step.path))
        if judged and step.hold_s:
            checks.append(Check(f"checks at {share:g}%", METRIC if gates else SMOKE, judged,
                                f"{script} (Prometheus query)" if gates else f"{script} smoke tests", index, index,
                                interval_s=interval, first_s=min(interval, step.hold_s), failure_limit=limit,
                                consecutive=True, counter=COUNTER, on_failure=on_failure, sample_s=window,
                                spec_path=("rollback", "on") if gates else ("smoke",),
                                rule="checked every interval while the share is held, the first one interval in"))
    rules = (f"The new instances are up at once (--startup); the script checks every {human(interval)} while a share "
             f"is held and tolerates {limit} failed checks in a row (rollback.maxFailedChecks); a gate without data "
             "fails.",
             f"{LOAD_BALANCERS[vm.load_balancer]} gives each share by integer weights per instance; the shares shown "
             "are what those weights give.")
    return Rollout(f"{LOAD_BALANCERS[vm.load_balancer]} blue/green weights ({script})", tuple(phases), tuple(checks),
                   Rollback(f"{script} sends all traffic back to {vm.live} at once (its instances were only drained)"),
                   f"`{script} start`", rules, release.service.requests_per_second,
                   automatic=on_failure == ROLLBACK and bool(checks))

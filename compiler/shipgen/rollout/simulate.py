"""The one simulator: runs any `Rollout` under a scenario and returns a `Plan`.

Scenarios:
- `healthy`: every check passes;
- `fail-from-start`: every check (smoke tests, metrics, alarms) fails from its first evaluation;
- `fail-at T`: the metrics and alarms fail from T on (smoke tests still pass);
- `provider-down`: the metric provider answers errors; each check counts them as its
  controller does (`Check.on_provider_error`); smoke tests pass.

Rules, for every controller alike:
- a phase ends by its timer, once the new instances are ready (start-up is a scenario
  setting), after enough passing evaluations of its gating check, or when a person acts;
- evaluations due at the same moment as a phase end come first;
- a check fails once its failures exceed `failure_limit` (counted per `counter_name`, in a row
  when `consecutive`), or its provider errors in a row exceed `error_limit`; the controller acts
  `reaction_s` later, and nothing moves on meanwhile;
- a phase held `until_healthy` outlasts its timer while its checks have failures in a row;
- a check that fails with `STOP` ends the plan at that moment, waiting for a person;
- a person never acts unless the scenario says when (`approve_after_s`): in `healthy` the plan
  stops at the wait (outcome `waiting`); in the failure scenarios the checks go on running
  during the wait, which ends by its timeout (`on_timeout`) or stays `waiting`.
"""

from __future__ import annotations

from typing import NamedTuple

from .model import ALARM, AS_ERROR, AS_PASS, METRIC, NOTHING, PASSES, PERSON, READY, STOP, TIMER, Rollout

HEALTHY, FAIL_FROM_START, FAIL_AT, PROVIDER_DOWN = "healthy", "fail-from-start", "fail-at", "provider-down"
SCENARIOS = (HEALTHY, FAIL_FROM_START, FAIL_AT, PROVIDER_DOWN)
UNTIMED_WAIT_HORIZON_S = 86400  # how long checks are followed through a wait with no timeout
MAX_EVENTS = 20000  # a bound against a model that never ends; no real rollout comes near it

PROMOTED, ROLLED_BACK, WAITING = "promoted", "rolled-back", "waiting"
PASS, FAIL, ERROR = "pass", "fail", "error"


class Scenario(NamedTuple):
    name: str  # one of SCENARIOS
    fail_at_s: int | None = None  # FAIL_AT only
    startup_s: int = 0  # pod / instance start-up
    approve_after_s: int | None = None  # when a person approves a wait, from its start

    @property
    def label(self) -> str:
        from ..durations import go_duration

        return f"{self.name} {go_duration(self.fail_at_s)}" if self.name == FAIL_AT else self.name


class Event(NamedTuple):
    t_s: int
    kind: str  # phase | check | rollback | promoted | rolled-back | waiting | approved | timeout
    text: str
    weight: float | None = None
    check: str = ""
    result: str = ""  # pass | fail | error, for check events


class Plan(NamedTuple):
    controller: str
    scenario: str
    outcome: str  # PROMOTED | ROLLED_BACK | WAITING
    end_s: int  # when it was promoted, rolled back, or began to wait
    first_failed_check_s: int | None
    exposure_percent_seconds: float  # integral of the new version's share of traffic over time
    bad_requests: float | None  # a bad version's requests until the end (None when healthy or no rate is known)
    weights: tuple  # ((t_s, percent), ...): the share on the new version, as a step function
    events: tuple  # of Event
    waiting_for: str
    assumptions: tuple


def result_of(check, scenario: Scenario, t: int) -> str:
    """What an evaluation of `check` at time `t` answers in `scenario`."""
    judges_metrics = check.kind in (METRIC, ALARM)
    if scenario.name == FAIL_FROM_START:
        return FAIL
    if scenario.name == FAIL_AT:
        return FAIL if judges_metrics and t >= scenario.fail_at_s else PASS
    if scenario.name == PROVIDER_DOWN and judges_metrics:
        return {AS_PASS: PASS, AS_ERROR: ERROR}.get(check.on_provider_error, FAIL)
    return PASS


class _Run:
    """The state of one simulation."""

    def __init__(self, rollout: Rollout, scenario: Scenario):
        self.rollout, self.scenario = rollout, scenario
        self.events: list = []
        self.weights: list = []
        self.failures: dict = {}  # counter name -> failures (in a row, for consecutive checks)
        self.errors: dict = {}  # check name -> provider errors in a row
        self.evaluations: dict = {}  # check name -> evaluations that answered
        self.next_evaluation: dict = {}  # active check name -> time of its next evaluation
        self.first_failed: int | None = None
        self.phase_index = 0
        self.phase_start = 0
        self.passes = 0  # passing evaluations of the current phase's gating check
        self.weight: float | None = 0

    # ------------------------------------------------------------------ bookkeeping

    def record(self, t: int, kind: str, text: str, **fields):
        self.events.append(Event(t, kind, text, **fields))

    def set_weight(self, t: int, weight):
        share = weight or 0
        self.weight = weight
        if not self.weights or self.weights[-1][1] != share:
            if self.weights and self.weights[-1][0] == t:
                self.weights[-1] = (t, share)
            else:
                self.weights.append((t, share))

    def enter(self, index: int, t: int):
        self.phase_index, self.phase_start, self.passes = index, t, 0
        for name in [name for name in self.next_evaluation if self.rollout.check(name).to_phase < index]:
            del self.next_evaluation[name]
        if index >= len(self.rollout.phases):
            return
        phase = self.rollout.phases[index]
        for check in self.rollout.checks:
            if check.from_phase == index:
                self.next_evaluation[check.name] = t + check.first_s
        self.set_weight(t, phase.weight)
        share = "matching requests" if phase.weight is None else f"{phase.weight:g}%"
        self.record(t, "phase", f"{phase.name} ({share} of traffic on the new version)", weight=phase.weight)

    def phase_end(self, phase) -> tuple:
        """(time, why) the current phase ends by itself, or (None, "") when only checks end it."""
        start = self.phase_start
        if phase.ends == TIMER:
            if phase.until_healthy and self.failing():
                return None, ""  # held until a check passes again
            return start + phase.duration_s, "timer"
        if phase.ends == READY:
            ready = self.scenario.startup_s + phase.duration_s
            return start + max(_rounded_up(ready, phase.quantum_s), phase.quantum_s), "ready"
        if phase.ends == PERSON:
            if self.scenario.approve_after_s is not None:
                return start + _rounded_up(self.scenario.approve_after_s, phase.quantum_s), "approved"
            if self.scenario.name == HEALTHY:
                return start, "waiting"
            if phase.timeout_s is not None:
                return start + phase.timeout_s, "timeout"
            return start + UNTIMED_WAIT_HORIZON_S, "waiting"
        return None, ""

    def failing(self) -> bool:
        """Whether a check of the current phase has failures in a row not yet cleared by a pass."""
        return any(self.failures.get(check.counter_name, 0) for check in self.rollout.checks
                   if check.consecutive and check.name in self.next_evaluation)

    # ------------------------------------------------------------------ the loop

    def run(self) -> Plan:
        self.enter(0, 0)
        while len(self.events) < MAX_EVENTS:
            if self.phase_index >= len(self.rollout.phases):
                return self.finish(PROMOTED, self.phase_start)
            phase = self.rollout.phases[self.phase_index]
            end, why = self.phase_end(phase)
            due = min(self.next_evaluation.items(), key=lambda item: (item[1], item[0]), default=None)
            if due is not None and (end is None or due[1] <= end) and why != "waiting":
                decided = self.evaluate(self.rollout.check(due[0]), due[1], phase)
                if decided is not None:
                    return decided
                continue
            if end is None:  # nothing left that could end the phase
                return self.finish(WAITING, self.phase_start, f"{phase.name}: its checks have stopped")
            if why == "waiting":
                return self.finish(WAITING, self.phase_start, phase.waits_for)
            if why == "timeout":
                if phase.on_timeout == "rollback":
                    self.record(end, "timeout", f"nobody answered within the timeout: {phase.waits_for}")
                    return self.roll_back(end, "the wait timed out")
                self.record(end, "timeout", "nobody answered within the timeout: the rollout goes ahead")
            if why == "approved":
                self.record(end, "approved", f"approved ({phase.waits_for})")
            self.enter(self.phase_index + 1, end)
        raise RuntimeError(f"the {self.rollout.controller} model did not end within {MAX_EVENTS} events")

    def evaluate(self, check, t: int, phase):
        """Evaluate `check` at `t`; returns the finished Plan when this decides the rollout."""
        result = result_of(check, self.scenario, t)
        counter = check.counter_name
        failed = False
        if result == ERROR:
            self.errors[check.name] = self.errors.get(check.name, 0) + 1
            failed = self.errors[check.name] > check.error_limit
            self.next_evaluation[check.name] = t + (check.error_retry_s or check.interval_s)
            detail = f"provider error {self.errors[check.name]} in a row (limit {check.error_limit})"
        else:
            self.errors[check.name] = 0
            self.evaluations[check.name] = self.evaluations.get(check.name, 0) + 1
            self.next_evaluation[check.name] = t + check.interval_s
            if result == FAIL:
                self.failures[counter] = self.failures.get(counter, 0) + 1
                if check.retry_wait_s:
                    self.next_evaluation[check.name] = t + check.retry_wait_s * self.failures[counter]
                if self.first_failed is None:
                    self.first_failed = t
                failed = self.failures[counter] > check.failure_limit
                detail = f"failure {self.failures[counter]} (tolerated: {check.failure_limit}" + \
                    (", in a row)" if check.consecutive else ")")
            else:
                if check.consecutive:
                    self.failures[counter] = 0
                detail = "passed"
                if phase.ends == PASSES and phase.gating_check == check.name:
                    self.passes += 1
            if check.count is not None and self.evaluations[check.name] >= check.count and not failed:
                del self.next_evaluation[check.name]
        self.record(t, "check", f"{check.name}: {detail}", check=check.name, result=result)
        if failed:
            if check.on_failure == NOTHING:
                self.record(t, "check", f"{check.name} failed; nothing acts on it", check=check.name, result=result)
                self.next_evaluation.pop(check.name, None)
                return None
            if check.on_failure == STOP:
                return self.finish(WAITING, t, f"{check.name} failed and the rollout stopped: a person rolls back "
                                               "or continues")
            decision = t + check.reaction_s
            return self.roll_back(decision, f"{check.name} failed")
        if phase.ends == PASSES and self.passes >= phase.passes and phase.gating_check == check.name:
            self.enter(self.phase_index + 1, t)
        elif phase.ends == TIMER and phase.until_healthy and t >= self.phase_start + phase.duration_s \
                and not self.failing():
            self.enter(self.phase_index + 1, t)
        return None

    def roll_back(self, t: int, reason: str) -> Plan:
        rollback = self.rollout.rollback
        self.record(t, "rollback", f"{reason}: {rollback.action}", weight=self.weight)
        done = t + rollback.duration_s
        self.set_weight(done, 0)
        self.record(done, "rolled-back", "the previous version serves all traffic again"
                    + (f"; {rollback.cleanup}" if rollback.cleanup else ""), weight=0)
        return self.finish(ROLLED_BACK, done)

    def finish(self, outcome: str, end: int, waiting_for: str = "") -> Plan:
        if outcome == PROMOTED:
            self.set_weight(end, 100)
            self.record(end, "promoted", "the new version serves all traffic; the rollout is complete", weight=100)
        elif outcome == WAITING:
            self.record(end, "waiting", f"waits for a person: {waiting_for}", weight=self.weight)
        exposure = exposure_percent_seconds(self.weights, end)
        rate = self.rollout.requests_per_second
        bad = None if rate is None or self.scenario.name == HEALTHY else round(rate * exposure / 100, 1)
        assumptions = (f"t = 0 is {self.rollout.start}.",
                       f"New instances start in {self.scenario.startup_s} s (--startup).",
                       "Metric queries answer at once.") + _person_assumption(self.rollout, self.scenario) + self.rollout.assumptions
        return Plan(self.rollout.controller, self.scenario.label, outcome, end, self.first_failed,
                    round(exposure, 1), bad, tuple(self.weights), tuple(self.events), waiting_for, assumptions)


def _rounded_up(seconds: int, quantum: int) -> int:
    """`seconds` up to the next multiple of `quantum` (the controller acts on its ticks)."""
    return -(-seconds // quantum) * quantum if quantum else seconds


def _person_assumption(rollout: Rollout, scenario: Scenario) -> tuple:
    if not any(phase.ends == PERSON for phase in rollout.phases):
        return ()
    if scenario.approve_after_s is not None:
        return (f"A person approves each wait {scenario.approve_after_s} s after it begins (--approve-after).",)
    return ("Nobody approves a wait (--approve-after): the healthy plan stops there; in the failure scenarios the "
            "checks go on until the wait times out.",)


def exposure_percent_seconds(weights, end: int) -> float:
    """The integral of the step function `weights` from 0 to `end`, in percent x seconds."""
    total = 0.0
    for (t, share), following in zip(weights, list(weights[1:]) + [(end, 0)]):
        stop = min(following[0], end)
        if stop > t:
            total += share * (stop - t)
    return total


def simulate(rollout: Rollout, scenario: Scenario) -> Plan:
    return _Run(rollout, scenario).run()

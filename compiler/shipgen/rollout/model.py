"""The types of the rollout model. Each is a NamedTuple: immutable, cheap to create, and turned
into JSON by `_asdict()`. Times are whole seconds; shares of traffic are percent (0-100).

A `Rollout` is a list of `Phase`s the controller walks through in order, and the `Check`s that
judge the new version along the way. t = 0 is the controller's first reaction to the new
version (Flagger's detecting tick, Argo's first reconcile, CodeDeploy's deployment start).
"""

from __future__ import annotations

from typing import NamedTuple

# How a phase ends
TIMER = "timer"  # after `duration_s`
READY = "ready"  # once the new instances are ready: start-up (+ `duration_s`), rounded up to `quantum_s`
PASSES = "passes"  # after `passes` passing evaluations of `gating_check` in this phase
PERSON = "person"  # when a person acts (approval, untimed pause); `timeout_s` / `on_timeout` if it has one

# What a check judges (which scenarios make it fail)
SMOKE = "smoke"  # smoke tests and hooks that call the new version
METRIC = "metric"  # a metric query (gates)
ALARM = "alarm"  # a cloud alarm built from gates (CloudWatch)

# What a failed check does
ROLLBACK = "rollback"  # traffic goes back to the previous version and the rollout ends
NOTHING = "none"  # reported only (a dry run, or a platform that does not act on it)
STOP = "stop"  # the rollout stops where it is and waits for a person (no automatic rollback)

# How a provider error (the metric cannot be read) counts
AS_FAILURE = "failure"  # a failed check (Flagger: "no values found" fails the tick)
AS_ERROR = "error"  # counted apart, against `error_limit` (Argo's consecutiveErrorLimit)
AS_PASS = "pass"  # no effect (a CloudWatch alarm without data stays out of ALARM)


class Check(NamedTuple):
    """Something the controller evaluates repeatedly while the phases `from_phase`..`to_phase`
    (indices, inclusive) run: its evaluations start `first_s` after `from_phase` starts and
    repeat every `interval_s`."""

    name: str  # e.g. "analysis", "error-rate", "smoke tests"
    kind: str  # SMOKE | METRIC | ALARM
    judges: tuple  # what it evaluates, in words: gate, alarm or smoke-test names
    measured_by: str  # e.g. "Prometheus (Flagger built-in request-success-rate)"
    from_phase: int
    to_phase: int
    interval_s: int
    first_s: int  # from the start of `from_phase` to the first evaluation
    count: int | None = None  # evaluations after which the check has passed; None: as long as its phases run
    failure_limit: int = 0  # failures tolerated; one more fails the check
    consecutive: bool = False  # the failures must follow each other (alarm datapoints); else they add up
    counter: str = ""  # checks naming the same counter share one failure count (Flagger's failedChecks)
    on_provider_error: str = AS_FAILURE
    error_limit: int = 0  # with AS_ERROR: consecutive errors tolerated; one more fails the check
    error_retry_s: int = 0  # with AS_ERROR: the next measurement after an error comes this soon (0: interval)
    retry_wait_s: int = 0  # after the n-th failure the next evaluation comes n x this later (linear backoff; 0: interval)
    reaction_s: int = 0  # from the deciding evaluation to the controller acting on it
    on_failure: str = ROLLBACK
    sample_s: int = 0  # the traffic one evaluation looks at (a query window, one alarm period)
    load_rps: float = 0  # generated load the new version gets while this check runs (a load test)
    rule: str = ""  # the controller's rule, in words, for the plan's assumptions
    spec_path: tuple = ()  # where the spec defines what this check judges

    @property
    def counter_name(self) -> str:
        return self.counter or self.name


class Phase(NamedTuple):
    """One stretch of the rollout with one share of traffic on the new version."""

    name: str  # e.g. "5% canary", "pause", "promotion"
    weight: float | None  # percent of user traffic on the new version; None: only requests that match (A/B)
    ends: str  # TIMER | READY | PASSES | PERSON
    duration_s: int = 0  # TIMER: its length; READY: time after start-up (minReadySeconds)
    quantum_s: int = 0  # READY, PERSON: the controller notices readiness or an answer only on its ticks
    passes: int = 0  # PASSES: passing evaluations of `gating_check` needed
    gating_check: str = ""
    waits_for: str = ""  # PERSON: who, and the command that moves it on
    timeout_s: int | None = None  # PERSON: when the wait ends by itself
    on_timeout: str = ""  # PERSON: "promote" (continue) or "rollback"
    mirrored: float = 0  # percent of traffic copied to the new version (responses discarded)
    until_healthy: bool = False  # TIMER: also waits until its checks' failures in a row are back to zero
    spec_path: tuple = ()  # where the spec asks for this phase


class Rollback(NamedTuple):
    """What the controller does once a check fails."""

    action: str  # in words: "routes all traffic back to the primary and scales the canary to zero"
    duration_s: int = 0  # from the decision to the previous version serving all traffic
    cleanup: str = ""  # what happens after, e.g. "the canary pods are scaled down 30 s later"


class Rollout(NamedTuple):
    """A controller's rollout of one release, as the emitted artifacts define it."""

    controller: str  # e.g. "Flagger canary", "Argo Rollouts blue-green", "CodeDeploy ECS canary"
    phases: tuple  # of Phase
    checks: tuple  # of Check
    rollback: Rollback
    start: str  # what t = 0 is, in words
    assumptions: tuple = ()  # of str: what the controller's rules mean for this plan
    requests_per_second: float | None = None  # service.traffic.requestsPerSecond
    automatic: bool = True  # whether any failure rolls back by itself

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)

    def judged_phases(self) -> list:
        """(index, phase, checks): the phases where a metric or alarm judges traffic the new
        version serves, with the checks that do. A phase that ends once the smoke tests pass
        takes no time here, so no sample of traffic is judged in it."""
        judged = []
        for index, phase in enumerate(self.phases):
            gating = self.check(phase.gating_check) if phase.ends == PASSES else None
            if gating is not None and gating.kind == SMOKE:
                continue
            checks = [check for check in self.checks if check.kind in (METRIC, ALARM)
                      and check.from_phase <= index <= check.to_phase]
            if checks:
                judged.append((index, phase, checks))
        return judged

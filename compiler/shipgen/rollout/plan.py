"""Plans of releases: a release's rollout simulated under scenarios, and the figures a reviewer
reads first.

- `release_plans(release, scenarios)`: one `Plan` per scenario, from the release's rollout model;
- `summary(release, plans)`: time to full rollout when healthy, the worst time from a bad
  deploy to full rollback, and the blast radius (share x time, and requests);
- `plan_json(release, plan)`: the JSON contract of `shipgen plan --format json`.
"""

from __future__ import annotations

from typing import NamedTuple

from ..durations import human
from .simulate import FAIL_AT, FAIL_FROM_START, HEALTHY, PROMOTED, ROLLED_BACK, WAITING, Scenario, simulate

DEFAULT_SCENARIOS = (Scenario(HEALTHY), Scenario(FAIL_FROM_START), Scenario(FAIL_AT, fail_at_s=0))


class ReleasePlans(NamedTuple):
    release: object  # model.Release
    rollout: object  # rollout.model.Rollout
    plans: tuple  # of simulate.Plan, one per scenario


class Summary(NamedTuple):
    healthy_s: int | None  # time to full rollout when healthy; None when it waits for a person
    healthy_text: str
    worst_rollback_s: int | None  # the latest full rollback over the failure scenarios; None if none rolls back
    worst_rollback_text: str
    exposure_percent_seconds: float | None  # in that worst failure scenario
    bad_requests: float | None
    blast_text: str


class Timing(NamedTuple):
    """The figures runbooks state, from one simulation of each scenario (start-up 0 s)."""

    healthy_s: int | None  # to full rollout; None when the rollout waits for a person
    waiting_at_s: int | None  # when it begins to wait for a person (healthy)
    first_traffic_s: int | None  # when users first reach the new version (healthy)
    phases: tuple  # ((phase name, weight, start_s, end_s), ...) of the healthy run, up to its end
    rollback_after_failure_s: int | None  # from the first failed check to full rollback (fail-at 0 s)
    bad_from_start_rolled_back_s: int | None  # every check failing from the start (fail-from-start)


def timing(rollout) -> Timing:
    healthy = simulate(rollout, Scenario(HEALTHY))
    bad_metrics = simulate(rollout, Scenario(FAIL_AT, fail_at_s=0))
    bad = simulate(rollout, Scenario(FAIL_FROM_START))
    starts = [(event.t_s, event.text) for event in healthy.events if event.kind == "phase"]
    phases = []
    for index, (start, _) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else healthy.end_s
        phase = rollout.phases[index]
        phases.append((phase.name, phase.weight, start, end))
    first_traffic = next((t for t, share in healthy.weights if share > 0), None)
    after_failure = None
    if bad_metrics.outcome == ROLLED_BACK and bad_metrics.first_failed_check_s is not None:
        after_failure = bad_metrics.end_s - bad_metrics.first_failed_check_s
    return Timing(None if healthy.outcome == WAITING else healthy.end_s,
                  healthy.end_s if healthy.outcome == WAITING else None, first_traffic, tuple(phases),
                  after_failure, bad.end_s if bad.outcome == ROLLED_BACK else None)


def release_plans(release, scenarios=DEFAULT_SCENARIOS) -> ReleasePlans:
    from ..targets import rollout_of

    rollout = rollout_of(release)
    return ReleasePlans(release, rollout, tuple(simulate(rollout, scenario) for scenario in scenarios))


def with_startup(scenarios, startup_s: int, approve_after_s: int | None = None) -> tuple:
    return tuple(scenario._replace(startup_s=startup_s, approve_after_s=approve_after_s) for scenario in scenarios)


def summary(plans: tuple) -> Summary:
    healthy = next((plan for plan in plans if plan.scenario == HEALTHY), None)
    if healthy is None:
        healthy_s, healthy_text = None, "not simulated"
    elif healthy.outcome == WAITING:
        healthy_s = None
        healthy_text = f"waits for a person after {human(healthy.end_s)}: {healthy.waiting_for}"
    else:
        healthy_s, healthy_text = healthy.end_s, f"fully rolled out after {human(healthy.end_s)}"
    failures = [plan for plan in plans if plan.scenario != HEALTHY]
    rolled_back = [plan for plan in failures if plan.outcome == ROLLED_BACK]
    promoted_bad = [plan for plan in failures if plan.outcome == PROMOTED]
    if promoted_bad:
        worst = max(promoted_bad, key=lambda plan: plan.exposure_percent_seconds)
        return Summary(healthy_s, healthy_text, None,
                       f"never: in scenario {worst.scenario} a bad version is fully rolled out after "
                       f"{human(worst.end_s)} and nothing rolls it back", worst.exposure_percent_seconds,
                       worst.bad_requests, blast_text(worst, "before it serves everyone"))
    if not rolled_back:
        waiting = failures[0] if failures else None
        text = "not simulated" if waiting is None else f"waits for a person ({waiting.scenario})"
        return Summary(healthy_s, healthy_text, None, text, None, None, "")
    worst = max(rolled_back, key=lambda plan: (plan.end_s, plan.exposure_percent_seconds))
    return Summary(healthy_s, healthy_text, worst.end_s,
                   f"{human(worst.end_s)} from the start to full rollback (scenario {worst.scenario})",
                   worst.exposure_percent_seconds, worst.bad_requests, blast_text(worst, "before the rollback"))


def blast_text(plan, when: str) -> str:
    exposure = plan.exposure_percent_seconds
    text = f"{_number(exposure / 60)} %·min of traffic on the bad version {when}"
    if exposure and plan.weights:
        text += f" (as much as {_number(exposure / 6000)} min of all traffic)"
    if plan.bad_requests is not None:
        text += f", about {_number(plan.bad_requests)} requests"
    return text


def _number(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def plan_json(release, rollout, plan) -> dict:
    """One release under one scenario, as `shipgen plan --format json` prints it."""
    result = {
        "release": release.name,
        "environment": release.metadata.environment,
        "controller": rollout.controller,
        "scenario": plan.scenario,
        "outcome": plan.outcome,
    }
    if plan.outcome == PROMOTED:
        result["promoted_at_s"] = plan.end_s
    elif plan.outcome == ROLLED_BACK:
        result["rolled_back_at_s"] = plan.end_s
    else:
        result["waiting_at_s"] = plan.end_s
        result["waiting_for"] = plan.waiting_for
    result.update({
        "first_failed_check_s": plan.first_failed_check_s,
        "exposure_percent_seconds": plan.exposure_percent_seconds,
        "bad_requests": plan.bad_requests,
        "weights": [[t, share] for t, share in plan.weights],
        "events": [_event_json(event) for event in plan.events],
        "assumptions": list(plan.assumptions),
        "phases": [_phase_json(phase) for phase in rollout.phases],
        "checks": [_check_json(check) for check in rollout.checks],
    })
    if release.flags:
        from ..targets.flags import ramp_json

        result["flags"] = ramp_json(release)
    return result


def _event_json(event) -> dict:
    result = {"t_s": event.t_s, "kind": event.kind, "text": event.text}
    if event.weight is not None or event.kind == "phase":
        result["weight"] = event.weight
    if event.check:
        result["check"] = event.check
        result["result"] = event.result
    return result


def _phase_json(phase) -> dict:
    result = {"name": phase.name, "weight": phase.weight, "ends": phase.ends}
    for field in ("duration_s", "passes", "timeout_s"):
        value = getattr(phase, field)
        if value:
            result[field] = value
    if phase.gating_check:
        result["gating_check"] = phase.gating_check
    if phase.waits_for:
        result["waits_for"] = phase.waits_for
    return result


def _check_json(check) -> dict:
    return {"name": check.name, "kind": check.kind, "judges": list(check.judges), "measured_by": check.measured_by,
            "phases": [check.from_phase, check.to_phase], "interval_s": check.interval_s, "first_s": check.first_s,
            "count": check.count, "failure_limit": check.failure_limit, "on_provider_error": check.on_provider_error,
            "reaction_s": check.reaction_s, "on_failure": check.on_failure}

"""Plans as people read them: Markdown (`templates/plan.md.j2`, also the build's PLAN.md) and
plain text for terminals. Both show, per release, the summary first, then the phases, the
checks, each scenario's timeline and the assumptions."""

from __future__ import annotations

from ..durations import human
from .model import PASSES, PERSON, READY, TIMER
from .plan import summary


def phase_view(phase, rollout) -> dict:
    share = "requests that match the routing rule" if phase.weight is None else f"{phase.weight:g}%"
    if phase.mirrored:
        share += f" (plus a copy of {phase.mirrored:g}% of requests, responses discarded)"
    if phase.ends == TIMER:
        ends = f"after {human(phase.duration_s)}"
    elif phase.ends == READY:
        ends = "once the new instances are ready" + (f" and stayed ready {human(phase.duration_s)}"
                                                      if phase.duration_s else "")
        if phase.quantum_s:
            ends += f" (noticed on the controller's {human(phase.quantum_s)} ticks)"
    elif phase.ends == PASSES:
        check = rollout.check(phase.gating_check)
        every = f", one every {human(check.interval_s)}" if check is not None else ""
        plural = "s" if phase.passes != 1 else ""
        ends = f"after {phase.passes} passing evaluation{plural} of {phase.gating_check}{every}"
    elif phase.ends == PERSON:
        ends = f"when a person acts: {phase.waits_for}"
    else:
        ends = phase.ends
    return {"name": phase.name, "share": share, "ends": ends}


def check_view(check) -> dict:
    count = f"{check.count} in all" if check.count is not None else "until the phases end"
    evaluations = f"first after {human(check.first_s)}, then every {human(check.interval_s)}, {count}"
    fails_on = (f"failure {check.failure_limit + 1}" + (" in a row" if check.consecutive else "")
                + (f" (shared counter {check.counter})" if check.counter else ""))
    provider_error = {"failure": "counts as a failure", "pass": "is ignored (no data is not a breach)",
                      "error": f"is retried after {human(check.error_retry_s or check.interval_s)}; fails after "
                               f"{check.error_limit + 1} in a row"}[check.on_provider_error]
    then = "nothing (reported only)" if check.on_failure == "none" else \
        "rollback" + (f", {human(check.reaction_s)} later" if check.reaction_s else ", at once")
    return {"name": check.name, "judges": ", ".join(check.judges) or "-", "measured_by": check.measured_by,
            "evaluations": evaluations, "fails_on": fails_on, "provider_error": provider_error, "then": then}


def entry_view(release_plans) -> dict:
    from ..targets.flags import ramp_rows

    rollout = release_plans.rollout
    return {"release": release_plans.release, "rollout": rollout, "plans": release_plans.plans,
            "flag_ramp": ramp_rows(release_plans.release, rollout),
            "summary": summary(release_plans.plans),
            "phases": [phase_view(phase, rollout) for phase in rollout.phases],
            "checks": [check_view(check) for check in rollout.checks]}


def markdown(all_plans: list, picture: str = "") -> str:
    from ..templating import render_template

    return render_template("plan.md.j2", entries=[entry_view(plans) for plans in all_plans], picture=picture)


def text(all_plans: list) -> str:
    lines = []
    for release_plans in all_plans:
        view = entry_view(release_plans)
        release, rollout, result = view["release"], view["rollout"], view["summary"]
        lines += [f"{release.metadata.environment}/{release.name}: {rollout.controller}",
                  f"  healthy:          {result.healthy_text}",
                  f"  bad version:      {result.worst_rollback_text}",
                  f"  blast radius:     {result.blast_text or 'none'}",
                  f"  t = 0:            {rollout.start}"]
        if view["flag_ramp"]:
            lines.append("  feature flag ramp, after the deployment (* = the step the flag file is at):")
            for row in view["flag_ramp"]:
                flags = "; ".join(f"{name}{'*' if name in row['current'] else ''}: {text}"
                                  for name, text in row["flags"].items())
                lines.append(f"    {row['traffic']:>5} {row['deployment']:<48}  {flags}")
        for plan in release_plans.plans:
            lines.append(f"  scenario {plan.scenario}: {plan.outcome} after {human(plan.end_s)}")
            for event in plan.events:
                lines.append(f"    {human(event.t_s):>12}  {' '.join(event.text.split())}")
        lines.append("  assumptions:")
        lines += [f"    - {assumption}" for assumption in release_plans.plans[0].assumptions]
        lines.append("")
    return "\n".join(lines)
